"""Empty working directories for tasks that have none of their own.

Every such task starts in an empty directory of its own. Making and removing a directory costs
a few hundred microseconds of file-system work on some disks (ext4 with `discard`: 0.3 ms), a
noticeable share of a short task, so a directory the task left empty is kept for the next one;
one with files in it is removed (in a thread).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

KEEP = 16  # empty directories kept for reuse


class TaskDirs:
    """A pool of empty task directories under `parent` (None: the system's temporary dir)."""

    def __init__(self, parent: Path | str | None = None) -> None:
        self.parent = parent
        self._free: list[str] = []

    def make_parent(self) -> None:
        """Create the parent (and its own parents) when missing, so that tasks can start; the
        OSError names it when it cannot be made."""
        if self.parent is None:
            return
        try:
            os.makedirs(self.parent, exist_ok=True)
        except OSError as exc:
            raise OSError(
                f"cannot create the tasks' temporary directory {self.parent}: {exc}"
            ) from exc

    def take(self) -> str:
        """An empty directory, the task's alone until `give_back`."""
        while self._free:
            path = self._free.pop()
            if os.path.isdir(path):  # a tidy-up of the temporary dir may have removed it
                return path
        return tempfile.mkdtemp(prefix="corral-task-", dir=self.parent)

    async def give_back(self, path: str) -> None:
        """The task ended: keep its directory when it is empty, else remove it."""
        try:
            with os.scandir(path) as entries:
                empty = next(entries, None) is None
        except OSError:
            return
        if empty and len(self._free) < KEEP:
            self._free.append(path)
        elif empty:
            os.rmdir(path)
        else:
            await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)

    def close(self) -> None:
        """Remove the kept directories."""
        for path in self._free:
            shutil.rmtree(path, ignore_errors=True)
        self._free.clear()
