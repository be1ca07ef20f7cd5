"""The JSON shapes the REST routes answer, as the OpenAPI document's component schemas.

Each schema names the keys its producer always writes (app/core/jobs.py summaries,
app/core/renders.py, app/core/users.py, app/core/solver.py:explain, app/server/routes.py); a
route names its answer by the schema's key here (``reply="Job"``), and
app/server/openapi.py puts them under ``components/schemas``.
"""

from __future__ import annotations

from app.core import jobspec
from app.core.users import settings_schema
from app.protocol import KEY_FIELDS, RUN_STATES
from app.server import server_settings

_INT = {"type": "integer"}
_NUMBER = {"type": "number"}
_TEXT = {"type": "string"}
_BOOL = {"type": "boolean"}
_OBJECT = {"type": "object"}
_TIME = {"type": ["number", "null"]}  # seconds since the epoch; null: not yet
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_COUNTS = {"type": "object", "additionalProperties": _INT}


def _obj(properties: dict, *optional: str) -> dict:
    """An object with these keys, all required but `optional`."""
    required = [key for key in properties if key not in optional]
    return {"type": "object", "required": required, "properties": properties}


def _list(schema: dict) -> dict:
    return {"type": "array", "items": schema}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_COUNTERS = {
    key: _INT
    for key in (
        "tasks_total",
        "tasks_ready",
        "tasks_running",
        "tasks_done",
        "tasks_error",
        "tasks_error_ready",
        "tasks_skipped",
        "tasks_waiting_reconnect",
        "tasks_waiting_depends",
        "tasks_suspended",
    )
}
_JOB = {
    "id": _INT,
    "name": _TEXT,
    "user_name": _TEXT,
    "host_name": _TEXT,
    "priority": _INT,
    "state": _TEXT,
    "offline": _BOOL,
    "max_running_tasks": _INT,
    "annotation": _TEXT,
    "waiting": _TEXT,
    "order": _INT,
    "time_created": _NUMBER,
    "time_started": _TIME,
    "time_done": _TIME,
    "settings": _OBJECT,
    **_COUNTERS,
}
_BLOCK = {
    "num": _INT,
    "name": _TEXT,
    "service": _TEXT,
    "numeric": _BOOL,
    "capacity": _INT,
    "state": _TEXT,
    "waiting": _TEXT,
    "error_hosts": _list(
        _obj({"host": _TEXT, "errors": _INT, "time_last": _NUMBER, "avoided": _BOOL})
    ),
    **_COUNTERS,
}
_TASK = {
    "num": _INT,
    "name": _TEXT,
    "state": _TEXT,
    "frame_start": _INT,
    "frame_end": _INT,
    "starts": _INT,
    "errors": _INT,
    "render": _OPTIONAL_TEXT,
    "time_start": _TIME,
    "time_done": _TIME,
    "percent": {"type": ["number", "null"]},
    "frame": {"type": ["integer", "null"]},
    "error_hosts": _list(_TEXT),
    "peak_rss_mb": {"type": ["number", "null"]},
    "cpu_seconds": {"type": ["number", "null"]},
    "cpu_avg_percent": {"type": ["number", "null"]},
    "warnings": {"type": ["integer", "null"]},
    "last_error": _OPTIONAL_TEXT,
    "activity": _OPTIONAL_TEXT,
}
_RUN = {
    "run": _INT,
    "render": _TEXT,
    "state": {"enum": list(RUN_STATES)},
    "exit_code": {"type": ["integer", "null"]},
    "signal": {"type": ["integer", "null"]},
    "error": _OPTIONAL_TEXT,
    "time_start": _NUMBER,
    "time_done": _TIME,
    "output_size": {"type": ["integer", "null"]},
    "peak_rss_mb": {"type": ["number", "null"]},
    "cpu_seconds": {"type": ["number", "null"]},
    "cpu_avg_percent": {"type": ["number", "null"]},
    "warnings": {"type": ["integer", "null"]},
    "files": _list(_TEXT),
    "thumbnail": {"type": ["string", "null"]},
}
_RENDER = {
    "id": _INT,
    "name": _TEXT,
    "state": _TEXT,
    "online": _BOOL,
    "user_name": _TEXT,
    "nimby": _TEXT,
    "paused": _BOOL,
    "priority": _INT,
    "pool": _TEXT,
    "sick": _BOOL,
    "services": _list(_TEXT),
    "services_disabled": _list(_TEXT),
    "capacity": _INT,
    "capacity_used": _INT,
    "capacity_host": {"type": ["integer", "null"]},
    "max_tasks_host": {"type": ["integer", "null"]},
    "max_tasks": _INT,
    "host": _OBJECT,
    "time_registered": _TIME,
    "last_seen": _TIME,
    "tasks": _list(_obj(dict.fromkeys(KEY_FIELDS, _INT))),
}
_USER = {
    "name": _TEXT,
    **settings_schema()["properties"],
    "running_tasks": _INT,
    "running_capacity": _INT,
    "need": _NUMBER,
    "time_register": _NUMBER,
    "queued_tasks": _INT,
    "queued_tasks_limit": _INT,
    "jobs_last_minute": _INT,
    "jobs_per_minute_limit": _INT,
}
_SPEC_BLOCK = {**jobspec.block_schema(), "required": ["name", "service", "command", "environment"]}
_SPEC_BLOCK["properties"] = {
    **_SPEC_BLOCK["properties"],
    "environment": {"type": ["object", "null"], "description": "null but for owners and admins"},
    "tasks": _list({"type": "object", "required": ["name", "command", "environment"]}),
}
_JOB_SPEC = jobspec.job_schema()
_JOB_SPEC["properties"] = {**_JOB_SPEC["properties"], "blocks": _list(_SPEC_BLOCK)}

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STATS_BREAKDOWN = {
    "key": _TEXT,
    "runs": _INT,
    "done": _INT,
    "errors": _INT,
    "skipped": _INT,
    "other": _INT,
    "error_rate": _NUMBER,
    "render_hours": _NUMBER,
    "cpu_hours": _NUMBER,
    "longest_run": _NUMBER,
    "peak_rss_mb": _NUMBER_OR_NULL,
}
_STATS_RUN = {
    "job_id": _INT,
    "job_name": _TEXT,
    "block_name": _TEXT,
    "task": _INT,
    "run": _INT,
    "user_name": _TEXT,
    "project": _TEXT,
    "service": _TEXT,
    "render": _TEXT,
    "state": {"enum": list(RUN_STATES)},
    "time_done": _NUMBER,
    "run_time": _NUMBER,
    "peak_rss_mb": _NUMBER_OR_NULL,
}
_STATS_RANGE = {"from": _NUMBER, "to": _NUMBER}

SCHEMAS: dict[str, dict] = {
    "Error": _obj({"error": _TEXT, "field": _TEXT}, "field"),
    "Ok": _obj({"ok": {"const": True}}),
    "Health": _obj(
        {"ok": {"const": True}, "version": _TEXT, "degraded": _OPTIONAL_TEXT, "time": _NUMBER}
    ),
    "Created": _obj({"id": _INT, "warnings": _list(_TEXT)}),
    "Job": _obj({**_JOB, "blocks": _list(_ref("Block"))}),
    "Jobs": _list(_obj(_JOB)),
    "Block": _obj(_BLOCK),
    "JobSpec": _JOB_SPEC,
    "JobsDone": _obj({"ok": {"const": True}, "jobs": _list(_INT)}),
    "RendersDone": _obj({"ok": {"const": True}, "renders": _list(_TEXT)}),
    "BlocksAdded": _obj({"block_ids": _list(_INT)}),
    "TasksAdded": _obj({"task_ids": _list(_INT)}),
    "TasksDone": _obj({"ok": {"const": True}, "count": _INT}),
    "Explain": _obj(
        {
            "job": _INT,
            "running": _INT,
            "state": _TEXT,
            "renders": _list(_obj({"render": _TEXT, "reason": _TEXT})),
        }
    ),
    "TaskPage": _obj({"total": _INT, "offset": _INT, "tasks": _list(_obj(_TASK))}),
    "Task": _obj(
        {
            **_TASK,
            "command": _TEXT,
            "working_directory": _OPTIONAL_TEXT,
            "environment": {"type": ["object", "null"]},
            "files": _list(_TEXT),
            "runs": _list(_obj(_RUN)),
        }
    ),
    "Users": _list(_obj(_USER)),
    "User": _obj(_USER),
    "Whoami": _obj({"name": _TEXT, "role": _TEXT}),
    "Services": _list(_TEXT),
    "Token": _obj({"name": _TEXT, "role": _TEXT, "token": _TEXT}),
    "Renders": _list(_obj(_RENDER)),
    "Render": _obj({**_RENDER, "resources": _OBJECT}),
    "Resources": _obj({"render": _TEXT, "samples": _list(_obj({"time": _NUMBER}))}),
    "Pools": _obj(
        {
            "pools": {"type": "object", "additionalProperties": _OBJECT},
            "effective": {"type": "object", "additionalProperties": _OBJECT},
            "tickets": {"type": "object", "additionalProperties": _OBJECT},
        }
    ),
    "StatsOverTime": _obj(
        {
            **_STATS_RANGE,
            "step": _INT,
            "rows": _list(
                _obj({"time": _NUMBER, "key": _TEXT, "render_hours": _NUMBER, "runs": _INT})
            ),
        }
    ),
    "StatsBreakdown": _obj({**_STATS_RANGE, "rows": _list(_obj(_STATS_BREAKDOWN))}),
    "StatsSlowest": _obj({**_STATS_RANGE, "rows": _list(_obj(_STATS_RUN))}),
    "StatsUtilisation": _obj(
        {
            **_STATS_RANGE,
            "step": _INT,
            "capacity": _INT,
            "rows": _list(_obj({"time": _NUMBER, "busy": _NUMBER, "free": _NUMBER})),
        }
    ),
    "OpenAPI": _obj({"openapi": _TEXT, "info": _OBJECT, "paths": _OBJECT}),
    "ServerConfig": _obj(server_settings.SCHEMA["properties"]),
    "ServerStats": _obj(
        {
            "uptime": _NUMBER,
            "requests": _COUNTS,
            "messages_in": _COUNTS,
            "messages_out": _COUNTS,
            "bytes_in": _INT,
            "bytes_out": _INT,
            "renders": _INT,
            "monitors": _INT,
            "connections": _INT,
            "decisions": _INT,
            "decisions_per_second": _NUMBER,
            "data_disk": _obj({"free_bytes": _INT, "total_bytes": _INT}),
        }
    ),
}
