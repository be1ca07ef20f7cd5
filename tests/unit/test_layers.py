"""The layers of app/: which of our packages may import which, checked on the source.

Every module's imports (at the top, inside functions, under TYPE_CHECKING; relative ones
resolved) are read with ``ast``, without importing anything. Lowest layer first; a module may
import its own package and those its layer lists, nothing else of ours:

=============================  ===============================================================
package                        may import (of ours)
=============================  ===============================================================
``app`` (``__init__``)         nothing: the version and the render protocol number
``app.protocol``               nothing: the wire vocabulary; standard library only, Python 3.7
``app.credentials``            nothing: a client's token (--token, CORRAL_TOKEN, the OS
                               keyring, imported only when used); Python 3.7
``app.api``                    app.protocol, app.credentials; standard library only, Python
                               3.7 (it runs inside Maya, Nuke, Houdini and Blender)
``app.discovery``              app.protocol, app.api: a client's way to the server (the typed
                               address, this machine's, the one the network announces)
``app.core``                   app.protocol. Pure: no I/O, no event loop, no host reads
                               (:data:`CORE_MUST_NOT_IMPORT`); what it needs of the host
                               (OS family, local time) is given as arguments
``app.platform``               app.protocol, app.core: the host, in core's terms
``app.plugins``                app.protocol, app.core: plugin discovery (entry points, files)
``app.settings_files``         nothing: the services' TOML settings files, read and written
``app.services``,              app.protocol, app.core, app.platform, app.plugins
``app.parsers``
``app.render``                 the above, app, app.credentials, app.settings_files,
                               app.services, app.parsers; never app.server
``app.server``                 the above, app, app.credentials, app.settings_files,
                               app.services, app.parsers; never app.render
``app.ui``                     the above, app.api, app.render (the tray runs a render)
``app.cli``, ``app.__main__``  anything; only they import app.ui (and app.discovery)
=============================  ===============================================================

Qt (PyQt6, qasync, pyqtgraph) is imported by app.ui only, so server, render and the command
line never load it. A module of a package missing from the table fails the test until the
table places it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

_BOTTOM = ("app.protocol", "app.core")
_BESIDE_SERVICES = (*_BOTTOM, "app.platform", "app.plugins")
_BELOW_CLIENTS = (
    "app",
    "app.credentials",
    "app.settings_files",
    *_BESIDE_SERVICES,
    "app.services",
    "app.parsers",
)
_UI = (*_BELOW_CLIENTS, "app.api", "app.render")

# package -> the packages of ours it may import (besides its own)
LAYERS: dict[str, tuple[str, ...]] = {
    "app": (),
    "app.protocol": (),
    "app.credentials": (),
    "app.api": ("app.protocol", "app.credentials"),
    "app.discovery": ("app.protocol", "app.api"),
    "app.core": ("app.protocol",),
    "app.platform": _BOTTOM,
    "app.plugins": _BOTTOM,
    "app.settings_files": (),
    "app.services": _BESIDE_SERVICES,
    "app.parsers": _BESIDE_SERVICES,
    "app.render": _BELOW_CLIENTS,
    "app.server": _BELOW_CLIENTS,
    "app.ui": _UI,
}
LAYERS.update(dict.fromkeys(("app.cli", "app.__main__"), (*LAYERS, "app.cli")))
STDLIB_ONLY = ("app.protocol", "app.api")
PY37_SYNTAX = ("app.protocol", "app.credentials", "app.api")
QT = frozenset(("PyQt6", "qasync", "pyqtgraph"))
QT_ALLOWED = ("app.ui",)
_LOOPS_AND_IO = ("asyncio", "aiohttp", "socket", "ssl", "select", "selectors", "http", "urllib")
_PROCESSES = ("subprocess", "multiprocessing", "concurrent", "threading", "signal")
_STORES_AND_MEASURES = ("sqlite3", "peewee", "psutil")
_HOST_READS = ("os", "sys", "time", "platform", "locale", "getpass", "shutil", "pathlib")
_FILES_AND_CODE = ("tempfile", "ctypes", "importlib", "pkgutil")
CORE_MUST_NOT_IMPORT = QT.union(
    _LOOPS_AND_IO, _PROCESSES, _STORES_AND_MEASURES, _HOST_READS, _FILES_AND_CODE
)


def layer_of(name: str) -> str | None:
    """The table's package that holds a module of ours (the longest match), or None."""
    best = None
    for package in LAYERS:
        if (name == package or name.startswith(package + ".")) and len(package) > len(best or ""):
            best = package
    return best


def imports(module: str, source: str, is_package: bool = False) -> Iterator[tuple[str, int]]:
    """(imported module, line) for each import in a module's source, relative ones resolved;
    ``from X import Y`` gives X, or X.Y when that is in another package (``from app import
    ui``)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([node.module] if node.module else []))
            names = {base}
            if base.split(".")[0] == "app":
                names = {
                    full if layer_of(full) != layer_of(base) else base
                    for full in (f"{base}.{alias.name}" for alias in node.names)
                }
            for name in sorted(names):
                yield name, node.lineno


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """What breaks the layer rules in one module's source, each naming the module, the import
    and its line."""
    own = layer_of(module)
    if own is None or (own == "app" and module != "app"):
        return [f"{module}: its package is not in the LAYERS table of tests/unit/test_layers.py"]
    allowed = {own, *LAYERS[own]}
    out = []
    for name, line in imports(module, source, is_package):
        top = name.split(".")[0]
        where = f"{module} imports {name} (line {line})"
        if top == "app":
            layer = layer_of(name)
            if layer not in allowed:
                out.append(f"{where}: {own} may import only {', '.join(sorted(allowed))}")
        elif top in QT and own not in QT_ALLOWED:
            out.append(f"{where}: only {', '.join(QT_ALLOWED)} may import Qt")
        elif own == "app.core" and top in CORE_MUST_NOT_IMPORT:
            out.append(f"{where}: app.core is pure (no I/O, no event loop, no host reads)")
        elif own in STDLIB_ONLY and top not in sys.stdlib_module_names and top != "__future__":
            out.append(f"{where}: {own} uses the standard library only")
    if own in PY37_SYNTAX:
        try:
            ast.parse(source, feature_version=(3, 7))
        except SyntaxError as error:
            out.append(f"{module} line {error.lineno}: not Python 3.7 syntax: {error.msg}")
    return out


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(APP.rglob("*.py")):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def test_every_module_keeps_to_its_layer():
    found = [
        problem
        for module, path in _modules()
        for problem in violations(module, path.read_text("utf-8"), path.name == "__init__.py")
    ]
    assert not found, "layer rules broken:\n" + "\n".join(found)


# -- the checker catches what it should ----------------------------------------------------------


@pytest.mark.parametrize(
    "module, source, expected",
    [
        ("app.core.fake", "import asyncio\n", "app.core.fake imports asyncio (line 1)"),
        (
            "app.core.fake",
            "def f():\n    import os.path\n",
            "app.core.fake imports os.path (line 2)",
        ),
        ("app.core.fake", "from app.server import farm\n", "app.core.fake imports app.server "),
        ("app.core.fake", "from ..platform import host_os\n", "imports app.platform (line 1)"),
        ("app.server.fake", "from app.render import agent\n", "imports app.render (line 1)"),
        ("app.render.fake", "from app import ui\n", "app.render.fake imports app.ui (line 1)"),
        ("app.render.fake", "from PyQt6 import QtCore\n", "only app.ui may import Qt"),
        ("app.services.fake", "import app.render.agent\n", "imports app.render.agent"),
        ("app.api", "import requests\n", "app.api uses the standard library only"),
        ("app.protocol", "x = (y := 1)\n", "not Python 3.7 syntax"),
        ("app.newthing.fake", "", "not in the LAYERS table"),
    ],
)
def test_a_planted_violation_is_named(module, source, expected):
    found = violations(module, source)
    assert len(found) == 1 and expected in found[0], found


def test_allowed_imports_pass():
    assert violations("app.core.fake", "import re\nfrom app.protocol import RunKey\n") == []
    assert violations("app.render.fake", "import psutil\nfrom app import __version__\n") == []
    assert violations("app.ui", "from . import tray\n", is_package=True) == []
    assert violations("app.cli", "from app.ui import app\nimport PyQt6\n") == [
        "app.cli imports PyQt6 (line 2): only app.ui may import Qt"
    ]
