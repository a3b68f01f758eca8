"""Network backends (jsksh/machine/netdev/): stream framing, pcap files, the factory, TAP.

Stream tests run over real sockets (a socketpair, a Unix listener) with the
real I/O thread.  The TAP test needs root: it creates a network namespace,
moves the tap into it and talks to it with AF_PACKET sockets from inside, so
no frame ever reaches the host's own interfaces.
"""

import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

from jsksh.machine.ioloop import IOLoop
from jsksh.machine.netdev import factory, stream, tap
from jsksh.machine.netdev.base import NetBackend
from jsksh.machine.netdev.pcap import PcapBackend, PcapWriter
from jsksh.machine.netdev.stream import FrameReader, StreamBackend, encode

ARP = bytes.fromhex(
    "ffffffffffff 525400123456 0806"  # Ethernet: broadcast, from the guest, type ARP
    "0001 0800 06 04 0001 525400123456 0a00020f 000000000000 0a000202"  # who has 10.0.2.2?
)
TIMEOUT = 5


@pytest.fixture
def loop():
    io = IOLoop()
    yield io
    io.stop()


@pytest.fixture
def sockdir():
    # Unix socket paths are limited to 108 bytes; pytest's tmp_path can be longer.
    d = tempfile.mkdtemp(prefix="jsksh-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def collect(backend):
    """Attach a deliver callback that queues frames; returns the queue."""
    q = queue.Queue()
    backend.attach(q.put)
    return q


def wait_for(pred, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.005)
    return pred()


def recv_exactly(sock, n):
    sock.settimeout(TIMEOUT)
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "peer closed early"
        data += chunk
    return data


# -- FrameReader: the framing alone --------------------------------------------------


def test_wire_format_is_a_big_endian_length():
    assert encode(b"\xaa\xbb\xcc") == bytes.fromhex("00000003 aabbcc")


def test_reader_reassembles_byte_by_byte():
    r = FrameReader()
    wire = encode(ARP) + encode(b"x" * 300)
    out = []
    for i in range(len(wire)):
        out += r.feed(wire[i : i + 1])
    assert out == [ARP, b"x" * 300]
    assert r.buffered == 0 and r.error is None


def test_reader_two_frames_and_a_half_in_one_read():
    r = FrameReader()
    wire = encode(b"one") + encode(b"two") + encode(b"three")
    assert r.feed(wire[:-2]) == [b"one", b"two"]
    assert r.feed(wire[-2:]) == [b"three"]


@pytest.mark.parametrize("length", [0, stream.MAX_FRAME + 1, 0xFFFFFFFF])
def test_reader_rejects_bad_lengths(length):
    r = FrameReader()
    # The good frame before the bad length still comes out.
    assert r.feed(encode(b"ok") + length.to_bytes(4, "big") + b"junk") == [b"ok"]
    assert f"bad frame length {length}" in r.error
    assert r.feed(encode(b"later")) == []  # no resynchronising after an error


def test_reader_accepts_the_largest_frame():
    r = FrameReader()
    big = bytes(stream.MAX_FRAME)
    assert r.feed(encode(big)) == [big]


# -- StreamBackend over real sockets -----------------------------------------------


def test_stream_frames_both_ways_over_a_socketpair(loop):
    ours, peer = socket.socketpair()
    b = StreamBackend(loop, None, sock=ours)
    got = collect(b)
    # Two frames in one write arrive as two frames.
    peer.sendall(encode(ARP) + encode(b"second"))
    assert got.get(timeout=TIMEOUT) == ARP
    assert got.get(timeout=TIMEOUT) == b"second"
    # A frame cut into pieces, with pauses so each is its own recv().
    wire = encode(b"A" * 1000)
    for piece in (wire[:2], wire[2:5], wire[5:700], wire[700:]):
        peer.sendall(piece)
        time.sleep(0.02)
    assert got.get(timeout=TIMEOUT) == b"A" * 1000
    b.send(ARP)
    assert recv_exactly(peer, 4 + len(ARP)) == encode(ARP)
    assert b.stats["rx_frames"] == 3 and b.stats["tx_frames"] == 1
    b.close()
    peer.close()


@pytest.mark.parametrize("length", [0, stream.MAX_FRAME + 1])
def test_stream_bad_length_drops_the_connection(loop, caplog, length):
    ours, peer = socket.socketpair()
    b = StreamBackend(loop, None, sock=ours)
    got = collect(b)
    peer.sendall(encode(b"fine") + length.to_bytes(4, "big") + b"garbage")
    assert got.get(timeout=TIMEOUT) == b"fine"
    peer.settimeout(TIMEOUT)
    assert peer.recv(100) == b""  # we hung up
    assert not b.connected
    assert b.stats["framing_errors"] == 1
    assert f"bad frame length {length}" in b.last_error
    assert "connection dropped" in caplog.text
    b.send(ARP)  # the machine keeps running; frames go nowhere
    assert b.stats["tx_dropped"] == 1
    b.close()
    peer.close()


def test_stream_peer_hangup_is_not_an_error_for_the_machine(loop):
    ours, peer = socket.socketpair()
    b = StreamBackend(loop, None, sock=ours)
    peer.close()
    assert wait_for(lambda: not b.connected)
    assert b.last_error == "peer closed the connection"
    b.send(ARP)
    assert b.stats["tx_dropped"] == 1
    b.close()


def test_stream_writes_never_block_and_never_split_frames(loop):
    ours, peer = socket.socketpair()
    b = StreamBackend(loop, None, sock=ours)
    frame = bytes(range(256)) * 234  # 59904 bytes
    start = time.monotonic()
    for _ in range(200):  # 12 MB into a peer that is not reading
        b.send(frame)
    assert time.monotonic() - start < 2
    sent, dropped = b.stats["tx_frames"], b.stats["tx_dropped"]
    assert sent + dropped == 200 and dropped > 0 and sent > 0
    # Everything accepted arrives, whole and in order, once the peer reads.
    r = FrameReader()
    frames = []
    peer.settimeout(TIMEOUT)
    while len(frames) < sent:
        frames += r.feed(peer.recv(1 << 16))
    assert frames == [frame] * sent and r.buffered == 0
    assert wait_for(lambda: b.describe()["tx_queued_bytes"] == 0)
    b.close()
    peer.close()


def test_stream_server_takes_one_peer_at_a_time(loop, sockdir):
    path = os.path.join(sockdir, "net.sock")
    b = StreamBackend(loop, path, server=True)
    got = collect(b)
    first = socket.socket(socket.AF_UNIX)
    first.connect(path)
    assert wait_for(lambda: b.connected)
    first.sendall(encode(b"from first"))
    assert got.get(timeout=TIMEOUT) == b"from first"
    second = socket.socket(socket.AF_UNIX)
    second.connect(path)  # waits in the listen backlog
    second.sendall(encode(b"from second"))
    time.sleep(0.1)
    assert got.empty()
    b.send(b"to first")
    assert recv_exactly(first, 12) == encode(b"to first")
    first.close()
    # The first peer left: the second is accepted and its frame read.
    assert got.get(timeout=TIMEOUT) == b"from second"
    b.send(b"to second")
    assert recv_exactly(second, 13) == encode(b"to second")
    assert b.stats["connections"] == 2
    second.close()
    b.close()
    assert not os.path.exists(path)


def test_stream_client_connects_and_two_machines_can_be_cabled(loop, sockdir):
    path = os.path.join(sockdir, "cable.sock")
    server = StreamBackend(loop, path, server=True)
    client = StreamBackend(loop, path)
    to_server, to_client = collect(server), collect(client)
    client.send(ARP)
    assert to_server.get(timeout=TIMEOUT) == ARP
    assert wait_for(lambda: server.connected)
    server.send(b"reply")
    assert to_client.get(timeout=TIMEOUT) == b"reply"
    client.close()
    server.close()


def test_stream_client_gives_a_clear_error(loop, sockdir):
    path = os.path.join(sockdir, "nobody.sock")
    start = time.monotonic()
    with pytest.raises(OSError, match=f"stream: cannot connect to {path}: No such file"):
        StreamBackend(loop, path, attempts=3, retry_delay=0.05)
    assert time.monotonic() - start >= 0.1  # it did retry


# -- pcap ----------------------------------------------------------------------------


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    header = struct.unpack_from("<IHHiIII", data)
    records, pos = [], 24
    while pos < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, pos)
        records.append((sec, usec, orig, data[pos + 16 : pos + 16 + incl]))
        pos += 16 + incl
    return header, records


def test_pcap_file_layout(tmp_path):
    path = tmp_path / "net.pcap"
    w = PcapWriter(str(path))
    assert path.read_bytes() == bytes.fromhex("d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000")
    w.write(ARP, timestamp=1700000000.25)
    w.write(b"\x01" * 70000, timestamp=1700000001.0)  # longer than the snap length
    # Readable while still open: every record is flushed.
    header, records = read_pcap(path)
    assert header == (0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    assert records[0] == (1700000000, 250000, len(ARP), ARP)
    assert records[1][:3] == (1700000001, 0, 70000) and len(records[1][3]) == 65535
    w.close()


def test_pcap_backend_records_both_directions(tmp_path):
    class Inner(NetBackend):
        name = "inner"

        def __init__(self):
            super().__init__()
            self.sent = []

        def send(self, frame):
            self.sent.append(frame)

    inner = Inner()
    rec = PcapBackend(inner, PcapWriter(str(tmp_path / "both.pcap")))
    got = collect(rec)
    rec.send(ARP)  # guest -> host
    inner.deliver(b"\x02" * 60)  # host -> guest
    assert inner.sent == [ARP] and got.get_nowait() == b"\x02" * 60
    _, records = read_pcap(tmp_path / "both.pcap")
    assert [r[3] for r in records] == [ARP, b"\x02" * 60]
    assert rec.describe()["pcap_frames"] == 2 and rec.describe()["backend"] == "inner"
    rec.close()


# .ci/run installs tshark, so in CI this runs; elsewhere it needs Wireshark's tshark.
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_reads_our_pcap(tmp_path):
    path = tmp_path / "t.pcap"
    w = PcapWriter(str(path))
    w.write(ARP, timestamp=1_700_000_000.25)
    w.close()
    fields = [
        "frame.time_epoch",
        "frame.len",
        "eth.src",
        "arp.opcode",
        "arp.src.proto_ipv4",
        "arp.dst.proto_ipv4",
    ]
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", *(a for f in fields for a in ("-e", f))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    # Nothing on stderr but its note about running as root: a bad header or a
    # record cut short would be complained about there.
    assert [line for line in out.stderr.splitlines() if not line.startswith("Running as user")] == []
    assert out.stdout.split("\t") == [
        "1700000000.250000000",
        "42",
        "52:54:00:12:34:56",
        "1",  # a request
        "10.0.2.15",
        "10.0.2.2\n",
    ]


# -- the factory ---------------------------------------------------------------------


def test_factory_none_and_stream(loop, sockdir):
    none = factory.make_backend("none", loop)
    assert type(none) is NetBackend
    path = os.path.join(sockdir, "f.sock")
    server = factory.make_backend(f"stream:unix:{path},server", loop)
    assert isinstance(server, StreamBackend) and server.server
    client = factory.make_backend(f"stream:unix:{path}", loop)
    assert isinstance(client, StreamBackend) and not client.server
    client.close()
    server.close()


def test_factory_pcap_wraps_any_backend(loop, tmp_path):
    b = factory.make_backend("none", loop, pcap=str(tmp_path / "n.pcap"))
    assert isinstance(b, PcapBackend)
    b.send(ARP)
    assert b.describe()["tx_dropped"] == 1 and b.describe()["pcap_frames"] == 1
    b.close()


@pytest.mark.parametrize(
    "spec",
    ["", "bogus", "tap", "tap:", "stream:unix:", "stream:tcp:1.2.3.4:5", "stream:unix:/x,client", "user:x"],
)
def test_factory_bad_specs(loop, spec):
    with pytest.raises(ValueError) as e:
        factory.make_backend(spec, loop)
    msg = str(e.value)
    assert "\n" not in msg and factory.VALID_FORMS in msg


def test_factory_user_backend_missing(loop, monkeypatch):
    monkeypatch.setitem(sys.modules, "jsksh.machine.netdev.user", None)
    with pytest.raises(RuntimeError, match="user-mode backend"):
        factory.make_backend("user", loop)


def test_tap_error_names_the_cause(loop, monkeypatch):
    monkeypatch.setattr(tap, "TUN_PATH", "/nonexistent/tun")
    with pytest.raises(OSError, match=r"tap: cannot open /nonexistent/tun: No such file.*CAP_NET_ADMIN"):
        tap.TapBackend(loop, "jsk0")
    with pytest.raises(ValueError, match="bad interface name"):
        tap.TapBackend(loop, "a-name-far-too-long")


# -- TAP against the Linux kernel, inside a namespace we create -----------------------

ETH_P_EXPERIMENTAL = 0x88B5  # IEEE 802 "local experimental" EtherType: nobody else's traffic
NS_SIDE = """
import socket, sys
ifname, frame = sys.argv[1], bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
s.bind((ifname, 0x88B5))
print("ready", flush=True)
sys.stdin.readline()
s.send(frame)
s.settimeout(10)
while True:
    data = s.recv(65535)
    if b"from-backend" in data:
        print(data.hex(), flush=True)
        break
"""


def _can_tap():
    return os.geteuid() == 0 and os.path.exists("/dev/net/tun") and shutil.which("ip") is not None


def _ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def eth(dst, src, payload):
    """An Ethernet frame of our experimental type, padded to the 60-byte minimum."""
    header = bytes.fromhex(dst) + bytes.fromhex(src) + struct.pack(">H", ETH_P_EXPERIMENTAL)
    return (header + payload).ljust(60, b"\0")


@pytest.fixture
def netns():
    """A fresh network namespace and a TAP name for it: (ns, ifname); deleted after."""
    if not _can_tap():
        pytest.skip("needs root, /dev/net/tun and ip")
    ns = f"jsksh-test-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=30)
    except subprocess.CalledProcessError as err:
        pytest.skip(f"cannot create a network namespace: {err.stderr.decode().strip()}")
    yield ns, f"jsk{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def test_tap_frames_both_ways_through_a_namespace(loop, netns):
    ns, ifname = netns
    proc = None
    b = None
    try:
        b = tap.TapBackend(loop, ifname)  # created down, in our namespace ...
        got = collect(b)
        _ip("link", "set", ifname, "netns", ns)  # ... and moved before it is ever up
        _ip("-n", ns, "link", "set", ifname, "up")
        from_ns = eth("ffffffffffff", "020000000001", b"from-ns")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", NS_SIDE, ifname, from_ns.hex()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        proc.stdin.write("go\n")
        proc.stdin.flush()
        # The namespace's kernel also sends IPv6 neighbour discovery: look for ours.
        deadline = time.monotonic() + TIMEOUT
        while True:
            frame = got.get(timeout=max(0.01, deadline - time.monotonic()))
            if frame[12:14] == struct.pack(">H", ETH_P_EXPERIMENTAL):
                break
        assert frame == from_ns
        to_ns = eth("ffffffffffff", "525400123456", b"from-backend")
        b.send(to_ns)
        out, _ = proc.communicate(timeout=TIMEOUT * 2)
        assert bytes.fromhex(out.strip()) == to_ns
        assert b.stats["tx_frames"] == 1 and b.stats["rx_frames"] >= 1
        assert b.describe()["ifname"] == ifname
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if b is not None:
            b.close()


class QuietLoop:
    """An I/O loop that never runs: only poll() can read the TAP."""

    def register(self, *args):
        pass

    def unregister(self, *args):
        pass

    def call_soon(self, fn):
        fn()


def test_tap_poll_reads_what_linux_answered_on_the_callers_thread(netns):
    # Linux in a namespace owns 10.77.0.1; an ARP request for it, written to
    # the TAP, is answered by the kernel: poll() takes the answer, with no I/O
    # loop running, and delivers it on this thread.
    ns, ifname = netns
    b = None
    try:
        b = tap.TapBackend(QuietLoop(), ifname)
        got = []
        b.attach(lambda frame: got.append((threading.get_ident(), frame)))
        _ip("link", "set", ifname, "netns", ns)
        _ip("-n", ns, "addr", "add", "10.77.0.1/24", "dev", ifname)
        _ip("-n", ns, "link", "set", ifname, "up")
        who_has = bytes.fromhex(
            "ffffffffffff 525400123456 0806"
            "0001 0800 06 04 0001 525400123456 0a4d0002 000000000000 0a4d0001".replace(" ", "")
        )
        b.poll()  # nothing waiting yet (or Linux's own chatter): must not block
        got.clear()
        b.send(who_has)
        deadline = time.monotonic() + TIMEOUT
        while not any(f[12:14] == b"\x08\x06" for _, f in got) and time.monotonic() < deadline:
            b.poll()
            time.sleep(0.001)
        replies = [f for _, f in got if f[12:14] == b"\x08\x06"]
        assert replies, "no ARP reply came through poll()"
        assert replies[0][20:22] == b"\x00\x02"  # op: reply
        assert replies[0][28:32] == bytes([10, 77, 0, 1])  # from the address we asked about
        assert {tid for tid, _ in got} == {threading.get_ident()}
    finally:
        if b is not None:
            b.close()
