"""End-to-end: the JavaScript stack gets an address from the user backend's DHCP server.

The whole path is real: the kernel's DHCP client (kernel/net/dhcp-client.js)
over the JavaScript virtio-net driver, the device half, and the slirp-style
NAT's DHCP server. No packet leaves the process; the DNS upstream is a closed
port on 127.0.0.1 and is never asked anything.
"""

from __future__ import annotations

import re
import subprocess

from tests.e2e.machine import ENV, JSKSH


def test_dhcp_over_the_user_backend():
    r = subprocess.run(
        [*JSKSH, "run", "--net", "user", "--dns", "127.0.0.1:9", "sleep 0.5; dmesg | grep net; devices"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert r.returncode == 0, r.stderr
    assert "virtio-net: MAC 52:54:00:12:34:56, link up" in r.stdout
    assert re.search(
        r"net: 10\.0\.2\.15/24 gw 10\.0\.2\.2 dns 10\.0\.2\.3 lease 86400 s \(DHCP took \d+ ms\)", r.stdout
    ), r.stdout
    assert re.search(
        r"virtio-net\s+1\s+7\s+\d+\s+CSUM,GUEST_CSUM,MAC,GUEST_TSO4,HOST_TSO4,STATUS,VERSION_1", r.stdout
    ), r.stdout


def test_mac_option_reaches_the_driver():
    r = subprocess.run(
        [*JSKSH, "run", "--mac", "52:54:00:aa:bb:cc", "dmesg | grep MAC"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert "virtio-net: MAC 52:54:00:aa:bb:cc" in r.stdout, r.stdout + r.stderr


def test_ping_and_ip_through_the_javascript_stack():
    r = subprocess.run(
        [
            *JSKSH,
            "run",
            "--net",
            "user",
            "--dns",
            "127.0.0.1:9",
            "sleep 0.3; ip addr; ip route; ping -c 2 -i 0.1 10.0.2.2; ping -c 1 -W 0.2 10.0.2.77",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    out = r.stdout
    assert "inet 10.0.2.15/24 brd 10.0.2.255" in out
    assert "default via 10.0.2.2 dev eth0" in out
    assert "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15" in out
    assert re.search(r"64 bytes from 10\.0\.2\.2: icmp_seq=2 ttl=\d+ time=\d+\.\d{3} ms", out), out
    assert "2 packets transmitted, 2 received, 0% packet loss" in out
    assert re.search(r"rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms", out)
    # Nobody at .77: the ARP request goes unanswered, the ping times out.
    assert "1 packets transmitted, 0 received, 100% packet loss" in out
    assert r.returncode == 1  # the last command's status: no reply


def test_ping_without_a_network_says_so():
    r = subprocess.run(
        [*JSKSH, "run", "--net", "none", "ping -c 1 -W 0.2 10.0.2.2"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    # --net none: an unplugged cable, so there is no address and no route, so there is no address and no route.
    assert "ping: 10.0.2.2: Network is unreachable" in r.stderr
    assert r.returncode == 2
    r = subprocess.run(
        [*JSKSH, "run", "--net", "none", "ping -c 1 example.invalid"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    # No address, so no DNS server to ask: glibc's EAI_AGAIN message.
    assert "ping: example.invalid: Temporary failure in name resolution" in r.stderr
    assert r.returncode == 2
