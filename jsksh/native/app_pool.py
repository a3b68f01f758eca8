"""The warm pool: isolates with the app runtime loaded, ready before a spawn asks.

An isolate costs 2-3 ms to create, so a spawn never waits for V8: pool
threads keep ``pool_size`` isolates warm with the app runtime (kernel/app/)
loaded.  The app host (jsksh/native/app_host.py) takes one for each spawn
and gives back the ones its apps are done with; this module makes, keeps and
closes them.

* Growth and decay: a burst that outruns the pool grows it to the burst's
  size (at most ``POOL_MAX``) for the next one, and it shrinks back after
  ``POOL_DECAY`` quiet seconds, as a FaaS keeps capacity warm after a spike.
  Isolates that ran nothing are closed only when spawning is quiet, so a
  burst never pays for the teardown of the one before.
* Recycling: an isolate whose app exited cleanly goes back to a per-program
  pool, like a Cloudflare Worker's isolate serving its next request: the same
  program, its globals scrubbed; never to a different program.
* Retiring: an isolate that was killed or is not wanted is closed on the
  reaper thread, never on the thread that let it go.
* Memory given back: an isolate's creation and teardown leave freed memory
  in the C allocator's per-thread arenas, which glibc keeps.  Once isolates
  stop coming and going for ``TRIM_QUIET`` seconds, ``malloc_trim`` returns
  it to the system: 30 KiB for each of 1,000 sleeping apps
  (docs/performance.md, "Isolate density").  The stats thread
  (app_watchdog.py) asks for it; the pool knows when isolates last churned.

The pool's state is guarded by the host's lock; each group of methods below
says whether it expects the lock held.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import queue
import struct
import threading
import time
import types
from collections.abc import Callable
from typing import TYPE_CHECKING

from jsksh.native.compact import compacted
from jsksh.native.v8 import Isolate

if TYPE_CHECKING:
    from jsksh.native.app_host import App, AppHost

POOL_MAX = 256  # warm isolates kept after a burst (each about 0.7 MiB)
POOL_DECAY = 30.0  # seconds without a waiting spawn before the pool shrinks back
POOL_THREADS = 4  # threads making isolates, whatever the CPUs (Pool._short says when they all do)
BURST_AT_ONCE = 12  # at most this many wanted: a burst's isolates are made all at once (Pool._short)
TRIM_QUIET = 1.0  # seconds without isolates made or closed before freed memory goes back


def _malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``: give free memory in every arena back to the
    system.  A C library without it (musl) keeps its memory; nothing else changes."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the C library Python runs on
    if trim is None:
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


# Evaluates to a global the runtime left for the machine, and deletes it.
_TAKE = "(() => { const v = globalThis.%(name)s; delete globalThis.%(name)s; return v; })()"


class WarmIsolate:
    """An isolate with the app runtime loaded, waiting for (or running) a program."""

    def __init__(self, host: AppHost, warm_up: bool = True):
        pool = host.pool
        self.host = host
        self.iso = Isolate()
        self.iso.tracer, self.iso.track = host.tracer, "pool"
        self.page: memoryview | None = None
        self.cpu_clock: int | None = None
        self.inbox: collections.deque[tuple[int, bytes, int]] = collections.deque()  # (from, piece, more)
        self.wake_posted = False
        self.took_messages = False  # the running wake handled messages (Mailbox._task_done)
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
        # The app's traps (app_host.py, trap), bound to this box as a method
        # of it would be: no extra call on the way in.
        self.iso.make_trap("__sys", types.MethodType(pool.trap, self))
        self.iso.eval(pool.load_script if warm_up else pool.load_script_cold)
        # Take the page and the wake function out of the app's reach: an app
        # that could transfer() the page would free memory Python still uses.
        self.page = self.iso.buffer(_TAKE % {"name": "__sysPage"})
        self.wake = self.iso.function(_TAKE % {"name": "__wake"}, name="__wake")
        self.start = self.iso.function(_TAKE % {"name": "__start"}, name="__start")

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


class Pool:
    """The warm isolates, the spawns waiting for one, and the isolates on their way out."""

    def __init__(
        self, host: AppHost, runtime_sources: list[str], pool_size: int, trap: Callable[[WarmIsolate], None]
    ):
        self.host = host
        self.lock = host.lock
        self.trap = trap  # the app's traps, installed in every isolate made here
        # One crossing loads the runtime, one script (machine.py,
        # app_runtime_sources), evaluated as it is (not as a string handed
        # to an indirect eval, which V8 would scan twice: 10 % of the load),
        # then warms it up (kernel/app/loader.js, __warmup) unless a spawn
        # is waiting for this isolate: then it starts cold.
        # V8 keeps every script's source in the isolate, and parses all of
        # it in each new isolate, so comments and indentation go first
        # (compact.py; line numbers stay, columns in the runtime's own stack
        # frames move): about 30 KiB an isolate, and a fifth of the time an
        # isolate takes to load.
        eager = [src for src in runtime_sources if not src.startswith("//@lazy")]
        if len(eager) != 1:
            raise ValueError(f"the app runtime is one script, not {len(eager)}")
        load = compacted(eager[0]) + "\n;"
        self.lazy_modules = [compacted(src).encode() for src in runtime_sources if src.startswith("//@lazy")]
        warm_up = _TAKE % {"name": "__warmup"}
        self.load_script = load + warm_up + "();"
        self.load_script_cold = load + warm_up + ";"
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
        self.warm: list[WarmIsolate] = []
        self.by_program: dict[str, list[WarmIsolate]] = collections.defaultdict(list)
        self.waiting_spawns: collections.deque = collections.deque()
        self.making = 0  # isolates the pool threads are making now
        self.cpus = max(1, len(os.sched_getaffinity(0)))  # those the machine's threads may run on
        self._pending_extra: dict[int, list[bytes]] = {}
        self._reaper: queue.Queue = queue.Queue()
        self.created = 0

    # ---- a spawn (self.lock held) -------------------------------------------
    def spawning(self) -> None:
        """A spawn came: from now on keep the whole pool warm, and let it refill only once spawning pauses."""
        self.pool_target = max(self.pool_target, self.pool_size)
        self.last_spawn = time.monotonic()

    def take(self, name: str) -> WarmIsolate | None:
        """A warm isolate for ``name``: one it ran before if any, else a fresh one; None if none is warm."""
        mine = self.by_program.get(name)
        if mine:
            return mine.pop()
        if self.warm:
            box = self.warm.pop()
            self.lock.notify_all()  # the pool thread refills
            return box
        return None

    def wait_for_isolate(self, pid: int, name: str, limits: dict, start_message: bytes) -> None:
        """No isolate was warm: the spawn starts on the next one a pool thread makes."""
        self.waiting_spawns.append((pid, name, limits, start_message))
        self.burst += 1
        self.last_wait = self.last_spawn
        self.lock.notify_all()

    def hold(self, pid: int, message: bytes) -> bool:
        """If ``pid``'s spawn is still waiting for an isolate, keep ``message``
        to deliver after its start message (``held``)."""
        if any(w[0] == pid for w in self.waiting_spawns):
            self._pending_extra.setdefault(pid, []).append(message)
            return True
        return False

    def held(self, pid: int) -> list[bytes]:
        """The messages ``hold`` kept for ``pid``, now that it starts."""
        return self._pending_extra.pop(pid, [])

    def cancel(self, pid: int) -> bool:
        """Forget ``pid``'s waiting spawn (it was killed first); False if none was waiting."""
        before = len(self.waiting_spawns)
        self.waiting_spawns = collections.deque(w for w in self.waiting_spawns if w[0] != pid)
        self._pending_extra.pop(pid, None)
        return len(self.waiting_spawns) < before

    # ---- isolates coming back (self.lock held) --------------------------------
    def recycle(self, box: WarmIsolate, name: str) -> bool:
        """Keep ``box``, whose run of ``name`` exited normally, for the next
        run of ``name``; False if it is not worth keeping (retire it)."""
        if box.iso.heap_limit_reached() or len(self.by_program[name]) >= 2:
            return False
        box.program = name
        box.cpu_at_release = box.cpu_time()
        box.inbox.clear()  # peer messages that came too late
        self.host.mailbox.deliver_raw(box, 0, b'{"t":"recycle"}')
        self.by_program[name].append(box)
        return True

    def lingering(self) -> list[WarmIsolate]:
        """Recycled isolates still running a task: their program kept running after it exited."""
        return [b for v in self.by_program.values() for b in v if b.in_flight]

    def drop(self, box: WarmIsolate) -> None:
        """Take ``box`` out of the per-program pools (the watchdog retires it)."""
        for v in self.by_program.values():
            if box in v:
                v.remove(box)

    def size(self) -> int:
        return len(self.warm) + sum(len(v) for v in self.by_program.values())

    def empty(self) -> list[WarmIsolate]:
        """Every isolate the pool holds, which it no longer does (shutdown)."""
        idle = self.warm + [b for v in self.by_program.values() for b in v]
        self.warm.clear()
        self.by_program.clear()
        return idle

    # ---- isolates going away (no lock needed) ------------------------------------
    def retire(self, box: WarmIsolate, idle: bool = False) -> None:
        """Close ``box`` on the reaper thread; ``idle``: it is running nothing."""
        box.closed = True
        box.idle = idle
        self._reaper.put(box)

    def close(self, box: WarmIsolate, idle: bool = False) -> None:
        box.closed = True
        box.page = None
        box.iso.close(idle=idle or box.idle)
        self.churned = time.monotonic()

    def stop_reaper(self) -> None:
        """The reaper thread ends after closing what was retired before."""
        self._reaper.put(None)

    def quiet(self, now: float) -> bool:
        """Isolates have stopped coming and going: time for housekeeping a burst should not pay for."""
        return now - self.churned > TRIM_QUIET

    def trim_if_quiet(self, now: float) -> None:
        """Give freed memory back once isolates have stopped coming and going (no lock needed)."""
        if self.churned > self.trimmed and self.quiet(now):
            self.trimmed = now
            self._trim()

    # ---- threads (they take the lock themselves) ----------------------------------
    def loop(self) -> None:
        """A pool thread: make isolates while the pool is short of its target, or a spawn waits."""
        host = self.host
        while True:
            with self.lock:
                while not host.stopping and not self._short():
                    if self.waiting_spawns or len(self.warm) < self.pool_target:
                        self.lock.wait()  # isolates are wanted, and enough threads are making them
                        continue
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
                            self.retire(box, idle=True)
                        del self.warm[self.pool_size :]
                        continue
                    self.lock.wait()
                if host.stopping:
                    return
                # Refill only when spawning pauses, unless a spawn is waiting:
                # creating an isolate takes the CPU a starting app needs.
                if not self.waiting_spawns and time.monotonic() - self.last_spawn < 0.01:
                    self.lock.wait(0.01)
                    continue
                self.making += 1
                warm_up = not self.waiting_spawns
            try:
                box = WarmIsolate(host, warm_up=warm_up)  # slow: no lock held
            except Exception as e:  # noqa: BLE001 - e.g. a runtime that does not evaluate
                with self.lock:
                    self.making -= 1
                    self.lock.notify_all()
                self._spawn_failed(f"cannot create an isolate: {e}")
                time.sleep(0.5)
                continue
            with self.lock:
                self.making -= 1
                self.lock.notify_all()  # a thread waiting for its turn to make one may go on
                self.created += 1
                self.churned = time.monotonic()
                if host.stopping:
                    self._reaper.put(box)
                    return
                if self.waiting_spawns:
                    pid, name, limits, msg = self.waiting_spawns.popleft()
                    host._start(box, pid, name, limits, msg)
                else:
                    self.warm.append(box)

    def _short(self) -> bool:
        """Whether a pool thread should make another isolate: more are wanted
        (one for each waiting spawn, and the pool's shortfall of its target)
        than are being made, and fewer are being made than allowed.

        One per CPU normally, so that the next isolate is ready as soon as
        one can be. After a small burst (more than one spawn waiting, or a
        pool grown by one, with at most BURST_AT_ONCE wanted) all the pool
        threads at once: on one CPU they finish no sooner in all, but they
        take it in one short stretch instead of a slice of each request
        that comes meanwhile (the invoker's spares, docs/workers.md: back-
        to-back cold deploys p50 10.4-11.0 ms with one thread, 6.7-7.2 with
        four, same run). A large shortfall (a pool grown by 200) is made one
        per CPU: four threads would take most of the CPU for a second."""
        wanted = len(self.waiting_spawns) + max(0, self.pool_target - len(self.warm))
        burst = (
            len(self.waiting_spawns) > 1 or self.pool_target > self.pool_size
        ) and wanted <= BURST_AT_ONCE
        return self.making < wanted and self.making < (POOL_THREADS if burst else self.cpus)

    def _spawn_failed(self, reason: str) -> None:
        """Every waiting spawn ends at once with status 127 and the reason."""
        host = self.host
        with self.lock:
            failed, self.waiting_spawns = list(self.waiting_spawns), collections.deque()
            for pid, *_ in failed:
                msg = json.dumps({"t": "exit", "code": 127, "reason": reason}).encode()
                host.mailbox.to_kernel(pid, msg)
        if failed:
            host.on_mail()

    def reaper_loop(self) -> None:
        """The reaper thread: close retired isolates."""
        host = self.host
        while True:
            box = self._reaper.get()
            if box is None:
                return
            # An idle isolate can wait: close it when spawning is quiet.  A
            # killed one may still be burning CPU: close it now.
            while box.idle and not host.stopping and time.monotonic() - self.last_spawn < 0.05:
                time.sleep(0.05)
            try:
                self.close(box)
            except Exception:  # noqa: BLE001
                pass
