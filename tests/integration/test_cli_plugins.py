"""`corral plugins install|uninstall|list`: each application's plugin and the client API put in
temporary folders standing for the application's own, and taken away again.

The installer works on whatever files dcc_plugins/<application>/ holds: most tests give it
plugin folders of their own (the layouts the applications load), one installs the real ones.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from app.cli import dcc_install, main
from tests.python37 import PYTHON37, needs_python37

ROOT = Path(__file__).resolve().parents[2]
API_FILES = ["__init__.py", "api.py", "credentials.py", "protocol.py"]
IMPORTS_API = "from corral_api import api\n"

# a plugin folder per application, as it is laid out for the application to load it
LAYOUTS = {
    "blender": {"corral_submit/__init__.py": "from .corral_api import api\n"},
    "maya": {
        "corral.mod": "+ corral 1.0 ./corral\n",
        "corral/scripts/userSetup.py": "import corral_menu\n",
        "corral/scripts/corral_menu.py": IMPORTS_API,
    },
    "nuke": {"init.py": "", "menu.py": "import corral_nuke\n", "corral_nuke.py": IMPORTS_API},
    "houdini": {
        "corral.json": '{"path": "$HOUDINI_PACKAGE_PATH/corral"}\n',
        "corral/python3.11libs/corral_houdini.py": IMPORTS_API,
        "corral/toolbar/corral.shelf": "<shelfDocument/>\n",
    },
}
# where each application's plugin lands in its folder, and where the API goes
PLACES = {
    "blender": ("corral_submit", "corral_submit"),
    "maya": ("corral", "corral/scripts"),
    "nuke": ("corral", "corral"),
    "houdini": ("corral", "corral/python3.11libs"),
}


@pytest.fixture
def plugins(tmp_path, monkeypatch) -> Path:
    """dcc_plugins/ of LAYOUTS; HOME (where the applications keep their folders) a new one."""
    folder = tmp_path / "dcc_plugins"
    for app, files in LAYOUTS.items():
        for name, text in files.items():
            path = folder / app / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    monkeypatch.setattr(dcc_install, "PLUGINS_DIR", folder)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("BLENDER_USER_EXTENSIONS", "MAYA_APP_DIR", "HOUDINI_USER_PREF_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home/.config"))
    return folder


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("app", sorted(LAYOUTS))
def test_install_copies_the_plugin_and_the_api_and_uninstall_takes_them_away(
    app, plugins, tmp_path, capsys
):
    dest = tmp_path / "dest"
    code, out, err = run(capsys, "plugins", "install", app, "--dest", str(dest))
    assert (code, err) == (0, "")
    entry, api_folder = PLACES[app]
    assert out.splitlines()[:3] == [
        f"installed the {app} plugin in {dest}:",
        f"  {dest / entry}",
        f"  {dest / api_folder / 'corral_api'}",
    ]
    assert sorted((dest / api_folder / "corral_api").iterdir()) == [
        dest / api_folder / "corral_api" / name for name in API_FILES
    ]
    assert (dest / api_folder / "corral_api/api.py").read_text() == (
        ROOT / "app/api.py"
    ).read_text()
    plugin_files = files_under(plugins / app)
    installed = files_under(dest / "corral") if app == "nuke" else files_under(dest)
    assert set(plugin_files) <= set(installed)

    assert run(capsys, "plugins", "install", app, "--dest", str(dest))[0] == 0  # again: replaced
    code, out, _ = run(capsys, "plugins", "uninstall", app, "--dest", str(dest))
    assert code == 0 and out.startswith(f"removed the {app} plugin in {dest}:"), out
    assert files_under(dest) == []
    code, out, _ = run(capsys, "plugins", "uninstall", app, "--dest", str(dest))
    assert (code, out) == (0, f"no {app} plugin in {dest}\n")


def test_nuke_gets_a_plugin_path_line_and_keeps_the_users_own_init(plugins, tmp_path, capsys):
    nuke = tmp_path / "home/.nuke"
    nuke.mkdir(parents=True)
    (nuke / "init.py").write_text("import nuke\nnuke.pluginAddPath('./gizmos')\n")
    assert run(capsys, "plugins", "install", "nuke")[0] == 0
    assert (nuke / "corral/menu.py").is_file() and (nuke / "corral/corral_api/api.py").is_file()
    lines = (nuke / "init.py").read_text().splitlines()
    assert lines[:2] == ["import nuke", "nuke.pluginAddPath('./gizmos')"]
    assert lines[2].startswith(f"nuke.pluginAddPath({str(nuke / 'corral')!r})")
    assert run(capsys, "plugins", "install", "nuke")[0] == 0
    assert len((nuke / "init.py").read_text().splitlines()) == 3  # one line, however often
    assert run(capsys, "plugins", "uninstall", "nuke")[0] == 0
    assert (nuke / "init.py").read_text() == "import nuke\nnuke.pluginAddPath('./gizmos')\n"
    assert not (nuke / "corral").exists()


def test_each_application_has_its_folder(plugins, tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    for version in ("4.2", "4.10", "scripts"):
        (home / ".config/blender" / version).mkdir(parents=True)
    for version in ("19.5", "20.5"):
        (home / f"houdini{version}").mkdir(parents=True)
    for app in LAYOUTS:
        assert run(capsys, "plugins", "install", app)[0] == 0
    code, out, _ = run(capsys, "--json", "plugins", "list")
    assert code == 0
    assert {row["application"]: (row["folder"], row["installed"]) for row in json.loads(out)} == {
        "blender": (f"{home}/.config/blender/4.10/extensions/user_default", "corral_submit"),
        "maya": (f"{home}/maya/modules", "corral, corral.mod"),
        "nuke": (f"{home}/.nuke", "corral, init.py"),
        "houdini": (f"{home}/houdini20.5/packages", "corral, corral.json"),
    }
    monkeypatch.setenv("MAYA_APP_DIR", str(tmp_path / "maya app"))
    monkeypatch.setenv("HOUDINI_USER_PREF_DIR", str(tmp_path / "houdini prefs"))
    monkeypatch.setenv("BLENDER_USER_EXTENSIONS", str(tmp_path / "extensions"))
    code, out, _ = run(capsys, "plugins", "list")
    assert out.split("\n")[0].split() == ["APPLICATION", "FOLDER", "INSTALLED"]
    assert f"maya         {tmp_path}/maya app/modules" in out
    assert f"houdini      {tmp_path}/houdini prefs/packages" in out
    assert f"blender      {tmp_path}/extensions/user_default" in out


def test_an_application_never_started_needs_a_folder(plugins, capsys):
    code, out, err = run(capsys, "plugins", "install", "houdini")
    assert (code, out) == (1, "")
    assert err.startswith("corral: no houdiniX.Y folder in ")
    assert err.endswith(": start the application once, or give --dest DIR\n")


def test_an_unknown_application_is_a_usage_error(plugins, capsys):
    code, _, err = run(capsys, "plugins", "install", "cinema4d")
    assert code == 2 and "invalid choice: 'cinema4d'" in err


@pytest.mark.parametrize("app", sorted(LAYOUTS))
def test_the_real_plugins_install_and_uninstall(app, tmp_path, capsys):
    dest = tmp_path / "dest"
    assert run(capsys, "plugins", "install", app, "--dest", str(dest))[0] == 0
    importers = [
        path
        for path in dest.rglob("*.py")
        if "corral_api" not in path.parts and dcc_install.IMPORTS_API.search(path.read_text())
    ]
    assert importers, "no module of the plugin imports the API"
    for path in importers:
        assert (path.parent / "corral_api/api.py").is_file(), path
    assert run(capsys, "plugins", "uninstall", app, "--dest", str(dest))[0] == 0
    assert files_under(dest) == []


@needs_python37
def test_the_installed_api_runs_on_python37_without_corral(plugins, tmp_path, capsys):
    dest = tmp_path / "maya"
    assert run(capsys, "plugins", "install", "maya", "--dest", str(dest))[0] == 0
    code = (
        "import corral_menu\n"
        "api = corral_menu.api\n"
        "job = api.Job('shot', priority=5)\n"
        "job.add_block(api.Block('r', 'maya', command='render @#@')).frames(1, 9, per_task=3)\n"
        "print(api.check_job(job)['blocks'][0]['frames_per_task'])\n"
        "try:\n    api.Job('shot', prioity=5)\nexcept api.CorralError as e:\n    print(e)\n"
        "import sys\nprint('app' in sys.modules)\n"
    )
    done = subprocess.run(
        [PYTHON37, "-I", "-c", f"import sys; sys.path.insert(0, 'corral/scripts')\n{code}"],
        cwd=dest,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "3",
        "job has no key 'prioity' (did you mean 'priority'?)",
        "False",
    ]
