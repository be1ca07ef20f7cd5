"""Tokens: issue them, keep only their hashes, find whose a presented token is.

Tokens are random (256 bits from ``secrets``), so a single SHA-256 is the right hash: there is no
password to stretch. A ``TokenBook`` maps hashes to identities; the store keeps the same pairs
(``entries()`` out, ``add()`` back in) and never sees a token itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator

from app.server.auth.identity import Identity

TOKEN_PREFIX = "crl_"  # a person's or a render's token: recognisable in logs and secret scanners
FARM_SECRET_PREFIX = "crlfarm_"  # the farm secret renders join with
METRICS_TOKEN_PREFIX = "crlmetrics_"  # the read-only token Prometheus scrapes /metrics with


def new_token() -> str:
    """A fresh token for a person or a render."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_farm_secret() -> str:
    """A fresh farm secret."""
    return FARM_SECRET_PREFIX + secrets.token_urlsafe(32)


def new_metrics_token() -> str:
    """A fresh metrics token."""
    return METRICS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(given: str, expected: str) -> bool:
    """Whether ``given`` is ``expected`` (the farm secret), compared in constant time."""
    return hmac.compare_digest(token_hash(given), token_hash(expected))


class TokenBook:
    """Who holds which token, by token hash; one token per identity name.

    Lookup is a dict lookup on the presented token's hash: its timing can tell an attacker
    something about the SHA-256 of their own guess, never about a stored token.
    """

    def __init__(self) -> None:
        self._by_hash: dict[str, Identity] = {}
        self._hash_of: dict[str, str] = {}  # identity name -> its token's hash

    def __len__(self) -> int:
        return len(self._by_hash)

    def add(self, digest: str, identity: Identity) -> None:
        """Put back a stored hash (on restore), replacing that identity's previous token."""
        holder = self._by_hash.get(digest)
        if holder is not None and holder.name != identity.name:
            raise ValueError(f"token hash already held by {holder.name}")
        self.revoke(identity.name)
        self._by_hash[digest] = identity
        self._hash_of[identity.name] = digest

    def issue(self, identity: Identity) -> str:
        """A new token for ``identity``, returned once; its previous token stops working."""
        token = new_token()
        self.add(token_hash(token), identity)
        return token

    def revoke(self, name: str) -> bool:
        """Forget the token of the identity called ``name``; False if it had none."""
        digest = self._hash_of.pop(name, None)
        if digest is None:
            return False
        del self._by_hash[digest]
        return True

    def identity(self, name: str) -> Identity | None:
        """The identity called ``name``, if it has a token."""
        digest = self._hash_of.get(name)
        return None if digest is None else self._by_hash[digest]

    def lookup(self, token: str) -> Identity | None:
        """Whose token this is, or None."""
        return self._by_hash.get(token_hash(token))

    def entries(self) -> Iterator[tuple[str, Identity]]:
        """Every (hash, identity) pair, for the store."""
        return iter(self._by_hash.items())
