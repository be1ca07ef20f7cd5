"""Every key of the job model and of a user's settings says what it means, in the schemas the
monitor's tooltips, the OpenAPI document and the docs site read: a key added without a
description fails here."""

from __future__ import annotations

import pytest

from app import protocol
from app.core import jobspec, key_docs, users

JOB = jobspec.job_schema()
BLOCK = JOB["properties"]["blocks"]["items"]
TASK = BLOCK["properties"]["tasks"]["items"]


@pytest.mark.parametrize(
    ("schema", "keys", "docs"),
    [
        (JOB, protocol.JOB_KEYS, key_docs.JOB),
        (BLOCK, protocol.BLOCK_KEYS, key_docs.BLOCK),
        (TASK, protocol.TASK_KEYS, key_docs.TASK),
        (users.settings_schema(), users.EDITABLE, key_docs.USER),
    ],
    ids=["job", "block", "task", "user"],
)
def test_every_key_has_a_short_description_and_none_is_left_over(schema, keys, docs):
    properties = schema["properties"]
    assert set(keys) <= set(properties)
    for key, sub in properties.items():
        text = sub.get("description", "")
        assert text and text == docs[key], key
        assert len(text) <= 100 and "\n" not in text, key  # one short line, for a tooltip
    assert set(docs) == set(properties)  # no description of a key the model does not have
