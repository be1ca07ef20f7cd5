"""Client credentials: --token, then $CORRAL_TOKEN, then the OS keyring, then for a loopback
server the default data folder's admin-token; never written to plain files."""

import ast
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import platformdirs
import pytest

from app import credentials
from app.credentials import (
    KEYRING_SERVICE,
    TOKEN_ENV,
    CredentialsError,
    default_data_dir,
    find_token,
    is_loopback,
    save_token,
)
from app.server.auth import ADMIN_TOKEN_FILE
from tests.keyrings import LockedKeyring, MemoryKeyring
from tests.python37 import PYTHON37, needs_python37

ROOT = Path(__file__).resolve().parents[2]
FARM = "http://farm:51000"


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """No token in the environment, and a home of the test's own to see what gets written."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home))
    return home


@pytest.fixture
def use_backend():
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_backend) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_backend(backend)
    return backend


def test_explicit_token_then_environment_then_keyring(memory, monkeypatch):
    save_token(FARM, "crl_from_keyring")
    assert memory.passwords == {(KEYRING_SERVICE, FARM): "crl_from_keyring"}
    assert find_token(FARM) == "crl_from_keyring"
    monkeypatch.setenv(TOKEN_ENV, " crl_from_env\n")
    assert find_token(FARM) == "crl_from_env"
    assert find_token(FARM, "crl_from_flag") == "crl_from_flag"
    assert find_token(FARM, "  ") == "crl_from_env"  # a blank flag or variable does not count
    monkeypatch.setenv(TOKEN_ENV, "")
    assert find_token(FARM, None) == "crl_from_keyring"


def test_keyring_tokens_are_per_server(memory):
    save_token(FARM, "crl_farm")
    save_token("http://other:51000", "crl_other")
    assert find_token(FARM) == "crl_farm"
    assert find_token("http://other:51000") == "crl_other"
    assert find_token("http://third:51000") is None


def test_without_keyring_backend_nothing_is_found_and_saving_fails_clearly(
    use_backend, _private_home
):
    use_backend(keyring.backends.fail.Keyring())
    assert find_token(FARM) is None
    with pytest.raises(CredentialsError) as refused:
        save_token(FARM, "crl_secret")
    message = str(refused.value)
    assert "no usable OS keyring" in message
    assert "pip install keyring" in message and TOKEN_ENV in message and "--token" in message
    assert "crl_secret" not in message
    assert list(_private_home.rglob("*")) == []  # not written anywhere instead


def test_a_backend_that_drops_tokens_is_reported_not_trusted(use_backend):
    use_backend(keyring.backends.null.Keyring())
    with pytest.raises(CredentialsError, match="did not keep the token"):
        save_token(FARM, "crl_secret")


def test_a_failing_backend_is_reported(use_backend):
    use_backend(LockedKeyring())
    with pytest.raises(CredentialsError, match="locked"):
        find_token(FARM)
    with pytest.raises(CredentialsError, match="locked"):
        save_token(FARM, "crl_secret")
    assert find_token(FARM, "crl_flag") == "crl_flag"  # the keyring is not asked then


def test_without_the_keyring_package(monkeypatch, _private_home):
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring raises ImportError
    assert find_token(FARM) is None
    assert find_token(FARM, "crl_flag") == "crl_flag"
    with pytest.raises(CredentialsError, match="keyring package is missing"):
        save_token(FARM, "crl_secret")
    assert list(_private_home.rglob("*")) == []


@pytest.fixture
def admin_token_file(_private_home, use_backend):
    """The default data folder's admin-token, as `corral up` writes it (in the test's home),
    and no keyring (a test may set one after this)."""
    use_backend(keyring.backends.fail.Keyring())
    path = default_data_dir() / ADMIN_TOKEN_FILE
    assert _private_home in path.parents
    path.parent.mkdir(parents=True)
    path.write_text("crl_local_admin\n")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "server",
    ["http://127.0.0.1:51000", "https://127.0.0.2:5", "http://localhost:51000", "http://[::1]:8"],
)
def test_a_loopback_server_falls_back_to_the_local_admin_token(admin_token_file, server):
    assert find_token(server) == "crl_local_admin"


@pytest.mark.parametrize("server", [FARM, "http://10.0.0.1:51000", "http://127.0.0.1.farm:1"])
def test_other_servers_never_get_the_local_admin_token(admin_token_file, server):
    assert find_token(server) is None


def test_the_local_admin_token_is_the_last_resort(admin_token_file, memory, monkeypatch):
    local = "http://127.0.0.1:51000"
    save_token(local, "crl_from_keyring")
    assert find_token(local) == "crl_from_keyring"
    monkeypatch.setenv(TOKEN_ENV, "crl_from_env")
    assert find_token(local) == "crl_from_env"
    assert find_token(local, "crl_from_flag") == "crl_from_flag"


def test_no_local_admin_token_without_a_readable_file(admin_token_file):
    admin_token_file.unlink()
    assert find_token("http://127.0.0.1:51000") is None
    admin_token_file.mkdir()  # not a file
    assert find_token("http://127.0.0.1:51000") is None


def test_is_loopback():
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.8.9.10", "::1", "a.localhost"]))
    assert not any(map(is_loopback, ["farm", "10.0.0.1", "0.0.0.0", "::", "localhost.farm"]))


@pytest.mark.parametrize("xdg_data_home", [None, "/srv/xdg", "relative/xdg"])
def test_default_data_dir_is_the_platformdirs_user_data_dir(monkeypatch, xdg_data_home):
    """The one definition of the folder, in the standard library, names platformdirs' folder
    (where `corral server` kept its data before)."""
    if xdg_data_home is None:
        monkeypatch.delenv("XDG_DATA_HOME")
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg_data_home)
    assert default_data_dir() == Path(platformdirs.user_data_dir("corral"))


def test_importing_needs_only_the_standard_library():
    probe = "import sys, app.credentials; print('keyring' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False"
    tree = ast.parse(Path(credentials.__file__).read_text())
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            top_level.add(node.module.split(".")[0])
    assert top_level <= set(sys.stdlib_module_names) | {"__future__"}


def test_syntax_is_python37():
    ast.parse(Path(credentials.__file__).read_text(), feature_version=(3, 7))


@needs_python37
def test_runs_on_python37_without_keyring(tmp_path):
    code = (
        "import sys; sys.path.insert(0, 'app'); import credentials\n"
        "print(credentials.find_token('http://farm:51000'))\n"
        "print(credentials.find_token('http://farm:51000', 'crl_flag'))\n"
        "print(credentials.find_token('http://127.0.0.1:51000'))\n"
        "try:\n    credentials.save_token('http://farm:51000', 'crl_x')\n"
        "except credentials.CredentialsError as e:\n    print(e)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    data = tmp_path / ".local" / "share" / "corral"
    data.mkdir(parents=True)
    (data / ADMIN_TOKEN_FILE).write_text("crl_local_admin\n")
    run = [PYTHON37, "-I", "-c", code]
    out = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:3] == ["None", "crl_flag", "crl_local_admin"]
    assert "keyring package is missing" in lines[3]
