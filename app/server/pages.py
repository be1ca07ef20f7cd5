"""The web pages the server serves beside its API, all public: the statistics page `/stats`
(its data comes from GET /api/v1/stats/..., which need a token; docs/statistics.md) and the
files it loads. Plotly's JavaScript is served from the installed plotly package: no CDN, no
copy in the repository.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from aiohttp import web

from app.server.auth.access import PUBLIC
from app.server.errors import FarmError
from app.server.route_table import RouteTable

pages = RouteTable("")
WEB = Path(__file__).with_name("web")
FILES = {"stats.js": "text/javascript", "stats.css": "text/css"}


def plotly_script() -> Path:
    """plotly.min.js of the installed plotly package (found without importing plotly)."""
    spec = find_spec("plotly")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the plotly package is not installed (pip install plotly)")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


@pages.get("/stats", "The statistics page", access=PUBLIC, answer="text/html")
async def stats_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(WEB / "stats.html", headers={"Content-Type": "text/html"})


@pages.get(
    "/stats/plotly.min.js", "Plotly, for the charts", access=PUBLIC, answer="text/javascript"
)
async def plotly(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(plotly_script(), headers={"Content-Type": "text/javascript"})


@pages.get(
    "/stats/{name}",
    "The statistics page's script and style",
    access=PUBLIC,
    enums={"name": list(FILES)},
    answer="text/plain",
)
async def stats_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in FILES:
        raise FarmError(f"no file {name[:100]!r}: the page loads {', '.join(FILES)}", 404)
    return web.FileResponse(WEB / name, headers={"Content-Type": FILES[name]})
