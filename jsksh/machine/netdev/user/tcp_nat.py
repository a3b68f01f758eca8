"""TCP NAT: the guest's TCP connections, ended here and spliced onto host sockets (as slirp's tcp_*.c).

A user-mode NAT cannot forward TCP segments: an unprivileged process can
only open ordinary sockets.  So, as slirp and passt do, the backend is the
guest's TCP peer itself.  Each guest connection gets a ``Connection`` (a
small TCP endpoint speaking to the guest) and a non-blocking host socket;
bytes the guest sends are written to the socket, bytes the socket reads are
sent to the guest.  Connections start from either side:
- outbound: the guest's SYN to 10.0.2.2:PORT (the host's 127.0.0.1:PORT) or
  to any other address opens a host connect(); the SYN-ACK waits until the
  host connect succeeds, and a failed one is answered with RST, so the
  guest's connect fails as the host's did (slirp does the same);
- inbound (hostfwd): a connection accepted on a host listener becomes our
  SYN to the guest's port.

What this endpoint does, RFC 9293 beside each part: the handshake with the
MSS option (§3.5, §3.7.1), in-order data with cumulative ACKs, coalesced to
one per batch of frames (§3.10.7.4) and delayed for data (§3.8.6.3: up to
DELAYED_ACK, at least every second full-sized segment, so that an answer
from the host carries it), FIN both ways with half-close
(§3.6), RST both ways (§3.5.2, §3.10.7.1; RFC 5961 §3 for the guest's RST),
retransmission with a doubling timeout (RFC 6298 §5, go-back-N), and
windows tied to the host socket both ways (back-pressure):
- host -> guest: the socket is read only while the guest's window has room,
  and at most that much, so a slow guest reader stops the host socket (its
  buffer fills and the host's TCP closes its own window);
- guest -> host: what the socket would not take waits here, and the window
  we advertise shrinks by it (RCV_BUFFER in all).
Left out, on purpose: congestion control (a virtual link between two
processes on one host; slirp has none either beyond its BSD heritage),
window scaling, timestamps and SACK (not offered, so the guest may not use
them), out-of-order reassembly (the virtio link does not reorder: a segment
past RCV.NXT is dropped and answered with an ACK) and TIME-WAIT (the host
socket keeps the real one).

Time is passed in (``clock``), host sockets come from ``connect``, so the
state machine is testable with literal segments and a fake clock.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import struct
from collections.abc import Callable

from jsksh.machine.netdev.user.layout import DNS_IP, GATEWAY_IP, HOST_LOOPBACK, in_subnet, is_loopback
from jsksh.machine.netdev.user.packets import TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, Tcp

Address = tuple[str, int]  # (IPv4 address, port)
Key = tuple[Address, Address]  # (the guest's end, the far end as the guest sees it)

OUR_MSS = 1460  # MTU 1500 - 20 (IPv4) - 20 (TCP): what we advertise and the most we send
DEFAULT_MSS = 536  # RFC 9293 §3.7.1: when the peer's SYN carries no MSS option
RCV_BUFFER = 65535  # the most we advertise: without window scaling a window is 16 bits
RTO_INITIAL = 0.2  # seconds; Linux's floor, as the guest's own stack (docs/network.md)
RTO_MAX = 60.0  # RFC 6298 §2.5's upper bound
MAX_RETRIES = 10  # timeouts in a row before giving up (0.2 s doubling: about 2 minutes)
CONNECT_TIMEOUT = 75.0  # a host connect still pending after this fails (BSD's and slirp's KEEP_INIT)
MAX_CONNECTIONS = 256  # each is a host file descriptor
READ_CHUNK = 65536  # the most one recv() takes
# RFC 9293 §3.8.6.3 (and RFC 1122 §4.2.3.2): an ACK for data may wait, at
# most 0.5 s, and must not wait past a second full-sized segment.  Linux's
# shortest wait is 40 ms.  Waiting lets the host's answer (an HTTP server's
# next request, a client's response) carry the ACK: without it, every
# request through hostfwd cost the guest a second segment to take in, a
# pure ACK of its response.
DELAYED_ACK = 0.04
LISTEN_BACKLOG = 16
MAX_OFFLOAD_PAYLOAD = 65535 - 20 - 24  # one IP packet, less its header and ours (with the MSS option's room)


def seq_add(a: int, n: int) -> int:
    return (a + n) & 0xFFFFFFFF


def seq_diff(a: int, b: int) -> int:
    """a - b as a signed distance modulo 2^32 (RFC 9293 §3.4's comparisons)."""
    return ((a - b + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def translate_out(dst: Address) -> Address | str:
    """Where the guest's connection to ``dst`` goes on the host, or why it cannot go anywhere."""
    ip, port = dst
    if port == 0:
        return "tcp_port_zero"
    if ip == GATEWAY_IP:
        return HOST_LOOPBACK, port  # the host alias, as in slirp
    if ip == DNS_IP:
        return "tcp_dns_address"  # DNS over TCP is not forwarded (slirp's is UDP only, too)
    first = int(ip.split(".")[0])
    if in_subnet(ip) or is_loopback(ip) or first == 0 or first >= 224:
        return "tcp_no_such_host"  # nothing else on this cable; no multicast TCP
    return ip, port


def translate_in(peer: Address) -> Address:
    """How a host peer of a forwarded connection looks to the guest."""
    return (GATEWAY_IP, peer[1]) if is_loopback(peer[0]) else peer


def open_connection(dst: Address) -> socket.socket:
    """A host socket with a non-blocking connect() to ``dst`` under way."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the guest's TCP already coalesces
    err = sock.connect_ex(dst)
    if err not in (0, errno.EINPROGRESS):
        sock.close()
        raise OSError(err, os.strerror(err))
    return sock


class Connection:
    """One spliced connection: our TCB towards the guest and the host socket.

    Our sequence space (SND.*) numbers the bytes we send the guest, which are
    the bytes the host socket read; the guest's (RCV.*) numbers the bytes it
    sends, which go to the host socket.  ``unacked`` holds our bytes from
    SND.UNA on (sent but not acknowledged, then not yet sent); ``to_host``
    holds the guest's bytes the host socket has not taken yet.
    """

    def __init__(self, key: Key, sock: socket.socket, iss: int, state: str):
        self.key = key
        self.sock = sock
        self.state = state  # CONNECTING, SYN-SENT, SYN-RECEIVED, ESTABLISHED, CLOSED
        # Send sequence variables (RFC 9293 §3.3.1).
        self.iss = iss
        self.snd_una = iss
        self.snd_nxt = iss
        self.snd_wnd = 0  # the guest's window, from its last acceptable segment
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.mss = DEFAULT_MSS  # the most we send in one segment: min(guest's MSS, OUR_MSS)
        # Receive sequence variables.
        self.rcv_nxt = 0
        self.adv_wnd = RCV_BUFFER  # the window in our last segment
        # Buffers and the two half-closes (RFC 9293 §3.6).
        self.unacked = bytearray()
        self.to_host = bytearray()
        self.host_eof = False  # the host socket read end of file: our FIN follows the data
        self.fin_sent = False  # our FIN has gone out at least once
        self.fin_acked = False
        self.guest_fin = False  # the guest's FIN arrived (in order): shut the host's write side
        self.host_shut = False
        # Timers (RFC 6298 §5): one retransmission timer, doubled per timeout.
        self.rto = RTO_INITIAL
        self.retries = 0
        self.deadline: float | None = None
        self.ack_due = False  # an ACK goes out once this batch of frames is handled
        self.ack_delayed_until: float | None = None  # or by then, unless a segment carries it first
        self.segments_unacked = 0  # full-sized data segments taken since our last ACK
        self.mask = 0  # the events the I/O loop watches for on ``sock``

    @property
    def rcv_wnd(self) -> int:
        """What we can take: RCV_BUFFER less what waits for the host socket."""
        return max(0, RCV_BUFFER - len(self.to_host))

    def describe(self) -> str:
        """RFC 9293's name for where the connection is, from our side."""
        if self.state != "ESTABLISHED":
            return self.state
        if self.fin_sent:
            if self.guest_fin:
                return "LAST-ACK" if not self.fin_acked else "CLOSED"
            return "FIN-WAIT-2" if self.fin_acked else "FIN-WAIT-1"
        return "CLOSE-WAIT" if self.guest_fin else "ESTABLISHED"


class TcpNat:
    """Every spliced connection, keyed by its four-tuple as the guest sees it.

    ``emit(src, dst, segment)`` sends a segment to the guest; ``count(key)``
    bumps a stats counter; ``clock()`` is seconds; ``connect(dst)`` opens a
    host socket (tests pass fakes for all four and for ``isn``).  Everything
    runs on the I/O thread.  After any activity the caller asks
    ``next_deadline()`` and calls ``poll()`` then.
    """

    def __init__(
        self,
        loop,
        emit: Callable[[Address, Address, Tcp], None],
        count: Callable[[str], None] = lambda key: None,
        clock: Callable[[], float] | None = None,
        connect: Callable[[Address], socket.socket] = open_connection,
        isn: Callable[[], int] = lambda: struct.unpack("!I", os.urandom(4))[0],
        on_activity: Callable[[], None] = lambda: None,
    ):
        import time

        self.loop = loop
        self.emit = emit
        self.count = count
        self.clock = clock or time.monotonic
        self.connect = connect
        self.isn = isn
        self.on_activity = on_activity
        self.connections: dict[Key, Connection] = {}
        self.listeners: list[socket.socket] = []
        self._flush_scheduled = False
        # The guest takes TCP segments larger than the MTU (virtio-net's
        # GUEST_TSO4): what the host sent goes in segments of up to 64 KiB
        # (the backend says so).
        self.segment_offload = False

    @property
    def connection_count(self) -> int:
        return len(self.connections)

    # --- segments from the guest ---------------------------------------------------------------

    def segment(self, guest: Address, far: Address, seg: Tcp) -> str | None:
        """Handle one segment the guest sent from ``guest`` to ``far``; returns why it was dropped."""
        conn = self.connections.get((guest, far))
        if conn is None:
            return self._no_connection(guest, far, seg)
        if conn.state == "CONNECTING":
            # Our SYN-ACK waits for the host's connect: the guest's
            # retransmitted SYN has nothing to learn yet.
            return None if seg.has(TCP_SYN) and not seg.has(TCP_ACK) else "tcp_while_connecting"
        if conn.state == "SYN-SENT":
            return self._syn_sent(conn, seg)
        return self._arrived(conn, seg)

    def _no_connection(self, guest: Address, far: Address, seg: Tcp) -> str | None:
        if seg.has(TCP_RST):
            return "tcp_rst_for_no_connection"  # never answer a RST (§3.10.7.1)
        if not seg.has(TCP_SYN) or seg.has(TCP_ACK):
            self._reset_reply(guest, far, seg)
            return "tcp_no_connection"
        if len(self.connections) >= MAX_CONNECTIONS:
            self._reset_reply(guest, far, seg)
            return "tcp_nat_table_full"
        target = translate_out(far)
        if isinstance(target, str):
            self._reset_reply(guest, far, seg)
            return target
        try:
            sock = self.connect(target)
        except OSError:
            # Out of descriptors, or no route at all: refused at once.
            self._reset_reply(guest, far, seg)
            return "tcp_connect_failed"
        # RFC 9293 §3.10.7.2 (LISTEN, a SYN): note the guest's ISN, window
        # and MSS; answer once the host's connect has said yes or no.
        conn = Connection((guest, far), sock, self.isn(), "CONNECTING")
        conn.rcv_nxt = seq_add(seg.seq, 1)
        conn.snd_wnd, conn.snd_wl1 = seg.window, seg.seq
        conn.mss = min(seg.mss or DEFAULT_MSS, OUR_MSS)
        conn.deadline = self.clock() + CONNECT_TIMEOUT
        self.connections[conn.key] = conn
        self.count("tcp_connects")
        self._watch(conn, selectors.EVENT_WRITE)
        return None

    def _syn_sent(self, conn: Connection, seg: Tcp) -> str | None:
        """RFC 9293 §3.10.7.3: our SYN (hostfwd) is out; the guest answers."""
        if seg.has(TCP_ACK) and seg.ack != seq_add(conn.iss, 1):
            if not seg.has(TCP_RST):
                self._send(conn, TCP_RST, seq=seg.ack)
            return "tcp_bad_ack_in_syn_sent"
        if seg.has(TCP_RST):
            if not seg.has(TCP_ACK):
                return "tcp_rst_without_ack"
            self.count("tcp_refused_by_guest")
            self._close(conn, reset_host=True)  # nobody listens: the host client sees a reset
            return None
        if not (seg.has(TCP_SYN) and seg.has(TCP_ACK)):
            return "tcp_not_syn_ack"
        conn.rcv_nxt = seq_add(seg.seq, 1)
        conn.snd_una = conn.snd_nxt = seg.ack
        conn.snd_wnd, conn.snd_wl1, conn.snd_wl2 = seg.window, seg.seq, seg.ack
        conn.mss = min(seg.mss or DEFAULT_MSS, OUR_MSS)
        conn.state = "ESTABLISHED"
        self._reset_timer(conn)
        self._send(conn, TCP_ACK)  # the handshake's third segment
        self._output(conn)
        return None

    def _arrived(self, conn: Connection, seg: Tcp) -> str | None:
        """RFC 9293 §3.10.7.4: SYN-RECEIVED and later."""
        # First, the sequence number: only the next in-order byte is taken.
        if seg.has(TCP_RST):
            # RFC 5961 §3.2: a RST counts only at exactly RCV.NXT; elsewhere
            # in the window it earns a challenge ACK, outside nothing.
            if seg.seq == conn.rcv_nxt:
                self.count("tcp_resets_from_guest")
                self._close(conn, reset_host=True)
                return None
            if 0 < seq_diff(seg.seq, conn.rcv_nxt) < conn.adv_wnd:
                self._send(conn, TCP_ACK)
            return "tcp_rst_out_of_window"
        if seg.has(TCP_SYN):
            if conn.state == "SYN-RECEIVED" and seg.seq == seq_add(conn.rcv_nxt, -1) and not seg.has(TCP_ACK):
                self._send(conn, TCP_SYN | TCP_ACK, seq=conn.iss, mss=OUR_MSS)  # our SYN-ACK was lost
                return None
            self._send(conn, TCP_ACK)  # RFC 5961 §4: a challenge ACK, never a reset
            return "tcp_syn_in_window"
        if not seg.has(TCP_ACK):
            return "tcp_no_ack"
        ahead = seq_diff(seg.seq, conn.rcv_nxt)
        if ahead > 0:
            self._ack_soon(conn)  # a gap (lost segment): say where we are
            return "tcp_out_of_order"
        # Then the ACK (§3.10.7.4, fifth check).
        acked = seq_diff(seg.ack, conn.snd_una)
        if seq_diff(seg.ack, conn.snd_nxt) > 0:
            self._send(conn, TCP_ACK)
            return "tcp_ack_of_unsent"
        if conn.state == "SYN-RECEIVED":
            if acked <= 0:
                return "tcp_bad_ack_in_syn_received"
            conn.state = "ESTABLISHED"
            conn.snd_una = seg.ack
            conn.snd_wnd, conn.snd_wl1, conn.snd_wl2 = seg.window, seg.seq, seg.ack
            self._reset_timer(conn)
            self.count("tcp_established")
        elif acked > 0:
            self._acknowledged(conn, seg.ack, acked)
        # The window update rule (SND.WL1, SND.WL2), so an old segment cannot shrink it.
        if seq_diff(conn.snd_wl1, seg.seq) < 0 or (
            conn.snd_wl1 == seg.seq and seq_diff(conn.snd_wl2, seg.ack) <= 0
        ):
            conn.snd_wnd, conn.snd_wl1, conn.snd_wl2 = seg.window, seg.seq, seg.ack
            if conn.snd_wnd == 0:
                conn.retries = 0  # the guest answers (a probe): alive, just not reading
            self._arm(conn)
        # Then the data, what of it is new and fits our window (seventh check).
        payload = seg.payload
        if ahead < 0:
            payload = payload[-ahead:]  # already have the front (a retransmission)
            if seg.seq_len and -ahead >= seg.seq_len:
                self._ack_soon(conn)  # wholly a duplicate: ACK so the guest stops
        fin = seg.has(TCP_FIN) and len(payload) <= conn.rcv_wnd and -ahead < seg.seq_len
        if len(payload) > conn.rcv_wnd:
            payload, fin = payload[: conn.rcv_wnd], False
            self.count("tcp_beyond_window")
        if conn.guest_fin:
            payload, fin = b"", False  # nothing after the FIN (it was a retransmission)
        if payload:
            conn.rcv_nxt = seq_add(conn.rcv_nxt, len(payload))
            conn.to_host += payload
            self._ack_data(conn, len(payload))
        if fin:
            conn.rcv_nxt = seq_add(conn.rcv_nxt, 1)
            conn.guest_fin = True
            self._ack_soon(conn)
        self._flush_host(conn)
        self._output(conn)
        self._maybe_finished(conn)
        return None

    def _acknowledged(self, conn: Connection, ack: int, acked: int) -> None:
        """The guest took ``acked`` more of our sequence space: drop it, restart the timer."""
        data = min(acked, len(conn.unacked))
        del conn.unacked[:data]
        if acked > data and conn.fin_sent:
            conn.fin_acked = True  # the ACK covers the sequence number after the data: our FIN
        conn.snd_una = ack
        if seq_diff(conn.snd_nxt, conn.snd_una) < 0:
            conn.snd_nxt = conn.snd_una  # after go-back-N the ACK may run ahead of SND.NXT
        self._reset_timer(conn)

    # --- sending to the guest ------------------------------------------------------------------

    def _output(self, conn: Connection) -> None:
        """Send what the guest's window allows, then our FIN once the host's data is all out."""
        if conn.state != "ESTABLISHED":
            return
        while True:
            sent = seq_diff(conn.snd_nxt, conn.snd_una)  # bytes (and a FIN) in flight
            unsent = len(conn.unacked) - sent
            room = conn.snd_wnd - sent
            if unsent <= 0 or room <= 0:
                break
            # One MSS, or for a guest that takes large segments all the window
            # allows in one: its NIC's pieces are what we would have sent.
            size = min(unsent, room, MAX_OFFLOAD_PAYLOAD if self.segment_offload else conn.mss)
            chunk = bytes(conn.unacked[sent : sent + size])
            self._send(conn, TCP_ACK | TCP_PSH, payload=chunk)
            conn.snd_nxt = seq_add(conn.snd_nxt, size)
        # Our FIN once the host's bytes are all out: it takes the sequence
        # number after the last byte (§3.6) and needs no window.  While it is
        # in flight SND.NXT is one past the data, so it goes out once per
        # (re)transmission.
        all_sent = seq_diff(conn.snd_nxt, conn.snd_una) == len(conn.unacked)
        if conn.host_eof and all_sent and not conn.fin_acked:
            self._send(conn, TCP_ACK | TCP_FIN)
            conn.snd_nxt = seq_add(conn.snd_nxt, 1)
            if not conn.fin_sent:
                self.count("tcp_fins_to_guest")
            conn.fin_sent = True
        self._arm(conn)
        self._update_reading(conn)

    def _send(
        self,
        conn: Connection,
        flags: int,
        *,
        seq: int | None = None,
        payload: bytes = b"",
        mss: int | None = None,
    ) -> None:
        guest, far = conn.key
        conn.adv_wnd = conn.rcv_wnd
        ack = conn.rcv_nxt if flags & TCP_ACK else 0
        seg = Tcp(
            far[1], guest[1], conn.snd_nxt if seq is None else seq, ack, flags, conn.adv_wnd, payload, mss
        )
        if flags & TCP_ACK:
            conn.ack_due = False  # this segment carries the ACK
            conn.ack_delayed_until = None
            conn.segments_unacked = 0
        if len(payload) > conn.mss:
            self.emit(far, guest, seg, gso_size=conn.mss)  # for the guest's NIC to take whole
        else:
            self.emit(far, guest, seg)

    def _ack_soon(self, conn: Connection) -> None:
        """One ACK per batch of frames: sent when the I/O thread has handled those queued now."""
        conn.ack_due = True
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush_acks)

    def _ack_data(self, conn: Connection, size: int) -> None:
        """Data taken in order: ACK it at once if it makes two full-sized segments
        since our last ACK (a GSO segment of two or more is that already), else
        within DELAYED_ACK (§3.8.6.3), unless a segment of ours carries it first."""
        if size >= conn.mss:
            conn.segments_unacked += 1 if size < 2 * conn.mss else 2
        if conn.segments_unacked >= 2:
            self._ack_soon(conn)
        elif conn.ack_delayed_until is None:
            conn.ack_delayed_until = self.clock() + DELAYED_ACK

    def _flush_acks(self) -> None:
        self._flush_scheduled = False
        for conn in list(self.connections.values()):
            if conn.ack_due and conn.state != "CLOSED":
                self._send(conn, TCP_ACK)

    def _reset_reply(self, guest: Address, far: Address, seg: Tcp) -> None:
        """RFC 9293 §3.10.7.1: the RST for a segment that belongs to no connection."""
        self.count("tcp_resets_to_guest")
        if seg.has(TCP_ACK):
            reply = Tcp(far[1], guest[1], seg.ack, 0, TCP_RST, 0)
        else:
            reply = Tcp(far[1], guest[1], 0, seq_add(seg.seq, seg.seq_len), TCP_RST | TCP_ACK, 0)
        self.emit(far, guest, reply)

    # --- the host socket ---------------------------------------------------------------------

    def _host_event(self, conn: Connection, mask: int) -> None:
        if self.connections.get(conn.key) is not conn:
            return  # closed while this wake-up was queued
        if conn.state == "CONNECTING":
            self._connected(conn)
        else:
            if mask & selectors.EVENT_WRITE:
                self._flush_host(conn)
            if mask & selectors.EVENT_READ and conn.state != "CLOSED":
                self._read_host(conn)
            if conn.state != "CLOSED":
                self._output(conn)
                self._maybe_finished(conn)
        self.on_activity()

    def _connected(self, conn: Connection) -> None:
        """The host's connect() finished: SYN-ACK the guest, or refuse it with RST as the host refused us."""
        err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.count("tcp_connect_refused" if err == errno.ECONNREFUSED else "tcp_connect_failed")
            self._refuse(conn)
            return
        conn.state = "SYN-RECEIVED"
        conn.deadline = None
        self._send(conn, TCP_SYN | TCP_ACK, seq=conn.iss, mss=OUR_MSS)
        conn.snd_nxt = seq_add(conn.iss, 1)
        conn.deadline = self.clock() + conn.rto
        self._watch(conn, 0)  # nothing to read until the guest's ACK

    def _refuse(self, conn: Connection) -> None:
        # RST|ACK acknowledging the SYN (§3.10.7.1), as a closed port would:
        # the guest's connect fails with ECONNREFUSED.  For every failure,
        # unreachable hosts included: the guest's stack takes no ICMP errors
        # for TCP yet (docs/network.md), so ICMP would only make it wait.
        guest, far = conn.key
        self.count("tcp_resets_to_guest")
        self.emit(far, guest, Tcp(far[1], guest[1], 0, conn.rcv_nxt, TCP_RST | TCP_ACK, 0))
        self._close(conn)

    def _read_host(self, conn: Connection) -> None:
        room = conn.snd_wnd - len(conn.unacked)
        if room <= 0 or conn.host_eof:
            return
        try:
            data = conn.sock.recv(min(room, READ_CHUNK))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.count("tcp_resets_from_host")
            self._reset_guest(conn)
            return
        if data:
            conn.unacked += data
        else:
            conn.host_eof = True  # the host's FIN: ours follows the data

    def _flush_host(self, conn: Connection) -> None:
        """Write what the guest sent to the host socket; a window update when the wait shrinks a lot."""
        if conn.to_host and not conn.host_shut:
            try:
                written = conn.sock.send(conn.to_host)
            except (BlockingIOError, InterruptedError):
                written = 0
            except OSError:
                self.count("tcp_resets_from_host")
                self._reset_guest(conn)
                return
            del conn.to_host[:written]
        if conn.guest_fin and not conn.to_host and not conn.host_shut:
            conn.host_shut = True
            try:
                conn.sock.shutdown(socket.SHUT_WR)  # the guest's FIN, passed on (half-close)
            except OSError:
                pass
        # Receiver-side window update (RFC 9293 §3.8.6.2.2): only once the
        # window has opened by a segment or half the buffer, not per byte.
        if conn.state == "ESTABLISHED" and conn.rcv_wnd - conn.adv_wnd >= min(conn.mss, RCV_BUFFER // 2):
            if conn.adv_wnd < RCV_BUFFER // 2:
                self._send(conn, TCP_ACK)
        self._update_reading(conn)

    def _update_reading(self, conn: Connection) -> None:
        """Watch the socket for what we can use: reads while the guest's window has room, writes while some wait."""
        if conn.state == "CLOSED":
            return
        mask = 0
        if conn.state == "ESTABLISHED" and not conn.host_eof and conn.snd_wnd - len(conn.unacked) > 0:
            mask |= selectors.EVENT_READ
        if conn.to_host and not conn.host_shut:
            mask |= selectors.EVENT_WRITE
        self._watch(conn, mask)

    def _watch(self, conn: Connection, mask: int) -> None:
        if mask == conn.mask:
            return
        conn.mask = mask
        if mask:
            self.loop.register(conn.sock, mask, lambda got: self._host_event(conn, got))
        else:
            self.loop.unregister(conn.sock)

    # --- timers ------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        deadlines = [
            d for c in self.connections.values() for d in (c.deadline, c.ack_delayed_until) if d is not None
        ]
        return min(deadlines) if deadlines else None

    def poll(self) -> None:
        """Run the timers that are due: delayed ACKs, retransmission, zero-window probes, a connect that takes too long."""
        now = self.clock()
        for conn in list(self.connections.values()):
            if conn.state == "CLOSED":
                continue
            if conn.ack_delayed_until is not None and now >= conn.ack_delayed_until:
                self._send(conn, TCP_ACK)  # nothing of ours carried it in time
            if conn.deadline is not None and now >= conn.deadline:
                conn.deadline = None
                self._timeout(conn)

    def _timeout(self, conn: Connection) -> None:
        if conn.state == "CONNECTING":
            self.count("tcp_connect_timeouts")
            self._refuse(conn)
            return
        if conn.state == "ESTABLISHED" and seq_diff(conn.snd_nxt, conn.snd_una) <= 0 and conn.snd_wnd:
            return  # the window opened meanwhile and nothing is in flight: no timer needed
        conn.retries += 1
        if conn.retries > MAX_RETRIES:
            self.count("tcp_timeouts")
            self._reset_guest(conn)
            return
        self.count("tcp_retransmits")
        conn.rto = min(conn.rto * 2, RTO_MAX)  # RFC 6298 §5.5: back off
        if conn.state == "SYN-RECEIVED":
            self._send(conn, TCP_SYN | TCP_ACK, seq=conn.iss, mss=OUR_MSS)
        elif conn.state == "SYN-SENT":
            self._send(conn, TCP_SYN, seq=conn.iss, mss=OUR_MSS)
        elif seq_diff(conn.snd_nxt, conn.snd_una) > 0:
            # Go back N (RFC 6298 §5.4 retransmits the earliest; on a link
            # that does not reorder, what followed it is lost as well).
            conn.snd_nxt = conn.snd_una
            if conn.snd_wnd == 0 and conn.unacked:
                self._probe(conn)
            else:
                self._output(conn)
        elif conn.snd_wnd == 0:
            self._probe(conn)
        if conn.state in ("SYN-RECEIVED", "SYN-SENT"):
            conn.deadline = self.clock() + conn.rto
        elif conn.state != "CLOSED":
            self._arm(conn)

    def _probe(self, conn: Connection) -> None:
        """The guest's window is shut: a segment below SND.UNA makes it answer with its window
        (§3.10.7.4: an unacceptable segment is answered by an ACK), in case its update was lost."""
        self._send(conn, TCP_ACK, seq=seq_add(conn.snd_una, -1))

    def _reset_timer(self, conn: Connection) -> None:
        """New data acknowledged: the next timeout starts afresh (RFC 6298 §5.3)."""
        conn.retries = 0
        conn.rto = RTO_INITIAL
        conn.deadline = None
        self._arm(conn)

    def _arm(self, conn: Connection) -> None:
        """Keep a timer while something is in flight, or while the guest's shut window
        keeps bytes (or host reads) waiting; none otherwise (RFC 6298 §5.1, §5.2)."""
        in_flight = seq_diff(conn.snd_nxt, conn.snd_una) > 0
        unsent = len(conn.unacked) > seq_diff(conn.snd_nxt, conn.snd_una)
        shut_window = conn.snd_wnd == 0 and (unsent or not conn.host_eof)
        if not (in_flight or shut_window):
            conn.deadline = None
        elif conn.deadline is None:
            conn.deadline = self.clock() + conn.rto

    # --- hostfwd: host connections that become the guest's -------------------------------------

    def add_forward(self, listener: socket.socket, guest: Address) -> None:
        """Each connection accepted on ``listener`` becomes our SYN to ``guest``."""
        self.listeners.append(listener)
        self.loop.register(listener, selectors.EVENT_READ, lambda _mask: self._accept(listener, guest))

    def _accept(self, listener: socket.socket, guest: Address) -> None:
        try:
            sock, peer = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        far = translate_in(peer)
        if (guest, far) in self.connections or len(self.connections) >= MAX_CONNECTIONS:
            self.count("tcp_forward_refused")
            _abort(sock)
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection((guest, far), sock, self.isn(), "SYN-SENT")
        self.connections[conn.key] = conn
        self.count("tcp_forwards")
        # RFC 9293 §3.5: our SYN, with our MSS; the window is what we can take.
        self._send(conn, TCP_SYN, seq=conn.iss, mss=OUR_MSS)
        conn.snd_nxt = seq_add(conn.iss, 1)
        conn.deadline = self.clock() + conn.rto
        self.on_activity()

    # --- the end of a connection --------------------------------------------------------------

    def _maybe_finished(self, conn: Connection) -> None:
        """Both FINs are through and the host has everything: nothing left to do."""
        if conn.state == "ESTABLISHED" and conn.guest_fin and conn.host_shut and conn.fin_acked:
            if conn.ack_due or conn.ack_delayed_until is not None:
                self._send(conn, TCP_ACK)  # the ACK of the guest's FIN (and data) cannot wait
            self._close(conn)

    def _reset_guest(self, conn: Connection) -> None:
        """The host side failed (reset, timeout): the guest gets RST, the host a reset too."""
        self.count("tcp_resets_to_guest")
        self._send(conn, TCP_RST | TCP_ACK)
        self._close(conn, reset_host=True)

    def _close(self, conn: Connection, reset_host: bool = False) -> None:
        conn.state = "CLOSED"
        conn.deadline = None
        self.connections.pop(conn.key, None)
        if reset_host:
            _linger_zero(conn.sock)  # close() then sends RST, not FIN
        if conn.mask:
            self.loop.unregister(conn.sock)
        # Closed on the I/O thread after the unregister, so the selector never
        # watches a descriptor number a new socket may reuse (as udp_nat.py).
        self.loop.call_soon(conn.sock.close)

    def close(self) -> None:
        for conn in list(self.connections.values()):
            self._close(conn, reset_host=True)
        for listener in self.listeners:
            self.loop.unregister(listener)
            self.loop.call_soon(listener.close)
        self.listeners = []


def _linger_zero(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


def _abort(sock: socket.socket) -> None:
    _linger_zero(sock)
    sock.close()
