"""`/map/`: the OwnTracks web frontend, when its built `dist/` folder is present in the
configured directory (`[web] owntracks_frontend_dir`; docs/web.md says where to get it),
served on this same origin with a `config.js` pointing at this box's `/api/0`: no proxy,
no CORS setup, and the member's session cookie goes with its requests. Without it, `/map/`
says how to add it. Like every page it needs a login."""
from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from .keys import GATEWAY
from .templating import render

log = logging.getLogger(__name__)

# The frontend reads `config/config.js` beside its index.html. The API is on this very
# origin, so the base URL is computed in the browser from where the page was loaded.
CONFIG_JS = """// Made by the selfdata box: the OwnTracks frontend reads this box's Recorder API.
window.owntracks = window.owntracks || {};
window.owntracks.config = {
  api: { baseUrl: window.location.origin + "/", fetchOptions: { credentials: "same-origin" } },
};
"""


def frontend_dir(config) -> Path | None:
    folder = config.web.owntracks_frontend_dir
    if not folder:
        return None
    path = Path(folder)
    if (path / "dist" / "index.html").exists():
        path = path / "dist"
    return path if (path / "index.html").exists() else None


def setup(app: web.Application) -> None:
    folder = frontend_dir(app[GATEWAY].config)
    app.router.add_get("/map/config/config.js", config_js)
    if folder is None:
        if app[GATEWAY].config.web.owntracks_frontend_dir:
            log.warning("[web] owntracks_frontend_dir %s holds no built frontend (index.html)",
                        app[GATEWAY].config.web.owntracks_frontend_dir)
        app.router.add_get("/map/", missing)
        return
    app.router.add_get("/map/", index)
    app.router.add_static("/map/", folder, follow_symlinks=False)


async def config_js(request: web.Request) -> web.Response:
    return web.Response(text=CONFIG_JS, content_type="application/javascript")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(frontend_dir(request.app[GATEWAY].config) / "index.html")


async def missing(request: web.Request) -> web.Response:
    return render(request, "map_missing.html", status=404)
