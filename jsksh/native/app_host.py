"""The native core's half of apps: one V8 isolate per running app.

The kernel (JavaScript) decides *what* runs: it keeps the process table,
resolves the program, links its libraries and builds the start message.  This
module does what only the host can: take a warm isolate from the pool, run
the app's messages into it, account its CPU time and memory, and tear it down.

* Pool: a thread keeps ``pool_size`` isolates warm with the app runtime
  (kernel/app/) loaded, so a spawn never waits for V8 (an isolate costs 2-3 ms
  to create).
  A burst that outruns the pool grows it to the burst's size (at most
  ``POOL_MAX``) for the next one, and it shrinks back after ``POOL_DECAY``
  quiet seconds, as a FaaS keeps capacity warm after a spike.  Isolates
  that ran nothing are closed only when spawning is quiet, so a burst never
  pays for the teardown of the one before.
  An isolate whose app exited cleanly goes back to a per-program pool, like a
  Cloudflare Worker's isolate serving its next request: the same program, its
  globals scrubbed; never to a different program.
* Messages: app -> kernel messages queue here until the kernel claims them
  (IRQ line 1, IPC_RECV).  An app that outruns the kernel by more than
  ``QUEUE_LIMIT`` bytes blocks in its send trap: back-pressure, not growth.
* Peer messages (RPC between apps): the kernel decides who may talk to whom
  (``connect``); the messages themselves go straight from the sender's trap
  to the receiver's inbox, without waking the kernel isolate: two thread
  wake-ups a round trip instead of four (docs/architecture.md, "RPC").  A
  full inbox (``queue`` messages) blocks its senders: back-pressure.
* Limits (jsksh/native/limits.py): the heap limit is V8's
  (``set_hard_memory_limit``); ArrayBuffers are counted by the runtime, which
  publishes its count in the sys page; CPU time is the isolate thread's own
  clock, checked every 10 ms while the isolate runs.  A limit kills the
  isolate (the only way to stop a loop inside a promise callback) and the
  kernel gets an exit message on the app's behalf.  When the apps' memory
  passes the machine's budget the kernel is told, and evicts idle services.
* Memory given back: an isolate's creation and teardown leave freed memory
  in the C allocator's per-thread arenas, which glibc keeps.  Once isolates
  stop coming and going for ``TRIM_QUIET`` seconds, ``malloc_trim`` returns
  it to the system: 30 KiB for each of 1,000 sleeping apps
  (docs/performance.md, "Isolate density").
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import queue
import re
import struct
import threading
import time
from collections.abc import Callable

from jsksh.native import frames
from jsksh.native import limits as L
from jsksh.native import pipes as P
from jsksh.native.frames import FRAME, MORE, REPLY
from jsksh.native.v8 import Isolate, JSError

# The app's trap operations (docs/abi.md §2); op 1 was a separate SEND, now a POST to pid 0.
OP_RECV, OP_CLOCK, OP_POST, OP_LOAD, OP_READ, OP_WRITE, OP_CLOSE, OP_YIELD = 2, 3, 4, 5, 6, 7, 8, 9
PAYLOAD = 64
QUEUE_LIMIT = 1 << 20  # bytes an app may have queued for the kernel before it blocks
POOL_MAX = 256  # warm isolates kept after a burst (each about 0.7 MiB)
POOL_DECAY = 30.0  # seconds without a waiting spawn before the pool shrinks back
TRIM_QUIET = 1.0  # seconds without isolates made or closed before freed memory goes back
ESRCH, EAGAIN, EBADF, EINVAL = -3, -11, -9, -22
_ZERO8 = bytes(8)


def _malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``: give free memory in every arena back to the
    system.  A C library without it (musl) keeps its memory; nothing else changes."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the C library Python runs on
    if trim is None:
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


_COMMENT_LINE = re.compile(r"(?m)^[ \t]*//(?!#).*$")  # not //# sourceURL
_INDENT = re.compile(r"(?m)^[ \t]+")


def _compact(src: str) -> str:
    """The runtime's source as an isolate keeps it: no comment lines, no
    indentation (it has no string or template literal that spans lines)."""
    return _INDENT.sub("", _COMMENT_LINE.sub("", src))


# Evaluates to a global the runtime left for the machine, and deletes it.
_TAKE = "(() => { const v = globalThis.%(name)s; delete globalThis.%(name)s; return v; })()"


class WarmIsolate:
    """An isolate with the app runtime loaded, waiting for (or running) a program."""

    def __init__(self, host: AppHost, warm_up: bool = True):
        self.host = host
        self.iso = Isolate()
        self.page: memoryview | None = None
        self.cpu_clock: int | None = None
        self.inbox: collections.deque[tuple[int, bytes, int]] = collections.deque()  # (from, piece, more)
        self.wake_posted = False
        self.took_messages = False  # the running wake handled messages (see _task_done)
        self.in_flight = 0
        self.app: App | None = None
        self.program: str | None = None
        self.cpu_at_release = 0.0
        # The machine's default heap limit, set now: setting it waits for the
        # isolate's thread, which a spawn should not.
        self.heap_limit = host.limits["heap"]
        self.iso.set_heap_limit(self.heap_limit)
        self.closed = False
        self.idle = False  # set when retired: closing it can tidy up (Isolate.close)
        self.iso.make_trap("__sys", self._trap)
        self.iso.eval(host.load_script if warm_up else host.load_script_cold)
        # Take the page and the wake function out of the app's reach: an app
        # that could transfer() the page would free memory Python still uses.
        self.page = self.iso.buffer(_TAKE % {"name": "__sysPage"})
        self.wake = self.iso.function(_TAKE % {"name": "__wake"})

    # Runs on the isolate's own thread, while the app's JavaScript waits.
    def _trap(self) -> None:
        page = self.page
        if page is None:  # the runtime's first CLOCK trap, before the page is mapped
            self._note_thread()
            return
        op, arg0, arg1 = struct.unpack_from("<III", page, 0)
        host = self.host
        if op == OP_READ:  # arg0 pipe, arg1 most bytes wanted (0: as many as fit)
            room = len(page) - PAYLOAD
            struct.pack_into("<i", page, 24, host.pipe_read(self, arg0, page, min(arg1 or room, room)))
        elif op == OP_WRITE:  # arg0 pipe; payload: the bytes
            n = min(struct.unpack_from("<I", page, 16)[0], len(page) - PAYLOAD)
            struct.pack_into("<i", page, 24, host.pipe_write(self, arg0, page[PAYLOAD : PAYLOAD + n]))
        elif op == OP_POST:
            n = struct.unpack_from("<I", page, 16)[0]
            struct.pack_into("<i", page, 24, host._post(self, page, min(n, len(page) - PAYLOAD)))
        elif op == OP_RECV:
            # The event's time rides along with every RECV: the runtime's clocks need no trap.
            count, waiting = host._to_app_page(self)
            struct.pack_into("<iid", page, 24, count, waiting, time.monotonic() - host.epoch)
        elif op == OP_CLOSE:  # arg0 pipe, arg1 end: 1 read, 2 write, 3 both
            struct.pack_into("<i", page, 24, host.pipe_close(self, arg0, arg1))
        elif op == OP_YIELD:  # wake me again after this turn: its microtasks end, and V8 may collect
            host.wake_again(self)
        elif op == OP_CLOCK:
            struct.pack_into("<d", page, 32, time.monotonic() - host.epoch)
        elif op == OP_LOAD:  # a lazy module's source, by index (app_runtime_sources)
            lazy = host.lazy_modules
            data = lazy[arg0] if arg0 < len(lazy) else b""
            page[PAYLOAD : PAYLOAD + len(data)] = data
            struct.pack_into("<i", page, 24, len(data))
        else:
            struct.pack_into("<i", page, 24, EINVAL)

    def _note_thread(self) -> None:
        if self.cpu_clock is None:
            self.cpu_clock = time.pthread_getcpuclockid(threading.get_ident())

    def cpu_time(self) -> float:
        if self.cpu_clock is None:
            return 0.0
        try:
            return time.clock_gettime(self.cpu_clock)
        except OSError:  # the thread is gone
            return 0.0

    def external_bytes(self) -> int:
        return int(struct.unpack_from("<d", self.page, 40)[0]) if self.page is not None else 0

    def serving(self) -> int:
        """Peer calls the app has received and not yet answered (the runtime's count)."""
        return int(struct.unpack_from("<d", self.page, 48)[0]) if self.page is not None else 0


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

    def activity(self) -> tuple[int, int]:
        return (self.msgs_in, self.msgs_out)


class AppHost:
    def __init__(
        self,
        runtime_sources: list[str],
        on_mail,
        *,
        pool_size: int = 4,
        limits: dict | None = None,
        epoch=None,
    ):
        # One crossing loads them all (each keeps its own sourceURL through an
        # indirect eval), then warms the runtime up (kernel/app/loader.js, __warmup)
        # unless a spawn is waiting for this isolate: then it starts cold.
        # V8 keeps every script's source in the isolate, and parses all of
        # it in each new isolate, so whole-line comments are blanked and
        # indentation dropped first (line numbers stay; columns in the
        # runtime's own stack frames move): about 25 KiB an isolate, and a
        # fifth of the time an isolate takes to load.
        eager = [src for src in runtime_sources if not src.startswith("//@lazy")]
        load = "".join(f"(0, eval)({json.dumps(_compact(src))});\n" for src in eager)
        self.lazy_modules = [_compact(src).encode() for src in runtime_sources if src.startswith("//@lazy")]
        warm_up = _TAKE % {"name": "__warmup"}
        self.load_script = load + warm_up + "();"
        self.load_script_cold = load + warm_up + ";"
        self.on_mail = on_mail  # called (no lock held) when the kernel has messages waiting
        self.pool_size = pool_size
        # Until the first spawn (init starting sh), keep just one isolate warm:
        # filling the whole pool would compete with the kernel's boot for the CPU.
        self.pool_target = 1
        self.burst = 0  # spawns that waited for an isolate since the pool last caught up
        self.last_wait = 0.0  # when a spawn last had to wait
        self.last_spawn = 0.0
        self.churned = 0.0  # when an isolate was last made or closed
        self.trimmed = 0.0  # when freed memory was last given back (malloc_trim)
        self._trim = _malloc_trim()
        given = limits or {}
        self.limits = {k: given.get(k, v) for k, v in L.APP_LIMITS.items()}
        self.memory_budget = given.get("memory", L.MACHINE_LIMITS["memory"])
        self.epoch = epoch if epoch is not None else time.monotonic()
        self.lock = threading.Condition()
        self.apps: dict[int, App] = {}
        self.warm: list[WarmIsolate] = []
        self.by_program: dict[str, list[WarmIsolate]] = collections.defaultdict(list)
        self.waiting_spawns: collections.deque = collections.deque()
        self._pending_extra: dict[int, list[bytes]] = {}
        self.kernel_inbox: collections.deque[tuple[int, bytes, int]] = collections.deque()
        self.pipes = P.PipeTable(self._pipe_ready)
        self._kernel_told = False  # a pipe notice for the kernel is waiting: wake it
        self.blocked_senders = 0  # apps waiting in POST for room in a peer's inbox
        self.pressure_told = 0.0  # when the kernel was last told memory is over budget
        self.memory_cached = 0  # memory_used() as of the watchdog's last round
        self.stopping = False
        self._reaper: queue.Queue = queue.Queue()
        self.created = 0
        # One pool thread per CPU the machine may use (at most 4): creating
        # isolates is CPU work, and a burst of spawns waits for it.
        pool_threads = max(1, min(4, len(os.sched_getaffinity(0))))
        self._threads = [
            *(
                threading.Thread(target=self._pool_loop, name=f"jsksh-pool{i}", daemon=True)
                for i in range(pool_threads)
            ),
            threading.Thread(target=self._watchdog_loop, name="jsksh-watchdog", daemon=True),
            threading.Thread(target=self._reaper_loop, name="jsksh-reaper", daemon=True),
            threading.Thread(target=self._stats_loop, name="jsksh-stats", daemon=True),
        ]
        for t in self._threads:
            t.start()

    # ---- kernel-facing operations (called from the kernel's traps) ---------
    def spawn(self, pid: int, header: bytes, start_message: bytes) -> int:
        """Start a program: ``header`` is JSON {path, limits}; ``start_message`` goes to the app unread."""
        try:
            spec = json.loads(header)
            name = str(spec["path"])
            # A spawn may ask for tighter limits, never looser than the machine's.
            asked = spec.get("limits") or {}
            limits = {k: min(v, float(asked.get(k, v))) for k, v in self.limits.items()}
            for k in ("heap", "external", "queue"):
                limits[k] = max(1, int(limits[k]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return -22
        with self.lock:
            self.pool_target = max(self.pool_target, self.pool_size)
            self.last_spawn = time.monotonic()
            if pid in self.apps:
                return -22
            box = self._take_warm(name)
            if box is None:
                self.waiting_spawns.append((pid, name, limits, start_message))
                self.burst += 1
                self.last_wait = self.last_spawn
                self.lock.notify_all()
                return 0
            self._start(box, pid, name, limits, start_message)
        return 0

    def send(self, pid: int, message: bytes) -> int:
        with self.lock:
            app = self.apps.get(pid)
            if app is None:
                if any(w[0] == pid for w in self.waiting_spawns):
                    # Still waiting for an isolate: deliver after the start message.
                    self._pending_extra.setdefault(pid, []).append(message)
                    return 0
                return ESRCH
            self._deliver(app, 0, message)
        return 0

    def connect(self, a: int, b: int) -> int:
        """Let apps ``a`` and ``b`` post to each other (the kernel granted it)."""
        with self.lock:
            app_a, app_b = self.apps.get(a), self.apps.get(b)
            if app_a is None or app_b is None or a == b:
                return ESRCH
            app_a.peers.add(b)
            app_b.peers.add(a)
        return 0

    def kill(self, pid: int) -> int:
        with self.lock:
            app = self.apps.pop(pid, None)
            if app is None:
                before = len(self.waiting_spawns)
                self.waiting_spawns = collections.deque(w for w in self.waiting_spawns if w[0] != pid)
                self._pending_extra.pop(pid, None)
                self.pipes.drop_all(pid)
                r = 0 if len(self.waiting_spawns) < before else ESRCH
            else:
                self._gone(app, "killed")
        self._wake_kernel_if_told()
        if app is None:
            return r
        self._retire(app.box)
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
            if box.iso.heap_limit_reached() or len(self.by_program[app.name]) >= 2:
                recycle = False
            else:
                recycle = True
                box.program = app.name
                box.cpu_at_release = box.cpu_time()
                box.inbox.clear()  # peer messages that came too late
                self._deliver_raw(box, 0, b'{"t":"recycle"}')
                self.by_program[app.name].append(box)
        self._wake_kernel_if_told()
        if not recycle:
            self._retire(box, idle=True)
        return 0

    def take_for_kernel(self, capacity: int) -> list[tuple[int, bytes, int]]:
        """App messages for the kernel, as (pid, piece, more) frames that fit ``capacity`` bytes."""
        out = []
        with self.lock:
            while self.kernel_inbox and capacity > FRAME:
                pid, data, more = self.kernel_inbox[0]
                room = capacity - FRAME
                if len(data) > room:
                    self.kernel_inbox[0] = (pid, data[room:], more)
                    out.append((pid, data[:room], 1))
                    capacity = 0
                else:
                    self.kernel_inbox.popleft()
                    out.append((pid, data, more))
                    capacity -= FRAME + len(data)
                app = self.apps.get(pid)
                if app is not None:
                    app.queued -= len(out[-1][1])
            self.lock.notify_all()
            return out

    def kernel_mail_waiting(self) -> bool:
        with self.lock:
            return bool(self.kernel_inbox)

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

    def memory_used(self) -> int:
        """Heap (as last sampled) plus ArrayBuffer bytes, over all apps."""
        with self.lock:
            return sum((a.heap_used or 0) + a.box.external_bytes() for a in self.apps.values())

    def memory(self) -> dict:
        """The apps' memory as the watchdog last summed it (at most 100 ms old), and the budget."""
        return {"used": self.memory_cached, "budget": self.memory_budget}

    def summary(self) -> dict:
        with self.lock:
            return {
                "isolates": len(self.apps),
                "pool": len(self.warm) + sum(len(v) for v in self.by_program.values()),
                "created": self.created,
                "memory": self.memory(),
            }

    def shutdown(self) -> None:
        with self.lock:
            self.stopping = True
            running = [a.box for a in self.apps.values()]
            idle = self.warm + [b for v in self.by_program.values() for b in v]
            self.apps.clear()
            self.warm.clear()
            self.by_program.clear()
            self.lock.notify_all()
        for b in running:
            self._close(b)
        for b in idle:
            self._close(b, idle=True)
        self._reaper.put(None)

    # ---- internals (self.lock held unless noted) ----------------------------
    def _take_warm(self, name: str) -> WarmIsolate | None:
        mine = self.by_program.get(name)
        if mine:
            return mine.pop()
        if self.warm:
            box = self.warm.pop()
            self.lock.notify_all()  # the pool thread refills
            return box
        return None

    def _start(self, box: WarmIsolate, pid: int, name: str, limits: dict, start_message: bytes) -> None:
        app = App(pid, name, limits, box)
        box.app = app
        box.program = name
        self.apps[pid] = app
        if box.heap_limit != limits["heap"] or box.iso.heap_limit_reached():
            box.iso.set_heap_limit(limits["heap"])  # also clears the sticky "reached" flag
            box.heap_limit = limits["heap"]
        self._deliver(app, 0, start_message)
        for extra in self._pending_extra.pop(pid, []):
            self._deliver(app, 0, extra)

    def _deliver(self, app: App, sender: int, message: bytes, more: int = 0) -> None:
        if not more:
            app.msgs_in += 1
            app.last_active = time.monotonic()
        self._deliver_raw(app.box, sender, message, more)

    def _deliver_raw(self, box: WarmIsolate, sender: int, message: bytes, more: int = 0) -> None:
        box.inbox.append((sender, message, more))
        if not box.wake_posted:
            box.wake_posted = True
            box.in_flight += 1
            box.iso.post(box.wake, lambda _v, err, b=box: self._task_done(b, err))

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

    def _task_done(self, box: WarmIsolate, err: JSError | None) -> None:
        # Runs on the isolate's thread when a posted call (and its microtasks) ends.
        with self.lock:
            box.in_flight -= 1
            app = box.app
            # The runtime asks to be woken once more after a turn (microtasks
            # and all) to see whether anything is left to do (kernel/app/life.js).
            page = box.page
            took, box.took_messages = box.took_messages, False
            if (
                took
                and err is None
                and app is not None
                and page is not None
                and not box.closed
                and page[56:64] != _ZERO8
            ):
                if not box.wake_posted:
                    box.wake_posted = True
                    box.in_flight += 1
                    box.iso.post(box.wake, lambda _v, e, b=box: self._task_done(b, e))
        if err is None or box.closed or app is None:
            if app is not None and box.external_bytes() > app.limits["external"]:
                self._machine_kill(app, "ArrayBuffer limit exceeded", L.STATUS_EXTERNAL)
            return
        # V8 reports a heap-limit termination as "oom" or, inside a promise
        # callback, as a bare termination: the sticky flag tells them apart.
        if err.kind == "oom" or box.iso.heap_limit_reached():
            heap = L.describe("heap", app.limits["heap"])
            self._machine_kill(app, f"heap limit exceeded ({heap})", L.STATUS_HEAP)
        elif err.kind != "terminated":
            self._machine_kill(app, f"runtime fault: {str(err).strip().splitlines()[0]}", L.STATUS_FAULT)

    def _to_app_page(self, box: WarmIsolate) -> tuple[int, int]:
        """Pack waiting messages into the app's page as RECV frames (isolate
        thread): (frames packed, 1 if more were waiting than fit, else 0)."""
        page = box.page
        at, count = PAYLOAD, 0
        with self.lock:
            while box.inbox:
                sender, msg, more = box.inbox[0]
                room = len(page) - at - FRAME
                if room <= 0:
                    break
                if len(msg) > room:
                    if count:  # start big messages on a fresh page
                        break
                    frames.pack(page, at, sender, msg[:room], MORE)
                    box.inbox[0] = (sender, msg[room:], more)
                    count = 1
                    break
                box.inbox.popleft()
                at = frames.pack(page, at, sender, msg, more)
                count += 1
            if count:
                box.took_messages = True  # after this turn, a lingering app looks whether it is done
            waiting = 1 if box.inbox else 0
            if not waiting:
                box.wake_posted = False  # what arrives from now on gets a wake of its own
            if self.blocked_senders:
                self.lock.notify_all()
        return count, waiting

    def _from_app(self, app: App, piece: bytes, more: int) -> bool:
        """A frame for the kernel (isolate thread, lock held); True if the kernel must be woken."""
        while app.alive and app.queued > QUEUE_LIMIT and not self.stopping:
            self.lock.wait(0.1)  # back-pressure: block this app until the kernel catches up
        if not app.alive:
            return False
        app.queued += len(piece)
        if not more:
            app.msgs_out += 1
            app.last_active = time.monotonic()
        was_empty = not self.kernel_inbox
        self.kernel_inbox.append((app.pid, piece, more))
        return was_empty

    def wake_again(self, box: WarmIsolate) -> None:
        """Queue a wake for ``box`` (isolate thread): a new task, after this one."""
        with self.lock:
            if box.app is None or box.wake_posted:
                return
            box.wake_posted = True
            box.in_flight += 1
            box.iso.post(box.wake, lambda _v, err, b=box: self._task_done(b, err))

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
            self.kernel_inbox.append((0, note, 0))
            self._kernel_told = True
            return
        app = self.apps.get(holder)
        if app is not None:
            self._deliver(app, 0, note)
        elif any(w[0] == holder for w in self.waiting_spawns):
            self._pending_extra.setdefault(holder, []).append(note)

    def _wake_kernel_if_told(self) -> None:
        if self._kernel_told:
            self._kernel_told = False
            self.on_mail()

    def _post(self, box: WarmIsolate, page: memoryview, n: int) -> int:
        """An app posted frames ``u32 to, u32 len, u32 flags, bytes`` to its peers (isolate thread).

        Returns how many frames went; fewer than were given means the next
        one failed: its error (ESRCH: no such peer; EAGAIN: the peer's inbox
        stayed full) is in the runtime's page at offset 28."""
        sent, at, end = 0, PAYLOAD, PAYLOAD + n
        mail = False
        error = 0
        with self.lock:
            app = box.app
            while at + FRAME <= end:
                to, length, flags = frames.unpack(page, at)
                if at + FRAME + length > end:  # a frame that claims more than was sent: the app is broken
                    error = EINVAL
                elif app is None or not app.alive:
                    error = ESRCH
                elif to == 0:
                    mail |= self._from_app(app, bytes(page[at + FRAME : at + FRAME + length]), flags & MORE)
                    error = 0 if app.alive else ESRCH
                else:
                    error = self._route(app, to, bytes(page[at + FRAME : at + FRAME + length]), flags)
                if error:
                    struct.pack_into("<i", page, 28, error)
                    break
                at += FRAME + length
                sent += 1
        if mail:
            self.on_mail()
        if error == EINVAL and app is not None:
            # Only a broken or hostile runtime builds a frame longer than what it sent.
            self._machine_kill(app, "runtime fault: a malformed message frame", L.STATUS_FAULT)
        return sent

    def _route(self, app: App, to: int, data: bytes, flags: int) -> int:
        """Deliver one frame from ``app`` to its peer ``to``, waiting while the peer's inbox is full.

        A reply to a call the peer made is never held back: the peer may be
        the very sender that is blocked waiting for room in our inbox, and
        holding its answers would deadlock the two.  Only as many replies
        pass as the peer made calls: a stream of forged replies waits too."""
        peer = self.apps.get(to)
        if peer is None or to not in app.peers:
            return ESRCH
        more = flags & MORE
        answer = bool(flags & REPLY) and app.owes[to] > 0
        if not answer and to not in app.sending and len(peer.box.inbox) >= peer.limits["queue"]:
            deadline = time.monotonic() + L.QUEUE_BLOCK_SECONDS
            self.blocked_senders += 1
            try:
                while len(peer.box.inbox) >= peer.limits["queue"]:
                    left = deadline - time.monotonic()
                    if not (app.alive and peer.alive) or self.stopping or left <= 0:
                        break
                    self.lock.wait(min(left, 0.1))
            finally:
                self.blocked_senders -= 1
            if not app.alive or not peer.alive:
                return ESRCH
            if len(peer.box.inbox) >= peer.limits["queue"]:
                return EAGAIN
        if more:
            app.sending.add(to)
        else:
            app.sending.discard(to)
            app.msgs_out += 1
            app.last_active = time.monotonic()
            if answer:
                app.owes[to] -= 1
            elif not flags & REPLY:
                peer.owes[app.pid] += 1
        self._deliver(peer, app.pid, data, more)
        return 0

    def _machine_kill(self, app: App, reason: str, status: int) -> None:
        """Stop an app for breaking a limit and tell the kernel on its behalf."""
        with self.lock:
            if self.apps.get(app.pid) is not app:
                return
            del self.apps[app.pid]
            self._gone(app, reason)
            msg = json.dumps({"t": "exit", "code": status, "reason": reason}).encode()
            self.kernel_inbox.append((app.pid, msg, 0))
        self._retire(app.box)
        self.on_mail()

    def _tell_kernel(self, message: dict) -> None:
        """A message from the machine itself (pid 0), e.g. memory pressure."""
        with self.lock:
            self.kernel_inbox.append((0, json.dumps(message).encode(), 0))
        self.on_mail()

    def _retire(self, box: WarmIsolate, idle: bool = False) -> None:
        """Close ``box`` on the reaper thread; ``idle``: it is running nothing."""
        box.closed = True
        box.idle = idle
        self._reaper.put(box)

    def _close(self, box: WarmIsolate, idle: bool = False) -> None:
        box.closed = True
        box.page = None
        box.iso.close(idle=idle or box.idle)
        self.churned = time.monotonic()

    # ---- threads -------------------------------------------------------------
    def _pool_loop(self) -> None:
        while True:
            with self.lock:
                while not self.stopping and not self.waiting_spawns and len(self.warm) >= self.pool_target:
                    if self.burst:  # the pool caught up: be ready for a burst this size next time
                        self.pool_target = min(POOL_MAX, max(self.pool_target, self.burst + self.pool_size))
                        self.burst = 0
                        continue
                    if self.pool_target > self.pool_size:
                        quiet = time.monotonic() - self.last_wait
                        if quiet < POOL_DECAY:
                            self.lock.wait(POOL_DECAY - quiet)
                            continue
                        self.pool_target = self.pool_size
                        for box in self.warm[self.pool_size :]:
                            self._retire(box, idle=True)
                        del self.warm[self.pool_size :]
                        continue
                    self.lock.wait()
                if self.stopping:
                    return
                # Refill only when spawning pauses, unless a spawn is waiting:
                # creating an isolate takes the CPU a starting app needs.
                if not self.waiting_spawns and time.monotonic() - self.last_spawn < 0.01:
                    self.lock.wait(0.01)
                    continue
            try:
                box = WarmIsolate(self, warm_up=not self.waiting_spawns)  # slow: no lock held
            except Exception as e:  # noqa: BLE001 - e.g. a runtime that does not evaluate
                self._spawn_failed(f"cannot create an isolate: {e}")
                time.sleep(0.5)
                continue
            with self.lock:
                self.created += 1
                self.churned = time.monotonic()
                if self.stopping:
                    self._reaper.put(box)
                    return
                if self.waiting_spawns:
                    pid, name, limits, msg = self.waiting_spawns.popleft()
                    self._start(box, pid, name, limits, msg)
                else:
                    self.warm.append(box)

    def _spawn_failed(self, reason: str) -> None:
        """Every waiting spawn ends at once with status 127 and the reason."""
        with self.lock:
            failed, self.waiting_spawns = list(self.waiting_spawns), collections.deque()
            for pid, *_ in failed:
                msg = json.dumps({"t": "exit", "code": 127, "reason": reason}).encode()
                self.kernel_inbox.append((pid, msg, 0))
        if failed:
            self.on_mail()

    def _watchdog_loop(self) -> None:
        # Every 10 ms the isolates running a posted task are checked; every
        # 100 ms all of them, since a loop in a promise callback can outlive
        # the task that queued it.  (Checking 1,000 sleeping isolates every
        # 10 ms would cost a fifth of a core.)  Memory is summed every 100 ms.
        rounds = 0
        while not self.stopping:
            time.sleep(0.01)
            rounds += 1
            with self.lock:
                everyone = rounds % 10 == 0
                running = [a for a in self.apps.values() if everyone or a.box.in_flight]
                leftovers = [b for v in self.by_program.values() for b in v if b.in_flight]
            for app in running:
                if app.box.cpu_time() - app.cpu_base > app.limits["cpu"]:
                    cpu = L.describe("cpu", app.limits["cpu"])
                    self._machine_kill(app, f"CPU time limit exceeded ({cpu})", L.STATUS_CPU)
                elif app.box.external_bytes() > app.limits["external"]:
                    self._machine_kill(app, "ArrayBuffer limit exceeded", L.STATUS_EXTERNAL)
            for box in leftovers:  # a program that kept running after it exited
                if box.cpu_time() - box.cpu_at_release > 1.0:
                    with self.lock:
                        for v in self.by_program.values():
                            if box in v:
                                v.remove(box)
                    self._retire(box)
            if rounds % 10 == 0:
                self._check_memory()

    def _check_memory(self) -> None:
        """Tell the kernel (at most every 200 ms) while the apps' memory is over budget."""
        used = self.memory_cached = self.memory_used()
        now = time.monotonic()
        if used > self.memory_budget and now - self.pressure_told > 0.2:
            self.pressure_told = now
            self._tell_kernel({"t": "pressure", "used": used, "budget": self.memory_budget})

    def _stats_loop(self) -> None:
        # Heap statistics are a task on the isolate's own thread, so a busy app
        # would block whoever asks: this thread asks idle apps and caches.
        # Apps are first sampled when 200 ms old (most commands are gone by
        # then, and a burst of spawns must not pay for a GC each), then every
        # 2 s if they have sent or received a message since, at most 50
        # samples a round (each costs about 0.5 ms).  Not re-sampling a
        # sleeping app matters: each sample leaves ~100 KiB of garbage in its
        # heap that an idle isolate never collects, and 1,000 sleeping apps
        # would "grow" by 50 MiB a second.
        while not self.stopping:
            time.sleep(0.05)
            now = time.monotonic()
            if self.churned > self.trimmed and now - self.churned > TRIM_QUIET:
                self.trimmed = now
                self._trim()
            with self.lock:
                due = [
                    a
                    for a in self.apps.values()
                    if not a.box.in_flight
                    and now - a.started > 0.2
                    and (
                        a.heap_used is None
                        or (now - a.heap_sampled > 2.0 and a.activity() != a.sampled_activity)
                    )
                ]
            due.sort(key=lambda a: a.heap_sampled)
            for app in due[:50]:
                if not app.alive:
                    continue
                # No task running is not idle: a loop in a promise callback
                # runs after its task has ended.  A heap-stats task queued
                # behind it would never run, and would keep even close() from
                # stopping the isolate: only an app whose CPU clock stood
                # still since the last round is asked.
                cpu = app.box.cpu_time()
                busy = cpu - app.cpu_seen > 0.001
                app.cpu_seen = cpu
                if busy:
                    continue
                try:
                    if app.heap_used is None:
                        # First time idle: a full GC returns what start-up left
                        # behind (about 40 KiB an isolate; 1,000 sleeping apps add up).
                        app.box.iso.low_memory_notification()
                    stats = json.loads(app.box.iso.heap_stats())
                    app.heap_used = stats.get("used_heap_size", 0)
                    app.heap_sampled = time.monotonic()
                    app.sampled_activity = app.activity()
                except Exception:  # noqa: BLE001 - an isolate that died meanwhile
                    pass

    def _reaper_loop(self) -> None:
        while True:
            box = self._reaper.get()
            if box is None:
                return
            # An idle isolate can wait: close it when spawning is quiet.  A
            # killed one may still be burning CPU: close it now.
            while box.idle and not self.stopping and time.monotonic() - self.last_spawn < 0.05:
                time.sleep(0.05)
            try:
                self._close(box)
            except Exception:  # noqa: BLE001
                pass
