"""Upload a location history from the browser and follow its import.

`POST /api/1/imports[?device=NAME]` takes the file as the request body (or the first file
of a multipart form), streams it to the data dir, has the service import it in a child
process (the same importer as `selfdata import`, under the box's memory and processor
limits) and answers 202 with the job; `GET /api/1/imports/ID` gives its progress (bytes
read, fixes, duplicates, rejected) and, once finished, the report, or the note saying why it
stopped. A member sees only their own jobs. The household page polls these.

Refused before the body is read: a member's second import at once (409), the box's imports
all busy (429, Retry-After), a declared length too large (413) or that would leave the disk
without room for the phones' fixes (507). While it streams the same limits hold, and a
body that stops coming for a minute ends it (408); the partial file is deleted on any error.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from gateway.portability import uploads
from gateway.portability.runner import Busy
from gateway.queries.imports import import_job, import_jobs

from .keys import GATEWAY, MEMBER

CHUNK = 256 * 1024
# A body that stops coming holds an import slot (the member's and one of the box's): after
# this long without a byte the upload ends and its partial file goes.
IDLE_S = 60.0
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STATUS = {409: web.HTTPConflict, 413: lambda **kw: web.HTTPRequestEntityTooLarge(0, **kw),
           429: web.HTTPTooManyRequests, 507: web.HTTPInsufficientStorage}


def setup(app: web.Application) -> None:
    app.router.add_post("/api/1/imports", upload)
    app.router.add_get("/api/1/imports", list_jobs)
    app.router.add_get("/api/1/imports/{job}", job_status)


def _refuse(status: int, message: str) -> web.HTTPException:
    headers = {"Retry-After": "60"} if status == 429 else None
    return _STATUS[status](text=message, headers=headers)


async def upload(request: web.Request) -> web.Response:
    job = await start_upload(request)
    return web.json_response(job, status=202, headers={"Location": f"/api/1/imports/{job['id']}"})


async def start_upload(request: web.Request) -> dict:
    """Stream the request's file to the data dir and start its import in a child process;
    the job as it starts. The household page's upload form and the API share this."""
    gw, member = request.app[GATEWAY], request[MEMBER]
    try:
        slot = await gw.imports.reserve(member.id)
    except Busy as exc:
        raise _refuse(exc.status, str(exc))
    with slot:
        try:
            uploads.check_declared(gw.config, request.content_length)
            path, fields = await _receive(request, gw.config)
        except uploads.UploadRefused as exc:
            raise _refuse(exc.status, str(exc))
        device = request.query.get("device") or fields.get("device") or None
        job_id = await gw.imports.start(slot, member.name, path, device)
    return _job(gw, member.id, job_id)


async def _receive(request: web.Request, config) -> tuple[Path, dict]:
    """Stream the body (or the first file part) to disk, never whole in memory; with the
    form's small text fields that came before the file (a few, each bounded)."""
    name, stream, fields = "upload", request.content, {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        part = await _within(reader.next())
        while part is not None and not part.filename:
            if len(fields) < 8 and part.name:
                fields[part.name] = (await _within(part.read_chunk(256))).decode(
                    "utf-8", "replace")
            part = await _within(reader.next())
        if part is None:
            raise web.HTTPBadRequest(text="no file in the form")
        name, stream = part.filename, part
    read = stream.read_chunk if hasattr(stream, "read_chunk") else stream.read
    with uploads.Upload(config, _SAFE.sub("_", Path(name).name)[:80]) as up:
        while chunk := await _within(read(CHUNK)):
            up.write(chunk)
    return up.path, fields


async def _within(reading):
    try:
        return await asyncio.wait_for(reading, IDLE_S)
    except TimeoutError:
        raise web.HTTPRequestTimeout(text=f"nothing received for {IDLE_S:g} seconds: the "
                                          "upload was stopped and removed") from None


async def job_status(request: web.Request) -> web.Response:
    try:
        job_id = int(request.match_info["job"])
    except ValueError:
        raise web.HTTPNotFound(text="no such import")
    return web.json_response(_job(request.app[GATEWAY], request[MEMBER].id, job_id))


async def list_jobs(request: web.Request) -> web.Response:
    gw, member = request.app[GATEWAY], request[MEMBER]
    return web.json_response(import_jobs(gw.store.conn, member.id))


def _job(gw, member_id: int, job_id: int) -> dict:
    job = import_job(gw.store.conn, member_id, job_id)
    if job is None:  # someone else's job is answered like one that does not exist
        raise web.HTTPNotFound(text="no such import")
    return job
