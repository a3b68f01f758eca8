"""End-to-end TCP over the default `--net user` backend: the guest's stack, the NAT in tcp_nat.py, host sockets.

One booted machine with `--net user` and two `--hostfwd tcp` rules.  Every
host peer is a Python socket (or curl) on 127.0.0.1 that the test starts;
the guest reaches it as 10.0.2.2, as in slirp.  Nothing leaves the host's
loopback.  Bytes both ways are compared by sha256 at both ends.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from tests.e2e.netns import booted, wait_for_address
from tests.e2e.sockets import recv_all, run_in_thread

MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FWD_A, FWD_B = free_port(), free_port()  # host ports forwarded to the guest's 5000 and 5001


@pytest.fixture(scope="module")
def machine():
    args = ["--net", "user", "--dns", "127.0.0.1:9"]
    args += ["--hostfwd", f"tcp:127.0.0.1:{FWD_A}-:5000", "--hostfwd", f"tcp::{FWD_B}-10.0.2.15:5001"]
    with booted(*args) as m:
        wait_for_address(m)
        yield m


def server() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.settimeout(30)
    return s


def guest_file(machine, size: int, path: str) -> str:
    status, out, err = machine.run(f"head -c {size} /dev/urandom > {path} && sha256sum {path}")
    assert status == 0, out + err
    return out.split()[0]


# --- the guest connects out ----------------------------------------------------------------------


def test_the_guest_sends_1_mib_to_the_hosts_loopback_and_reads_the_answer_after_its_fin(machine):
    digest = guest_file(machine, MIB, "/tmp/up")
    srv = server()
    port = srv.getsockname()[1]

    def serve():
        conn, peer = srv.accept()
        with conn:
            data = recv_all(conn)  # to the guest's FIN: nc half-closes at the end of its input
            conn.sendall(b"got it\n")  # the half-closed guest still reads
            return peer, data

    result = run_in_thread(serve)
    try:
        status, out, err = machine.run(f"nc 10.0.2.2 {port} < /tmp/up", timeout=60)
        peer, data = result()
    finally:
        srv.close()
    assert status == 0, err
    assert peer[0] == "127.0.0.1"  # 10.0.2.2 is the host's loopback
    assert len(data) == MIB and hashlib.sha256(data).hexdigest() == digest
    assert out == "got it\n"


def test_the_guest_receives_1_mib_from_the_host(machine):
    blob = os.urandom(MIB)
    srv = server()
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        with conn:
            conn.sendall(blob)

    result = run_in_thread(serve)
    try:
        status, out, err = machine.run(f"nc 10.0.2.2 {port} < /dev/null > /tmp/down && sha256sum /tmp/down")
        result()
    finally:
        srv.close()
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(blob).hexdigest()


def test_a_closed_host_port_is_connection_refused_in_the_guest(machine):
    port = free_port()  # nobody listens: the host's connect() is refused, the guest gets RST
    status, out, err = machine.run(f"nc 10.0.2.2 {port} < /dev/null")
    assert status == 1
    assert err == f"nc: connect to 10.0.2.2 port {port} (tcp) failed: Connection refused\n"
    status, out, err = machine.run("nc 10.0.2.3 53 < /dev/null")  # no DNS over TCP: refused as well
    assert status == 1 and "Connection refused" in err


def test_a_few_connections_out_at_once(machine):
    digests = {guest_file(machine, 200_000 + i, f"/tmp/few{i}") for i in range(3)}
    srv = server()
    port = srv.getsockname()[1]

    def serve():
        # Accept all three before answering any: they are open at the same time.
        conns = [srv.accept()[0] for _ in digests]
        done = []

        def one(conn):
            with conn:
                conn.sendall(hashlib.sha256(recv_all(conn)).hexdigest().encode() + b"\n")
                done.append(1)

        threads = [threading.Thread(target=one, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return len(done)

    result = run_in_thread(serve)
    line = " & ".join(f"nc 10.0.2.2 {port} < /tmp/few{i} > /tmp/ans{i}" for i in range(3))
    line += " & wait; cat /tmp/ans0 /tmp/ans1 /tmp/ans2"
    try:
        status, out, err = machine.run(line, timeout=60)
        assert result() == 3
    finally:
        srv.close()
    assert status == 0, err
    assert set(out.split()) == digests  # what each server thread received, as the guest wrote it


# --- hostfwd: the host connects in ---------------------------------------------------------------


def send_and_shut(conn: socket.socket, payload: bytes) -> None:
    try:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # reset: the reader sees it and retries


def connect_forwarded(port: int, payload: bytes, timeout: float = 20) -> bytes:
    """Send ``payload`` through a forwarded port, half-close, read to the end.  The backend
    accepts at once; until the guest listens its RST arrives as a reset, so retry."""
    deadline = time.monotonic() + timeout
    while True:
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            with c:
                sender = threading.Thread(target=send_and_shut, args=(c, payload))
                sender.start()
                data = recv_all(c)
                sender.join(60)
                return data
        except (ConnectionResetError, BrokenPipeError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_hostfwd_tcp_1_mib_each_way_with_nc_listening_in_the_guest(machine):
    digest = guest_file(machine, MIB, "/tmp/fwd-out")
    blob = os.urandom(MIB)
    run = run_in_thread(
        lambda: machine.run("nc -l 5000 < /tmp/fwd-out > /tmp/fwd-in && sha256sum /tmp/fwd-in", 90)
    )
    got = connect_forwarded(FWD_A, blob)
    status, out, err = run()
    assert status == 0, err
    assert hashlib.sha256(got).hexdigest() == digest, f"{len(got)} bytes from the guest"
    assert out.split()[0] == hashlib.sha256(blob).hexdigest()


def test_hostfwd_many_connections_in_sequence(machine):
    n = 15
    loop = (
        "for i in "
        + " ".join(str(i) for i in range(n))
        + "; do echo reply $i | nc -l 5001 > /tmp/seq-$i; done"
    )
    run = run_in_thread(lambda: machine.run(loop + "; cat /tmp/seq-*", 120))
    for i in range(n):
        assert connect_forwarded(FWD_B, f"request {i}\n".encode()) == f"reply {i}\n".encode()
    status, out, err = run()
    assert status == 0, err
    assert sorted(out.splitlines()) == sorted(f"request {i}" for i in range(n))


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl on the host")
def test_host_curl_through_hostfwd_to_a_responder_in_the_guest(machine):
    body = "hello from jsksh\n"
    response = f"HTTP/1.1 200 OK\\r\\nContent-Length: {len(body)}\\r\\nConnection: close\\r\\n\\r\\n{body}"
    status, _, err = machine.run(f"echo -n -e '{response}' > /tmp/resp")
    assert status == 0, err
    run = run_in_thread(lambda: machine.run("nc -l 5000 < /tmp/resp > /tmp/request", 60))
    deadline = time.monotonic() + 20
    while True:
        r = subprocess.run(
            ["curl", "-sS", "--max-time", "10", f"http://127.0.0.1:{FWD_A}/hello"],
            capture_output=True,
            text=True,
        )
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # the guest's nc is not listening yet: reset
    assert r.returncode == 0, r.stderr
    assert r.stdout == body
    status, _, err = run()
    assert status == 0, err
    status, out, _ = machine.run("head -n 1 /tmp/request")
    assert out.startswith("GET /hello HTTP/1.1")
