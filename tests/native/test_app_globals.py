"""What the app runtime (kernel/app/) leaves in an app isolate's global object.

The runtime's files share their state through one private object, which the
first file puts in ``globalThis.__rt`` and the last deletes; the machine
hands the UTF-8 codec and the frame layout over in ``__utf8`` and ``__frame``,
and the first file deletes those. What is left is exactly what docs/apps.md
promises an app (``sys`` and the timer functions; ``console``, ``Date``,
``performance`` and the ArrayBuffer constructors replaced or added) and the
three globals the machine takes out again once it has them (``__sysPage``,
``__wake``, ``__warmup``). These tests compare the names against a bare
isolate's, first right after the runtime is evaluated, then as an app sees
them.
"""

from __future__ import annotations

import json

import pytest

from jsksh import image
from jsksh.machine.machine import app_runtime_sources
from jsksh.native.app_host import AppHost
from jsksh.native.v8 import Isolate
from tests.native.test_app_host import KernelSide, exited, spawn

NAMES = "JSON.stringify(Object.getOwnPropertyNames(globalThis))"
APP_GLOBALS = {"sys", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "performance"}
FOR_THE_MACHINE = {"__sysPage", "__wake", "__start", "__warmup"}
HANDED_OVER = {"__rt", "__utf8", "__frame", "__sys"}


@pytest.fixture(scope="module")
def sources():
    return app_runtime_sources(image.members(image.build()))


def bare_names() -> set[str]:
    iso = Isolate()
    try:
        return set(json.loads(iso.eval(NAMES)))
    finally:
        iso.close()


def test_after_the_runtime_loads_only_the_intended_globals_are_new(sources):
    iso = Isolate()
    try:
        iso.make_trap("__sys", lambda: None)  # the runtime's one trap while loading tells the thread
        for source in sources:
            if not source.startswith("//@lazy"):
                iso.eval(source)
        names = set(json.loads(iso.eval(NAMES)))
        assert iso.eval("typeof gc") == "undefined"  # --expose-gc's gc() is the runtime's alone
        assert iso.eval("typeof Atomics.wait") == "undefined"
    finally:
        iso.close()
    bare = bare_names()
    assert names - bare == APP_GLOBALS | FOR_THE_MACHINE
    assert bare - names == {"SharedArrayBuffer"}
    assert not names & HANDED_OVER


def test_an_app_sees_its_globals_and_nothing_of_the_runtime(sources):
    kernel = KernelSide()
    host = AppHost(sources, kernel.mail.set, pool_size=1)
    host.kernel = kernel
    try:
        spawn(host, 7, f"sys.print({NAMES});")
        msgs = kernel.collect(host, exited(7))
    finally:
        host.shutdown()
    out = "".join(m["data"] for p, m in msgs if p == 7 and m["t"] == "write" and m["fd"] == 1)
    names = set(json.loads(out))
    bare = bare_names()
    assert names - bare == APP_GLOBALS
    assert bare - names == {"SharedArrayBuffer"}
