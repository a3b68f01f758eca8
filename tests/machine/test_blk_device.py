"""virtio-blk (jsksh/machine/virtio/blk.py) against hand-laid rings (tests/machine/driverside.py).

Requests are literal bytes: a 16-byte header `le32 type, le32 reserved, le64
sector`, data, then one status byte (virtio 1.2 §5.2.6), in descriptors cut
the way a test wants.  The image is a real file in tmp_path.
"""

import struct
import threading

import pytest

from jsksh.disk.faults import parse_spec
from jsksh.disk.image import DiskImage, create_image
from jsksh.disk.recorder import WriteLog
from jsksh.machine.memory import Memory
from jsksh.machine.virtio import blk, mmio
from jsksh.machine.virtio.blk import BlkDevice
from tests.machine.driverside import DriverQueue, bring_up

IRQ = 7
HDR, DATA, STATUS = 0x1000, 0x2000, 0x1F00
SECTORS = 64  # a 32 KiB disk
FEATURES = 1 << blk.VIRTIO_BLK_F_BLK_SIZE | 1 << blk.VIRTIO_BLK_F_FLUSH | 1 << blk.VIRTIO_BLK_F_CONFIG_WCE


def header(kind, sector, at=HDR, mem=None):
    mem[at : at + 16] = struct.pack("<IIQ", kind, 0, sector)


@pytest.fixture
def rig(tmp_path):
    path = tmp_path / "disk.img"
    create_image(str(path), SECTORS * 512)
    image = DiskImage(str(path))
    mem = bytearray(0x40000)
    log = WriteLog()
    dev = BlkDevice(image, recorder=log, clock=lambda: 1.5)
    irqs = []
    t = mmio.MmioTransport(dev, slot=3, irq=IRQ, raise_irq=irqs.append)
    t.memory = Memory(mem)
    q = DriverQueue(mem, 16, 0)
    bring_up(t, FEATURES, {0: q})
    yield mem, t, q, image, log, irqs
    dev.close()
    image.close()


def kick(t):
    """QueueNotify, then wait for the device's I/O thread to complete what it took."""
    t.write32(mmio.QUEUE_NOTIFY, 0)
    t.device.drain()


def test_identity_features_and_config(rig):
    _, t, _, _, _, _ = rig
    assert t.read32(mmio.DEVICE_ID) == 2
    # SEG_MAX 2, BLK_SIZE 6, FLUSH 9, CONFIG_WCE 11 (§5.2.3)
    assert t.read32(mmio.DEVICE_FEATURES) == 1 << 2 | 1 << 6 | 1 << 9 | 1 << 11
    config = b"".join(t.read32(mmio.CONFIG + off).to_bytes(4, "little") for off in range(0, 36, 4))
    assert config[0:8] == (64).to_bytes(8, "little")  # capacity in 512-byte sectors
    assert config[12:16] == (254).to_bytes(4, "little")  # seg_max
    assert config[20:24] == (512).to_bytes(4, "little")  # blk_size
    assert config[32] == 1  # writeback: the volatile cache is on


def test_write_then_read_round_trips_through_the_file(rig):
    mem, t, q, image, log, irqs = rig
    payload = bytes(range(256)) * 4  # two sectors
    header(blk.VIRTIO_BLK_T_OUT, 3, mem=mem)
    mem[DATA : DATA + 1024] = payload
    mem[STATUS] = 0xFF
    q.post((HDR, 16, False), (DATA, 1024, False), (STATUS, 1, True))
    kick(t)
    assert q.take_used() == [(0, 1)]  # only the status byte was written
    assert mem[STATUS] == blk.VIRTIO_BLK_S_OK
    assert irqs == [IRQ]
    with open(image.path, "rb") as f:
        f.seek(3 * 512)
        assert f.read(1024) == payload
    assert log.events == [("write", 3, payload)]

    header(blk.VIRTIO_BLK_T_IN, 3, at=HDR + 0x100, mem=mem)
    q.post((HDR + 0x100, 16, False), (DATA + 0x1000, 1024, True), (STATUS + 1, 1, True))
    kick(t)
    assert q.take_used() == [(3, 1025)]  # data and status written
    assert mem[DATA + 0x1000 : DATA + 0x1400] == payload
    assert mem[STATUS + 1] == blk.VIRTIO_BLK_S_OK
    c = t.device.counters
    assert (c["requests_out"], c["requests_in"], c["sectors_written"], c["sectors_read"]) == (1, 1, 2, 2)


def test_any_framing_is_accepted_header_data_and_status_in_one_writable_run(rig):
    """§2.6.4: the device must not depend on how the request is cut into descriptors."""
    mem, t, q, image, _, _ = rig
    image.write(512, b"\xab" * 512)
    header(blk.VIRTIO_BLK_T_IN, 1, mem=mem)
    # The header in two pieces, data and status in one writable buffer.
    q.post((HDR, 10, False), (HDR + 10, 6, False), (DATA, 513, True))
    kick(t)
    assert q.take_used() == [(0, 513)]
    assert mem[DATA : DATA + 512] == b"\xab" * 512
    assert mem[DATA + 512] == 0


def test_flush_syncs_the_image_and_is_recorded_in_completion_order(rig):
    mem, t, q, image, log, _ = rig
    header(blk.VIRTIO_BLK_T_OUT, 0, mem=mem)
    mem[DATA : DATA + 512] = b"a" * 512
    header(blk.VIRTIO_BLK_T_FLUSH, 0, at=HDR + 0x20, mem=mem)
    q.post((HDR, 16, False), (DATA, 512, False), (STATUS, 1, True))
    q.post((HDR + 0x20, 16, False), (STATUS + 1, 1, True))
    kick(t)
    assert q.take_used() == [(0, 1), (3, 1)]
    assert image.syncs == 1 and t.device.counters["flushes"] == 1
    assert [e[0] for e in log.events] == ["write", "flush"]
    assert bytes(mem[STATUS : STATUS + 2]) == b"\0\0"


def test_write_through_syncs_every_write(rig):
    mem, t, q, image, log, _ = rig
    t.write32(mmio.CONFIG + 32, 0)  # the driver turns the cache off (CONFIG_WCE, §5.2.5)
    assert t.read32(mmio.CONFIG + 32) & 0xFF == 0
    header(blk.VIRTIO_BLK_T_OUT, 5, mem=mem)
    q.post((HDR, 16, False), (DATA, 512, False), (STATUS, 1, True))
    kick(t)
    assert image.syncs == 1
    assert [e[0] for e in log.events] == ["write", "flush"]


def test_get_id_answers_20_bytes_nul_padded(rig):
    mem, t, q, _, _, _ = rig
    header(blk.VIRTIO_BLK_T_GET_ID, 0, mem=mem)
    mem[DATA : DATA + 20] = b"\xff" * 20
    q.post((HDR, 16, False), (DATA, 20, True), (STATUS, 1, True))
    kick(t)
    assert q.take_used() == [(0, 21)]
    assert bytes(mem[DATA : DATA + 20]) == b"jsksh-vda" + b"\0" * 11
    assert mem[STATUS] == 0


def test_unknown_type_is_unsupp(rig):
    mem, t, q, _, _, _ = rig
    header(11, 0, mem=mem)  # DISCARD: not offered
    q.post((HDR, 16, False), (STATUS, 1, True))
    kick(t)
    assert q.take_used() == [(0, 1)]
    assert mem[STATUS] == blk.VIRTIO_BLK_S_UNSUPP
    assert t.device.counters["requests_unsupported"] == 1


@pytest.mark.parametrize(
    "bufs",
    [
        pytest.param([(HDR, 16, False), (DATA, 512, True), (STATUS, 1, True)], id="past-the-end"),
        pytest.param([(HDR, 16, False), (DATA, 100, False), (STATUS, 1, True)], id="not-whole-sectors"),
        pytest.param([(HDR, 16, False), (DATA, 512, True), (STATUS, 1, True)], id="out-with-writable-data"),
        pytest.param([(HDR, 12, False), (STATUS, 1, True)], id="short-header"),
    ],
)
def test_malformed_requests_answer_ioerr_and_the_device_lives_on(rig, bufs, request):
    mem, t, q, image, log, _ = rig
    case = request.node.callspec.id
    kind = blk.VIRTIO_BLK_T_IN if case == "past-the-end" else blk.VIRTIO_BLK_T_OUT
    header(kind, SECTORS if case == "past-the-end" else 0, mem=mem)
    mem[STATUS] = 0xFF
    q.post(*bufs)
    kick(t)
    assert q.take_used()[0][0] == 0
    assert mem[STATUS] == blk.VIRTIO_BLK_S_IOERR
    assert t.device.counters["errors_malformed"] == 1
    assert t.error is None  # not a virtqueue violation: the device needs no reset
    assert log.events == []
    # ...and the next request is served.
    header(blk.VIRTIO_BLK_T_FLUSH, 0, at=HDR + 0x40, mem=mem)
    q.post((HDR + 0x40, 16, False), (STATUS + 1, 1, True))
    kick(t)
    assert mem[STATUS + 1] == blk.VIRTIO_BLK_S_OK


def test_a_chain_with_no_writable_byte_comes_back_empty(rig):
    mem, t, q, _, _, _ = rig
    header(blk.VIRTIO_BLK_T_FLUSH, 0, mem=mem)
    q.post((HDR, 16, False))
    kick(t)
    assert q.take_used() == [(0, 0)]
    assert t.device.counters["errors_malformed"] == 1


def test_last_sector_is_inside_one_past_is_not(rig):
    mem, t, q, _, _, _ = rig
    header(blk.VIRTIO_BLK_T_IN, SECTORS - 1, mem=mem)
    header(blk.VIRTIO_BLK_T_IN, SECTORS - 1, at=HDR + 0x20, mem=mem)
    q.post((HDR, 16, False), (DATA, 512, True), (STATUS, 1, True))
    q.post((HDR + 0x20, 16, False), (DATA, 1024, True), (STATUS + 1, 1, True))
    kick(t)
    assert (mem[STATUS], mem[STATUS + 1]) == (blk.VIRTIO_BLK_S_OK, blk.VIRTIO_BLK_S_IOERR)


def test_injected_errors_fail_chosen_sectors_and_write_nothing(tmp_path):
    path = tmp_path / "d.img"
    create_image(str(path), SECTORS * 512)
    image = DiskImage(str(path))
    dev = BlkDevice(image, faults=parse_spec("sectors=8-9"))
    mem = bytearray(0x40000)
    t = mmio.MmioTransport(dev, slot=3, irq=IRQ, raise_irq=lambda _: None)
    t.memory = Memory(mem)
    q = DriverQueue(mem, 16, 0)
    bring_up(t, FEATURES, {0: q})
    header(blk.VIRTIO_BLK_T_OUT, 7, mem=mem)  # sectors 7 and 8: touches 8
    mem[DATA : DATA + 1024] = b"x" * 1024
    q.post((HDR, 16, False), (DATA, 1024, False), (STATUS, 1, True))
    header(blk.VIRTIO_BLK_T_OUT, 10, at=HDR + 0x20, mem=mem)
    q.post((HDR + 0x20, 16, False), (DATA, 512, False), (STATUS + 1, 1, True))
    kick(t)
    assert (mem[STATUS], mem[STATUS + 1]) == (blk.VIRTIO_BLK_S_IOERR, blk.VIRTIO_BLK_S_OK)
    assert image.read(7 * 512, 1024) == bytes(1024)
    assert dev.counters["errors_injected"] == 1
    assert [r["status"] for r in dev.trace_records()] == ["ioerr", "ok"]
    dev.close()
    image.close()


def test_every_nth_request_fails():
    faults = parse_spec("every=3,ops=in,out,flush")
    assert [faults.fails("in", 0, 1) for _ in range(6)] == [False, False, True, False, False, True]
    assert str(faults) == "every=3,ops=in,out,flush"
    assert not parse_spec("sector=5").fails("flush", 0, 0)  # flushes fail only when ops says


@pytest.mark.parametrize("spec", ["", "every=0", "sectors=5-2", "bogus=1", "ops=in", "every=2,ops=sideways"])
def test_bad_error_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_spec(spec)


def test_reversed_completion_serves_and_completes_each_batch_last_first(tmp_path):
    path = tmp_path / "r.img"
    create_image(str(path), SECTORS * 512)
    image = DiskImage(str(path))
    log = WriteLog()
    dev = BlkDevice(image, recorder=log, completion="reversed")
    mem = bytearray(0x40000)
    t = mmio.MmioTransport(dev, slot=3, irq=IRQ, raise_irq=lambda _: None)
    t.memory = Memory(mem)
    q = DriverQueue(mem, 16, 0)
    bring_up(t, FEATURES, {0: q})
    for i in range(3):
        header(blk.VIRTIO_BLK_T_OUT, i, at=HDR + 0x20 * i, mem=mem)
        mem[DATA + 512 * i : DATA + 512 * (i + 1)] = bytes([i + 1]) * 512
        q.post((HDR + 0x20 * i, 16, False), (DATA + 512 * i, 512, False), (STATUS + i, 1, True))
    kick(t)
    assert q.take_used() == [(6, 1), (3, 1), (0, 1)]
    assert [e[1] for e in log.events] == [2, 1, 0]  # the recorder hears them as they completed
    assert image.read(0, 1536) == b"\1" * 512 + b"\2" * 512 + b"\3" * 512
    dev.close()
    image.close()


def test_trace_and_describe(rig):
    mem, t, q, _, _, _ = rig
    header(blk.VIRTIO_BLK_T_IN, 2, mem=mem)
    q.post((HDR, 16, False), (DATA, 512, True), (STATUS, 1, True))
    kick(t)
    assert t.device.trace_records() == [
        {"time": 1.5, "type": "in", "sector": 2, "length": 512, "status": "ok"}
    ]
    info = t.device.describe()
    assert info["config"] == {"capacity": 64, "blk_size": 512, "writeback": 1}
    assert info["features"]["negotiated"] == ["BLK_SIZE", "FLUSH", "CONFIG_WCE", "VERSION_1"]
    assert info["backend"]["cache"] == "write-back"
    assert info["counters"]["requests_in"] == 1


def test_write_recorder_rebuilds_the_disk_at_any_point():
    log = WriteLog()
    log.write(0, b"a" * 512)
    log.flush()
    log.write(1, b"b" * 512)
    base = bytes(1024)
    assert log.disk_after(base, 1) == b"a" * 512 + bytes(512)
    assert log.disk_after(base) == b"a" * 512 + b"b" * 512


class HeldSync(DiskImage):
    """An image whose fdatasync waits until the test lets it go: a slow host disk, on cue."""

    def __init__(self, path):
        super().__init__(path)
        self.syncing = threading.Event()
        self.release = threading.Event()

    def sync(self):
        self.syncing.set()
        assert self.release.wait(10), "the test never released the sync"
        super().sync()


def held_rig(tmp_path, **kw):
    path = tmp_path / "held.img"
    create_image(str(path), SECTORS * 512)
    image = HeldSync(str(path))
    log = WriteLog()
    dev = BlkDevice(image, recorder=log, **kw)
    mem = bytearray(0x40000)
    irqs = []
    t = mmio.MmioTransport(dev, slot=3, irq=IRQ, raise_irq=irqs.append)
    t.memory = Memory(mem)
    q = DriverQueue(mem, 16, 0)
    bring_up(t, FEATURES, {0: q})
    return mem, t, q, image, log, irqs


def test_a_flush_does_not_hold_the_notify_the_io_thread_completes_it(tmp_path):
    """The kernel's thread (here: the test's) gets the QueueNotify back while fdatasync runs."""
    mem, t, q, image, log, irqs = held_rig(tmp_path)
    dev = t.device
    header(blk.VIRTIO_BLK_T_OUT, 0, mem=mem)
    mem[DATA : DATA + 512] = b"w" * 512
    header(blk.VIRTIO_BLK_T_FLUSH, 0, at=HDR + 0x20, mem=mem)
    mem[STATUS : STATUS + 2] = b"\xff\xff"
    q.post((HDR, 16, False), (DATA, 512, False), (STATUS, 1, True))
    q.post((HDR + 0x20, 16, False), (STATUS + 1, 1, True))
    t.write32(mmio.QUEUE_NOTIFY, 0)  # returns: the sync has not been let go
    assert image.syncing.wait(10)
    # The write completed before the flush began; the flush has not.
    assert q.take_used() == [(0, 1)] and mem[STATUS] == blk.VIRTIO_BLK_S_OK
    assert mem[STATUS + 1] == 0xFF and log.events == [("write", 0, b"w" * 512)]
    # The register file answers meanwhile: the transport lock is not held across the sync.
    assert t.read32(mmio.DEVICE_ID) == 2
    assert dev.describe()["counters"]["requests_flush"] == 1
    image.release.set()
    dev.drain()
    assert q.take_used() == [(3, 1)] and mem[STATUS + 1] == blk.VIRTIO_BLK_S_OK
    assert [e[0] for e in log.events] == ["write", "flush"] and image.syncs == 1
    assert irqs == [IRQ, IRQ]  # one interrupt per completion
    dev.close()
    image.close()


def test_close_finishes_what_was_taken_then_takes_nothing(tmp_path):
    mem, t, q, image, log, _ = held_rig(tmp_path)
    dev = t.device
    header(blk.VIRTIO_BLK_T_FLUSH, 0, mem=mem)
    q.post((HDR, 16, False), (STATUS, 1, True))
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert image.syncing.wait(10)
    closer = threading.Thread(target=dev.close)
    closer.start()
    closer.join(0.05)
    assert closer.is_alive()  # waiting for the flush in flight
    image.release.set()
    closer.join(10)
    assert not closer.is_alive() and not dev._thread.is_alive()
    assert q.take_used() == [(0, 1)] and log.events == [("flush",)]  # completed, not lost
    header(blk.VIRTIO_BLK_T_FLUSH, 0, at=HDR + 0x20, mem=mem)
    q.post((HDR + 0x20, 16, False), (STATUS + 1, 1, True))
    t.write32(mmio.QUEUE_NOTIFY, 0)  # after close: left on the ring for the next boot's reset
    assert q.take_used() == [] and log.events == [("flush",)]
    image.close()


def test_a_reset_drops_the_completions_of_requests_in_flight(tmp_path):
    mem, t, q, image, log, _ = held_rig(tmp_path)
    dev = t.device
    header(blk.VIRTIO_BLK_T_FLUSH, 0, mem=mem)
    q.post((HDR, 16, False), (STATUS, 1, True))
    t.write32(mmio.QUEUE_NOTIFY, 0)
    assert image.syncing.wait(10)
    t.write32(mmio.STATUS, 0)  # the driver resets the device
    image.release.set()
    dev.drain()
    assert q.take_used() == []  # the old rings are not the device's any more
    assert log.events == [("flush",)]  # but the sync happened, and the recorder says so
    dev.close()
    image.close()
