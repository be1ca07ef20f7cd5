"""Keyring backends for tests: tokens in a dict, or a locked store.

They have no ``priority``, so keyring's own detection never picks them: a test sets one with
``keyring.set_keyring`` and puts the previous one back.
"""

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps passwords in a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    """A backend whose store is locked, like a Secret Service the user did not unlock."""

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("the collection is locked")
