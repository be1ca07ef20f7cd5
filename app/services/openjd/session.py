"""Run one Open Job Description task as a session: ``python session.py SESSION_JSON``.

The render runs this file as a script (the openjd service's command); the service and the
template module import it for :data:`SESSION_DIR` and :func:`map_texts`.

The session document (written at submit by app/services/openjd/template.py) holds
``files`` (path, data, runnable), ``environments`` (name, variables, enter, exit) and ``run``;
an action is ``{"args": [...], "timeout": seconds or null}``. ``@OPENJD_SESSION_DIR@`` in any
text stands for the session's working directory, a new temporary folder.

The files are written, then each environment is entered in order (its variables set, its
``onEnter`` run; ``openjd_env: NAME=VALUE`` and ``openjd_unset_env: NAME`` lines of an enter
action change the variables of what follows), the task runs, and the environments entered are
exited in reverse order, even after a failure (an environment whose enter failed is not
exited). Every action runs in the session folder. The exit status is the first failure's, else
0. Standard library only: it runs on the render.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

SESSION_DIR = "@OPENJD_SESSION_DIR@"
_ENV_LINE = re.compile(r"^openjd_env:\s*([^=\s]+)=(.*)$")
_UNSET_LINE = re.compile(r"^openjd_unset_env:\s*(\S+)\s*$")


def map_texts(value, change):
    """A JSON value with change(text) applied to every text in it."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [map_texts(item, change) for item in value]
    if isinstance(value, dict):
        return {key: map_texts(item, change) for key, item in value.items()}
    return value


def _is_action(action):
    args = action.get("args") if isinstance(action, dict) else None
    return bool(args) and isinstance(args, list) and all(isinstance(a, str) for a in args)


def check_session(session):
    """ValueError naming what a session document lacks."""
    if not isinstance(session, dict) or not _is_action(session.get("run")):
        raise ValueError("a session document needs run.args, a list of strings")
    if not isinstance(session.get("files"), list) or not all(
        isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("data"), str)
        for f in session["files"]
    ):
        raise ValueError("a session document needs files, each with a path and data")
    environments = session.get("environments")
    if not isinstance(environments, list) or not all(
        isinstance(env, dict)
        and isinstance(env.get("name"), str)
        and isinstance(env.get("variables"), dict)
        and all(isinstance(value, str) for value in env["variables"].values())
        and all(env.get(key) is None or _is_action(env[key]) for key in ("enter", "exit"))
        for env in environments
    ):
        raise ValueError("a session document needs environments, each with a name and variables")


def _write_files(files):
    for entry in files:
        os.makedirs(os.path.dirname(entry["path"]), exist_ok=True)
        with open(entry["path"], "w", encoding="utf-8", newline="") as handle:
            handle.write(entry["data"])
        if entry.get("runnable"):
            os.chmod(entry["path"], 0o755)


def _run(action, env, folder, capture_env=False):
    """Run an action; its output goes on to ours. Returns its exit status."""
    print("openjd_status: running " + " ".join(action["args"]), flush=True)
    try:
        process = subprocess.Popen(
            action["args"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE if capture_env else None,
            stderr=subprocess.STDOUT if capture_env else None,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as error:
        print("openjd session: cannot run {}: {}".format(action["args"][0], error), flush=True)
        return 127
    timer = None
    if action.get("timeout"):
        timer = threading.Timer(action["timeout"], process.kill)
        timer.start()
    if capture_env:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            _apply_env_line(line.strip(), env)
    code = process.wait()
    if timer is not None:
        timer.cancel()
    return code


def _apply_env_line(line, env):
    match = _ENV_LINE.match(line)
    if match:
        env[match[1]] = match[2]
        return
    match = _UNSET_LINE.match(line)
    if match:
        env.pop(match[1], None)


def run_session(session, folder):
    """Enter, run and exit; the exit status of the first failure, else 0."""
    session = map_texts(session, lambda text: text.replace(SESSION_DIR, folder))
    _write_files(session["files"])
    env = dict(os.environ)
    entered = []
    code = 0
    for environment in session["environments"]:
        env.update(environment["variables"])
        if environment.get("enter"):
            code = _run(environment["enter"], env, folder, capture_env=True)
            if code:
                print("openjd session: entering {} failed".format(environment["name"]), flush=True)
                break
        entered.append(environment)
    if not code:
        code = _run(session["run"], env, folder)
    for environment in reversed(entered):
        if environment.get("exit"):
            status = _run(environment["exit"], env, folder)
            code = code or status
    return code


def main(argv):
    if len(argv) != 2:
        print("usage: session.py SESSION_JSON", file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="openjd-session-")
    try:
        session = json.loads(argv[1])
        check_session(session)
        return run_session(session, folder)
    except ValueError as error:
        print("openjd session: " + str(error), flush=True)
        return 2
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
