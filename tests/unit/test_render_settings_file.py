"""The render's settings: flags > environment > settings file > defaults; the file is checked."""

from __future__ import annotations

import pytest

from app.cli.command import build_parser
from app.cli.modes import render_settings
from app.cli.parsing import UsageError
from app.render import settings_file
from app.render.settings_file import SettingsError, load, resolve

FILE = """
server = "http://file:1"
name = "from-file"
max_tasks = 3
capacity = 300
heartbeat = 2
on_exit = "finish"
nimby = "NIMBY"
"""


@pytest.fixture
def toml(tmp_path):
    path = tmp_path / "render.toml"
    path.write_text(FILE)
    return path


@pytest.fixture(autouse=True)
def no_user_file(tmp_path, monkeypatch):
    """The user's own render.toml never leaks into a test."""
    monkeypatch.setattr(settings_file, "default_path", lambda: tmp_path / "absent.toml")


def test_the_file_alone(toml):
    assert resolve({}, {}, toml) == {
        "server": "http://file:1",
        "name": "from-file",
        "max_tasks": 3,
        "capacity": 300,
        "heartbeat": 2.0,
        "on_exit": "finish",
        "nimby": "NIMBY",
    }


def test_environment_beats_the_file_and_flags_beat_both(toml):
    environ = {
        "CORRAL_SERVER": "http://env:2",
        "CORRAL_RENDER_NAME": "from-env",
        "CORRAL_MAX_TASKS": "4",
        "CORRAL_CAPACITY": "",  # empty: not set
    }
    settings = resolve({"name": "from-flag", "max_tasks": None}, environ, toml)
    assert settings["server"] == "http://env:2"
    assert settings["name"] == "from-flag"
    assert settings["max_tasks"] == 4
    assert settings["capacity"] == 300  # the file's: the environment left it empty
    assert settings["on_exit"] == "finish"


def test_defaults_are_left_out_and_the_default_file_is_used_if_present(tmp_path, monkeypatch):
    assert resolve({"name": None}, {}) == {}
    default = tmp_path / "config" / "render.toml"
    default.parent.mkdir()
    default.write_text('name = "default-file"\n')
    monkeypatch.setattr(settings_file, "default_path", lambda: default)
    assert resolve({}, {}) == {"name": "default-file"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'red'\n", "unknown setting 'colour'"),
        ("max_tasks = 0\n", "max_tasks must be an integer >= 1"),
        ("max_tasks = true\n", "max_tasks must be an integer >= 1"),
        ("paused = 'yes'\n", "paused must be true or false"),
        ("on_exit = 'later'\n", "on_exit must be one of finish, return, kill"),
        ("nimby = 'busy'\n", "nimby must be one of"),
        ("heartbeat = -1\n", "heartbeat must be a number of seconds"),
        ("name = \n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message) as caught:
        load(path)
    assert str(path) in str(caught.value)


def test_a_missing_explicit_file_and_a_bad_variable_are_errors(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        resolve({}, {}, tmp_path / "nowhere.toml")
    with pytest.raises(SettingsError, match="CORRAL_MAX_TASKS"):
        resolve({}, {"CORRAL_MAX_TASKS": "two"})
    with pytest.raises(SettingsError, match="max_tasks"):
        resolve({}, {"CORRAL_MAX_TASKS": "0"})


def test_the_render_verb_applies_the_precedence(toml):
    parser = build_parser()
    args = parser.parse_args(["render", "--config", str(toml), "--capacity", "7", "--paused"])
    settings = render_settings(args, {"CORRAL_RENDER_NAME": "env-name"})
    assert settings["capacity"] == 7 and settings["paused"] is True
    assert settings["name"] == "env-name"
    assert settings["max_tasks"] == 3 and settings["server"] == "http://file:1"
    args = parser.parse_args(["--server", "http://flag:3", "render", "--config", str(toml)])
    assert render_settings(args, {"CORRAL_SERVER": "http://env:2"})["server"] == "http://flag:3"
    bad = toml.parent / "bad.toml"
    bad.write_text("threads = 4\n")
    with pytest.raises(UsageError, match="unknown setting 'threads'"):
        render_settings(parser.parse_args(["render", "--config", str(bad)]), {})


def test_the_ca_file_comes_from_the_flag_or_the_file_and_is_checked(tmp_path):
    """--ca-file (else render.toml's ca_file) reaches the render's config; a file that is no
    CA certificate is a usage error naming it."""
    from app.cli.modes import configured_render
    from tests.unit.test_tls import _self_signed

    cert, _ = _self_signed(tmp_path, "farm")
    toml = tmp_path / "render.toml"
    toml.write_text(f'server = "https://farm:1"\nca_file = "{cert}"\n')
    parser = build_parser()
    token = ["--token-file", str(tmp_path / "token"), "--config", str(toml)]
    config, _ = configured_render(parser.parse_args(["render", *token]), service=False)
    assert config.ca_file == cert and config.verify is not True
    args = parser.parse_args(["render", *token, "--ca-file", str(toml)])
    with pytest.raises(UsageError, match=f"ca_file: cannot use {toml}"):
        configured_render(args, service=False)


def test_log_file_writes_json_lines(tmp_path):
    import json
    import logging

    from app.cli.running import add_json_log

    path = tmp_path / "render.jsonl"
    handler = add_json_log(path)
    try:
        logger = logging.getLogger("corral.render")
        logger.setLevel(logging.INFO)
        logger.info("registered as %s", "r1")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["message"] == "registered as r1"
    assert (first["level"], first["logger"]) == ("INFO", "corral.render")
    assert isinstance(first["time"], float)
    assert second["level"] == "ERROR" and "boom" in second["exception"]
