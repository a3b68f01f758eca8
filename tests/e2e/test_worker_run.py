"""End-to-end: `worker run`, a Workers-style module run on one request in the guest (issue 14's first step).

The worker is written as Cloudflare's users write it (an ES module with a
default export holding fetch), made a classic script by
/lib/worker/module-form and given /lib/web's Request and Response.
"""

from __future__ import annotations

import json

MACHINE_ARGS = ("--net", "none")

HELLO = """export default {
  async fetch(request, env, ctx) {
    const body = request.method === 'POST' ? await request.text() : '';
    ctx.waitUntil(Promise.resolve());
    return new Response(`${request.method} ${request.url} ${request.headers.get('x-who')} ${body}\\n`, {
      status: 201,
      headers: { 'x-worker': 'yes' },
    });
  },
};
"""


def write(machine, path: str, text: str) -> None:
    status, _, err = machine.run(f"cat > {path} <<'EOF'\n{text}EOF")
    assert status == 0, err


def test_a_worker_answers_one_request_with_its_status_headers_and_body(machine):
    write(machine, "/tmp/hello.js", HELLO)
    status, out, err = machine.run("worker run -i -H 'X-Who: me' /tmp/hello.js http://example.test/a?b=1")
    assert status == 0, err
    head, _, body = out.partition("\n\n")
    assert head.splitlines()[0] == "HTTP/1.1 201 "
    assert (
        "x-worker: yes" in head.splitlines() and "content-type: text/plain;charset=UTF-8" in head.splitlines()
    )
    assert body == "GET http://example.test/a?b=1 me \n"
    status, out, err = machine.run("worker run -d x=1 -d y=2 /tmp/hello.js")
    assert (status, out) == (0, "POST http://localhost/ null x=1&y=2\n"), err


def test_a_worker_that_is_not_one_fails_with_a_clear_error(machine):
    write(machine, "/tmp/nofetch.js", "export default { hello() {} }\n")
    write(
        machine, "/tmp/throws.js", "export default {\n  fetch() {\n    throw new Error('boom');\n  },\n};\n"
    )
    write(machine, "/tmp/imports.js", "import x from './x.js';\nexport default { fetch() {} };\n")
    cases = {
        "/tmp/nofetch.js": "its default export has no fetch(request, env, ctx) handler",
        "/tmp/throws.js": "Error: boom",
        "/tmp/imports.js": "import is not supported: a worker is one file",
        "/tmp/missing.js": "No such file or directory",
    }
    for path, message in cases.items():
        status, out, err = machine.run(f"worker run {path}")
        assert status == 1 and message in err, (path, out, err)
    _, _, err = machine.run("worker run /tmp/throws.js")
    assert "/tmp/throws.js:3" in err, err  # the line numbers are the source's
    status, _, err = machine.run("worker frobnicate x")
    assert status == 2 and "unknown command 'frobnicate'" in err
    status, _, err = machine.run("worker deploy x")
    assert status == 2 and "deploy: expected 2 operands" in err


def test_a_worker_has_the_web_platforms_globals(machine):
    write(
        machine,
        "/tmp/globals.js",
        """export default {
  async fetch(request) {
    const u = new URL(request.url);
    const bytes = new TextEncoder().encode('h\u00e9');
    const ids = new Set(Array.from({ length: 50 }, () => crypto.randomUUID()));
    return Response.json({
      path: u.pathname, q: u.searchParams.get('q'), bytes: Array.from(bytes),
      text: new TextDecoder().decode(bytes), b64: btoa('hi'), back: atob('aGk='),
      clone: structuredClone({ a: [1, { b: 2 }] }), uuids: ids.size,
      v4: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test([...ids][0]),
    });
  },
};
""",
    )
    status, out, err = machine.run("worker run /tmp/globals.js 'http://x.test/p/../a?q=%20z'")
    assert status == 0, err
    assert json.loads(out) == {
        "path": "/a",
        "q": " z",
        "bytes": [104, 195, 169],
        "text": "h\u00e9",
        "b64": "aGk=",
        "back": "hi",
        "clone": {"a": [1, {"b": 2}]},
        "uuids": 50,
        "v4": True,
    }
