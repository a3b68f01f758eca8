"""--net-faults SPEC: a bad cable on purpose: drop, corrupt, duplicate, reorder and delay frames.

Like smoltcp's phy::FaultInjector (its examples' --drop-chance and
--corrupt-chance) and Linux's netem, which this machine's kernel lacks: a
wrapper that sits between the NIC and any backend (user, tap, stream), so the
guest's TCP meets loss and disorder on every backend the same way.  Each
direction has its own PRNG, random.Random seeded from the spec's seed, so the
same seed and the same frames give the same decisions: print the seed, and a
failing run replays.  Delays and reorder holds are timers on the I/O loop
(ioloop.py, call_later); the frames they release go out from the I/O thread.

Each frame, in this order (docs/network.md, "Fault injection"):
  drop       it never arrives;
  corrupt    one random bit of one random byte past the 14-byte Ethernet
             header is flipped, so the IP, UDP or TCP checksum catches it;
  duplicate  it arrives twice;
  delay      it waits DELAY ± JITTER (uniform), so jitter reorders too;
  reorder    it is held until the next frame has gone (or HOLD has passed).
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from collections.abc import Callable

from jsksh.machine.netdev.base import Deliver, NetBackend

ETH_HEADER = 14  # destination, source, EtherType: corrupting these only misroutes
DEFAULT_HOLD = 0.010  # a reordered frame waits at most this long for another to overtake it
KEYS = "drop, corrupt, duplicate, reorder (rates: 0.05 or 5%), delay=MS[±MS], hold=MS, seed=N, dir=both|rx|tx"
RATES = ("drop", "corrupt", "duplicate", "reorder")
DIRECTIONS = {"both": ("tx", "rx"), "tx": ("tx",), "rx": ("rx",)}
COUNTERS = ("frames", "dropped", "corrupted", "duplicated", "delayed", "reordered")

# Schedule(delay_seconds, fn): the I/O loop's call_later, or a fake clock's in tests.
Schedule = Callable[[float, Callable[[], None]], None]


@dataclasses.dataclass(frozen=True)
class FaultSpec:
    drop: float = 0.0
    corrupt: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0  # seconds
    jitter: float = 0.0  # seconds either side of delay
    hold: float = DEFAULT_HOLD  # seconds a reordered frame waits at most
    seed: int | None = None  # None: the wrapper draws one (and says which)
    directions: tuple[str, ...] = ("tx", "rx")

    def __str__(self) -> str:
        """The spec in the option's own syntax (what to pass to replay a run)."""
        parts = [f"{name}={getattr(self, name):g}" for name in RATES if getattr(self, name)]
        if self.delay or self.jitter:
            parts.append(f"delay={_ms(self.delay)}" + (f"±{_ms(self.jitter)}" if self.jitter else ""))
        if self.reorder and self.hold != DEFAULT_HOLD:
            parts.append(f"hold={_ms(self.hold)}")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        direction = next(k for k, v in DIRECTIONS.items() if v == self.directions)
        if direction != "both":
            parts.append(f"dir={direction}")
        return ",".join(parts)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:g}ms"


# -- the option's syntax ----------------------------------------------------------


def parse_spec(text: str) -> FaultSpec:
    """`drop=0.05,corrupt=1%,delay=5ms±2ms,seed=42,dir=rx` -> FaultSpec; ValueError says what is wrong."""
    values: dict = {}
    if not text.strip():
        raise _bad(text, "empty")
    for item in text.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq or not value:
            raise _bad(text, f"{item.strip()!r} is not KEY=VALUE")
        key = {"dup": "duplicate"}.get(key, key)
        if key in values or (key == "delay" and "jitter" in values):
            raise _bad(text, f"{key} given twice")
        if key in RATES:
            values[key] = _rate(text, key, value)
        elif key == "delay":
            base, sep, spread = _split_jitter(value)
            values["delay"] = _duration(text, key, base)
            if sep:
                values["jitter"] = _duration(text, key, spread)
        elif key == "hold":
            values["hold"] = _duration(text, key, value)
            if values["hold"] <= 0:
                raise _bad(text, "hold must be more than 0")
        elif key == "seed":
            if not re.fullmatch(r"\d+", value):
                raise _bad(text, f"seed {value!r} is not a non-negative integer")
            values["seed"] = int(value)
        elif key == "dir":
            if value not in DIRECTIONS:
                raise _bad(text, f"dir {value!r}: expected both, rx (to the guest) or tx (from the guest)")
            values["directions"] = DIRECTIONS[value]
        else:
            raise _bad(text, f"unknown key {key!r}")
    spec = FaultSpec(**values)
    if not any(getattr(spec, name) for name in RATES) and not (spec.delay or spec.jitter):
        raise _bad(text, "no fault given (every rate is 0 and there is no delay)")
    return spec


def _split_jitter(value: str) -> tuple[str, str, str]:
    for sep in ("±", "+/-", "+-"):
        base, found, spread = value.partition(sep)
        if found:
            return base, found, spread
    return value, "", ""


def _rate(text: str, key: str, value: str) -> float:
    try:
        rate = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise _bad(text, f"{key} {value!r} is not a rate (0.05 or 5%)") from None
    if not 0.0 <= rate <= 1.0:  # also rejects nan
        raise _bad(text, f"{key} {value!r} is outside 0-1 (0 %-100 %)")
    return rate


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "": 1e-3}  # a bare number is milliseconds


def _duration(text: str, key: str, value: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)(us|ms|s|)", value.strip())
    if not m:
        raise _bad(text, f"{key} {value!r} is not a duration (5ms, 500us, 0.1s)")
    seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds > 10:
        raise _bad(text, f"{key} {value!r} is longer than 10 s")
    return seconds


def _bad(text: str, why: str) -> ValueError:
    return ValueError(f"--net-faults {text!r}: {why}; keys: {KEYS}")


# -- the injector -----------------------------------------------------------------


def corrupt(frame: bytes, rng: random.Random) -> bytes:
    """The frame with one bit flipped in one byte past the Ethernet header."""
    data = bytearray(frame)
    data[rng.randrange(ETH_HEADER, len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


class FaultLine:
    """One direction of the cable: frames in through push(), out through emit().

    Decisions are made under a lock (the rx side is pushed from the I/O thread
    and from a transmit's busy poll); frames are emitted outside it, since
    emitting to the NIC takes the device's lock, which the kernel thread may
    hold while it pushes (a transmit that polls).
    """

    def __init__(self, spec: FaultSpec, rng: random.Random, emit: Deliver, schedule: Schedule):
        self.spec = spec
        self.rng = rng
        self.emit = emit
        self.schedule = schedule
        self.counters = dict.fromkeys(COUNTERS, 0)
        self._lock = threading.Lock()
        self._held: list[bytes] | None = None  # a reordered frame (and its duplicate) waiting
        self._hold_id = 0  # which hold a hold timer belongs to

    def push(self, frame: bytes) -> None:
        spec, rng, c = self.spec, self.rng, self.counters
        with self._lock:
            c["frames"] += 1
            if spec.drop and rng.random() < spec.drop:
                c["dropped"] += 1
                return
            if spec.corrupt and rng.random() < spec.corrupt and len(frame) > ETH_HEADER:
                frame = corrupt(frame, rng)
                c["corrupted"] += 1
            copies = [frame]
            if spec.duplicate and rng.random() < spec.duplicate:
                copies.append(frame)
                c["duplicated"] += 1
            delay = 0.0
            if spec.delay or spec.jitter:
                delay = max(0.0, spec.delay + rng.uniform(-spec.jitter, spec.jitter))
            reorder = bool(spec.reorder) and rng.random() < spec.reorder
            if delay > 0:
                c["delayed"] += 1
                out = []
                self.schedule(delay, lambda: self._release(copies, reorder))
            else:
                out = self._arrive(copies, reorder)
        for f in out:
            self.emit(f)

    def _release(self, copies: list[bytes], reorder: bool) -> None:
        """A delayed frame's timer (I/O thread): on to the reorder stage."""
        with self._lock:
            out = self._arrive(copies, reorder)
        for f in out:
            self.emit(f)

    def _arrive(self, copies: list[bytes], reorder: bool) -> list[bytes]:
        """Under the lock: what goes out now.  A frame chosen for reordering is
        held while nothing else is; the next frame goes out first, then it."""
        held = self._held
        if reorder and held is None:
            self.counters["reordered"] += 1
            self._held = copies
            self._hold_id += 1
            hold_id = self._hold_id
            self.schedule(self.spec.hold, lambda: self._hold_expired(hold_id))
            return []
        if held is None:
            return copies
        self._held = None
        return copies + held

    def _hold_expired(self, hold_id: int) -> None:
        """Nothing came to overtake the held frame in time: let it go."""
        with self._lock:
            if self._held is None or self._hold_id != hold_id:
                return
            out, self._held = self._held, None
        for f in out:
            self.emit(f)


class FaultyBackend(NetBackend):
    """Wraps a backend; frames the chosen directions carry go through a FaultLine."""

    def __init__(self, inner: NetBackend, spec: FaultSpec, schedule: Schedule):
        super().__init__()
        self.inner = inner
        self.spec = spec = seeded(spec)
        self.name = f"{inner.name}+faults"
        self.link_up = inner.link_up
        self.stats = inner.stats  # the counters are the inner backend's
        seed = spec.seed
        # One PRNG per direction, so what happens to transmitted frames does not
        # depend on how received ones interleave with them (threads, timing).
        self.lines: dict[str, FaultLine] = {}
        if "tx" in self.spec.directions:
            self.lines["tx"] = FaultLine(self.spec, random.Random(f"{seed}/tx"), inner.send, schedule)
        if "rx" in self.spec.directions:
            self.lines["rx"] = FaultLine(
                self.spec, random.Random(f"{seed}/rx"), lambda f: self.deliver(f), schedule
            )
        rx = self.lines.get("rx")
        inner.attach(rx.push if rx else lambda f: self.deliver(f))
        tx = self.lines.get("tx")
        self.send = tx.push if tx else inner.send  # type: ignore[method-assign]

    def attach(self, deliver: Deliver) -> None:
        self.deliver = deliver

    def poll(self) -> None:
        self.inner.poll()  # what it delivers comes back through the rx line

    def close(self) -> None:
        self.inner.close()

    def describe(self) -> dict:
        return {
            **self.inner.describe(),
            "faults": {"spec": str(self.spec), **{d: dict(line.counters) for d, line in self.lines.items()}},
        }


def seeded(spec: FaultSpec) -> FaultSpec:
    """The spec with a seed: its own, or a fresh one to print so the run can be replayed."""
    if spec.seed is not None:
        return spec
    return dataclasses.replace(spec, seed=random.SystemRandom().randrange(1 << 32))
