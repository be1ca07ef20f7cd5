"""Render client settings, filled from the command line."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from app.core.path_maps import PathMap
from app.protocol import NIMBY_STATES

ON_EXIT = ("finish", "return", "kill")


@dataclass
class RenderConfig:
    """Which server to join, how much work to take and how to treat task processes."""

    server_url: str  # e.g. "http://127.0.0.1:51000"
    name: str = field(default_factory=socket.gethostname)
    max_tasks: int | None = None  # tasks running at once; None: the render's pool decides
    capacity: int | None = None  # the server fits tasks into it; None: the pool decides
    heartbeat_period: float = 5.0  # seconds; the server may override it in `registered`
    stop_grace: float = 10.0  # seconds between TERM and KILL
    output_limit: int = 1_000_000  # bytes of output kept per task (head and tail)
    backoff_min: float = 0.2  # first reconnect delay, doubled on every failure
    backoff_max: float = 10.0
    tmp_dir: Path | None = None  # parent of per-task temporary directories; None: system default
    wol_target: str = "255.255.255.255:9"  # where this render sends magic packets for others
    sleep_command: str | None = None  # run when the server puts this host to sleep
    path_map: PathMap | None = None  # server-side paths in tasks -> this host's paths
    plugins_dir: Path | None = None  # *.py meters, parsers and services of the studio
    programs: dict[str, str] = field(default_factory=dict)  # "blender" -> this host's command
    nimby: str | None = None  # start flag: "nimby", "NIMBY" or "free"; None: as the server has it
    paused: bool | None = None  # start flag: paused; None: as the server has it
    exit_no_task: float | None = None  # exit by itself after this long without a task
    on_exit: str = "return"  # on SIGTERM/SIGINT: "finish", "return" or "kill" the running tasks
    farm_secret: str | None = field(default=None, repr=False)  # to join before it has a token
    token_file: Path | None = None  # where it keeps its render token; None: in memory only
    ca_file: Path | None = None  # verify an https server against this CA (PEM); None: the system's
    verify: ssl.SSLContext | bool = field(default=True, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if urlsplit(self.server_url).scheme not in ("http", "https"):
            raise ValueError(
                f"server_url must start with http:// or https://, not {self.server_url!r}"
            )
        if self.max_tasks is not None and self.max_tasks < 1:
            raise ValueError(f"max_tasks must be >= 1, not {self.max_tasks}")
        if self.capacity is not None and self.capacity < 1:
            raise ValueError(f"capacity must be >= 1, not {self.capacity}")
        for name in ("heartbeat_period", "backoff_min"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        for name in ("stop_grace", "output_limit"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.nimby is not None and self.nimby not in NIMBY_STATES:
            raise ValueError(f"nimby must be one of {', '.join(NIMBY_STATES)}, not {self.nimby!r}")
        if self.exit_no_task is not None and self.exit_no_task <= 0:
            raise ValueError("exit_no_task must be > 0")
        if self.on_exit not in ON_EXIT:
            raise ValueError(f"on_exit must be one of {', '.join(ON_EXIT)}, not {self.on_exit!r}")
        if self.backoff_max < self.backoff_min:
            raise ValueError("backoff_max must be >= backoff_min")
        if self.tmp_dir is not None:
            self.tmp_dir = Path(self.tmp_dir)
        if self.plugins_dir is not None:
            self.plugins_dir = Path(self.plugins_dir)
        if self.token_file is not None:
            self.token_file = Path(self.token_file)
        if self.ca_file is not None:
            self.ca_file = Path(self.ca_file)
            try:
                self.verify = ssl.create_default_context(cafile=self.ca_file)
            except (ssl.SSLError, OSError) as exc:
                raise ValueError(f"ca_file: cannot use {self.ca_file}: {exc}") from None
        for name, command in self.programs.items():
            if not name or not command.strip() or any(c in name for c in "/\\ "):
                raise ValueError(f"programs: {name!r}={command!r} needs NAME=COMMAND")

    @property
    def ws_url(self) -> str:
        """The render WebSocket address on the server."""
        return self.server_url.rstrip("/") + "/api/v1/render/ws"

    @property
    def start_state(self) -> dict[str, object]:
        """The start flags the render sends in its first `register` (empty: none)."""
        state: dict[str, object] = {}
        if self.nimby is not None:
            state["nimby"] = self.nimby
        if self.paused is not None:
            state["paused"] = self.paused
        return state
