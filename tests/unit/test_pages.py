"""The web pages (app/server/pages.py): public (metrics: for a scrape token), served from the
package and plotly's own."""

from __future__ import annotations

from aiohttp import web

from app.server.auth.access import PUBLIC, SCRAPE
from app.server.pages import STATS_FILES, pages, plotly_script
from app.server.routes import errors_middleware


def test_every_page_is_public_and_plotly_is_the_installed_package_s():
    assert {route.access for route in pages if route.path != "/metrics"} == {PUBLIC}
    assert {route.access for route in pages if route.path == "/metrics"} == {SCRAPE}
    assert plotly_script().is_file()


async def test_the_statistics_page_and_its_files_are_served(aiohttp_client):
    application = web.Application(middlewares=[errors_middleware])
    pages.register(application)
    client = await aiohttp_client(application)
    page = await client.get("/stats")
    assert page.status == 200 and page.content_type == "text/html"
    assert '<script src="/stats/plotly.min.js">' in await page.text()
    for name, media in STATS_FILES.items():
        answer = await client.get(f"/stats/{name}")
        assert (answer.status, answer.content_type) == (200, media)
    script = await client.get("/stats/plotly.min.js")
    assert script.status == 200 and (await script.read()).startswith(b"/**")
    missing = await client.get("/stats/../routes.py")
    assert missing.status == 404
    unknown = await client.get("/stats/secrets.txt")
    assert unknown.status == 404 and "the page loads" in (await unknown.json())["error"]
