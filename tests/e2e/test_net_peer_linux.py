"""End-to-end: the Linux kernel as the guest's peer, over a TAP device in a namespace of our own.

The namespace has a TAP device with 10.9.0.1/24; the machine runs inside the
namespace too (`ip netns exec`), attaches to that TAP (`--net tap:IFNAME`) and
takes 10.9.0.2 from `ip=` on its command line.  Linux pings the guest and the
guest pings Linux; Linux UDP sockets, opened inside the namespace from this
process, talk to `udpecho` and `nc -u` on the guest.  Nothing is routed out
of the namespace, and the namespace is deleted afterwards.
"""

from __future__ import annotations

import re
import socket

import pexpect
import pytest

from tests.e2e.machine import PROMPT
from tests.e2e.netns import GUEST_IP, LINUX_IP, console, require, tap_peer


@pytest.fixture(scope="module")
def peer():
    require()
    with tap_peer("jsksh-linux") as p:
        yield p


def udp_in(ns, bind=("0.0.0.0", 0)) -> socket.socket:
    s = ns.socket(socket.AF_INET, socket.SOCK_DGRAM, bind=bind)
    s.settimeout(5)
    return s


def test_the_static_address_is_configured(peer):
    status, out, _ = peer.machine.run("dmesg | grep net:; ip addr; ip route")
    assert status == 0
    assert f"net: {GUEST_IP}/24 gw {LINUX_IP} dns {LINUX_IP} (static, from ip=)" in out
    assert f"inet {GUEST_IP}/24 brd 10.9.0.255" in out
    assert f"default via {LINUX_IP} dev eth0" in out


def test_linux_pings_the_guest(peer):
    rtts = peer.ns.ping(GUEST_IP, count=3)
    assert len(rtts) == 3, f"{len(rtts)}/3 echo replies from the guest"
    # The guest's ARP answer put it in Linux's neighbour table, with the guest's MAC.
    assert re.search(rf"{GUEST_IP} .*lladdr 52:54:00:12:34:56", peer.ns.ip("neigh", "show", "dev", peer.tap))


def test_the_guest_pings_linux(peer):
    status, out, err = peer.machine.run(f"ping -c 3 -i 0.2 {LINUX_IP}")
    assert status == 0, out + err
    assert re.search(rf"64 bytes from {LINUX_IP}: icmp_seq=3 ttl=64 time=[\d.]+ ms", out), out
    assert "3 packets transmitted, 3 received, 0% packet loss" in out


def test_the_guest_says_so_when_nobody_answers(peer):
    # 10.9.0.77 is on the link but nobody has it: ARP goes unanswered.
    status, out, _ = peer.machine.run("ping -c 1 -W 0.3 10.9.0.77")
    assert status == 1
    assert "1 packets transmitted, 0 received, 100% packet loss" in out


def test_a_linux_client_and_udpecho_on_the_guest(peer):
    client = udp_in(peer.ns)
    port = client.getsockname()[1]
    try:
        with console(peer.machine) as child:
            child.sendline("udpecho 7")
            child.expect_exact("udpecho: listening on UDP port 7")
            for payload in (b"hello jsksh\n", bytes(range(256)), b"x" * 1400, b""):
                client.sendto(payload, (GUEST_IP, 7))
                data, source = client.recvfrom(65535)
                assert source == (GUEST_IP, 7)
                assert data == f"{LINUX_IP}:{port}: ".encode() + payload
            child.sendcontrol("c")
            child.expect(PROMPT)
    finally:
        client.close()


def test_a_fragmented_datagram_to_udpecho(peer):
    # 4000 bytes do not fit a 1500-byte MTU: Linux fragments the request, the
    # guest reassembles it, and its 4000-odd-byte reply must be fragmented too.
    client = udp_in(peer.ns)
    port = client.getsockname()[1]
    payload = bytes(range(256)) * 15 + b"the end"
    try:
        with console(peer.machine) as child:
            child.sendline("udpecho 7")
            child.expect_exact("udpecho: listening on UDP port 7")
            client.sendto(payload, (GUEST_IP, 7))
            data, source = client.recvfrom(65535)
            assert source == (GUEST_IP, 7)
            assert data == f"{LINUX_IP}:{port}: ".encode() + payload
    finally:
        client.close()


def test_nc_on_the_guest_talks_to_a_linux_server(peer):
    server = udp_in(peer.ns, bind=(LINUX_IP, 0))
    port = server.getsockname()[1]
    try:
        with console(peer.machine) as child:
            child.sendline(f"nc -u {LINUX_IP} {port}")
            child.expect_exact(f"nc -u {LINUX_IP} {port}")  # the echo
            child.sendline("hello linux")
            data, guest = server.recvfrom(65535)
            assert data == b"hello linux\n"
            assert guest[0] == GUEST_IP
            server.sendto(b"hello guest\n", guest)
            child.expect_exact("hello guest")
            child.sendline("second line")
            assert server.recvfrom(65535) == (b"second line\n", guest)  # the same socket, the same port
            child.sendcontrol("c")
            child.expect(PROMPT)
    finally:
        server.close()


def test_a_linux_client_talks_to_nc_listening_on_the_guest(peer):
    client = udp_in(peer.ns)
    try:
        with console(peer.machine) as child:
            child.sendline("nc -u -l 5555")
            child.expect_exact("nc -u -l 5555")
            # nc prints no banner: send until the listener is there to print it.
            for _ in range(25):
                client.sendto(b"to the listener\n", (GUEST_IP, 5555))
                try:
                    child.expect_exact("to the listener", timeout=0.2)
                    break
                except pexpect.TIMEOUT:
                    continue
            else:
                raise AssertionError(f"nc -l never printed the datagram: {child.before!r}")
            child.sendline("back to linux")  # to the last sender: our client
            assert client.recvfrom(65535) == (b"back to linux\n", (GUEST_IP, 5555))
            child.sendcontrol("c")
            child.expect(PROMPT)
    finally:
        client.close()
