"""`jsksh run|boot --trace FILE`: the machine's trace of crossings, written when it powers off.

The tracer (jsksh/native/tracer.py) records from power-on.  What it holds
is formatted by the same JavaScript the guest's `trace` app uses
(fs/lib/trace/timeline.js, fs/lib/trace/perfetto.js), run in a V8 isolate
of its own here, as `jsksh disk` runs the kernel's file system
(jsksh/disk/host_fs.py): one formatter, not a second one in Python.
A FILE ending in ``.json`` gets Perfetto's JSON (open it in
ui.perfetto.dev); any other gets the timeline and the summary as text.
"""

from __future__ import annotations

import json
from pathlib import Path

from jsksh import image as image_mod
from jsksh.native.v8 import Isolate

MODULES = ("timeline", "perfetto")


def render(snapshot: dict, perfetto: bool, root: Path | None = None) -> str:
    """The snapshot as Perfetto JSON, or as text: every event, then the summary."""
    base = (image_mod.ROOT if root is None else root) / "fs" / "lib" / "trace"
    sources = {f"/lib/trace/{m}.js": (base / f"{m}.js").read_text() for m in MODULES}
    loader = (image_mod.ROOT if root is None else root).joinpath("kernel", "loader.js").read_text()
    iso = Isolate()
    try:
        iso.eval(loader)
        iso.eval(
            "globalThis.__sources = " + json.dumps(sources) + ";"
            "globalThis.require = __makeRequire((p) => __sources[p] ?? null);"
            "globalThis.__trace = " + json.dumps(snapshot) + ";"
        )
        if perfetto:
            return iso.eval("JSON.stringify(require('/lib/trace/perfetto').toTraceEvents(__trace))")
        return iso.eval(
            """(() => {
              const t = require('/lib/trace/timeline');
              const events = __trace.events.map(t.eventAt);
              const lines = [...t.timeline(events, __trace.started), '', ...t.summaryText(t.summarize(events)), '',
                t.footer(__trace, events.length), ''];
              return lines.join('\\n');
            })()"""
        )
    finally:
        iso.close(idle=True)


def write(machine, path: str) -> None:
    """Stop the machine's tracer and write what it recorded to ``path``."""
    machine.tracer.stop()
    text = render(machine.tracer.snapshot(), perfetto=path.endswith(".json"))
    Path(path).write_text(text)
