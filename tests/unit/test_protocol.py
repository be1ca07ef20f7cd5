"""The wire vocabulary: run keys, the result's fields and its verdict."""

import re
from pathlib import Path
from types import MappingProxyType

import pytest

from app.protocol import KEY_FIELDS, RESULT_FIELDS, RUN_STATES, key_fields, run_error, run_key
from app.server import render_messages
from app.server.render_messages import ProtocolError


def test_a_run_key_reads_back_from_its_fields():
    assert run_key({**key_fields((3, 0, 7, 2)), "type": "stop"}) == (3, 0, 7, 2)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"job": 1, "block": 0, "task": 2}, "run"),
        ({"job": "1", "block": 0, "task": 0, "run": 1}, "job"),
        ({"job": 1, "block": True, "task": 0, "run": 1}, "block"),
    ],
)
def test_a_run_key_names_its_first_bad_field(message, field):
    with pytest.raises(ValueError, match=f"^{field}: expected an integer"):
        run_key(message)


def test_a_run_key_must_be_an_object():
    with pytest.raises(ValueError, match="expected an object"):
        run_key([1, 0, 0, 1])
    assert run_key(MappingProxyType(key_fields((3, 0, 7, 2)))) == (3, 0, 7, 2)


def test_the_protocol_doc_names_every_run_state():
    text = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    sentence = re.search(r"A run's `state` is ([^.]*)\.", text.replace("\n", " "))
    assert re.findall(r"`([A-Z]+)`", sentence[1]) == list(RUN_STATES)


def test_the_server_checks_run_key_ranges():
    assert render_messages.run_key({"job": 1, "block": 0, "task": 0, "run": 1}) == (1, 0, 0, 1)
    with pytest.raises(ProtocolError, match="^run: expected an integer 1.."):
        render_messages.run_key({"job": 1, "block": 0, "task": 0, "run": 0})
    with pytest.raises(ProtocolError, match="^task: expected an integer"):
        render_messages.run_key({"job": 1, "block": 0, "task": 2.0, "run": 1})
    for name, value in (("job", 0), ("block", -1), ("task", 2**53 + 1)):
        message = {"job": 1, "block": 0, "task": 0, "run": 1, name: value}
        with pytest.raises(ProtocolError, match=f"^{name}: expected an integer"):
            render_messages.run_key(message)


def test_a_validated_result_has_every_result_field():
    message = {
        "seq": 4,
        **key_fields((1, 0, 0, 1)),
        "exit_code": 0,
        "signal": None,
        "error": None,
        "time_start": 1.0,
        "time_done": 2.0,
    }
    report = render_messages.result(message)
    assert set(report) == {"seq", "key", *RESULT_FIELDS}
    assert not set(KEY_FIELDS) & set(RESULT_FIELDS)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, None),
        ({"exit_code": 3}, "exit code 3"),
        ({"exit_code": None, "signal": 9}, "killed by signal 9"),
        ({"exit_code": 3, "success": True}, None),  # the render's service accepts that code
        ({"exit_code": 0, "error": "stopped"}, "stopped"),
        ({"exit_code": 1, "error": "exit code 1: boom", "success": True}, "exit code 1: boom"),
    ],
)
def test_run_error(fields, error):
    assert run_error({"error": None, "exit_code": 0, "signal": None, **fields}) == error
