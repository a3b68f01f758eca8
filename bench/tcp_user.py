"""Bulk TCP through the user backend's NAT (--net user), against Linux's loopback in one run.

The default network: the guest's stack, virtio-net, the NAT in
jsksh/machine/netdev/user/tcp_nat.py and a real host socket on 127.0.0.1.
- guest → host: the guest's `nc 10.0.2.2 PORT < /tmp/blob` (10.0.2.2 is the
  host's loopback, as in slirp) to bench/tcp_throughput.py's Python receiver;
- host → guest: that Python sender to the guest's `nc 10.0.2.2 PORT`;
- the anchor: the same receiver and sender with a Python client over the
  host's loopback (Linux to Linux, no NAT, no guest).
The receiver and sender time transfers as tcp_throughput.py's do. No root
needed; nothing leaves the host's loopback.

    python bench/tcp_user.py [MIB [RUNS]]
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from common import Machine
from tcp_throughput import CLIENT, MIB, Server, mbps


def loopback_client(*args: str) -> None:
    subprocess.run([sys.executable, "-c", CLIENT, *args], check=True, timeout=300)


def main(mib: int = 16, runs: int = 5) -> None:
    nbytes = mib * MIB
    m = Machine("--net", "user")
    rates: dict[str, list[float]] = {"g2h": [], "h2g": [], "a_up": [], "a_down": []}
    try:
        m.command(f"head -c {nbytes} /dev/urandom > /tmp/blob")
        for _ in range(runs):  # interleaved, so a noisy minute touches every column alike
            recv = Server(None, "recv", "127.0.0.1", nbytes, 1)
            out = m.command(f"nc 10.0.2.2 {recv.port} < /tmp/blob")
            r = recv.result()
            recv.close()
            if r["bytes"] != nbytes:
                raise RuntimeError(f"guest → host: {r['bytes']} bytes of {nbytes}: {out!r}")
            rates["g2h"].append(mbps(r))

            send = Server(None, "send", "127.0.0.1", nbytes, 1)
            m.command(f"nc 10.0.2.2 {send.port} < /dev/null > /dev/null")
            rates["h2g"].append(mbps(send.result()))
            send.close()

            recv = Server(None, "recv", "127.0.0.1", nbytes, 1)
            loopback_client("send", "127.0.0.1", str(recv.port), str(nbytes))
            rates["a_up"].append(mbps(recv.result()))
            recv.close()

            send = Server(None, "send", "127.0.0.1", nbytes, 1)
            loopback_client("recv", "127.0.0.1", str(send.port))
            rates["a_down"].append(mbps(send.result()))
            send.close()
    finally:
        m.stop()

    def cell(xs: list[float]) -> str:
        return f"{statistics.median(xs):8.1f} MB/s  ({min(xs):.1f}-{max(xs):.1f})"

    print(f"Bulk TCP through the user backend's NAT, {mib} MiB each way, {runs} runs (median, min-max)")
    for name, key, anchor in (("guest → host (NAT)", "g2h", "a_up"), ("host → guest (NAT)", "h2g", "a_down")):
        ratio = statistics.median(rates[key]) / statistics.median(rates[anchor])
        print(f"  {name:32} {cell(rates[key])}   ratio to anchor {ratio:.3f}")
    print(f"  {'anchor: loopback, Linux → Linux':32} {cell(rates['a_up'])}")
    print(f"  {'anchor: loopback, Linux ← Linux':32} {cell(rates['a_down'])}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
