"""End to end: RPC between app isolates on a booted machine (docs/apps.md, "Services and RPC").

Each test writes a small app into the guest's /tmp (through `eval` and
sys.fs.writeFile) and runs it over the control port, as `jsksh run` does.
The services are started as managed services (`svc.start`, what `svc start`
uses), so `services.connect` waits for their export by itself: nothing here
sleeps to let a service come up. The apps print JSON; the tests compare it
with literal expectations.
"""

from __future__ import annotations

import itertools
import json
import re
import time

import pytest

from tests.e2e.machine import BootedMachine

# ---- helpers (also used by the other RPC and limits tests) -----------------------------

_names = itertools.count(1)


def write_file(machine: BootedMachine, path: str, text: str) -> None:
    """Write `text` to `path` in the guest, through eval and sys.fs.writeFile."""
    literal = json.dumps(text).replace("'", "\\u0027")  # no ' inside the shell's single quotes
    status, out, err = machine.run(f"eval 'await sys.fs.writeFile({json.dumps(path)}, {literal})'")
    assert status == 0, f"writing {path}: {status} {out!r} {err!r}"


def app(machine: BootedMachine, body: str, name: str | None = None) -> str:
    """Write an app whose main is `body` (an async function body; argv in scope); return its path."""
    path = f"/tmp/{name or f'app{next(_names)}'}.js"
    write_file(machine, path, "module.exports = async function main(argv) {\n" + body + "\n};\n")
    return path


def run_js(machine: BootedMachine, body: str, args: str = "", timeout: float = 30) -> tuple[int, str, str]:
    """Run an app with main `body`: (status, stdout, stderr)."""
    return machine.run(f"{app(machine, body)} {args}".strip(), timeout=timeout)


def run_json(machine: BootedMachine, body: str, timeout: float = 30):
    """Run an app that prints one JSON line; return it parsed."""
    status, out, err = run_js(machine, body, timeout=timeout)
    assert status == 0, f"status {status}\nstdout: {out}\nstderr: {err}"
    return json.loads(out.strip().splitlines()[-1])


def shell_works(machine: BootedMachine) -> None:
    assert machine.run("echo ok") == (0, "ok\n", "")


def no_python_errors(machine: BootedMachine) -> None:
    """The machine process printed no Python traceback or exception on its stderr."""
    output = machine.output()
    assert "Traceback" not in output, output
    assert not re.search(r"^\w*(Error|Exception)\b", output, re.M), output


# A service with one method per thing the tests need; argv[1] is its name.
SERVICE = r"""
const name = argv[1];
let calls = 0;
await sys.services.export(name, {
  echo: (...args) => args,
  each: async (list, fn) => { const out = []; for (const x of list) out.push(await fn(x)); return out; },
  counter() { let n = 0; return { inc: () => ++n, get: () => n }; },
  take: (ab) => ({ kind: Object.prototype.toString.call(ab), len: ab.byteLength, bytes: [...new Uint8Array(ab)] }),
  give(n) { const ab = new ArrayBuffer(n); new Uint8Array(ab).fill(9); globalThis.given = ab; return ab; },
  givenLength: () => globalThis.given.byteLength,
  typeError() { throw new TypeError('not a number: x'); },
  rangeError: async () => { throw Object.assign(new RangeError('index 9 out of range'), { code: 'ERANGE' }); },
  custom() { const e = new Error('quota used up'); e.name = 'QuotaError'; e.code = 'EDQUOT'; throw e; },
  thrownString() { throw 'just a string'; },
  slow: () => sys.sleep(60000),
  pid: () => sys.pid,
  calls: () => ++calls,
  down: async (n, fromCaller) => (n === 0 ? ['B0'] : ['B' + n, ...(await fromCaller(n - 1))]),
});
await new Promise(() => {});
"""


def start_service(machine: BootedMachine, name: str, program: str = "/tmp/rpc-service.js") -> int:
    """Start `program NAME` as managed service NAME; return its pid."""
    status, out, err = run_js(
        machine,
        f"sys.print(await sys.call('svc.start', {{ name: {json.dumps(name)}, argv: [{json.dumps(program)}, {json.dumps(name)}] }}));",
    )
    assert status == 0, err
    return int(out)


@pytest.fixture(scope="module")
def machine():
    m = BootedMachine("--net", "none")
    write_file(
        m, "/tmp/rpc-service.js", "module.exports = async function main(argv) {\n" + SERVICE + "\n};\n"
    )
    start_service(m, "echo")
    yield m
    try:
        no_python_errors(m)
    finally:
        m.stop()


# ---- values ------------------------------------------------------------------------------


def test_values_round_trip_between_two_isolates(machine):
    got = run_json(
        machine,
        r"""
const s = await sys.services.connect('echo');
const sent = ['héllo ✓', 42.5, true, null, undefined, NaN, Infinity, -Infinity, 2n ** 70n,
  new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)), new Map([['k', [1, { a: 2 }]]]), new Set(['x', 3]),
  new Float64Array([1.5, -2]), new BigInt64Array([-5n]), new DataView(new Uint8Array([1, 2, 3]).buffer),
  [1, [2, [3, { deep: 'yes' }]]], { nested: { list: [undefined, 'u'] } }, Object.assign(new SyntaxError('bad'), { code: 'ES' })];
const back = await s.echo(...sent);
const show = (v) => {
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (v instanceof Map) return [tag, JSON.stringify([...v])];
  if (v instanceof Set) return [tag, JSON.stringify([...v])];
  if (v instanceof DataView) return [tag, [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)].join(',')];
  if (ArrayBuffer.isView(v)) return [tag, [...v].map(String).join(',')];
  if (v instanceof Date) return [tag, v.toISOString()];
  if (v instanceof Error) return [tag, `${v.name}: ${v.message} (${v.code})`];
  if (typeof v === 'bigint' || typeof v === 'number' || v === undefined) return [tag, String(v)];
  return [tag, JSON.stringify(v, (k, x) => (x === undefined ? '<undefined>' : x))];
};
sys.print(JSON.stringify(back.map(show)));
""",
    )
    assert got == [
        ["String", '"héllo ✓"'],
        ["Number", "42.5"],
        ["Boolean", "true"],
        ["Null", "null"],
        ["Undefined", "undefined"],
        ["Number", "NaN"],
        ["Number", "Infinity"],
        ["Number", "-Infinity"],
        ["BigInt", "1180591620717411303424"],
        ["Date", "2020-01-02T03:04:05.006Z"],
        ["Map", '[["k",[1,{"a":2}]]]'],
        ["Set", '["x",3]'],
        ["Float64Array", "1.5,-2"],
        ["BigInt64Array", "-5"],
        ["DataView", "1,2,3"],
        ["Array", '[1,[2,[3,{"deep":"yes"}]]]'],
        ["Object", '{"nested":{"list":["<undefined>","u"]}}'],
        ["Error", "SyntaxError: bad (ES)"],
    ]


def test_a_callback_runs_in_the_callers_isolate(machine):
    got = run_json(
        machine,
        """
const s = await sys.services.connect('echo');
const seen = [];
const results = await s.each([1, 2, 3], (x) => { seen.push([sys.pid, x]); return x * 10; });
sys.print(JSON.stringify({ results, seen, me: sys.pid, service: await s.pid() }));
""",
    )
    assert got["results"] == [10, 20, 30]
    assert got["seen"] == [[got["me"], 1], [got["me"], 2], [got["me"], 3]]
    assert got["service"] != got["me"]


def test_functions_returned_by_a_service_keep_their_state_there(machine):
    got = run_json(
        machine,
        """
const s = await sys.services.connect('echo');
const a = await s.counter();
const b = await s.counter();
await a.inc(); await a.inc(); await b.inc();
sys.print(JSON.stringify([await a.get(), await b.get(), typeof a.inc]));
""",
    )
    assert got == [2, 1, "function"]


def test_an_arraybuffer_is_moved_between_two_apps(machine):
    got = run_json(
        machine,
        """
const s = await sys.services.connect('echo');
const ab = new Uint8Array([1, 2, 3, 250]).buffer;
const call = s.take(ab);
const afterSend = ab.byteLength;
const seen = await call;
const mine = await s.give(6);
sys.print(JSON.stringify({ afterSend, seen, mine: [...new Uint8Array(mine)], theirs: await s.givenLength() }));
""",
    )
    assert got == {
        "afterSend": 0,  # detached at the sender
        "seen": {"kind": "[object ArrayBuffer]", "len": 4, "bytes": [1, 2, 3, 250]},
        "mine": [9, 9, 9, 9, 9, 9],
        "theirs": 0,  # the service's buffer went with the answer
    }


def test_errors_arrive_with_name_message_and_code(machine):
    got = run_json(
        machine,
        """
const s = await sys.services.connect('echo');
const out = {};
for (const m of ['typeError', 'rangeError', 'custom', 'thrownString']) {
  try { await s[m](); out[m] = 'resolved'; }
  catch (e) { out[m] = [e.name, e.message, e.code ?? null, e instanceof TypeError, e instanceof RangeError, e instanceof Error]; }
}
sys.print(JSON.stringify(out));
""",
    )
    assert got["typeError"] == ["TypeError", "not a number: x", None, True, False, True]
    assert got["rangeError"] == ["RangeError", "index 9 out of range", "ERANGE", False, True, True]
    assert got["custom"] == ["QuotaError", "quota used up", "EDQUOT", False, False, True]
    name, message, *_ = got["thrownString"]
    assert name == "Error" and "just a string" in message


def test_what_cannot_be_sent_fails_at_the_caller(machine):
    got = run_json(
        machine,
        """
const s = await sys.services.connect('echo');
const cyclic = {}; cyclic.self = cyclic;
const out = [];
for (const v of [cyclic, Symbol('s'), Promise.resolve(1), new WeakMap()]) {
  try { await s.echo(v); out.push('sent'); } catch (e) { out.push(e.name); }
}
out.push(JSON.stringify(await s.echo('still fine')));
sys.print(JSON.stringify(out));
""",
    )
    assert got == ["TypeError", "TypeError", "TypeError", "TypeError", '["still fine"]']


def test_reentrant_calls_across_two_isolates(machine):
    got = run_json(
        machine,
        """
const s = await sys.services.connect('echo');
const fromCaller = async (n) => (n === 0 ? ['A0'] : ['A' + n, ...(await s.down(n - 1, fromCaller))]);
sys.print(JSON.stringify(await s.down(7, fromCaller)));
""",
    )
    assert got == ["B7", "A6", "B5", "A4", "B3", "A2", "B1", "A0"]


# ---- a service that dies ---------------------------------------------------------------


def serving(machine: BootedMachine, pid: int) -> int:
    got = run_json(
        machine, f"sys.print(JSON.stringify((await sys.proc.list()).find((p) => p.pid === {pid}) || null));"
    )
    return got["serving"] if got else -1


def test_a_service_killed_mid_call_rejects_the_caller_with_econnreset(machine):
    pid = start_service(machine, "victim")
    caller = app(
        machine,
        """
const s = await sys.services.connect('victim');
try { await s.slow(); sys.print('resolved'); }
catch (e) { sys.print(JSON.stringify({ code: e.code, message: e.message })); }
sys.print(JSON.stringify({ next: await s.pid() }));
""",
    )
    assert machine.run(f"{caller} > /tmp/victim.out &")[0] == 0
    deadline = time.monotonic() + 10
    while serving(machine, pid) != 1:  # the slow call has reached the service
        assert time.monotonic() < deadline, "the service never got the call"
        time.sleep(0.02)
    assert machine.run(f"kill {pid}") == (0, "", "")
    status, _, _ = machine.run("wait")
    assert status == 0
    status, out, _ = machine.run("cat /tmp/victim.out")
    first, second = [json.loads(line) for line in out.splitlines()]
    assert first["code"] == "ECONNRESET"
    assert f"pid {pid}" in first["message"] and "before it answered" in first["message"], first
    # A managed service that died starts again on its next call, through the same proxy.
    assert second["next"] != pid
    shell_works(machine)
    status, out, _ = machine.run("svc list")
    row = next(line.split() for line in out.splitlines() if line.startswith("victim "))
    assert row[1] == str(second["next"]) and row[2] == "running", out
    assert row[6] == "1", out  # RESTARTS


def test_a_plain_app_service_that_exits_fails_later_calls_clearly(machine):
    got = run_json(
        machine,
        """
const src = "module.exports = async () => { await sys.services.export('brief', { hi: () => 'hi' }); await sys.sleep(1e9); };";
await sys.fs.writeFile('/tmp/brief.js', src);
const pid = await sys.proc.spawn(['/tmp/brief.js'], { stdout: 'null' });
let s;
for (let i = 0; !s; i++) { try { s = await sys.services.connect('brief'); } catch (e) { if (i > 200) throw e; await sys.sleep(10); } }
const first = await s.hi();
await sys.proc.kill(pid);
let later;
try { await s.hi(); later = 'resolved'; } catch (e) { later = [e.code, e.message]; }
sys.print(JSON.stringify({ first, later }));
""",
    )
    assert got["first"] == "hi"
    assert got["later"][0] in ("ECONNRESET", "ENOENT"), got
    assert "brief" in got["later"][1]


# ---- the kernel's services ----------------------------------------------------------------


def test_the_kernel_services_fs_net_console_answer_through_connect(machine):
    got = run_json(
        machine,
        """
const fs = await sys.services.connect('fs');
const net = await sys.services.connect('net');
const con = await sys.services.connect('console');
await fs.writeFile('/tmp/ks.txt', 'kernel service');
let missing;
try { await fs.readFile('/nope'); } catch (e) { missing = [e.code, e.message]; }
let info;
try { info = Object.keys(await net.info()).includes('mac'); } catch (e) { info = e.code; }
sys.print(JSON.stringify({
  root: (await fs.readdir('/')).map((e) => e.name),
  text: await fs.readFile('/tmp/ks.txt'),
  missing,
  netMethods: Object.keys(net).sort(),
  info,
  size: Object.keys(await con.size()).sort(),
}));
""",
    )
    assert {"bin", "etc", "tmp"} <= set(got["root"])
    assert got["text"] == "kernel service"
    assert got["missing"] == ["ENOENT", "/nope: No such file or directory"]
    assert got["netMethods"] == ["info", "lookup", "resolve", "stats"]
    assert got["info"] is True
    assert got["size"] == ["columns", "rows"]


def test_a_kernel_service_name_cannot_be_taken_and_an_unknown_name_fails_clearly(machine):
    got = run_json(
        machine,
        """
const out = {};
try { await sys.services.connect('no-such-service'); out.unknown = 'connected'; } catch (e) { out.unknown = [e.code, e.message]; }
try { await sys.services.export('fs', { f() {} }); out.fs = 'exported'; } catch (e) { out.fs = [e.code, e.message]; }
try { await sys.services.export('echo', { f() {} }); out.taken = 'exported'; } catch (e) { out.taken = [e.code, e.message]; }
try { await sys.services.export('bad name!', { f() {} }); out.bad = 'exported'; } catch (e) { out.bad = [e.code, e.message]; }
try { await sys.services.export('empty', { x: 1 }); out.empty = 'exported'; } catch (e) { out.empty = [e.name, e.message]; }
sys.print(JSON.stringify(out));
""",
    )
    assert got["unknown"] == ["ENOENT", "no-such-service: no such service"]
    assert got["fs"][0] == "EEXIST" and "kernel service" in got["fs"][1]
    assert got["taken"][0] == "EEXIST" and "already exported" in got["taken"][1]
    assert got["bad"][0] == "EINVAL" and "bad service name" in got["bad"][1]
    assert got["empty"][0] == "TypeError" and "no functions" in got["empty"][1]


# ---- svc ------------------------------------------------------------------------------------


def svc_rows(machine: BootedMachine) -> dict[str, list[str]]:
    status, out, err = machine.run("svc list")
    assert status == 0, err
    return {line.split()[0]: line.split() for line in out.splitlines()[1:]}


def test_svc_start_list_and_stop_kv(machine):
    status, out, err = machine.run("svc start kv")
    assert status == 0, err
    pid = re.fullmatch(r"svc: started kv \(pid (\d+)\)\n", out).group(1)
    got = run_json(
        machine,
        """
const kv = await sys.services.connect('kv');
await kv.put('a', { x: [1, 2] });
const seen = [];
await kv.watch('w', (k, v) => { seen.push([k, v]); });
await kv.put('w', 7);
for (let i = 0; i < 100 && !seen.length; i++) await sys.sleep(10);
sys.print(JSON.stringify({ a: await kv.get('a'), keys: (await kv.keys()).sort(), size: await kv.size(), seen }));
""",
    )
    assert got == {"a": {"x": [1, 2]}, "keys": ["a", "w"], "size": 2, "seen": [["w", 7]]}
    row = svc_rows(machine)["kv"]
    assert row[1:3] == [pid, "running"]
    assert svc_rows(machine)["fs"][2] == "kernel"
    assert machine.run("svc stop kv") == (0, "svc: stopped kv\n", "")
    assert svc_rows(machine)["kv"][1:3] == ["-", "stopped"]
    status, _, err = run_js(machine, "await sys.services.connect('kv');")
    assert status == 1 and "kv: the service is stopped" in err
    status, out, _ = machine.run("dmesg")
    assert f"svc: started: kv (pid {pid}" in out and "svc: stopped kv" in out


def test_svc_start_of_a_missing_program_fails_clearly(machine):
    assert machine.run("svc start no-such-program") == (1, "", "svc: no-such-program: command not found\n")
    status, out, _ = run_js(
        machine,
        "try { await sys.call('svc.start', { name: 'ghost', argv: ['/tmp/none.js'] }); } catch (e) { sys.print(e.code, e.message); }",
    )
    assert (status, out) == (0, "ENOENT /tmp/none.js: command not found\n")
    assert "no-such-program" not in svc_rows(machine)


def test_svc_errors_name_the_command_once(machine):
    assert machine.run("svc start ../x") == (1, "", 'svc: bad service name "../x"\n')
    assert machine.run("svc stop nosuch") == (1, "", "svc: nosuch: no such service\n")
    assert machine.run("svc start console") == (1, "", "svc: console is a kernel service\n")
    assert "ghost" not in svc_rows(machine)
    shell_works(machine)
