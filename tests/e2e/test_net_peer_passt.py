"""End-to-end: passt as the peer of the stream backend (`--net stream:unix:PATH`), kept hermetic.

passt gives its guest the address, gateway and routes of an interface of the
namespace it runs in, and sends the guest's traffic out as ordinary sockets of
that namespace.  So it runs in a namespace of our own whose only way out is a
TAP device nobody reads ("uplink": 10.8.0.5/24, default route via 10.8.0.254):
whatever would leave is dropped there.  In that namespace:

- DNS: passt is told `--dns 10.8.0.254`, so its DHCP names the gateway as the
  DNS server; passt maps the gateway to the namespace's own loopback, where
  the test serves a zone with dnslib on 127.0.0.1:53.  /etc/resolv.conf is
  never read for servers (--dns) nor for search domains (--search none).
- ICMP: 10.8.1.1 is an address on the namespace's loopback; passt answers the
  guest's pings to it with a ping socket (ping_group_range set in the namespace).
"""

from __future__ import annotations

import pytest

from tests.e2e.netns import DnsServer, Passt, Zone, booted, netns, require, wait_for_address

GATEWAY, GUEST_IP, LOCAL_IP = "10.8.0.254", "10.8.0.5", "10.8.1.1"
ZONE = """
www.example.test.  60 IN A     192.0.2.10
www.example.test.  60 IN AAAA  2001:db8::10
"""


class Setup:
    def __init__(self, passt, zone, machine, lease_line):
        self.passt, self.zone, self.machine, self.lease_line = passt, zone, machine, lease_line


@pytest.fixture(scope="module")
def passt():
    require("passt")
    with netns("jsksh-passt") as ns:
        uplink = ns.add_tap("10.8.0.5/24", name="uplink0")
        ns.ip("route", "add", "default", "via", GATEWAY, "dev", uplink)
        ns.ip("addr", "add", f"{LOCAL_IP}/32", "dev", "lo")
        ns.sysctl("net.ipv4.ping_group_range", "0 2147483647")  # passt runs as nobody
        zone = Zone(ZONE)
        dns = DnsServer(zone, "127.0.0.1", 53, ns=ns)
        daemon = None
        try:
            daemon = Passt(ns, "--ipv4-only", "--dns", GATEWAY, "--search", "none", "--one-off")
            with booted("--net", f"stream:unix:{daemon.socket_path}") as m:
                yield Setup(daemon, zone, m, wait_for_address(m))
        finally:
            if daemon:
                daemon.close()
            dns.close()


def test_dhcp_from_passt(passt):
    assert passt.lease_line.startswith(f"net: {GUEST_IP}/24 gw {GATEWAY} dns {GATEWAY} lease "), (
        passt.lease_line
    )
    assert "DHCP: ack to request" in passt.passt.log()
    _, out, _ = passt.machine.run("ip route")
    assert f"default via {GATEWAY} dev eth0" in out


def test_ping_through_passt(passt):
    status, out, err = passt.machine.run(f"ping -c 2 -i 0.2 {LOCAL_IP}")
    assert status == 0, out + err + passt.passt.log()
    assert "2 packets transmitted, 2 received, 0% packet loss" in out


def test_dns_through_passt_to_the_test_server(passt):
    status, out, err = passt.machine.run("host www.example.test")
    assert status == 0, out + err
    assert "www.example.test has address 192.0.2.10" in out
    assert "www.example.test has IPv6 address 2001:db8::10" in out
    assert ("www.example.test", "A") in passt.zone.queries
