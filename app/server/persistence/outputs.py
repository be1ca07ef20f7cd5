"""Stored task output: one gzip file per finished run and its JPEG thumbnail, under the data dir."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from app.protocol import RunKey


class OutputStore:
    """Finished output on disk, written by the journal thread before the run's row commits.

    A run with no output has no file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: RunKey) -> Path:
        job, block, task, run = key
        return self.root / str(job) / f"{block}-{task}-{run}.txt.gz"

    def write(self, key: RunKey, text: str) -> int:
        """Store a run's output atomically; returns its size in bytes (uncompressed)."""
        data = text.encode("utf-8", "replace")

        def compress(raw: BinaryIO) -> None:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                gz.write(data)

        _write_whole(self.path(key), compress)
        return len(data)

    def write_many(self, rows: list[dict]) -> None:
        """Store several runs' outputs (the journal's bulk writer for output files)."""
        for row in rows:
            self.write(row["key"], row["text"])

    def thumbnail_path(self, key: RunKey) -> Path:
        job, block, task, run = key
        return self.root / str(job) / f"{block}-{task}-{run}.jpg"

    def write_thumbnails(self, rows: list[dict]) -> None:
        """Store runs' JPEG thumbnails (the journal's bulk writer for them)."""
        for row in rows:
            _write_whole(
                self.thumbnail_path(row["key"]), lambda raw, data=row["data"]: raw.write(data)
            )

    def read_thumbnail(self, key: RunKey) -> bytes | None:
        try:
            return self.thumbnail_path(key).read_bytes()
        except FileNotFoundError:
            return None

    def read(self, key: RunKey) -> str | None:
        path = self.path(key)
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return None

    def delete_job(self, job: int) -> None:
        shutil.rmtree(self.root / str(job), ignore_errors=True)


def _write_whole(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a file whole or not at all: into a partial file renamed over path, the partial
    file removed if writing fails (a full disk keeps no half files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        with open(partial, "wb") as raw:
            write(raw)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
