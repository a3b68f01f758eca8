"""End-to-end: two jsksh machines cabled together by the stream backend.

Machine A listens (`--net stream:unix:PATH,server`), machine B connects to it
(`--net stream:unix:PATH`); each frame crosses the Unix socket with QEMU's
4-byte length prefix.  Static addresses from `ip=` with no gateway: A is
10.7.0.1, B is 10.7.0.2, on 10.7.0.0/24.  Both JavaScript stacks, no Linux
stack in between: they must ARP, ping and exchange UDP with each other.
No root needed; nothing touches a real network.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.e2e.machine import PROMPT
from tests.e2e.netns import booted, console, short_tempdir, wait_until

A_IP, B_IP = "10.7.0.1", "10.7.0.2"
A_MAC, B_MAC = "52:54:00:07:00:01", "52:54:00:07:00:02"


@pytest.fixture(scope="module")
def pair():
    d = short_tempdir()
    cable = os.path.join(d, "cable.sock")
    try:
        a_opts = (
            "--net",
            f"stream:unix:{cable},server",
            "--mac",
            A_MAC,
            "--cmdline",
            f"ip={A_IP}:::255.255.255.0",
        )
        with booted(*a_opts) as a:
            wait_until(lambda: os.path.exists(cable), what="machine A's stream socket")
            b_opts = (
                "--net",
                f"stream:unix:{cable}",
                "--mac",
                B_MAC,
                "--cmdline",
                f"ip={B_IP}:::255.255.255.0",
            )
            with booted(*b_opts) as b:
                yield a, b
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_static_addresses_without_a_gateway(pair):
    a, b = pair
    for m, ip in ((a, A_IP), (b, B_IP)):
        _, out, _ = m.run("dmesg | grep net:; ip route")
        assert f"net: {ip}/24 gw - dns - (static, from ip=)" in out
        assert "10.7.0.0/24 dev eth0 proto kernel scope link" in out
        assert "default" not in out


@pytest.mark.parametrize("direction", ["a-pings-b", "b-pings-a"])
def test_ping(pair, direction):
    a, b = pair
    m, target = (a, B_IP) if direction == "a-pings-b" else (b, A_IP)
    status, out, err = m.run(f"ping -c 3 -i 0.1 {target}")
    assert status == 0, out + err
    assert re.search(rf"64 bytes from {target}: icmp_seq=3 ttl=\d+", out)
    assert "3 packets transmitted, 3 received, 0% packet loss" in out


@pytest.mark.parametrize("direction", ["echo-on-a", "echo-on-b"])
def test_udpecho_and_nc(pair, direction):
    a, b = pair
    (server, server_ip), (client, client_ip) = (
        ((a, A_IP), (b, B_IP)) if direction == "echo-on-a" else ((b, B_IP), (a, A_IP))
    )
    with console(server) as echo, console(client) as nc:
        echo.sendline("udpecho 7")
        echo.expect_exact("udpecho: listening on UDP port 7")
        nc.sendline(f"nc -u {server_ip} 7")
        nc.expect_exact(f"nc -u {server_ip} 7")
        nc.sendline("hello over the cable")
        nc.expect(rf"{re.escape(client_ip)}:(\d+): hello over the cable")
        port = int(nc.match.group(1))
        assert 1024 <= port <= 65535  # an ephemeral port, the one nc sends from
        nc.sendline("and again")
        nc.expect_exact(f"{client_ip}:{port}: and again")  # the same socket, the same port
        nc.sendcontrol("c")
        nc.expect(PROMPT)
        echo.sendcontrol("c")
        echo.expect(PROMPT)


def test_nc_to_an_nc_listener_and_back(pair):
    a, b = pair
    with console(b) as listener, console(a) as talker:
        listener.sendline("nc -u -l 9000")
        listener.expect_exact("nc -u -l 9000")
        # nc -l prints no banner; netstat shows when its port is open (sending
        # earlier would earn A's nc an ICMP port unreachable).
        wait_until(lambda: "0.0.0.0:9000 " in b.run("netstat -u")[1], what="nc -l to open port 9000")
        talker.sendline(f"nc -u {B_IP} 9000")
        talker.expect_exact(f"nc -u {B_IP} 9000")
        talker.sendline("from A")
        listener.expect(r"\r\nfrom A\r\n")
        listener.sendline("from B")  # to the last sender: A's nc
        talker.expect(r"\r\nfrom B\r\n")  # a line of its own, not the echo of what A typed
        talker.sendcontrol("c")
        talker.expect(PROMPT)
        listener.sendcontrol("c")
        listener.expect(PROMPT)


def test_tcp_between_two_machines_both_ways(pair):
    # Our TCP at both ends: B's `nc -l` and A's `nc`, 256 KiB each way
    # through files, compared by sha256 on the two machines.
    a, b = pair
    sums = {}
    for m, name in ((a, "a"), (b, "b")):
        status, out, err = m.run(f"head -c 262144 /dev/urandom > /tmp/{name} && sha256sum /tmp/{name}")
        assert status == 0, err
        sums[name] = out.split()[0]
    with console(b) as listener:
        listener.sendline("nc -l 9100 < /tmp/b > /tmp/from-a; sha256sum /tmp/from-a")
        wait_until(lambda: "0.0.0.0:9100 " in b.run("netstat -t")[1], what="nc -l to listen on 9100")
        status, out, err = a.run(
            f"nc {B_IP} 9100 < /tmp/a > /tmp/from-b && sha256sum /tmp/from-b", timeout=60
        )
        assert status == 0, err
        assert out.split()[0] == sums["b"]
        listener.expect_exact(f"{sums['a']}  /tmp/from-a", timeout=30)
        listener.expect(PROMPT)
