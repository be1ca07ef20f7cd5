"""Errors raised by the pure domain logic."""

from __future__ import annotations


class SpecError(ValueError):
    """A job document (or part of one) is invalid.

    ``field`` is the path of the offending value inside the job object, for example
    ``blocks[0].frames_per_task``; it is ``""`` when the whole document is at fault.
    """

    def __init__(self, field: str, message: str) -> None:
        # Both go into args so the exception pickles and compares like any other.
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message
