"""Mermaid served with the documentation site, so its diagrams draw without the internet.

Material for MkDocs draws ```mermaid blocks with the page's global ``mermaid`` when one is
defined, and otherwise loads Mermaid from unpkg.com. MkDocs loads this module as a hook
(mkdocs.yml ``hooks``): at the first build it fetches Mermaid's package from the npm registry
(``npm pack``, which checks the tarball against the registry's integrity hash) into
``.cache/mermaid/`` (ignored by git, removed by ``make clean``), then every build adds its
``mermaid.min.js`` to the site and loads it through ``extra_javascript``. The repository keeps
only the version below, not a 3 MB file. Without npm, or offline at the first build, the site
still builds (strict) and its diagrams load Mermaid online; the build's log says so.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.structure.files import File

VERSION = "11.17.2"  # the Mermaid major version Material for MkDocs 9 loads online is 11
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "mermaid"
SCRIPT = "javascripts/mermaid.min.js"  # where the site serves it
log = logging.getLogger("mkdocs.hooks.mermaid")
_found: list[Path] = []  # the cached script of this build, from on_config to on_files


def cached() -> Path | None:
    """Mermaid's mermaid.min.js in the cache, fetched when missing; None (and a note in the
    log) when npm is missing or fails."""
    script = CACHE / f"mermaid-{VERSION}.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        log.info("npm not found: the diagrams will load Mermaid from unpkg.com when viewed")
        return None
    with tempfile.TemporaryDirectory(prefix="corral-mermaid-") as folder:
        reason = _pack(npm, folder)
        tarballs = list(Path(folder).glob("*.tgz"))
        if reason or not tarballs:
            log.info(
                "npm pack mermaid@%s failed (%s): diagrams load it online",
                VERSION,
                reason or "no package",
            )
            return None
        with tarfile.open(tarballs[0]) as package:
            data = package.extractfile("package/dist/mermaid.min.js").read()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = script.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(script)
    return script


def _pack(npm: str, folder: str) -> str:
    """Mermaid's package from the registry into folder; why not, or "" when it came."""
    command = [npm, "pack", f"mermaid@{VERSION}", "--pack-destination", folder, "--loglevel=error"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "no answer in 300 s"
    if done.returncode == 0:
        return ""
    lines = done.stderr.strip().splitlines()
    return lines[1] if len(lines) > 1 else f"exit status {done.returncode}"  # after the code


def on_config(config):
    _found.clear()
    script = cached()
    if script is not None:
        _found.append(script)
        config.extra_javascript.append(ExtraScriptValue(SCRIPT))
    return config


def on_files(files, config):
    for script in _found:
        files.append(File.generated(config, SCRIPT, abs_src_path=str(script)))
    return files
