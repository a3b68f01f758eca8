"""jsksh installed the way Python software is: a wheel built from this
checkout, installed into a directory of its own, boots from elsewhere.

The wheel must carry the guest's tree (kernel/, apps/, fs/ as jsksh/tree/,
setup.py); before it did, an installed jsksh failed on its first command
with KeyError: 'kernel/lib/utf8.js'. The dependencies come from the test's
own environment (--no-deps), so this needs no network. .ci/run also builds
the wheel and installs it, with its dependencies, in a fresh venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# What a source distribution holds (MANIFEST.in, setup.cfg): the build starts from a copy of
# these, so nothing else in the checkout (a stale build/, caches) can slip into the wheel.
SOURCES = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "jsksh",
    "kernel",
    "apps",
    "fs",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    (found,) = out.glob("jsksh-*.whl")
    return found


def test_the_wheel_carries_the_kernel_the_apps_and_the_root_tree(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in (
        "jsksh/tree/kernel/loader.js",
        "jsksh/tree/kernel/lib/utf8.js",
        "jsksh/tree/apps/sh.js",
        "jsksh/tree/fs/etc/motd",
        "jsksh/disk/host-tools.js",  # `jsksh disk ls|cat|put`'s JavaScript half
    ):
        assert member in names, member
    assert "jsksh/__main__.py" in names
    assert not any("__pycache__" in n for n in names)


def test_an_installed_wheel_boots_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    env = {**os.environ, "PYTHONPATH": str(target), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    where = subprocess.run(
        [sys.executable, "-c", "import jsksh; print(jsksh.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(target)), (
        where.stdout + where.stderr
    )  # the installed copy, not the checkout
    r = subprocess.run(
        [sys.executable, "-m", "jsksh", "run", "echo installed; uname -a"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("installed\njsksh")


def test_an_installed_wheel_reads_and_writes_images_from_another_directory(wheel, tmp_path):
    """`jsksh disk` loads kernel/fs/disk/ from jsksh/tree/ and its glue from jsksh/disk/."""
    target = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    (tmp_path / "hello.txt").write_text("from the host\n")

    def disk(*argv):
        return subprocess.run(
            [sys.executable, "-m", "jsksh", "disk", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    for argv in (("create", "vda.img", "4M"), ("put", "vda.img", "hello.txt", "/hello.txt")):
        r = disk(*argv)
        assert r.returncode == 0, r.stderr
    r = disk("cat", "vda.img", "/hello.txt")
    assert (r.returncode, r.stdout) == (0, "from the host\n"), r.stderr
