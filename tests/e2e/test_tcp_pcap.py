"""--pcap as Wireshark reads it: real TCP exchanges recorded by the machine, decoded by tshark.

The machine runs with `--pcap FILE` (jsksh/machine/netdev/pcap.py) on two
backends: TAP with Linux in a namespace of our own (10.9.0.1, the guest
10.9.0.2, as in test_tcp_peer_linux.py), and `--net user` with a --hostfwd
(the peer is Python on the host's 127.0.0.1, through the NAT in tcp_nat.py).
On each, the guest's `curl` fetches from Python's http.server and the host's
curl fetches from the guest's `httpd`, a small text file and 200 KiB of
random bytes each way, so the capture holds handshakes both ways, bulk data
in MSS-sized segments, and closes.  The recorder wraps the backend, so the
device cuts and checksums every segment itself (docs/network.md,
"Offloads"): the file shows frames as they would cross a wire.

Then tshark reads the file once with IP and TCP checksum validation on (off
by default in Wireshark, which expects offloaded captures) and every frame's
expert info, and the tests assert: every checksum good, no expert warning
or error, the handshake options decoded (MSS, SACK permitted, timestamps,
window scale) on the guest's SYN and SYN-ACK, and each HTTP request and its
response decoded, bodies included.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess

import pytest

from tests.e2e.netns import (
    GUEST_IP,
    LINUX_IP,
    STATIC_IP,
    booted,
    netns,
    require,
    wait_for_address,
    wait_until,
)
from tests.e2e.sockets import serve_directory
from tests.e2e.test_net_user_tcp import free_port

KIB = 1024
HELLO = "hello from the peer\n"
INDEX = "<h1>hello from the guest</h1>\n"
GUEST_PORT = 8080
USER_GUEST_IP = "10.0.2.15"  # the user backend's guest (slirp's numbering)

# tshark's preferences for this file: validate what Wireshark by default leaves alone.
VALIDATE = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
# Wireshark's expert severities (epan/proto.h PI_CHAT .. PI_ERROR), as -T json prints them.
CHAT, NOTE, WARN, ERROR = 0x200000, 0x400000, 0x600000, 0x800000
GOOD = "1"  # a checksum's status field: 0 bad, 1 good, 2 unverified (epan/proto.h PROTO_CHECKSUM_E_*)
# Expert warnings and errors a correct capture may still have, per backend
# (exact messages).  Over TAP: none.  Through the user backend, Wireshark's
# "window full": its NAT has no window scaling (docs/network.md, "Known
# limits"), so the guest's window reads as at most 65,535 bytes and the NAT,
# sending 200 KiB, fills it each round trip.  That is flow control doing its
# job; Wireshark warns because on a real network it hints at a slow reader.
ALLOWED_WARNINGS: dict[str, set[str]] = {
    "tap": set(),
    "user": {"TCP window specified by the receiver is now completely full"},
}

FIELDS = [
    "frame.number",
    "ip.src",
    "ip.dst",
    "ip.checksum.status",
    "tcp.checksum.status",
    "udp.checksum.status",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.options.mss_val",
    "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval",
    "tcp.options.wscale.shift",
    "http.request.method",
    "http.request.uri",
    "http.response.code",
    "http.response_for.uri",
    "http.file_data",
    "_ws.expert.severity",
    "_ws.expert.message",
    "_ws.malformed",
]


def tshark_frames(path: str) -> list[dict[str, list[str]]]:
    """Every frame of the capture as tshark decodes it: {field: [values]}, with validation on.

    tshark must exit 0 and say nothing on stderr but its note about running
    as root: a cut-short or unreadable file is a warning there."""
    argv = ["tshark", "-r", path, *VALIDATE, "-T", "json", *(a for f in FIELDS for a in ("-e", f))]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    complaints = [line for line in r.stderr.splitlines() if line and not line.startswith("Running as user")]
    assert not complaints, r.stderr
    return [frame["_source"]["layers"] for frame in json.loads(r.stdout)]


def one(frame: dict, field: str) -> str | None:
    values = frame.get(field)
    return values[0] if values else None


def describe(frame: dict) -> str:
    """A frame in one line, for assertion messages."""
    return " ".join(f"{k}={','.join(v)}" for k, v in frame.items() if k != "http.file_data")


# -- the exchanges ----------------------------------------------------------------------------


class Capture:
    """What a scenario did and what tshark made of it."""

    def __init__(self, name: str, path: str, guest_ip: str, peer_base: str, host_base: str):
        self.name, self.path, self.guest_ip = name, path, guest_ip
        self.peer_base = peer_base  # the peer's http.server, as the guest's curl names it
        self.host_base = host_base  # the guest's httpd, as the host's curl names it
        self.peer_blob = os.urandom(200 * KIB)  # what the peer's http.server serves
        self.guest_blob_sha = ""
        self.frames: list[dict] = []


def serve_http(sock: socket.socket, capture: Capture, directory: str) -> http.server.ThreadingHTTPServer:
    """Python's http.server on an already bound socket (maybe one in a namespace)."""
    with open(os.path.join(directory, "hello.txt"), "w") as f:
        f.write(HELLO)
    with open(os.path.join(directory, "blob.bin"), "wb") as f:
        f.write(capture.peer_blob)
    return serve_directory(sock, directory)


def start_httpd(machine) -> str:
    """The guest's httpd on GUEST_PORT in the background, serving index.html and 200 KiB; their sha256.

    Wait for its LISTEN in netstat rather than by trying it from the host: a
    try too early is a connection reset, which would be in the capture."""
    status, out, err = machine.run(
        f"mkdir /tmp/www && echo '{INDEX.strip()}' > /tmp/www/index.html"
        f" && head -c {200 * KIB} /dev/urandom > /tmp/www/blob.bin && sha256sum /tmp/www/blob.bin"
    )
    assert status == 0, out + err
    digest = out.split()[0]
    # A background job outlives the control port's run (test_http_peer_linux.start_httpd).
    status, out, err = machine.run(f"httpd -p {GUEST_PORT} /tmp/www > /tmp/access.log 2> /tmp/httpd.err &")
    assert status == 0, out + err
    listening = re.compile(rf"LISTEN +\d+ +\d+ +0\.0\.0\.0:{GUEST_PORT} ")
    wait_until(lambda: listening.search(machine.run("netstat -tan")[1]), 20, "httpd's LISTEN")
    return digest


def exchange(machine, capture: Capture, host_argv) -> None:
    """The guest's curl to the peer's http.server and the host's curl to the guest's httpd, bodies compared.

    host_argv(argv): the command line that runs argv where the peer lives."""
    status, out, err = machine.run(f"curl -s {capture.peer_base}/hello.txt")
    assert (status, out, err) == (0, HELLO, ""), (status, out, err)
    status, out, err = machine.run(f"curl -s {capture.peer_base}/blob.bin | sha256sum", timeout=60)
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(capture.peer_blob).hexdigest(), "the guest's download"

    def host_curl(path: str) -> bytes:
        r = subprocess.run(
            host_argv(["curl", "-sS", "--max-time", "30", capture.host_base + path]), capture_output=True
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert host_curl("/index.html") == INDEX.encode()
    assert hashlib.sha256(host_curl("/blob.bin")).hexdigest() == capture.guest_blob_sha, "the host's download"


def over_tap(path: str) -> Capture:
    with netns("jsksh-pcap") as ns:
        tap = ns.add_tap(f"{LINUX_IP}/24")
        with booted("--net", f"tap:{tap}", "--cmdline", STATIC_IP, "--pcap", path, ns=ns) as m:
            sock = ns.socket(socket.AF_INET, socket.SOCK_STREAM, bind=(LINUX_IP, 0))
            base = f"http://{LINUX_IP}:{sock.getsockname()[1]}"
            capture = Capture("tap", path, GUEST_IP, base, f"http://{GUEST_IP}:{GUEST_PORT}")
            server = serve_http(sock, capture, os.path.dirname(path))
            try:
                capture.guest_blob_sha = start_httpd(m)
                exchange(m, capture, lambda argv: ns.argv(*argv))
            finally:
                server.shutdown()
                server.server_close()
    return capture


def over_user(path: str) -> Capture:
    fwd = free_port()
    with booted(
        "--net",
        "user",
        "--dns",
        "127.0.0.1:9",
        "--hostfwd",
        f"tcp:127.0.0.1:{fwd}-:{GUEST_PORT}",
        "--pcap",
        path,
    ) as m:
        wait_for_address(m)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        # The guest reaches the host's 127.0.0.1 as the gateway, 10.0.2.2.
        peer_base = f"http://10.0.2.2:{sock.getsockname()[1]}"
        capture = Capture("user", path, USER_GUEST_IP, peer_base, f"http://127.0.0.1:{fwd}")
        server = serve_http(sock, capture, os.path.dirname(path))
        try:
            capture.guest_blob_sha = start_httpd(m)
            exchange(m, capture, lambda argv: argv)
        finally:
            server.shutdown()
            server.server_close()
    return capture


@pytest.fixture(scope="module", params=["tap", "user"])
def capture(request, tmp_path_factory):
    """One machine per backend, its exchanges done and stopped (the file closed), then tshark's reading."""
    if shutil.which("tshark") is None:
        pytest.skip("needs tshark")
    if shutil.which("curl") is None:
        pytest.skip("needs curl on the host")
    if request.param == "tap":
        require()
    path = str(tmp_path_factory.mktemp(f"pcap-{request.param}") / "net.pcap")
    c = over_tap(path) if request.param == "tap" else over_user(path)
    c.frames = tshark_frames(path)
    print(f"{c.name}: {len(c.frames)} frames in {path}")
    return c


# -- what tshark must see ---------------------------------------------------------------------


def test_every_ip_and_tcp_checksum_is_good(capture):
    tcp = [f for f in capture.frames if "tcp.checksum.status" in f]
    assert len(tcp) > 2 * (200 * KIB) // 1460, f"only {len(tcp)} TCP frames: is the capture whole?"
    bad = [
        describe(f)
        for f in capture.frames
        if any(
            status != GOOD
            for field in ("ip", "tcp", "udp")
            for status in f.get(f"{field}.checksum.status", [])
        )
    ]
    assert not bad, f"{len(bad)} frames whose checksum is not good:\n" + "\n".join(bad[:20])


def test_no_expert_warnings_or_errors(capture):
    found = []
    for f in capture.frames:
        for severity, message in zip(
            f.get("_ws.expert.severity", []), f.get("_ws.expert.message", []), strict=False
        ):
            if int(severity) >= WARN and message not in ALLOWED_WARNINGS[capture.name]:
                found.append(f"frame {one(f, 'frame.number')}: {message} ({describe(f)})")
        if "_ws.malformed" in f:
            found.append(f"frame {one(f, 'frame.number')}: malformed ({describe(f)})")
    assert not found, "\n".join(found[:20])


def options(frame: dict) -> dict[str, str | None]:
    """The handshake options Wireshark decoded in a SYN (a missing one: not there, or not parsed)."""
    return {
        "mss": one(frame, "tcp.options.mss_val"),
        "sack_perm": "yes" if "tcp.options.sack_perm" in frame else None,
        "tsval": one(frame, "tcp.options.timestamp.tsval"),
        "wscale": one(frame, "tcp.options.wscale.shift"),
    }


def test_the_guests_handshakes_carry_and_decode_every_option(capture):
    syns = [f for f in capture.frames if one(f, "tcp.flags.syn") == "1"]
    by_guest = [f for f in syns if one(f, "ip.src") == capture.guest_ip]
    assert {one(f, "tcp.flags.ack") for f in by_guest} == {"0", "1"}, "\n".join(map(describe, syns))
    for f in by_guest:
        got = options(f)
        assert got["mss"] == "1460", describe(f)  # a 1,500-byte MTU less 40
        if one(f, "tcp.flags.ack") == "0":
            # The guest's SYN (its curl connecting) offers everything: SACK
            # (RFC 2018), timestamps and a window scale (RFC 7323).
            assert None not in got.values(), describe(f)
        else:
            # Its SYN-ACK (httpd accepting) answers what the peer's SYN
            # offered and nothing more (RFC 2018 §2, RFC 7323 §2.2, §3.2):
            # Linux offers all three; the user backend's NAT none.
            [peer_syn] = [
                p
                for p in syns
                if one(p, "tcp.flags.ack") == "0"
                and one(p, "tcp.srcport") == one(f, "tcp.dstport")
                and one(p, "tcp.dstport") == one(f, "tcp.srcport")
            ]
            offered = options(peer_syn)
            for name in ("sack_perm", "tsval", "wscale"):
                assert (got[name] is None) == (offered[name] is None), (
                    f"{name}: {describe(peer_syn)} -> {describe(f)}"
                )
        if got["tsval"] is not None:
            assert int(got["tsval"]) > 0, describe(f)
        if got["wscale"] is not None:
            assert 0 <= int(got["wscale"]) <= 14, describe(f)  # RFC 7323 §2.3


def test_each_http_request_and_its_response_are_decoded(capture):
    requests = sorted(
        (one(f, "http.request.method"), one(f, "http.request.uri"))
        for f in capture.frames
        if "http.request.method" in f
    )
    assert requests == sorted([("GET", p) for p in ("/hello.txt", "/blob.bin", "/index.html", "/blob.bin")])
    # Wireshark ties each response to its request (http.response_for.uri, from
    # the request's Host header) and reassembles its body across segments.
    responses = {
        one(f, "http.response_for.uri"): (one(f, "http.response.code"), one(f, "http.file_data"))
        for f in capture.frames
        if "http.response.code" in f
    }
    assert responses.keys() == {
        capture.peer_base + "/hello.txt",
        capture.peer_base + "/blob.bin",
        capture.host_base + "/index.html",
        capture.host_base + "/blob.bin",
    }, responses.keys()
    assert {code for code, _ in responses.values()} == {"200"}, responses
    assert responses[capture.peer_base + "/hello.txt"][1] == HELLO
    assert responses[capture.host_base + "/index.html"][1] == INDEX
