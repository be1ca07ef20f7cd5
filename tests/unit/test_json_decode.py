"""The decoder of JSON documents from the network: bounded nesting, ValueError for the rest."""

import json

import pytest

from app.core.json_checks import MAX_DEPTH, decode


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit_is_decoded():
    assert decode('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    value = decode(nested(MAX_DEPTH))
    for _ in range(MAX_DEPTH - 1):
        (value,) = value
    assert value == []


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_deeper_nesting_is_a_value_error(depth):
    with pytest.raises(ValueError, match="nested more than"):
        decode(nested(depth))
    with pytest.raises(ValueError, match="nested more than"):
        decode('{"ok": [1, 2], "deep": ' + nested(depth) + "}")


def test_many_brackets_side_by_side_are_not_depth():
    assert decode(json.dumps([[i] for i in range(5 * MAX_DEPTH)]))[-1] == [5 * MAX_DEPTH - 1]
    assert decode(json.dumps({"text": "[" * 5000})) == {"text": "[" * 5000}


def test_bad_syntax_is_a_json_decode_error():
    with pytest.raises(json.JSONDecodeError):
        decode("{not json")
