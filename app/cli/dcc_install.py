"""Where the DCC plugins go, and putting them there: ``corral plugins install|uninstall|list``.

A plugin is the folder ``dcc_plugins/<application>/`` of this checkout. Installing copies its
entries into the application's folder (Blender's user extensions, Maya's modules folder,
Houdini's packages folder), or, for Nuke, copies the folder as ``~/.nuke/corral`` and adds a
``nuke.pluginAddPath`` line to ``~/.nuke/init.py``. The client API (app/api.py and the modules
it imports, found by reading its relative imports) goes, as the package ``corral_api``, beside
every installed module that imports it (``from corral_api import api``, or
``from .corral_api import api`` inside a package): the repository holds one source of it.
Uninstalling removes what installing wrote; nothing else is touched.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.api import CorralError

APP_DIR = Path(__file__).resolve().parents[1]
PLUGINS_DIR = APP_DIR.parent / "dcc_plugins"
API_PACKAGE = "corral_api"
# a line of a module that imports the API: the package goes beside that module
IMPORTS_API = re.compile(
    rf"^[ \t]*(?:from[ \t]+\.?{API_PACKAGE}\b|import[ \t]+{API_PACKAGE}\b)", re.M
)
_VERSION = re.compile(r"(\d+)\.(\d+)$")
_HOOK_MARK = "  # added by corral plugins install"
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def _home() -> Path:
    return Path.home()


def _documents() -> Path:
    return _home() / "Documents"


def _newest_version(folder: Path, prefix: str) -> Path:
    """The subfolder ``<prefix>X.Y`` of folder with the highest version."""
    found = []
    if folder.is_dir():
        for child in folder.iterdir():
            match = _VERSION.search(child.name)
            if child.is_dir() and match and child.name == prefix + match.group(0):
                found.append(((int(match.group(1)), int(match.group(2))), child))
    if not found:
        raise CorralError(
            f"no {prefix or 'version '}X.Y folder in {folder}: start the application once,"
            " or give --dest DIR"
        )
    return max(found)[1]


def _blender() -> Path:
    if os.environ.get("BLENDER_USER_EXTENSIONS"):
        return Path(os.environ["BLENDER_USER_EXTENSIONS"], "user_default")
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or _home(), "Blender Foundation", "Blender")
    elif sys.platform == "darwin":
        base = _home() / "Library" / "Application Support" / "Blender"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or _home() / ".config", "blender")
    return _newest_version(base, "") / "extensions" / "user_default"


def _maya() -> Path:
    if os.environ.get("MAYA_APP_DIR"):
        return Path(os.environ["MAYA_APP_DIR"], "modules")
    if sys.platform == "win32":
        return _documents() / "maya" / "modules"
    if sys.platform == "darwin":
        return _home() / "Library" / "Preferences" / "Autodesk" / "maya" / "modules"
    return _home() / "maya" / "modules"


def _nuke() -> Path:
    return _home() / ".nuke"


def _houdini() -> Path:
    if os.environ.get("HOUDINI_USER_PREF_DIR"):
        return Path(os.environ["HOUDINI_USER_PREF_DIR"], "packages")
    if sys.platform == "win32":
        return _newest_version(_documents(), "houdini") / "packages"
    if sys.platform == "darwin":
        base = _home() / "Library" / "Preferences" / "houdini"
        return _newest_version(base, "") / "packages"
    return _newest_version(_home(), "houdini") / "packages"


@dataclass(frozen=True)
class Application:
    """A DCC: where its plugins go by default, and how ours goes there."""

    name: str
    default_dest: Callable[[], Path]
    subfolder: str = ""  # "": the plugin's entries go straight into the destination
    hook: str = ""  # a file of the destination that must name the subfolder, and its line

    @property
    def source(self) -> Path:
        return PLUGINS_DIR / self.name

    def entries(self) -> list[str]:
        """The names this plugin takes in its destination."""
        if self.subfolder:
            return [self.subfolder]
        if not self.source.is_dir():
            raise CorralError(f"no plugin folder {self.source} (install Corral from its sources)")
        return sorted(p.name for p in self.source.iterdir() if p.name != "__pycache__")

    def hook_line(self, dest: Path) -> str:
        return f"nuke.pluginAddPath({str(dest / self.subfolder)!r}){_HOOK_MARK}"


APPLICATIONS = {
    app.name: app
    for app in (
        Application("blender", _blender),
        Application("maya", _maya),
        Application("nuke", _nuke, subfolder="corral", hook="init.py"),
        Application("houdini", _houdini),
    )
}


def api_modules() -> list[Path]:
    """app/api.py and the modules of app it imports (relatively), and theirs, in order."""
    todo, found = ["api"], []
    while todo:
        path = APP_DIR / f"{todo.pop(0)}.py"
        if path in found:
            continue
        found.append(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                todo.append(node.module)
    return found


def _write_api(folder: Path) -> None:
    package = folder / API_PACKAGE
    if package.exists():
        shutil.rmtree(package)
    package.mkdir()
    (package / "__init__.py").write_text(
        '"""The Corral client API (app/api.py), put here by `corral plugins install`."""\n',
        encoding="utf-8",
    )
    for module in api_modules():
        shutil.copyfile(module, package / module.name)


def _api_folders(root: Path) -> list[Path]:
    """The folders under root holding a module that imports the API."""
    paths = [root] if root.is_file() else root.rglob("*.py")
    folders = {
        path.parent
        for path in paths
        if path.suffix == ".py" and IMPORTS_API.search(path.read_text(encoding="utf-8"))
    }
    return sorted(folders)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def install(app: Application, dest: Path) -> list[Path]:
    """Copy the plugin and the API into dest (made if missing), replacing an earlier install;
    return the paths written."""
    if not app.source.is_dir():
        raise CorralError(f"no plugin folder {app.source} (install Corral from its sources)")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in app.entries():
        source = app.source if app.subfolder else app.source / name
        target = dest / name
        if target.exists() or target.is_symlink():
            _remove(target)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_COPY_IGNORE)
        else:
            shutil.copyfile(source, target)
        written.append(target)
        for folder in _api_folders(target):
            _write_api(folder)
            written.append(folder / API_PACKAGE)
    if app.hook:
        written.append(_add_hook(app, dest))
    return written


def _add_hook(app: Application, dest: Path) -> Path:
    hook = dest / app.hook
    lines = _hook_lines_kept(hook)
    lines.append(app.hook_line(dest))
    hook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return hook


def _hook_lines_kept(hook: Path) -> list[str]:
    """The lines of a hook file that are not ours."""
    if not hook.is_file():
        return []
    return [
        line for line in hook.read_text(encoding="utf-8").splitlines() if _HOOK_MARK not in line
    ]


def installed(app: Application, dest: Path) -> list[Path]:
    """The paths of this plugin present in dest."""
    found = [dest / name for name in app.entries() if (dest / name).exists()]
    hook = dest / app.hook
    if app.hook and hook.is_file() and _HOOK_MARK in hook.read_text(encoding="utf-8"):
        found.append(hook)
    return found


def uninstall(app: Application, dest: Path) -> list[Path]:
    """Remove what :func:`install` wrote in dest; return the paths removed (or changed: the
    hook file keeps its other lines)."""
    removed = []
    for path in installed(app, dest):
        if app.hook and path == dest / app.hook:
            kept = _hook_lines_kept(path)
            if any(line.strip() for line in kept):
                path.write_text("\n".join(kept) + "\n", encoding="utf-8")
            else:
                path.unlink()
        else:
            if path.is_file() and _api_folders(path) and (dest / API_PACKAGE).exists():
                _remove(dest / API_PACKAGE)  # the API beside a module at the top of dest
            _remove(path)
        removed.append(path)
    return removed
