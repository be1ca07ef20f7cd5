"""The documentation site (mkdocs.yml) builds with --strict, the generated references reach it,
a broken link fails the build, the site shows in Debian's Chromium (CORRAL_SCREENSHOTS=DIR
keeps the picture for docs/images/docs-site.png) and its diagrams draw there offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import jobspec

pytest.importorskip("mkdocs", reason="mkdocs is in the docs and test extras")
yaml = pytest.importorskip("yaml")  # mkdocs's own dependency
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = os.environ.get("CORRAL_SCREENSHOTS")
# Material draws each diagram into a closed shadow root; opened, the test can see the SVG
OPEN_SHADOWS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (options) {
  return attach.call(this, { ...options, mode: "open" });
};
"""


def build(site: Path, config: Path = ROOT / "mkdocs.yml") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )


def nav_pages(nav: list) -> list[str]:
    out = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        out += nav_pages(value) if isinstance(value, list) else [value]
    return out


class _Loader(yaml.SafeLoader):
    """mkdocs.yml with its !!python/name tags left as text."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    done = build(site)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    return site


def test_every_page_of_the_nav_is_built(site):
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    pages = nav_pages(config["nav"])
    assert len(pages) > 30
    for page in pages:
        built = "index.html" if page == "index.md" else page.removesuffix(".md") + "/index.html"
        built = built.replace("/index/index.html", "/index.html")
        assert (site / built).is_file(), page


def test_generated_references_reach_the_site(site):
    job = (site / "reference/job-json/index.html").read_text()
    for key in jobspec.job_schema()["properties"]:
        assert f"<code>{key}</code>" in job
    cli = (site / "reference/cli/index.html").read_text()
    assert "<code>corral job why</code>" in cli and "<code>--farm-secret-file FILE</code>" in cli
    api = (site / "reference/rest-api/index.html").read_text()
    assert "<code>GET /api/v1/jobs/{job}/explain</code>" in api
    assert "hooks" not in os.listdir(site)  # the generator is not published


def test_diagrams_are_mermaid(site):
    concepts = (site / "concepts/index.html").read_text()
    assert '<pre class="mermaid">' in concepts


def test_a_broken_link_fails_the_strict_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    page = docs / "troubleshooting.md"
    page.write_text(page.read_text() + "\nSee [the missing page](missing.md).\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {docs}\n")
    done = build(tmp_path / "site", config)
    assert done.returncode != 0
    assert "missing.md" in done.stderr


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no {CHROMIUM}: `make browser` installs it")
def test_the_site_shows_in_a_browser(site, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 860})
            page.goto((site / "troubleshooting/index.html").as_uri())
            page.locator(".md-content h1").wait_for(timeout=15_000)
            assert page.title().startswith("Troubleshooting")
            assert page.locator(".md-nav__link", has_text="Job JSON").count() >= 1
            assert page.locator("table code", has_text="corral job reset-error-hosts ID").count()
            picture = Path(SCREENSHOTS or tmp_path) / "docs-site.png"
            page.screenshot(path=str(picture))
            assert picture.stat().st_size > 10_000
        finally:
            browser.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no {CHROMIUM}: `make browser` installs it")
@pytest.mark.skipif(not shutil.which("npm"), reason="no npm: the diagrams load Mermaid online")
def test_a_diagram_draws_with_the_network_off(site):
    assert (site / "javascripts/mermaid.min.js").stat().st_size > 1_000_000  # docs/hooks/mermaid.py
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context()
            refused: list[str] = []

            def offline(route) -> None:
                refused.append(route.request.url)
                route.abort("internetdisconnected")

            context.route(re.compile(r"^(https?|wss?)://"), offline)
            context.add_init_script(OPEN_SHADOWS)
            page = context.new_page()
            page.goto((site / "concepts/index.html").as_uri())
            drawing = page.locator("div.mermaid svg").first
            drawing.wait_for(timeout=20_000)
            assert drawing.bounding_box()["height"] > 50
            assert page.locator("div.mermaid svg g.node").count() >= 3  # the diagram's boxes
            assert page.locator("pre.mermaid").count() == 0  # every diagram of the page drawn
            assert refused == []
        finally:
            browser.close()
