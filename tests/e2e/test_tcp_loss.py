"""Bulk TCP both ways under loss, reordering, duplication and corruption (issue 13).

The peer is Linux over a TAP device in a namespace of our own, as in
test_tcp_peer_linux.py (10.9.0.1, the guest 10.9.0.2); the faults are the
machine's own (--net-faults, jsksh/machine/netdev/faults.py), with fixed
seeds, so a failure replays: every assertion message names the spec, seed
included.  One machine per spec; each test moves its bytes one way:

  out: the guest's `nc` connects to a Python receiver in the namespace and
       sends a file of random bytes; the receiver's sha256 of what arrived
       must be the guest's `sha256sum` of the file;
  in:  a Python client in the namespace connects to the guest's `nc -l` and
       sends random bytes; the guest's `sha256sum` of what nc read must be
       the sender's.

Under drops or corruption the sender must have retransmitted: the guest's
`netstat -s` when it sends, Linux's RetransSegs (/proc/net/snmp in the
namespace) when Linux does; corruption must show as the guest's
bad-checksum drops.  Timings are printed (pytest -s).

Sizes: the issue's 64 MiB each way for every spec.  Where that took over
~10 s (the guest sending under loss, the slow part: its recovery is being
reworked) the case is marked slow and a smaller one runs by default
(CASES below, with the times measured).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time

import pytest

from tests.e2e.netns import LINUX_IP, booted, require, tap_peer
from tests.e2e.test_tcp_peer_linux import connect_when_listening

MIB = 1024 * 1024
GUEST_PORT = 5000
RUN_TIMEOUT = 900  # seconds for one transfer: 64 MiB at 5 % loss took 272 s

# The cases: None is a clean cable (--net-faults needs at least one fault).
# Reordering comes from jitter (frames overtake each other, as under netem)
# and from reorder's holds.  Specs are written as the machine prints them.
SPECS = {
    "clean": None,
    "drop1": "drop=0.01,seed=1301",
    "drop5": "drop=0.05,seed=1305",
    "reorder": "reorder=0.05,delay=1ms±1ms,seed=1313",
    "corrupt-dup": "corrupt=0.01,duplicate=0.02,seed=1317",
}
SLOW = pytest.mark.slow


# (spec, direction, MiB, slow), grouped by spec so each machine boots once.
# A case that took over ~10 s (the guest sending under loss) is slow, with a
# smaller one in the default run.  The seconds each took: alone on a 2-core
# machine shared with other work, 2-3 runs.
CASES = [
    ("clean", "out", 64, False),  # 0.6
    ("clean", "in", 64, False),  # 1.1-1.6
    ("drop1", "out", 4, False),  # 0.7-2.5
    ("drop1", "out", 64, True),  # 20-24
    ("drop1", "in", 64, False),  # 2.6-4.0
    ("drop5", "out", 1, False),  # 5
    ("drop5", "out", 4, True),  # 17-25
    ("drop5", "out", 64, True),  # 262-272
    ("drop5", "in", 64, False),  # 4.5-4.9
    ("reorder", "out", 4, False),  # 1.4-1.9, once 17.6 (the delays are real timers: load shows)
    ("reorder", "out", 64, True),  # 21-28
    ("reorder", "in", 64, False),  # 2.6-2.9
    ("corrupt-dup", "out", 4, False),  # 1.0-2.0
    ("corrupt-dup", "out", 64, True),  # 13-15
    ("corrupt-dup", "in", 64, False),  # 2.6-2.9
]


def cases() -> list:
    return [
        pytest.param(
            spec, direction, mib * MIB, id=f"{spec}-{direction}-{mib}MiB", marks=SLOW if slow else ()
        )
        for spec, direction, mib, slow in CASES
    ]


@pytest.fixture(scope="module")
def peer(request):
    """A TAP peer whose machine runs with this case's --net-faults (request.param: a SPECS key)."""
    require()
    spec = SPECS[request.param]
    extra = ("--net-faults", spec) if spec else ()
    with tap_peer("jsksh-loss", *extra) as p:
        p.spec = spec
        p.why = f"--net-faults {spec}" if spec else "no faults"
        if spec:
            assert f"net faults {spec} " in p.machine.output(), "the machine names the spec and its seed"
        yield p


def rate(spec: str | None, key: str) -> float:
    found = spec and re.search(rf"\b{key}=([\d.]+)", spec)
    return float(found.group(1)) if found else 0.0


def lossy(spec: str | None) -> bool:
    """Whether frames are lost to the receiver: dropped, or corrupted (its checksum drops them)."""
    return bool(rate(spec, "drop") or rate(spec, "corrupt"))


def guest_stats(peer) -> str:
    status, out, err = peer.machine.run("netstat -s")
    assert status == 0, err
    return out


def guest_retransmits(peer) -> int:
    stats = guest_stats(peer)
    found = re.search(r"(\d+) segments retransmitted", stats)
    assert found, stats
    return int(found.group(1))


def linux_retransmits(peer) -> int:
    """Linux's RetransSegs in the namespace (RFC 4022's tcpRetransSegs)."""
    return peer.ns.snmp("Tcp")["RetransSegs"]


def guest_sends(peer, size: int) -> tuple[float, int]:
    """`size` random bytes from the guest's nc to a Python receiver, sha256 compared; (seconds, retransmits)."""
    status, out, err = peer.machine.run(f"head -c {size} /dev/urandom > /tmp/out && sha256sum /tmp/out")
    assert status == 0, out + err
    digest = out.split()[0]
    server = peer.ns.socket(socket.AF_INET, socket.SOCK_STREAM, bind=(LINUX_IP, 0))
    server.listen(1)
    server.settimeout(30)
    box: dict = {}

    def receive():
        try:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(120)
                h, n = hashlib.sha256(), 0
                while data := conn.recv(1 << 16):
                    h.update(data)
                    n += len(data)
                box["got"] = (n, h.hexdigest())
        except BaseException as e:  # handed to the test
            box["error"] = e

    before = guest_retransmits(peer)
    t = threading.Thread(target=receive)
    t.start()
    started = time.monotonic()
    try:
        status, out, err = peer.machine.run(
            f"nc {LINUX_IP} {server.getsockname()[1]} < /tmp/out", timeout=RUN_TIMEOUT
        )
        t.join(120)
    finally:
        server.close()
    elapsed = time.monotonic() - started
    peer.machine.run("rm /tmp/out")
    if "error" in box:
        raise box["error"]
    assert status == 0, f"{peer.why}: {err}"
    assert box.get("got") == (size, digest), (
        f"{peer.why}: {box.get('got')} reached Linux, sent {size} {digest}"
    )
    return elapsed, guest_retransmits(peer) - before


@pytest.mark.parametrize(("peer", "direction", "size"), cases(), indirect=["peer"])
def test_bulk_transfer(peer, direction, size):
    if direction == "out":
        elapsed, retransmits = guest_sends(peer, size)
        who = "the guest"
    else:
        elapsed, retransmits = guest_receives(peer, size)
        who = "Linux"
    print(
        f"\n{direction} {size // MIB} MiB, {peer.why}: {elapsed:.1f} s, {who} retransmitted {retransmits} segments"
    )
    if lossy(peer.spec):
        assert retransmits > 0, f"{peer.why}: frames were lost, yet {who} never retransmitted"
    if rate(peer.spec, "corrupt"):
        # The corrupted frames the guest received: its IP or TCP checksum caught them.
        stats = guest_stats(peer)
        assert re.search(r"^(ipv4|tcp) .*bad-checksum", stats, re.M), f"{peer.why}: no bad checksums\n{stats}"


def guest_receives(peer, size: int) -> tuple[float, int]:
    """`size` random bytes from a Python client to the guest's `nc -l`, sha256 compared; (seconds, Linux's retransmits)."""
    blob = os.urandom(size)
    box: dict = {}

    def guest():
        box["result"] = peer.machine.run(f"nc -l {GUEST_PORT} < /dev/null | sha256sum", timeout=RUN_TIMEOUT)

    before = linux_retransmits(peer)
    runner = threading.Thread(target=guest)
    runner.start()
    started = time.monotonic()
    client = connect_when_listening(peer.ns, GUEST_PORT)
    with client:
        client.settimeout(120)
        client.sendall(blob)
        client.shutdown(socket.SHUT_WR)
        while client.recv(1 << 16):  # up to the guest's FIN: nc has all of it
            pass
    runner.join(RUN_TIMEOUT)
    elapsed = time.monotonic() - started
    assert "result" in box, f"{peer.why}: the guest's nc did not finish"
    status, out, err = box["result"]
    assert status == 0, f"{peer.why}: {err}"
    assert out.split()[0] == hashlib.sha256(blob).hexdigest(), f"{peer.why}: what the guest read differs"
    return elapsed, linux_retransmits(peer) - before


# -- what these tests found ---------------------------------------------------------


def test_sha256sum_reads_a_64_mib_file_again_and_again():
    # Found by the 64 MiB cases above: `sha256sum` of 64 MiB, from a file or
    # a pipe, now and then failed with ELIMIT, "67109472 bytes > 67108864"
    # (the app's ArrayBuffer budget), 1 to 3 times in 8 or 12 tries: the
    # accounting's sweep kept dead buffers alive for the rest of a turn
    # (kernel/app/memory.js, periodicSweep). No network needed; 40 tries
    # stop at the first failure.
    with booted("--net", "none") as m:
        status, out, err = m.run(
            "head -c 67108864 /dev/urandom > /tmp/x && i=0 && while [ $i -lt 40 ]; do"
            " sha256sum /tmp/x > /dev/null || break; i=$((i+1)); done; echo $i",
            timeout=300,
        )
    assert (out, err) == ("40\n", ""), f"{out.strip()} tries passed before: {err}"


@pytest.mark.parametrize("peer", ["drop1"], indirect=True)
def test_devices_shows_the_injected_drops(peer):
    # docs/network.md, "Fault injection": the counters are in the NIC's
    # describe(), "the machine's side of `devices`".  About 730 frames
    # through 1 % drop: some are dropped (P(none) < 0.1 %).
    guest_sends(peer, MIB)
    status, out, err = peer.machine.run("devices -v")
    assert status == 0, err
    assert re.search(r"\bdropped\W+[1-9]", out), out
