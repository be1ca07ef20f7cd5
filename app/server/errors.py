"""The error the farm raises for requests it refuses."""

from __future__ import annotations


class FarmError(Exception):
    """A request the farm refuses; status is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
