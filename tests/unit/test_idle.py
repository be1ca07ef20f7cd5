"""Workstation idle detection (app/render/idle.py)."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from app.render import idle

# `ioreg -c IOHIDSystem` (macOS), abridged: HIDIdleTime is in nanoseconds.
IOREG = """\
+-o Root  <class IORegistryEntry, id 0x100000100, retain 25>
  +-o IOResources  <class IOResources, id 0x100000104, registered, matched, active, busy 0>
    +-o IOHIDSystem  <class IOHIDSystem, id 0x1000002a7, registered, matched, active, busy 0>
        {
          "IOClass" = "IOHIDSystem"
          "HIDParameters" = {"HIDClickTime"=500000000,"HIDKeyRepeat"=83333333}
          "HIDIdleTime" = 42500000000
          "IOProviderClass" = "IOResources"
        }
"""
# `gdbus call --session --dest org.gnome.Mutter.IdleMonitor ... GetIdletime`: milliseconds.
GDBUS = "(uint64 12345,)\n"


@pytest.fixture
def bare(monkeypatch):
    """A Linux host with no idle source: no override, no DISPLAY, no programs on PATH."""
    monkeypatch.delenv(idle.ENV_FILE, raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(idle.shutil, "which", lambda name: None)
    return monkeypatch


def test_env_file_override(tmp_path, monkeypatch):
    path = tmp_path / "idle"
    monkeypatch.setenv(idle.ENV_FILE, str(path))
    path.write_text("42.5\n")
    assert idle.idle_seconds() == 42.5
    path.write_text("7")
    assert idle.idle_seconds() == 7.0
    for bad in ("", "soon", "-3", "nan", "inf"):
        path.write_text(bad)
        assert idle.idle_seconds() is None, bad
    path.unlink()
    assert idle.idle_seconds() is None  # a missing file: unknown, no other source asked


def test_parse_ioreg():
    assert idle.parse_ioreg(IOREG) == 42.5
    assert idle.parse_ioreg('"HIDIdleTime"=0') == 0.0
    assert idle.parse_ioreg("+-o IOHIDSystem\n{}") is None
    assert idle.parse_ioreg(None) is None


def test_parse_gdbus():
    assert idle.parse_gdbus(GDBUS) == 12.345
    assert idle.parse_gdbus("(12345,)") == 12.345
    assert idle.parse_gdbus("Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown") is None
    assert idle.parse_gdbus("") is None
    assert idle.parse_gdbus(None) is None


def test_parse_xprintidle():
    assert idle.parse_milliseconds("1500\n") == 1.5
    assert idle.parse_milliseconds("couldn't open display") is None
    assert idle.parse_milliseconds(None) is None


def test_none_when_nothing_is_available(bare):
    assert idle.idle_seconds() is None


def test_never_raises(bare):
    def broken():
        raise RuntimeError("boom")

    bare.setattr(idle, "_idle_seconds", broken)
    assert idle.idle_seconds() is None


def test_x11_falls_back_to_xprintidle(bare):
    bare.setenv("DISPLAY", ":99")
    bare.setattr(idle, "_xss_idle", lambda: None)
    calls = []

    def run(program, args):
        calls.append(program)
        return "2500\n" if program == "xprintidle" else None

    bare.setattr(idle, "_run", run)
    assert idle.idle_seconds() == 2.5
    assert calls == ["xprintidle"]


def test_x11_extension_first(bare):
    bare.setenv("DISPLAY", ":99")
    bare.setattr(idle, "_xss_idle", lambda: 3.0)
    bare.setattr(idle, "_run", lambda program, args: pytest.fail("no program needed"))
    assert idle.idle_seconds() == 3.0


def test_macos_uses_ioreg(bare):
    bare.setattr(sys, "platform", "darwin")
    bare.setattr(idle, "_run", lambda program, args: IOREG if program == "ioreg" else None)
    assert idle.idle_seconds() == 42.5


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for gdbus")
def test_gdbus_program_is_run(tmp_path, monkeypatch):
    """Without X11, the GNOME Mutter IdleMonitor is asked through a real `gdbus` process."""
    script = tmp_path / "gdbus"
    script.write_text(f"#!/bin/sh\nprintf '{GDBUS.strip()}\\n'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.delenv(idle.ENV_FILE, raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert idle.idle_seconds() == 12.345
    script.write_text("#!/bin/sh\necho 'Error: no session bus' >&2\nexit 1\n")
    assert idle.idle_seconds() is None


def test_xss_without_x_server_is_none(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":12345")  # no such server: XOpenDisplay fails or no libs
    assert idle._xss_idle() is None
