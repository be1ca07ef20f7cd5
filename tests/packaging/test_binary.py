"""The one-file binary, headless: its version, a farm from `corral up` running a 10-task job to
DONE through the binary's own command line, the monitor, a render and the tray (offscreen Qt),
and what it carries inside (web pages, service scripts, keyring backends, the meters' entry
points)."""

from __future__ import annotations

import json
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest

from app import __version__
from app.server.auth import ADMIN_TOKEN_FILE, FARM_SECRET_FILE, read_secret
from bench.local_farm import free_port
from tests.packaging.conftest import isolated_env
from tests.polling import wait_until


def run(binary: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=60)


def test_version(onefile, tmp_path):
    done = run(onefile, isolated_env(tmp_path), "--version")
    assert (done.returncode, done.stdout) == (0, f"corral {__version__}\n"), done.stderr


@pytest.fixture(scope="module")
def farm(onefile, tmp_path_factory):
    """`corral up` from the binary on a fresh data folder; yields (the environment for its
    command line, the server's url, the data folder)."""
    home = tmp_path_factory.mktemp("up-home")
    port = free_port()
    log = home / "up.log"
    with open(log, "wb") as out:
        up = subprocess.Popen(
            [str(onefile), "up", "--port", str(port), "--data", str(home / "data")],
            env=isolated_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "Corral is up" in log.read_text() or up.poll() is not None, 60)
        assert up.poll() is None, log.read_text()
        url = f"http://127.0.0.1:{port}"
        token = read_secret(home / "data" / ADMIN_TOKEN_FILE)
        yield isolated_env(home, CORRAL_SERVER=url, CORRAL_TOKEN=token), url, home / "data"
        up.send_signal(signal.SIGINT)
        assert up.wait(30) == 0, log.read_text()[-3000:]
    finally:
        if up.poll() is None:
            up.kill()
            up.wait(10)


def test_up_runs_a_ten_task_job_to_done_through_its_own_cli(onefile, farm):
    env, _, _ = farm
    done = run(onefile, env, "submit", "--name", "ten", "--frames", "1-10", "--", "echo", "@#@")
    assert done.returncode == 0, done.stderr
    job_id = int(done.stdout.split()[1])  # "Job N submitted"

    def done_job() -> dict | bool:
        listed = run(onefile, env, "--json", "jobs")
        assert listed.returncode == 0, listed.stderr
        (job,) = [job for job in json.loads(listed.stdout) if job["id"] == job_id]
        assert "ERR" not in job["state"], job
        return job["state"] == "DON" and job

    job = wait_until(done_job, 90, every=0.5)
    assert job["tasks_total"] == 10
    output = run(onefile, env, "task", "log", str(job_id), "0", "9")
    assert (output.returncode, output.stdout.strip()) == (0, "10"), output.stderr


def test_the_statistics_page_gets_plotly_from_the_binary(farm):
    from urllib.request import urlopen

    _, url, _ = farm
    with urlopen(f"{url}/stats/plotly.min.js", timeout=10) as answer:
        assert answer.status == 200
        assert b"plotly" in answer.read(4096).lower()


def server_stats(binary: Path, env: dict) -> dict:
    stats = run(binary, env, "--json", "server", "stats")
    assert stats.returncode == 0, stats.stderr
    return json.loads(stats.stdout)


def stop_cleanly(process: subprocess.Popen) -> None:
    """SIGTERM: the process exits 0 without a traceback."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert b"Traceback" not in err, err


def test_the_monitor_starts_offscreen_and_exits_cleanly(onefile, farm):
    env, _, _ = farm
    monitor = subprocess.Popen(
        [str(onefile), "monitor"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_until(
            lambda: server_stats(onefile, env)["monitors"] == 1 or monitor.poll() is not None, 60
        )
        assert monitor.poll() is None, monitor.communicate()
        stop_cleanly(monitor)
        wait_until(lambda: server_stats(onefile, env)["monitors"] == 0, 30)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.communicate()


@pytest.mark.parametrize("mode", ["render", "tray"])
def test_a_render_and_a_tray_of_the_binary_join_the_farm(onefile, farm, tmp_path, mode):
    """`corral render` and `corral tray` (offscreen: its menu as a window) join with the farm
    secret, show up online, and stop cleanly."""
    env, _, data = farm
    name = f"binary-{mode}"
    joining = [f"--name={name}", f"--farm-secret-file={data / FARM_SECRET_FILE}"]
    joining.append(f"--token-file={tmp_path / 'render.token'}")
    process = subprocess.Popen(
        [str(onefile), mode, *joining], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def online() -> bool:
        listed = run(onefile, env, "--json", "renders")
        assert listed.returncode == 0, listed.stderr
        return any(r["name"] == name and r["online"] for r in json.loads(listed.stdout))

    try:
        wait_until(lambda: online() or process.poll() is not None, 60)
        assert process.poll() is None, process.communicate()
        stop_cleanly(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


INSIDE = textwrap.dedent(
    """
    import importlib, json, os
    from importlib import metadata
    from app.server import pages
    from app.services import blender, houdini, openjd
    from app.cli import dcc_install

    import keyring.backend
    keyring.backend._load_plugins()
    importlib.import_module("secretstorage")  # what the Secret Service backend needs
    print(json.dumps({
        "keyring": sorted(c.__module__ for c in keyring.backend.KeyringBackend._classes),
        "meters": sorted(p.name for p in metadata.entry_points(group="corral.meters")),
        "files": {
            str(path): os.path.isfile(path)
            for path in [
                pages.plotly_script(),
                *pages.FILES.values(),
                blender.PROGRESS_SCRIPT,
                blender.BPY_RUNNER,
                houdini.SCRIPTS_DIR / "houdini_render.py",
                openjd.SESSION_SCRIPT,
                *dcc_install.api_modules(),
            ]
        },
        "dcc_plugins": sorted(p.name for p in dcc_install.PLUGINS_DIR.iterdir()),
    }))
    """
)


def test_the_binary_carries_its_files_keyring_backends_and_entry_points(onefile, tmp_path):
    """The binary runs a .py file as Python would (the services start their scripts so)."""
    script = tmp_path / "inside.py"
    script.write_text(INSIDE)
    done = run(onefile, isolated_env(tmp_path), str(script))
    assert done.returncode == 0, done.stderr
    inside = json.loads(done.stdout)
    assert {"keyring.backends.SecretService", "keyring.backends.kwallet"} <= set(inside["keyring"])
    assert inside["meters"] == ["cpu_temp", "disk_io"]
    assert inside["files"] and all(inside["files"].values()), inside["files"]
    assert {"blender", "houdini", "maya", "nuke"} <= set(inside["dcc_plugins"])
