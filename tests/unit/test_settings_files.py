"""The services' settings files: written TOML reads back the same, the server's file sits under
its flags, and a refused file or value is named."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.render import settings_file as render_file
from app.server import settings_file as server_file
from app.settings_files import SettingsError, dumps, load, write


def test_written_settings_read_back_the_same(tmp_path):
    settings = {
        "server": "http://farm:51000",
        "name": 'desk "7" \\ ü',
        "max_tasks": 2,
        "heartbeat": 2.5,
        "paused": False,
        "programs": {"blender": "/opt/blender 4.2/blender", "Render": "C:\\Maya\\Render.exe"},
    }
    path = tmp_path / "render.toml"
    write(path, settings, render_file.KEYS, "a header\nof two lines")
    assert path.read_text().startswith("# a header\n# of two lines\n")
    assert load(path, render_file.KEYS) == settings
    assert tomllib.loads(dumps(settings)) == settings


def test_a_refused_value_writes_nothing(tmp_path):
    path = tmp_path / "server.toml"
    with pytest.raises(SettingsError, match="port must be a port number 1..65535, not 0"):
        write(path, {"port": 0}, server_file.KEYS)
    assert not path.exists()


def test_the_server_file_sits_under_the_flags(tmp_path, monkeypatch):
    monkeypatch.setattr(server_file, "default_path", lambda: tmp_path / "absent.toml")
    assert server_file.resolve({"port": None}) == {}
    path = tmp_path / "server.toml"
    path.write_text('host = "0.0.0.0"\nport = 52000\nannounce = true\n')
    assert server_file.resolve({"port": 53000, "host": None}, path) == {
        "host": "0.0.0.0",
        "port": 53000,
        "announce": True,
    }
    monkeypatch.setattr(server_file, "default_path", lambda: path)
    assert server_file.resolve({})["port"] == 52000
    path.write_text("colour = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        server_file.resolve({})


def test_the_tests_and_their_processes_have_user_folders_of_their_own(tmp_path_factory):
    """tests/conftest.py: config_dir() and the data folder are the session's, in a process the
    tests start too (its environment is theirs)."""
    code = (
        "from app.settings_files import config_dir; from app.credentials import default_data_dir;"
        "print(config_dir()); print(default_data_dir())"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    folders = [Path(line) for line in answer.stdout.splitlines()]
    assert len(folders) == 2, answer.stderr
    assert all(f.is_relative_to(tmp_path_factory.getbasetemp()) for f in folders), folders
