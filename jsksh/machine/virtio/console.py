"""virtio-console with MULTIPORT (virtio 1.2 §5.3): the machine's serial ports.

Port 0 is the console (the guest's hvc0); port 1 and up are named ports such as
org.jsksh.shell.0.  Each port's host side is a backend (a Unix socket, a test
double) with write(data) for guest output and a `connected` flag; host input
arrives through port_input(), from whatever thread the backend reads on.

Queues (§5.3.2): 0/1 port 0 rx/tx, 2/3 control rx/tx, then 4/5 port 1 rx/tx, ...
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Protocol

from jsksh.machine.virtio.device import VirtioDevice

# Feature bits (§5.3.3).
VIRTIO_CONSOLE_F_SIZE = 0
VIRTIO_CONSOLE_F_MULTIPORT = 1
VIRTIO_CONSOLE_F_EMERG_WRITE = 2

# Control message events (§5.3.6.2): {le32 id; le16 event; le16 value}.
DEVICE_READY = 0
DEVICE_ADD = 1
DEVICE_REMOVE = 2
PORT_READY = 3
CONSOLE_PORT = 4
RESIZE = 5
PORT_OPEN = 6
PORT_NAME = 7
_CONTROL = struct.Struct("<IHH")

CONTROL_RX = 2
CONTROL_TX = 3
MAX_PENDING = 1 << 20  # host bytes buffered per port while the guest posts no rx buffers
MAX_CONTROL_BACKLOG = 256  # control messages waiting for a control rx buffer


class PortBackend(Protocol):
    connected: bool

    def write(self, data: bytes) -> None:
        """Guest output for this port.  Must not block: it runs under the transport lock."""


class Port:
    def __init__(
        self,
        name: str | None,
        backend: PortBackend,
        ready: bool = False,
        guest_open: bool = False,
        pending: deque | None = None,
        pending_len: int = 0,
        dropped: int = 0,
    ) -> None:
        self.name = name  # None for the console port
        self.backend = backend
        self.ready = ready  # the guest answered DEVICE_ADD with PORT_READY
        self.guest_open = guest_open  # the guest's last PORT_OPEN
        self.pending = deque() if pending is None else pending  # host input not yet in guest buffers
        self.pending_len = pending_len
        self.dropped = dropped  # host input bytes discarded because pending was full


def rx_queue(port: int) -> int:
    return 0 if port == 0 else 2 + 2 * port


class ConsoleDevice(VirtioDevice):
    device_id = 3
    name = "virtio-console"
    feature_names = {
        VIRTIO_CONSOLE_F_SIZE: "SIZE",
        VIRTIO_CONSOLE_F_MULTIPORT: "MULTIPORT",
        VIRTIO_CONSOLE_F_EMERG_WRITE: "EMERG_WRITE",
    }

    def __init__(self, ports: list[Port], cols: int = 80, rows: int = 24):
        if not ports:
            raise ValueError("a console needs at least port 0")
        features = 1 << VIRTIO_CONSOLE_F_SIZE | 1 << VIRTIO_CONSOLE_F_MULTIPORT
        super().__init__(num_queues=2 + 2 * len(ports), features=features)
        self.ports = ports
        self.cols = cols
        self.rows = rows
        self._control_out: deque[bytes] = deque(maxlen=MAX_CONTROL_BACKLOG)
        # A backend that can be busy (a chardev with a slow client) holds the
        # guest's output in the tx queue and says when to go on.
        for i, port in enumerate(ports):
            if hasattr(port.backend, "on_drain"):
                port.backend.on_drain = lambda i=i: self.host_drained(i)

    @property
    def config(self) -> bytes:
        # §5.3.4: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr.
        return struct.pack("<HHII", self.cols, self.rows, len(self.ports), 0)

    def queue_name(self, index: int) -> str:
        # The names the driver gives them (kernel/drivers/virtio/console.js), which `devices` shows.
        if index == CONTROL_RX:
            return "control.rx"
        if index == CONTROL_TX:
            return "control.tx"
        port, is_rx = self._port_of(index)
        return f"port{port}.{'rx' if is_rx else 'tx'}"

    def reset(self) -> None:
        super().reset()
        for port in self.ports:
            port.ready = port.guest_open = False
        self._control_out.clear()
        # Pending host input survives: the driver's first act is a reset, and
        # what was typed before the kernel probed us should still arrive.

    @property
    def multiport(self) -> bool:
        return self.has(VIRTIO_CONSOLE_F_MULTIPORT)

    @staticmethod
    def _port_of(index: int) -> tuple[int, bool]:
        """Queue index -> (port number, is it the port's rx queue)."""
        return (0 if index < 2 else (index - 2) // 2), index % 2 == 0

    # -- the host side -------------------------------------------------------

    def port_input(self, port_index: int, data: bytes) -> None:
        """Host bytes for the guest: into posted rx buffers, or buffered until some are."""
        with self.guarded():
            port = self.ports[port_index]
            port.pending.append(bytes(data))
            port.pending_len += len(data)
            self._trim(port)
            self._fill_rx(port_index)

    def host_connected(self, port_index: int, connected: bool) -> None:
        """A host client attached or detached: tell the guest with PORT_OPEN."""
        with self.guarded():
            # Before PORT_READY the handshake itself will report the state.
            if self.multiport and self.ports[port_index].ready:
                self._send(port_index, PORT_OPEN, int(connected))
                self._flush_control()

    def host_drained(self, port_index: int) -> None:
        """The host side took what waited: send the output held in the tx queue."""
        with self.guarded():
            self._drain_tx(port_index)

    def resize(self, cols: int, rows: int) -> None:
        """New console size in config space (F_SIZE), announced as a config change."""
        with self.transport.lock:
            self.cols, self.rows = cols, rows
            self.transport.config_changed()

    @staticmethod
    def _trim(port: Port) -> None:
        """Keep at most MAX_PENDING bytes, dropping the oldest: a stuck guest must not eat the host."""
        while port.pending_len > MAX_PENDING:
            excess = port.pending_len - MAX_PENDING
            head = port.pending[0]
            if len(head) <= excess:
                port.pending.popleft()
                cut = len(head)
            else:
                port.pending[0] = head[excess:]
                cut = excess
            port.pending_len -= cut
            port.dropped += cut

    # -- the guest side --------------------------------------------------------

    def notify(self, index: int) -> None:
        if index == CONTROL_RX:
            self._flush_control()
        elif index == CONTROL_TX:
            self._control_tx()
        else:
            port, is_rx = self._port_of(index)
            if is_rx:
                self._fill_rx(port)
            else:
                self._drain_tx(port)

    def _port_queue(self, port: int, index: int):
        """A port's queue if usable: ports above 0 exist only with MULTIPORT."""
        if port != 0 and not self.multiport:
            return None
        return self.queue(index)

    def _fill_rx(self, p: int) -> None:
        port, queue = self.ports[p], self._port_queue(p, rx_queue(p))
        if queue is None:
            return
        used = False
        while port.pending_len and (chain := queue.pop()) is not None:
            n = chain.write(self._take(port, chain.writable_len))
            queue.push(chain.head, n)
            used = True
        if used:
            self.signal(queue)

    @staticmethod
    def _take(port: Port, n: int) -> bytes:
        """Up to n bytes from the front of the port's pending input."""
        parts = []
        while n and port.pending:
            chunk = port.pending.popleft()
            if len(chunk) > n:
                port.pending.appendleft(chunk[n:])
                chunk = chunk[:n]
            parts.append(chunk)
            n -= len(chunk)
            port.pending_len -= len(chunk)
        return b"".join(parts)

    def _drain_tx(self, p: int) -> None:
        # Port 0 works without the control handshake: early boot messages and
        # a driver that never negotiated MULTIPORT both reach the console.
        queue = self._port_queue(p, rx_queue(p) + 1)
        if queue is None:
            return
        used = False
        backend = self.ports[p].backend
        busy = getattr(backend, "busy", lambda: False)
        while not busy() and (chain := queue.pop()) is not None:
            backend.write(chain.read_all())
            queue.push(chain.head, 0)  # we wrote nothing into a tx buffer
            used = True
        if used:
            self.signal(queue)  # so the driver can reuse its tx buffers

    # -- control messages (§5.3.6.2), in QEMU's order ---------------------------

    def _control_tx(self) -> None:
        queue = self.queue(CONTROL_TX) if self.multiport else None
        if queue is None:
            return
        used = False
        while (chain := queue.pop()) is not None:
            message = chain.read_all()
            queue.push(chain.head, 0)
            used = True
            if len(message) >= _CONTROL.size:
                self._control_message(*_CONTROL.unpack_from(message))
        if used:
            self.signal(queue)
        self._flush_control()

    def _control_message(self, port_id: int, event: int, value: int) -> None:
        if event == DEVICE_READY:
            # The driver can take control messages now: announce every port.
            if value == 1:
                for i in range(len(self.ports)):
                    self._send(i, DEVICE_ADD, 1)
            return
        if port_id >= len(self.ports):
            return  # a port we never added: ignore, as QEMU does
        port = self.ports[port_id]
        if event == PORT_READY and value == 1:
            port.ready = True
            if port_id == 0:
                self._send(0, CONSOLE_PORT, 1)
            if port.name is not None:
                self._send(port_id, PORT_NAME, 1, port.name.encode())
            # QEMU sends PORT_OPEN only when a host client is connected; we
            # always send the state so the guest never has to assume it.
            self._send(port_id, PORT_OPEN, int(bool(port.backend.connected)))
        elif event == PORT_OPEN:
            port.guest_open = bool(value)

    def _send(self, port_id: int, event: int, value: int, extra: bytes = b"") -> None:
        """Queue a control message; _flush_control hands it to the guest."""
        self._control_out.append(_CONTROL.pack(port_id, event, value) + extra)

    def _flush_control(self) -> None:
        queue = self.queue(CONTROL_RX) if self.multiport else None
        if queue is None:
            return
        used = False
        while self._control_out and (chain := queue.pop()) is not None:
            message = self._control_out.popleft()
            queue.push(chain.head, chain.write(message))
            used = True
        if used:
            self.signal(queue)

    def describe(self) -> dict:
        info = super().describe()
        with self.transport.lock:
            info["config"] = {"cols": self.cols, "rows": self.rows, "max_nr_ports": len(self.ports)}
            info["ports"] = [
                {
                    "index": i,
                    "name": p.name,
                    "ready": p.ready,
                    "guest_open": p.guest_open,
                    "host_connected": bool(p.backend.connected),
                    "pending": p.pending_len,
                    "dropped": p.dropped,
                }
                for i, p in enumerate(self.ports)
            ]
        return info
