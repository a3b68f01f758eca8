// Unit tests for kernel/drivers/virtio/net.js, the driver half of virtio-net
// (virtio 1.2 §5.1), against a virtio-net built here on the shared fake
// device (tests/js/lib/fake-virtio-device.js: a virtio-mmio register file
// plus the device half of the split virtqueues, §2.7, over the same arena
// bytes as the driver), as test_console_driver.js does for the console. The
// device's config space is §5.1.4's (u8 mac[6], le16 status); every frame
// crosses with the 12-byte virtio_net_hdr of §5.1.6 (VERSION_1: num_buffers
// is always there).
// What is checked is what the driver does: negotiate VERSION_1, MAC, STATUS
// and the offloads it can use (checksum and TSO4 both ways, each TSO bit only
// with its checksum bit) and nothing else, post its receive buffers before
// DRIVER_OK (64 KiB ones with GUEST_TSO4), strip the header from what it
// receives and report what it says of the checksum, add one to what it sends
// (asking for offloads as told), read the link from config, and give every
// receive buffer back to the device after use.
const { DmaArena } = require('/kernel/arch/dma');
const { MmioTransport } = require('/kernel/drivers/virtio/mmio-transport');
const { VirtioNet, HEADER, RX_BUFFER, RX_BIG_BUFFER } = require('/kernel/drivers/virtio/net');
const { VIRTQ_AVAIL_F_NO_INTERRUPT } = require('/kernel/drivers/virtio/virtqueue');
const { fakeVirtioDevice, settle } = require('/tests/lib/fake-virtio-device');

// Feature bits (§5.1.3, §6).
const F = {
  CSUM: 1n << 0n,
  GUEST_CSUM: 1n << 1n,
  MAC: 1n << 5n,
  GUEST_TSO4: 1n << 7n,
  HOST_TSO4: 1n << 11n,
  MRG_RXBUF: 1n << 15n,
  STATUS: 1n << 16n,
  CTRL_VQ: 1n << 17n,
  INDIRECT_DESC: 1n << 28n,
  EVENT_IDX: 1n << 29n,
  VERSION_1: 1n << 32n,
};
const RECEIVEQ = 0;
const TRANSMITQ = 1;
const MAC = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x0f];

const hexMac = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');

// An Ethernet frame of `n` bytes (no FCS): broadcast, from 52:55:..., type 0x0800, a counting payload.
function frame(n, seed = 0) {
  const f = new Uint8Array(n);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x00]);
  for (let i = 14; i < n; i++) f[i] = (i + seed) & 0xff;
  return f;
}

// --- a fake virtio-net device --------------------------------------------------------

// virtio-net on the shared fake device: config space, frames in both directions, the cable.
function fakeNet(arena, { features = F.VERSION_1 | F.MAC | F.STATUS, linkUp = true, queueMax = 256 } = {}) {
  const bytes = new Uint8Array(arena);
  const config = new Uint8Array(8);
  config.set(MAC);
  config[6] = linkUp ? 1 : 0; // le16 status: VIRTIO_NET_S_LINK_UP
  const dev = fakeVirtioDevice(arena, {
    deviceId: 1,
    features,
    config,
    queues: 2,
    queueMax,
    onNotify: (qi) => (qi === TRANSMITQ ? dev.transmit() : dev.fillRx()),
  });
  dev.sent = []; // what the driver transmitted: {bytes, descriptors}
  dev.pendingRx = []; // frames waiting for a receive buffer
  dev.txPaused = false;

  // §5.1.6.2: each transmit chain is a header and a frame, device-readable.
  dev.transmit = () => {
    if (dev.txPaused) return;
    for (let chain; (chain = dev.pop(TRANSMITQ)); ) {
      const out = [];
      for (const b of chain.bufs) {
        if (b.write) throw new Error('a device-writable buffer on the transmit queue');
        out.push(...bytes.subarray(b.addr, b.addr + b.len));
      }
      dev.sent.push({ bytes: Uint8Array.from(out), descriptors: chain.bufs.length });
      dev.push(TRANSMITQ, chain.head, 0);
    }
  };
  // §5.1.6.3/§5.1.6.4: a received frame goes into the next receive buffer
  // behind a header whose num_buffers is 1. `opts.len` lets a test lie about the length.
  dev.receive = (f, opts = {}) => {
    dev.pendingRx.push({ f, opts });
    dev.fillRx();
  };
  dev.fillRx = () => {
    while (dev.pendingRx.length) {
      const chain = dev.pop(RECEIVEQ);
      if (!chain) return;
      const { f, opts } = dev.pendingRx.shift();
      const b = chain.bufs[0];
      if (!b.write) throw new Error('a receive buffer the device may not write');
      const hdr = new Uint8Array(HEADER);
      hdr[10] = 1; // le16 num_buffers = 1
      hdr[0] = opts.flags || 0;
      bytes.set(hdr, b.addr);
      bytes.set(f.subarray(0, b.len - HEADER), b.addr + HEADER);
      dev.push(RECEIVEQ, chain.head, opts.len ?? HEADER + f.length);
    }
  };
  // The cable: config status changes and a configuration-change interrupt (§4.2.2, bit 1).
  dev.setLink = (up) => {
    config[6] = up ? 1 : 0;
    dev.configChanged();
  };
  return dev;
}

function boot(opts = {}) {
  const arena = new ArrayBuffer(opts.arenaSize || 2 * 1024 * 1024);
  const dma = new DmaArena(arena);
  const dev = fakeNet(arena, opts);
  const logs = [];
  const drv = new VirtioNet(new MmioTransport(dev, 2), dma, (m) => logs.push(m));
  const frames = [];
  const checked = [];
  drv.onFrame = (f, ok) => {
    frames.push(f);
    checked.push(ok);
  };
  drv.start();
  return { arena, dma, dev, drv, frames, checked, logs };
}

// --- start: negotiation, queues, receive buffers ----------------------------------

test('start negotiates VERSION_1, MAC, STATUS and the offloads only, whatever else the device offers', () => {
  const offloads = F.CSUM | F.GUEST_CSUM | F.HOST_TSO4 | F.GUEST_TSO4;
  const all = F.VERSION_1 | F.MAC | F.STATUS | offloads | F.MRG_RXBUF | F.CTRL_VQ | F.INDIRECT_DESC | F.EVENT_IDX;
  const { dev, drv } = boot({ features: all, arenaSize: 4 * 1024 * 1024 });
  assert.equal(dev.driverFeatures, F.VERSION_1 | F.MAC | F.STATUS | offloads);
  assert.equal(drv.features, F.VERSION_1 | F.MAC | F.STATUS | offloads);
  // §3.1.1: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, then DRIVER_OK last.
  assert.deepEqual(dev.statusWrites, [0, 1, 3, 11, 15]);
  assert.deepEqual(drv.describe().features, ['CSUM', 'GUEST_CSUM', 'MAC', 'GUEST_TSO4', 'HOST_TSO4', 'STATUS', 'VERSION_1']);
  assert.deepEqual(drv.offloads, { checksum: true, segmentation: true });
  assert.deepEqual(drv.describe().offloads, ['tx-csum', 'tso4', 'rx-csum', 'rx-tso4']);
});

test('without offloads offered there are none: a plain header, 2 KiB receive buffers', () => {
  const { drv } = boot();
  assert.deepEqual(drv.offloads, { checksum: false, segmentation: false });
  assert.deepEqual(drv.describe().offloads, []);
  assert.equal(drv.rxBuffer, RX_BUFFER);
});

test('a TSO bit is not taken without its checksum bit (§5.1.3.1), even if the device offers it', () => {
  const { dev, drv } = boot({ features: F.VERSION_1 | F.MAC | F.HOST_TSO4 | F.GUEST_TSO4 | F.GUEST_CSUM, arenaSize: 4 * 1024 * 1024 });
  assert.equal(dev.driverFeatures, F.VERSION_1 | F.MAC | F.GUEST_CSUM | F.GUEST_TSO4);
  assert.deepEqual(drv.offloads, { checksum: false, segmentation: false });
  const { dev: dev2 } = boot({ features: F.VERSION_1 | F.MAC | F.CSUM | F.HOST_TSO4 | F.GUEST_TSO4 });
  assert.equal(dev2.driverFeatures, F.VERSION_1 | F.MAC | F.CSUM | F.HOST_TSO4);
});

test('with GUEST_TSO4 the driver posts 32 buffers of 65562 bytes (§5.1.6.3.1) and takes a 64 KiB frame whole', () => {
  const { dev, drv, frames, checked } = boot({ features: F.VERSION_1 | F.GUEST_CSUM | F.GUEST_TSO4, arenaSize: 4 * 1024 * 1024 });
  assert.equal(RX_BIG_BUFFER, 65562);
  assert.equal(drv.rx.pendingTokens().length, 32);
  const big = frame(14 + 65535, 3);
  dev.receive(big, { flags: 1 }); // NEEDS_CSUM: a local sender left it undone
  dev.receive(frame(60), { flags: 2 }); // DATA_VALID
  dev.receive(frame(61));
  settle(drv, dev);
  assert.deepEqual(frames.map((f) => f.length), [65549, 60, 61]);
  assert.deepEqual(frames[0], big);
  assert.deepEqual(checked, [true, true, false]);
  assert.equal(drv.describe().rx_checked, 2);
});

test('without GUEST_CSUM the flags of a header mean nothing: every frame is checked by the stack', () => {
  const { dev, drv, checked } = boot();
  dev.receive(frame(60), { flags: 2 });
  settle(drv, dev);
  assert.deepEqual(checked, [false]);
});

test('send with an offload writes the virtio-net header: NEEDS_CSUM, TCPV4, hdr_len, gso_size, csum_start, csum_offset', async () => {
  const { dev, drv } = boot({ features: F.VERSION_1 | F.CSUM | F.HOST_TSO4 });
  const f = frame(14 + 20 + 32 + 2896);
  drv.send(f, { csumStart: 34, csumOffset: 16, gsoSize: 1448, hdrLen: 66 });
  drv.send(frame(80), { csumStart: 34, csumOffset: 16 });
  drv.send(frame(60));
  await null;
  const headers = dev.sent.map((s) => Array.from(s.bytes.subarray(0, HEADER)));
  // Little-endian u8 flags, u8 gso_type, le16 hdr_len, gso_size, csum_start, csum_offset, num_buffers.
  assert.deepEqual(headers[0], [1, 1, 66, 0, 0xa8, 0x05, 34, 0, 16, 0, 0, 0]);
  assert.deepEqual(headers[1], [1, 0, 0, 0, 0, 0, 34, 0, 16, 0, 0, 0]);
  assert.deepEqual(headers[2], new Array(HEADER).fill(0));
  assert.deepEqual(dev.sent[0].bytes.subarray(HEADER), f);
  assert.equal(drv.describe().tx_offloaded, 2);
});

test('large frames are told to the device after 256 KiB, not only after 64 frames', async () => {
  const { dev, drv } = boot({ features: F.VERSION_1 | F.CSUM | F.HOST_TSO4 });
  for (let i = 0; i < 5; i++) drv.send(frame(60000), { csumStart: 34, csumOffset: 16, gsoSize: 1448, hdrLen: 66 });
  assert.equal(dev.sent.length, 5); // the fifth crossed 256 KiB: told at once
  drv.send(frame(60));
  assert.equal(dev.sent.length, 5);
  await null;
  assert.equal(dev.sent.length, 6);
});

test('start reads the MAC address from config', () => {
  const { drv } = boot();
  assert.deepEqual(drv.mac, Uint8Array.from(MAC));
  assert.equal(drv.macString(), '52:55:0a:00:02:0f');
  assert.equal(drv.describe().mac, '52:55:0a:00:02:0f');
});

test('without MAC the driver picks a locally administered address and reads no config for it', () => {
  const { dev, drv } = boot({ features: F.VERSION_1 | F.STATUS });
  assert.equal(dev.driverFeatures, F.VERSION_1 | F.STATUS);
  assert.equal(dev.configReads, 0);
  assert.equal(drv.macString(), '52:54:00:12:34:56');
  assert.equal(drv.mac[0] & 2, 2); // locally administered
  assert.equal(drv.mac[0] & 1, 0); // unicast
});

test('both queues are set up at the device\'s size, 128 receive buffers posted before DRIVER_OK, then one kick', () => {
  const { dev, drv } = boot();
  assert.deepEqual(dev.q.map((q) => [q.num, q.ready]), [[256, 1], [256, 1]]);
  assert.deepEqual(drv.describe().queues.map((q) => [q.index, q.name, q.size]), [[0, 'receiveq', 256], [1, 'transmitq', 256]]);
  assert.equal(dev.availableCount(RECEIVEQ), 128);
  assert.equal(dev.availableCount(TRANSMITQ), 0);
  assert.equal(drv.rx.numFree, 256 - 128);
  assert.deepEqual(dev.notifies, [RECEIVEQ]); // the fake throws on a notify before DRIVER_OK
  // Each receive buffer: one device-writable descriptor of RX_BUFFER bytes, each at its own address.
  const addrs = new Set();
  for (let chain; (chain = dev.pop(RECEIVEQ)); ) {
    assert.equal(chain.bufs.length, 1);
    assert.deepEqual([chain.bufs[0].len, chain.bufs[0].write], [RX_BUFFER, true]);
    assert.ok(chain.bufs[0].len >= HEADER + 1514, 'a whole frame and its header must fit (§5.1.6.3.1)');
    addrs.add(chain.bufs[0].addr);
  }
  assert.equal(addrs.size, 128);
});

test('a smaller queue gets as many receive buffers as it has room for', () => {
  const { dev, drv } = boot({ queueMax: 64 });
  assert.equal(drv.rx.size, 64);
  assert.equal(dev.availableCount(RECEIVEQ), 64);
  assert.equal(drv.rx.numFree, 0);
});

test('the driver asks for no transmit interrupts: finished sends are reclaimed on the next send', () => {
  const { dma, drv } = boot();
  const flags = dma.view.getUint16(drv.tx.availAddr, true);
  assert.equal(flags & VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_AVAIL_F_NO_INTERRUPT);
  assert.equal(dma.view.getUint16(drv.rx.availAddr, true), 0); // receive interrupts stay on
});

// --- receive ---------------------------------------------------------------------------

test('a received frame is delivered without its 12-byte header, as a copy', () => {
  const { dev, drv, dma, frames } = boot();
  const f = frame(60);
  dev.receive(f);
  assert.equal(frames.length, 0); // nothing until the interrupt
  settle(drv, dev);
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0], f);
  assert.equal(dev.isr, 0); // acknowledged
  // A copy: the device reusing the buffer changes nothing.
  for (const addr of drv.rx.pendingTokens()) dma.bytes.fill(0xee, addr, addr + RX_BUFFER);
  assert.deepEqual(frames[0], f);
  const d = drv.describe();
  assert.deepEqual([d.rx_frames, d.rx_bytes, d.rx_runt], [1, 60, 0]);
});

test('frames received together are delivered in order, each its own length', () => {
  const { dev, drv, frames } = boot();
  const sizes = [60, 1514, 42, 300];
  sizes.forEach((n, i) => dev.receive(frame(n, i)));
  settle(drv, dev);
  assert.deepEqual(frames.map((f) => f.length), sizes);
  sizes.forEach((n, i) => assert.deepEqual(frames[i], frame(n, i)));
  assert.equal(drv.describe().rx_bytes, 60 + 1514 + 42 + 300);
});

test('every used receive buffer is posted again, and the device is told', () => {
  const { dev, drv } = boot();
  const before = drv.rx.availIdx;
  const notifies = dev.notifies.length;
  dev.receive(frame(100));
  dev.receive(frame(100));
  settle(drv, dev);
  assert.equal(drv.rx.availIdx, (before + 2) & 0xffff);
  assert.equal(drv.rx.numFree, 256 - 128); // still 128 posted
  assert.equal(dev.availableCount(RECEIVEQ), 128);
  assert.deepEqual(dev.notifies.slice(notifies), [RECEIVEQ]); // one kick for the batch
});

test('300 frames through 128 buffers: buffers are recycled, none lost', () => {
  const { dev, drv, dma, frames } = boot();
  const used = dma.stats().used;
  for (let i = 0; i < 300; i++) {
    dev.receive(frame(64 + (i % 50), i));
    if (i % 7 === 0) settle(drv, dev); // sometimes several per interrupt
  }
  settle(drv, dev);
  assert.equal(frames.length, 300);
  assert.deepEqual(frames[299], frame(64 + (299 % 50), 299));
  assert.equal(dev.pendingRx.length, 0);
  assert.equal(dma.stats().used, used); // the same 128 buffers, no new ones
  assert.equal(drv.describe().rx_frames, 300);
});

test('frames that arrive while every buffer is in use wait in the device until the driver reposts', () => {
  const { dev, drv, frames } = boot();
  for (let i = 0; i < 130; i++) dev.receive(frame(60, i));
  assert.equal(dev.pendingRx.length, 2); // 128 buffers, 130 frames
  settle(drv, dev); // reposting kicks the device, which fills the new buffers
  assert.equal(frames.length, 130);
  assert.deepEqual(frames[129], frame(60, 129));
});

test('a used entry of no more than the header is a runt: counted, not delivered, its buffer reposted', () => {
  const { dev, drv, frames } = boot();
  dev.receive(frame(60), { len: HEADER });
  dev.receive(frame(60), { len: 4 });
  dev.receive(frame(61));
  settle(drv, dev);
  assert.deepEqual(frames.map((f) => f.length), [61]);
  assert.equal(drv.describe().rx_runt, 2);
  assert.equal(dev.availableCount(RECEIVEQ), 128);
});

// §2.7.13 ("Supplying Buffers to The Device") ends with the driver notifying
// the device unless it asked not to be. Buffers reposted after runts count
// too: a device that ran out of buffers (jsksh/machine/virtio/net.py: notify
// -> _fill_rx) would otherwise hold its pending frames until some other frame
// happened to arrive. (The driver once kicked only after a whole frame.)
test('buffers reposted after runts are announced to the device too', () => {
  const { dev, drv } = boot();
  const notifies = dev.notifies.length;
  dev.receive(frame(60), { len: 4 });
  settle(drv, dev);
  assert.equal(dev.availableCount(RECEIVEQ), 128); // reposted...
  assert.deepEqual(dev.notifies.slice(notifies), [RECEIVEQ]); // ...and announced
});

test('a used length larger than the buffer is clamped to the buffer', () => {
  const { dev, drv, frames } = boot();
  dev.receive(frame(1514), { len: 9000 });
  settle(drv, dev);
  assert.equal(frames[0].length, RX_BUFFER - HEADER);
  assert.deepEqual(frames[0].subarray(0, 1514), frame(1514));
});

// --- transmit ------------------------------------------------------------------------

test('send puts a 12-byte all-zero header before the frame, in one device-readable descriptor', async () => {
  const { dev, drv } = boot();
  const f = frame(42);
  assert.equal(drv.send(f), true);
  assert.equal(dev.sent.length, 0); // the device is told at the end of the turn
  await null;
  assert.equal(dev.sent.length, 1);
  const { bytes, descriptors } = dev.sent[0];
  assert.equal(descriptors, 1);
  assert.equal(bytes.length, HEADER + 42);
  assert.deepEqual(bytes.subarray(0, HEADER), new Uint8Array(HEADER)); // no offloads, GSO_NONE
  assert.deepEqual(bytes.subarray(HEADER), f);
  assert.equal(dev.notifies[dev.notifies.length - 1], TRANSMITQ);
  const d = drv.describe();
  assert.deepEqual([d.tx_frames, d.tx_bytes, d.tx_dropped], [1, 42, 0]);
});

test('transmit buffers are freed on the next send: 1000 sends in one turn hold at most a batch of buffers', async () => {
  const { dev, drv, dma } = boot();
  drv.send(frame(60));
  await null;
  const used = dma.stats().used;
  for (let i = 0; i < 1000; i++) assert.equal(drv.send(frame(60 + (i % 3), i)), true);
  // at most 64 frames wait untold (each 12 + 62 bytes, in 16-byte units: 80)
  assert.ok(dma.stats().used <= used + 64 * 80, `${dma.stats().used - used} bytes more`);
  await null;
  assert.equal(dev.sent.length, 1001);
  assert.deepEqual(dev.sent[1000].bytes.subarray(HEADER), frame(60 + (999 % 3), 999));
  assert.equal(drv.describe().tx_frames, 1001);
});

test('frames sent in one turn reach the device with one notification, or one per 64', async () => {
  const { dev, drv } = boot();
  const before = dev.notifies.filter((q) => q === TRANSMITQ).length;
  for (let i = 0; i < 10; i++) drv.send(frame(60, i));
  assert.equal(dev.notifies.filter((q) => q === TRANSMITQ).length, before);
  await null;
  assert.equal(dev.notifies.filter((q) => q === TRANSMITQ).length, before + 1);
  assert.equal(dev.sent.length, 10);
  for (let i = 0; i < 64; i++) drv.send(frame(60, i));
  assert.equal(dev.notifies.filter((q) => q === TRANSMITQ).length, before + 2); // the 64th told it at once
  assert.equal(dev.sent.length, 74);
  await null;
  assert.equal(dev.notifies.filter((q) => q === TRANSMITQ).length, before + 2); // nothing left to tell
});

test('a full transmit queue drops the frame and counts it; sending works again once the device catches up', async () => {
  const { dev, drv, dma } = boot();
  dev.txPaused = true; // the device stops taking frames
  for (let i = 0; i < 256; i++) assert.equal(drv.send(frame(60, i)), true);
  const used = dma.stats().used;
  assert.equal(drv.send(frame(60)), false);
  assert.equal(dma.stats().used, used); // the dropped frame's buffer was given back
  assert.equal(drv.describe().tx_dropped, 1);
  dev.txPaused = false;
  dev.transmit();
  assert.equal(drv.send(frame(60, 999)), true); // reclaims the 256, then queues
  await null;
  assert.equal(dev.sent.length, 257);
  assert.deepEqual(dev.sent[256].bytes.subarray(HEADER), frame(60, 999));
  assert.equal(drv.describe().tx_dropped, 1);
});

test('a frame the DMA arena cannot hold is dropped and counted, not thrown', () => {
  const { drv } = boot();
  assert.equal(drv.send(new Uint8Array(4 * 1024 * 1024)), false);
  assert.equal(drv.describe().tx_dropped, 1);
  assert.equal(drv.send(frame(60)), true);
});

// --- link status -------------------------------------------------------------------------

test('link status comes from config: up, then down after a configuration change', () => {
  const { dev, drv, frames } = boot();
  assert.equal(drv.link, true);
  assert.equal(drv.describe().link, 'up');
  dev.setLink(false);
  settle(drv, dev); // a configuration-change interrupt: acknowledged, nothing received
  assert.equal(dev.isr, 0);
  assert.equal(frames.length, 0);
  assert.equal(drv.link, false);
  assert.equal(drv.describe().link, 'down');
  dev.setLink(true);
  settle(drv, dev);
  assert.equal(drv.link, true);
});

test('a device that starts with the cable out reports the link down', () => {
  const { drv } = boot({ linkUp: false });
  assert.equal(drv.link, false);
});

test('without STATUS the link is assumed up (§5.1.4), whatever config says', () => {
  const { dev, drv } = boot({ features: F.VERSION_1 | F.MAC, linkUp: false });
  assert.equal(dev.driverFeatures, F.VERSION_1 | F.MAC);
  const reads = dev.configReads;
  assert.equal(drv.link, true);
  assert.equal(dev.configReads, reads); // not even read
  assert.deepEqual(drv.describe().features, ['MAC', 'VERSION_1']);
});

test('describe() is JSON-able and names its queues', () => {
  const { drv } = boot();
  const d = JSON.parse(JSON.stringify(drv.describe()));
  assert.equal(d.name, 'virtio-net');
  assert.deepEqual(d.queues.map((q) => [q.name, q.avail_idx, q.used_idx]), [['receiveq', 128, 0], ['transmitq', 0, 0]]);
  assert.equal(hexMac(drv.mac), d.mac);
});
