"""The Corral client API: submit jobs and query the farm from any Python.

Standard library only, and compatible with Python 3.7+: this module is copied into (or imported
from) Maya, Nuke, Houdini and Blender, whose Python may be old and has no third-party packages.
Keep it that way: no ``match``, no ``X | Y`` outside annotations, no walrus, no stdlib newer
than 3.7 (``shlex.join``, ``str.removeprefix``...). tests/unit/test_cli_args.py checks this.

    from app.api import Client, numeric_job

    client = Client()                       # $CORRAL_SERVER or http://127.0.0.1:51000,
                                            # the token from $CORRAL_TOKEN or the keyring
    job = numeric_job("shot010", "blender -b scene.blend -f @#@", 1, 100, per_task=5)
    job_id = client.submit(job)
    print(client.job(job_id)["state"])
"""

from __future__ import annotations

import getpass
import http.client
import json
import logging
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

from app.credentials import TOKEN_ENV, CredentialsError, find_token
from app.protocol import JOB_ACTIONS, RENDER_ACTIONS, TASK_ACTIONS

DEFAULT_SERVER = "http://127.0.0.1:51000"
log = logging.getLogger("corral.api")
__all__ = [
    "DEFAULT_SERVER",
    "JOB_ACTIONS",
    "TASK_ACTIONS",
    "RENDER_ACTIONS",
    "Client",
    "CorralError",
    "default_server",
    "numeric_job",
    "tasks_job",
]


class CorralError(Exception):
    """A request failed.

    ``status`` is the HTTP status, or None when the server could not be reached at all;
    ``field`` is the path of the rejected value for validation errors
    (``blocks[0].frames_per_task``), else None.
    """

    def __init__(self, message: str, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field

    def __str__(self) -> str:
        return self.message

    def detail(self) -> str:
        """The message prefixed with the field path, unless the message already names it."""
        if self.field and self.field not in self.message:
            return f"{self.field}: {self.message}"
        return self.message


def default_server() -> str:
    """The server URL from ``$CORRAL_SERVER``, else the local default."""
    return os.environ.get("CORRAL_SERVER") or DEFAULT_SERVER


def _normalize_server(server: str) -> str:
    server = server.strip().rstrip("/")
    if "://" not in server:
        server = "http://" + server
    return server


def _reason(exc: BaseException) -> str:
    """A short human reason for a low-level network error."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason)
    return text or type(reason).__name__


class Client:
    """A connection to one Corral server over its REST API (``/api/v1``).

    Every method raises :class:`CorralError` on failure. System proxy settings are ignored:
    the farm server is on the local network. The token is ``token``, else ``$CORRAL_TOKEN``,
    else the one the OS keyring keeps for this server (app/credentials.py); an ``https`` server's
    certificate is verified, against ``ca_file`` (PEM) when given.
    """

    def __init__(
        self,
        server: str | None = None,
        timeout: float = 30,
        token: str | None = None,
        ca_file: str | None = None,
    ):
        self.server = _normalize_server(server or default_server())
        self.timeout = timeout
        try:
            self._token = find_token(self.server, token)
        except CredentialsError as exc:
            raise CorralError(str(exc)) from None
        handlers = [urllib.request.ProxyHandler({})]  # type: list
        if self.server.startswith("https://"):
            context = ssl.create_default_context(cafile=ca_file)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"Client({self.server!r})"

    # -- transport ---------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, body: object = None, query: dict | None = None
    ) -> bytes:
        """Send one request; return the body of a successful answer."""
        url = self.server + "/api/v1" + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = {"Accept": "application/json", "User-Agent": "corral-api"}
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return answer.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, self.server) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            raise CorralError(
                f"cannot reach the Corral server at {self.server}: {_reason(exc)}"
            ) from None

    @staticmethod
    def _http_error(exc: urllib.error.HTTPError, server: str) -> CorralError:
        try:
            raw = exc.read()
        except (OSError, http.client.HTTPException):
            raw = b""
        text = raw.decode("utf-8", "replace").strip()
        message, field = None, None
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("error"):
            message = str(payload["error"])
            if payload.get("field"):
                field = str(payload["field"])
        if not message:
            message = (
                f"HTTP {exc.code} {exc.reason} from {exc.geturl()}"
                " (not a Corral answer: is the server URL right?)"
            )
        if exc.code == 401:
            message += (
                f" (give the token for {server} with --token, or set {TOKEN_ENV};"
                " an admin makes one with `corral users add NAME`)"
            )
        return CorralError(message, status=exc.code, field=field)

    def request(self, method: str, path: str, body: object = None, query: dict | None = None):
        """Send one request to ``/api/v1`` + ``path`` and return its decoded JSON answer.

        For what the methods below do not cover: ``body`` is any JSON value, or bytes sent as
        they are (to test how the server takes a malformed body); ``query`` is a dict of query
        parameters. ``client.request("GET", "/openapi.json")`` reads the API's description.
        """
        raw = self._send(method, path, body=body, query=query)
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise CorralError(
                f"the server at {self.server} sent an answer that is not JSON"
            ) from None

    # -- the API -----------------------------------------------------------------------------

    def health(self) -> dict:
        """``{"ok": true, "version": ..., "degraded": null}`` when the server is up; ``degraded``
        says why it cannot store changes now, while it cannot (it refuses them with 503)."""
        return self.request("GET", "/health")

    def submit(self, job: dict, strict: bool = False) -> int:
        """Submit a job (a dict, see :func:`numeric_job`); return its id. The server's warnings
        (keys it does not know, probably misspelt) are logged; ``strict`` refuses the job for
        them instead."""
        answer = self.submit_job(job, strict)
        for warning in answer["warnings"]:
            log.warning("job %s: %s", answer["id"], warning)
        return answer["id"]

    def submit_job(self, job: dict, strict: bool = False) -> dict:
        """Submit a job; return the server's answer ``{"id": N, "warnings": [text, ...]}``."""
        query = {"strict": "true"} if strict else None
        answer = self.request("POST", "/jobs", body=job, query=query)
        try:
            return {"id": int(answer["id"]), "warnings": list(answer.get("warnings") or [])}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CorralError(f"the server did not return a job id: {answer!r}") from None

    def jobs(
        self, user: str | None = None, state: str | None = None, name: str | None = None
    ) -> list:
        """Summaries of all jobs, or of those of ``user``, whose state has the code ``state``
        (``RUN``, ``ERR``, ``OFF``...) and whose name contains a match of the regular
        expression ``name``."""
        filters = {"user": user, "state": state, "name": name}
        query = {key: value for key, value in filters.items() if value is not None}
        return self.request("GET", "/jobs", query=query or None)

    def job(self, job_id: int) -> dict:
        """One job's summary with its ``blocks``."""
        return self.request("GET", f"/jobs/{int(job_id)}")

    def job_spec(self, job_id: int) -> dict:
        """The job's full definition as now edited: every key, its blocks included."""
        return self.request("GET", f"/jobs/{int(job_id)}/spec")

    def append_blocks(self, job_id: int, blocks: list) -> list:
        """Append blocks (dicts, as in a job's ``blocks``) to a job; return their numbers."""
        answer = self.request("POST", f"/jobs/{int(job_id)}/blocks", body={"blocks": blocks})
        return answer["block_ids"]

    def append_tasks(self, job_id: int, block: int, tasks: list) -> list:
        """Append tasks (``{"name", "command"...}``) to a block that is not numeric; return
        their numbers."""
        path = f"/jobs/{int(job_id)}/blocks/{int(block)}/tasks"
        return self.request("POST", path, body={"tasks": tasks})["task_ids"]

    def job_action(self, job_id: int, action: str) -> dict:
        """Apply ``pause``, ``start``, ``stop``, ``restart``, ``restart-errors`` or ``delete``."""
        if action not in JOB_ACTIONS:
            raise ValueError(f"unknown job action {action!r}, expected one of {JOB_ACTIONS}")
        return self.request("POST", f"/jobs/{int(job_id)}/{action}")

    def delete_job(self, job_id: int) -> dict:
        """Delete a job (its running tasks are stopped)."""
        return self.request("DELETE", f"/jobs/{int(job_id)}")

    def tasks(self, job: int, block: int, offset: int = 0, limit: int = 100) -> dict:
        """One page of a block's tasks: ``{"total": N, "offset": O, "tasks": [...]}``."""
        path = f"/jobs/{int(job)}/blocks/{int(block)}/tasks"
        return self.request("GET", path, query={"offset": int(offset), "limit": int(limit)})

    def task(self, job: int, block: int, task: int) -> dict:
        """One task with its ``command``, ``working_directory``, ``environment`` and ``runs``."""
        path = f"/jobs/{int(job)}/blocks/{int(block)}/tasks/{int(task)}"
        return self.request("GET", path)

    def task_actions(self, job: int, block: int, action: str, tasks=None) -> dict:
        """Apply a task operation (TASK_ACTIONS) to some task numbers, or all (tasks=None)."""
        if action not in TASK_ACTIONS:
            raise ValueError(f"unknown task action {action!r}, expected one of {TASK_ACTIONS}")
        path = f"/jobs/{int(job)}/blocks/{int(block)}/tasks/{action}"
        body = {} if tasks is None else {"tasks": [int(t) for t in tasks]}
        return self.request("POST", path, body=body)

    def edit_job(self, job_id: int, params: dict, block=None) -> dict:
        """Change editable keys of a job, or of one of its blocks; returns the job."""
        path = f"/jobs/{int(job_id)}" + ("" if block is None else f"/blocks/{int(block)}")
        return self.request("PATCH", path, body=params)

    def move_job(self, job_id: int, to: str) -> dict:
        """Move a job ``up``, ``down``, to the ``top`` or ``bottom`` of its user's queue."""
        return self.request("POST", f"/jobs/{int(job_id)}/move", body={"to": to})

    def explain(self, job_id: int) -> dict:
        """Why the job runs or not: per online render, the first rule that stops it."""
        return self.request("GET", f"/jobs/{int(job_id)}/explain")

    def users(self) -> list:
        return self.request("GET", "/users")

    def whoami(self) -> dict:
        """Whom the token belongs to: ``{"name", "role"}``."""
        return self.request("GET", "/whoami")

    def add_user(self, name: str, role: str = "user") -> dict:
        """Give a person (role ``user`` or ``admin``) a token: ``{"name", "role", "token"}``,
        the token shown this once (admins only)."""
        return self.request("POST", "/users", body={"name": name, "role": role})

    def issue_token(self, name: str) -> dict:
        """A new token for a person, as :meth:`add_user` answers; the old one stops working."""
        return self.request("POST", _user_path(name) + "/token")

    def revoke_token(self, name: str) -> None:
        """End a person's token."""
        self.request("DELETE", _user_path(name) + "/token")

    def edit_user(self, name: str, params: dict) -> dict:
        return self.request("PATCH", _user_path(name), body=params)

    def render(self, name: str) -> dict:
        return self.request("GET", _render_path(name))

    def edit_render(self, name: str, params: dict) -> dict:
        return self.request("PATCH", _render_path(name), body=params)

    def render_action(self, name: str, action: str) -> dict:
        """Apply a render action (RENDER_ACTIONS): nimby, NIMBY, free, pause, eject, exit..."""
        if action not in RENDER_ACTIONS:
            raise ValueError(f"unknown render action {action!r}, expected one of {RENDER_ACTIONS}")
        return self.request("POST", _render_path(name) + "/" + action)

    def render_resources(self, name: str, since: float | None = None) -> list:
        """The render's heartbeat resources of the last hour, oldest first, each with its
        ``time``; with ``since`` (seconds since the epoch) only those newer than that."""
        path = _render_path(name) + "/resources"
        query = None if since is None else {"since": since}
        return self.request("GET", path, query=query)["samples"]

    def task_output(self, job: int, block: int, task: int, run: int) -> str:
        """The output text of one run of a task (live while it runs)."""
        raw = self._send("GET", _run_path(job, block, task, run) + "/output")
        return raw.decode("utf-8", "replace")

    def thumbnail(self, job: int, block: int, task: int, run: int) -> bytes:
        """The JPEG of a run's last output image (a CorralError of status 404 when it has
        none: the task reported no image)."""
        return self._send("GET", _run_path(job, block, task, run) + "/thumbnail")

    def renders(self) -> list:
        """All renders known to the server."""
        return self.request("GET", "/renders")

    # -- many jobs or renders at once --------------------------------------------------------

    def jobs_action(self, action: str, ids=None, mask: str | None = None) -> dict:
        """Apply one action to many jobs, chosen by ``ids`` or by ``mask`` (a regular
        expression matching whole job names). All ids must exist or nothing changes.
        Answers ``{"ok": true, "jobs": [the ids acted on]}``."""
        if action not in JOB_ACTIONS:
            raise ValueError(f"unknown job action {action!r}, expected one of {JOB_ACTIONS}")
        body = _selection(action, "ids", ids, mask, int)
        return self.request("POST", "/jobs/actions", body=body)

    def renders_action(self, action: str, names=None, mask: str | None = None) -> dict:
        """Apply one render action (RENDER_ACTIONS) to many renders, chosen by ``names`` or by
        ``mask`` (a regular expression matching whole render names).
        Answers ``{"ok": true, "renders": [the names acted on]}``."""
        if action not in RENDER_ACTIONS:
            raise ValueError(f"unknown render action {action!r}, expected one of {RENDER_ACTIONS}")
        body = _selection(action, "names", names, mask, str)
        return self.request("POST", "/renders/actions", body=body)

    # -- pools -------------------------------------------------------------------------------

    def pools(self) -> dict:
        """The pools tree: ``{"pools": {path: own settings}, "effective": {path: settings with
        inheritance resolved, plus "renders"}, "tickets": usage}``."""
        return self.request("GET", "/pools")

    def add_pool(self, path: str, settings: dict | None = None) -> dict:
        """Add a pool (``/gpu/``; its parent must exist) with some settings (``pattern``,
        ``capacity_host``...). Answers the whole tree, as :meth:`pools`."""
        settings = dict(settings or {})
        if "path" in settings:
            raise ValueError("the pool's path is the path argument, not a setting")
        settings["path"] = path
        return self.request("POST", "/pools", body=settings)

    def edit_pool(self, path: str, settings: dict) -> dict:
        """Change some settings of a pool (-1 or empty: inherit). Answers the whole tree."""
        return self.request("PATCH", "/pools", body=settings, query={"path": path})

    def delete_pool(self, path: str) -> dict:
        """Remove a pool that has no child pools; its renders move to the pool that now
        matches them. Answers the whole tree."""
        return self.request("DELETE", "/pools", query={"path": path})


def _user_path(name: str) -> str:
    return "/users/" + urllib.parse.quote(name, safe="")


def _render_path(name: str) -> str:
    return "/renders/" + urllib.parse.quote(name, safe="")


def _run_path(job: int, block: int, task: int, run: int) -> str:
    return f"/jobs/{int(job)}/blocks/{int(block)}/tasks/{int(task)}/runs/{int(run)}"


def _selection(action: str, key: str, items, mask, kind) -> dict:
    """The body of a bulk action: the action and either the items or the mask."""
    if (items is None) == (mask is None):
        raise ValueError(f"give either {key} or a mask")
    if mask is not None:
        return {"action": action, "mask": str(mask)}
    return {"action": action, key: [kind(item) for item in items]}


# -- job builders ----------------------------------------------------------------------------


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (service accounts, containers)
        return "unknown"


def _job(
    name: str,
    block: dict,
    user_name: str | None,
    priority: int | None,
    paused: bool,
    extra: dict,
) -> dict:
    job = {
        "name": name,
        "user_name": user_name or _user(),
        "host_name": socket.gethostname(),
        "blocks": [block],
    }
    if priority is not None:
        job["priority"] = int(priority)
    if paused:
        job["offline"] = True
    job.update(extra)
    return job


def _block(name: str, service: str, working_directory: str | None) -> dict:
    block = {"name": name, "service": service}
    if working_directory is not None:
        block["working_directory"] = str(working_directory)
    return block


def numeric_job(
    name: str,
    command: str,
    first: int,
    last: int,
    per_task: int = 1,
    inc: int = 1,
    service: str = "generic",
    user_name: str | None = None,
    priority: int | None = None,
    working_directory: str | None = None,
    paused: bool = False,
    block_extra: dict | None = None,
    **extra: object,
) -> dict:
    """A job with one numeric block: frames ``first..last`` step ``inc``, ``per_task`` a task.

    ``command`` uses ``@#@`` (or ``@####@`` for padding) for the task's start and end frames.
    Keyword arguments in ``extra`` become job keys (``depend_mask``, ``max_running_tasks``...);
    ``block_extra`` is a dict of block keys (``parser``, ``capacity``, ``environment``...).
    """
    block = _block(name, service, working_directory)
    block.update(
        {
            "command": command,
            "numeric": True,
            "frame_first": int(first),
            "frame_last": int(last),
            "frames_per_task": int(per_task),
            "frames_inc": int(inc),
        }
    )
    if block_extra:
        block.update(block_extra)
    return _job(name, block, user_name, priority, paused, extra)


def tasks_job(
    name: str,
    commands: list[tuple[str, str]],
    service: str = "generic",
    user_name: str | None = None,
    priority: int | None = None,
    working_directory: str | None = None,
    paused: bool = False,
    block_extra: dict | None = None,
    **extra: object,
) -> dict:
    """A job with one block of explicit tasks; ``commands`` is a list of (name, command).

    ``extra`` and ``block_extra`` work as in :func:`numeric_job`.
    """
    block = _block(name, service, working_directory)
    block["tasks"] = [{"name": str(n), "command": c} for n, c in commands]
    if block_extra:
        block.update(block_extra)
    return _job(name, block, user_name, priority, paused, extra)
