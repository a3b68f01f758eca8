"""The anchor for the worker benchmarks: Cloudflare's workerd, serving the same module workers on Linux.

workerd is the open-source runtime of Cloudflare Workers (one process, one
V8 isolate per worker). Its Linux binary ships inside the `workerd` npm
package (node_modules/@cloudflare/workerd-linux-64/bin/workerd), so the
benchmarks install it with npm into a cache directory the first time they
need it (JSKSH_WORKERD=/path/to/workerd uses another binary). A config is
Cap'n Proto text (workerd's src/workerd/server/workerd.capnp): one service
per worker, each its own isolate, and one socket. With several workers a
router worker in front of them forwards `/NAME/...` to worker NAME through
a service binding, as the invoker routes `/NAME/...` in the guest.

    python worker_workerd.py [PORT]     serve the hello-world on PORT (8082) until Ctrl-C
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from common import rss_bytes

CACHE = os.path.expanduser("~/.cache/jsksh-bench/workerd")
BINARY = os.path.join(CACHE, "node_modules/@cloudflare/workerd-linux-64/bin/workerd")
COMPATIBILITY_DATE = "2024-09-23"

HELLO = """export default {
  async fetch(request, env, ctx) {
    return new Response('hello');
  },
};
"""

# The router: /NAME/... goes to the service bound as NAME.
ROUTER = """export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.split('/')[1];
    const target = env[name];
    return target ? target.fetch(request) : new Response('no such worker', { status: 404 });
  },
};
"""


def binary() -> tuple[str | None, str]:
    """The workerd binary, installing the npm package if it is missing: (path, None) or (None, why not)."""
    if os.environ.get("JSKSH_WORKERD"):
        return os.environ["JSKSH_WORKERD"], ""
    if os.path.exists(BINARY):
        return BINARY, ""
    if not shutil.which("npm"):
        return None, "needs npm to install workerd (or JSKSH_WORKERD=/path/to/workerd)"
    os.makedirs(CACHE, exist_ok=True)
    if not os.path.exists(os.path.join(CACHE, "package.json")):
        with open(os.path.join(CACHE, "package.json"), "w") as f:
            f.write('{"private": true}\n')
    print(f"installing workerd with npm into {CACHE} (once) ...", file=sys.stderr, flush=True)
    try:
        r = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "workerd"],
            cwd=CACHE,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return None, "npm install workerd timed out (can npm reach its registry?)"
    if r.returncode != 0 or not os.path.exists(BINARY):
        last = (r.stderr or r.stdout).strip().splitlines()[-3:]
        return None, f"npm install workerd failed (can npm reach its registry?): {' / '.join(last)}"
    return BINARY, ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(workers: dict[str, str], address: str, router: bool) -> tuple[str, dict[str, str]]:
    """The capnp text serving `workers` (name -> module source) on `address`, and the files it embeds:
    behind the router, or the one worker directly."""
    files = {}
    services, defs = [], []
    for i, (name, source) in enumerate(workers.items()):
        files[f"w{i}.js"] = source
        services.append(f'(name = "{name}", worker = .w{i})')
        defs.append(
            f"const w{i} :Workerd.Worker = (\n"
            f'  modules = [(name = "w{i}.js", esModule = embed "w{i}.js")],\n'
            f'  compatibilityDate = "{COMPATIBILITY_DATE}",\n);'
        )
    if not router:
        assert len(workers) == 1, "several workers need the router"
        front = next(iter(workers))
    else:
        front = "router"
        files["router.js"] = ROUTER
        bindings = ", ".join(f'(name = "{name}", service = "{name}")' for name in workers)
        services.append('(name = "router", worker = .router)')
        defs.append(
            "const router :Workerd.Worker = (\n"
            '  modules = [(name = "router.js", esModule = embed "router.js")],\n'
            f"  bindings = [{bindings}],\n"
            f'  compatibilityDate = "{COMPATIBILITY_DATE}",\n);'
        )
    text = (
        'using Workerd = import "/workerd/workerd.capnp";\n\n'
        "const config :Workerd.Config = (\n"
        f"  services = [{', '.join(services)}],\n"
        f'  sockets = [(name = "http", address = "{address}", http = (), service = "{front}")],\n'
        ");\n\n" + "\n".join(defs) + "\n"
    )
    return text, files


class Workerd:
    """A workerd process serving `workers` on HOST:PORT, behind the router if `router` (the default for
    more than one); `wrap` prefixes the command (e.g. ip netns exec NS)."""

    def __init__(
        self,
        workers: dict[str, str],
        host: str = "127.0.0.1",
        port: int = 0,
        wrap: tuple = (),
        router: bool | None = None,
    ):
        self.router = len(workers) > 1 if router is None else router
        path, why = binary()
        if not path:
            raise RuntimeError(why)
        self.host, self.port = host, port or free_port()
        self.dir = tempfile.mkdtemp(prefix="jsksh-bench-workerd-")
        text, files = config(workers, f"{host}:{self.port}", self.router)
        for name, source in {**files, "config.capnp": text}.items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(source)
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            [*wrap, path, "serve", os.path.join(self.dir, "config.capnp")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wrap = wrap
        self.wait_ready(next(iter(workers)) if self.router else "")

    def url(self, name: str = "") -> str:
        return f"http://{self.host}:{self.port}/{name + '/' if name else ''}"

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"workerd exited ({self.proc.returncode}): {self.log.read()[-2000:]}")
            r = subprocess.run(
                [*self.wrap, "curl", "-s", "-o", "/dev/null", self.url(name)], capture_output=True
            )
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("workerd did not answer")
            time.sleep(0.1)

    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8082
    w = Workerd({"hello": HELLO}, port=port)
    print(json.dumps({"url": w.url(), "pid": w.proc.pid}))
    try:
        w.proc.wait()
    except KeyboardInterrupt:
        w.stop()
