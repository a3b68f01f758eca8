"""The native core's half of apps: one V8 isolate per running app.

The kernel (JavaScript) decides *what* runs: it keeps the process table,
resolves the program, links its libraries and builds the start message.  The
app host does what only the host can: take a warm isolate from the pool, run
the app's messages into it, account its CPU time and memory, and tear it down.

This module is its front: ``AppHost``, the one object jsksh/machine/machine.py
holds (spawn, send, connect, kill, release, the kernel's pipe traps), the
table of running apps (``App``, by pid), and ``trap``, where an app's
``__sys()`` calls land (docs/abi.md §2).  Three parts do the rest, one job
each; they keep their own state and share the host's lock and app table:

* app_pool.py, the pool: isolates kept warm with the app runtime loaded
  (``WarmIsolate``), so a spawn never waits for V8; grown for a burst and
  shrunk after, recycled for the next run of the same program, closed on the
  reaper thread, and the memory they free given back (``malloc_trim``).
* app_mailbox.py, the mailbox: messages app -> kernel (an app that outruns
  the kernel blocks: back-pressure), kernel -> app, and app -> app between
  peers the kernel connected (RPC, without waking the kernel isolate).
* app_watchdog.py, the watchdog: CPU time, heap and ArrayBuffer limits (a
  broken limit kills the isolate, and the kernel gets an exit message on the
  app's behalf), the machine's memory budget, heap samples for ps and top.

Pipes (docs/abi.md §3) are jsksh/native/pipes.py's: the host checks who is
asking, and wakes the kernel when a pipe it waits on changed.

Threads: one pool thread per CPU the machine may use (at most 4), the
watchdog, the reaper and the stats thread, all started here; an app's traps
and the ends of its tasks run on its isolate's own thread.
"""

from __future__ import annotations

import collections
import json
import math
import os
import struct
import threading
import time

from jsksh.native import limits as L
from jsksh.native import pipes as P
from jsksh.native.app_mailbox import EINVAL, ESRCH, PAYLOAD, Mailbox
from jsksh.native.app_pool import POOL_THREADS, Pool, WarmIsolate
from jsksh.native.app_watchdog import Watchdog
from jsksh.native.compact import compacted
from jsksh.native.tracer import message_name

# The app's trap operations (docs/abi.md §2); op 1 was a separate SEND, now a POST to pid 0.
OP_RECV, OP_CLOCK, OP_POST, OP_LOAD, OP_READ, OP_WRITE, OP_CLOSE, OP_YIELD, OP_BUDGET, OP_RANDOM = (
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
RANDOM_MAX = 65536  # bytes per RANDOM trap: Web Crypto's getRandomValues limit
EBADF = -9


OP_NAMES = {
    OP_RECV: "RECV", OP_CLOCK: "CLOCK", OP_POST: "POST", OP_LOAD: "LOAD", OP_READ: "READ",
    OP_WRITE: "WRITE", OP_CLOSE: "CLOSE", OP_YIELD: "YIELD", OP_BUDGET: "BUDGET", OP_RANDOM: "RANDOM",
}  # fmt: skip


def trap(box: WarmIsolate) -> None:
    """An app's ``__sys()`` (docs/abi.md §2), on the isolate's own thread while
    the app's JavaScript waits: the op, its arguments and its result are in the
    first ``PAYLOAD`` bytes of the app's page."""
    page = box.page
    if page is None:  # the runtime's first CLOCK trap, before the page is mapped
        box._note_thread()
        return
    if box.host.tracer.on:
        _traced_trap(box, page)
        return
    _serve_trap(box, page)


def _traced_trap(box: WarmIsolate, page: memoryview) -> None:
    tracer = box.host.tracer
    op, arg0, arg1, _, n = struct.unpack_from("<IIIII", page, 0)
    t0 = tracer.now()
    _serve_trap(box, page)
    dur = tracer.now() - t0
    result = struct.unpack_from("<i", page, 24)[0]
    detail, size = "", 0
    if op in (OP_READ, OP_WRITE, OP_CLOSE):
        detail = f"pipe {arg0}"
        size = max(result, 0) if op != OP_CLOSE else 0
    elif op == OP_POST:
        size = n
        detail = f"{result} frame{'s' if result != 1 else ''}"
    elif op == OP_RECV:
        detail = f"{result} frame{'s' if result != 1 else ''}"
    elif op == OP_RANDOM:
        size = max(result, 0)
    if result < 0 and op not in (OP_CLOCK, OP_YIELD, OP_LOAD):
        detail = f"{detail} = {result}".strip()
    tracer.emit("trap", box.iso.track, OP_NAMES.get(op, f"op {op}"), t0, dur, size, detail)


def _serve_trap(box: WarmIsolate, page: memoryview) -> None:
    op, arg0, arg1 = struct.unpack_from("<III", page, 0)
    host = box.host
    if op == OP_READ:  # arg0 pipe, arg1 most bytes wanted (0: as many as fit)
        room = len(page) - PAYLOAD
        struct.pack_into("<i", page, 24, host.pipe_read(box, arg0, page, min(arg1 or room, room)))
    elif op == OP_WRITE:  # arg0 pipe; payload: the bytes
        n = min(struct.unpack_from("<I", page, 16)[0], len(page) - PAYLOAD)
        struct.pack_into("<i", page, 24, host.pipe_write(box, arg0, page[PAYLOAD : PAYLOAD + n]))
    elif op == OP_POST:
        n = struct.unpack_from("<I", page, 16)[0]
        struct.pack_into("<i", page, 24, host._post(box, page, min(n, len(page) - PAYLOAD)))
    elif op == OP_RECV:
        # The event's time rides along with every RECV: the runtime's clocks need no trap.
        count, waiting = host._to_app_page(box)
        struct.pack_into("<iid", page, 24, count, waiting, time.monotonic() - host.epoch)
    elif op == OP_CLOSE:  # arg0 pipe, arg1 end: 1 read, 2 write, 3 both
        struct.pack_into("<i", page, 24, host.pipe_close(box, arg0, arg1))
    elif op == OP_YIELD:  # wake me again after this turn: its microtasks end, and V8 may collect
        host.wake_again(box)
    elif op == OP_CLOCK:
        struct.pack_into("<d", page, 32, time.monotonic() - host.epoch)
    elif op == OP_BUDGET:  # arg0 ms of CPU; arg1 0: from now (0 ms disarms), 1: added, 2: from now, idle
        app = box.app
        if app is not None:
            app.arm_cpu_budget(arg0, add=arg1 == 1, idle=arg1 == 2)
        struct.pack_into("<i", page, 24, 0 if app is not None else ESRCH)
    elif op == OP_RANDOM:  # arg0 bytes: the host's randomness, as RDRAND serves a program
        n = min(arg0, RANDOM_MAX, len(page) - PAYLOAD)
        page[PAYLOAD : PAYLOAD + n] = os.urandom(n)
        struct.pack_into("<i", page, 24, n)
    elif op == OP_LOAD:  # a lazy module's source, by index (app_runtime_sources)
        lazy = host.pool.lazy_modules
        data = lazy[arg0] if arg0 < len(lazy) else b""
        page[PAYLOAD : PAYLOAD + len(data)] = data
        struct.pack_into("<i", page, 24, len(data))
    else:
        struct.pack_into("<i", page, 24, EINVAL)


class _Untraced:
    """The tracer of an AppHost made without a machine (tests): never on."""

    on = False


class App:
    """One running program, by pid."""

    def __init__(self, pid: int, name: str, limits: dict, box: WarmIsolate):
        self.pid = pid
        self.name = name
        self.limits = limits
        self.box = box
        self.cpu_base = box.cpu_time()
        self.queued = 0  # bytes waiting for the kernel
        self.heap_used: int | None = None  # None until the stats thread has sampled it
        self.heap_sampled = 0.0
        self.collected = False  # the full GC of its first idle moment is done (app_watchdog.py, stats_loop)
        self.alive = True
        self.started = time.monotonic()
        self.peers: set[int] = set()  # pids this app may post to (the kernel connected them)
        self.sending: set[int] = set()  # peers that have a message of ours half sent
        self.owes: collections.Counter[int] = collections.Counter()  # peer -> its calls we have not answered
        self.msgs_in = 0
        self.msgs_out = 0
        self.last_active = time.monotonic()
        self.sampled_activity: tuple[int, int] | None = None  # activity() when the heap was sampled
        self.cpu_seen = -1.0  # the isolate's CPU clock at the stats thread's last look
        self.cpu_heap_checked = -1.0  # the CPU clock when the watchdog last asked V8 about the heap limit
        # A CPU budget the app armed for a piece of work (a worker's request,
        # Cloudflare's 50 ms): the thread's CPU clock it must not pass, or None.
        self.cpu_deadline: float | None = None
        self.cpu_budget_ms = 0  # the budget armed, in ms, for the message
        # Checked every 10 ms (work in progress) or, for an idle budget (what
        # an app may spend between pieces of work), with everyone every 100 ms.
        self.cpu_budget_hot = False

    def arm_cpu_budget(self, ms: int, add: bool, idle: bool) -> None:
        """Arm (or, with 0 ms, disarm) a CPU budget; on the app's own thread."""
        now = self.box.cpu_time()
        self.cpu_budget_hot = not idle
        if add and self.cpu_deadline is not None:
            self.cpu_deadline += ms / 1000
            self.cpu_budget_ms += ms
        elif ms:
            self.cpu_deadline = now + ms / 1000
            self.cpu_budget_ms = ms
        else:
            self.cpu_deadline = None

    def activity(self) -> tuple[int, int]:
        return (self.msgs_in, self.msgs_out)


def with_code(spec: dict, payload: bytes) -> bytes:
    """The start message the app receives: the kernel's, with the program's
    code put in as text.  The kernel sends the code as the bytes the files
    hold (kernel/proc/linker.js): decoding 170 KB of UTF-8 in the kernel's
    JavaScript, then encoding it again to cross the page, cost the first
    spawn of the shell 10 ms; here it is one C call each way.  ``spec``:
    ``start``, the start message's length; ``code``, [path, length] of each
    piece after it ("" the program's own source, then its libraries).
    A header without ``code`` carries a start message that is whole already.
    The libraries go compacted (compact.py), the program's own source as
    its file has it: the columns of its stack traces are the file's."""
    if "code" not in spec:
        return payload
    at = int(spec["start"])
    start = json.loads(payload[:at])
    source = None
    modules = []
    for path, length in spec["code"]:
        piece = payload[at : at + length]
        at += length
        if path == "":
            source = _code_as_json(piece, library=False)
        else:
            modules.append(json.dumps(str(path)).encode() + b":" + _code_as_json(piece))
    head = json.dumps(start).encode()  # "{...}": the code goes in before its "}"
    code = (
        (b'"source":' + source + b"," if source is not None else b"")
        + b'"modules":{'
        + b",".join(modules)
        + b"}"
    )
    return head[:-1] + (b"," if start else b"") + code + b"}"


# A piece of code as a JSON string, by its bytes (a library's compacted, as
# the runtime is: a third less for each isolate to scan).  The same libraries
# go with every spawn of a program (the invoker starts hundreds of `worker
# serve`), and decoding, then JSON-encoding 200 KB on the kernel's thread
# cost each spawn about 2 ms there.  Bounded: cleared past 512 pieces.
_CODE_JSON: dict[tuple[bytes, bool], bytes] = {}


def _code_as_json(piece: bytes, library: bool = True) -> bytes:
    encoded = _CODE_JSON.get((piece, library))
    if encoded is None:
        text = piece.decode("utf-8", "replace")  # U+FFFD as the kernel's decoder gives
        encoded = json.dumps(compacted(text) if library else text).encode()
        if len(_CODE_JSON) >= 512:
            _CODE_JSON.clear()
        _CODE_JSON[(piece, library)] = encoded
    return encoded


class AppHost:
    """The running apps, by pid: what the kernel's app traps reach (jsksh/machine/machine.py)."""

    def __init__(
        self,
        runtime_sources: list[str],
        on_mail,
        *,
        pool_size: int = 4,
        limits: dict | None = None,
        epoch=None,
        tracer=None,
    ):
        self.on_mail = on_mail
        # The machine's (jsksh/native/tracer.py); each isolate gets it, and
        # a track name when an app runs in it.
        self.tracer = (
            tracer if tracer is not None else _Untraced()
        )  # called (no lock held) when the kernel has messages waiting
        given = limits or {}
        self.limits = {k: given.get(k, v) for k, v in L.APP_LIMITS.items()}
        self.epoch = epoch if epoch is not None else time.monotonic()
        self.lock = threading.Condition()
        self.apps: dict[int, App] = {}
        self.pipes = P.PipeTable(self._pipe_ready)
        self._kernel_told = False  # a pipe notice for the kernel is waiting: wake it
        self.stopping = False
        # The three parts, each holding its own state under self.lock.
        self.pool = Pool(self, runtime_sources, pool_size, trap)
        self.mailbox = Mailbox(self)
        self.watchdog = Watchdog(self, given.get("memory", L.MACHINE_LIMITS["memory"]))
        # The mailbox's doors for the traps and the kernel's sends, bound once:
        # every message passes one, and a bound method kept here costs no more
        # than a method of AppHost's own.
        mailbox = self.mailbox
        self._post, self._to_app_page, self.wake_again = mailbox.post, mailbox.to_app_page, mailbox.wake_again
        self._deliver = mailbox.deliver
        # Four pool threads, whatever the CPUs (Pool._short says when they
        # all work): creating isolates is CPU work, and a burst of spawns
        # waits for it.
        self._threads = [
            *(
                threading.Thread(target=self.pool.loop, name=f"jsksh-pool{i}", daemon=True)
                for i in range(POOL_THREADS)
            ),
            threading.Thread(target=self.watchdog.loop, name="jsksh-watchdog", daemon=True),
            threading.Thread(target=self.pool.reaper_loop, name="jsksh-reaper", daemon=True),
            threading.Thread(target=self.watchdog.stats_loop, name="jsksh-stats", daemon=True),
        ]
        for t in self._threads:
            t.start()

    # ---- kernel-facing operations (called from the kernel's traps) ---------
    def spawn(self, pid: int, header: bytes, payload: bytes) -> int:
        """Start a program: ``header`` is JSON {path, limits, start, code}; ``payload``
        the start message and the program's code (docs/abi.md, SPAWN)."""
        try:
            spec = json.loads(header)
            name = str(spec["path"])
            start_message = with_code(spec, payload)
            # A spawn may ask for tighter limits, never looser than the machine's.
            asked = spec.get("limits") or {}
            limits = {k: min(v, float(asked.get(k, v))) for k, v in self.limits.items()}
            if spec.get("service") and "cpu" not in asked:
                # A service (the kernel's registry started it) may serve for days:
                # its CPU over its life is not a runaway's.  Requests are bounded
                # their own way (the invoker's CPU budgets).
                limits["cpu"] = math.inf
            for k in ("heap", "external", "queue"):
                limits[k] = max(1, int(limits[k]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return -22
        with self.lock:
            self.pool.spawning()
            if pid in self.apps:
                return -22
            box = self.pool.take(name)
            if box is None:
                self.pool.wait_for_isolate(pid, name, limits, start_message)
                return 0
            self._start(box, pid, name, limits, start_message)
        return 0

    def send(self, pid: int, message: bytes) -> int:
        tracer = self.tracer
        if tracer.on:
            tracer.emit(
                "msg", "kernel", f"-> pid {pid}", tracer.now(), 0.0, len(message), message_name(message)
            )
        with self.lock:
            app = self.apps.get(pid)
            if app is None:
                # Still waiting for an isolate: deliver after the start message.
                return 0 if self.pool.hold(pid, message) else ESRCH
            self._deliver(app, 0, message)
        return 0

    def connect(self, a: int, b: int) -> int:
        """Let apps ``a`` and ``b`` post to each other (the kernel granted it)."""
        return self.mailbox.connect(a, b)

    def kill(self, pid: int) -> int:
        with self.lock:
            app = self.apps.pop(pid, None)
            if app is None:
                cancelled = self.pool.cancel(pid)
                self.pipes.drop_all(pid)
                r = 0 if cancelled else ESRCH
            else:
                self._gone(app, "killed")
        self._wake_kernel_if_told()
        if app is None:
            return r
        self.pool.retire(app.box)
        return 0

    def release(self, pid: int) -> int:
        """The app exited normally: keep its isolate warm for the same program."""
        with self.lock:
            app = self.apps.pop(pid, None)
            if app is None:
                return ESRCH
            self._gone(app, "exited")
            box = app.box
            box.app = None
            box.iso.track = "pool"
            recycle = self.pool.recycle(box, app.name)
        self._wake_kernel_if_told()
        if not recycle:
            self.pool.retire(box, idle=True)
        return 0

    def take_for_kernel(self, capacity: int) -> list[tuple[int, bytes, int]]:
        """App messages for the kernel, as (pid, piece, more) frames that fit ``capacity`` bytes."""
        return self.mailbox.take_for_kernel(capacity)

    def kernel_mail_waiting(self) -> bool:
        return self.mailbox.kernel_mail_waiting()

    def stats(self) -> dict:
        """Per app: what ps and top show (docs/abi.md, PROC_STAT)."""
        now = time.monotonic()
        with self.lock:
            return {
                str(pid): {
                    "cpu": round(max(0.0, app.box.cpu_time() - app.cpu_base), 6),
                    "heap": app.heap_used,
                    "heap_limit": app.limits["heap"],
                    "external": app.box.external_bytes(),
                    "state": "R" if app.box.in_flight else "S",
                    "in": app.msgs_in,
                    "out": app.msgs_out,
                    "queue": len(app.box.inbox),
                    "idle": round(now - app.last_active, 3),
                    "serving": app.box.serving(),
                }
                for pid, app in self.apps.items()
            }

    def memory(self) -> dict:
        """The apps' memory as the watchdog last summed it (at most 100 ms old), and the budget."""
        return self.watchdog.memory()

    def summary(self) -> dict:
        with self.lock:
            return {
                "isolates": len(self.apps),
                "pool": self.pool.size(),
                "created": self.pool.created,
                "memory": self.memory(),
            }

    def shutdown(self) -> None:
        with self.lock:
            self.stopping = True
            running = [a.box for a in self.apps.values()]
            idle = self.pool.empty()
            self.apps.clear()
            self.lock.notify_all()
        for b in running:
            self.pool.close(b)
        for b in idle:
            self.pool.close(b, idle=True)
        self.pool.stop_reaper()

    # ---- internals (self.lock held) -------------------------------------------
    def _start(self, box: WarmIsolate, pid: int, name: str, limits: dict, start_message: bytes) -> None:
        app = App(pid, name, limits, box)
        box.app = app
        box.program = name
        box.iso.track = f"pid {pid} {name.rsplit('/', 1)[-1].removesuffix('.js')}"
        self.apps[pid] = app
        if box.heap_limit != limits["heap"] or box.iso.heap_limit_reached():
            box.iso.set_heap_limit(limits["heap"])  # also clears the sticky "reached" flag
            box.heap_limit = limits["heap"]
        self.mailbox.start(app, start_message)
        for extra in self.pool.held(pid):
            self._deliver(app, 0, extra)

    def _gone(self, app: App, reason: str) -> None:
        """``app`` left the table: its peers learn it, so their calls to it fail at once."""
        app.alive = False
        self.pipes.drop_all(app.pid)  # its readers see end of file, its writers EPIPE
        note = json.dumps({"t": "peer-exit", "pid": app.pid, "reason": reason}).encode()
        for pid in app.peers:
            peer = self.apps.get(pid)
            if peer is not None:
                peer.peers.discard(app.pid)
                self._deliver(peer, 0, note)
        app.peers.clear()
        self.lock.notify_all()

    # ---- pipes (docs/abi.md §3): the app's READ, WRITE and CLOSE traps ----------
    def pipe_read(self, box: WarmIsolate, pipe_id: int, page: memoryview, room: int) -> int:
        with self.lock:
            app = box.app
            if app is None or not app.alive:
                return EBADF
            n = self.pipes.read_into(pipe_id, app.pid, page, PAYLOAD, room)
        self._wake_kernel_if_told()  # the kernel may be the writer waiting for room
        return n

    def pipe_write(self, box: WarmIsolate, pipe_id: int, data: memoryview) -> int:
        with self.lock:
            app = box.app
            if app is None or not app.alive:
                return EBADF
            n = self.pipes.write(pipe_id, app.pid, data)
        self._wake_kernel_if_told()
        return n

    def pipe_close(self, box: WarmIsolate, pipe_id: int, end: int) -> int:
        with self.lock:
            app = box.app
            if app is None or not app.alive:
                return EBADF
            r = self.pipes.close(pipe_id, app.pid, end)
        self._wake_kernel_if_told()
        return r

    # The kernel's pipe traps (kernel/arch/machine.js), on the kernel's thread.
    def kernel_pipe(
        self, op: str, pipe_id: int = 0, holder: int = 0, end: int = 0, data=None, page=None, at=0, room=0
    ):
        with self.lock:
            if op == "open":
                r = self.pipes.open(P.KERNEL)
            elif op == "attach":
                r = self.pipes.attach(pipe_id, holder, end)
            elif op == "close":
                r = self.pipes.close(pipe_id, holder, end)
            elif op == "read":  # end = 1: arm the notice if this read empties the pipe
                r = self.pipes.read_into(pipe_id, P.KERNEL, page, at, room, arm=end == 1)
            elif op == "write":
                r = self.pipes.write(pipe_id, P.KERNEL, data)
            else:
                r = EINVAL
        self._wake_kernel_if_told()
        return r

    def _pipe_ready(self, holder: int, pipe_id: int) -> None:
        """A pipe changed for ``holder``, who asked to be told (lock held)."""
        note = b'{"t":"ready","id":%d}' % pipe_id
        if holder == P.KERNEL:
            self.mailbox.to_kernel(0, note)
            self._kernel_told = True
            return
        app = self.apps.get(holder)
        if app is not None:
            self._deliver(app, 0, note)
        else:
            self.pool.hold(holder, note)  # its spawn may still wait for an isolate

    def _wake_kernel_if_told(self) -> None:
        if self._kernel_told:
            self._kernel_told = False
            self.on_mail()
