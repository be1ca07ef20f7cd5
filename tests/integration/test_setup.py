"""`corral setup`: by flags and by answers on stdin it writes the settings files, and the real
`corral server` and `corral render`, started with no options, read them and run a job; a refused
answer writes nothing."""

from __future__ import annotations

import stat
import subprocess
import sys
import tomllib

import pytest

from app import api
from app.cli import main
from app.server.auth import ADMIN_TOKEN_FILE, FARM_SECRET_FILE, read_secret
from bench.local_farm import FarmProcess, free_port
from tests.polling import wait_until


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user of the test's own: config, data and autostart folders under tmp_path (for this
    process and the `corral` processes it starts)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    for name in ("CORRAL_SERVER", "CORRAL_FARM_NAME", "CORRAL_FARM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def corral_setup(*args: str, answers: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "setup", *args],
        input=answers,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_setup_server_by_flags_is_what_the_server_and_its_render_read(home, tmp_path, capsys):
    port, data = free_port(), tmp_path / "farm-data"
    flags = ["--host", "127.0.0.1", "--port", str(port), "--data", str(data)]
    flags += ["--farm-name", "flags", "--no-announce", "--render"]
    assert main(["setup", "server", *flags]) == 0
    out = capsys.readouterr().out
    config = home / "config" / "corral"
    assert f"wrote {config / 'server.toml'}" in out and f"wrote {config / 'render.toml'}" in out
    with open(config / "server.toml", "rb") as file:
        assert tomllib.load(file) == {
            "host": "127.0.0.1",
            "port": port,
            "data": str(data),
            "farm_name": "flags",
            "announce": False,
        }
    assert stat.S_IMODE((data / FARM_SECRET_FILE).stat().st_mode) == 0o600

    server = FarmProcess(["server"], tmp_path / "server.log").start()
    render = FarmProcess(["render", "--name", "set-up"], tmp_path / "render.log").start()
    try:
        url = f"http://127.0.0.1:{port}"
        client = api.Client(url, timeout=10, token=read_secret(data / ADMIN_TOKEN_FILE))
        wait_until(lambda: _online(client, "set-up"), 30)
        job_id = client.submit(api.numeric_job("setup", "echo frame @#@", 1, 3, user_name="ann"))
        wait_until(lambda: client.job(job_id)["state"] == "DON", 60)
    finally:
        codes = [render.stop(), server.stop()]
    assert codes == [0, 0], (tmp_path / "server.log").read_text()[-2000:]


def _online(client: api.Client, name: str) -> bool:
    try:
        return any(r["name"] == name and r["online"] for r in client.renders())
    except api.CorralError:
        return False  # not up yet


def test_setup_workstation_asks_on_stdin_and_asks_again_after_a_refused_answer(home, tmp_path):
    secret = tmp_path / "usb" / "farm-secret"
    secret.parent.mkdir()
    secret.write_text("crl_fs_from_the_server\n")
    answers = "\n".join(["ftp://farm", "http://farm.studio:51000/", "-", str(secret), "desk7"])
    done = corral_setup("workstation", answers=answers + "\n0\n2\nn\n")

    assert done.returncode == 0, done.stderr
    assert "'ftp://farm' is not an http:// or https:// URL" in done.stdout
    assert "invalid number '0': must be >= 1" in done.stdout
    assert "Start the tray when you log in (y/n) [y]:" in done.stdout
    config = home / "config" / "corral"
    with open(config / "render.toml", "rb") as file:
        assert tomllib.load(file) == {
            "server": "http://farm.studio:51000",
            "name": "desk7",
            "max_tasks": 2,
            "farm_secret_file": str(config / "farm-secret"),
        }
    copy = config / "farm-secret"
    assert copy.read_text() == "crl_fs_from_the_server\n"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    autostart = home / "config" / "autostart" / "corral-tray.desktop"
    assert not autostart.exists()  # answered n

    again = corral_setup("workstation", "--tray-at-login", answers="")  # flags: no questions
    assert again.returncode == 0, again.stderr
    assert "[-]:" not in again.stdout
    assert " tray\n" in autostart.read_text()  # its render.toml is where the tray looks
    with open(config / "render.toml", "rb") as file:
        assert tomllib.load(file)["name"] == "desk7"  # kept: the defaults are the file's


def test_refused_setups_write_nothing(home, tmp_path, capsys):
    config = home / "config" / "corral"
    assert main(["setup", "render", "--yes"]) == 2
    assert "give --farm-secret-file FILE" in capsys.readouterr().err
    assert main(["setup", "render", "--farm-secret-file", str(tmp_path / "absent")]) == 2
    assert "the farm secret file: [Errno 2]" in capsys.readouterr().err
    assert not config.exists()

    data = tmp_path / "data"
    assert main(["setup", "server", "--yes", "--data", str(data)]) == 0
    before = (config / "server.toml").read_text()
    other = tmp_path / "other-secret"
    other.write_text("crl_fs_another_farm\n")
    flags = ["--data", str(data), "--port", "52000", "--farm-secret-file", str(other)]
    assert main(["setup", "server", *flags]) == 2
    assert "holds another farm secret" in capsys.readouterr().err
    assert (config / "server.toml").read_text() == before
    (config / "server.toml").write_text('port = "many"\n')
    assert main(["setup", "server", "--yes"]) == 2
    assert "port must be a port number 1..65535, not 'many'" in capsys.readouterr().err
    assert (config / "server.toml").read_text() == 'port = "many"\n'
