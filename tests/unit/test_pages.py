"""The web pages (app/server/pages.py): public (metrics: for a scrape token), served from the
package and plotly's own, with the pages' Content-Security-Policy."""

from __future__ import annotations

from aiohttp import web

from app.server.auth.access import PUBLIC, SCRAPE
from app.server.pages import HEADERS, pages, plotly_script
from app.server.routes import errors_middleware


def test_every_page_is_public_and_plotly_is_the_installed_package_s():
    assert {route.access for route in pages if route.path != "/metrics"} == {PUBLIC}
    assert {route.access for route in pages if route.path == "/metrics"} == {SCRAPE}
    assert plotly_script().is_file()


async def test_the_statistics_page_and_plotly_are_served_with_the_pages_policy(aiohttp_client):
    application = web.Application(middlewares=[errors_middleware])
    pages.register(application)
    client = await aiohttp_client(application)
    page = await client.get("/stats")
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert '<script src="/stats/plotly.min.js">' in text
    assert '<script type="module" src="/web/stats.js">' in text and "<script>" not in text
    script = await client.get("/stats/plotly.min.js")
    assert script.status == 200 and (await script.read()).startswith(b"/**")
    for answer in (page, script):
        assert answer.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("stats.js", "stats.css", "../routes.py"):  # the page's files are under /web/
        assert (await client.get(f"/stats/{name}")).status == 404
