"""Name lookups per second through the kernel's resolver, cached and uncached, in one run.

A dnslib server on 127.0.0.1 answers every name under bench.test; the guest
(`--net user --dns 127.0.0.1:PORT`) asks it through the user backend's DNS
forwarder. Measured inside the guest with `eval`, which calls
sys.net.resolve() in a loop (one kernel call per lookup):
- uncached: a new name each time (the resolver asks the server);
- cached: the same name again (answered from the resolver's TTL cache);
- `host NAME` commands one after another (an app start per lookup);
- anchor: a Python client asking the same server directly over loopback.
"""

from __future__ import annotations

import re
import socket
import sys
import time

from common import Machine

N = 100


def start_server():
    from dnslib import QTYPE, RR, A
    from dnslib.server import BaseResolver, DNSLogger, DNSServer

    class Everything(BaseResolver):
        def resolve(self, request, handler):
            reply = request.reply()
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A("192.0.2.1"), ttl=300))
            return reply

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = DNSServer(
        Everything(), port=port, address="127.0.0.1", logger=DNSLogger("-request,-reply,-truncated")
    )
    server.start_thread()
    return server, port


def anchor(port: int) -> float:
    from dnslib import DNSRecord

    t0 = time.perf_counter()
    for i in range(N):
        DNSRecord.question(f"a{i}.bench.test").send("127.0.0.1", port, timeout=2)
    return N / (time.perf_counter() - t0)


def guest_rate(m: Machine, code: str) -> float:
    m.sock.sendall(f"eval '{code}'\r".encode())
    out = m.read_until(b"$ ").decode(errors="replace")
    found = re.search(r"RATE ([\d.]+)", out)
    if not found:
        raise RuntimeError(f"no rate in: {out!r}")
    return float(found.group(1))


def main() -> None:
    server, port = start_server()
    m = Machine("--net", "user", "--dns", f"127.0.0.1:{port}")
    try:
        loop = (
            "(async () => {{ const t0 = sys.clock(); for (let i = 0; i < {n}; i++) await sys.net.resolve({name}); "
            'sys.print("RATE " + ({n} / (sys.clock() - t0))); }})()'
        )
        uncached = guest_rate(m, loop.format(n=N, name='"u" + i + ".bench.test"'))
        cached = guest_rate(m, loop.format(n=N * 10, name='"u1.bench.test"'))
        t0 = time.perf_counter()
        for i in range(50):
            m.sock.sendall(f"host h{i}.bench.test\r".encode())
            m.read_until(b"has address")
            m.read_until(b"$ ")
        host_rate = 50 / (time.perf_counter() - t0)
        py = anchor(port)
    finally:
        m.stop()
        server.stop()
    print("DNS lookups per second, dnslib server on 127.0.0.1 (user backend forwarding)")
    print(f"  jsksh resolver, cached           {cached:9,.0f}/s")
    print(f"  jsksh resolver, uncached         {uncached:9,.0f}/s")
    print(f"  jsksh `host NAME` commands       {host_rate:9,.0f}/s   (an app start each)")
    print(f"  Python client, same server       {py:9,.0f}/s   (anchor, uncached)")
    print(f"  ratio uncached / anchor          {uncached / py:9.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
