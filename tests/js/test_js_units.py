"""pytest entry point for the JavaScript unit tests in tests/js/test_*.js."""

from __future__ import annotations

import pytest

from tests.js.runner import HERE, JSTestFile

_files: dict = {}


def _file(path):
    if path not in _files:
        _files[path] = JSTestFile(path)
    return _files[path]


def _cases():
    for path in sorted(HERE.glob("test_*.js")):
        for name in _file(path).names():
            yield pytest.param(path, name, id=f"{path.stem}::{name}")


@pytest.mark.parametrize(("path", "name"), list(_cases()))
def test_js(path, name):
    result = _file(path).run(name)
    assert result["ok"], result.get("error")
