"""What each key of a job, block, task and user means, in one short sentence: the one place the
JSON schemas (app/core/jobspec.py, app/core/users.py) take their `description`s from, so the
monitor's tooltips, the OpenAPI document and the docs site's job JSON reference say the same.
Meanings are Afanasy's, as Corral's code applies them."""

from __future__ import annotations

_RUNNING = "Most tasks running at once; -1 = no limit, 0 = none start."
_RUNNING_PER_HOST = "Most tasks running at once on one render; -1 = no limit."
_HOSTS_MASK = "Only renders whose names match run it (see hosts_mask_type); empty = any."
_HOSTS_EXCLUDE = "Renders whose names match never run it; empty = none excluded."
_PROPERTIES = "Words a render's properties must contain to run it."
_COMMAND_PRE = "Run by the server when the job is submitted (only with --job-commands)."
_COMMAND_POST = "Run by the server after the job is deleted (only with --job-commands)."
_ERRORS_RETRIES = "Times a failed task is retried before it stays in error"
_AVOID_HOST = "Errors after which a render gets no more tasks of the job"
_SAME_HOST = "Errors of a task on one render after which the task avoids it"
_FORGIVE = "Seconds after which a render's errors are forgotten"

TASK = {
    "name": "The task's name, shown in the tasks list (may be empty).",
    "command": "The task's command, or the part put into the block's command at @#@.",
    "files": "Files the task writes, after the block's files.",
    "environment": "Environment variables of the task, over the block's.",
}

BLOCK = {
    "name": "The block's name, unique in its job (a repeated name gets -1, -2...).",
    "service": "The service that builds and judges the command (generic, blender, nuke...).",
    "parser": "The output parser; empty = the service's default parser.",
    "command": "The command line; @#@ (@####@ padded) is a task's first frame, the next its last.",
    "working_directory": "Where the command runs; null = a temporary folder on the render.",
    "environment": "Environment variables set for every task.",
    "files": "Files every task writes; @####@ patterns are filled per frame.",
    "numeric": "Tasks are made from a frame range (true) or listed in tasks (false).",
    "frame_first": "The first frame of a numeric block.",
    "frame_last": "The last frame of a numeric block.",
    "frames_per_task": "Frames one task renders (negative, in a listed block: tasks per frame).",
    "frames_inc": "The step between frames (2 = every other frame).",
    "tasks": "The tasks of a block that is not numeric.",
    "tasks_name": "A name pattern for the tasks; @#@ is the frame or the task's own name.",
    "capacity": "Capacity one task takes of its render's (the pool's capacity_host).",
    "max_running_tasks": _RUNNING,
    "max_running_tasks_per_host": _RUNNING_PER_HOST,
    "errors_retries": _ERRORS_RETRIES + "; -1 = the user's value.",
    "task_max_run_time": "Seconds after which a running task is stopped as failed; 0 = none.",
    "sequential": "Pick order: 1 ascending, -1 descending, 0 middle-out, N every N-th first.",
    "depend_mask": "Waits until the blocks of its job whose names match have finished.",
    "tasks_depend_mask": "Each task waits for the same frames of the matching blocks only.",
    "depend_sub_task": "With tasks_depend_mask: start once the frames needed are rendered.",
    "hosts_mask": _HOSTS_MASK,
    "hosts_mask_exclude": _HOSTS_EXCLUDE,
    "need_properties": _PROPERTIES,
    "need_memory": "Free memory (MB) a render needs; -1 = any.",
    "need_hdd": "Free disk space (GB) a render needs; -1 = any.",
    "need_cpu_cores": "CPU cores a render needs; -1 = any.",
    "need_gpu_mem_mb": "Free GPU memory (MB) a render needs; -1 = any.",
    "need_cpu_freq_mgz": "CPU frequency (MHz) a render needs; -1 = any.",
    "need_cpu_freq_cores": "CPU frequency times cores (MHz) a render needs; -1 = any.",
    "capacity_coeff_min": "Variable capacity: the least multiple of capacity a task takes.",
    "capacity_coeff_max": "Variable capacity: the most multiple of capacity; 0 = no bound.",
    "tickets": "Tickets one task holds while it runs (ticket name: count).",
    "errors_avoid_host": _AVOID_HOST + "; -1 = the user's value.",
    "errors_task_same_host": _SAME_HOST + "; -1 = the user's value.",
    "errors_forgive_time": _FORGIVE + "; -1 = the user's value.",
    "task_min_run_time": "Seconds a task must run; a shorter successful run counts as failed.",
    "task_progress_change_timeout": "Seconds without progress before a task fails; 0 or -1 = off.",
    "skip_existing_files": "The render skips a task whose files all exist.",
    "check_rendered_files": "A task whose files are missing after it ran has failed.",
    "skip_thumbnails": "No thumbnails are made of the task's images.",
    "suspend_new_tasks": "Tasks appended to the block arrive suspended.",
    "file_size_min": "Smallest size (bytes) a file may have to count as written; -1 = off.",
    "file_size_max": "Largest size (bytes) a file may have to count as written; -1 = off.",
    "parser_coeff": "Passes the renderer makes over each frame (for the progress).",
    "command_pre": _COMMAND_PRE,
    "command_post": _COMMAND_POST,
    "multihost": "Each task runs on several renders at once.",
    "multihost_min": "Fewest renders a multihost task starts on.",
    "multihost_max": "Most renders a multihost task reserves.",
    "multihost_max_wait": "Seconds a multihost task waits for its most renders.",
    "multihost_service": "The service the other renders of a multihost task run.",
    "multihost_service_wait": "Seconds from the renders' service start to the master's.",
    "multihost_master_on_slave": "The master runs on one of the multihost renders.",
    "flags": "Afanasy's block flags as bits; the keys above say the same.",
}

JOB = {
    "name": "The job's name.",
    "user_name": "Who the job belongs to (a user's token submits as that user; an admin's as any).",
    "host_name": "The host it was submitted from.",
    "priority": "Higher runs first among the user's jobs (0-250).",
    "offline": "Paused: no task starts until it is started.",
    "max_running_tasks": _RUNNING,
    "max_running_tasks_per_host": _RUNNING_PER_HOST,
    "time_wait": "Waits until this time (seconds since 1970); 0 = no wait.",
    "time_life": "Seconds after creation the job is deleted; 0 = never, -1 = the user's value.",
    "depend_mask": "Waits until the user's unfinished jobs whose names match have finished.",
    "depend_mask_global": "As depend_mask, for the jobs of every user.",
    "hosts_mask": _HOSTS_MASK,
    "hosts_mask_exclude": _HOSTS_EXCLUDE,
    "hosts_mask_type": "find: a name starts with a word; regex: matches whole; empty = user's.",
    "need_os": "Words a render's OS string must contain (linux, windows, macosx...).",
    "need_properties": _PROPERTIES,
    "pools": "Pool priorities (-100 to 100); 100 = only pools listed so, -100 = never that pool.",
    "ignorenimby": "Runs on renders in nimby and NIMBY.",
    "ignorepaused": "Runs on paused renders.",
    "ppa": "Preview pending approval: only the preview frames run until it is cleared.",
    "maintenance": "One task per render, each named after the render it runs on.",
    "annotation": "A note shown with the job.",
    "description": "What the job is.",
    "project": "The project, for statistics.",
    "department": "The department, for statistics.",
    "folders": "Folders of the job's output (name: path).",
    "command_pre": _COMMAND_PRE,
    "command_post": _COMMAND_POST,
    "try_this_blocks_num": "Blocks of the tasks to try first (pairs with try_this_tasks_num).",
    "try_this_tasks_num": "Tasks to try first, one per entry of try_this_blocks_num.",
    "blocks": "The job's blocks, in order.",
}

USER = {
    "priority": "The user's weight in fair share: each point is worth about 10% more.",
    "max_running_tasks": _RUNNING,
    "max_running_tasks_per_host": _RUNNING_PER_HOST,
    "hosts_mask": "Renders the user's jobs may run on; empty = any.",
    "hosts_mask_exclude": "Renders the user's jobs never run on.",
    "hosts_mask_type": "find: a name starts with a word of the mask; regex: matches it whole.",
    "errors_retries": _ERRORS_RETRIES + " (the default of the user's jobs).",
    "errors_avoid_host": _AVOID_HOST + " (the default of the user's jobs).",
    "errors_task_same_host": _SAME_HOST + " (the default of the user's jobs).",
    "errors_forgive_time": _FORGIVE + " (the default of the user's jobs).",
    "jobs_life_time": "Seconds after creation a job of time_life -1 is deleted; 0 = never.",
    "max_queued_tasks": "Most tasks not yet done in the user's jobs; -1 = server's, 0 = no limit.",
    "max_jobs_per_minute": "Most jobs submitted a minute; -1 = the server's, 0 = no limit.",
    "solve_method": "order: job priority, then submission; priority: jobs share by priority.",
    "solve_need": "Fair share counts the user's running capacity, or running tasks.",
    "paused": "None of the user's tasks start.",
    "annotation": "A note shown with the user.",
}


def described(schema: dict, docs: dict[str, str]) -> dict:
    """An object schema whose properties carry their `description` from docs."""
    properties = {
        key: {**sub, "description": docs[key]} for key, sub in schema["properties"].items()
    }
    return {**schema, "properties": properties}
