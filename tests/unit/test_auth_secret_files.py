"""The data folder's admin-token, farm-secret and metrics-token: made once, private from
creation, checked."""

import logging
import os
import stat
import threading

import pytest

from app.server.auth import (
    ADMIN_TOKEN_FILE,
    FARM_SECRET_FILE,
    FARM_SECRET_PREFIX,
    METRICS_TOKEN_FILE,
    TOKEN_PREFIX,
    SecretFileError,
    load_or_create,
    read_secret,
)

FILES = sorted([ADMIN_TOKEN_FILE, FARM_SECRET_FILE, METRICS_TOKEN_FILE])
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
def test_first_start_creates_the_files_private_then_reads_them(tmp_path):
    first = load_or_create(tmp_path)
    admin, farm = tmp_path / ADMIN_TOKEN_FILE, tmp_path / FARM_SECRET_FILE
    metrics = tmp_path / METRICS_TOKEN_FILE
    assert first.created == (admin, farm, metrics)
    assert first.admin_token.startswith(TOKEN_PREFIX)
    assert first.farm_secret.startswith(FARM_SECRET_PREFIX)
    assert first.metrics_token.startswith("crlmetrics_")
    assert admin.read_text().strip() == first.admin_token
    assert farm.read_text().strip() == first.farm_secret
    assert metrics.read_text().strip() == first.metrics_token
    assert _mode(admin) == _mode(farm) == _mode(metrics) == 0o600
    again = load_or_create(tmp_path)
    assert again == first.__class__(first.admin_token, first.farm_secret, first.metrics_token)
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES


@posix_only
def test_files_are_0600_from_creation_whatever_the_umask(tmp_path, monkeypatch):
    opened = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        opened.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    old_umask = os.umask(0)
    try:
        load_or_create(tmp_path)
    finally:
        os.umask(old_umask)
    creations = [(flags, mode) for _path, flags, mode in opened if flags & os.O_CREAT]
    assert len(creations) == 3
    for flags, mode in creations:
        assert flags & os.O_EXCL
        assert mode == 0o600
    assert _mode(tmp_path / ADMIN_TOKEN_FILE) == 0o600


def test_an_existing_file_is_read_not_replaced(tmp_path):
    admin = tmp_path / ADMIN_TOKEN_FILE
    fd = os.open(admin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"crl_mine\n")
    os.close(fd)
    secrets = load_or_create(tmp_path)
    assert secrets.admin_token == "crl_mine"
    assert secrets.created == (tmp_path / FARM_SECRET_FILE, tmp_path / METRICS_TOKEN_FILE)
    assert admin.read_text() == "crl_mine\n"


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_file_others_may_read_or_write_is_refused_and_left_alone(tmp_path, mode):
    admin = tmp_path / ADMIN_TOKEN_FILE
    admin.write_text("crl_exposed\n")
    admin.chmod(mode)
    with pytest.raises(SecretFileError, match="chmod 600") as refused:
        load_or_create(tmp_path)
    assert f"{mode:04o}" in str(refused.value)
    assert "crl_exposed" not in str(refused.value)
    assert admin.read_text() == "crl_exposed\n"
    assert _mode(admin) == mode


@posix_only
def test_a_symlink_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("crl_linked\n")
    elsewhere.chmod(0o600)
    data = tmp_path / "data"
    data.mkdir()
    (data / ADMIN_TOKEN_FILE).symlink_to(elsewhere)
    with pytest.raises(SecretFileError, match="symlink"):
        load_or_create(data)
    (data / ADMIN_TOKEN_FILE).unlink()
    (data / ADMIN_TOKEN_FILE).symlink_to(tmp_path / "missing")  # dangling: not created through
    with pytest.raises(SecretFileError):
        load_or_create(data)
    assert not (tmp_path / "missing").exists()


@posix_only
@pytest.mark.skipif(os.name == "posix" and os.geteuid() != 0, reason="chown needs root")
def test_a_file_owned_by_someone_else_is_refused(tmp_path):
    admin = tmp_path / ADMIN_TOKEN_FILE
    admin.write_text("crl_theirs\n")
    admin.chmod(0o600)
    os.chown(admin, 54321, 54321)
    with pytest.raises(SecretFileError, match="54321"):
        read_secret(admin)


@pytest.mark.parametrize("content", [b"", b"\n  \n", b"\xff\xfe", b"crl_\x01x", b"x" * 2000])
def test_a_file_without_a_secret_is_refused(tmp_path, content):
    path = tmp_path / FARM_SECRET_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(SecretFileError, match="does not hold a secret"):
        load_or_create(tmp_path)


def test_a_missing_file_is_an_error_when_only_read(tmp_path):
    with pytest.raises(SecretFileError, match="does not exist"):
        read_secret(tmp_path / FARM_SECRET_FILE)


def test_servers_starting_together_agree_on_one_secret(tmp_path):
    start = threading.Barrier(8)
    results = []

    def start_server():
        start.wait()
        results.append(load_or_create(tmp_path))

    threads = [threading.Thread(target=start_server) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({(r.admin_token, r.farm_secret, r.metrics_token) for r in results}) == 1
    assert sum(len(r.created) for r in results) == 3  # each file made exactly once
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES


def test_values_are_never_logged_or_shown_only_paths(tmp_path, caplog):
    with caplog.at_level(logging.DEBUG, logger="corral"):
        secrets = load_or_create(tmp_path)
    assert str(tmp_path / ADMIN_TOKEN_FILE) in caplog.text
    assert str(tmp_path / FARM_SECRET_FILE) in caplog.text
    assert str(tmp_path / METRICS_TOKEN_FILE) in caplog.text
    for value in (secrets.admin_token, secrets.farm_secret, secrets.metrics_token):
        assert value not in caplog.text
        assert value not in repr(secrets)
