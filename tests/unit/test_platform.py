"""OS families (app/core/os_family.py) and the host read in their terms (app/platform.py)."""

from __future__ import annotations

import platform
import sys
from datetime import datetime

import pytest

from app import platform as host
from app.core.masks import needs_met
from app.core.os_family import OS_FAMILIES, os_family, system_family
from app.core.path_maps import PathMap


@pytest.mark.parametrize(
    "name, family",
    [
        ("linux", "linux"),
        ("windows", "windows"),
        ("macos", "macos"),
        ("darwin", "macos"),
        ("macosx", "macos"),
    ],
)
def test_every_accepted_spelling_names_its_family(name, family):
    assert os_family(name) == family


@pytest.mark.parametrize("name", ["", "Linux", "win32", "beos", None])
def test_other_names_are_refused_naming_the_field(name):
    with pytest.raises(ValueError, match="need_os must be one of linux, windows, macos"):
        os_family(name, "need_os")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "system, family",
    [
        ("win32", "windows"),
        ("Windows", "windows"),
        ("CYGWIN_NT-10.0", "windows"),
        ("MSYS_NT-10.0", "windows"),
        ("darwin", "macos"),
        ("Darwin", "macos"),
        ("linux", "linux"),
        ("Linux", "linux"),
        ("freebsd14", "linux"),
        ("", "linux"),
    ],
)
def test_system_names_give_their_family(system, family):
    assert system_family(system) == family


def test_path_maps_take_every_spelling_of_macos():
    rules = "/mnt/shows=/Volumes/Shows"
    maps = {PathMap.parse(rules, name) for name in ("macos", "darwin", "macosx")}
    assert len(maps) == 1
    assert maps.pop().to_client("/mnt/shows/a") == "/Volumes/Shows/a"


def test_host_os_is_the_family_of_sys_platform():
    assert host.host_os() in OS_FAMILIES
    assert host.host_os() == system_family(sys.platform)


def test_host_os_string_meets_a_need_os_of_its_own_family():
    text = host.host_os_string()
    need = {"linux": "linux", "windows": "windows", "macos": "macosx"}[host.host_os()]
    assert needs_met(need, text)
    assert platform.machine() == "" or len(text.split()) >= 2


def test_local_time_is_aware_and_the_same_moment():
    now = 1_700_000_000.5
    local = host.local_time(now)
    assert local.tzinfo is not None
    assert local.timestamp() == now
    assert local.replace(tzinfo=None) == datetime.fromtimestamp(now)
