"""What the monitor's user may do, as the server's access rules decide it (docs/protocol.md): a
job's actions are its owner's or an admin's; a render's nimby, NIMBY and free its owner's (the
workstation's user) or an admin's; every other render action, pools and users an admin's.

The monitor learns its user's name and role from `FarmClient.whoami`; until then (`Me()`)
everything is allowed and the server decides. Each check answers None (allowed) or the reason
a disabled action shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ADMIN = "admin"


@dataclass(frozen=True)
class Me:
    """The monitor's user; role "" while unknown."""

    name: str = ""
    role: str = ""

    @property
    def unrestricted(self) -> bool:
        """An admin, or a role not known yet (the server decides)."""
        return self.role in ("", ADMIN)

    def owner_reason(self, owners: Iterable[str], what: str = "jobs") -> str | None:
        """Why this user may not act on objects of these owners (None: they may)."""
        if self.unrestricted:
            return None
        others = sorted({owner for owner in owners if owner != self.name})
        if not others:
            return None
        return f"only their owner or an admin may change {what} of {', '.join(others)}"

    def admin_reason(self) -> str | None:
        """Why this user may not take an admin's action (None: they may)."""
        return None if self.unrestricted else "only an admin may do this"
