"""The OpenJD session script (app/services/openjd/session.py) with real processes."""

from __future__ import annotations

import json
import os
import sys

from app.services.openjd.session import SESSION_DIR, main, run_session


def py(code: str, timeout: int | None = None) -> dict:
    """An action running Python code."""
    return {"args": [sys.executable, "-c", code], "timeout": timeout}


def log_to(path, word: str) -> dict:
    """An action appending a line to a file."""
    return py(f"open({str(path)!r}, 'a').write({word + chr(10)!r})")


def environment(name: str, enter=None, exit=None, **variables: str) -> dict:
    return {"name": name, "variables": variables, "enter": enter, "exit": exit}


def test_environments_are_entered_in_order_and_exited_in_reverse(tmp_path):
    log = tmp_path / "log"
    setter = py("print('openjd_env: STAGE=set'); print('openjd_unset_env: GONE')")
    session = {
        "files": [],
        "environments": [
            environment("a", log_to(log, "enter a"), log_to(log, "exit a"), GONE="x"),
            environment("b", setter, log_to(log, "exit b"), SHOT="sh1"),
        ],
        "run": py(
            f"import os; open({str(log)!r}, 'a').write('run ' + os.environ['SHOT'] + "
            "os.environ['STAGE'] + str('GONE' in os.environ) + '\\n')"
        ),
    }
    assert run_session(session, str(tmp_path)) == 0
    assert log.read_text().splitlines() == ["enter a", "run sh1setFalse", "exit b", "exit a"]


def test_files_are_written_in_the_session_folder(tmp_path):
    path = f"{SESSION_DIR}/task/run.sh"
    session = {
        "files": [{"path": path, "data": f"in {SESSION_DIR}", "runnable": True}],
        "environments": [],
        "run": py("import os; print(os.getcwd())"),
    }
    assert run_session(session, str(tmp_path)) == 0
    written = tmp_path / "task" / "run.sh"
    assert written.read_text() == f"in {tmp_path}"
    assert os.access(written, os.X_OK) or sys.platform == "win32"


def test_a_failed_enter_skips_the_task_and_exits_what_was_entered(tmp_path):
    log = tmp_path / "log"
    session = {
        "files": [],
        "environments": [
            environment("a", None, log_to(log, "exit a")),
            environment("b", py("raise SystemExit(3)"), log_to(log, "exit b")),
        ],
        "run": log_to(log, "run"),
    }
    assert run_session(session, str(tmp_path)) == 3
    assert log.read_text().splitlines() == ["exit a"]


def test_a_failed_task_still_exits_its_environments(tmp_path):
    log = tmp_path / "log"
    session = {
        "files": [],
        "environments": [environment("a", None, log_to(log, "exit a"))],
        "run": py("raise SystemExit(5)"),
    }
    assert run_session(session, str(tmp_path)) == 5
    assert log.read_text() == "exit a\n"


def test_an_action_past_its_timeout_is_killed(tmp_path):
    session = {"files": [], "environments": [], "run": py("import time; time.sleep(60)", 1)}
    assert run_session(session, str(tmp_path)) != 0


def test_a_missing_program_fails_with_a_message(tmp_path, capfd):
    session = {"files": [], "environments": [], "run": {"args": [str(tmp_path / "nope")]}}
    assert run_session(session, str(tmp_path)) == 127
    assert "cannot run" in capfd.readouterr().out


def test_main_removes_the_session_folder(capfd):
    session = {"files": [], "environments": [], "run": py(f"print({SESSION_DIR!r})")}
    assert main(["session.py", json.dumps(session)]) == 0
    folder = capfd.readouterr().out.splitlines()[-1]
    assert "openjd-session-" in folder and not os.path.exists(folder)


def test_a_malformed_document_is_refused_naming_what_it_lacks(capfd):
    for document, lacks in [
        ("[1]", "run.args"),
        ('{"run": {"args": ["echo"]}, "files": [{"path": 1}], "environments": []}', "files"),
        ('{"run": {"args": ["echo"]}, "files": [], "environments": [{"name": "e"}]}', "name and"),
        ("not json", "Expecting value"),
    ]:
        assert main(["session.py", document]) == 2
        assert lacks in capfd.readouterr().out


def test_an_enter_action_may_print_bytes_that_are_not_utf8(tmp_path, capfd):
    noisy = py("import sys; sys.stdout.buffer.write(b'\\xff\\nopenjd_env: X=1\\n')")
    session = {
        "files": [],
        "environments": [environment("e", noisy)],
        "run": py("import os; print('X is ' + os.environ['X'])"),
    }
    assert run_session(session, str(tmp_path)) == 0
    assert "X is 1" in capfd.readouterr().out
