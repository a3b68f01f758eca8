"""Fixtures for the client's tests: a real machine in this process, private history.

`machine` boots jsksh/machine's Machine with no network (about 0.1 s) on a
background thread and powers it off afterwards. History goes to a temporary
XDG_DATA_HOME, never the user's.
"""

from __future__ import annotations

import threading

import pytest

from jsksh.machine.machine import Machine


@pytest.fixture(autouse=True)
def private_history(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("JSKSH_EDITING_MODE", raising=False)
    monkeypatch.delenv("PROMPT_TOOLKIT_NO_CPR", raising=False)


@pytest.fixture()
def machine():
    m = Machine(net="none")
    thread = threading.Thread(target=m.run, name="test-machine", daemon=True)
    thread.start()
    yield m
    m.power_off(0)
    thread.join(10)


@pytest.fixture(scope="module")
def booted():
    """A machine in a process of its own (`jsksh boot`, tests/e2e/machine.py), shared
    by a module's REPL sessions over its control socket."""
    from tests.e2e.machine import BootedMachine

    m = BootedMachine("--net", "none")
    yield m
    m.stop()


@pytest.fixture()
def session(booted):
    """The REPL attached to `booted` under a pty (tests/client/repl_pty.py)."""
    from tests.client.repl_pty import attach

    s = attach(booted.control_path)
    yield s
    s.close()
