"""TCP through a bad cable: the machine's own fault injection (--net-faults) on TAP and on the user backend.

Frames each way are dropped, corrupted (one bit past the Ethernet header),
duplicated and reordered by jsksh/machine/netdev/faults.py, with a fixed seed
so a failure replays.  One connection carries 2 MiB each way at once and both
ends compare sha256; the guest's `netstat -s` must show retransmissions (the
drops) and checksum drops (the corruption caught).  Over TAP the peer is
Linux in a namespace, as in test_tcp_peer_linux.py; over `--net user` it is a
Python socket on 127.0.0.1 that the guest reaches as 10.0.2.2 through the NAT.

The user backend's test is marked slow: the NAT's own TCP (tcp_nat.py) goes
back N on a timeout and drops out-of-order segments (it counts on a link that
never reorders), so through these faults 2 MiB each way took it 84 s against
7 s over TAP.  It moves 1 MiB at 2 % drop instead, in about 25 s.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time

import pytest

from tests.e2e.netns import booted, netns, require, wait_for_address
from tests.e2e.sockets import recv_all

LINUX_IP, GUEST_IP = "10.9.0.1", "10.9.0.2"
STATIC = f"ip={GUEST_IP}::{LINUX_IP}:255.255.255.0:::off:{LINUX_IP}"
MIB = 1024 * 1024
SIZE = 2 * MIB
FAULTS = "drop=0.03,corrupt=0.01,duplicate=0.01,reorder=0.02,seed=1313"
USER_FAULTS = "drop=0.02,corrupt=0.01,duplicate=0.01,reorder=0.02,seed=1313"


def exchange(machine, server: socket.socket, connect_to: str, size: int = SIZE) -> None:
    """One connection from the guest's nc to `server`: `size` bytes each way at once, sha256 at both ends."""
    status, out, err = machine.run(f"head -c {size} /dev/urandom > /tmp/out && sha256sum /tmp/out")
    assert status == 0, out + err
    digest_out = out.split()[0]
    blob = os.urandom(size)
    box: dict = {}

    def serve():
        try:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(60)
                sender = threading.Thread(target=lambda: (conn.sendall(blob), conn.shutdown(socket.SHUT_WR)))
                sender.start()
                box["data"] = recv_all(conn)
                sender.join(60)
        except BaseException as e:  # handed to the test
            box["error"] = e

    t = threading.Thread(target=serve)
    t.start()
    started = time.monotonic()
    try:
        status, out, err = machine.run(
            f"nc {connect_to} < /tmp/out > /tmp/in && sha256sum /tmp/in", timeout=90
        )
        t.join(90)
    finally:
        server.close()
    elapsed = time.monotonic() - started
    if "error" in box:
        raise box["error"]
    assert status == 0, err
    data = box.get("data", b"")
    assert len(data) == size and hashlib.sha256(data).hexdigest() == digest_out, (
        f"{len(data)} bytes reached the peer"
    )
    assert out.split()[0] == hashlib.sha256(blob).hexdigest(), "what the guest received"
    print(f"{size // MIB} MiB each way: {elapsed:.1f} s")


def assert_faults_were_felt(machine, faults: str) -> None:
    status, stats, err = machine.run("netstat -s")
    assert status == 0, err
    print(stats)
    retransmits = re.search(r"(\d+) segments retransmitted", stats)
    assert retransmits and int(retransmits.group(1)) > 0, stats
    # The corrupted frames the guest received: its IP or TCP checksum caught them.
    assert re.search(r"^(ipv4|tcp) .*bad-checksum", stats, re.M), stats
    # And the machine's log names the seed that replays this run.
    assert f"net faults {faults}" in machine.output()


def test_tcp_both_ways_over_tap_through_drops_corruption_duplicates_and_reordering():
    require()
    with netns("jsksh-faults") as ns:
        tap = ns.add_tap(f"{LINUX_IP}/24")
        with booted("--net", f"tap:{tap}", "--cmdline", STATIC, "--net-faults", FAULTS, ns=ns) as m:
            server = ns.socket(socket.AF_INET, socket.SOCK_STREAM, bind=(LINUX_IP, 0))
            server.listen(1)
            server.settimeout(30)
            exchange(m, server, f"{LINUX_IP} {server.getsockname()[1]}")
            assert_faults_were_felt(m, FAULTS)


@pytest.mark.slow
def test_tcp_both_ways_over_the_user_backend_through_the_same_faults():
    with booted("--net", "user", "--dns", "127.0.0.1:9", "--net-faults", USER_FAULTS) as m:
        wait_for_address(m, timeout=20)  # DHCP may itself lose a frame or two
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(30)
        exchange(m, server, f"10.0.2.2 {server.getsockname()[1]}", size=MIB)
        assert_faults_were_felt(m, USER_FAULTS)


def test_a_bad_spec_stops_the_machine_before_it_boots_with_status_2():
    import subprocess

    from tests.e2e.machine import ENV, JSKSH

    r = subprocess.run(
        [*JSKSH, "run", "--net", "none", "--net-faults", "drop=2", "true"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert r.returncode == 2
    assert "jsksh: --net-faults 'drop=2': drop '2' is outside 0-1" in r.stderr
