"""The web farm view at `/` in Debian's Chromium (driven by Playwright): a job reaching DONE live,
from the events socket, with the token typed once. Skipped without /usr/bin/chromium (`make
browser` installs it); Playwright never downloads a browser here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.scenarios import SMALL, job, start_farm

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no {CHROMIUM}: `make browser` installs Debian's chromium"
)
SCREENSHOTS = os.environ.get("CORRAL_SCREENSHOTS")  # a folder for docs/images, else the test's


@pytest.fixture
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1100, "height": 520})
        finally:
            browser.close()


def sign_in(page, url: str, token: str) -> None:
    page.goto(url + "/")
    page.fill("form.login input[name=token]", token)
    page.click("form.login button")
    sync_api.expect(page.locator("#status")).to_have_text("live")


def test_a_job_reaches_done_live(farm, gates, page, tmp_path):
    start_farm(farm, {"r1": 2, "r2": 2})
    sign_in(page, farm.url, farm.admin_token)
    expect = sync_api.expect
    expect(page.locator("#renders tbody tr")).to_have_count(2)
    job_id = farm.client.submit(job("shot_010", gates.command(), 6, block=SMALL))
    row = page.locator(f"#jobs tr[data-job='{job_id}']")  # only the events socket brings it
    expect(row.locator("td.state")).to_contain_text("RUN", timeout=20_000)
    expect(page.locator("#renders tr[data-render='r1'] td.state")).to_contain_text("RUN")
    gates.open(1, 2)
    expect(row.locator("td.tasks")).to_contain_text("2/6 done", timeout=20_000)
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    page.screenshot(path=str(folder / "farm-view.png"))
    gates.open_all()
    expect(row.locator("td.state")).to_have_text("DON", timeout=30_000)
    expect(page.locator("#who")).to_have_text("admin (admin)")
    expect(row.locator(".bar .done")).to_have_attribute("style", "width: 100%;")
    assert farm.admin_token not in page.url


def test_a_wrong_token_is_asked_for_again(farm, page):
    farm.start_server()
    page.goto(farm.url + "/")
    page.fill("form.login input[name=token]", "crl_not-a-token")
    page.click("form.login button")
    sync_api.expect(page.locator("form.login p")).to_contain_text("refused the token")
    page.fill("form.login input[name=token]", farm.admin_token)
    page.click("form.login button")
    sync_api.expect(page.locator("#status")).to_have_text("live")
