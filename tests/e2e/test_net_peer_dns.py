"""End-to-end: `host` through the kernel resolver, the user backend and a DNS server on 127.0.0.1.

The test serves a small zone with dnslib on 127.0.0.1 (a free port) and boots
the machine with `--net user --dns 127.0.0.1:PORT`: the guest asks 10.0.2.3,
the backend forwards to our server and nowhere else (the machine's own
resolver is never consulted), and the zone records every question, so each
test can tell the query really reached it.  A second server reads queries
and never answers: `host` must give up with host(1)'s message, not hang.
No root needed; nothing leaves the loopback interface.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.netns import DnsServer, SilentServer, Zone, booted, wait_for_address

ZONE = """
www.example.test.    60 IN A     192.0.2.10
www.example.test.    60 IN AAAA  2001:db8::10
alias.example.test.  60 IN CNAME www.example.test.
example.test.        60 IN MX    10 mx.example.test.
example.test.        60 IN TXT   "v=jsksh test zone"
mx.example.test.     60 IN A     192.0.2.25
"""


@pytest.fixture(scope="module")
def zone():
    return Zone(ZONE)


@pytest.fixture(scope="module")
def machine(zone):
    server = DnsServer(zone)
    try:
        with booted("--net", "user", "--dns", f"127.0.0.1:{server.port}") as m:
            wait_for_address(m)
            yield m
    finally:
        server.close()


def asked(zone, name, qtype):
    return (name, qtype) in zone.queries


def test_a_and_aaaa(machine, zone):
    status, out, err = machine.run("host www.example.test")
    assert status == 0, out + err
    assert "www.example.test has address 192.0.2.10" in out
    assert "www.example.test has IPv6 address 2001:db8::10" in out
    assert asked(zone, "www.example.test", "A") and asked(zone, "www.example.test", "AAAA")


def test_a_cname_is_followed(machine):
    status, out, err = machine.run("host alias.example.test")
    assert status == 0, out + err
    assert "alias.example.test is an alias for www.example.test." in out
    assert "www.example.test has address 192.0.2.10" in out
    assert "www.example.test has IPv6 address 2001:db8::10" in out


def test_mx(machine, zone):
    status, out, err = machine.run("host -t MX example.test")
    assert status == 0, out + err
    assert "example.test mail is handled by 10 mx.example.test." in out
    assert asked(zone, "example.test", "MX")
    assert "has address" not in out  # -t MX asks for MX only


def test_txt(machine, zone):
    status, out, err = machine.run("host -t TXT example.test")
    assert status == 0, out + err
    assert 'example.test descriptive text "v=jsksh test zone"' in out
    assert asked(zone, "example.test", "TXT")


def test_cname_type(machine):
    status, out, err = machine.run("host -t CNAME alias.example.test")
    assert status == 0, out + err
    assert "alias.example.test is an alias for www.example.test." in out


def test_nxdomain(machine, zone):
    status, out, err = machine.run("host nope.example.test")
    assert "Host nope.example.test not found: 3(NXDOMAIN)" in out + err
    assert status == 1  # as host(1)
    assert asked(zone, "nope.example.test", "A")


def test_a_dead_server_times_out_instead_of_hanging():
    silent = SilentServer()
    try:
        with booted("--net", "user", "--dns", f"127.0.0.1:{silent.port}") as m:
            wait_for_address(m)
            start = time.monotonic()
            status, out, err = m.run("host www.example.test", timeout=20)
            elapsed = time.monotonic() - start
        assert ";; connection timed out; no servers could be reached" in out + err
        assert status == 1
        assert elapsed < 15, f"host took {elapsed:.1f} s to give up"
        # The queries went to the server we named, through the backend.
        assert silent.received(), "the dead server never saw a query"
    finally:
        silent.close()
