"""Shared test set-up: Qt offscreen (before any Qt import), no OS keyring (tokens come from the
servers' data folders: the keyring backends tests/unit/test_credentials.py defines would
otherwise be chosen as the default); user config and data folders of the session's own; a
server of a test's own; the store's URL on each backend (tests/postgres.py says when PostgreSQL
runs)."""

import os
from collections.abc import Iterator

import pytest

from tests.postgres import fresh_database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # subprocesses too


@pytest.fixture(scope="session", autouse=True)
def own_user_folders(tmp_path_factory) -> None:
    """$XDG_CONFIG_HOME and $XDG_DATA_HOME in the session's folder, for the tests and every
    process they start: a developer's own server.toml, render.toml and render tokens are
    never read (nor written) by the servers and renders of the tests."""
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        os.environ[variable] = str(tmp_path_factory.mktemp(variable.lower()))


@pytest.fixture
def own_server(tmp_path) -> Iterator:
    """A server of this test's own (tests/integration/conftest.py Farm; renders are the test's
    to add)."""
    from tests.integration.conftest import Farm

    farm = Farm(tmp_path)
    farm.start_server()
    yield farm
    farm.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (skipped without a server: tests/postgres.py)."""
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path) -> str:
    """The store's URL on each backend in turn: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'corral.db'}"
    return request.getfixturevalue("postgres_url")
