"""Loading plugin classes: from entry points of installed packages and from `*.py` files.

Meters, parsers and services are all found the same way; whatever goes wrong with one plugin
(it does not import, it defines nothing usable) is logged and that plugin is skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger("corral.plugins")


def entry_point_objects(group: str) -> Iterator[tuple[Any, str]]:
    """(object, source) for every entry point of `group` that loads, sorted by entry point name;
    source reads "entry point NAME (module:attr) from DISTRIBUTION"."""
    try:
        points = sorted(entry_points(group=group), key=lambda point: point.name)
    except Exception as error:  # broken metadata of some installed distribution
        log.warning("cannot list %s entry points: %s", group, error)
        return
    for point in points:
        dist = getattr(point, "dist", None)
        where = f"entry point {point.name} ({point.value})"
        if dist is not None:
            where += f" from {dist.name}"
        try:
            obj = point.load()
        except Exception as error:
            log.warning(
                "%s plugin %s does not load: %s: %s; skipped",
                group,
                where,
                type(error).__name__,
                error,
            )
            continue
        yield obj, where


def directory_classes(
    directory: str | Path, prefix: str, wanted: Callable[[object], bool]
) -> Iterator[tuple[type, str]]:
    """(class, source) for every class a `*.py` file of directory defines (files in name order,
    each imported by path under the module name prefix) for which wanted(class) is true."""
    directory = Path(directory)
    if not directory.is_dir():
        log.warning("plugins directory %s does not exist; no %s plugins loaded", directory, prefix)
        return
    for path in sorted(directory.glob("*.py")):
        module = import_file(path, prefix)
        if module is None:
            continue
        classes = [cls for cls in module_classes(module) if wanted(cls)]
        if not classes:
            log.debug("plugin file %s defines no %s class", path, prefix)
        for cls in classes:
            yield cls, str(path)


def module_classes(module: ModuleType) -> list[type]:
    """The classes a module defines itself (not those it imports)."""
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and getattr(obj, "__module__", None) == module.__name__
    ]


def import_file(path: Path, prefix: str) -> ModuleType | None:
    """The module of a plugin file, or None (logged) when it does not import."""
    name = f"{prefix}.{path.stem}_{abs(hash(str(path.resolve()))):x}"
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError("not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pickling look their module up
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        log.warning("plugin %s does not import: %s: %s; skipped", path, type(error).__name__, error)
        return None
    return module


class Registry:
    """Named plugin classes of one kind: the built-ins (every module of a package), then entry
    points, then files of a plugins directory; a later one of the same name replaces an earlier
    one (a studio's own `nuke` parser wins over Corral's). A class registers under its own
    `name` attribute (set in its class body), and its `aliases` if it has them, and must
    subclass `base`."""

    def __init__(self, kind: str, package: str, group: str, base: type) -> None:
        self.kind = kind
        self.package = package
        self.group = group
        self.base = base
        self._classes: dict[str, tuple[type, str]] = {}
        self._loaded = False
        self._warned: set[str] = set()  # unknown names already logged

    def load(self, plugins_dir: str | Path | None = None) -> None:
        """(Re)load every source; plugins_dir adds the classes of its `*.py` files."""
        self._classes = {}
        for module in _package_modules(self.package):
            for cls in module_classes(module):
                self._add(cls, "built-in")
        for obj, where in entry_point_objects(self.group):
            self._add(obj, where, explicit=True)
        if plugins_dir is not None:
            for cls, path in directory_classes(
                plugins_dir, f"corral_{self.kind}_plugins", self._wanted
            ):
                self._add(cls, path)
        self._loaded = True

    def get(self, name: str) -> type | None:
        """The class of a name, or None."""
        if not self._loaded:
            self.load()
        found = self._classes.get(name)
        return found[0] if found else None

    def get_or(self, name: str, fallback: type) -> type:
        """The class of a name, or fallback with a warning (once per unknown name)."""
        found = self.get(name)
        if found is None:
            if name not in self._warned:
                self._warned.add(name)
                log.warning("unknown %s %r: using the generic %s", self.kind, name, self.kind)
            return fallback
        return found

    def items(self) -> list[tuple[str, type, str]]:
        """(name, class, source) sorted by name."""
        if not self._loaded:
            self.load()
        return [(name, cls, where) for name, (cls, where) in sorted(self._classes.items())]

    def _wanted(self, obj: object) -> bool:
        return (
            isinstance(obj, type)
            and issubclass(obj, self.base)
            and isinstance(obj.__dict__.get("name"), str)
        )

    def _add(self, obj: object, where: str, explicit: bool = False) -> None:
        if not self._wanted(obj):
            if explicit:
                log.warning(
                    "%s plugin %s is not a %s subclass with its own name; skipped",
                    self.kind,
                    where,
                    self.base.__name__,
                )
            return
        assert isinstance(obj, type)
        for name in (obj.__dict__["name"], *obj.__dict__.get("aliases", ())):
            if name in self._classes and self._classes[name][0] is not obj:
                log.info(
                    "%s %r from %s replaces the one from %s",
                    self.kind,
                    name,
                    where,
                    self._classes[name][1],
                )
            self._classes[name] = (obj, where)


def _package_modules(package: str) -> Iterator[ModuleType]:
    """Every module of a package, imported (a built-in that fails to import is logged)."""
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        try:
            yield importlib.import_module(f"{package}.{info.name}")
        except Exception as error:
            log.error("built-in module %s.%s does not import: %s", package, info.name, error)
