"""End-to-end: WebAssembly memory counts against an app's ArrayBuffer limit.

V8 counts neither ArrayBuffers nor WebAssembly memories against the heap
limit; the runtime charges both (kernel/app/memory.js). A Memory made
from JavaScript is refused before it is allocated, so the host never holds
the gigabyte an app asks for; a module's own memory is charged when its
instance appears, and growth from inside WebAssembly at the app's next event.
"""

from __future__ import annotations

import re

from tests.e2e.test_fuzz_rpc import write_file

MACHINE_ARGS = ("--net", "none")


# A module whose own memory (exported as "mem") starts at `pages` pages, and
# which exports grow(n) -> memory.grow(n) (WebAssembly core spec §5.5).
def module_bytes(pages: int) -> list[int]:
    leb = []
    n = pages
    while True:
        byte, n = n & 0x7F, n >> 7
        leb.append(byte | (0x80 if n else 0))
        if not n:
            break
    memory = [0x01, 0x00, *leb]  # one memory, min only
    types = [0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F]  # (i32) -> i32
    functions = [0x01, 0x00]
    exports = [0x02, 0x03, *b"mem", 0x02, 0x00, 0x04, *b"grow", 0x00, 0x00]
    body = [0x00, 0x20, 0x00, 0x40, 0x00, 0x0B]  # local.get 0; memory.grow 0; end
    code = [0x01, len(body), *body]
    out = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
    for section_id, content in ((1, types), (3, functions), (5, memory), (7, exports), (10, code)):
        out += [section_id, len(content), *content]
    return out


def app(name: str, body: str, machine) -> str:
    write_file(machine, f"/tmp/{name}.js", "module.exports = async () => {\n" + body + "\n};\n")
    return f"/tmp/{name}.js"


def test_a_memory_too_big_is_refused_before_it_is_made(machine):
    status, out, err = machine.run(app("wasm-bomb", "new WebAssembly.Memory({ initial: 16000 });", machine))
    assert (status, out) == (134, "")
    assert re.fullmatch(
        r"wasm-bomb: killed: ArrayBuffer limit exceeded: 1048576000 bytes > 67108864\n", err
    ), err
    assert machine.run("echo alive") == (0, "alive\n", "")


def test_growth_from_javascript_is_charged(machine):
    status, out, err = machine.run(
        app(
            "wasm-grow",
            "const m = new WebAssembly.Memory({ initial: 10 }); m.grow(100); sys.print(m.buffer.byteLength); m.grow(1000);",
            machine,
        )
    )
    assert (status, out) == (134, "7208960\n"), err
    assert "ArrayBuffer limit exceeded" in err


def test_a_modules_own_memory_is_charged(machine):
    body = f"new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array({module_bytes(2000)})));"
    status, out, err = machine.run(app("wasm-module", body, machine))
    assert status == 134, err
    assert "WebAssembly memory 131072000 bytes" in err


def test_growth_inside_webassembly_is_seen_at_the_next_event(machine):
    body = (
        f"const i = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array({module_bytes(1)})));"
        "sys.print(i.exports.grow(1500)); await sys.sleep(10); sys.print('not reached');"
    )
    status, out, err = machine.run(app("wasm-inner", body, machine))
    assert (status, out) == (134, "1\n"), err  # grow returned the old size, 1 page
    assert "WebAssembly memory" in err


def test_ps_shows_webassembly_memory(machine):
    body = "globalThis.m = new WebAssembly.Memory({ initial: 160 }); await sys.sleep(100000);"
    path = app("wasm-ps", body, machine)
    status, out, _ = machine.run(f"{path} & sleep 0.5; ps -l; kill %1")
    row = next(line for line in out.splitlines() if line.endswith(path))
    assert "10MiB" in row.split(), row
