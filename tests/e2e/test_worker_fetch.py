"""End-to-end: a worker's outbound fetch() (/lib/web/fetch) through the guest's own TCP stack.

A machine on the default `--net user` backend; Python's http.server on the
host's 127.0.0.1, which the guest reaches as 10.0.2.2 (as in
test_http_user).  Workers run by `worker run FILE` fetch from it: a JSON
round trip, a redirect followed, a 1 MiB body streamed through a worker
that hands the fetched Response back as its own (compared by sha256), and
a closed port, which is TypeError("fetch failed") with ECONNREFUSED as
its cause.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
import time

import pytest

from tests.e2e.netns import booted, wait_for_address
from tests.e2e.test_net_user_tcp import free_port
from tests.e2e.test_worker_run import write

MIB = 1024 * 1024
BLOB = os.urandom(MIB)


class Handler(http.server.BaseHTTPRequestHandler):
    """/echo answers a POSTed JSON with what it saw; /moved redirects (302) to /hello;
    /hello says hello with the method; /blob is 1 MiB; /slow answers after 3 s."""

    protocol_version = "HTTP/1.1"

    def answer(self, status, body: bytes, content_type="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/blob":
            self.answer(200, BLOB, "application/octet-stream")
        elif self.path == "/moved":
            self.answer(302, b"moved\n", headers=[("Location", "/hello")])
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(200, b"late\n")
        elif self.path == "/hello":
            self.answer(200, f"hello from the host ({self.command})\n".encode())
        else:
            self.answer(404, b"not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/moved":  # a POST redirected with 302 comes back as a GET (Fetch §4.4)
            self.answer(302, b"", headers=[("Location", "/hello")])
            return
        seen = {
            "method": self.command,
            "path": self.path,
            "type": self.headers.get("Content-Type"),
            "agent": self.headers.get("X-Agent"),
            "json": json.loads(body),
        }
        self.answer(201, json.dumps(seen).encode(), "application/json")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def machine():
    with booted("--net", "user", "--dns", "127.0.0.1:9") as m:
        wait_for_address(m)
        yield m


@pytest.fixture(scope="module")
def host_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.base = f"http://10.0.2.2:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_worker(
    machine, name: str, source: str, base: str = "", url: str = "http://localhost/", pipe: str = ""
):
    """Runs SOURCE (BASE in it replaced by `base`, the host server's URL) as /tmp/NAME.js."""
    write(machine, f"/tmp/{name}.js", source.replace("BASE", base))
    return machine.run(f"worker run /tmp/{name}.js {url}{pipe}", timeout=60)


def test_a_worker_posts_json_and_reads_the_json_reply(machine, host_server):
    status, out, err = run_worker(
        machine,
        "json",
        """export default {
  async fetch() {
    const r = await fetch('BASE/echo', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Agent': 'worker' },
      body: JSON.stringify({ a: [1, 2], s: 'h\\u00e9' }),
    });
    return Response.json({
      status: r.status, ok: r.ok, type: r.headers.get('content-type'), url: r.url,
      redirected: r.redirected, seen: await r.json(),
    });
  },
};
""",
        host_server.base,
    )
    assert status == 0, err
    assert json.loads(out) == {
        "status": 201,
        "ok": True,
        "type": "application/json",
        "url": f"{host_server.base}/echo",
        "redirected": False,
        "seen": {
            "method": "POST",
            "path": "/echo",
            "type": "application/json",
            "agent": "worker",
            "json": {"a": [1, 2], "s": "h\u00e9"},
        },
    }


def test_a_redirect_is_followed_and_a_post_becomes_a_get(machine, host_server):
    status, out, err = run_worker(
        machine,
        "redirect",
        """export default {
  async fetch() {
    const results = [];
    for (const init of [{}, { method: 'POST', body: 'x' }, { redirect: 'manual' }]) {
      const r = await fetch('BASE/moved', init);
      results.push({ status: r.status, redirected: r.redirected, url: r.url,
                     location: r.headers.get('location'), text: await r.text() });
    }
    return Response.json(results);
  },
};
""",
        host_server.base,
    )
    assert status == 0, err
    base = host_server.base
    assert json.loads(out) == [
        {"status": 200, "redirected": True, "url": f"{base}/hello", "location": None,
         "text": "hello from the host (GET)\n"},
        {"status": 200, "redirected": True, "url": f"{base}/hello", "location": None,
         "text": "hello from the host (GET)\n"},
        {"status": 302, "redirected": False, "url": f"{base}/moved", "location": "/hello", "text": "moved\n"},
    ]  # fmt: skip


def test_a_1_mib_body_streams_through_a_worker_byte_exact(machine, host_server):
    # The worker returns the fetched Response itself: its body streams from
    # the host's connection to worker run's stdout.
    status, out, err = run_worker(
        machine,
        "proxy",
        """export default {
  fetch(request) {
    return fetch('BASE' + new URL(request.url).pathname);
  },
};
""",
        host_server.base,
        url="http://localhost/blob",
        pipe=" | sha256sum",
    )
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(BLOB).hexdigest()


def test_a_closed_port_is_a_type_error_with_econnrefused_as_its_cause(machine):
    port = free_port()
    status, out, err = run_worker(
        machine,
        "refused",
        """export default {
  async fetch() {
    try {
      await fetch('BASE/');
      return new Response('connected?');
    } catch (e) {
      return Response.json({ type: e.constructor.name, message: e.message, code: e.cause && e.cause.code,
                             cause: String(e.cause && e.cause.message) });
    }
  },
};
""",
        f"http://10.0.2.2:{port}",
    )
    assert status == 0, err
    assert json.loads(out) == {
        "type": "TypeError",
        "message": "fetch failed",
        "code": "ECONNREFUSED",
        "cause": f"connect ECONNREFUSED 10.0.2.2:{port}: Connection refused",
    }


def test_https_and_the_subrequest_limit(machine, host_server):
    status, out, err = run_worker(
        machine,
        "limits",
        """export default {
  async fetch() {
    const out = {};
    try { await fetch('https://example.com/'); } catch (e) { out.https = `${e.name}: ${e.message}`; }
    let made = 0;
    try {
      for (let i = 0; i < 60; i++) { await (await fetch('BASE/hello')).text(); made += 1; }
    } catch (e) { out.limit = `${e.name}: ${e.message}`; }
    out.made = made;
    return Response.json(out);
  },
};
""",
        host_server.base,
    )
    assert status == 0, err
    result = json.loads(out)
    assert result["https"].startswith("TypeError: fetch failed: TLS is not supported in the guest")
    assert result["limit"] == "Error: Too many subrequests."
    assert result["made"] == 50


def test_an_abort_signal_timeout_calls_off_a_slow_fetch(machine, host_server):
    status, out, err = run_worker(
        machine,
        "timeout",
        """export default {
  async fetch() {
    const started = Date.now();
    try {
      await fetch('BASE/slow', { signal: AbortSignal.timeout(300) });
      return new Response('not aborted');
    } catch (e) {
      return Response.json({ name: e.name, waited: Date.now() - started });
    }
  },
};
""",
        host_server.base,
    )
    assert status == 0, err
    result = json.loads(out)
    assert result["name"] == "TimeoutError"
    assert 250 <= result["waited"] < 2500, result
