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
    assert re.search(r"virtio-net\s+1\s+7\s+\d+\s+MAC,STATUS,VERSION_1", r.stdout), r.stdout


def test_mac_option_reaches_the_driver():
    r = subprocess.run(
        [*JSKSH, "run", "--mac", "52:54:00:aa:bb:cc", "dmesg | grep MAC"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert "virtio-net: MAC 52:54:00:aa:bb:cc" in r.stdout, r.stdout + r.stderr
