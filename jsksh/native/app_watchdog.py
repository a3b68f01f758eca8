"""The watchdog: every app's limits, checked from threads of its own.

Limits (jsksh/native/limits.py): the heap limit is V8's
(``set_hard_memory_limit``); ArrayBuffers are counted by the runtime, which
publishes its count in the sys page; CPU time is the isolate thread's own
clock, checked every 10 ms while the isolate runs.  A limit kills the
isolate (the only way to stop a loop inside a promise callback) and the
kernel gets an exit message on the app's behalf: ``machine_kill``, which the
mailbox (app_mailbox.py) calls too, since a heap limit or a runtime fault
shows when the app's task ends.  When the apps' memory passes the machine's
budget the kernel is told, and evicts idle services.

Two of the host's threads run the loops here: the watchdog (CPU,
ArrayBuffers, the memory sum every 100 ms) and the stats thread (heap samples
for ps, top and the memory sum; each round it also lets the pool, app_pool.py,
give freed memory back).  The app table and the lock are the host's
(app_host.py).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from jsksh.native import limits as L

if TYPE_CHECKING:
    from jsksh.native.app_host import App, AppHost


# Seconds memory may stay over budget, while idle apps' start-up garbage is
# being collected, before the kernel is told to evict (check_memory).
GARBAGE_FIRST = 0.5


class Watchdog:
    """The checks on running apps, and the memory budget they share."""

    def __init__(self, host: AppHost, memory_budget: int):
        self.host = host
        self.lock = host.lock
        self.apps = host.apps
        self.on_mail = host.on_mail
        self.memory_budget = memory_budget
        self.pressure_told = 0.0  # when the kernel was last told memory is over budget
        self.pressure_since: float | None = None  # when the apps' memory went over budget
        self.memory_cached = 0  # memory_used() as of the watchdog's last round

    def kill_over_heap(self, app: App) -> None:
        """V8 stopped ``app`` at its heap limit: end it with 137 and say why."""
        heap = L.describe("heap", app.limits["heap"])
        self.machine_kill(app, f"heap limit exceeded ({heap})", L.STATUS_HEAP)

    def machine_kill(self, app: App, reason: str, status: int) -> None:
        """Stop an app for breaking a limit and tell the kernel on its behalf."""
        host = self.host
        with self.lock:
            if self.apps.get(app.pid) is not app:
                return
            del self.apps[app.pid]
            host._gone(app, reason)
            msg = json.dumps({"t": "exit", "code": status, "reason": reason}).encode()
            host.mailbox.to_kernel(app.pid, msg)
        host.pool.retire(app.box)
        self.on_mail()

    def memory_used(self) -> int:
        """Heap (as last sampled) plus ArrayBuffer bytes, over all apps."""
        with self.lock:
            return sum((a.heap_used or 0) + a.box.external_bytes() for a in self.apps.values())

    def memory(self) -> dict:
        """The apps' memory, summed now (heaps as last sampled), and the budget.

        Summed at each ask, not taken from the watchdog's last round: the
        kernel asks before each spawn, and right after it has evicted
        services for room; a sum up to 100 ms old still counted the apps it
        had just stopped, and the next spawn evicted again, until nothing
        was left and the spawn was refused for memory it had freed."""
        return {"used": self.memory_used(), "budget": self.memory_budget}

    def check_memory(self) -> None:
        """Tell the kernel (at most every 200 ms) while the apps' memory is over budget.

        Garbage first, as Linux reclaims its caches before it kills: while idle
        apps whose start-up garbage was never collected remain (stats_loop
        collects them now, pressure or quiet), the kernel is told only once
        the pressure has lasted GARBAGE_FIRST seconds."""
        used = self.memory_cached = self.memory_used()
        now = time.monotonic()
        if used <= self.memory_budget:
            self.pressure_since = None
            return
        if self.pressure_since is None:
            self.pressure_since = now
        if now - self.pressure_since < GARBAGE_FIRST and self.uncollected_idle():
            return
        if now - self.pressure_told > 0.2:
            self.pressure_told = now
            self.host.mailbox.tell_kernel({"t": "pressure", "used": used, "budget": self.memory_budget})

    def uncollected_idle(self) -> bool:
        """Is there an idle app whose first full GC has not run yet?"""
        with self.lock:
            return any(not a.collected and not a.box.in_flight for a in self.apps.values())

    # ---- threads -------------------------------------------------------------
    def loop(self) -> None:
        # Every 10 ms the isolates running a posted task are checked; every
        # 100 ms all of them, since a loop in a promise callback can outlive
        # the task that queued it.  (Checking 1,000 sleeping isolates every
        # 10 ms would cost a fifth of a core.)  Memory is summed every 100 ms.
        host = self.host
        rounds = 0
        while not host.stopping:
            time.sleep(0.01)
            rounds += 1
            with self.lock:
                everyone = rounds % 10 == 0
                # An armed CPU budget is tens of ms: its app is looked at every round.
                running = [a for a in self.apps.values() if everyone or a.box.in_flight or a.cpu_budget_hot]
                leftovers = host.pool.lingering()
            for app in running:
                used = app.box.cpu_time()
                if used - app.cpu_base > app.limits["cpu"]:
                    cpu = L.describe("cpu", app.limits["cpu"])
                    self.machine_kill(app, f"CPU time limit exceeded ({cpu})", L.STATUS_CPU)
                elif app.cpu_deadline is not None and used > app.cpu_deadline:
                    budget = app.cpu_budget_ms
                    spent = (used - app.cpu_deadline) * 1000 + budget  # since it was armed
                    self.machine_kill(
                        app,
                        f"CPU time limit exceeded ({budget} ms budget, {spent:.0f} ms used)",
                        L.STATUS_CPU,
                    )
                elif app.box.external_bytes() > app.limits["external"]:
                    self.machine_kill(app, "ArrayBuffer limit exceeded", L.STATUS_EXTERNAL)
                elif used != app.cpu_heap_checked:
                    # V8 stops a program at the heap limit, but inside a
                    # promise callback that ran after its task had ended no
                    # error comes back: the app would wait for ever. Asked
                    # only of apps that ran since the last look (the flag is sticky).
                    app.cpu_heap_checked = used
                    if app.box.iso.heap_limit_reached():
                        self.kill_over_heap(app)
            for box in leftovers:  # a program that kept running after it exited
                if box.cpu_time() - box.cpu_at_release > 1.0:
                    with self.lock:
                        host.pool.drop(box)
                    host.pool.retire(box)
            if rounds % 10 == 0:
                self.check_memory()

    def stats_loop(self) -> None:
        # Heap statistics are a task on the isolate's own thread, so a busy app
        # would block whoever asks: this thread asks idle apps and caches.
        # Apps are first sampled when 200 ms old (most commands are gone by
        # then, and a burst of spawns must not pay for a GC each), then every
        # 2 s if they have sent or received a message since, at most 50
        # samples a round (each costs about 0.5 ms).  An app's first idle
        # moment also collects its garbage in full (a low-memory notification:
        # what start-up left behind, about 40 KiB an isolate), but only once
        # isolates have stopped coming and going (the pool's quiet()): at 1.5-2
        # ms each, a burst of new workers paid a sixth of its CPU for it
        # (bench/worker_cold.py, back to back).  Not re-sampling a
        # sleeping app matters: each sample leaves ~100 KiB of garbage in its
        # heap that an idle isolate never collects, and 1,000 sleeping apps
        # would "grow" by 50 MiB a second.
        host = self.host
        while not host.stopping:
            time.sleep(0.05)
            now = time.monotonic()
            host.pool.trim_if_quiet(now)
            # Quiet, or memory over budget: then garbage is collected before anything is evicted.
            quiet = host.pool.quiet(now) or self.memory_cached > self.memory_budget
            with self.lock:
                due = [
                    a
                    for a in self.apps.values()
                    if not a.box.in_flight
                    and now - a.started > 0.2
                    and (
                        a.heap_used is None
                        or (quiet and not a.collected)
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
                    if quiet and not app.collected:
                        # First time idle, and quiet: a full GC returns what start-up
                        # left behind (about 40 KiB an isolate; 1,000 sleeping apps add up).
                        app.box.iso.low_memory_notification()
                        app.collected = True
                    stats = json.loads(app.box.iso.heap_stats())
                    app.heap_used = stats.get("used_heap_size", 0)
                    app.heap_sampled = time.monotonic()
                    app.sampled_activity = app.activity()
                except Exception:  # noqa: BLE001 - an isolate that died meanwhile
                    pass
