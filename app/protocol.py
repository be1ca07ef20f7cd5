"""The wire vocabulary, defined once: run keys, results and their verdict, action names.

Server, render, CLI, monitor and the client API (app/api.py, which also runs inside Maya, Nuke,
Houdini and Blender) all take these names from here. Like app/api.py this module uses the
standard library only and stays compatible with Python 3.7.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Tuple

RunKey = Tuple[int, int, int, int]  # job id, block number, task number, run number
KEY_FIELDS = ("job", "block", "task", "run")  # a run key's fields in every message
_JOB, _BLOCK, _TASK, _RUN = KEY_FIELDS

# a `result` message's fields besides its run key and `seq` (docs/protocol.md)
RESULT_FIELDS = (
    "exit_code",
    "signal",
    "error",
    "time_start",
    "time_done",
    "output",
    "peak_rss_mb",
    "cpu_seconds",
    "cpu_avg_percent",
    "fatal",
    "success",
    "skipped",
    "warnings",
    "files",
    "thumbnail",
)
TASKS_PAGE_MAX = 1000  # the most tasks one GET .../blocks/{b}/tasks answers (its limit)
STOPPED = "stopped"  # a result's error when its run was stopped by an order or a shutdown

# a run's `state` (the runs table; a task's `runs` in the REST API): running, done, failed,
# skipped (its files existed), stopped (by an order or a shutdown: not a failure), lost (with
# its render)
RUN_RUNNING = "RUN"
RUN_DONE = "DON"
RUN_ERROR = "ERR"
RUN_SKIPPED = "SKP"
RUN_STOPPED = "STOPPED"
RUN_LOST = "LOST"
RUN_STATES = (RUN_RUNNING, RUN_DONE, RUN_ERROR, RUN_SKIPPED, RUN_STOPPED, RUN_LOST)
ACKS = "acks"  # on any server message: the seqs of the results now committed
# an `error` message's `code` when a render's name is held by another connected render (another
# host, or another render process on the same host): the render stops instead of retrying
NAME_TAKEN = "name_taken"

JOB_ACTIONS = (
    "pause",
    "start",
    "stop",
    "restart",
    "restart-errors",
    "reset-error-hosts",
    "delete",
)
TASK_ACTIONS = (
    "skip",
    "suspend",
    "continue",
    "done",
    "restart",
    "restart-running",
    "restart-errors",
    "restart-done",
    "restart-skipped",
    "try-next",
    "reset-error-hosts",
)
RENDER_ACTIONS = (
    "nimby",
    "NIMBY",
    "free",
    "pause",
    "unpause",
    "eject",
    "eject-not-mine",
    "exit",
    "delete",
    "sleep",
    "wake",
    "heal-sick",
)
# a server's DNS-SD announcement (app/server/announce.py, found by app/discovery.py): its type,
# and its TXT keys: the farm's name, Corral's version, "1" when it serves https else "0"
DNS_SD_TYPE = "_corral._tcp.local."
DNS_SD_FARM, DNS_SD_VERSION, DNS_SD_TLS = "farm", "version", "tls"


def dns_sd_instance(farm: str, host: str = "", port: int = 0) -> str:
    """A server's instance name, ``<farm> on <host>:<port>``; with the farm alone, the start
    that every instance of that farm shares."""
    return f"{farm} on {host}:{port}" if host else f"{farm} on "


NIMBY_STATES = ("free", "nimby", "NIMBY")  # nimby: only its owner's jobs; NIMBY: nothing


def key_fields(key: RunKey) -> Dict[str, int]:
    """A run key as message fields."""
    return dict(zip(KEY_FIELDS, key))


def run_key(message: Any) -> RunKey:
    """The run key of a message; ValueError names the first field missing or not an integer."""
    if type(message) is not dict and not isinstance(message, Mapping):
        raise ValueError("run key: expected an object")
    key = (message.get(_JOB), message.get(_BLOCK), message.get(_TASK), message.get(_RUN))
    for at, value in enumerate(key):
        if type(value) is not int:
            raise ValueError(f"{KEY_FIELDS[at]}: expected an integer")
    return key


EXIT_NOT_FOUND = 127  # a shell's "command not found": a retry cannot fix it


def exit_text(exit_code: int | None, signal: int | None) -> str:
    """How a failed exit status reads in a run's error."""
    if signal is not None:
        return f"killed by signal {signal}"
    if exit_code == EXIT_NOT_FOUND:
        return f"exit code {exit_code}: command not found"
    return f"exit code {exit_code}"


def is_fatal(result: Mapping[str, Any]) -> bool:
    """Whether a failed run's task goes to ERR without retries: the render judged the error
    fatal (e.g. no licence, a program it cannot start), or the shell found no such command."""
    if result.get("fatal"):
        return True
    return result["signal"] is None and result["exit_code"] == EXIT_NOT_FOUND


def run_error(result: Mapping[str, Any]) -> str | None:
    """Why a finished run failed, or None: the render's error; else, unless the render judged
    the run a success (its service's exit codes, its output), a kill or a non-zero exit."""
    if result["error"]:
        return result["error"]
    if result.get("success"):
        return None
    if result["signal"] is not None or result["exit_code"] != 0:
        return exit_text(result["exit_code"], result["signal"])
    return None


def failed_tasks(summary: Mapping[str, Any]) -> int:
    """The tasks of a job or block summary whose last run failed: out of retries
    (`tasks_error`) or waiting for one (`tasks_error_ready`)."""
    return summary.get("tasks_error", 0) + summary.get("tasks_error_ready", 0)


# -- the job model ---------------------------------------------------------------------------
# Every key a job, block and task document may have, with the kind of JSON value it takes.
# app/core/jobspec.py reads exactly these keys (it checks its specs against them at import) and
# app/api.py checks a job's kinds and required keys before sending it; the server alone checks
# ranges and masks.
TEXT = "a string"
TEXT_OR_NULL = "a string or null"
INTEGER = "an integer"
BOOLEAN = "true or false"
TEXT_MAP = "an object of strings"
INTEGER_MAP = "an object of integers"
TEXT_LIST = "an array of strings"
INTEGER_LIST = "an array of integers"
TASKS = "an array of task objects"
BLOCKS = "an array of block objects"

TASK_KEYS = {"name": TEXT, "command": TEXT, "files": TEXT_LIST, "environment": TEXT_MAP}
BLOCK_KEYS = {
    "name": TEXT,
    "service": TEXT,
    "parser": TEXT,
    "command": TEXT,
    "working_directory": TEXT_OR_NULL,
    "environment": TEXT_MAP,
    "files": TEXT_LIST,
    "numeric": BOOLEAN,
    "frame_first": INTEGER,
    "frame_last": INTEGER,
    "frames_per_task": INTEGER,
    "frames_inc": INTEGER,
    "tasks": TASKS,
    "tasks_name": TEXT,
    "capacity": INTEGER,
    "max_running_tasks": INTEGER,
    "max_running_tasks_per_host": INTEGER,
    "errors_retries": INTEGER,
    "task_max_run_time": INTEGER,
    "sequential": INTEGER,
    "depend_mask": TEXT,
    "tasks_depend_mask": TEXT,
    "depend_sub_task": BOOLEAN,
    "hosts_mask": TEXT,
    "hosts_mask_exclude": TEXT,
    "need_properties": TEXT,
    "need_memory": INTEGER,
    "need_hdd": INTEGER,
    "need_cpu_cores": INTEGER,
    "need_gpu_mem_mb": INTEGER,
    "need_cpu_freq_mgz": INTEGER,
    "need_cpu_freq_cores": INTEGER,
    "capacity_coeff_min": INTEGER,
    "capacity_coeff_max": INTEGER,
    "tickets": INTEGER_MAP,
    "errors_avoid_host": INTEGER,
    "errors_task_same_host": INTEGER,
    "errors_forgive_time": INTEGER,
    "task_min_run_time": INTEGER,
    "task_progress_change_timeout": INTEGER,
    "skip_existing_files": BOOLEAN,
    "check_rendered_files": BOOLEAN,
    "skip_thumbnails": BOOLEAN,
    "suspend_new_tasks": BOOLEAN,
    "file_size_min": INTEGER,
    "file_size_max": INTEGER,
    "parser_coeff": INTEGER,
    "command_pre": TEXT,
    "command_post": TEXT,
    "multihost": BOOLEAN,
    "multihost_min": INTEGER,
    "multihost_max": INTEGER,
    "multihost_max_wait": INTEGER,
    "multihost_service": TEXT,
    "multihost_service_wait": INTEGER,
    "multihost_master_on_slave": BOOLEAN,
}
JOB_KEYS = {
    "name": TEXT,
    "user_name": TEXT,
    "host_name": TEXT,
    "priority": INTEGER,
    "offline": BOOLEAN,
    "max_running_tasks": INTEGER,
    "max_running_tasks_per_host": INTEGER,
    "time_wait": INTEGER,
    "time_life": INTEGER,
    "depend_mask": TEXT,
    "depend_mask_global": TEXT,
    "hosts_mask": TEXT,
    "hosts_mask_exclude": TEXT,
    "hosts_mask_type": TEXT,
    "need_os": TEXT,
    "need_properties": TEXT,
    "pools": INTEGER_MAP,
    "ignorenimby": BOOLEAN,
    "ignorepaused": BOOLEAN,
    "ppa": BOOLEAN,
    "maintenance": BOOLEAN,
    "annotation": TEXT,
    "description": TEXT,
    "project": TEXT,
    "department": TEXT,
    "folders": TEXT_MAP,
    "command_pre": TEXT,
    "command_post": TEXT,
    "try_this_blocks_num": INTEGER_LIST,
    "try_this_tasks_num": INTEGER_LIST,
    "blocks": BLOCKS,
}


def type_name(value: object) -> str:
    """How an error message names the JSON type of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
