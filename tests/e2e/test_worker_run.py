"""End-to-end: `worker run`, a Workers-style module run on one request in the guest (issue 14's first step).

The worker is written as Cloudflare's users write it (an ES module with a
default export holding fetch), made a classic script by
/lib/worker/module-form and given /lib/web's Request and Response.
"""

from __future__ import annotations

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
    status, _, err = machine.run("worker deploy x")
    assert status == 2 and "unknown command 'deploy'" in err
