"""The Corral client API: build jobs, submit them and query the farm from any Python.

Standard library only, and compatible with Python 3.7+: this module runs inside Maya, Nuke,
Houdini and Blender, whose Python may be old and has no third-party packages. Keep it that way:
no ``match``, no ``X | Y`` outside annotations, no walrus, no stdlib newer than 3.7
(``shlex.join``, ``str.removeprefix``...). tests/unit/test_cli_args.py checks this. It imports
its two siblings relatively (``.protocol``, ``.credentials``), so the three modules work as the
package ``app`` here and as the package ``corral_api`` that ``corral plugins install`` puts
beside each DCC plugin module that imports it (``from corral_api import api``, or from a
package's own ``corral_api``: ``from .corral_api import api``).

Building a job: :class:`Job`, :class:`Block` and :class:`Task` hold only the keys of the job
model (``JOB_KEYS``, ``BLOCK_KEYS``, ``TASK_KEYS`` of app/protocol.py, the tables the server
reads too), as keywords or with ``set(key, value)``; a key of the wrong kind or one the model
does not have raises :class:`CorralError` at once::

    from app.api import Block, Client, Job

    job = Job("shot010", priority=80, depend_mask="shot009", offline=False)
    render = job.add_block(Block("beauty", "blender", command="blender -b s.blend -f @#@"))
    render.frames(1, 100, per_task=5).set("capacity", 500)
    movie = job.add_block(Block("movie", "ffmpeg", tasks_depend_mask="beauty"))
    movie.add_task("mp4", "ffmpeg -i f.%04d.png out.mp4")

    client = Client()           # $CORRAL_SERVER or http://127.0.0.1:51000; the token passed
                                # in, else $CORRAL_TOKEN, else the keyring (app/credentials.py)
    job_id = client.submit(job) # or a dict; CorralError with the server's own message
    print(client.job(job_id)["state"])

:func:`check_job` checks a job (builder or dict) before sending: kinds and required keys, with
the error the server would give (status 400, ``field`` its path); :meth:`Client.submit` calls
it. :func:`numeric_job` and :func:`tasks_job` make one-block job dicts in one call. The other
methods of :class:`Client` query (jobs, tasks, output, renders, users, pools) and act (job,
task and render actions, edits); each raises :class:`CorralError` with the server's message.
"""

from __future__ import annotations

import copy
import difflib
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

from .credentials import TOKEN_ENV, CredentialsError, find_token
from .protocol import (
    BLOCK_KEYS,
    BLOCKS,
    BOOLEAN,
    INTEGER,
    INTEGER_LIST,
    INTEGER_MAP,
    JOB_ACTIONS,
    JOB_KEYS,
    RENDER_ACTIONS,
    TASK_ACTIONS,
    TASK_KEYS,
    TASKS,
    TEXT,
    TEXT_LIST,
    TEXT_MAP,
    TEXT_OR_NULL,
    type_name,
)

DEFAULT_SERVER = "http://127.0.0.1:51000"
SERVER_ENV = "CORRAL_SERVER"  # the server URL when none is given
log = logging.getLogger("corral.api")
__all__ = [
    "DEFAULT_SERVER",
    "JOB_ACTIONS",
    "TASK_ACTIONS",
    "RENDER_ACTIONS",
    "Block",
    "Client",
    "CorralError",
    "Job",
    "Task",
    "check_job",
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
    return os.environ.get(SERVER_ENV) or DEFAULT_SERVER


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
                f"cannot reach the Corral server at {self.server}: {_reason(exc)} (is it "
                f"running there? give its URL with --server or ${SERVER_ENV})"
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
        """``{"ok": true, "version": ..., "degraded": null, "time": ...}`` when the server is up;
        ``degraded`` says why it cannot store changes now, while it cannot (it refuses them with
        503); ``time`` is the server's clock (seconds since the epoch)."""
        return self.request("GET", "/health")

    def submit(self, job: Job | dict, strict: bool = False) -> int:
        """Submit a job (a :class:`Job`, or a dict as :func:`numeric_job` makes); return its id.
        The job is checked first (:func:`check_job`); the server's warnings (keys it does not
        know, probably misspelt) are logged; ``strict`` refuses the job for them instead."""
        answer = self.submit_job(job, strict)
        for warning in answer["warnings"]:
            log.warning("job %s: %s", answer["id"], warning)
        return answer["id"]

    def submit_job(self, job: Job | dict, strict: bool = False) -> dict:
        """Submit a job, checked first; return the server's answer
        ``{"id": N, "warnings": [text, ...]}``."""
        query = {"strict": "true"} if strict else None
        answer = self.request("POST", "/jobs", body=check_job(job), query=query)
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

    def services(self) -> list:
        """The names of the services a block may name on this server, sorted."""
        return self.request("GET", "/services")

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

    def stats(
        self,
        what: str,
        by: str | None = None,
        start: float | None = None,
        end: float | None = None,
        limit: int | None = None,
    ) -> dict:
        """Statistics of the runs that ended from ``start`` to ``end`` (seconds since the
        epoch; by default the last 7 days): ``what`` is over-time or breakdown (grouped ``by``
        user, project, department, service, host or pool), slowest (at most ``limit`` runs)
        or utilisation. The answer names its range (``from``, ``to``) and has its ``rows``."""
        given = {"by": by, "from": start, "to": end, "limit": limit}
        query = {key: value for key, value in given.items() if value is not None}
        return self.request("GET", "/stats/" + what, query=query or None)

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

    # -- the server itself -------------------------------------------------------------------

    def server_config(self) -> dict:
        """The server's runtime settings by name (admins only)."""
        return self.request("GET", "/server/config")

    def edit_server_config(self, settings: dict) -> dict:
        """Change runtime settings (admins only), stored for restarts; answers them all."""
        return self.request("PATCH", "/server/config", body=settings)

    def server_stats(self) -> dict:
        """Traffic since the server started: ``requests`` by route, ``messages_in`` and
        ``messages_out`` by peer and type, ``bytes_in``, ``bytes_out``, connected ``renders``
        and ``monitors``, ``decisions_per_second`` of the scheduler, and the ``data_disk``
        (``free_bytes``, ``total_bytes``) of the server's data folder."""
        return self.request("GET", "/server/stats")


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


# -- jobs ----------------------------------------------------------------------------------


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (service accounts, containers)
        return "unknown"


_ITEM_KIND = {TEXT_LIST: TEXT, INTEGER_LIST: INTEGER, TEXT_MAP: TEXT, INTEGER_MAP: INTEGER}


def _is_kind(value: object, kind: str) -> bool:
    """Whether a value is of a kind of app/protocol.py (containers: only the container)."""
    if kind == TEXT_OR_NULL:
        return value is None or isinstance(value, str)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (TEXT_MAP, INTEGER_MAP):
        return isinstance(value, dict)
    if kind in (TEXT_LIST, INTEGER_LIST, TASKS, BLOCKS):
        return isinstance(value, (list, tuple))
    return isinstance(value, {TEXT: str, BOOLEAN: bool}[kind])


def _check_value(value: object, kind: str, path: str) -> None:
    """CorralError (status 400, as the server answers) when a value is not of its kind."""
    if not _is_kind(value, kind):
        raise _refused(path, f"must be {kind}, not {type_name(value)}")
    item_kind = _ITEM_KIND.get(kind)
    if item_kind is None:
        return
    if isinstance(value, dict):
        items = [(f'{path}["{k}"]', v) for k, v in value.items()]
    else:
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    for item_path, item in items:
        if not _is_kind(item, item_kind):
            raise _refused(item_path, f"must be {item_kind}, not {type_name(item)}")


def _refused(path: str, message: str) -> CorralError:
    return CorralError(f"{path}: {message}" if path else message, status=400, field=path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_keys(doc: object, table: dict, path: str, required: tuple) -> dict:
    """A document's known keys checked for their kinds, and its required keys present."""
    if not isinstance(doc, dict):
        raise _refused(path, f"must be an object, not {type_name(doc)}")
    for key in required:
        if key not in doc:
            raise _refused(_join(path, key), "is required")
    for key, value in doc.items():
        if key in table:
            _check_value(value, table[key], _join(path, key))
    return doc


def _is_numeric(block: dict) -> bool:
    flags = block.get("flags", 0)  # Afanasy's form: bit 1 is numeric
    return block.get("numeric") is True or (isinstance(flags, int) and bool(flags & 1))


def check_job(job: Job | dict) -> dict:
    """The document of a job (a :class:`Job` or a dict), checked as far as the client can:
    every known key's kind, the required keys (``blocks``; a numeric block's ``command``, another
    block's ``tasks``; each task's ``command``). Raises the :class:`CorralError` the server would
    (status 400, ``field`` the path); ranges, masks and services are the server's to check, and
    keys the model does not have pass (the server names them in its warnings)."""
    doc = job.to_dict() if hasattr(job, "to_dict") else job  # a Job of any copy of this module
    if isinstance(doc, dict) and "job" in doc and "blocks" not in doc:  # Afanasy's wrapping
        return dict(doc, job=check_job(doc["job"]))
    _check_keys(doc, JOB_KEYS, "", ("blocks",))
    if not doc["blocks"]:
        raise _refused("blocks", "must not be empty")
    for b, block in enumerate(doc["blocks"]):
        path = f"blocks[{b}]"
        numeric = isinstance(block, dict) and _is_numeric(block)
        _check_keys(block, BLOCK_KEYS, path, ("command",) if numeric else ())
        if not numeric and not block.get("tasks"):
            message = "needs numeric frames (numeric: true, frame_first, frame_last) or tasks"
            raise _refused(path, message)
        for t, task in enumerate(block.get("tasks", ())):
            _check_keys(task, TASK_KEYS, f"{path}.tasks[{t}]", ("command",))
    return doc


class _Document:
    """A job, block or task being built: only the keys of its table in app/protocol.py, each
    checked for its kind when set."""

    _table = {}  # type: dict
    _lists = ()  # type: tuple  # keys built with add_*(), not set()

    def __init__(self, **keys: object):
        self._doc = {}  # type: dict
        for key, value in keys.items():
            self.set(key, value)

    def set(self, key: str, value: object):
        """Set one key; returns the builder, so calls chain. A key of another document, or
        a value of the wrong kind, raises CorralError."""
        kind = self._table.get(key)
        if kind is None or key in self._lists:
            raise CorralError(self._unknown(key), status=400, field=key)
        _check_value(value, kind, key)
        self._doc[key] = copy.deepcopy(value)
        return self

    def _unknown(self, key: str) -> str:
        kind = type(self).__name__.lower()
        if key in self._lists:
            return f"{kind} {key!r}: add them with add_{key[:-1]}()"
        message = f"{kind} has no key {key!r}"
        meant = difflib.get_close_matches(key, list(self._table), n=1)
        return message + (f" (did you mean {meant[0]!r}?)" if meant else "")

    def get(self, key: str, default: object = None) -> object:
        return self._doc.get(key, default)

    def to_dict(self) -> dict:
        """The document, as JSON values."""
        return copy.deepcopy(self._doc)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._doc!r})"


class Task(_Document):
    """A task of a block that lists its tasks: ``Task("left eye", "render -eye L")``."""

    _table = TASK_KEYS

    def __init__(self, name: str, command: str, **keys: object):
        super().__init__(name=name, command=command, **keys)


class Block(_Document):
    """A block: numeric (:meth:`frames`) or of listed tasks (:meth:`add_task`), run by a
    service (``blender``, ``maya``, ``nuke``, ``houdini``, ``ffmpeg``... or ``generic``)."""

    _table = BLOCK_KEYS
    _lists = ("tasks",)

    def __init__(self, name: str = "block", service: str = "generic", **keys: object):
        self._tasks = []  # type: list
        super().__init__(name=name, service=service, **keys)

    def frames(self, first: int, last: int, per_task: int = 1, inc: int = 1) -> Block:
        """Make the block numeric: frames ``first..last`` step ``inc``, ``per_task`` a task;
        its ``command`` takes each task's first and last frame for ``@#@`` (``@####@``
        padded)."""
        return (
            self.set("numeric", True)
            .set("frame_first", first)
            .set("frame_last", last)
            .set("frames_per_task", per_task)
            .set("frames_inc", inc)
        )

    def add_task(self, name: str, command: str, **keys: object) -> Task:
        """Append a task (keys: ``files``, ``environment``); returns it."""
        task = Task(name, command, **keys)
        self._tasks.append(task)
        return task

    def to_dict(self) -> dict:
        doc = super().to_dict()
        if self._tasks:
            doc["tasks"] = [task.to_dict() for task in self._tasks]
        return doc


class Job(_Document):
    """A job: its keys and its blocks. ``user_name`` defaults to the login name, ``host_name``
    to this machine's; ``offline=True`` submits it paused."""

    _table = JOB_KEYS
    _lists = ("blocks",)

    def __init__(self, name: str, **keys: object):
        self._blocks = []  # type: list
        defaults = {"user_name": _user(), "host_name": socket.gethostname()}
        defaults.update(keys)
        super().__init__(name=name, **defaults)

    def add_block(self, block: Block) -> Block:
        """Append a block; returns it."""
        if not isinstance(block, Block):
            raise TypeError(f"add_block takes a Block, not {type(block).__name__}")
        self._blocks.append(block)
        return block

    @property
    def blocks(self) -> list:
        return list(self._blocks)

    def to_dict(self) -> dict:
        doc = super().to_dict()
        doc["blocks"] = [block.to_dict() for block in self._blocks]
        return doc


def _one_block_job(
    name: str,
    block: Block,
    user_name: str | None,
    priority: int | None,
    paused: bool,
    block_extra: dict | None,
    extra: dict,
) -> dict:
    job = Job(name, **({"user_name": user_name} if user_name else {}))
    if priority is not None:
        job.set("priority", int(priority))
    if paused:
        job.set("offline", True)
    job.add_block(block)
    doc = job.to_dict()
    doc["blocks"][0].update(block_extra or {})
    doc.update(extra)
    return doc


def _plain_block(name: str, service: str, working_directory: str | None, **keys) -> Block:
    block = Block(name, service, **keys)
    if working_directory is not None:
        block.set("working_directory", str(working_directory))
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
    """A job document with one numeric block: frames ``first..last`` step ``inc``,
    ``per_task`` a task.

    ``command`` uses ``@#@`` (or ``@####@`` for padding) for the task's start and end frames.
    Keyword arguments in ``extra`` become job keys (``depend_mask``, ``max_running_tasks``...);
    ``block_extra`` is a dict of block keys (``parser``, ``capacity``, ``environment``...).
    Neither is checked here: :meth:`Client.submit` checks the document.
    """
    block = _plain_block(name, service, working_directory, command=command)
    block.frames(int(first), int(last), int(per_task), int(inc))
    return _one_block_job(name, block, user_name, priority, paused, block_extra, extra)


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
    """A job document with one block of listed tasks; ``commands`` is a list of (name,
    command). ``extra`` and ``block_extra`` work as in :func:`numeric_job`.
    """
    block = _plain_block(name, service, working_directory)
    for task_name, command in commands:
        block.add_task(str(task_name), command)
    return _one_block_job(name, block, user_name, priority, paused, block_extra, extra)
