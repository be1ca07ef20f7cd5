"""Job documents: parse and validate a submitted job into immutable specs.

The document is what ``json.loads`` produced, so any JSON value may arrive. Every problem
raises :class:`SpecError` naming the offending field (``blocks[0].frames_per_task``); no other
exception escapes :func:`parse_job`. Keys follow Afanasy;
unknown keys are kept verbatim in ``extra``, and :func:`unknown_keys` names those that are not
Afanasy's own either (likely misspellings). :func:`check_services` refuses a service the server
does not know.

Numeric blocks hold no per-task objects: task ranges, names, commands and files are computed
on demand from the block, so parsing a block of a million tasks costs nothing per task.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from app import protocol
from app.core import afanasy_keys, frames, key_docs
from app.core.errors import SpecError
from app.core.json_checks import (
    NAME_PATTERN,
    check_object,
    check_text,
    join_path,
    json_integer,
    key_path,
    type_name,
)
from app.core.masks import HostMask, name_regex

# Limits. Names are short identifiers shown in lists; other text may be long (commands).
MAX_NAME_LEN = 512
MAX_TEXT_LEN = 65536
MAX_BLOCKS = 1000
DEFAULT_CAPACITY = 1000  # a block's tasks' capacity unless it says (Afanasy's)
MAX_LISTED_TASKS = 100_000  # tasks of one non-numeric block
MAX_JOB_LISTED_TASKS = 1_000_000  # tasks of all non-numeric blocks of one job
MAX_NUMERIC_TASKS = 10_000_000  # tasks of one numeric block
MAX_JOB_TASKS = 20_000_000  # tasks of all blocks of one job (about 40 bytes each when run)
MAX_FRAME = 10**12
MAX_ENV_ENTRIES = 1000
MAX_FILES = 10_000
MAX_TASK_FILES = 10_000  # entries returned by BlockSpec.task_files
MAX_EXTRA_DEPTH = 64
_INT64_MAX = 2**63 - 1
_YEAR = 365 * 24 * 3600
_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z

DEFAULT_USER = "anonymous"
FLAG_NUMERIC = 1 << 0  # Afanasy block flags
FLAG_MULTIHOST = 1 << 2
FLAG_MASTER_ON_SLAVE = 1 << 3
FLAG_DEPEND_SUB_TASK = 1 << 4
FLAG_SKIP_THUMBNAILS = 1 << 5
FLAG_SKIP_EXISTING_FILES = 1 << 6
FLAG_CHECK_RENDERED_FILES = 1 << 7
FLAG_SUSPEND_NEW_TASKS = 1 << 10

# The plain integer keys of a job and of a block: (default, lowest, highest). The parser and the
# JSON schema (job_schema) both read them.
JOB_INTS = {
    "priority": (99, 0, 250),
    "max_running_tasks": (-1, -1, 1_000_000),
    "max_running_tasks_per_host": (-1, -1, 10_000),
    "time_wait": (0, 0, _MAX_EPOCH),
    "time_life": (0, -1, 100 * _YEAR),
}
MAX_MULTIHOST = 100  # hosts of one multihost task (Afanasy's limit)
BLOCK_INTS = {
    "capacity": (DEFAULT_CAPACITY, 1, 1_000_000),
    "max_running_tasks": (-1, -1, 1_000_000),
    "max_running_tasks_per_host": (-1, -1, 10_000),
    "errors_retries": (-1, -1, 1000),
    "task_max_run_time": (0, 0, 10 * _YEAR),
    "sequential": (1, -MAX_FRAME, MAX_FRAME),
    "need_memory": (-1, -1, 2**40),
    "need_hdd": (-1, -1, 2**40),
    "need_cpu_cores": (-1, -1, 1_000_000),
    "need_gpu_mem_mb": (-1, -1, 2**40),
    "need_cpu_freq_mgz": (-1, -1, 10**9),  # Afanasy's spelling: MHz
    "need_cpu_freq_cores": (-1, -1, 10**12),  # MHz times cores
    "capacity_coeff_min": (0, 0, 1_000_000),
    "capacity_coeff_max": (0, 0, 1_000_000),
    "errors_avoid_host": (-1, -1, 127),
    "errors_task_same_host": (-1, -1, 127),
    "errors_forgive_time": (-1, -1, 10 * _YEAR),
    "task_min_run_time": (0, 0, 10 * _YEAR),
    "task_progress_change_timeout": (-1, -1, 10 * _YEAR),
    "file_size_min": (-1, -1, _INT64_MAX),
    "file_size_max": (-1, -1, _INT64_MAX),
    "parser_coeff": (1, 1, 1000),
    "multihost_min": (0, 0, MAX_MULTIHOST),
    "multihost_max": (0, 0, MAX_MULTIHOST),
    "multihost_max_wait": (0, 0, 65535),
    "multihost_service_wait": (0, 0, 65535),
}
# A block's frame range; frames_per_task is checked against the range (_parse_frames).
FRAME_INTS = {
    "frame_first": (0, -MAX_FRAME, MAX_FRAME),
    "frame_last": (0, -MAX_FRAME, MAX_FRAME),
    "frames_inc": (1, 1, MAX_FRAME),
}
MAX_FRAMES_PER_TASK = 2 * MAX_FRAME + 1

# Services and parsers name Python modules: no path separators or dots.
_PLUGIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}")

_MISSING: Any = object()


# --------------------------------------------------------------------------------------------
# Specs


@dataclass(frozen=True)
class TaskSpec:
    """One task of a non-numeric block."""

    name: str
    command: str
    files: tuple[str, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BlockSpec:
    """A block: numeric (tasks generated from a frame range) or a list of tasks."""

    name: str = "block"
    service: str = "generic"
    parser: str = ""  # "" = the service's default parser
    command: str = ""
    working_directory: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    numeric: bool = False
    frame_first: int = 0
    frame_last: int = 0
    frames_per_task: int = 1
    frames_inc: int = 1
    tasks: tuple[TaskSpec, ...] = ()  # non-numeric only
    tasks_name: str = ""
    capacity: int = DEFAULT_CAPACITY
    max_running_tasks: int = -1  # -1 unlimited, 0 = the block does not run
    max_running_tasks_per_host: int = -1
    errors_retries: int = -1  # -1 = farm default
    task_max_run_time: int = 0  # seconds, 0 = unlimited
    sequential: int = 1
    depend_mask: str = ""
    tasks_depend_mask: str = ""
    depend_sub_task: bool = False
    hosts_mask: str = ""
    hosts_mask_exclude: str = ""
    need_properties: str = ""
    need_memory: int = -1  # free MB
    need_hdd: int = -1  # free GB
    need_cpu_cores: int = -1
    need_gpu_mem_mb: int = -1
    need_cpu_freq_mgz: int = -1  # the render's CPU MHz
    need_cpu_freq_cores: int = -1  # the render's CPU MHz times its cores
    capacity_coeff_min: int = 0  # either > 0: variable capacity
    capacity_coeff_max: int = 0  # 0 = no upper bound
    tickets: dict[str, int] = field(default_factory=dict)
    errors_avoid_host: int = -1  # -1 = the user's value
    errors_task_same_host: int = -1
    errors_forgive_time: int = -1
    task_min_run_time: int = 0
    task_progress_change_timeout: int = -1
    skip_existing_files: bool = False  # the render skips a task whose files all exist
    check_rendered_files: bool = False  # a task whose files are missing after it ran failed
    skip_thumbnails: bool = False  # no thumbnail of the task's output images
    suspend_new_tasks: bool = False  # tasks appended to the block arrive suspended
    file_size_min: int = -1  # bytes, -1 = off: the size range files must be in for the above
    file_size_max: int = -1
    parser_coeff: int = 1  # the renderer goes through each frame this many times (passes)
    command_pre: str = ""  # run by the server at submit, command_post after deletion
    command_post: str = ""  # (only with --job-commands: app/server/job_commands.py)
    # one task on several renders at once (app/core/multihost.py): it reserves between min
    # and max hosts (@AF_HOSTS@), each running the service command, then starts the master
    multihost: bool = False
    multihost_min: int = 0
    multihost_max: int = 0
    multihost_max_wait: int = 0  # seconds a reservation waits for max hosts
    multihost_service: str = ""
    multihost_service_wait: int = 0  # seconds from the hosts' service to the master's start
    multihost_master_on_slave: bool = False  # the master's render is one of the hosts
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def variable_capacity(self) -> bool:
        return self.capacity_coeff_min > 0 or self.capacity_coeff_max > 0

    @property
    def tasks_num(self) -> int:
        if self.numeric:
            return frames.numeric_task_count(
                self.frame_first, self.frame_last, self.frames_per_task, self.frames_inc
            )
        return len(self.tasks)

    def _check_task(self, n: int) -> None:
        if not 0 <= n < self.tasks_num:
            raise IndexError(f"task {n} out of range (block has {self.tasks_num} tasks)")

    def task_frames(self, n: int) -> tuple[int, int]:
        """(start, end) frames of task n; a non-numeric task uses its index as frame."""
        if self.numeric:
            return frames.task_frames(
                self.frame_first, self.frame_last, self.frames_per_task, self.frames_inc, n
            )
        self._check_task(n)
        return n, n

    def task_name(self, n: int) -> str:
        if self.numeric:
            start, end = self.task_frames(n)
            if self.tasks_name:
                return frames.fill_numbers(self.tasks_name, (start, end))
            name = f"frame {start}" if start == end else f"frame {start}-{end}"
            if self.frames_inc > 1:
                name += f" / {self.frames_inc}"
            return name
        self._check_task(n)
        task = self.tasks[n]
        if self.tasks_name:
            return self.tasks_name.replace("@#@", task.name)
        return task.name

    def task_command(self, n: int) -> str:
        if self.numeric:
            return frames.fill_numbers(self.command, self.task_frames(n))
        self._check_task(n)
        task_cmd = self.tasks[n].command
        if not self.command:
            return task_cmd
        if "@#@" in self.command:
            return self.command.replace("@#@", task_cmd)
        return self.command + task_cmd  # joined as is, as Afanasy joins them

    def task_environment(self, n: int) -> dict[str, str]:
        """Block environment updated by the task's own environment."""
        self._check_task(n)
        env = dict(self.environment)
        if not self.numeric:
            env.update(self.tasks[n].environment)
        return env

    def task_files(self, n: int) -> list[str]:
        """Numeric: block file patterns expanded for every frame of the task (at most
        MAX_TASK_FILES entries). Non-numeric: block files followed by the task's files."""
        if not self.numeric:
            self._check_task(n)
            return [*self.files, *self.tasks[n].files]
        start, end = self.task_frames(n)
        out: list[str] = []
        for pattern in self.files:
            if not frames.has_number_pattern(pattern):
                out.append(pattern)
            else:
                for frame in range(start, end + 1, self.frames_inc):
                    if len(out) >= MAX_TASK_FILES:
                        break
                    out.append(frames.fill_numbers(pattern, (frame,)))
            if len(out) >= MAX_TASK_FILES:
                return out[:MAX_TASK_FILES]
        return out


@dataclass(frozen=True)
class JobSpec:
    """A validated job: job-level keys and its blocks."""

    name: str = "job"
    user_name: str = DEFAULT_USER
    host_name: str = ""
    priority: int = 99
    offline: bool = False  # submitted paused
    max_running_tasks: int = -1
    max_running_tasks_per_host: int = -1
    time_wait: int = 0  # epoch seconds; waits (WTM) until then
    time_life: int = 0  # seconds from creation; -1 = user's default
    depend_mask: str = ""
    depend_mask_global: str = ""
    hosts_mask: str = ""
    hosts_mask_exclude: str = ""
    hosts_mask_type: str = ""  # "find" or "regex"; "" = the user's
    need_os: str = ""
    need_properties: str = ""
    pools: dict[str, int] = field(default_factory=dict)
    ignorenimby: bool = False
    ignorepaused: bool = False
    ppa: bool = False
    maintenance: bool = False
    annotation: str = ""
    description: str = ""
    project: str = ""
    department: str = ""
    folders: dict[str, str] = field(default_factory=dict)
    command_pre: str = ""  # see BlockSpec
    command_post: str = ""
    # Afanasy's tasks to try first: task try_this_tasks_num[i] of block try_this_blocks_num[i]
    try_this_blocks_num: tuple[int, ...] = ()
    try_this_tasks_num: tuple[int, ...] = ()
    blocks: tuple[BlockSpec, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Field readers. Each takes the JSON object, the key and the object's path, and returns a
# validated value or raises SpecError on the key's path.


def _str(obj: dict, key: str, path: str, *, max_len: int = MAX_TEXT_LEN) -> str:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return ""
    return check_text(value, join_path(path, key), max_len)


def _name(obj: dict, key: str, path: str, default: str, *, allow_empty: bool = False) -> str:
    """A name: at most MAX_NAME_LEN characters, no control characters, non-empty by default."""
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return default
    name = check_text(value, join_path(path, key), MAX_NAME_LEN, name=True)
    if not name and not allow_empty:
        raise SpecError(join_path(path, key), "must not be empty")
    return name


def _plugin(obj: dict, key: str, path: str, default: str, *, allow_empty: bool) -> str:
    """A service or parser name (it names a Python module)."""
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return default
    name = check_text(value, join_path(path, key), MAX_NAME_LEN, name=True)
    if not name and allow_empty:
        return name
    if not _PLUGIN_NAME.fullmatch(name):
        raise SpecError(
            join_path(path, key),
            "must be 1-64 characters of letters, digits, '_' or '-' (not starting with '-')",
        )
    return name


def _mask(obj: dict, key: str, path: str) -> str:
    """A regular expression (Afanasy depend masks are full-match regexes); "" = none."""
    mask = _str(obj, key, path)
    name_regex(mask, join_path(path, key))
    return mask


def _check_hosts_masks(spec: JobSpec) -> None:
    """Compile the job's and its blocks' hosts masks in the job's hosts_mask_type, so a mask
    the scheduler could not use is refused with the job (a "" type is the user's, checked
    when the scheduler meets it)."""
    mode = spec.hosts_mask_type
    if not mode:
        return
    for path, owner in (("", spec), *((f"blocks[{i}]", b) for i, b in enumerate(spec.blocks))):
        for key in ("hosts_mask", "hosts_mask_exclude"):
            HostMask.compile(getattr(owner, key), mode, join_path(path, key))


def _int(obj: dict, key: str, path: str, default: int, lo: int, hi: int) -> int:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return default
    number = json_integer(value)
    if number is None:
        raise SpecError(join_path(path, key), f"must be an integer, not {type_name(value)}")
    if number < lo:
        raise SpecError(join_path(path, key), f"must be >= {lo}")
    if number > hi:
        raise SpecError(join_path(path, key), f"must be <= {hi}")
    return number


def _ints(obj: dict, path: str, table: dict[str, tuple[int, int, int]]) -> dict[str, int]:
    """The integer keys of a table {key: (default, lowest, highest)}."""
    return {key: _int(obj, key, path, *limits) for key, limits in table.items()}


def _bool(obj: dict, key: str, path: str, default: bool) -> bool:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return default
    if not isinstance(value, bool):
        raise SpecError(join_path(path, key), f"must be true or false, not {type_name(value)}")
    return value


def _choice(obj: dict, key: str, path: str, choices: tuple[str, ...]) -> str:
    value = _str(obj, key, path)
    if value not in choices:
        raise SpecError(join_path(path, key), f"must be one of {', '.join(map(repr, choices))}")
    return value


def _counts(obj: dict, key: str, path: str, lo: int, hi: int) -> dict[str, int]:
    """An object of name -> integer (tickets, pool priorities)."""
    mpath = join_path(path, key)
    mapping = check_object(obj.get(key, {}), mpath)
    if len(mapping) > MAX_ENV_ENTRIES:
        raise SpecError(mpath, f"must have at most {MAX_ENV_ENTRIES} entries")
    out = {}
    for name, count in mapping.items():
        kpath = key_path(mpath, str(name))
        if not check_text(name, kpath, MAX_NAME_LEN, name=True):
            raise SpecError(kpath, "name must not be empty")
        number = json_integer(count)
        if number is None or not lo <= number <= hi:
            raise SpecError(kpath, f"must be an integer {lo}..{hi}")
        out[name] = number
    return out


def _list(value: object, path: str, max_items: int) -> list:
    if not isinstance(value, list | tuple):
        raise SpecError(path, f"must be an array, not {type_name(value)}")
    if len(value) > max_items:
        raise SpecError(path, f"must have at most {max_items} entries (got {len(value)})")
    return list(value)


def _files(obj: dict, key: str, path: str) -> tuple[str, ...]:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return ()
    fpath = join_path(path, key)
    items = _list(value, fpath, MAX_FILES)
    return tuple(check_text(item, f"{fpath}[{i}]", MAX_TEXT_LEN) for i, item in enumerate(items))


def _str_map(obj: dict, key: str, path: str, *, env: bool) -> dict[str, str]:
    """An object of string -> string (environment variables or folders)."""
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return {}
    mpath = join_path(path, key)
    mapping = check_object(value, mpath)
    if len(mapping) > MAX_ENV_ENTRIES:
        raise SpecError(mpath, f"must have at most {MAX_ENV_ENTRIES} entries (got {len(mapping)})")
    out: dict[str, str] = {}
    for k, v in mapping.items():
        if not isinstance(k, str):
            raise SpecError(mpath, f"keys must be strings, not {type_name(k)}")
        kpath = key_path(mpath, k)
        check_text(k, kpath, MAX_NAME_LEN, name=True)
        if not k:
            raise SpecError(kpath, "name must not be empty")
        if env and "=" in k:
            raise SpecError(kpath, "variable name must not contain '='")
        out[k] = check_text(v, kpath, MAX_TEXT_LEN)
    return out


def _json_copy(value: object, path: str, depth: int = 0) -> Any:
    """A copy of a JSON value, checking that it is one (finite numbers, valid strings)."""
    if depth > MAX_EXTRA_DEPTH:
        raise SpecError(path, f"nested deeper than {MAX_EXTRA_DEPTH} levels")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(path, "must be a finite number")
        return value
    if isinstance(value, str):
        return check_text(value, path, MAX_TEXT_LEN * 16)
    if isinstance(value, list | tuple):
        return [_json_copy(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise SpecError(path, f"keys must be strings, not {type_name(k)}")
            kpath = key_path(path, k)
            check_text(k, kpath, MAX_TEXT_LEN)
            out[k] = _json_copy(v, kpath, depth + 1)
        return out
    raise SpecError(path, f"must be a JSON value, not {type_name(value)}")


def _extra(obj: dict, known: frozenset[str], path: str) -> dict[str, Any]:
    out = {}
    for k, v in obj.items():
        if k in known:
            continue
        if not isinstance(k, str):
            raise SpecError(path, f"keys must be strings, not {type_name(k)}")
        kpath = join_path(path, k[:60])
        check_text(k, kpath, MAX_NAME_LEN, name=True)
        out[k] = _json_copy(v, kpath)
    return out


# --------------------------------------------------------------------------------------------
# Tasks, blocks, job


def _keys(spec: type, table: Mapping[str, str]) -> frozenset[str]:
    """The JSON keys a spec reads itself (everything else goes to its extra): those of its
    table in app/protocol.py, which the client API checks jobs against."""
    keys = frozenset(f.name for f in fields(spec)) - {"extra"}
    if keys != set(table):
        raise RuntimeError(f"{spec.__name__} and app/protocol.py differ: {keys ^ set(table)}")
    return keys


_TASK_KEYS = _keys(TaskSpec, protocol.TASK_KEYS)
_BLOCK_KEYS = _keys(BlockSpec, protocol.BLOCK_KEYS)
_JOB_KEYS = _keys(JobSpec, protocol.JOB_KEYS)

# Keys that may change after submission (the rest shape the task tables or identify the job).
JOB_EDITABLE = tuple(
    sorted(
        _JOB_KEYS
        - {"name", "user_name", "host_name", "blocks", "try_this_blocks_num", "try_this_tasks_num"}
    )
)
BLOCK_EDITABLE = tuple(
    sorted(
        _BLOCK_KEYS
        - {"name", "numeric", "frame_first", "frame_last", "frames_per_task", "frames_inc", "tasks"}
        - {key for key in _BLOCK_KEYS if key.startswith("multihost")}
    )
)


def _parse_task(value: object, path: str, block_command: str) -> TaskSpec:
    obj = check_object(value, path)
    if "command" not in obj:
        raise SpecError(join_path(path, "command"), "is required")
    command = _str(obj, "command", path)
    if not command and not block_command:
        message = "must not be empty when the block has no command"
        raise SpecError(join_path(path, "command"), message)
    return TaskSpec(
        name=_name(obj, "name", path, "", allow_empty=True),  # Afanasy keeps no name empty
        command=command,
        files=_files(obj, "files", path),
        environment=_str_map(obj, "environment", path, env=True),
        extra=_extra(obj, _TASK_KEYS, path),
    )


def _is_numeric(obj: dict, path: str) -> bool:
    numeric = _bool(obj, "numeric", path, False)
    flags = _int(obj, "flags", path, 0, 0, _INT64_MAX)  # Afanasy form; kept in extra
    return numeric or bool(flags & FLAG_NUMERIC)


def _flag(obj: dict, key: str, path: str, bit: int) -> bool:
    """A boolean key, or (when the key is absent) its bit in Afanasy's `flags`."""
    if key in obj:
        return _bool(obj, key, path, False)
    return bool(_int(obj, "flags", path, 0, 0, _INT64_MAX) & bit)


def _parse_frames(obj: dict, path: str, numeric: bool) -> dict[str, int]:
    first, last, inc = _ints(obj, path, FRAME_INTS).values()
    if not numeric:
        # Only used to map task dependencies; Afanasy allows a negative value here
        # (-4 = four tasks per frame, e.g. tiles).
        per_task = _int(obj, "frames_per_task", path, 1, -MAX_FRAME, MAX_FRAME)
        if per_task == 0:
            raise SpecError(join_path(path, "frames_per_task"), "must not be 0")
        return dict(frame_first=first, frame_last=last, frames_per_task=per_task, frames_inc=inc)
    per_task = _int(obj, "frames_per_task", path, 1, 1, MAX_FRAMES_PER_TASK)
    if last < first:
        message = f"must be >= frame_first ({first}), got {last}"
        raise SpecError(join_path(path, "frame_last"), message)
    count = frames.numeric_task_count(first, last, per_task, inc)
    if count > MAX_NUMERIC_TASKS:
        raise SpecError(
            path,
            f"has {count} tasks, more than {MAX_NUMERIC_TASKS}: "
            "raise frames_per_task or frames_inc, or split the range",
        )
    return dict(frame_first=first, frame_last=last, frames_per_task=per_task, frames_inc=inc)


def _parse_block(value: object, path: str, listed_budget: int) -> BlockSpec:
    obj = check_object(value, path)
    numeric = _is_numeric(obj, path)
    command = _str(obj, "command", path)
    tasks_value = obj.get("tasks", _MISSING)
    tasks: tuple[TaskSpec, ...] = ()
    tasks_path = join_path(path, "tasks")
    if numeric:
        if tasks_value is not _MISSING:
            items = _list(tasks_value, tasks_path, MAX_LISTED_TASKS)
            if items:
                raise SpecError(tasks_path, "a numeric block cannot also have a tasks list")
        if not command:
            raise SpecError(join_path(path, "command"), "a numeric block needs a command")
    elif tasks_value is _MISSING or (isinstance(tasks_value, list | tuple) and not tasks_value):
        raise SpecError(
            path,
            "needs numeric frames (numeric: true, frame_first, frame_last) "
            "or a non-empty tasks list",
        )
    else:
        items = _list(tasks_value, tasks_path, MAX_LISTED_TASKS)
        if len(items) > listed_budget:
            raise SpecError(
                tasks_path, f"the job's blocks list more than {MAX_JOB_LISTED_TASKS} tasks in total"
            )
        tasks = tuple(
            _parse_task(item, f"{tasks_path}[{i}]", command) for i, item in enumerate(items)
        )

    block = BlockSpec(
        name=_name(obj, "name", path, "block"),
        service=_plugin(obj, "service", path, "generic", allow_empty=False),
        parser=_plugin(obj, "parser", path, "", allow_empty=True),
        command=command,
        working_directory=(
            None if obj.get("working_directory") is None else _str(obj, "working_directory", path)
        ),
        environment=_str_map(obj, "environment", path, env=True),
        files=_files(obj, "files", path),
        numeric=numeric,
        **_parse_frames(obj, path, numeric),
        tasks=tasks,
        tasks_name=_str(obj, "tasks_name", path, max_len=MAX_NAME_LEN),
        depend_mask=_mask(obj, "depend_mask", path),
        tasks_depend_mask=_mask(obj, "tasks_depend_mask", path),
        depend_sub_task=_flag(obj, "depend_sub_task", path, FLAG_DEPEND_SUB_TASK),
        hosts_mask=_str(obj, "hosts_mask", path),
        hosts_mask_exclude=_str(obj, "hosts_mask_exclude", path),
        need_properties=_str(obj, "need_properties", path),
        tickets=_counts(obj, "tickets", path, 0, 1_000_000),
        skip_existing_files=_flag(obj, "skip_existing_files", path, FLAG_SKIP_EXISTING_FILES),
        check_rendered_files=_flag(obj, "check_rendered_files", path, FLAG_CHECK_RENDERED_FILES),
        skip_thumbnails=_flag(obj, "skip_thumbnails", path, FLAG_SKIP_THUMBNAILS),
        suspend_new_tasks=_flag(obj, "suspend_new_tasks", path, FLAG_SUSPEND_NEW_TASKS),
        command_pre=_str(obj, "command_pre", path),
        command_post=_str(obj, "command_post", path),
        multihost=_flag(obj, "multihost", path, FLAG_MULTIHOST),
        multihost_service=_str(obj, "multihost_service", path),
        multihost_master_on_slave=_flag(
            obj, "multihost_master_on_slave", path, FLAG_MASTER_ON_SLAVE
        ),
        **_ints(obj, path, BLOCK_INTS),
        extra=_extra(obj, _BLOCK_KEYS, path),
    )
    _check_multihost(block, path)
    return block


def _check_multihost(block: BlockSpec, path: str) -> None:
    """A multihost block needs 1 <= multihost_min <= multihost_max hosts."""
    if not block.multihost:
        return
    if block.multihost_min < 1:
        raise SpecError(join_path(path, "multihost_min"), "a multihost block needs at least 1")
    if block.multihost_max < block.multihost_min:
        message = f"must be >= multihost_min ({block.multihost_min}), got {block.multihost_max}"
        raise SpecError(join_path(path, "multihost_max"), message)


def unique_name(name: str, used: set[str], next_suffix: dict[str, int]) -> str:
    """``name``, or ``name-1``, ``name-2`` ... whichever is not used yet (Afanasy's rule)."""
    unique = name
    while unique in used:
        suffix = next_suffix.get(name, 1)
        next_suffix[name] = suffix + 1
        unique = f"{name}-{suffix}"
    used.add(unique)
    return unique


def _parse_blocks(obj: dict) -> tuple[BlockSpec, ...]:
    if "blocks" not in obj:
        raise SpecError("blocks", "is required")
    items = _list(obj["blocks"], "blocks", MAX_BLOCKS)
    if not items:
        raise SpecError("blocks", "must not be empty")
    blocks = []
    used: set[str] = set()
    next_suffix: dict[str, int] = {}
    listed = total = 0
    for i, item in enumerate(items):
        block = _parse_block(item, f"blocks[{i}]", MAX_JOB_LISTED_TASKS - listed)
        listed += len(block.tasks)
        total += block.tasks_num
        if total > MAX_JOB_TASKS:
            raise SpecError(f"blocks[{i}]", f"the job has more than {MAX_JOB_TASKS} tasks in total")
        name = unique_name(block.name, used, next_suffix)
        blocks.append(block if name == block.name else replace(block, name=name))
    return tuple(blocks)


def _unwrap(data: object) -> dict:
    """The job object, from either the document itself or Afanasy's {"job": {...}}."""
    if not isinstance(data, dict):
        raise SpecError("", f"a job must be a JSON object, not {type_name(data)}")
    if "job" in data and "blocks" not in data:
        others = [k for k in data if k != "job"]
        if others:
            raise SpecError(str(others[0])[:60], "unexpected key next to 'job'")
        return check_object(data["job"], "job")
    return data


def _try_first(obj: dict, blocks: tuple[BlockSpec, ...]) -> dict[str, tuple[int, ...]]:
    """try_this_blocks_num and try_this_tasks_num: pairs (block, task) of existing tasks."""
    out = {}
    for key in ("try_this_blocks_num", "try_this_tasks_num"):
        path = join_path("", key)
        items = _list(obj.get(key, ()), path, MAX_LISTED_TASKS)
        numbers = tuple(json_integer(item) for item in items)
        if None in numbers:
            raise SpecError(path, "must be an array of integers")
        out[key] = numbers
    block_nums, task_nums = out.values()
    if len(block_nums) != len(task_nums):
        raise SpecError("try_this_tasks_num", "must have as many entries as try_this_blocks_num")
    for i, (b, t) in enumerate(zip(block_nums, task_nums, strict=True)):
        if not (0 <= b < len(blocks) and 0 <= t < blocks[b].tasks_num):
            raise SpecError(f"try_this_tasks_num[{i}]", f"no task {t} in block {b}")
    return out


def parse_job(data: object) -> JobSpec:
    """Validate a decoded job document and return its JobSpec; raises SpecError."""
    obj = _unwrap(data)
    blocks = _parse_blocks(obj)
    user = _name(obj, "user_name", "", DEFAULT_USER, allow_empty=True).strip().lower()
    spec = JobSpec(
        name=_name(obj, "name", "", "job"),
        user_name=user or DEFAULT_USER,
        host_name=_name(obj, "host_name", "", "", allow_empty=True),
        offline=_bool(obj, "offline", "", False),
        depend_mask=_mask(obj, "depend_mask", ""),
        depend_mask_global=_mask(obj, "depend_mask_global", ""),
        hosts_mask=_str(obj, "hosts_mask", ""),
        hosts_mask_exclude=_str(obj, "hosts_mask_exclude", ""),
        hosts_mask_type=_choice(obj, "hosts_mask_type", "", ("", "find", "regex")),
        need_os=_str(obj, "need_os", ""),
        need_properties=_str(obj, "need_properties", ""),
        pools=_counts(obj, "pools", "", -100, 100),
        ignorenimby=_bool(obj, "ignorenimby", "", False),
        ignorepaused=_bool(obj, "ignorepaused", "", False),
        ppa=_bool(obj, "ppa", "", False),
        maintenance=_bool(obj, "maintenance", "", False),
        annotation=_str(obj, "annotation", ""),
        description=_str(obj, "description", ""),
        project=_str(obj, "project", "", max_len=MAX_NAME_LEN),
        department=_str(obj, "department", "", max_len=MAX_NAME_LEN),
        folders=_str_map(obj, "folders", "", env=False),
        command_pre=_str(obj, "command_pre", ""),
        command_post=_str(obj, "command_post", ""),
        **_try_first(obj, blocks),
        blocks=blocks,
        **_ints(obj, "", JOB_INTS),
        extra=_extra(obj, _JOB_KEYS, ""),
    )
    _check_hosts_masks(spec)
    return spec


def _unknown(extra: dict, known: frozenset[str], afanasy: frozenset[str], path: str) -> list:
    out = []
    for key in extra:
        if key in afanasy:
            continue
        message = "unknown key, ignored"
        meant = difflib.get_close_matches(key, known, n=1)
        if meant:
            message += f" (did you mean {meant[0]!r}?)"
        out.append((join_path(path, key[:60]), message))
    return out


def unknown_keys(spec: JobSpec) -> list[tuple[str, str]]:
    """(field path, message) for every key of the job Corral does not read and Afanasy does not
    have either, with the key probably meant; Afanasy's own extra keys pass silently."""
    out = _unknown(spec.extra, _JOB_KEYS, afanasy_keys.JOB_KEYS, "")
    for i, block in enumerate(spec.blocks):
        path = f"blocks[{i}]"
        out += _unknown(block.extra, _BLOCK_KEYS, afanasy_keys.BLOCK_KEYS, path)
        for t, task in enumerate(block.tasks):
            tpath = f"{path}.tasks[{t}]"
            out += _unknown(task.extra, _TASK_KEYS, afanasy_keys.TASK_KEYS, tpath)
    return out


def check_services(blocks: Sequence[BlockSpec], known: Collection[str], first: int = 0) -> None:
    """SpecError, naming the known services, for a block whose service is not one of known;
    ``first`` is the number of blocks[0] in its job (for the error's path)."""
    for i, block in enumerate(blocks, first):
        if block.service not in known:
            names = ", ".join(sorted(known))
            raise SpecError(
                f"blocks[{i}].service", f"unknown service {block.service!r} (known: {names})"
            )


# --------------------------------------------------------------------------------------------
# Serialisation


def _to_dict(spec: TaskSpec | BlockSpec | JobSpec) -> dict[str, Any]:
    """A spec's fields as plain JSON values, its extra keys alongside; nested specs too."""
    out: dict[str, Any] = dict(spec.extra)
    for item in fields(spec):
        value = getattr(spec, item.name)
        if item.name == "extra" or (item.name == "tasks" and spec.numeric):
            continue
        if isinstance(value, tuple):
            value = [_to_dict(v) if hasattr(v, "extra") else v for v in value]
        elif isinstance(value, dict):
            value = dict(value)
        out[item.name] = value
    return out


_NEW_JOB = JobSpec()
# the job's runtime values of these are in its summary (a pause or an edit changes them)
_RUNTIME_KEYS = frozenset({"priority", "offline"})


def edited_settings(job: JobSpec) -> dict[str, Any]:
    """The editable job keys whose values differ from a new job's, set at submit or since, as
    JSON values (but priority and offline)."""
    out = {}
    for key in JOB_EDITABLE:
        value = getattr(job, key)
        if key not in _RUNTIME_KEYS and value != getattr(_NEW_JOB, key):
            out[key] = dict(value) if isinstance(value, dict) else value
    return out


def job_to_dict(job: JobSpec) -> dict[str, Any]:
    """Canonical JSON-able form of a job; ``parse_job(job_to_dict(job)) == job``."""
    return _to_dict(job)


# --------------------------------------------------------------------------------------------
# JSON schema


def _integer(lo: int, hi: int) -> dict:
    return {"type": "integer", "minimum": lo, "maximum": hi}


def _text(max_len: int = MAX_TEXT_LEN) -> dict:
    """Text (without NUL characters, which a schema pattern would say at a high cost to
    generators)."""
    return {"type": "string", "maxLength": max_len}


_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_NAME_LEN,
    "pattern": NAME_PATTERN,
}  # a map's key
_NAME_KEYS = {"name", "user_name", "host_name"}  # names (_name)
_SHORT_KEYS = {"tasks_name", "project", "department"}  # text of at most MAX_NAME_LEN
_SCHEMA_OF_TYPE = {
    "str": _text(),
    "tuple[int, ...]": {
        "type": "array",
        "items": _integer(0, MAX_NUMERIC_TASKS),
        "maxItems": MAX_LISTED_TASKS,
    },
    "bool": {"type": "boolean"},
    "str | None": {**_text(), "type": ["string", "null"]},
    "tuple[str, ...]": {"type": "array", "items": _text(), "maxItems": MAX_FILES},
    "dict[str, str]": {
        "type": "object",
        "propertyNames": _NAME,
        "additionalProperties": _text(),
        "maxProperties": MAX_ENV_ENTRIES,
    },
}
_PLUGIN_SCHEMA = {"type": "string", "pattern": f"^{_PLUGIN_NAME.pattern}$"}


def _spec_schema(spec: type, ints: dict[str, tuple[int, int, int]], **special: dict) -> dict:
    """The JSON schema of a spec's object: its keys' types and limits; other keys are kept."""
    properties = {}
    for item in fields(spec):
        if item.name == "extra":
            continue
        if item.name in special:
            schema = special[item.name]
        elif item.name in ints:
            schema = _integer(*ints[item.name][1:])
        elif item.name in _NAME_KEYS:
            schema = {**_NAME, "minLength": int(item.name == "name")}
        elif item.name in _SHORT_KEYS:
            schema = _text(MAX_NAME_LEN)
        else:
            schema = _SCHEMA_OF_TYPE[item.type]
        properties[item.name] = schema
    extra = {"maxLength": MAX_NAME_LEN, "pattern": NAME_PATTERN}  # the names of extra keys
    return {"type": "object", "properties": properties, "propertyNames": extra}


def _counts_schema(lo: int, hi: int) -> dict:
    return {
        "type": "object",
        "propertyNames": _NAME,
        "additionalProperties": _integer(lo, hi),
        "maxProperties": MAX_ENV_ENTRIES,
    }


def task_schema() -> dict:
    """The JSON schema of a task of a block's tasks list."""
    return {
        **key_docs.described(_spec_schema(TaskSpec, {}), key_docs.TASK),
        "required": ["command"],
    }


def block_schema() -> dict:
    """The JSON schema of a block (what `_parse_block` reads; masks must also compile, and a
    numeric block's frame range hold at most MAX_NUMERIC_TASKS tasks)."""
    tasks = {"type": "array", "items": task_schema(), "maxItems": MAX_LISTED_TASKS}
    schema = _spec_schema(
        BlockSpec,
        {**BLOCK_INTS, **FRAME_INTS},
        service=_PLUGIN_SCHEMA,
        parser={"anyOf": [{"const": ""}, _PLUGIN_SCHEMA]},
        frames_per_task=_integer(-MAX_FRAME, MAX_FRAMES_PER_TASK),
        tasks=tasks,
        tickets=_counts_schema(0, 1_000_000),
    )
    schema["properties"]["flags"] = _integer(0, _INT64_MAX)
    # not numeric with a list of tasks, or numeric (by the key or Afanasy's flag) with a command
    # and no tasks
    command = {"command": {"minLength": 1}, "tasks": {"maxItems": 0}}
    schema["anyOf"] = [
        {
            "required": ["tasks"],
            "properties": {
                "tasks": {"minItems": 1},
                "numeric": {"const": False},
                "flags": {"multipleOf": 2},
            },
        },
        {"required": ["numeric", "command"], "properties": {"numeric": {"const": True}, **command}},
        {"required": ["flags", "command"], "properties": {"flags": _ODD, **command}},
    ]
    return key_docs.described(schema, key_docs.BLOCK)


_ODD = {"not": {"multipleOf": 2}}  # FLAG_NUMERIC set


def job_schema() -> dict:
    """The JSON schema of a job document (what `parse_job` reads)."""
    blocks = {"type": "array", "items": block_schema(), "minItems": 1, "maxItems": MAX_BLOCKS}
    schema = _spec_schema(
        JobSpec,
        JOB_INTS,
        hosts_mask_type={"enum": ["", "find", "regex"]},
        pools=_counts_schema(-100, 100),
        blocks=blocks,
    )
    return {**key_docs.described(schema, key_docs.JOB), "required": ["blocks"]}
