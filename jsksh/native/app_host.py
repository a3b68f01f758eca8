"""The native core's half of apps: one V8 isolate per running app.

The kernel (JavaScript) decides *what* runs: it keeps the process table,
resolves the program, links its libraries and builds the start message.  This
module does what only the host can: take a warm isolate from the pool, run
the app's messages into it, account its CPU time and memory, and tear it down.

* Pool: a thread keeps ``pool_size`` isolates warm with kernel/proc/app-runtime.js
  loaded, so a spawn never waits for V8 (an isolate costs 3-8 ms to create).
  An isolate whose app exited cleanly goes back to a per-program pool, like a
  Cloudflare Worker's isolate serving its next request: the same program, its
  globals scrubbed; never to a different program.
* Messages: app -> kernel messages queue here until the kernel claims them
  (IRQ line 1, IPC_RECV).  An app that outruns the kernel by more than
  ``QUEUE_LIMIT`` bytes blocks in its send trap: back-pressure, not growth.
* Limits: the heap limit is V8's (``set_hard_memory_limit``); ArrayBuffers are
  counted by the runtime, which publishes its count in the sys page; CPU time
  is the isolate thread's own clock, checked by a watchdog every 10 ms.  A
  limit kills the isolate (the only way to stop a loop inside a promise
  callback) and the kernel gets an exit message on the app's behalf.
"""

from __future__ import annotations

import collections
import json
import queue
import struct
import threading
import time

from jsksh.native.v8 import Isolate, JSError

OP_SEND, OP_RECV, OP_CLOCK = 1, 2, 3
PAYLOAD = 64
MORE = 1
FRAME = 12  # u32 pid, u32 len, u32 flags before each piece in IPC_RECV
QUEUE_LIMIT = 1 << 20  # bytes an app may have queued for the kernel before it blocks

DEFAULT_LIMITS = {
    "heap": 64 << 20,  # bytes of V8 heap
    "external": 64 << 20,  # bytes of ArrayBuffers
    "cpu": 30.0,  # seconds of CPU time
}

STATUS_KILLED = 137


class WarmIsolate:
    """An isolate with the app runtime loaded, waiting for (or running) a program."""

    def __init__(self, host: AppHost):
        self.host = host
        self.iso = Isolate()
        self.page: memoryview | None = None
        self.cpu_clock: int | None = None
        self.inbox: collections.deque[bytes] = collections.deque()
        self.partial: list[bytes] = []  # a message arriving in pieces
        self.wake_posted = False
        self.in_flight = 0
        self.app: App | None = None
        self.program: str | None = None
        self.cpu_at_release = 0.0
        self.heap_limit = 0
        self.closed = False
        self.idle = False  # set when retired: closing it can tidy up (Isolate.close)
        self.iso.make_trap("__sys", self._trap)
        for source in host.runtime_sources:
            self.iso.eval(source)
        self.page = self.iso.buffer("__sysPage")
        self.wake = self.iso.function("__wake")

    # Runs on the isolate's own thread, while the app's JavaScript waits.
    def _trap(self) -> None:
        page = self.page
        if page is None:  # the runtime's first CLOCK trap, before the page is mapped
            self._note_thread()
            return
        op, arg0 = struct.unpack_from("<II", page, 0)
        if op == OP_SEND:
            n = struct.unpack_from("<I", page, 16)[0]
            self.host._from_app(
                self, bytes(page[PAYLOAD : PAYLOAD + min(n, len(page) - PAYLOAD)]), arg0 & MORE
            )
        elif op == OP_RECV:
            struct.pack_into("<i", page, 24, self.host._to_app_page(self))
        elif op == OP_CLOCK:
            struct.pack_into("<d", page, 32, time.monotonic() - self.host.epoch)

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
        self.runtime_sources = runtime_sources
        self.on_mail = on_mail  # called (no lock held) when the kernel has messages waiting
        self.pool_size = pool_size
        # Until the first spawn (init starting sh), keep just one isolate warm:
        # filling the whole pool would compete with the kernel's boot for the CPU.
        self.pool_target = 1
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.epoch = epoch if epoch is not None else time.monotonic()
        self.lock = threading.Condition()
        self.apps: dict[int, App] = {}
        self.warm: list[WarmIsolate] = []
        self.by_program: dict[str, list[WarmIsolate]] = collections.defaultdict(list)
        self.waiting_spawns: collections.deque = collections.deque()
        self._pending_extra: dict[int, list[bytes]] = {}
        self.kernel_inbox: collections.deque[tuple[int, bytes, int]] = collections.deque()
        self.stopping = False
        self._reaper: queue.Queue = queue.Queue()
        self.created = 0
        self._threads = [
            threading.Thread(target=self._pool_loop, name="jsksh-pool", daemon=True),
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
            limits["heap"] = int(limits["heap"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return -22
        with self.lock:
            self.pool_target = self.pool_size
            if pid in self.apps:
                return -22
            box = self._take_warm(name)
            if box is None:
                self.waiting_spawns.append((pid, name, limits, start_message))
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
                return -3
            self._deliver(app.box, message)
        return 0

    def kill(self, pid: int) -> int:
        with self.lock:
            app = self.apps.pop(pid, None)
            if app is None:
                before = len(self.waiting_spawns)
                self.waiting_spawns = collections.deque(w for w in self.waiting_spawns if w[0] != pid)
                self._pending_extra.pop(pid, None)
                return 0 if len(self.waiting_spawns) < before else -3
            app.alive = False
            self.lock.notify_all()
        self._retire(app.box)
        return 0

    def release(self, pid: int) -> int:
        """The app exited normally: keep its isolate warm for the same program."""
        with self.lock:
            app = self.apps.pop(pid, None)
            if app is None:
                return -3
            app.alive = False
            self.lock.notify_all()
            box = app.box
            box.app = None
            if box.iso.heap_limit_reached() or len(self.by_program[app.name]) >= 2:
                recycle = False
            else:
                recycle = True
                box.program = app.name
                box.cpu_at_release = box.cpu_time()
                self._deliver(box, b'{"t":"recycle"}')
                self.by_program[app.name].append(box)
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
        with self.lock:
            return {
                str(pid): {
                    "cpu": round(max(0.0, app.box.cpu_time() - app.cpu_base), 6),
                    "heap": app.heap_used,
                    "heap_limit": app.limits["heap"],
                    "external": app.box.external_bytes(),
                    "state": "R" if app.box.in_flight else "S",
                }
                for pid, app in self.apps.items()
            }

    def summary(self) -> dict:
        with self.lock:
            return {
                "isolates": len(self.apps),
                "pool": len(self.warm) + sum(len(v) for v in self.by_program.values()),
                "created": self.created,
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
        self._deliver(box, start_message)
        for extra in self._pending_extra.pop(pid, []):
            self._deliver(box, extra)

    def _deliver(self, box: WarmIsolate, message: bytes) -> None:
        box.inbox.append(message)
        if not box.wake_posted:
            box.wake_posted = True
            box.in_flight += 1
            box.iso.post(box.wake, lambda _v, err, b=box: self._task_done(b, err))

    def _task_done(self, box: WarmIsolate, err: JSError | None) -> None:
        # Runs on the isolate's thread when a posted call (and its microtasks) ends.
        with self.lock:
            box.in_flight -= 1
            app = box.app
        if err is None or box.closed or app is None:
            return
        # V8 reports a heap-limit termination as "oom" or, inside a promise
        # callback, as a bare termination: the sticky flag tells them apart.
        if err.kind == "oom" or box.iso.heap_limit_reached():
            self._machine_kill(app, f"heap limit exceeded ({app.limits['heap'] >> 20} MiB)")
        elif err.kind != "terminated":
            self._machine_kill(app, f"runtime fault: {str(err).strip().splitlines()[0]}")

    def _to_app_page(self, box: WarmIsolate) -> int:
        """Pack waiting kernel -> app messages into the app's page (isolate thread)."""
        page = box.page
        at, count = PAYLOAD, 0
        with self.lock:
            while box.inbox:
                msg = box.inbox[0]
                room = len(page) - at - 8
                if room <= 0:
                    break
                if len(msg) > room:
                    if count:  # start big messages on a fresh page
                        break
                    struct.pack_into("<II", page, at, room, MORE)
                    page[at + 8 : at + 8 + room] = msg[:room]
                    box.inbox[0] = msg[room:]
                    return 1
                box.inbox.popleft()
                struct.pack_into("<II", page, at, len(msg), 0)
                page[at + 8 : at + 8 + len(msg)] = msg
                at += 8 + len(msg)
                count += 1
            if not box.inbox:
                box.wake_posted = False
        return count

    def _from_app(self, box: WarmIsolate, piece: bytes, more: int) -> None:
        """An app sent (part of) a message (isolate thread)."""
        with self.lock:
            app = box.app
            if app is None or not app.alive:
                return  # a recycled isolate's leftovers, or a killed app's last words
            while app.alive and app.queued > QUEUE_LIMIT and not self.stopping:
                self.lock.wait(0.1)  # back-pressure: block this app until the kernel catches up
            if not app.alive:
                return
            app.queued += len(piece)
            was_empty = not self.kernel_inbox
            self.kernel_inbox.append((app.pid, piece, more))
        if was_empty:
            self.on_mail()

    def _machine_kill(self, app: App, reason: str) -> None:
        """Stop an app for breaking a limit and tell the kernel on its behalf."""
        with self.lock:
            if self.apps.get(app.pid) is not app:
                return
            del self.apps[app.pid]
            app.alive = False
            msg = json.dumps({"t": "exit", "code": STATUS_KILLED, "reason": reason}).encode()
            self.kernel_inbox.append((app.pid, msg, 0))
            self.lock.notify_all()
        self._retire(app.box)
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

    # ---- threads -------------------------------------------------------------
    def _pool_loop(self) -> None:
        while True:
            with self.lock:
                while not self.stopping and not self.waiting_spawns and len(self.warm) >= self.pool_target:
                    self.lock.wait()
                if self.stopping:
                    return
            try:
                box = WarmIsolate(self)  # slow: no lock held
            except Exception as e:  # noqa: BLE001 - e.g. a runtime that does not evaluate
                self._spawn_failed(f"cannot create an isolate: {e}")
                time.sleep(0.5)
                continue
            with self.lock:
                self.created += 1
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
        while not self.stopping:
            time.sleep(0.01)
            with self.lock:
                apps = list(self.apps.values())
                leftovers = [b for v in self.by_program.values() for b in v if b.in_flight]
            for app in apps:
                if app.box.cpu_time() - app.cpu_base > app.limits["cpu"]:
                    self._machine_kill(app, f"CPU time limit exceeded ({app.limits['cpu']:g} s)")
                elif app.box.external_bytes() > app.limits["external"]:
                    self._machine_kill(app, "ArrayBuffer limit exceeded")
            for box in leftovers:  # a program that kept running after it exited
                if box.cpu_time() - box.cpu_at_release > 1.0:
                    with self.lock:
                        for v in self.by_program.values():
                            if box in v:
                                v.remove(box)
                    self._retire(box)

    def _stats_loop(self) -> None:
        # Heap statistics are a task on the isolate's own thread, so a busy app
        # would block whoever asks: this thread asks idle apps and caches.
        # New apps are sampled within 50 ms, the others every 2 s, at most 50
        # samples a round (each costs about 0.5 ms).
        while not self.stopping:
            time.sleep(0.05)
            now = time.monotonic()
            with self.lock:
                due = [
                    a
                    for a in self.apps.values()
                    if not a.box.in_flight and (a.heap_used is None or now - a.heap_sampled > 2.0)
                ]
            due.sort(key=lambda a: a.heap_sampled)
            for app in due[:50]:
                if not app.alive:
                    continue
                try:
                    if app.heap_used is None:
                        # First time idle: a full GC returns what start-up left
                        # behind (about 40 KiB an isolate; 1,000 sleeping apps add up).
                        app.box.iso.low_memory_notification()
                    stats = json.loads(app.box.iso.heap_stats())
                    app.heap_used = stats.get("used_heap_size", 0)
                    app.heap_sampled = time.monotonic()
                except Exception:  # noqa: BLE001 - an isolate that died meanwhile
                    pass

    def _reaper_loop(self) -> None:
        while True:
            box = self._reaper.get()
            if box is None:
                return
            try:
                self._close(box)
            except Exception:  # noqa: BLE001
                pass
