"""The mailbox: messages between apps and the kernel, and between connected apps.

Every message an app sends or receives passes here, on the isolate's own
thread (its POST and RECV traps, app_host.py) or the kernel's (its sends and
IPC_RECV, jsksh/machine/machine.py).  Messages cross as frames
``u32 pid, u32 len, u32 flags, bytes`` (jsksh/native/frames.py) laid into the
app's page after its first ``PAYLOAD`` bytes (docs/abi.md §2).

* To the kernel: app -> kernel messages queue in the kernel's inbox until the
  kernel claims them (IRQ line 1, IPC_RECV: ``take_for_kernel``).  An app that
  outruns the kernel by more than ``QUEUE_LIMIT`` bytes blocks in its send
  trap: back-pressure, not growth.
* To an app: messages queue in the isolate's inbox, and one posted call of the
  runtime's ``__wake`` at a time takes them (RECV packs as many as fit in the
  page).  After a turn that took messages the runtime may ask to be woken
  once more, to see whether anything is left to do (kernel/app/life.js).
* Peer messages (RPC between apps): the kernel decides who may talk to whom
  (``connect``); the messages themselves go straight from the sender's trap
  to the receiver's inbox, without waking the kernel isolate: two thread
  wake-ups a round trip instead of four (docs/architecture.md, "RPC").  A
  full inbox (``queue`` messages) blocks its senders: back-pressure.

The mailbox holds the kernel's inbox and the count of blocked senders; the
app table and the lock are the host's (app_host.py), and every method that
says so expects the lock held.  A frame that breaks the rules, or a wake that
ends in a heap or runtime fault, goes to the watchdog (app_watchdog.py,
``machine_kill``).
"""

from __future__ import annotations

import collections
import json
import struct
import time
from typing import TYPE_CHECKING

from jsksh.native import frames
from jsksh.native import limits as L
from jsksh.native.frames import FRAME, MORE, REPLY
from jsksh.native.tracer import message_name
from jsksh.native.v8 import JSError

if TYPE_CHECKING:
    from jsksh.native.app_host import App, AppHost
    from jsksh.native.app_pool import WarmIsolate

PAYLOAD = 64  # where the payload starts in an app's page (docs/abi.md §2)
QUEUE_LIMIT = 1 << 20  # bytes an app may have queued for the kernel before it blocks
ESRCH, EAGAIN, EINVAL = -3, -11, -22
_ZERO8 = bytes(8)


class Mailbox:
    """The kernel's inbox, and the way into every app's."""

    def __init__(self, host: AppHost):
        self.host = host
        self.lock = host.lock
        self.apps = host.apps
        self.on_mail = host.on_mail  # called (no lock held) when the kernel has messages waiting
        self.kernel_inbox: collections.deque[tuple[int, bytes, int]] = collections.deque()
        self.blocked_senders = 0  # apps waiting in POST for room in a peer's inbox

    # ---- the kernel's side -----------------------------------------------------
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

    def to_kernel(self, pid: int, message: bytes) -> None:
        """Queue a whole message for the kernel, from ``pid`` or on its behalf
        (0: the machine itself); lock held, and the caller wakes the kernel."""
        self.kernel_inbox.append((pid, message, 0))

    def tell_kernel(self, message: dict) -> None:
        """A message from the machine itself (pid 0), e.g. memory pressure."""
        with self.lock:
            self.kernel_inbox.append((0, json.dumps(message).encode(), 0))
        self.on_mail()

    def connect(self, a: int, b: int) -> int:
        """Let apps ``a`` and ``b`` post to each other (the kernel granted it)."""
        with self.lock:
            app_a, app_b = self.apps.get(a), self.apps.get(b)
            if app_a is None or app_b is None or a == b:
                return ESRCH
            app_a.peers.add(b)
            app_b.peers.add(a)
        return 0

    # ---- into an app (self.lock held unless noted) ----------------------------
    def deliver(self, app: App, sender: int, message: bytes, more: int = 0) -> None:
        if not more:
            app.msgs_in += 1
            app.last_active = time.monotonic()
        self.deliver_raw(app.box, sender, message, more)

    def start(self, app: App, message: bytes) -> None:
        """The start message, the first a program gets: not through the inbox
        and RECV but as a call of the runtime's ``__start`` with the message
        as its receiver (kernel/app/loader.js).  A start message carries the
        program's code and every library it links (200 KB for `worker`):
        through the pages it cost the app a copy per page and a UTF-8 decode
        in JavaScript, here one C call makes it a V8 string.  Posted before
        anything else for the app, so it is handled first."""
        app.msgs_in += 1
        app.last_active = time.monotonic()
        box = app.box
        box.took_messages = True  # as a RECV that took it: then a lingering app looks whether it is done
        self._call(box, box.start, this=message)

    def deliver_raw(self, box: WarmIsolate, sender: int, message: bytes, more: int = 0) -> None:
        box.inbox.append((sender, message, more))
        self._wake(box)

    def _wake(self, box: WarmIsolate) -> None:
        """Queue a call of the runtime's ``__wake`` unless one is queued already."""
        if not box.wake_posted:
            box.wake_posted = True
            self._call(box, box.wake)

    def _call(self, box: WarmIsolate, fn, this: bytes | None = None) -> None:
        """Queue a call of ``fn`` on ``box``'s thread, counted in flight; _task_done sees it end."""
        box.in_flight += 1
        box.iso.post(fn, lambda _v, err, b=box: self._task_done(b, err), this=this)

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
                self._wake(box)
        if err is None or box.closed or app is None:
            if app is not None and box.external_bytes() > app.limits["external"]:
                self.host.watchdog.machine_kill(app, "ArrayBuffer limit exceeded", L.STATUS_EXTERNAL)
            return
        # V8 reports a heap-limit termination as "oom" or, inside a promise
        # callback, as a bare termination: the sticky flag tells them apart.
        if err.kind == "oom" or box.iso.heap_limit_reached():
            self.host.watchdog.kill_over_heap(app)
        elif err.kind != "terminated":
            self.host.watchdog.machine_kill(
                app, f"runtime fault: {str(err).strip().splitlines()[0]}", L.STATUS_FAULT
            )

    def wake_again(self, box: WarmIsolate) -> None:
        """Queue a wake for ``box`` (isolate thread): a new task, after this one."""
        with self.lock:
            if box.app is not None:
                self._wake(box)

    # ---- an app's traps (isolate thread) ------------------------------------------
    def to_app_page(self, box: WarmIsolate) -> tuple[int, int]:
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

    def post(self, box: WarmIsolate, page: memoryview, n: int) -> int:
        """An app posted frames ``u32 to, u32 len, u32 flags, bytes`` to its peers (isolate thread).

        Returns how many frames went; fewer than were given means the next
        one failed: its error (ESRCH: no such peer; EAGAIN: the peer's inbox
        stayed full) is in the runtime's page at offset 28."""
        sent, at, end = 0, PAYLOAD, PAYLOAD + n
        mail = False
        error = 0
        tracer = self.host.tracer
        with self.lock:
            app = box.app
            while at + FRAME <= end:
                to, length, flags = frames.unpack(page, at)
                if tracer.on:
                    piece = bytes(page[at + FRAME : at + FRAME + min(length, 96)])
                    whom = "kernel" if to == 0 else f"pid {to}"
                    tracer.emit(
                        "msg", box.iso.track, f"-> {whom}", tracer.now(), 0.0, length, message_name(piece)
                    )
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
            self.host.watchdog.machine_kill(app, "runtime fault: a malformed message frame", L.STATUS_FAULT)
        return sent

    def _from_app(self, app: App, piece: bytes, more: int) -> bool:
        """A frame for the kernel (isolate thread, lock held); True if the kernel must be woken."""
        if app.queued > QUEUE_LIMIT and self.kernel_inbox:
            # The kernel must hear of what this POST queued before we wait for
            # it to make room (post() wakes it only after the last frame): a
            # 1 MiB kernel call waited for an unrelated interrupt, 15 s or more.
            self.on_mail()  # raise_irq takes only the machine's IRQ lock: safe under ours
        while app.alive and app.queued > QUEUE_LIMIT and not self.host.stopping:
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
                    if not (app.alive and peer.alive) or self.host.stopping or left <= 0:
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
        self.deliver(peer, app.pid, data, more)
        return 0
