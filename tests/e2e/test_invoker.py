"""The invoker end to end: workers deployed and called over HTTP from the host.

One machine with `--service invoker --service kv` and `--hostfwd` to the
guest's port 80 (the user backend's NAT, on the host's loopback only).  The
host's own HTTP client (http.client) deploys with PUT /workers/NAME, calls
/NAME/..., reads logs and removes; every answer is checked against what the
worker's code says it should be.  The limits are hit for real: the loops
run until the machine's watchdog ends their isolate.  docs/workers.md is
what these tests hold the invoker to.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import json
import re
import subprocess
import time

import pytest

from tests.e2e.netns import booted, wait_for_address
from tests.e2e.test_net_user_tcp import free_port

FWD = free_port()


def request(
    method: str, path: str, body: bytes | str | None = None, headers: dict | None = None, timeout: float = 30
):
    """(status, headers with lower-case names, body) of one request to the invoker."""
    conn = http.client.HTTPConnection("127.0.0.1", FWD, timeout=timeout)
    try:
        conn.request(
            method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {}
        )
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def deploy(name: str, source: str | bytes, query: str = "") -> tuple[int, dict | bytes]:
    status, _, body = request("PUT", f"/workers/{name}{'?' + query if query else ''}", source)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def wait_for_invoker(m) -> None:
    """Until the machine's invoker answers GET /workers (it starts once the network is up)."""
    wait_for_address(m)
    deadline = time.monotonic() + 20
    while True:
        try:
            if request("GET", "/workers", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, m.run("dmesg")[1]
        time.sleep(0.1)


def booted_invoker(*extra: str):
    """A machine with the invoker, reached through hostfwd on FWD; `extra`: more machine options."""
    return booted(
        "--net",
        "user",
        "--dns",
        "127.0.0.1:9",
        "--hostfwd",
        f"tcp::{FWD}-:80",
        "--service",
        "invoker",
        *extra,
    )


@pytest.fixture(scope="module")
def machine():
    with booted_invoker("--service", "kv") as m:
        wait_for_invoker(m)
        yield m


HELLO = """export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    console.log('hello', request.method, url.pathname);
    return new Response(`hello from ${url.pathname}${url.search}\\n`, { headers: { 'x-worker': 'hello' } });
  },
};
"""


# -- deploy, call, update, remove ---------------------------------------------------------------


def test_deploy_then_call_by_path(machine):
    status, info = deploy("hello", HELLO)
    assert status in (200, 201), info
    assert info["name"] == "hello"
    assert info["hash"] == hashlib.sha256(HELLO.encode()).hexdigest()
    assert info["size"] == len(HELLO.encode())
    status, headers, body = request("GET", "/hello/a/b?x=1")
    assert status == 200
    assert body == b"hello from /hello/a/b?x=1\n"
    assert headers["x-worker"] == "hello"
    assert len(headers["x-request-id"]) == 16


def test_a_request_by_host_header_reaches_the_worker_whatever_the_path(machine):
    deploy("hello", HELLO)
    status, _, body = request("GET", "/some/path", headers={"Host": "hello.workers.example"})
    assert status == 200
    assert body == b"hello from /some/path\n"


def test_the_source_is_given_back_with_its_hash_and_listed(machine):
    deploy("hello", HELLO)
    status, headers, body = request("GET", "/workers/hello")
    assert status == 200
    assert body == HELLO.encode()
    assert headers["x-worker-hash"] == hashlib.sha256(HELLO.encode()).hexdigest()
    status, _, body = request("GET", "/workers")
    names = {w["name"]: w for w in json.loads(body)}
    assert names["hello"]["limits"]["cpu"] == 50
    assert names["hello"]["limits"]["memory"] == 128 << 20


def test_an_update_runs_in_a_fresh_isolate_and_the_same_code_stays_warm(machine):
    counter = "let n = 0; export default { fetch: () => new Response(`%s ${++n}`) };"
    status, info = deploy("count", counter % "v1")
    assert status in (200, 201), info
    assert [request("GET", "/count/")[2] for _ in range(3)] == [
        b"v1 1",
        b"v1 2",
        b"v1 3",
    ]  # one isolate, warm
    status, info = deploy("count", counter % "v1")
    assert (status, info.get("unchanged")) == (200, True)  # the same code: the same isolate
    assert request("GET", "/count/")[2] == b"v1 4"
    status, info = deploy("count", counter % "v2")
    assert status == 200 and not info.get("created")
    assert request("GET", "/count/")[2] == b"v2 1"  # new code: a fresh isolate, its module state new


def test_two_deploys_of_a_new_name_at_once_leave_one_isolate(machine):
    sources = [f"export default {{ fetch: () => new Response('racer {i}') }};" for i in range(2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = sorted(s for s, _ in pool.map(lambda src: deploy("racer", src), sources))
    assert statuses == [200, 201]  # one created it, the other updated it
    body = request("GET", "/racer/")[2]
    assert body in (b"racer 0", b"racer 1")
    deadline = time.monotonic() + 10
    while len(re.findall(r"^w\.racer\.", machine.run("svc list")[1], re.M)) != 1:  # the loser's isolate goes
        assert time.monotonic() < deadline, machine.run("svc list")[1]
        time.sleep(0.1)


def test_delete_removes_the_worker_and_its_route(machine):
    deploy("gone", "export default { fetch: () => new Response('here') };")
    assert request("GET", "/gone/")[2] == b"here"
    status, _, body = request("DELETE", "/workers/gone")
    assert status == 200 and json.loads(body)["removed"] is True
    status, _, body = request("GET", "/gone/")
    assert status == 404 and b"no worker named 'gone'" in body
    assert request("DELETE", "/workers/gone")[0] == 404


def test_every_deploy_is_kept_by_hash_in_the_history(machine):
    deploy("kept", "export default { fetch: () => new Response('one') };")
    deploy("kept", "export default { fetch: () => new Response('two') };")
    status, out, err = machine.run("worker history")
    assert status == 0, err
    lines = [ln for ln in out.splitlines() if " kept " in ln]
    hashes = [ln.split()[3] for ln in lines]
    for text in ("one", "two"):
        h = hashlib.sha256(f"export default {{ fetch: () => new Response('{text}') }};".encode()).hexdigest()
        assert h in hashes
        status, out, _ = machine.run(f"cat /tmp/invoker/scripts/{h}.js")
        assert f"new Response('{text}')" in out


# -- request and response bodies --------------------------------------------------------------


def test_a_post_body_reaches_the_worker_and_json_comes_back(machine):
    deploy(
        "echo",
        "export default { async fetch(r) { const o = await r.json();"
        " return Response.json({ got: o, method: r.method, type: r.headers.get('content-type') }); } };",
    )
    status, headers, body = request(
        "POST", "/echo/", json.dumps({"a": [1, 2], "s": "é"}), {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"got": {"a": [1, 2], "s": "é"}, "method": "POST", "type": "application/json"}


def test_a_streamed_response_of_a_mebibyte_arrives_whole(machine):
    source = """export default { fetch() {
      let sent = 0;
      const stream = new ReadableStream({ pull(c) {
        const chunk = new Uint8Array(10000);
        for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i) * 7 & 255;
        sent += chunk.length;
        c.enqueue(chunk);
        if (sent >= 1048576 + 5000) c.close();
      } });
      return new Response(stream);
    } };"""
    deploy("stream", source)
    status, headers, body = request("GET", "/stream/")
    assert status == 200
    assert "content-length" not in headers  # it went chunked
    total = -(-(1048576 + 5000) // 10000) * 10000  # whole chunks until past 1 MiB + 5000
    expected = bytes(((i * 7) & 255) for i in range(total))
    assert len(body) == len(expected)
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(expected).hexdigest()


def test_a_response_that_never_ends_is_cut_at_the_response_limit(machine):
    source = "export default { fetch() { return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(65536)); } })); } };"
    status, info = deploy("endless", source, "response=1M&cpu=2s")
    assert status in (200, 201), info
    conn = http.client.HTTPConnection("127.0.0.1", FWD, timeout=30)
    conn.request("GET", "/endless/")
    r = conn.getresponse()
    assert r.status == 200
    with pytest.raises(http.client.IncompleteRead) as cut:
        r.read()
    assert len(cut.value.partial) <= 2 << 20
    conn.close()
    _, _, logs = request("GET", "/workers/endless/logs")
    assert b"response body over the limit (1048576 bytes)" in logs


def test_a_request_body_over_its_limit_is_413(machine):
    deploy(
        "small",
        "export default { async fetch(r) { return new Response(String((await r.arrayBuffer()).byteLength)); } };",
        "request=1k",
    )
    assert request("POST", "/small/", b"x" * 1000)[2] == b"1000"
    status, _, body = request("POST", "/small/", b"x" * 5000)
    assert status == 413 and b"request size limit" in body


# -- logs ---------------------------------------------------------------------------------------


def test_logs_carry_console_lines_with_their_request_ids(machine):
    deploy("hello", HELLO)
    _, headers, _ = request("GET", "/hello/logged")
    rid = headers["x-request-id"]
    status, out, err = machine.run("worker logs hello")
    assert status == 0, err
    assert any(f" {rid} log hello GET /hello/logged" in line for line in out.splitlines()), out


# -- limits -------------------------------------------------------------------------------------

HOSTILE = {
    "loop": "export default { fetch() { for (;;) {} } };",
    "promise-loop": "export default { async fetch() { await null; for (;;) {} } };",
    "timer-loop": "export default { fetch() { return new Promise(() => setTimeout(() => { for (;;) {} }, 1)); } };",
    "heap-bomb": "const a = []; export default { fetch() { for (;;) a.push(new Array(100000).fill({x: 1})); } };",
    "buffer-bomb": "const a = []; export default { fetch() { for (;;) a.push(new ArrayBuffer(1 << 20)); } };",
    "wasm-bomb": "export default { fetch() { const m = new WebAssembly.Memory({ initial: 1 }); for (;;) m.grow(16); } };",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_worker_is_stopped_with_cloudflares_status_and_the_reason_logged(machine, kind):
    # A memory bomb gets CPU enough to reach its memory limit first (the collector works hard near it).
    status, info = deploy(kind, HOSTILE[kind], "memory=32M&cpu=" + ("200ms" if "loop" in kind else "10s"))
    assert status in (200, 201), info
    status, _, body = request("GET", f"/{kind}/")
    assert status == 503, body
    want = b"exceeded CPU time limit" if "loop" in kind else b"exceeded memory limit"
    assert want in body.lower() or want.replace(b"exceeded", b"Worker exceeded") in body, body
    _, _, logs = request("GET", f"/workers/{kind}/logs")
    assert (
        b"exceeded CPU time limit (200 ms)" if "loop" in kind else b"exceeded memory limit (32 MiB)"
    ) in logs
    # The next request starts a fresh isolate, which is stopped the same way: nothing is wedged.
    assert request("GET", f"/{kind}/")[0] == 503
    deploy("hello", HELLO)
    assert request("GET", "/hello/after")[2] == b"hello from /hello/after\n"


def test_the_cpu_limit_is_per_worker(machine):
    spin = "export default { fetch() { const t = Date.now(); let x = 0; for (let i = 0; i < 2e7; i++) x += i; return new Response(String(x > 0)); } };"
    deploy("spin", spin, "cpu=5s")
    assert request("GET", "/spin/")[:1] == (200,)
    deploy("spin", spin, "cpu=1ms")
    assert request("GET", "/spin/")[0] == 503


def test_subrequests_go_out_through_the_guest_and_the_51st_is_refused(machine):
    # 10.0.2.2:9 is the host's loopback port 9, where nothing listens: each fetch is refused.
    source = """export default { async fetch(r) {
      const n = Number(new URL(r.url).searchParams.get('n'));
      const out = await Promise.allSettled(Array.from({ length: n }, () => fetch('http://10.0.2.2:9/')));
      return Response.json(out.map((o) => o.reason.cause ? o.reason.cause.code : o.reason.message));
    } };"""
    deploy("fetcher", source)
    status, _, body = request("GET", "/fetcher/?n=50")
    assert status == 200, body
    assert json.loads(body) == ["ECONNREFUSED"] * 50
    status, _, body = request("GET", "/fetcher/?n=51")
    assert json.loads(body).count("Too many subrequests.") == 1
    # A storm that does not catch it: Cloudflare's 1101, and the logs say which limit.
    # (A thousand Requests made at once cost more than 50 ms of CPU: this one may spend a second.)
    deploy(
        "storm",
        "export default { async fetch() { await Promise.all(Array.from({ length: 1000 }, () => fetch('http://10.0.2.2:9/'))); } };",
        "cpu=1s",
    )
    status, _, body = request("GET", "/storm/")
    assert status == 500 and b"Too many subrequests." in body
    _, _, logs = request("GET", "/workers/storm/logs")
    assert b"exceeded subrequest limit (50)" in logs


def test_a_request_past_its_wall_time_is_answered(machine):
    deploy("stuck", "export default { fetch() { return new Promise(() => {}); } };", "wall=300ms")
    status, _, body = request("GET", "/stuck/")
    assert status == 503 and b"wall time limit" in body
    assert request("GET", "/stuck/")[0] == 503  # and again: the isolate is not wedged


def test_a_throw_is_500_with_the_stack_in_the_logs(machine):
    deploy("throws", "export default {\n  fetch() {\n    throw new RangeError('no such thing');\n  },\n};\n")
    status, _, body = request("GET", "/throws/")
    assert status == 500 and b"error code: 1101" in body
    _, _, logs = request("GET", "/workers/throws/logs")
    assert b"RangeError: no such thing" in logs
    assert b"throws.js:3:" in logs  # the source's own line


# -- what a deploy refuses ------------------------------------------------------------------------


def test_a_syntax_error_or_a_throw_at_import_fails_the_deploy_and_the_old_version_serves(machine):
    deploy("steady", "export default { fetch: () => new Response('old') };")
    status, body = deploy("steady", "export default { fetch: () => new Response('x' };")
    assert status == 400 and b"SyntaxError" in body
    status, body = deploy("steady", "throw new TypeError('not today');\nexport default {};")
    assert status == 400 and b"TypeError: not today" in body
    status, body = deploy("steady", "export const x = 1;")
    assert status == 400 and b"exports neither" in body
    assert request("GET", "/steady/")[2] == b"old"


def test_a_loop_at_import_fails_the_deploy_on_the_startup_limit(machine):
    status, body = deploy("startup-loop", "for (;;) {}\nexport default {};")
    assert status == 400
    assert b"CPU time limit exceeded (400 ms budget, " in body


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/workers/Bad", b"x", 400, b"bad worker name"),
        ("/workers/..%2F..%2Fetc", b"x", 400, b"bad worker name"),
        ("/workers/a%00b", b"x", 400, b"bad worker name"),
        ("/workers/%zz", b"x", 400, b"percent-encoding"),
        ("/workers/workers", b"x", 400, b"reserved"),
        ("/workers/" + "a" * 55, b"x", 400, b"bad worker name"),
        ("/workers/ok/extra", b"x", 400, b"no such resource"),
        ("/workers/empty", b"", 400, b"empty script"),
        ("/workers/latin1", b"export default {}; // caf\xe9", 400, b"not valid UTF-8"),
        ("/workers/opts?frobnicate=1", b"x", 400, b"unknown setting 'frobnicate'"),
        ("/workers/opts?cpu=fast", b"x", 400, b"limit cpu"),
        ("/workers/opts?var.1x=2", b"x", 400, b"bad binding name"),
    ],
)
def test_a_malformed_deploy_is_4xx_with_a_reason(machine, path, body, status, reason):
    got, _, text = request("PUT", path, body)
    assert got == status, text
    assert reason in text, text
    assert request("GET", "/workers")[0] == 200  # and the invoker goes on


def test_a_script_over_10_mib_is_413_before_it_is_sent(machine, tmp_path):
    big = tmp_path / "big.js"
    big.write_bytes(b"/" * (10 * 1024 * 1024 + 1))
    # curl sends Expect: 100-continue, and the invoker answers 413 instead of 100.
    r = subprocess.run(
        ["curl", "-sS", "-T", str(big), "-w", "\n%{http_code}", f"http://127.0.0.1:{FWD}/workers/big"],
        capture_output=True,
        timeout=60,
    )
    assert r.stdout.endswith(b"\n413"), r.stdout[-300:] + r.stderr
    assert request("GET", "/workers/big")[0] == 404


def test_the_worker_cannot_reach_sys_or_the_kernel(machine):
    source = """export default { async fetch() {
      const seen = { sys: typeof sys, rt: typeof __rt, trap: typeof __sys, require: typeof require,
                     viaGlobal: typeof globalThis.sys };
      return Response.json(seen);
    } };"""
    deploy("nosy", source)
    status, _, body = request("GET", "/nosy/")
    assert status == 200
    assert json.loads(body) == {
        "sys": "undefined",
        "rt": "undefined",
        "trap": "undefined",
        "require": "undefined",
        "viaGlobal": "undefined",
    }


# -- env, KV and OpenWhisk ------------------------------------------------------------------------


def test_env_values_and_a_kv_namespace_shared_by_two_workers(machine):
    writer = "export default { async fetch(r, env) { await env.NOTES.put('k', await r.text()); return new Response(env.WHO); } };"
    reader = (
        "export default { async fetch(r, env) { return new Response(await env.STORE.get('k') ?? 'none'); } };"
    )
    assert deploy("writer", writer, "kv.NOTES=shared&var.WHO=writer")[0] in (200, 201)
    assert deploy("reader", reader, "kv.STORE=shared")[0] in (200, 201)
    assert deploy("other", reader, "kv.STORE=elsewhere")[0] in (200, 201)
    assert request("POST", "/writer/", "a note")[2] == b"writer"
    assert request("GET", "/reader/")[2] == b"a note"
    assert request("GET", "/other/")[2] == b"none"  # another namespace never meets it


def test_wait_until_work_finishes_after_the_response(machine):
    source = """export default { async fetch(r, env, ctx) {
      if (new URL(r.url).pathname.endsWith('/read')) return new Response(await env.KV.get('later') ?? 'not yet');
      ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 100)).then(() => env.KV.put('later', 'done')));
      return new Response('answered');
    } };"""
    assert deploy("later", source, "kv.KV=later")[0] in (200, 201)
    assert request("GET", "/later/")[2] == b"answered"
    deadline = time.monotonic() + 10
    while request("GET", "/later/read")[2] != b"done":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_an_openwhisk_action_call_returns_the_actions_json(machine):
    deploy(
        "greet",
        "export function main(params) { return { greeting: `hello ${params.name}`, n: params.n + 1 }; }",
    )
    status, _, body = request(
        "POST",
        "/api/v1/namespaces/_/actions/greet?blocking=true&result=true",
        json.dumps({"name": "ebbrt", "n": 1}),
    )
    assert status == 200
    assert json.loads(body) == {"greeting": "hello ebbrt", "n": 2}
    status, _, body = request(
        "POST", "/api/v1/namespaces/_/actions/greet?blocking=true", json.dumps({"name": "x", "n": 0})
    )
    activation = json.loads(body)
    assert activation["response"] == {
        "status": "success",
        "success": True,
        "result": {"greeting": "hello x", "n": 1},
    }
    assert request("POST", "/api/v1/namespaces/_/actions/nosuch?blocking=true", "{}")[0] == 404
    assert request("POST", "/api/v1/namespaces/_/actions/greet?blocking=true", "{not json")[0] == 400


def test_the_worker_app_deploys_lists_and_removes(machine):
    status, out, err = machine.run(
        "echo 'export default { fetch: (r, env) => new Response(env.A) };' > /tmp/app.js"
        " && worker deploy --var A=from-the-shell shelled /tmp/app.js && worker ls"
    )
    assert status == 0, err
    assert "worker: deployed shelled" in out
    assert any(line.split()[0] == "shelled" for line in out.splitlines()[1:])
    assert request("GET", "/shelled/")[2] == b"from-the-shell"
    status, out, err = machine.run("worker rm shelled && worker logs shelled")
    assert status == 1 and "worker: removed shelled" in out and "no worker named 'shelled'" in err
