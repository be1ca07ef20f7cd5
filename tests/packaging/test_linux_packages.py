"""The .deb and the tar.gz (packaging/linux) installed into clean Debian roots, and their
systemd units checked with `systemd-analyze verify`.

The Debian root comes from `debootstrap --variant=minbase` once and is cached under .cache/
(ignored by git); each test installs into a copy of it with `chroot`, so it needs root,
debootstrap and systemd-analyze (`make packaging-tools`), or is skipped saying which is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from app import __version__
from tests.packaging.conftest import ROOT

LINUX = ROOT / "packaging" / "linux"
SUITE = "bookworm"
CACHED_ROOT = ROOT / ".cache" / f"debian-{SUITE}-minbase"
UNITS = ("corral-server.service", "corral-render.service")
INSTALLED = (  # what both installers put in place (packaging/linux/stage.sh)
    "opt/corral/corral",
    "lib/systemd/system/corral-server.service",
    "lib/systemd/system/corral-render.service",
    "usr/share/applications/corral-monitor.desktop",
    "etc/xdg/autostart/corral-tray.desktop",
    "usr/share/icons/hicolor/scalable/apps/corral.svg",
    "usr/share/doc/corral/install.md",
    "usr/lib/corral/host-setup",
)


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "installing into a chroot needs root"
    for tool in ("debootstrap", "systemd-analyze", "dpkg-deb", "chroot"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (make packaging-tools)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def sh(*command: str | Path, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(word) for word in command], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="session")
def debian_root() -> Path:
    """A minimal Debian root, made once and kept in .cache/."""
    if not (CACHED_ROOT / "usr" / "bin" / "dpkg").exists():
        partial = CACHED_ROOT.with_name(CACHED_ROOT.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        sh("debootstrap", "--variant=minbase", SUITE, partial, "http://deb.debian.org/debian",
           timeout=900)  # fmt: skip
        partial.rename(CACHED_ROOT)
    return CACHED_ROOT


@pytest.fixture
def clean_root(debian_root, tmp_path) -> Path:
    """A copy of the cached root for one test to install into."""
    root = tmp_path / "root"
    sh("cp", "-a", debian_root, root)
    return root


@pytest.fixture(scope="session")
def deb(onedir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    sh(LINUX / "build-deb", onedir, out)
    (package,) = out.glob("corral_*.deb")
    return package


@pytest.fixture(scope="session")
def tarball(onedir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tarball")
    sh(LINUX / "build-tarball", onedir, out)
    (archive,) = out.glob("corral-*.tar.gz")
    return archive


def chroot(root: Path, *command: str) -> str:
    return sh("chroot", root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", *command)


def assert_installed(root: Path) -> None:
    """The files in place, the program runs inside the root, the user and folders made."""
    missing = [path for path in INSTALLED if not (root / path).is_file()]
    assert not missing, missing
    assert os.readlink(root / "usr/bin/corral") == "/opt/corral/corral"
    assert chroot(root, "corral", "--version") == f"corral {__version__}\n"
    user = chroot(root, "getent", "passwd", "corral").split(":")
    assert (user[5], user[6].strip()) == ("/var/lib/corral", "/usr/sbin/nologin")
    data = chroot(root, "stat", "-c", "%U %G %a", "/var/lib/corral", "/etc/corral").split("\n")
    assert data[:2] == ["corral corral 750", "root root 755"]


def test_the_deb_installs_into_a_clean_debian_root(deb, clean_root):
    assert deb.name == f"corral_{__version__}_{sh('dpkg', '--print-architecture').strip()}.deb"
    fields = sh("dpkg-deb", "--field", deb, "Package", "Depends", "Installed-Size")
    assert "Package: corral\n" in fields and "Depends: libc6 (>= " in fields
    shutil.copy(deb, clean_root / "tmp" / deb.name)
    chroot(clean_root, "dpkg", "-i", f"/tmp/{deb.name}")
    assert_installed(clean_root)
    status = chroot(clean_root, "dpkg-query", "-W", "-f", "${Status} ${Version}", "corral")
    assert status == f"install ok installed {__version__}"
    chroot(clean_root, "dpkg", "--purge", "corral")
    assert not (clean_root / "opt/corral/corral").exists()
    assert not (clean_root / "usr/bin/corral").is_symlink()


def test_the_tarball_install_sh_installs_the_same_files(tarball, clean_root):
    with tarfile.open(tarball) as archive:
        archive.extractall(clean_root / "tmp", filter="tar")
    (folder,) = (clean_root / "tmp").glob("corral-*")
    chroot(clean_root, f"/tmp/{folder.name}/install.sh")
    assert_installed(clean_root)
    chroot(clean_root, f"/tmp/{folder.name}/install.sh")  # again: an upgrade in place
    assert_installed(clean_root)


@pytest.fixture(scope="session")
def unpacked(deb, tmp_path_factory) -> Path:
    """The .deb's files, unpacked (not installed)."""
    root = tmp_path_factory.mktemp("unpacked")
    sh("dpkg-deb", "-x", deb, root)
    return root


def test_the_units_pass_systemd_analyze_verify(unpacked):
    """The units as the .deb installs them, checked against the package's own files (ExecStart's
    program is looked up there); that root has no systemd, so the units they pull in
    (sysinit.target...) are not followed (--recursive-errors=no)."""
    units = [str(unpacked / "lib/systemd/system" / unit) for unit in UNITS]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--recursive-errors=no", f"--root={unpacked}", *units],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate is not installed (make packaging-tools)",
)
def test_the_desktop_entries_pass_desktop_file_validate(unpacked):
    entries = [
        unpacked / "usr/share/applications/corral-monitor.desktop",
        unpacked / "etc/xdg/autostart/corral-tray.desktop",
    ]
    assert sh("desktop-file-validate", *entries) == ""
