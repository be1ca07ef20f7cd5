"""Service names to classes: Corral's own, entry points `corral.services` and plugin files.

A studio adds a service without editing Corral in either of two ways:

- a package of its own that declares an entry point, in its pyproject.toml::

      [project.entry-points."corral.services"]
      studio_maya = "studio_farm.services:StudioMaya"

- a `*.py` file in the render's plugins directory (`corral render --plugins DIR`) that defines a
  `Service` subclass with its own `name`.

Parsers are found the same way (group `corral.parsers`, `Parser` subclasses). A plugin of the
same name as a built-in replaces it. `corral services` lists what is found and where from.
"""

from __future__ import annotations

from pathlib import Path

from app.plugins import Registry
from app.services.base import Service

ENTRY_POINT_GROUP = "corral.services"
SERVICES = Registry("service", "app.services", ENTRY_POINT_GROUP, Service)


def load_services(plugins_dir: str | Path | None = None) -> None:
    """Find the services again, adding those of a plugins directory."""
    SERVICES.load(plugins_dir)


def service_names() -> list[str]:
    """The names of the services found, sorted: what a block's ``service`` may be."""
    return [name for name, _, _ in SERVICES.items()]


def get_service(name: str) -> type[Service]:
    """The service class of a name; an unknown name gives the generic service with a warning
    (once per name): the command runs as it was submitted."""
    return SERVICES.get_or(name or "generic", Service)
