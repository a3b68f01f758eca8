"""--net-faults (jsksh/machine/netdev/faults.py): the spec's syntax, and each
fault on a fake backend with a fixed seed and a fake clock."""

from __future__ import annotations

import heapq
import itertools

import pytest

from jsksh.machine.netdev.base import NetBackend
from jsksh.machine.netdev.faults import ETH_HEADER, FaultSpec, FaultyBackend, parse_spec

N = 20_000


class FakeClock:
    """call_later's stand-in: timers run when the test advances time."""

    def __init__(self):
        self.now = 0.0
        self._timers: list = []
        self._seq = itertools.count()

    def schedule(self, delay, fn):
        heapq.heappush(self._timers, (self.now + delay, next(self._seq), fn))

    def advance(self, seconds):
        end = self.now + seconds
        while self._timers and self._timers[0][0] <= end:
            self.now, _, fn = heapq.heappop(self._timers)
            fn()
        self.now = end


class Wire(NetBackend):
    """The backend's side: records what the guest sent, and can send it frames."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.sent: list[bytes] = []

    def send(self, frame):
        self.sent.append(frame)


def frame(i: int, size: int = 60) -> bytes:
    return b"\xff" * 12 + b"\x08\x00" + i.to_bytes(4, "big") + bytes(size - ETH_HEADER - 4)


def rig(spec: str):
    wire, clock = Wire(), FakeClock()
    nic = FaultyBackend(wire, parse_spec(spec), clock.schedule)
    got: list[bytes] = []
    nic.attach(got.append)
    return nic, wire, got, clock


def index(f: bytes) -> int:
    return int.from_bytes(f[ETH_HEADER : ETH_HEADER + 4], "big")


# -- the spec -----------------------------------------------------------------------


def test_a_full_spec_parses_and_prints_back_as_itself():
    text = "drop=0.05,corrupt=0.01,duplicate=0.01,reorder=0.02,delay=5ms±2ms,seed=42,dir=rx"
    spec = parse_spec(text)
    assert spec == FaultSpec(0.05, 0.01, 0.01, 0.02, 0.005, 0.002, seed=42, directions=("rx",))
    assert str(spec) == text
    assert parse_spec("drop=5%,delay=1+-0.5ms,hold=2ms,dup=1%").duplicate == 0.01
    assert parse_spec("delay=500us").delay == pytest.approx(0.0005)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("drop", "'drop' is not KEY=VALUE"),
        ("drop=", "'drop=' is not KEY=VALUE"),
        ("drop=1.5", "drop '1.5' is outside 0-1"),
        ("drop=-1%", "drop '-1%' is outside 0-1"),
        ("drop=nan", "drop 'nan' is outside 0-1"),
        ("corrupt=lots", "corrupt 'lots' is not a rate (0.05 or 5%)"),
        ("delay=5 minutes", "delay '5 minutes' is not a duration"),
        ("delay=20s", "longer than 10 s"),
        ("drop=0.1,drop=0.2", "drop given twice"),
        ("seed=-3,drop=0.1", "seed '-3' is not a non-negative integer"),
        ("dir=up,drop=0.1", "dir 'up': expected both, rx"),
        ("loss=0.1", "unknown key 'loss'"),
        ("seed=4", "no fault given"),
        ("reorder=0.1,hold=0", "hold must be more than 0"),
    ],
)
def test_a_bad_spec_is_rejected_with_its_reason_and_the_keys(text, message):
    with pytest.raises(ValueError) as err:
        parse_spec(text)
    assert str(err.value).startswith(f"--net-faults {text!r}: ")
    assert message in str(err.value)
    assert "keys: drop, corrupt" in str(err.value)


# -- the faults ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["drop", "corrupt", "duplicate", "reorder"])
def test_each_rate_holds_over_many_frames(name):
    nic, _, _, clock = rig(f"{name}=0.05,seed=7,dir=tx")
    for i in range(N):
        nic.send(frame(i))
    clock.advance(1)
    counted = nic.describe()["faults"]["tx"]
    assert counted["frames"] == N
    done = counted[
        {"drop": "dropped", "corrupt": "corrupted", "duplicate": "duplicated", "reorder": "reordered"}[name]
    ]
    # 5 % of 20,000 is 1,000 with a standard deviation of about 31: 5 sigma either side.
    assert 845 < done < 1155, counted


def test_drop_rate_shows_in_what_arrives():
    nic, wire, _, _ = rig("drop=0.1,seed=3")
    for i in range(N):
        nic.send(frame(i))
    assert abs(len(wire.sent) - 0.9 * N) < 5 * (N * 0.09) ** 0.5
    assert [index(f) for f in wire.sent] == sorted(index(f) for f in wire.sent), "drop alone keeps order"


def test_the_same_seed_gives_the_same_decisions_and_another_seed_others():
    def run(seed):
        nic, wire, got, clock = rig(f"drop=0.1,corrupt=0.1,duplicate=0.1,reorder=0.1,seed={seed}")
        for i in range(2000):
            nic.send(frame(i))
            nic.inner.deliver(frame(i))
        clock.advance(1)
        return wire.sent, got

    assert run(42) == run(42)
    assert run(42) != run(43)


def test_the_directions_draw_apart_so_interleaving_does_not_change_them():
    nic, wire, _, _ = rig("drop=0.3,seed=9")
    for i in range(500):
        nic.send(frame(i))
    alone = list(wire.sent)
    nic, wire, _, _ = rig("drop=0.3,seed=9")
    for i in range(500):
        nic.inner.deliver(frame(i))  # received frames in between
        nic.send(frame(i))
    assert wire.sent == alone


def test_corrupt_flips_exactly_one_bit_past_the_ethernet_header():
    nic, wire, _, _ = rig("corrupt=1,seed=5,dir=tx")
    positions = set()
    for i in range(2000):
        original = frame(i, size=64)
        nic.send(original)
        sent = wire.sent[-1]
        assert len(sent) == len(original)
        diff = [(k, a ^ b) for k, (a, b) in enumerate(zip(original, sent, strict=True)) if a != b]
        assert len(diff) == 1 and bin(diff[0][1]).count("1") == 1, diff
        positions.add(diff[0][0])
    assert min(positions) == ETH_HEADER and max(positions) == 63, "every byte past the header, and only those"


def test_a_frame_with_nothing_past_the_header_is_not_corrupted():
    nic, wire, _, _ = rig("corrupt=1,seed=5")
    nic.send(b"\x01" * ETH_HEADER)
    assert wire.sent == [b"\x01" * ETH_HEADER]
    assert nic.describe()["faults"]["tx"]["corrupted"] == 0


def test_duplicate_delivers_twice_in_both_directions():
    nic, wire, got, _ = rig("duplicate=1,seed=1")
    nic.send(frame(1))
    nic.inner.deliver(frame(2))
    assert wire.sent == [frame(1), frame(1)]
    assert got == [frame(2), frame(2)]


def test_reorder_sends_a_held_frame_after_the_next_one():
    nic, wire, _, clock = rig("reorder=1,seed=1,dir=tx")
    for i in range(6):
        nic.send(frame(i))
    # Each frame is chosen; one is held at a time, and the next overtakes it.
    assert [index(f) for f in wire.sent] == [1, 0, 3, 2, 5, 4]
    assert nic.describe()["faults"]["tx"]["reordered"] == 3


def test_a_held_frame_goes_after_the_hold_time_when_none_follows():
    nic, wire, _, clock = rig("reorder=1,hold=5ms,seed=1")
    nic.send(frame(0))
    clock.advance(0.004)
    assert wire.sent == []
    clock.advance(0.002)
    assert wire.sent == [frame(0)]
    nic.send(frame(1))  # a new hold, with a timer of its own; the old one's is spent
    clock.advance(0.006)
    assert wire.sent == [frame(0), frame(1)]


def test_delay_holds_frames_the_given_time():
    nic, wire, got, clock = rig("delay=5ms,seed=1")
    nic.send(frame(0))
    clock.advance(0.002)
    nic.send(frame(1))
    nic.inner.deliver(frame(2))
    clock.advance(0.0029)
    assert wire.sent == [] and got == []
    clock.advance(0.0002)  # 5.1 ms after frame 0
    assert wire.sent == [frame(0)]
    clock.advance(0.002)
    assert wire.sent == [frame(0), frame(1)] and got == [frame(2)]


def test_jitter_spreads_delays_within_its_bounds():
    wire, clock = Wire(), FakeClock()
    arrived = {}
    wire.send = lambda f: arrived.setdefault(index(f), clock.now)
    nic = FaultyBackend(wire, parse_spec("delay=5ms±2ms,seed=2"), clock.schedule)
    for i in range(1000):
        nic.send(frame(i))
    clock.advance(1)
    delays = list(arrived.values())
    assert len(delays) == 1000
    assert 0.003 <= min(delays) < 0.0031 and 0.0069 < max(delays) <= 0.007


def test_dir_rx_leaves_transmitted_frames_alone():
    nic, wire, got, _ = rig("drop=1,dir=rx,seed=1")
    nic.send(frame(0))
    nic.inner.deliver(frame(1))
    assert wire.sent == [frame(0)] and got == []
    assert set(nic.describe()["faults"]) == {"spec", "rx"}
    nic, wire, got, _ = rig("drop=1,dir=tx,seed=1")
    nic.send(frame(0))
    nic.inner.deliver(frame(1))
    assert wire.sent == [] and got == [frame(1)]


def test_no_seed_draws_one_and_describe_names_it():
    nic, *_ = rig("drop=0.5")
    spec = nic.describe()["faults"]["spec"]
    assert spec.startswith("drop=0.5,seed=")
    assert parse_spec(spec).seed == nic.spec.seed


def test_the_wrapper_keeps_the_inner_backend_s_stats_and_link():
    nic, wire, _, _ = rig("drop=0.1,seed=1")
    assert nic.stats is wire.stats and nic.name == "fake+faults"
    assert nic.describe()["backend"] == "fake"


def test_without_the_option_nothing_is_wrapped():
    from jsksh.machine.ioloop import IOLoop
    from jsksh.machine.netdev.factory import make_backend

    loop = IOLoop()
    try:
        assert type(make_backend("none", loop)) is NetBackend
        wrapped = make_backend("none", loop, faults="drop=0.1,seed=1")
        assert isinstance(wrapped, FaultyBackend) and wrapped.inner.name == "none"
        with pytest.raises(ValueError, match="unknown key"):
            make_backend("none", loop, faults="bogus=1")
    finally:
        loop.stop()
