"""The guest side of the worker benchmarks: a machine booted with the invoker (issue 14), and its HTTP API.

`InvokerMachine(net)` boots `jsksh boot --service invoker` and waits until
`GET /workers` answers on the guest's port 80, reached one of two ways:
- "user" (the default backend): `--hostfwd tcp:127.0.0.1:PORT-:80`, so each
  segment also crosses the backend's Python NAT (tcp_nat.py) and a host
  socket; needs nothing.
- "tap": a TAP device in a network namespace (tapnet.py), as
  bench/http_serve.py measures httpd; needs root. The benchmark's own thread
  then joins the namespace (`netns`), so what it starts afterwards (wrk, the
  anchors, its Python clients) runs there and reaches the guest at 10.9.0.2.

The API (docs/workers.md): `PUT /workers/NAME` with the module source
deploys (201 new, 200 updated), `GET /workers` lists, `DELETE
/workers/NAME` removes, and any request to `/NAME/...` runs worker NAME's
`fetch`. A deploy starts the version's isolate (a registry service
`w.NAME.HASH7`) and answers once its code has evaluated, so the isolate's
start is inside the PUT, and the first request after it finds the isolate
ready; an isolate the registry evicted starts again on its next request.

    python worker_invoker.py [user|tap] [--service NAME]    boot, deploy hello, GET it (a smoke test)
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import re
import socket
import subprocess
import time

from common import Machine

CLONE_NEWNET = 0x40000000
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@contextlib.contextmanager
def netns(name: str):
    """Run this thread (and what it starts) in network namespace NAME, as `ip netns exec` would; back after."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            libc.setns(own, CLONE_NEWNET)
    finally:
        os.close(own)
        os.close(target)


def hello(tag: str = "hello") -> str:
    """A hello-world worker in the module form, answering `tag`."""
    return (
        "export default {\n"
        "  async fetch(request, env, ctx) {\n"
        f"    return new Response({json.dumps(tag)});\n"
        "  },\n"
        "};\n"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class InvokerMachine:
    """A machine serving the invoker on its port 80; `host`:`port` reaches it from this thread."""

    def __init__(self, net: str = "user", *extra: str, service: str = "invoker"):
        self.tap = None
        self._ns = None
        if net == "tap":
            from tapnet import GUEST_IP, TapNet

            self.tap = TapNet("--service", service, *extra)
            self.machine = self.tap.machine
            self.host, self.port = GUEST_IP, 80
            self._ns = netns(self.tap.ns)
            self._ns.__enter__()
        elif net == "user":
            self.host, self.port = "127.0.0.1", free_port()
            self.machine = Machine(
                "--hostfwd", f"tcp:127.0.0.1:{self.port}-:80", "--service", service, *extra
            )
        else:
            raise ValueError(f"net: user or tap, not {net!r}")
        self.conn = None
        try:
            self.wait_ready("/workers" if service == "invoker" else "/")
        except BaseException:
            self.stop()
            raise

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def request(self, method: str, path: str, body: str | bytes | None = None, timeout: float = 30):
        """One request on a kept-alive connection (a new one if the last was closed): (status, body bytes)."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body)
                r = self.conn.getresponse()
                data = r.read()
                if r.will_close:
                    self.conn.close()
                    self.conn = None
                return r.status, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def wait_ready(self, path: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, _ = self.request("GET", path, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the guest did not answer GET {path} on port 80 within {timeout} s")
            time.sleep(0.1)

    def deploy(self, name: str, source: str) -> dict:
        assert NAME.match(name), name
        status, body = self.request("PUT", f"/workers/{name}", source.encode())
        if status not in (200, 201):
            raise RuntimeError(f"PUT /workers/{name}: {status} {body[:200]!r}")
        return json.loads(body)

    def call(self, name: str, path: str = "") -> bytes:
        status, body = self.request("GET", f"/{name}/{path}")
        if status != 200:
            raise RuntimeError(f"GET /{name}/{path}: {status} {body[:200]!r}")
        return body

    def delete(self, name: str) -> None:
        self.request("DELETE", f"/workers/{name}")

    def workers(self) -> list:
        status, body = self.request("GET", "/workers")
        return json.loads(body)

    def console(self, line: str, timeout: float = 120) -> str:
        """A line typed at the guest's shell; what it printed."""
        return self.machine.command(line, timeout)

    def kernel_info(self) -> dict:
        """The guest's own view of its memory: sys.kernel.info() (free(1) reads the same)."""
        out = self.console("eval 'sys.kernel.info().then((i) => sys.print(\"INFO\" + JSON.stringify(i)))'")
        return json.loads(re.search(r"INFO(\{.*\})", out).group(1))

    def evictions(self) -> list[str]:
        """The invoker's evictions so far, from the kernel log (`svc: evicted w.NAME.HASH7 ...`: each
        version of a worker is a registry service of that name)."""
        out = self.console("dmesg | grep 'svc: evicted w[.]' ; true")
        return [line for line in out.splitlines() if "svc: evicted w." in line and "grep" not in line]

    def rss(self) -> int:
        return self.machine.rss()

    def stop(self) -> None:
        if self.conn:
            self.conn.close()
        if self._ns:
            self._ns.__exit__(None, None, None)
            self._ns = None
        # A machine still busy (a load just ended, a loaded host) may outlast
        # Machine.stop's 10 s after SIGTERM: then it is killed, and the
        # namespace goes all the same.
        try:
            self.machine.stop()
        except subprocess.TimeoutExpired:
            self.machine.proc.kill()
            self.machine.proc.wait()
        if self.tap:
            self.tap.close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("net", nargs="?", default="user", choices=("user", "tap"))
    parser.add_argument("--service", default="invoker", help="httpd checks only the plumbing")
    args = parser.parse_args()
    m = InvokerMachine(args.net, service=args.service)
    try:
        print("up at", m.url(), "rss", m.rss() >> 20, "MiB")
        print("memory", m.kernel_info()["memory"])
        if args.service == "invoker":
            print(m.deploy("hello", hello()))
            print(m.call("hello"), m.workers())
        print("evictions", m.evictions())
    finally:
        m.stop()
