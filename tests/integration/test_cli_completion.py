"""Shell completion: the scripts of `corral completion SHELL`, loaded in a real bash, zsh and
fish, answering completion requests (bash: COMP_WORDS, COMP_CWORD; zsh: words, CURRENT; fish:
`complete -C`) from the parser and from a real server; quiet when the server cannot be reached.
zsh and fish are `make shells`'; their tests are skipped without them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.api import SERVER_ENV
from app.cli.completion import SHELLS
from app.credentials import TOKEN_ENV
from tests.integration.test_cli_controls import submit
from tests.unit.test_cli_args import closed_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shell_env(tmp_path, server) -> dict[str, str]:
    """An environment whose PATH has a `corral` running this checkout, pointed at the module's
    server with its admin token."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    corral = bin_dir / "corral"
    corral.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app "$@"\n')
    corral.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        SERVER_ENV: server.url,
        TOKEN_ENV: server.admin_token,
    }


def bash(env: dict[str, str], script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )


def complete(env: dict[str, str], *words: str) -> list[str]:
    """What bash offers for the last of words (typed after `corral`), through the loaded
    script's function."""
    quoted = " ".join(f"'{w}'" for w in ("corral", *words))
    out = bash(
        env,
        f"source <(corral completion bash); COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; "
        'COMP_LINE="${COMP_WORDS[*]}"; _corral; printf "%s\\n" "${COMPREPLY[@]}"',
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return [line for line in out.stdout.splitlines() if line]


def _run(shell: str, env: dict[str, str], script: str) -> list[str]:
    """The lines a script prints in a real `shell` (skipped when it is not installed)."""
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (make shells)")
    flags = {"zsh": ["-f"], "fish": ["--no-config"]}[shell]
    out = subprocess.run(
        [shell, *flags, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return [line for line in out.stdout.splitlines() if line]


def zsh_complete(env: dict[str, str], *words: str) -> list[str]:
    """What zsh offers for the last of words: the script loaded after compinit, its function
    registered by compdef, run with the completion system's `words` and `CURRENT` (compadd, a
    builtin of completion widgets only, prints what it is given)."""
    quoted = " ".join(f"'{w}'" for w in ("corral", *words))
    return _run(
        "zsh",
        env,
        "autoload -Uz compinit && compinit -u -D; source <(corral completion zsh); "
        "[[ $_comps[corral] == _corral ]] || exit 3; "
        'compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }; '
        f"words=({quoted}); CURRENT={len(words) + 1}; _corral",
    )


def fish_complete(env: dict[str, str], *words: str) -> list[str]:
    """What fish offers for the last of words: its own `complete -C` on the command line."""
    line = " ".join(("corral", *words))
    found = _run(
        "fish", {**env, "LINE": line}, 'corral completion fish | source; complete -C "$LINE"'
    )
    return [candidate.split("\t")[0] for candidate in found]


@pytest.mark.parametrize("complete_in", [zsh_complete, fish_complete], ids=["zsh", "fish"])
def test_zsh_and_fish_load_their_scripts_and_complete(shell_env, server, complete_in):
    assert sorted(complete_in(shell_env, "jo")) == ["job", "jobs"]
    assert complete_in(shell_env, "job", "wa") == ["watch"]
    assert complete_in(shell_env, "jobs", "--state", "D") == ["DON"]
    job_id = submit(server.client, f"completer-{complete_in.__name__}", paused=True)
    assert str(job_id) in complete_in(shell_env, "job", "show", "")


def test_the_bash_script_loads_in_bash(shell_env):
    out = bash(shell_env, "source <(corral completion bash); complete -p corral")
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.strip() == "complete -o default -F _corral corral"


def test_bash_completes_verbs_actions_options_and_choices(shell_env):
    assert complete(shell_env, "jo") == ["jobs", "job"]
    assert complete(shell_env, "job", "wa") == ["watch"]
    assert "--every" in complete(shell_env, "job", "watch", "--")
    assert complete(shell_env, "completion", "") == list(SHELLS)
    assert complete(shell_env, "jobs", "--state", "D") == ["DON"]
    assert complete(shell_env, "render-ctl", "un") == ["unpause"]


def test_bash_completes_job_ids_renders_and_services_from_the_server(shell_env, server):
    job_id = submit(server.client, "completer", paused=True)
    assert str(job_id) in complete(shell_env, "job", "show", "")
    assert str(job_id) in complete(shell_env, "job", "watch", str(job_id)[0])
    services = complete(shell_env, "submit", "--service", "bl")
    assert services == ["blender"]
    assert complete(shell_env, "submit", "--service", "") == server.client.services()


def test_a_server_out_of_reach_completes_nothing_and_says_nothing(shell_env):
    env = {**shell_env, SERVER_ENV: f"http://127.0.0.1:{closed_port()}"}
    assert complete(env, "job", "show", "") == []
    assert complete(env, "job", "sh") == ["show"]  # the parser's words still come
    direct = subprocess.run(
        [sys.executable, "-m", "app", "__complete", "render-ctl", "free", ""],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (direct.returncode, direct.stdout, direct.stderr) == (0, "", "")


@pytest.mark.parametrize("shell", SHELLS)
def test_each_script_calls_back_the_hidden_verb(cli, shell):
    code, out, err = cli("completion", shell)
    assert (code, err) == (0, "")
    assert "corral __complete" in out
    assert cli("completion", "tcsh")[0] == 2
