"""End-to-end: the guest's loopback network, 127.0.0.0/8 (kernel/net/interface.js).

A machine with no cable at all (`--net none`) still reaches itself: the
guest's curl fetches from its own httpd at 127.0.0.1 and by the name
localhost (/etc/hosts), ping answers from 127.0.0.1, a UDP datagram goes
from nc to nc, closed ports refuse, and `ip addr` lists lo. Nothing
crosses the NIC (tests/js/test_net_interface.js checks that).
"""

from __future__ import annotations

import re

MACHINE_ARGS = ("--net", "none")


def test_httpd_and_curl_over_127_0_0_1_and_localhost(machine):
    status, out, err = machine.run("httpd -q -p 8080 /etc > /dev/null 2> /dev/null & echo $!")
    assert status == 0, err
    pid = out.split()[-1]
    try:
        status, out, err = machine.run(
            "curl -sS http://127.0.0.1:8080/hostname; curl -sS http://localhost:8080/hostname"
        )
        assert (status, out) == (0, "jsksh\njsksh\n"), err
        status, out, err = machine.run("netstat -t")
        # curl's ends, in TIME-WAIT: from 127.0.0.1 to 127.0.0.1:8080.
        assert re.search(r"127\.0\.0\.1:\d+ +127\.0\.0\.1:8080 ", out), out
    finally:
        machine.run(f"kill {pid}")


def test_ping_and_udp_on_the_loopback_network(machine):
    status, out, err = machine.run("ping -c 2 127.0.0.1")
    assert status == 0, out + err
    assert "2 packets transmitted, 2 received" in out and "from 127.0.0.1" in out
    status, out, err = machine.run(
        "nc -u -l 7000 & sleep 0.2; echo over lo | nc -u -w 1 127.0.0.1 7000; kill %1"
    )
    assert "over lo" in out, out + err


def test_ip_addr_lists_lo_and_a_closed_port_refuses(machine):
    status, out, _ = machine.run("ip addr")
    assert status == 0
    assert "1: lo: <LOOPBACK,UP>" in out and "inet 127.0.0.1/8 scope host lo" in out
    # ICMP port unreachable over the loopback network, even with no address on the NIC.
    status, _, err = machine.run("echo hi | nc -u -w 1 127.0.0.9 7")
    assert (status, err.strip()) == (1, "nc: 127.0.0.9:7: Connection refused")
    status, _, err = machine.run("curl -sS http://127.0.0.1:9/")
    assert status == 7 and "Connection refused" in err, err
