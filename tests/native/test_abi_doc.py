"""docs/abi.md says what crosses the boundary, byte by byte: check it against the code.

The trap operations, the frame layout and its flags, and the pipe rules'
numbers are each written in Python and in JavaScript; this test reads the
document's tables and fails when the document and either side disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

from jsksh.machine import machine as machine_py
from jsksh.native import app_host, frames, pipes

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs/abi.md").read_text()
# The app runtime, all its files (kernel/app/): the app's traps are in transport.js.
RUNTIME = "".join(p.read_text() for p in sorted((ROOT / "kernel/app").glob("*.js")))


def table_ops(section: str) -> dict[str, int]:
    """`| 6 | \\`IPC_SEND\\` | ...` rows of one section of the document."""
    return {name: int(num) for num, name in re.findall(r"^\| (\d+) \| `([A-Z_]+)` \|", section, re.M)}


def js_ops() -> dict[str, int]:
    src = (ROOT / "kernel/arch/machine.js").read_text()
    block = src[src.index("const OP = {") : src.index("};", src.index("const OP = {"))]
    return {k: int(v) for k, v in re.findall(r"(\w+): (\d+),", block)}


def test_the_kernel_trap_operations_match_both_sides():
    documented = table_ops(DOC[DOC.index("## 1.") : DOC.index("### IRQ lines")])
    assert documented == js_ops()
    for name, num in documented.items():
        assert getattr(machine_py, name) == num, name


def test_the_app_trap_operations_match_both_sides():
    documented = table_ops(DOC[DOC.index("### The app's page and traps") : DOC.index("A peer (RPC) message")])
    for name, num in documented.items():
        assert getattr(app_host, f"OP_{name}") == num, name
        assert re.search(rf"const OP_{name} = {num};", RUNTIME), name


def test_the_frame_layout_and_flags_match_both_sides():
    frame_js = (ROOT / "kernel/lib/frame.js").read_text()
    assert "| 12 | bytes |" in DOC and frames.FRAME == 12 and "const FRAME = 12;" in frame_js
    assert "bit 0 `MORE`" in DOC and frames.MORE == 1 and "const MORE = 1;" in frame_js
    assert "bit 1 `REPLY`" in DOC and frames.REPLY == 2 and "const REPLY = 2;" in frame_js
    for offset, field in ((0, "pid"), (4, "len"), (8, "flags")):
        assert re.search(rf"^\| {offset} \| u32 \| `{field}`", DOC, re.M), field


def test_the_pipe_numbers_match():
    assert "at most 256 KiB" in DOC and pipes.CAPACITY == 256 << 10
    assert "at most 4096 bytes (PIPE_BUF)" in DOC and pipes.PIPE_BUF == 4096
    assert "| 256 KiB |" in DOC and machine_py.TRAP_PAGE == 256 << 10
    assert "256 KiB ArrayBuffer `__sysPage`" in DOC and "new ArrayBuffer(256 * 1024)" in RUNTIME
    for name, value in (("EAGAIN", -11), ("EBADF", -9), ("EPIPE", -32), ("EMFILE", -24)):
        assert getattr(pipes, name) == value
        assert f"{value} {name}" in DOC, name


def test_the_lazy_runtime_parts_are_in_the_same_order_everywhere():
    documented = re.findall(r"(\d+): `(kernel/[\w/.-]+)`", DOC[DOC.index("| 5 | `LOAD` |") :].split("\n")[0])
    assert [path for _, path in documented] == list(machine_py.APP_RUNTIME_LAZY)
    assert [int(i) for i, _ in documented] == list(range(len(documented)))
    transport = (ROOT / "kernel/app/transport.js").read_text()
    listed = re.search(r"const LAZY = \[(.*)\];", transport).group(1)
    assert re.findall(r"'/([^']+)'", listed) == list(machine_py.APP_RUNTIME_LAZY)


def test_the_bootinfo_keys_match_what_the_machine_sends():
    line = DOC[DOC.index("It calls `__start(bootinfo)`") :].split("\n")[1]
    documented = re.findall(r"[{,]\s*(\w+)", line.split("`")[1])
    source = (ROOT / "jsksh/machine/machine.py").read_text()
    block = source[source.index("bootinfo = {") : source.index("\n        }", source.index("bootinfo = {"))]
    sent = re.findall(r'^\s+"(\w+)":', block, re.M)
    top_level = [k for k in sent if k not in ("python", "pid")]  # host's own keys
    assert [k for k in documented if k not in ("slot", "irq", "python", "pid")] == top_level
