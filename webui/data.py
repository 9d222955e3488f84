"""My data: `/data`: import a history (an upload with a progress bar: a script over a plain
form that works alone), export in every format and the full archive, delete a day, a range
or everything (a confirmation page says what goes), and how long raw positions are kept.

The exporters, the archive writer and erasure load with the first export or deletion,
not with the box (issue #8: they are half a megabyte a Pi Zero holds for nothing)."""
from __future__ import annotations

import asyncio
import errno
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from aiohttp import web

from gateway.queries.days import day_bounds
from gateway.queries.fixes import member_fixes
from gateway.queries.imports import import_job, import_jobs
from gateway.queries.privacy import inside, private_places
from gateway.queries.stats import what_goes
from gateway.queries.trips import trips

from . import common, imports_api
from .app import EXPORTS_DIR
from .keys import GATEWAY, MEMBER
from .templating import render

# Each format's writer in gateway.portability.export, and its content type.
FIX_FORMATS = {"gpx": ("write_gpx", "application/gpx+xml"),
               "geojson": ("write_geojson", "application/geo+json"),
               "csv": ("write_csv", "text/csv")}
TRIP_FORMATS = {"trips-csv": "text/csv", "trips-json": "application/json"}
FORMATS = (*FIX_FORMATS, "rec", *TRIP_FORMATS, "archive")


async def data_page(request: web.Request) -> web.Response:
    from gateway.portability import retention
    conn, member_id = common.conn(request), common.member_id(request)
    return render(request, "data.html", jobs=import_jobs(conn, member_id, limit=10),
                  months=retention.get_months(conn, member_id), formats=FORMATS,
                  today=common.today(request), done=request.query.get("done"))


async def upload(request: web.Request) -> web.StreamResponse:
    job = await imports_api.start_upload(request)
    raise web.HTTPSeeOther(f"/data/imports/{job['id']}")


async def job_page(request: web.Request) -> web.Response:
    job = import_job(common.conn(request), common.member_id(request),
                     common.int_or_404(request.match_info["job"]))
    if job is None:          # someone else's job is answered like one that does not exist
        raise web.HTTPNotFound(text="no such import")
    share = job["bytes_done"] / job["bytes_total"] if job["bytes_total"] else 0
    return render(request, "import_job.html", job=job, step=int(round(share * 20)) * 5)


# ----- exports

def _bounds(request, values) -> tuple[int | None, int | None]:
    tz = common.zone(request)
    start = end = None
    if values.get("from"):
        start = day_bounds(common.parse_day(values["from"]), tz)[0]
    if values.get("to"):
        end = day_bounds(common.parse_day(values["to"]), tz)[1]
    return start, end


def _for_others(rows, zones):
    """An export for someone else: no position inside one of the member's private places."""
    return (r for r in rows if not inside(zones, r["lat"], r["lon"]))


async def download(request: web.Request) -> web.StreamResponse:
    values = dict(request.query)
    fmt = values.get("format", "")
    if fmt not in FORMATS:
        raise web.HTTPBadRequest(text="unknown export format")
    start, end = _bounds(request, values)
    others = common.checked(values, "others")
    gw = request.app[GATEWAY]
    try:
        path = await asyncio.to_thread(_export, gw, request[MEMBER], fmt, start, end, others,
                                       common.zone(request))
    except OSError as exc:
        raise web.HTTPInsufficientStorage(text=_disk_words(exc)) from None
    name = f"selfdata-{request[MEMBER].name}-{time.strftime('%Y%m%d')}"
    ext = {"rec": "zip", "archive": "zip", "trips-csv": "csv", "trips-json": "json"}.get(fmt, fmt)
    kind = FIX_FORMATS.get(fmt, (None, TRIP_FORMATS.get(fmt, "application/zip")))[1]
    response = web.FileResponse(path, headers={
        "Content-Type": kind, "Content-Disposition": f'attachment; filename="{name}.{ext}"'})
    try:
        await response.prepare(request)     # the whole file goes out here
    finally:
        _remove(path)
    return response


def _disk_words(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the box's disk is full: the export could not be written (free some room first)"
    return f"the export could not be written: {exc.strerror or exc}"


def _export(gw, member, fmt, start, end, others, tz) -> Path:
    """The export written to a file of its own on the box's disk, in a worker thread with
    its own connection: the service's memory stays the same for a day or for ten years of
    positions (the file is streamed, then removed)."""
    from gateway.portability import archive
    from gateway.portability.uploads import free_bytes
    conn = gw.store.conn
    zones = private_places(conn, member.id) if others else []
    folder = exports_folder(gw.config)
    folder.mkdir(mode=0o700, exist_ok=True)
    if free_bytes(folder) < gw.config.imports.disk_margin_mb << 20:   # the phones' room
        raise OSError(errno.ENOSPC, "no room for an export")
    path = Path(tempfile.mkdtemp(prefix=f"{fmt}-", dir=folder)) / "export"
    try:
        if fmt == "archive":
            archive.write_archive(gw.store, member.id, path, tz)
        elif fmt == "rec":
            _rec_zip(path, member, _for_others(member_fixes(conn, member.id, start, end), zones))
        else:
            with open(path, "w", encoding="utf-8", newline="") as out:
                _write_text(out, conn, member, fmt, start, end, zones, tz)
        return path
    except BaseException:
        _remove(path)
        raise
    finally:
        gw.store.close()       # this worker thread's own connection


def _write_text(out, conn, member, fmt, start, end, zones, tz) -> None:
    from gateway.portability import export
    if fmt in FIX_FORMATS:
        write = getattr(export, FIX_FORMATS[fmt][0])
        write(out, _for_others(member_fixes(conn, member.id, start, end), zones))
    elif fmt == "trips-csv":
        export.write_legs_csv(out, trips(conn, member.id, start, end), tz)
    else:
        export.write_trips_json(out, (_trip_for_others(t, zones)
                                      for t in trips(conn, member.id, start, end)))


def exports_folder(config) -> Path:
    """Where exports wait while they are sent (emptied at every start: webui.app)."""
    return config.data_dir / EXPORTS_DIR


def _remove(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)


def _trip_for_others(trip: dict, zones) -> dict:
    for end in ("start", "end"):
        lat, lon = trip.get(f"{end}_lat"), trip.get(f"{end}_lon")
        if zones and lat is not None and inside(zones, lat, lon):
            trip[f"{end}_lat"] = trip[f"{end}_lon"] = None
    return trip


def _rec_zip(target: Path, member, rows) -> None:
    import zipfile
    from gateway.portability import export
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        export.write_rec(Path(tmp), member.name, rows)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).rglob("*.rec")):
                zf.write(path, path.relative_to(tmp))


# ----- erasure

def _period(request, values) -> tuple[str, int | None, int | None, dict]:
    what, tz = values.get("what"), common.zone(request)
    if what == "day":
        day = common.parse_day(values.get("day"))
        start, end = day_bounds(day, tz)
        return what, start, end, {"day": day}
    if what == "range":
        first, last = common.parse_day(values.get("from")), common.parse_day(values.get("to"))
        if last < first:
            raise web.HTTPBadRequest(text="the range ends before it starts")
        return what, day_bounds(first, tz)[0], day_bounds(last, tz)[1], {"first": first,
                                                                          "last": last}
    if what == "all":
        return what, None, None, {}
    raise web.HTTPBadRequest(text="delete a day, a range or everything")


async def confirm_delete(request: web.Request) -> web.Response:
    values = dict(request.query)
    what, start, end, shown = _period(request, values)
    counts = what_goes(common.conn(request), common.member_id(request), start, end)
    return render(request, "delete_confirm.html", what=what, counts=counts, values=values,
                  **shown)


async def delete(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    what, start, end, shown = _period(request, values)
    if values.get("confirm") != "yes":
        raise web.HTTPBadRequest(text="not confirmed")
    from gateway.portability import erasure
    store, member_id = common.store(request), common.member_id(request)
    if what == "all":
        await asyncio.to_thread(_in_thread, store, erasure.erase_all, member_id)
    else:
        await asyncio.to_thread(_in_thread, store, erasure.erase_range, member_id, start, end)
    if what == "day":
        raise common.done(f"/day/{shown['day'].isoformat()}", "deleted")
    raise common.done("/data", "deleted")


def _in_thread(store, fn, *args):
    try:
        return fn(store, *args)
    finally:
        store.close()


async def set_retention(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    text = values.get("months", "").strip()
    months = None if text in ("", "0") else common.int_or_404(text)
    if months is not None and not 1 <= months <= 1200:
        raise web.HTTPBadRequest(text="keep between 1 and 1200 months")
    from gateway.portability import retention
    with common.store(request).transaction() as conn:
        retention.set_months(conn, common.member_id(request), months)
    raise common.done("/data", "retention")


def yesterday(today: date) -> date:
    return today - timedelta(days=1)
