"""The boot image builder: a ustar archive of kernel/, apps/ and fs/, cached by hash."""

from __future__ import annotations

import io
import tarfile

import pytest

from jsksh import image
from jsksh.machine.machine import APP_RUNTIME


def make_tree(root):
    (root / "kernel" / "arch").mkdir(parents=True)
    (root / "kernel" / "boot.js").write_text("// boot\n")
    (root / "kernel" / "loader.js").write_text("// loader\n")
    (root / "kernel" / "arch" / "machine.js").write_text("module.exports = {};\n")
    (root / "apps").mkdir()
    (root / "apps" / "echo.js").write_text("sys.print('hi');\n")
    (root / "fs" / "etc").mkdir(parents=True)
    (root / "fs" / "etc" / "motd").write_text("héllo\n")  # UTF-8 survives


def test_layout_is_ustar_with_bin_and_root_tree(tmp_path):
    make_tree(tmp_path)
    data = image.build(tmp_path)
    assert len(data) % 512 == 0
    assert data[257:263] == b"ustar\x00"  # POSIX ustar magic in the first header
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        assert tar.getmembers()[0].name == "bin"  # directories come first, sorted
        names = {m.name: m for m in tar.getmembers()}
    assert names["bin/echo.js"].isfile()
    assert names["kernel/arch/machine.js"].isfile()
    assert names["etc/motd"].isfile()
    assert names["etc"].isdir() and names["kernel/arch"].isdir()
    assert image.members(data)["etc/motd"].decode() == "héllo\n"


def test_same_tree_same_bytes_and_hash(tmp_path):
    make_tree(tmp_path)
    assert image.build(tmp_path) == image.build(tmp_path)
    before = image.content_hash(tmp_path)
    (tmp_path / "apps" / "echo.js").write_text("sys.print('changed');\n")
    assert image.content_hash(tmp_path) != before


def test_load_caches_by_content_hash(tmp_path, monkeypatch):
    make_tree(tmp_path / "tree")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = image.load(tmp_path / "tree")
    cached = list((tmp_path / "cache" / "jsksh" / "images").glob("*.tar"))
    assert len(cached) == 1 and cached[0].read_bytes() == first
    cached[0].write_bytes(b"tell-tale")  # an unchanged tree is served from the cache
    assert image.load(tmp_path / "tree") == b"tell-tale"
    (tmp_path / "tree" / "fs" / "etc" / "motd").write_text("new\n")
    assert image.members(image.load(tmp_path / "tree"))["etc/motd"] == b"new\n"


def test_real_tree_has_what_boot_needs():
    files = image.members(image.build())
    for name in (
        "kernel/loader.js",
        "kernel/boot.js",
        "kernel/init.js",
        *(f"kernel/app/{name}.js" for name in APP_RUNTIME),
        "kernel/proc/rpc.js",
        "bin/sh.js",
        "bin/echo.js",
        "etc/motd",
    ):
        assert name in files, name


def test_a_tree_without_the_kernel_is_a_clear_error_not_an_empty_image(tmp_path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "echo.js").write_text("sys.print('hi');\n")
    with pytest.raises(image.MissingTree, match=r"kernel's files are missing: no .*kernel/loader\.js"):
        image.build(tmp_path)


def test_the_checkout_s_tree_is_the_one_used():
    assert (image.ROOT / "kernel" / "loader.js").is_file()
    assert image.ROOT == image._PACKAGE.parent  # an editable checkout: beside jsksh/


def test_members_reads_what_tarfile_reads_long_names_included(tmp_path):
    make_tree(tmp_path)
    deep = tmp_path / "fs" / ("d" * 60) / ("e" * 60)  # past ustar's 100-byte name: a prefix
    deep.mkdir(parents=True)
    (deep / "f.txt").write_bytes(bytes(range(256)) * 5)
    data = image.build(tmp_path)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        expected = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    assert image.members(data) == expected
    assert f"{'d' * 60}/{'e' * 60}/f.txt" in expected
