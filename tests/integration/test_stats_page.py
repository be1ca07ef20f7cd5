"""The statistics page /stats in a real browser (Playwright driving the system's Chromium, never
a downloaded one) against a real farm's runs: it asks for a token (the pages' shared login
form), draws its charts under the pages' Content-Security-Policy (nothing of the page refused),
redraws them for another range, and exports a table as CSV.

With CORRAL_SCREENSHOTS=1 it also saves the page as docs/images/stats.png (the README's)."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from tests.integration.scenarios import job, start_farm, wait_state
from tests.polling import wait_until

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = Path("/usr/bin/chromium")  # the system's package (apt install chromium)
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "stats.png"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}: install the system's package"
)

NO_RETRY = {"errors_retries": 0}


def run_farm(farm) -> int:
    """Three jobs of two users and projects on a real render: 10 runs done, 2 failed; returns
    how many runs ended."""
    start_farm(farm, {"w1": 4})
    client = farm.client
    done = [
        client.submit(job("moon_sh010", "sleep 0.2", 6, user="ann", project="moon")),
        client.submit(job("sun_sh020", "sleep 0.1", 4, user="bob", project="sun")),
    ]
    failing = client.submit(job("moon_sh030", "exit 3", 2, block=NO_RETRY, project="moon"))
    for job_id in done:
        farm.wait_job_done(job_id)
    for n in (0, 1):
        wait_state(client, failing, 0, n, "ERR")

    def stored() -> bool:  # the statistics rows are written by the server's next tick
        rows = client.stats("breakdown", by="user")["rows"]
        return sum(row["runs"] for row in rows) == 12

    wait_until(stored)
    return 12


def chart_total(page, chart: str) -> float:
    """The sum of every y value the plotly chart draws."""
    return page.evaluate(
        """id => document.getElementById(id).data
               .reduce((sum, trace) => sum + trace.y.reduce((a, b) => a + b, 0), 0)""",
        chart,
    )


def draws(page, count: int) -> None:
    """Wait until the page has drawn this many times."""
    page.wait_for_selector(f"body[data-draws='{count}']")


# what the page's Content-Security-Policy refuses, kept as the directive and the element
REFUSED = """
window.refused = [];
document.addEventListener("securitypolicyviolation", (event) => window.refused.push(
    `${event.violatedDirective}: ${event.target.outerHTML || event.target.nodeName}`));
"""


def sign_in(page, token: str) -> None:
    page.fill("form.login input[name=token]", token)
    page.click("form.login button")


def set_range(page, start: float, end: float) -> None:
    page.evaluate(
        """([start, end]) => {
               for (const [id, t] of [["from", start], ["to", end]]) {
                   const d = new Date(t * 1000);
                   d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
                   document.getElementById(id).value = d.toISOString().slice(0, 16);
               }
           }""",
        [start, end],
    )
    page.click("#range button[type=submit]")


def test_the_stats_page_draws_a_farm_run_for_a_range_and_exports_csv(farm, tmp_path):
    ended = run_farm(farm)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
            page.add_init_script(REFUSED)
            policy = page.goto(f"{farm.url}/stats").headers["content-security-policy"]
            assert "script-src 'self';" in policy and "default-src 'none'" in policy
            sign_in(page, "crl_not-a-token")  # the shared login form (app/server/web/login.js)
            sync_api.expect(page.locator("form.login p")).to_contain_text("refused the token")
            sign_in(page, farm.admin_token)
            draws(page, 1)
            assert chart_total(page, "chart-runs") == ended
            assert chart_total(page, "chart-hours") > 0
            assert chart_total(page, "chart-errors") == 100  # tester's two runs failed
            assert page.locator("#slowest tbody tr").count() == ended
            assert page.evaluate("sessionStorage.getItem('corral-token')") == farm.admin_token

            day_before = time.time() - 86400
            set_range(page, day_before - 3600, day_before)  # nothing ran then
            draws(page, 2)
            assert chart_total(page, "chart-runs") == 0
            assert page.locator("#slowest tbody tr").count() == 0

            page.click("button[data-hours='24']")
            draws(page, 3)
            assert chart_total(page, "chart-runs") == ended
            page.select_option("#by", "project")
            draws(page, 4)
            page.click("#breakdown th:has-text('runs')")  # ascending: sun's 4 before moon's 8
            assert page.locator("#breakdown tbody td:first-child").all_inner_texts() == [
                "sun",
                "moon",
            ]

            with page.expect_download() as download:
                page.click("button.csv[data-table='breakdown']")
            path = tmp_path / download.value.suggested_filename
            download.value.save_as(path)
            with path.open(newline="") as file:
                rows = list(csv.DictReader(file))
            assert [(row["key"], row["runs"], row["errors"]) for row in rows] == [
                ("sun", "4", "0"),
                ("moon", "8", "2"),
            ]
            # nothing refused but the stylesheet of the map library plotly bundles (no maps here)
            refused = page.evaluate("window.refused")
            assert [what for what in refused if ".maplibregl-map{" not in what] == []
            if os.environ.get("CORRAL_SCREENSHOTS"):
                page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
