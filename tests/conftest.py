"""Shared test set-up: Qt offscreen (before any Qt import), no OS keyring (tokens come from the
servers' data folders: the keyring backends tests/unit/test_credentials.py defines would
otherwise be chosen as the default); a server of a test's own."""

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # subprocesses too


@pytest.fixture
def own_server(tmp_path) -> Iterator:
    """A server of this test's own (tests/integration/conftest.py Farm; renders are the test's
    to add)."""
    from tests.integration.conftest import Farm

    farm = Farm(tmp_path)
    farm.start_server()
    yield farm
    farm.stop()
