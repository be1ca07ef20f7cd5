"""Who a request is: a person (role ``user`` or ``admin``), a render (role ``render``) or the
metrics scraper (role ``scrape``, holding the data folder's ``metrics-token``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

USER, ADMIN, RENDER, SCRAPER = "user", "admin", "render", "scrape"
PERSON_ROLES = (USER, ADMIN)  # the roles `corral users add --role` accepts
RENDER_PREFIX = "render:"  # a render's identity is named render:HOSTNAME

# A person's name, as `corral users add` accepts it: lower case like a job's user_name (the spec
# lowers it), and no ":" so no one can be named render:HOST.
PERSON_NAME = re.compile(r"[a-z0-9_][a-z0-9_.@-]{0,63}")


@dataclass(frozen=True, slots=True)
class Identity:
    """The holder of a token: its name (a user name, or ``render:HOST``) and its role."""

    name: str
    role: str

    @property
    def render_name(self) -> str | None:
        """The render's host name for a render identity, else None."""
        return self.name[len(RENDER_PREFIX) :] if self.role == RENDER else None


def person(name: str, role: str = USER) -> Identity:
    """A person's identity; ValueError for a name or role a person cannot have."""
    if role not in PERSON_ROLES:
        raise ValueError(f"role must be one of {', '.join(PERSON_ROLES)}, not {role!r}")
    if not PERSON_NAME.fullmatch(name):
        raise ValueError(
            f"invalid user name {name!r}: 1-64 lower-case letters, digits, '_', '.', '@' or '-',"
            " not starting with '.', '@' or '-'"
        )
    return Identity(name, role)


def render(host: str) -> Identity:
    """A render's identity, issued at its first join with the farm secret."""
    if not host or not host.isprintable() or len(host) > 255:
        raise ValueError(f"invalid render name {host!r}")
    return Identity(RENDER_PREFIX + host, RENDER)
