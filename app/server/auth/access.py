"""Access rules by name, and the decision for one request: allow, 401 or 403.

Every route and socket names one rule. The decision is pure: it sees the rule, the identity the
request's token belongs to (None: no valid token) and, for ``owner``, the name of the person the
object belongs to: a job's user, or a render's owner (a workstation's user) for the render
actions its owner may take.
"""

from __future__ import annotations

from enum import IntEnum

from app.protocol import NIMBY_STATES
from app.server.auth.identity import ADMIN, RENDER, SCRAPER, USER, Identity

PUBLIC = "public"  # anyone, no token (GET /api/v1/health)
PERSON = "user"  # any person with a token: a user or an admin
OWNER = "owner"  # the person the object belongs to, or an admin
ADMIN_ONLY = "admin"  # admins only: render operations, pools, users, farm settings
RENDER_ONLY = "render"  # a render's own token or the farm secret: the render socket
SCRAPE = "scrape"  # a person's token or the read-only metrics token: GET /metrics
RULES = (PUBLIC, PERSON, OWNER, ADMIN_ONLY, RENDER_ONLY, SCRAPE)


class Verdict(IntEnum):
    """The outcome, valued as the HTTP status the refusal answers with."""

    ALLOW = 200
    UNAUTHENTICATED = 401
    FORBIDDEN = 403


def decide(rule: str, identity: Identity | None, owner: str | None = None) -> Verdict:
    """Whether ``identity`` may pass ``rule``; ``owner`` is the object's person, if any."""
    if rule == PUBLIC:
        return Verdict.ALLOW
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule!r}")
    if identity is None:
        return Verdict.UNAUTHENTICATED
    role = identity.role
    if rule == RENDER_ONLY:
        allowed = role == RENDER
    elif rule == SCRAPE:
        allowed = role in (ADMIN, USER, SCRAPER)
    elif role == ADMIN:
        allowed = True
    elif rule == PERSON:
        allowed = role == USER
    elif rule == OWNER:
        allowed = role == USER and owner is not None and owner == identity.name
    else:
        allowed = False
    return Verdict.ALLOW if allowed else Verdict.FORBIDDEN


def render_action_rule(action: str) -> str:
    """The rule for a render action: its owner may set it nimby, NIMBY or free; else admins."""
    return OWNER if action in NIMBY_STATES else ADMIN_ONLY
