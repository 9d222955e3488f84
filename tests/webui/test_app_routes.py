"""The areas of the household page are imported on their first request (webui.app.PAGES):
every route there must name a handler its module has, and the application must serve it
(tests/gateway/test_idle_footprint.py drives the first requests in a fresh process)."""
from __future__ import annotations

import importlib
import inspect

from gateway.service import Gateway
from harness import make_config
from webui.app import PAGES, ROUTE_MODULES, make_app


def test_every_page_route_names_a_coroutine_of_its_module():
    for module, routes in PAGES.items():
        loaded = importlib.import_module(module)
        assert not hasattr(loaded, "setup"), f"{module} is in PAGES: its routes are there"
        for method, path, name in routes:
            assert method in ("GET", "POST"), (module, path)
            assert inspect.iscoroutinefunction(getattr(loaded, name, None)), (module, name)


def test_the_application_serves_every_page_route_once(tmp_path):
    app = make_app(Gateway(make_config(tmp_path)))
    served = [(r.method, r.resource.canonical) for r in app.router.routes()
              if r.method != "HEAD"]
    wanted = [(m, p) for routes in PAGES.values() for m, p, _ in routes]
    for route in wanted:
        assert served.count(route) == 1, route
    assert not set(PAGES) & set(ROUTE_MODULES)
