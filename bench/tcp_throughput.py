"""Bulk TCP through the JavaScript stack over TAP, against Linux to Linux over a veth pair.

One connection each way, N MiB (issue 13's benchmark), in one run:
- guest → Linux: the guest's `nc 10.9.0.1 PORT < /tmp/blob` (a file of N MiB
  made first) to a Python receiver in the benchmark's namespace;
- Linux → guest: a Python sender in the namespace to the guest's
  `nc 10.9.0.1 PORT < /dev/null > /dev/null`;
- the anchor: the same Python receiver and sender, with a Python client in a
  second namespace joined to the first by a veth pair (the Linux kernel on
  both ends of a virtual cable, as the TAP is for the guest).
The Linux side times every transfer the same way: from accept() to the end
of the stream (receiving), or to the moment the peer has acknowledged the
last byte (sending: the socket's send queue, SIOCOUTQ, is empty). Each
direction runs `runs` times; the table gives the median MB/s (10^6 bytes/s),
the spread (min-max), and the ratio to the anchor's median.

`modes` (comma-separated) boots one machine per mode, runs interleaved, to
show what each virtio-net offload buys (--net-offload all, csum, none) and
what loss costs: `loss1` is `all` with 1 % of frames dropped each way by the
machine (--net-faults drop=0.01; the device then cuts segments itself, so
each lost frame is one MSS), and reports the guest's retransmissions.
Floor (issue 13): 50 MB/s each way.

    python bench/tcp_throughput.py [MIB [RUNS [MODES]]]   e.g. 64 5 all,csum,none,loss1
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import uuid

from tapnet import LINUX_IP, TapNet, can_run, ip

# Linux's side, run in the namespace: `recv PORT` or `send PORT BYTES`;
# prints its port, then one JSON line per connection.
SERVER = r"""
import fcntl, json, socket, struct, sys, termios, time
mode, host, nbytes, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
srv = socket.socket(); srv.bind((host, 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
block = b"\xa5" * (1 << 20)
for _ in range(count):
    conn, _ = srv.accept()
    t0 = time.perf_counter(); got = 0
    if mode == "recv":
        buf = bytearray(1 << 20)
        while (n := conn.recv_into(buf)):
            got += n
    else:
        left = nbytes
        while left:
            got += conn.send(memoryview(block)[:min(left, len(block))]); left = nbytes - got
        while struct.unpack("i", fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]:
            time.sleep(0.0002)  # SIOCOUTQ: bytes not yet acknowledged
    elapsed = time.perf_counter() - t0
    conn.close()
    print(json.dumps({"bytes": got, "seconds": elapsed}), flush=True)
"""

# The anchor's client in the second namespace: `send HOST PORT BYTES` or `recv HOST PORT`.
CLIENT = r"""
import socket, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection((host, port))
if mode == "send":
    block = b"\x5a" * (1 << 20); left = int(sys.argv[4])
    while left:
        left -= s.send(memoryview(block)[:min(left, len(block))])
    s.shutdown(socket.SHUT_WR)
buf = bytearray(1 << 20)
while s.recv_into(buf):
    pass
"""

MIB = 1 << 20


class Server:
    """SERVER running in namespace `ns` (None: this one) for `count` connections."""

    def __init__(self, ns: str | None, mode: str, host: str, nbytes: int, count: int):
        where = ["ip", "netns", "exec", ns] if ns else []
        self.proc = subprocess.Popen(
            [*where, sys.executable, "-c", SERVER, mode, host, str(nbytes), str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.proc.stdout.readline())

    def result(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Linux side ended without a result")
        return json.loads(line)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Veth:
    """A second namespace joined to `ns` by a veth pair: 10.10.0.1 (ns) and 10.10.0.2 (peer)."""

    def __init__(self, ns: str):
        self.peer = f"jsksh-bench-{uuid.uuid4().hex[:6]}"
        ip("netns", "add", self.peer)
        tag = uuid.uuid4().hex[:6]
        a, b = f"va{tag}", f"vb{tag}"
        ip("link", "add", a, "netns", ns, "type", "veth", "peer", "name", b, "netns", self.peer)
        ip("-n", ns, "addr", "add", "10.10.0.1/24", "dev", a)
        ip("-n", self.peer, "addr", "add", "10.10.0.2/24", "dev", b)
        ip("-n", ns, "link", "set", a, "up")
        ip("-n", self.peer, "link", "set", b, "up")

    def client(self, *args: str) -> None:
        subprocess.run(
            ["ip", "netns", "exec", self.peer, sys.executable, "-c", CLIENT, *args], check=True, timeout=120
        )

    def close(self) -> None:
        subprocess.run(["ip", "netns", "del", self.peer], capture_output=True, timeout=30)


def guest(net: TapNet, command: str, timeout: float = 300) -> str:
    return net.machine.command(command, timeout)


def mbps(r: dict) -> float:
    return r["bytes"] / r["seconds"] / 1e6


MODES = {
    "all": ("--net-offload", "all"),
    "csum": ("--net-offload", "csum"),
    "none": ("--net-offload", "none"),
    "loss1": ("--net-offload", "all", "--net-faults", "drop=0.01,seed=13"),
}


def retransmits(net: TapNet) -> tuple[int, int]:
    """The guest's segments retransmitted and retransmission timeouts so far (netstat -s)."""
    out = guest(net, "netstat -s")
    m = re.search(r"(\d+) segments retransmitted \((\d+) timeouts", out)
    if not m:
        raise RuntimeError(f"no retransmission count in netstat -s: {out!r}")
    return int(m.group(1)), int(m.group(2))


def main(mib: int = 16, runs: int = 5, modes: str = "all") -> None:
    why = can_run()
    if why:
        print(f"tcp throughput over TAP: skipped ({why})")
        return
    names = modes.split(",")
    unknown = [m for m in names if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown mode(s) {unknown}: choose from {', '.join(MODES)}")
    nbytes = mib * MIB
    nets: dict[str, TapNet] = {}
    veth = None
    rates: dict[str, list[float]] = {"a_up": [], "a_down": []}
    rtx: dict[str, list[int]] = {}
    timeouts: dict[str, list[int]] = {}
    for mode in names:
        rates[f"g2l/{mode}"], rates[f"l2g/{mode}"] = [], []
        rtx[f"g2l/{mode}"] = []
        timeouts[f"g2l/{mode}"] = []
    try:
        for mode in names:
            nets[mode] = TapNet(*MODES[mode])
            guest(nets[mode], f"head -c {nbytes} /dev/urandom > /tmp/blob")
        first = nets[names[0]]
        veth = Veth(first.ns)
        # Runs interleaved, so a noisy minute touches every column alike.
        for _ in range(runs):
            for mode, net in nets.items():
                before = retransmits(net)
                recv = Server(net.ns, "recv", LINUX_IP, nbytes, 1)
                out = guest(net, f"nc {LINUX_IP} {recv.port} < /tmp/blob")
                r = recv.result()
                recv.close()
                if r["bytes"] != nbytes:
                    raise RuntimeError(f"guest → Linux ({mode}): {r['bytes']} bytes of {nbytes}: {out!r}")
                rates[f"g2l/{mode}"].append(mbps(r))
                after = retransmits(net)
                rtx[f"g2l/{mode}"].append(after[0] - before[0])
                timeouts[f"g2l/{mode}"].append(after[1] - before[1])

                send = Server(net.ns, "send", LINUX_IP, nbytes, 1)
                out = guest(net, f"nc {LINUX_IP} {send.port} < /dev/null > /dev/null")
                rates[f"l2g/{mode}"].append(mbps(send.result()))
                send.close()

            recv = Server(first.ns, "recv", "10.10.0.1", nbytes, 1)
            veth.client("send", "10.10.0.1", str(recv.port), str(nbytes))
            rates["a_up"].append(mbps(recv.result()))
            recv.close()

            send = Server(first.ns, "send", "10.10.0.1", nbytes, 1)
            veth.client("recv", "10.10.0.1", str(send.port))
            rates["a_down"].append(mbps(send.result()))
            send.close()
    finally:
        if veth:
            veth.close()
        for net in nets.values():
            net.close()

    def cell(xs: list[float]) -> str:
        return f"{statistics.median(xs):8.1f} MB/s  ({min(xs):.1f}-{max(xs):.1f})"

    print(f"Bulk TCP, one connection, {mib} MiB each way, {runs} runs (median, min-max)")
    for mode in names:
        for name, key, anchor in (
            (f"guest → Linux ({mode})", f"g2l/{mode}", "a_up"),
            (f"Linux → guest ({mode})", f"l2g/{mode}", "a_down"),
        ):
            ratio = statistics.median(rates[key]) / statistics.median(rates[anchor])
            extra = ""
            if key in rtx and (mode.startswith("loss") or any(rtx[key])):
                extra = (
                    f"   guest retransmitted {statistics.median(rtx[key]):.0f} segments, "
                    f"{statistics.median(timeouts[key]):.0f} timeouts (medians; {rtx[key]}, {timeouts[key]})"
                )
            print(f"  {name:32} {cell(rates[key])}   ratio to anchor {ratio:.3f}{extra}")
    print(f"  {'anchor: Linux → Linux (veth)':32} {cell(rates['a_up'])}")
    print(f"  {'anchor: Linux ← Linux (veth)':32} {cell(rates['a_down'])}")
    print("  floor (issue 13): 50 MB/s each way")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]), *sys.argv[3:4])
