"""End-to-end: dnsmasq on a TAP device is the guest's DHCP and DNS server; --pcap records it all.

A namespace of our own holds the TAP device (10.9.0.1/24) and dnsmasq bound to
it alone, with no upstream and no host files: it leases 10.9.0.100-150 and
answers example.test (10.9.0.53) from its own data; every other name under
.test is NXDOMAIN.  The machine boots inside the namespace without `ip=`, so
its kernel asks dnsmasq for an address, and records every frame with --pcap.
The capture is then decoded by scapy, an implementation independent of ours.
"""

from __future__ import annotations

import io
import re
import struct

import pytest

from tests.e2e.netns import Dnsmasq, booted, netns, require, wait_for_address

LINUX_IP = "10.9.0.1"
GUEST_MAC = "52:54:00:12:34:56"
RANGE = range(100, 151)  # 10.9.0.100-150


class Setup:
    def __init__(self, ns, dnsmasq, machine, pcap, lease_line):
        self.ns, self.dnsmasq, self.machine, self.pcap = ns, dnsmasq, machine, pcap
        self.lease_line = lease_line
        self.address = re.match(r"net: ([\d.]+)/", lease_line).group(1)


@pytest.fixture(scope="module")
def lan(tmp_path_factory):
    require("dnsmasq")
    pcap = str(tmp_path_factory.mktemp("pcap") / "guest.pcap")
    with netns("jsksh-dnsmasq") as ns:
        tap = ns.add_tap(f"{LINUX_IP}/24")
        dnsmasq = Dnsmasq(
            ns, tap, LINUX_IP, "10.9.0.100,10.9.0.150,255.255.255.0,1h", "--address=/example.test/10.9.0.53"
        )
        try:
            with booted("--net", f"tap:{tap}", "--pcap", pcap, ns=ns) as m:
                yield Setup(ns, dnsmasq, m, pcap, wait_for_address(m))
        finally:
            dnsmasq.close()


def test_the_guest_takes_the_lease_dnsmasq_offers(lan):
    m = re.fullmatch(
        r"net: 10\.9\.0\.(\d+)/24 gw 10\.9\.0\.1 dns 10\.9\.0\.1 lease 3600 s \(DHCP took \d+ ms\)",
        lan.lease_line,
    )
    assert m, lan.lease_line
    assert int(m.group(1)) in RANGE
    # dnsmasq agrees: its lease file and its log name the guest's MAC and address.
    assert f"{GUEST_MAC} {lan.address} " in lan.dnsmasq.leases()
    assert re.search(rf"DHCPACK\(\w+\) {re.escape(lan.address)} {GUEST_MAC}", lan.dnsmasq.log())
    _, out, _ = lan.machine.run("ip route")
    assert f"default via {LINUX_IP} dev eth0" in out
    assert f"10.9.0.0/24 dev eth0 proto kernel scope link src {lan.address}" in out
    # And the address works: Linux reaches the guest at it.
    assert len(lan.ns.ping(lan.address, count=2)) == 2


def test_host_asks_dnsmasq(lan):
    status, out, err = lan.machine.run("host example.test")
    assert status == 0, out + err
    assert "example.test has address 10.9.0.53" in out
    assert re.search(rf"query\[A\] example\.test from {re.escape(lan.address)}", lan.dnsmasq.log())


def test_an_unknown_name_is_nxdomain(lan):
    status, out, err = lan.machine.run("host nope.test")
    assert "Host nope.test not found: 3(NXDOMAIN)" in out + err
    assert status == 1  # as host(1)


# -- the capture, decoded by scapy -------------------------------------------------------------


def read_frames(path):
    """The frames of a pcap file the machine is still writing (a last, partial record is left out)."""
    import scapy.layers.dhcp  # noqa: F401  (dissectors bind to ports when imported: before reading)
    import scapy.layers.dns  # noqa: F401
    from scapy.utils import rdpcap

    with open(path, "rb") as f:
        data = f.read()
    end = pos = 24
    while pos + 16 <= len(data):
        incl = struct.unpack_from("<I", data, pos + 8)[0]
        if pos + 16 + incl > len(data):
            break
        pos += 16 + incl
        end = pos
    return list(rdpcap(io.BytesIO(data[:end])))


def bad_checksums(frame) -> list[str]:
    """The checksum fields scapy computes differently from what the frame carries."""
    from scapy.layers.inet import ICMP, IP, UDP

    if IP not in frame:
        return []
    ip = frame[IP]
    fresh = ip.copy()
    del fresh.chksum
    whole = not (ip.flags.MF or ip.frag)  # a fragment's L4 checksum covers bytes it does not have
    layers = [layer for layer in (UDP, ICMP) if whole and layer in fresh]
    for layer in layers:
        del fresh[layer].chksum
    rebuilt = IP(bytes(fresh))
    bad = []
    if rebuilt.chksum != ip.chksum:
        bad.append(f"IP {ip.chksum:#06x} != {rebuilt.chksum:#06x}")
    for layer in layers:
        carried, computed = ip[layer].chksum, rebuilt[layer].chksum
        if layer is UDP and carried == 0:
            continue  # RFC 768: zero means "no checksum", which is allowed over IPv4
        if carried != computed:
            bad.append(f"{layer.__name__} {carried:#06x} != {computed:#06x}")
    return bad


def dhcp_type(frame):
    from scapy.layers.dhcp import DHCP

    if DHCP not in frame:
        return None
    return dict(o for o in frame[DHCP].options if isinstance(o, tuple)).get("message-type")


def check_capture(frames):
    """Every frame is Ethernet carrying IPv4, ARP or IPv6 that scapy can take apart, with right checksums."""
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP, Ether

    assert frames, "the capture is empty"
    payloads = {0x0800: IP, 0x0806: ARP, 0x86DD: IPv6}  # IPv6: Linux's own neighbour discovery
    for i, frame in enumerate(frames):
        what = f"frame {i} ({frame.summary()})"
        assert isinstance(frame, Ether) and len(bytes(frame)) >= 14, what
        assert frame.type in payloads and payloads[frame.type] in frame, what
        if IP in frame:
            assert frame[IP].ihl >= 5 and len(bytes(frame)) >= 14 + frame[IP].len, what
        assert not bad_checksums(frame), f"{what}: {bad_checksums(frame)}"


def test_the_capture_has_dhcp_arp_and_icmp_with_correct_checksums(lan):
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.l2 import ARP

    status, out, _ = lan.machine.run(f"ping -c 2 -i 0.1 {LINUX_IP}")
    assert status == 0, out
    assert len(lan.ns.ping(lan.address, count=2)) == 2
    frames = read_frames(lan.pcap)
    check_capture(frames)

    # DHCP: DISCOVER and REQUEST from the guest, OFFER and ACK from dnsmasq, in that order.
    dhcp = [(dhcp_type(f), f.src) for f in frames if dhcp_type(f)]
    kinds = [kind for kind, _ in dhcp]
    for kind in (1, 2, 3, 5):
        assert kind in kinds, f"no DHCP message type {kind} in {kinds}"
    assert kinds.index(1) < kinds.index(2) < kinds.index(3) < kinds.index(5), kinds
    assert all(src == GUEST_MAC for kind, src in dhcp if kind in (1, 3))
    assert all(src != GUEST_MAC for kind, src in dhcp if kind in (2, 5))
    offer = next(f for f in frames if dhcp_type(f) == 2)
    assert offer.yiaddr == lan.address

    # ARP: a request and its reply between the guest and Linux (which side asks
    # first depends on who spoke first: each learns the other from a request).
    arps = [f[ARP] for f in frames if ARP in f]
    asked = {(a.psrc, a.pdst) for a in arps if a.op == 1}
    told = {(a.pdst, a.psrc) for a in arps if a.op == 2}
    pairs = asked & told & {(lan.address, LINUX_IP), (LINUX_IP, lan.address)}
    assert pairs, [a.summary() for a in arps]
    ours = [a for a in arps if a.hwsrc == GUEST_MAC]
    # The guest's own ARP frames speak for its address (or 0.0.0.0: an RFC 5227 probe).
    assert ours and all(a.psrc in (lan.address, "0.0.0.0") for a in ours), [a.summary() for a in ours]

    # ICMP echo: the guest's requests answered by Linux, and Linux's answered by the guest.
    echo = {(f[IP].src, f[IP].dst, f[ICMP].type) for f in frames if ICMP in f}
    assert (lan.address, LINUX_IP, 8) in echo and (LINUX_IP, lan.address, 0) in echo
    assert (LINUX_IP, lan.address, 8) in echo and (lan.address, LINUX_IP, 0) in echo


def test_the_capture_has_the_dns_exchange(lan):
    from scapy.layers.dns import DNS
    from scapy.layers.inet import IP, UDP

    status, out, err = lan.machine.run("host example.test")
    assert status == 0, out + err
    frames = read_frames(lan.pcap)
    check_capture(frames)
    dns = [f for f in frames if UDP in f and 53 in (f[UDP].sport, f[UDP].dport)]
    queries = [f for f in dns if f[IP].src == lan.address and f[IP].dst == LINUX_IP and f[DNS].qr == 0]
    answers = [f for f in dns if f[IP].src == LINUX_IP and f[IP].dst == lan.address and f[DNS].qr == 1]
    # qd[i], an[i]: a list in scapy 2.6+, the i-th layer of a chain in 2.5; both index alike.
    assert any(q[DNS].qd[0].qname == b"example.test." and q[DNS].qd[0].qtype == 1 for q in queries), queries
    records = [f[DNS].an[i] for f in answers for i in range(f[DNS].ancount)]
    a_records = [rr.rdata for rr in records if rr.type == 1]
    assert "10.9.0.53" in a_records
    # The answer went back to the port and id the query came from.
    ids = {(q[UDP].sport, q[DNS].id) for q in queries}
    assert any((a[UDP].dport, a[DNS].id) in ids for a in answers)
