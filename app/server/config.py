"""Server settings, filled from the command line (some change at run time:
app/server/server_settings.py)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from app.core.quotas import QuotaDefaults


@dataclass
class ServerConfig:
    """Where the server listens and keeps its data, and its timing rules."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 51000
    db_url: str | None = None  # None: SQLite file in data_dir
    farm_file: Path | None = None  # a JSON pools tree, reloaded when it changes
    heartbeat_period: float = 5.0  # the root pool's: seconds between render heartbeats
    zombie_time: float = 30.0  # the root pool's: a render silent this long is gone
    reconnect_grace: float = 10.0  # after a restart, wait this long for renders to re-register
    tls_cert: Path | None = None  # serve https with this certificate chain (PEM) ...
    tls_key: Path | None = None  # ... and its private key (PEM)
    quotas: QuotaDefaults = field(default_factory=QuotaDefaults)  # per user, unless set on one
    header_timeout: float = 15.0  # a connection's first request headers (and TLS handshake)
    idle_timeout: float = 75.0  # a keep-alive connection between requests
    plugins_dir: Path | None = None  # services of *.py files here may be named by jobs
    afanasy_port: int | None = None  # the Afanasy-compatible listener's port (None: none)
    afanasy_trust: tuple = ()  # networks (ipaddress) it answers beside loopback
    job_commands: bool = False  # run jobs' command_pre/command_post (app/server/job_commands.py)
    job_commands_timeout: float = 60.0  # seconds one of them may run
    # retention (persistence/retention.py): days a finished run's output files, and the run
    # itself, are kept (0: for ever); seconds between the sweeps that remove older ones
    outputs_days: float = 0.0
    runs_days: float = 0.0
    stats_days: float = 0.0  # days a run's and a deleted job's statistics rows are kept
    retention_period: float = 600.0
    farm_name: str = field(default_factory=socket.gethostname)  # announced to clients
    announce: bool | None = None  # on the local network (None: when listening beyond loopback)
    # store operations not yet committed at which no task starts (Farm.fill): what bounds
    # a result's wait for its acknowledgement when tasks end faster than the store commits
    journal_backlog: int = 1000

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        for name in ("port", "afanasy_port"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 65535:
                raise ValueError(f"{name} must be 0..65535, not {value}")
        if self.afanasy_port == self.port != 0:
            raise ValueError(f"--afanasy-port must differ from --port ({self.port})")
        if self.plugins_dir is not None and not Path(self.plugins_dir).is_dir():
            raise ValueError(f"--plugins: {self.plugins_dir} is not a directory")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
        for name in (
            "heartbeat_period",
            "zombie_time",
            "reconnect_grace",
            "outputs_days",
            "runs_days",
            "stats_days",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not self.farm_name.strip():
            raise ValueError("the farm name must not be empty")
        if self.journal_backlog < 1:
            raise ValueError("journal_backlog must be >= 1")
        for name in ("header_timeout", "idle_timeout", "retention_period", "job_commands_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0")

    @property
    def scheme(self) -> str:
        """How clients address the server: https with a certificate, else http."""
        return "https" if self.tls_cert is not None else "http"

    @property
    def database_url(self) -> str:
        """The peewee URL of the store: the given one, or SQLite under the data dir."""
        return self.db_url or f"sqlite:///{(self.data_dir / 'corral.db').resolve()}"
