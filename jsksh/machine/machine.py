"""The virtual machine: devices, an interrupt controller, a clock, and power.

It boots the kernel isolate from the image and serves the kernel's traps
(docs/abi.md §1): MMIO register accesses go to the virtio-mmio transports,
interrupts are raised by devices and the timer and delivered to the kernel's
``__irq()`` (coalesced: at most one delivery queued at a time), and app
management goes to the native core's AppHost.

Threads: the kernel isolate's thread runs every trap; the I/O thread runs the
socket backends; the disk has an I/O thread of its own (virtio/blk.py);
AppHost runs the pool, watchdog and reaper.  Devices take
their transport's lock, since traps and backends touch them from two threads.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
import time

from jsksh import __version__
from jsksh import image as image_mod
from jsksh.machine.chardev import Chardev
from jsksh.machine.ioloop import IOLoop
from jsksh.machine.memory import Memory
from jsksh.machine.netdev.factory import make_backend
from jsksh.machine.virtio.console import ConsoleDevice, Port
from jsksh.machine.virtio.mmio import MmioTransport, register_name
from jsksh.machine.virtio.net import NetDevice, parse_mac
from jsksh.machine.virtio.rng import RngDevice
from jsksh.native import frames as frames_mod
from jsksh.native import limits as limits_mod
from jsksh.native.app_host import AppHost
from jsksh.native.tracer import DEFAULT_EVENTS, MAX_EVENTS, Tracer
from jsksh.native.v8 import Isolate, JSError, v8_version

# Trap operations (docs/abi.md §1; kernel/arch/machine.js has the same table).
MMIO_READ, MMIO_WRITE, CLOCK, TIMER_SET, IRQ_CLAIM = 1, 2, 3, 4, 5
IPC_SEND, IPC_RECV, SPAWN, KILL, PROC_STAT, POWER, HOST_INFO = 6, 7, 8, 9, 10, 11, 12
RELEASE, CONNECT, MEMORY = 13, 14, 15
PIPE_OPEN, PIPE_READ, PIPE_WRITE, PIPE_CLOSE, PIPE_ATTACH = 16, 17, 18, 19, 20
DEVICE_INFO, TRACE = 21, 22
# The ops' names, for the tracer's lines (as kernel/arch/machine.js spells them).
OP_NAMES = dict(
    enumerate(
        "MMIO_READ MMIO_WRITE CLOCK TIMER_SET IRQ_CLAIM IPC_SEND IPC_RECV SPAWN KILL PROC_STAT POWER HOST_INFO"
        " RELEASE CONNECT MEMORY PIPE_OPEN PIPE_READ PIPE_WRITE PIPE_CLOSE PIPE_ATTACH DEVICE_INFO TRACE".split(),
        start=1,
    )
)
PAYLOAD = 64
TRAP_PAGE = 256 << 10  # a pipe read or write moves up to this much in one trap
ARENA_SIZE = 8 << 20

IRQ_TIMER, IRQ_IPC, IRQ_DEVICE_BASE = 0, 1, 5
IRQ_NAMES = {IRQ_TIMER: "timer", IRQ_IPC: "ipc (mail for the kernel)"}
EINVAL, ESRCH, EBUSY = -22, -3, -16
# How a panic's text starts when the kernel died without saying why (_kernel_done).
MACHINE_CHECK = "machine check"


# Seconds the kernel has to power off in order (its disks unmounted) when
# the host presses the power button (Machine.shutdown) before the power is cut.
SHUTDOWN_GRACE = 12.0


class Machine:
    """One machine; ``run()`` boots it and returns the status it powered off with."""

    def __init__(
        self,
        *,
        console_path: str | None = None,
        control_path: str | None = None,
        cmdline: str = "",
        pool_size: int = 4,
        limits: dict | None = None,
        root=None,
        cpus: int | None = 1,
        net: str = "none",
        mac: str = "52:54:00:12:34:56",
        pcap: str | None = None,
        user_options: dict | None = None,
        net_faults=None,  # a FaultSpec or its text (--net-faults, netdev/faults.py)
        net_offload: str = "all",  # what virtio-net offers: all, csum, none (--net-offload)
        disk: str | None = None,  # a raw image file: virtio-blk in the next slot (--disk)
        disk_size: str | int | None = None,  # make the image this size if it is missing (--disk-size)
        disk_errors=None,  # a DiskFaults or its text (--disk-errors, jsksh/disk/faults.py)
        disk_completion: str = "in-order",  # or "reversed" (--disk-completion)
        disk_recorder=None,  # told of every completed write and flush (jsksh/disk/recorder.py)
        trace: bool = False,  # record every crossing from power-on (--trace; tracer.py)
    ):
        self.cpus = cpus  # pinned when it runs (run), so that a client in this process is not
        self.loop = IOLoop()
        self.console = Chardev(self.loop, "console", console_path)
        self.control = Chardev(self.loop, "org.jsksh.shell.0", control_path, replay=0)
        self.console_size = (80, 24)  # columns, rows of hvc0's window (virtio F_SIZE)
        self.console_dev = None
        # The NIC's cable outlives reboots, like the serial ports' sockets.
        self.mac = parse_mac(mac)
        self.net_offload = net_offload
        self.netdev = make_backend(net, self.loop, user_options=user_options, pcap=pcap, faults=net_faults)
        # The disk outlives reboots too: the image is opened once, here, and
        # each boot's virtio-blk device (slot 3) serves it.
        self.disk = None
        if disk is not None:
            from jsksh.disk.faults import parse_spec
            from jsksh.disk.image import DiskError, open_disk

            if isinstance(disk_errors, str):
                disk_errors = parse_spec(disk_errors)
            if disk_completion not in ("in-order", "reversed"):
                raise ValueError(f"--disk-completion {disk_completion!r}: expected in-order or reversed")
            try:
                self.disk = open_disk(disk, disk_size)
            except DiskError as e:
                raise ValueError(str(e)) from None
        self.disk_errors = disk_errors
        self.disk_completion = disk_completion
        self.disk_recorder = disk_recorder
        self.blk_dev = None
        self.cmdline = cmdline
        self.pool_size = pool_size
        self.limits = limits
        self.root = root or image_mod.ROOT
        self.image = image_mod.load(self.root)
        self.files = image_mod.members(self.image)
        self.powered = threading.Event()
        self.status = 0
        self.reset_requested = False
        self.boots = 0
        self.epoch = time.monotonic()
        # The recorder of crossings (tracer.py): the host's --trace turns it
        # on at power-on; the guest's `trace` app through the TRACE trap.
        self.tracer = Tracer(lambda: time.monotonic() - self.epoch)
        self.trace_from_boot = trace
        # A kernel panic's text (its message, then one line per stack frame),
        # or None: the front end prints it, since nobody may watch the console.
        self.panic: str | None = None

    # ---- power -------------------------------------------------------------------
    def run(self) -> int:
        """Boot, and boot again on reset, until the machine is powered off."""
        if self.cpus:
            # This thread and the I/O thread; every other thread of the
            # machine (pool, timer, V8's) is started from this one and
            # inherits it. The thread that made the machine stays free: in
            # `jsksh` and `jsksh run` it is the client, whose start-up (the
            # REPL's imports) then overlaps the boot on another CPU.
            _pin_to_cpus(self.cpus)
            self.loop.call_soon(lambda: _pin_to_cpus(self.cpus))
        try:
            while True:
                self._power_on()
                # Wait in short steps: a signal (SIGTERM from `kill`) is often
                # delivered to another thread, and Python runs its handler only
                # when the main thread next runs bytecode.
                while not self.powered.wait(0.2):
                    pass
                resetting = self.reset_requested
                self._power_down()
                if not resetting:
                    return self.status
        finally:
            self.console.close()
            self.control.close()
            self.netdev.close()
            if self.disk is not None:
                self.disk.close()
            self.loop.stop()

    def power_off(self, status: int = 0) -> None:
        """Stop the machine from the host side (any thread): the power cord."""
        self.status = status
        self.reset_requested = False
        self.powered.set()

    def shutdown(self, status: int = 0, grace: float = SHUTDOWN_GRACE) -> None:
        """The power button (any thread): the kernel is asked to power off in
        order, its disks synced and unmounted first, as `poweroff` does (a
        machine message, docs/abi.md); if it has not within ``grace`` seconds,
        the power is cut.  What `jsksh run` does when its line is done, and
        `jsksh boot` on SIGTERM: a file written on the disk is kept, where
        cutting the power lost what the last 5 s had not committed."""
        if self.powered.is_set():
            return
        if self.kernel_running and self.apps is not None:
            self.apps.mailbox.tell_kernel({"t": "shutdown", "status": status})
            if self.powered.wait(grace):
                return
        self.power_off(status)

    def _power_on(self) -> None:
        self.boots += 1
        self.panic = None
        self.epoch = time.monotonic()
        if self.trace_from_boot:
            self.tracer.stop()
            self.tracer.start("host", MAX_EVENTS)
        self.powered.clear()
        self.reset_requested = False
        self.irq_lock = threading.Lock()
        self.irq_pending = 0
        self.irq_posted = False
        self.kernel_running = False
        self.partial: dict[int, list[bytes]] = {}
        self.proc_stat = b"{}"
        self.timer_deadline = 0.0
        self.timer_cond = threading.Condition()
        self._make_devices()
        self.apps = AppHost(
            app_runtime_sources(self.files),
            lambda: self.raise_irq(IRQ_IPC),
            pool_size=self.pool_size,
            limits=self.limits,
            epoch=self.epoch,
            tracer=self.tracer,
        )
        threading.Thread(target=self._timer_loop, name="jsksh-timer", daemon=True).start()

        k = self.kernel = Isolate()
        k.tracer, k.track = self.tracer, "kernel"
        k.eval(self.files["kernel/loader.js"].decode() + "\n//# sourceURL=/kernel/loader.js")
        k.eval(self.files["kernel/boot.js"].decode() + "\n//# sourceURL=/kernel/boot.js")
        k.eval(f"__setup({len(self.image)}, {ARENA_SIZE}, {TRAP_PAGE})")
        self.page = k.buffer("__trapPage")
        self.arena = k.buffer("__arena")
        image_view = k.buffer("__image")
        image_view[: len(self.image)] = self.image
        memory = Memory(self.arena)
        for t in self.transports:
            t.memory = memory
        k.make_trap("__trap", self._trap)
        self.irq_fn = k.function("__irq", name="__irq")
        bootinfo = {
            "version": __version__,  # the one version number (jsksh/__init__.py)
            "cmdline": self.cmdline,
            "v8": v8_version(),
            "boot": self.boots,
            "devices": [{"slot": t.slot, "irq": t.irq} for t in self.transports],
            "host": {"python": sys.version.split()[0], "pid": os.getpid()},
            "limits": {**limits_mod.APP_LIMITS, **limits_mod.MACHINE_LIMITS, **(self.limits or {})},
        }
        with self.irq_lock:
            self.kernel_running = True
        k.eval_async(f"__start({json.dumps(json.dumps(bootinfo))})", self._kernel_done)

    def _power_down(self) -> None:
        with self.irq_lock:
            self.kernel_running = False
        with self.timer_cond:
            self.timer_deadline = -1.0  # stops the timer thread
            self.timer_cond.notify_all()
        self.apps.shutdown()
        if self.blk_dev is not None:
            # Finish the disk requests its I/O thread took (they complete into
            # the arena, which is still there) and join it, before the arena goes.
            self.blk_dev.close()
        for t in self.transports:
            t.memory = None  # no device may touch the arena once the kernel is gone
        self.kernel.close()
        self.console.plug(None)
        self.control.plug(None)

    def resize_console(self, columns: int, rows: int) -> None:
        """The window on hvc0 changed size (a client in this process says so):
        the console device tells the guest, and keeps it across reboots."""
        self.console_size = (columns, rows)
        if self.console_dev is not None:
            self.console_dev.resize(columns, rows)

    def _make_devices(self) -> None:
        self.console_dev = ConsoleDevice(
            [Port(None, self.console), Port("org.jsksh.shell.0", self.control)], *self.console_size
        )
        self.rng_dev = RngDevice()
        self.net_dev = NetDevice(self.netdev, self.mac, offload=self.net_offload)
        devices = [self.console_dev, self.rng_dev, self.net_dev]
        if self.disk is not None:  # without --disk the slots stay as they were
            from jsksh.machine.virtio.blk import BlkDevice

            self.blk_dev = BlkDevice(
                self.disk,
                recorder=self.disk_recorder,
                faults=self.disk_errors,
                completion=self.disk_completion,
                clock=lambda: time.monotonic() - self.epoch,
            )
            devices.append(self.blk_dev)
        self.transports = [
            MmioTransport(dev, slot, IRQ_DEVICE_BASE + slot, self.raise_irq, self.tracer)
            for slot, dev in enumerate(devices)
        ]
        for index, chardev in enumerate((self.console, self.control)):
            chardev.plug(
                lambda data, i=index: self.console_dev.port_input(i, data),
                lambda up, i=index: self.console_dev.host_connected(i, up),
            )

    # ---- interrupts ----------------------------------------------------------------
    def raise_irq(self, line: int) -> None:
        """Assert an interrupt line (any thread); delivery to the kernel is coalesced."""
        with self.irq_lock:
            self.irq_pending |= 1 << line
            if self.tracer.on:
                self._trace_irq(line)
            if self.irq_posted or not self.kernel_running:
                return
            self.irq_posted = True
            # Posted under the lock (posting never waits), so that power-down,
            # which clears kernel_running under the same lock, cannot close the
            # isolate between our check and our post.
            self.kernel.post(self.irq_fn, self._kernel_done)

    def _trace_irq(self, line: int) -> None:
        # Lines raised while a post of __irq waits ride on it: one crossing
        # for many interrupts (the kernel claims them all with IRQ_CLAIM).
        how = "coalesced: a post is waiting" if self.irq_posted else "posts __irq"
        name = IRQ_NAMES.get(line) or self._device_name(line - IRQ_DEVICE_BASE)
        self.tracer.emit("irq", "machine", f"line {line} {name}", self.tracer.now(), detail=how)

    def _device_name(self, slot: int) -> str:
        if 0 <= slot < len(self.transports):
            return self.transports[slot].device.name
        return "?"

    def _kernel_done(self, _value, error: JSError | None) -> None:
        # A kernel entry point threw past its own handlers: that is a panic the
        # kernel could not even print.  Show it on the console, keep it for
        # the front end (which prints it on stderr), and stop rather than hang.
        if error is not None and not self.powered.is_set():
            self.panic = f"{MACHINE_CHECK}: {str(error).rstrip()}"
            text = f"\nKernel panic - {self.panic}\n".replace("\n", "\r\n")
            self.console.write(text.encode())
            self.status = 1
            self.powered.set()

    def _timer_loop(self) -> None:
        cond = self.timer_cond
        while True:
            with cond:
                deadline = self.timer_deadline
                if deadline < 0:
                    return
                now = time.monotonic() - self.epoch
                if deadline == 0:
                    cond.wait()
                    continue
                if now < deadline:
                    cond.wait(deadline - now)
                    continue
                self.timer_deadline = 0.0
            self.raise_irq(IRQ_TIMER)

    # ---- traps (the kernel isolate's thread) ------------------------------------------
    def _trap(self) -> None:
        if self.tracer.on:
            self._traced_trap()
            return
        self._serve_trap()

    def _traced_trap(self) -> None:
        op, a0, a1, a2, n = struct.unpack_from("<IIIII", self.page, 0)
        t0 = self.tracer.now()
        self._serve_trap()
        dur = self.tracer.now() - t0
        name = OP_NAMES.get(op, f"op {op}")
        if op in (MMIO_READ, MMIO_WRITE) and a0 < len(self.transports):
            register = register_name(a1)
            detail = f"{self.transports[a0].device.name} {register}"
            detail += (
                f" -> {struct.unpack_from('<I', self.page, 24)[0]:#x}" if op == MMIO_READ else f" = {a2:#x}"
            )
        elif op in (PIPE_READ, PIPE_WRITE, PIPE_CLOSE, PIPE_ATTACH):
            detail = f"pipe {a0}"
        elif op in (KILL, RELEASE, SPAWN):
            detail = f"pid {a0}"
        else:
            detail = ""
        result = struct.unpack_from("<i", self.page, 24)[0]
        if op == PIPE_READ:
            n = max(result, 0)
        if result < 0 and op not in (MMIO_READ, CLOCK):  # a register's value or the time, not an errno
            detail = f"{detail} = {result}".strip()
        self.tracer.emit("trap", "kernel", name, t0, dur, n, detail)

    def _serve_trap(self) -> None:
        page = self.page
        op, a0, a1, a2, n = struct.unpack_from("<IIIII", page, 0)
        result, out = 0, None
        if op == MMIO_READ:
            result = self.transports[a0].read32(a1) if a0 < len(self.transports) else 0xFFFFFFFF
            struct.pack_into("<I", page, 24, result & 0xFFFFFFFF)
            return
        if op == MMIO_WRITE:
            if a0 < len(self.transports):
                self.transports[a0].write32(a1, a2)
        elif op == CLOCK:
            struct.pack_into("<d", page, 32, time.monotonic() - self.epoch)
        elif op == TIMER_SET:
            with self.timer_cond:
                self.timer_deadline = struct.unpack_from("<d", page, 32)[0]
                self.timer_cond.notify_all()
        elif op == IRQ_CLAIM:
            with self.irq_lock:
                result, self.irq_pending, self.irq_posted = self.irq_pending, 0, False
            if self.apps.kernel_mail_waiting():
                result |= 1 << IRQ_IPC
        elif op == IPC_SEND:  # payload: frames (docs/abi.md §2), each to its pid
            at, end = PAYLOAD, PAYLOAD + min(n, TRAP_PAGE - PAYLOAD)
            while at + frames_mod.FRAME <= end and result >= 0:
                pid, length, flags = frames_mod.unpack(page, at)
                piece = bytes(page[at + frames_mod.FRAME : at + frames_mod.FRAME + length])
                at += frames_mod.FRAME + length
                if flags & frames_mod.MORE:  # more pieces of this message follow
                    self.partial.setdefault(pid, []).append(piece)
                else:
                    result = self.apps.send(pid, b"".join(self.partial.pop(pid, [])) + piece)
        elif op == IPC_RECV:
            result = self._ipc_recv()
        elif op == SPAWN:
            whole = b"".join(self.partial.pop(-a0 - 1, [])) + bytes(page[PAYLOAD : PAYLOAD + n])
            if a2 & 1:  # more pieces of this spawn follow (kept apart from IPC_SEND's by a negative key)
                self.partial[-a0 - 1] = [whole]
            else:
                result = self.apps.spawn(a0, whole[:a1], whole[a1:])
        elif op == KILL:
            result = self.apps.kill(a0)
        elif op == RELEASE:
            result = self.apps.release(a0)
        elif op == PROC_STAT:
            # 1,000 apps' statistics do not fit one page: arg0 is the byte
            # offset to read from (0 takes a fresh snapshot); result = total size.
            if a0 == 0:
                self.proc_stat = json.dumps(self.apps.stats()).encode()
            result = len(self.proc_stat)
            out = self.proc_stat[a0 : a0 + TRAP_PAGE - PAYLOAD]
        elif op == CONNECT:
            result = self.apps.connect(a0, a1)
        elif op == PIPE_OPEN:
            result = self.apps.kernel_pipe("open")
        elif (
            op == PIPE_READ
        ):  # arg0 pipe, arg1 most bytes (0: a page), arg2 1: arm the notice if it empties the pipe
            room = TRAP_PAGE - PAYLOAD
            result = self.apps.kernel_pipe(
                "read", a0, end=a2, page=page, at=PAYLOAD, room=min(a1 or room, room)
            )
            struct.pack_into("<I", page, 20, max(result, 0))
        elif op == PIPE_WRITE:  # arg0 pipe; payload: the bytes
            result = self.apps.kernel_pipe(
                "write", a0, data=page[PAYLOAD : PAYLOAD + min(n, TRAP_PAGE - PAYLOAD)]
            )
        elif op == PIPE_CLOSE:  # arg0 pipe, arg1 holder pid (0: the kernel), arg2 end
            result = self.apps.kernel_pipe("close", a0, holder=a1, end=a2)
        elif op == PIPE_ATTACH:  # arg0 pipe, arg1 pid, arg2 end
            result = self.apps.kernel_pipe("attach", a0, holder=a1, end=a2)
        elif op == MEMORY:
            out = json.dumps(self.apps.memory()).encode()
        elif op == DEVICE_INFO:  # arg0 slot: the device half's own view (counters, its backend)
            device = self.transports[a0].device if a0 < len(self.transports) else None
            if device is None:
                result = EINVAL
            elif a1 == 1:  # its trace of recent requests (virtio-blk's), for blktrace
                trace = getattr(device, "trace_records", None)
                if trace is None:
                    result = EINVAL
                else:
                    out = json.dumps({"trace": trace()}).encode()
            else:
                info = device.describe()
                out = json.dumps({k: info[k] for k in ("counters", "backend") if k in info}).encode()
        elif op == TRACE:  # arg0 1: start (arg1 events), 2: stop, 3: read from byte arg1 (result: total size)
            result, out = self._trace_control(a0, a1)
        elif op == HOST_INFO:
            out = json.dumps({"v8": v8_version(), **self.apps.summary(), "rss": _rss()}).encode()
        elif op == POWER:  # payload: a panic's text (UTF-8), if it is one
            if n:
                text = bytes(page[PAYLOAD : PAYLOAD + min(n, TRAP_PAGE - PAYLOAD)])
                self.panic = text.decode(errors="replace")
            self.status = a1
            self.reset_requested = a0 == 1
            self.powered.set()
        else:
            result = EINVAL
        if out is not None:
            out = out[: TRAP_PAGE - PAYLOAD]
            page[PAYLOAD : PAYLOAD + len(out)] = out
            struct.pack_into("<I", page, 20, len(out))
        struct.pack_into("<i", page, 24, result)

    def _trace_control(self, what: int, arg: int) -> tuple[int, bytes | None]:
        tracer = self.tracer
        if what == 1:
            return (0 if tracer.start("guest", arg or DEFAULT_EVENTS) else EBUSY), None
        if what == 2:
            if tracer.owner == "guest":
                tracer.stop()
            return 0, None
        if what == 3:
            total, piece = tracer.read(arg, TRAP_PAGE - PAYLOAD)
            return total, piece
        return EINVAL, None

    def _ipc_recv(self) -> int:
        frames = self.apps.take_for_kernel(TRAP_PAGE - PAYLOAD)
        at = PAYLOAD
        for pid, data, more in frames:
            at = frames_mod.pack(self.page, at, pid, data, more)
        if self.apps.kernel_mail_waiting():
            # More than a page waits (a message of megabytes comes in 256 KiB
            # pieces): interrupt again, after this turn, as an app's RECV says
            # "more waiting". Apps wake the kernel only when its inbox was
            # empty, so without this the rest waited for an unrelated
            # interrupt: a 1 MiB kernel call took 2-15 s.
            self.raise_irq(IRQ_IPC)
        return len(frames)


# The app runtime (kernel/app/), one file per job, in the order it is
# evaluated: each takes what the ones before it share (kernel/app/transport.js).
APP_RUNTIME = ("transport", "clocks", "memory", "calls", "pipes", "life", "sys", "loader")
# Parts an isolate loads only when it first needs them (the LOAD trap's index
# is the position here; kernel/app/transport.js, loadPart, has the same list).
APP_RUNTIME_LAZY = ("kernel/proc/rpc.js", "kernel/app/peers.js", "kernel/app/udp.js", "kernel/app/tcp.js")
_RUNTIME_CALL = "})(globalThis.__rt);"


def app_runtime_sources(files: dict[str, bytes]) -> list[str]:
    """The scripts for every app isolate, in order: the UTF-8 codec and the
    frame layout as tiny CommonJS modules handed over in ``__utf8`` and
    ``__frame``, the app runtime's files (kernel/app/, ``APP_RUNTIME``; the
    first takes and deletes both), then the lazy parts (``APP_RUNTIME_LAZY``):
    a source starting ``//@lazy`` is not evaluated; the runtime asks for it
    (LOAD trap) when first needed. Most programs never call another isolate
    or open a socket, and 1,000 sleeping ones would each keep that code."""

    def handed_over(path: str, name: str) -> str:
        source = files[path].decode()
        return (
            f"(function (module) {{{source}\nglobalThis.{name} = module.exports;\n}})({{ exports: {{}} }});"
            f"\n//# sourceURL=/{path}"
        )

    def lazy(path: str) -> str:
        source = files[path].decode().rstrip()
        if path.startswith("kernel/app/"):
            # A runtime part is `(function (rt) {...})(globalThis.__rt);`: it
            # arrives without its call, and the runtime calls it with `rt`
            # (no global an app could watch ever holds it).
            if not source.endswith(_RUNTIME_CALL):
                raise ValueError(f"{path} does not end with {_RUNTIME_CALL!r}")
            source = source[: -len(_RUNTIME_CALL)] + "})"
        return "//@lazy\n" + source

    # One script, not one per file: V8 pays a fixed cost for each script it
    # compiles, and a new isolate compiling twelve took twice as long as two
    # (docs/performance.md). A stack frame in the runtime names the file it
    # is from by the line "//# file: /kernel/app/NAME.js" above it.
    whole = "\n".join(
        [handed_over("kernel/lib/utf8.js", "__utf8"), handed_over("kernel/lib/frame.js", "__frame")]
        + [
            f"//# file: /kernel/app/{name}.js\n" + files[f"kernel/app/{name}.js"].decode()
            for name in APP_RUNTIME
        ]
    )
    return [
        whole.replace("\n//# sourceURL=", "\n// was sourceURL=") + "\n//# sourceURL=/kernel/app/runtime.js",
        *(lazy(path) for path in APP_RUNTIME_LAZY),
    ]


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _pin_to_cpus(n: int) -> None:
    """Run the calling thread, and the threads it starts after, on the first
    ``n`` host CPUs; the machine's threads all are (like ``qemu -smp n``).

    One CPU is the default: a hand-off between threads on one core costs a
    third of one across cores on our 2-vCPU hosts, and the GIL serializes the
    Python half anyway (docs/performance.md has both figures).
    """
    try:
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, allowed[: max(1, n)])
    except (AttributeError, OSError):
        pass
