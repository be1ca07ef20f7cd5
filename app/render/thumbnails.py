"""A small JPEG of a finished task's last output image, sent with its result."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app.services import Service

log = logging.getLogger(__name__)

MAX_THUMBNAIL = 64 * 1024  # bytes of JPEG; a bigger one is not sent
TIME_LIMIT = 16.0  # seconds the thumbnail command may take (Afanasy's af_task_post_limit_sec)


async def make_thumbnail(
    service: Service, reported: Sequence[str], tmp_dir: str | Path | None
) -> str | None:
    """Base64 JPEG of the last image the task wrote (the files its output reported, else the
    block's files), or None: no image, no tool, skip_thumbnails, or the tool failed."""
    images = [path for path in [*service.files(), *reported] if os.path.isfile(path)]
    if not images:
        return None
    with tempfile.TemporaryDirectory(prefix="corral-thumb-", dir=tmp_dir) as folder:
        target = os.path.join(folder, "thumbnail.jpg")
        command = service.thumbnail_command(images[-1], target)
        if command is None:
            return None
        try:
            proc = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
        except OSError as error:
            log.warning("thumbnail command %s cannot start: %s", command[0], error)
            return None
        try:
            _, err = await asyncio.wait_for(proc.communicate(), TIME_LIMIT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            log.warning("thumbnail of %s: took longer than %.0f s", images[-1], TIME_LIMIT)
            return None
        if proc.returncode != 0 or not os.path.isfile(target):
            log.warning(
                "thumbnail of %s failed: %s", images[-1], err.decode(errors="replace")[-300:]
            )
            return None
        data = Path(target).read_bytes()
    if len(data) > MAX_THUMBNAIL:
        return None
    return base64.b64encode(data).decode("ascii")
