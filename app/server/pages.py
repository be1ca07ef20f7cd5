"""The routes outside the API: the web pages (`/` the farm view, `/stats` the statistics
page, their files) and `/metrics`.

The pages are static files of this package (app/server/web/) and hold no data: they fetch it
from the API with a token the person types once (docs/web.md). Every page and file is served
with a Content-Security-Policy that allows only the server's own scripts, styles and sockets
(no inline script, no other origin); the statistics page loads Plotly's JavaScript from the
installed plotly package (no CDN, no copy in the repository). `/metrics` is Prometheus's text
format, for a person's token or the read-only metrics token (SECURITY.md).
"""

from __future__ import annotations

import base64
import hashlib
import sys
from importlib.util import find_spec
from pathlib import Path

from aiohttp import web

from app.server.auth.access import PUBLIC
from app.server.errors import FarmError
from app.server.metrics import CONTENT_TYPE
from app.server.route_table import RouteTable

pages = RouteTable("")
WEB_DIR = Path(__file__).with_name("web")
MEDIA_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
FILES = {path.name: path for path in WEB_DIR.iterdir() if path.suffix in MEDIA_TYPES}
# an empty <style> element: Plotly makes one and fills it through the CSSOM, which the policy
# does not govern (inline style text stays refused)
EMPTY_STYLE = f"'sha256-{base64.b64encode(hashlib.sha256(b'').digest()).decode()}'"
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'self'; style-src 'self' {EMPTY_STYLE}; img-src 'self';"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _file(name: str) -> web.Response:
    path = FILES.get(name)
    if path is None:
        raise FarmError(f"no web file {name[:100]!r}", status=404)
    media_type = MEDIA_TYPES[path.suffix]
    return web.Response(
        body=path.read_bytes(), content_type=media_type, charset="utf-8", headers=HEADERS
    )


@pages.get("/", "The farm view: jobs and renders, live", access="public", answer="text/html")
async def farm_page(request: web.Request) -> web.Response:
    return _file("index.html")


@pages.get("/web/{name}", "A file of the web pages", access="public", answer="text/plain")
async def web_file(request: web.Request) -> web.Response:
    return _file(request.match_info["name"])


@pages.get("/metrics", "Prometheus metrics", access="scrape", answer=CONTENT_TYPE)
async def metrics(request: web.Request) -> web.Response:
    text = request.app["farm"].metrics.text()
    return web.Response(body=text, headers={"Content-Type": CONTENT_TYPE})


def plotly_script() -> Path:
    """plotly.min.js of the installed plotly package (found without importing plotly), or the
    copy inside a frozen corral (packaging/corral.spec)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle, "plotly", "package_data", "plotly.min.js")
    spec = find_spec("plotly")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the plotly package is not installed (pip install plotly)")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


@pages.get("/stats", "The statistics page", access=PUBLIC, answer="text/html")
async def stats_page(request: web.Request) -> web.Response:
    return _file("stats.html")


@pages.get(
    "/stats/plotly.min.js", "Plotly, for the charts", access=PUBLIC, answer="text/javascript"
)
async def plotly(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        plotly_script(), headers={**HEADERS, "Content-Type": "text/javascript; charset=utf-8"}
    )
