"""The farm's tokens: the book every request is looked up in, each change stored.

People's and renders' tokens live in the store as hashes (app/server/persistence, table
``token_row``) and come back at start; the data folder's ``admin-token`` is added on every start
as the identity ``admin``, so it is neither stored nor issued again over the API.
"""

from __future__ import annotations

from app.server.auth.identity import ADMIN, Identity
from app.server.auth.tokens import TokenBook, token_hash
from app.server.persistence import Journal, records, restore_tokens

ADMIN_NAME = "admin"  # the holder of the data folder's admin-token


class IssuedTokens:
    """A TokenBook whose changes are committed to the store before they are answered."""

    def __init__(self, journal: Journal, admin_token: str) -> None:
        self.journal = journal
        self.book = TokenBook()
        self._admin_token = admin_token

    def restore(self) -> None:
        """Load the stored hashes (in the journal's thread or before it writes), then the
        admin token of the data folder."""
        restore_tokens(self.book)
        self.book.add(token_hash(self._admin_token), Identity(ADMIN_NAME, ADMIN))

    def lookup(self, token: str) -> Identity | None:
        return self.book.lookup(token)

    def identity(self, name: str) -> Identity | None:
        return self.book.identity(name)

    async def issue(self, identity: Identity) -> str:
        """A new token for ``identity``, once stored; the previous one stops working."""
        token = self.book.issue(identity)
        await self.journal.write(records.save_token(token_hash(token), identity))
        return token

    async def revoke(self, name: str) -> bool:
        """End the token of ``name``; False if it had none."""
        if not self.book.revoke(name):
            return False
        await self.journal.write(records.delete_token(name))
        return True
