"""Upload a location history from the browser and follow its import.

`POST /api/1/imports[?device=NAME]` takes the file as the request body (or the first file
of a multipart form), streams it to the data dir, starts the same importer as
`selfdata import` in a worker thread and answers 202 with the job; `GET /api/1/imports/ID`
gives its progress (bytes read, fixes, duplicates, rejected) and, once finished, the
report. A member sees only their own jobs. The household page polls these.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import threading
import uuid
from pathlib import Path

from aiohttp import web

from gateway.portability import uploads
from gateway.portability.importing import Importer
from gateway.queries.imports import import_job, import_jobs

from .keys import GATEWAY, MEMBER

MAX_UPLOAD = 4 * 1024 ** 3          # a decade of Google history is 1-3 GB
DISK_MARGIN = 200 * 1024 ** 2       # never fill the card: the live ingest needs room
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def setup(app: web.Application) -> None:
    app.router.add_post("/api/1/imports", upload)
    app.router.add_get("/api/1/imports", list_jobs)
    app.router.add_get("/api/1/imports/{job}", job_status)


async def upload(request: web.Request) -> web.Response:
    gw, member = request.app[GATEWAY], request[MEMBER]
    folder = uploads.folder(gw.config)
    folder.mkdir(parents=True, exist_ok=True)
    if request.content_length and request.content_length + DISK_MARGIN > shutil.disk_usage(
            folder).free:
        raise web.HTTPInsufficientStorage(text="not enough free disk for this file")
    path = await _receive(request, folder)
    importer = Importer(gw.store, member.name, device=request.query.get("device") or None)
    worker = threading.Thread(target=_run, args=(importer, path), daemon=True,
                              name=f"import-{member.name}")
    worker.start()
    while importer.job_id is None and worker.is_alive():  # its first act is the job row
        await asyncio.sleep(0.02)
    if importer.job_id is None:
        raise web.HTTPInternalServerError(text="the import could not start")
    return web.json_response(_job(gw, member.id, importer.job_id), status=202,
                             headers={"Location": f"/api/1/imports/{importer.job_id}"})


async def _receive(request: web.Request, folder: Path) -> Path:
    """Stream the body (or the first file part) to disk, never whole in memory."""
    name, stream = "upload", request.content
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not part.filename:
            part = await reader.next()
        if part is None:
            raise web.HTTPBadRequest(text="no file in the form")
        name, stream = part.filename, part
    path = folder / f"{uuid.uuid4().hex}-{_SAFE.sub('_', Path(name).name)[:80]}"
    size = 0
    with open(path, "wb") as out:
        while chunk := await (stream.read_chunk() if hasattr(stream, "read_chunk")
                              else stream.read(256 * 1024)):
            size += len(chunk)
            if size > MAX_UPLOAD:
                out.close()
                path.unlink(missing_ok=True)
                raise web.HTTPRequestEntityTooLarge(MAX_UPLOAD, size)
            out.write(chunk)
    return path


def _run(importer: Importer, path: Path) -> None:
    try:
        importer.run([path])
    finally:
        path.unlink(missing_ok=True)
        importer.store.close()  # this thread's own connection


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
