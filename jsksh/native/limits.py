"""Resource limits: what each app isolate may use, and what breaking one costs.

Cloudflare Workers showed that isolates can host thousands of tenants on one
machine only if the runtime enforces limits; this module names them, parses
them from the command line (``--limit cpu=5 --limit heap=32M``) and says how
each one ends an app.  The machine-wide limits (``isolates``, ``memory``)
are the kernel's to apply; the per-app ones (``cpu``, ``heap``, ``external``,
``queue``) are the defaults every spawn gets and may only tighten
(docs/apps.md, "Limits").
"""

from __future__ import annotations

import re

# Per app: the defaults a spawn may tighten but never loosen.
APP_LIMITS = {
    "cpu": 30.0,  # seconds of CPU time (the isolate thread's own clock)
    "heap": 64 << 20,  # bytes of V8 heap (V8's hard limit)
    "external": 64 << 20,  # bytes of ArrayBuffer memory (counted by the app runtime)
    "queue": 1024,  # messages waiting in the app's inbox before senders block
}

# Per machine: applied by the kernel (kernel/proc/process-table.js, kernel/services/).
MACHINE_LIMITS = {
    "isolates": 2000,  # app isolates alive at once (~3,700 abort the process: FACTS.md)
    "memory": 2 << 30,  # bytes of heap + ArrayBuffers over all apps before services are evicted
}

# How each limit ends an app: exit status (128 + the Linux signal for the
# same breach) and the message the kernel prints as "NAME: killed: ...".
STATUS_CPU = 152  # 128 + SIGXCPU, as RLIMIT_CPU ends a Linux process
STATUS_HEAP = 137  # 128 + SIGKILL, as the OOM killer does
STATUS_EXTERNAL = 134  # 128 + SIGABRT, as a C program that aborts when malloc fails
STATUS_FAULT = 137  # a runtime fault (the isolate broke): killed

# Seconds a sender blocks on a full inbox before its message fails with EAGAIN
# (two services filling each other's queues would otherwise wait forever).
QUEUE_BLOCK_SECONDS = 5.0

_SUFFIX = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
SIZES = ("heap", "external", "memory")


def parse_value(name: str, text: str) -> float:
    """``'32M'`` -> 33554432 for sizes; seconds or counts otherwise."""
    if name in SIZES:
        m = _SIZE.match(text)
        if not m:
            raise ValueError(f"{name}: not a size: {text!r} (try 64M)")
        return int(float(m.group(1)) * _SUFFIX[m.group(2).lower()])
    value = float(text)
    if value <= 0:
        raise ValueError(f"{name}: must be positive")
    return int(value) if name in ("isolates", "queue") else value


def parse_assignments(items: list[str]) -> dict:
    """``['cpu=5', 'heap=32M']`` -> ``{'cpu': 5.0, 'heap': 33554432}``."""
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in {**APP_LIMITS, **MACHINE_LIMITS}:
            known = ", ".join([*APP_LIMITS, *MACHINE_LIMITS])
            raise ValueError(f"--limit {item!r}: expected NAME=VALUE with NAME one of {known}")
        out[name] = parse_value(name, text)
    return out


def describe(name: str, value: float) -> str:
    """A limit as people read it: 64 MiB, 30 s, 1024 messages."""
    if name in SIZES:
        return f"{value / (1 << 20):g} MiB"
    if name == "cpu":
        return f"{value:g} s"
    return f"{int(value)}"
