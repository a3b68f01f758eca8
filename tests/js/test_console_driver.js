// Unit tests for kernel/drivers/virtio/console.js (and rng.js) against the
// shared fake device (tests/js/lib/fake-virtio-device.js: a virtio-mmio
// register file plus the device half of the split virtqueues, over the same
// arena bytes as the driver) and, built on it here, a virtio-console that
// answers the control handshake the way QEMU does (virtio 1.2 §5.3.6.2).
const { DmaArena } = require('/kernel/arch/dma');
const { MmioTransport } = require('/kernel/drivers/virtio/mmio-transport');
const { VirtioConsole, EVENT, TX_CHUNK, PENDING_LIMIT } = require('/kernel/drivers/virtio/console');
const { VirtioRng } = require('/kernel/drivers/virtio/rng');
const { fakeVirtioDevice, settle } = require('/tests/lib/fake-virtio-device');

const EV_NAME = Object.fromEntries(Object.entries(EVENT).map(([k, v]) => [v, k]));
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (u8) => String.fromCharCode(...u8);

// --- a fake virtio-console -------------------------------------------------

// A virtio-console with two ports, answering like QEMU's virtio-serial: the
// control queue and the ports, built on the shared device's pop() and push().
function fakeConsole(arena, opts = {}) {
  const bytes = new Uint8Array(arena);
  const view = new DataView(arena);
  const ports = opts.ports ?? [
    { id: 0, console: true, name: null, hostOpen: true },
    { id: 1, console: false, name: 'org.jsksh.shell.0', hostOpen: true },
  ];
  const config = new Uint8Array(12);
  new DataView(config.buffer).setUint16(0, 80, true); // cols
  new DataView(config.buffer).setUint16(2, 24, true); // rows
  new DataView(config.buffer).setUint32(4, opts.maxPorts ?? 2, true);
  const con = {
    fromDriver: [], // control messages the driver sent: [EVENT_NAME, id, value]
    received: {}, // port id -> bytes the driver transmitted
    txDescriptors: {}, // port id -> number of tx chains seen
    txPaused: false,
    toDriver: [], // control messages waiting for a control rx buffer
  };
  const rxq = (p) => (p === 0 ? 0 : 2 + 2 * p);
  const txq = (p) => (p === 0 ? 1 : 3 + 2 * p);

  function sendControl(id, event, value, extra = new Uint8Array(0)) {
    con.toDriver.push({ id, event, value, extra });
    flushControl();
  }
  function flushControl() {
    while (con.toDriver.length) {
      const chain = dev.pop(2);
      if (!chain) return;
      const { id, event, value, extra } = con.toDriver.shift();
      const at = chain.bufs[0].addr;
      view.setUint32(at, id, true);
      view.setUint16(at + 4, event, true);
      view.setUint16(at + 6, value, true);
      bytes.set(extra, at + 8);
      dev.push(2, chain.head, 8 + extra.length);
    }
  }
  function onControlTx() {
    for (let chain; (chain = dev.pop(3)); ) {
      const at = chain.bufs[0].addr;
      const id = view.getUint32(at, true);
      const event = view.getUint16(at + 4, true);
      const value = view.getUint16(at + 6, true);
      con.fromDriver.push([EV_NAME[event], id, value]);
      dev.push(3, chain.head, 0);
      const port = ports.find((p) => p.id === id);
      if (event === EVENT.DEVICE_READY) for (const p of ports) sendControl(p.id, EVENT.DEVICE_ADD, 0);
      if (event === EVENT.PORT_READY && value === 1 && port) {
        if (port.console) sendControl(id, EVENT.CONSOLE_PORT, 1);
        if (port.name) sendControl(id, EVENT.PORT_NAME, 1, Uint8Array.from([...ascii(port.name), 0]));
        if (port.hostOpen) sendControl(id, EVENT.PORT_OPEN, 1);
      }
    }
  }
  function onTx(p) {
    if (con.txPaused) return;
    for (let chain; (chain = dev.pop(txq(p))); ) {
      const got = (con.received[p] ||= []);
      for (const b of chain.bufs) got.push(...bytes.subarray(b.addr, b.addr + b.len));
      con.txDescriptors[p] = (con.txDescriptors[p] || 0) + 1;
      dev.push(txq(p), chain.head, 0);
    }
  }
  const dev = fakeVirtioDevice(arena, {
    deviceId: 3,
    features: (1n << 32n) | 0b111n,
    config,
    queues: 2 + 2 * (opts.maxPorts ?? 2),
    queueMax: 64,
    onNotify(qi) {
      if (qi === 2) flushControl();
      else if (qi === 3) onControlTx();
      else if (qi % 2 === 1) onTx(qi === 1 ? 0 : (qi - 3) / 2);
    },
  });
  con.dev = dev;
  con.resumeTx = (p) => {
    con.txPaused = false;
    onTx(p);
  };
  // The host types into port p: fill rx buffers, as many as the data needs.
  con.hostSend = (p, data) => {
    let off = 0;
    while (off < data.length) {
      const chain = dev.pop(rxq(p));
      if (!chain) return off;
      const n = Math.min(chain.bufs[0].len, data.length - off);
      bytes.set(data.subarray(off, off + n), chain.bufs[0].addr);
      dev.push(rxq(p), chain.head, n);
      off += n;
    }
    return off;
  };
  con.sendControl = sendControl;
  return con;
}

function boot(opts) {
  const arena = new ArrayBuffer(1024 * 1024);
  const dma = new DmaArena(arena);
  const con = fakeConsole(arena, opts);
  const logs = [];
  const drv = new VirtioConsole(new MmioTransport(con.dev, 0), dma, (m) => logs.push(m));
  const events = [];
  drv.onPortAdded = (p) => events.push(['added', p.id]);
  drv.onPortName = (id, name) => events.push(['name', id, name]);
  drv.onConsolePort = (id) => events.push(['console', id]);
  drv.onHostOpen = (id, open) => events.push(['open', id, open]);
  drv.onResize = (id, c, r) => events.push(['resize', id, c, r]);
  drv.onData = (id, b) => events.push(['data', id, text(b)]);
  drv.start();
  settle(drv, con.dev);
  return { arena, dma, con, drv, events, logs };
}

// --- tests -----------------------------------------------------------------

test('console: start negotiates MULTIPORT|SIZE and sets up all queues before DRIVER_OK', () => {
  const { con, drv } = boot();
  assert.equal(con.dev.driverFeatures, (1n << 32n) | 0b011n); // not EMERG_WRITE
  assert.equal(con.dev.status, 1 | 2 | 8 | 4);
  assert.deepEqual(con.dev.q.map((q) => q.ready), [1, 1, 1, 1, 1, 1]);
  assert.equal(drv.cols, 80);
  assert.equal(drv.rows, 24);
  assert.equal(drv.maxPorts, 2);
});

test('console: the control handshake, in QEMU order', () => {
  const { con, events, logs } = boot();
  assert.deepEqual(con.fromDriver, [
    ['DEVICE_READY', 0xffffffff, 1],
    ['PORT_READY', 0, 1],
    ['PORT_READY', 1, 1],
    ['PORT_OPEN', 0, 1], // §5.3.6.2: a console port must be answered with PORT_OPEN 1
  ]);
  assert.deepEqual(events, [
    ['added', 0],
    ['added', 1],
    ['console', 0],
    ['open', 0, true],
    ['name', 1, 'org.jsksh.shell.0'],
    ['open', 1, true],
  ]);
  assert.deepEqual(logs, ['virtio-console: multiport, 2 ports']);
});

test('console: describe() reports features, queues and ports', () => {
  const { drv } = boot();
  const d = drv.describe();
  assert.equal(d.name, 'virtio-console');
  assert.deepEqual(d.features, ['SIZE', 'MULTIPORT', 'VERSION_1']);
  assert.deepEqual(d.queues.map((q) => [q.index, q.name, q.size]), [
    [0, 'port0.rx', 64], [1, 'port0.tx', 64], [2, 'control.rx', 32], [3, 'control.tx', 32], [4, 'port1.rx', 64], [5, 'port1.tx', 64],
  ]);
  assert.equal(d.queues[0].avail_idx, 8); // eight rx buffers posted
  assert.deepEqual(d.ports.map((p) => [p.id, p.name, p.console, p.host_open]), [[0, null, true, true], [1, 'org.jsksh.shell.0', false, true]]);
  JSON.stringify(d); // JSON-able: no BigInt left
});

test('console: input is copied out and the rx buffer reposted', () => {
  const { con, drv } = boot();
  const rx = drv.ports[1].rx;
  const availBefore = rx.availIdx;
  let got = null;
  drv.onData = (id, b) => (got = b);
  assert.equal(con.hostSend(1, ascii('hi')), 2);
  settle(drv, con.dev);
  assert.equal(text(got), 'hi');
  assert.equal(rx.numFree, rx.size - 8); // still eight buffers posted
  assert.equal(rx.availIdx, (availBefore + 1) & 0xffff);
  // The delivered bytes are a copy: the device scribbling over every posted
  // buffer (which it may, once they are reposted) changes nothing.
  for (const buf of rx.pendingTokens()) drv.dma.bytes.fill(0x5a, buf.addr, buf.addr + buf.size);
  assert.equal(text(got), 'hi');
});

test('console: data larger than one rx buffer arrives in order', () => {
  const { con, drv } = boot();
  const chunks = [];
  drv.onData = (id, b) => chunks.push([id, b.length]);
  const big = new Uint8Array(10000).map((_, i) => i & 0xff);
  assert.equal(con.hostSend(0, big), 10000);
  settle(drv, con.dev);
  assert.deepEqual(chunks, [[0, 4096], [0, 4096], [0, 1808]]);
});

test('console: write splits into 32 KiB chunks with one kick', () => {
  const { con, drv, dma } = boot();
  const used = dma.stats().used;
  const notifies = con.dev.notifies.length;
  const data = new Uint8Array(80000).map((_, i) => (i * 7) & 0xff);
  assert.equal(drv.write(1, data), true);
  assert.deepEqual(con.dev.notifies.slice(notifies), [5]); // port 1 tx, once
  assert.equal(con.txDescriptors[1], 3);
  assert.equal(TX_CHUNK, 32768);
  assert.deepEqual(Uint8Array.from(con.received[1]), data);
  settle(drv, con.dev);
  assert.equal(dma.stats().used, used); // tx buffers freed on the interrupt
  assert.equal(drv.ports[1].tx.numFree, drv.ports[1].tx.size);
});

test('console: a full tx queue keeps bytes in order, bounded, and counts drops', () => {
  const { con, drv } = boot();
  con.txPaused = true; // the host stops reading
  const tx = drv.ports[0].tx;
  // Fill every descriptor (64 one-byte writes), then more.
  for (let i = 0; i < tx.size; i++) drv.write(0, Uint8Array.of(i));
  assert.equal(tx.numFree, 0);
  assert.equal(drv.write(0, ascii('after')), true);
  assert.equal(drv.ports[0].pendingBytes, 5);
  // Past the bound the rest is dropped, not thrown, and counted.
  assert.equal(drv.write(0, new Uint8Array(PENDING_LIMIT)), false);
  assert.equal(drv.ports[0].pendingBytes, PENDING_LIMIT);
  assert.equal(drv.ports[0].drops, 5);
  // The host reads again: the pending bytes follow the queued ones, in order.
  con.resumeTx(0);
  for (let i = 0; i < 200 && drv.ports[0].pendingBytes; i++) {
    settle(drv, con.dev);
    con.resumeTx(0);
  }
  assert.equal(drv.ports[0].pendingBytes, 0);
  const got = con.received[0];
  assert.equal(got.length, 64 + PENDING_LIMIT);
  assert.deepEqual(got.slice(0, 3), [0, 1, 2]);
  assert.equal(text(got.slice(64, 69)), 'after');
  assert.equal(drv.describe().ports[0].drops, 5);
});

test('console: write accepts strings (as UTF-8) and other views', () => {
  const { con, drv } = boot();
  drv.write(1, 'h\u00e9 \u20ac\ud83d\ude00');
  drv.write(1, new Uint16Array([0x4241]));
  assert.deepEqual(con.received[1], [0x68, 0xc3, 0xa9, 0x20, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x41, 0x42]);
});

test('console: writes to an unknown port are counted, never thrown', () => {
  const { drv } = boot();
  assert.equal(drv.write(9, ascii('lost')), false);
  assert.equal(drv.drops, 4);
});

test('console: PORT_OPEN 0 from the host and RESIZE reach the callbacks', () => {
  const { con, drv, events } = boot();
  events.length = 0;
  con.sendControl(1, EVENT.PORT_OPEN, 0);
  con.sendControl(0, EVENT.RESIZE, 0, Uint8Array.of(132, 0, 43, 0)); // le16 cols, le16 rows
  settle(drv, con.dev);
  assert.deepEqual(events, [['open', 1, false], ['resize', 0, 132, 43]]);
  assert.equal(drv.describe().ports[1].host_open, false);
});

test('console: openPort sends PORT_OPEN from the guest side', () => {
  const { con, drv } = boot();
  con.fromDriver.length = 0;
  drv.openPort(1);
  assert.deepEqual(con.fromDriver, [['PORT_OPEN', 1, 1]]);
  assert.equal(drv.describe().ports[1].guest_open, true);
});

test('console: DEVICE_ADD beyond max_nr_ports is refused with PORT_READY 0', () => {
  const { con, drv, events } = boot();
  con.fromDriver.length = 0;
  events.length = 0;
  con.sendControl(5, EVENT.DEVICE_ADD, 0);
  settle(drv, con.dev);
  assert.deepEqual(con.fromDriver, [['PORT_READY', 5, 0]]);
  assert.deepEqual(events, []);
});

test('console: a throwing callback is logged and the rings stay consistent', () => {
  const { con, drv, logs } = boot();
  drv.onData = () => {
    throw new Error('boom');
  };
  con.hostSend(1, ascii('x'));
  settle(drv, con.dev);
  assert.ok(logs.some((l) => /onData threw: Error: boom/.test(l)));
  assert.equal(drv.ports[1].rx.numFree, drv.ports[1].rx.size - 8);
});

test('console: control rx buffers are recycled over many messages', () => {
  const { con, drv, events } = boot();
  events.length = 0;
  for (let i = 0; i < 100; i++) {
    con.sendControl(1, EVENT.PORT_OPEN, i & 1);
    settle(drv, con.dev);
  }
  assert.equal(events.length, 100);
  assert.equal(drv.controlRx.numFree, drv.controlRx.size - 8);
});

// --- virtio-rng ------------------------------------------------------------

function bootRng(fillBytes) {
  const arena = new ArrayBuffer(256 * 1024);
  const bytes = new Uint8Array(arena);
  let counter = 0;
  const dev = fakeVirtioDevice(arena, {
    deviceId: 4,
    features: 1n << 32n,
    queues: 1,
    queueMax: 64,
    onNotify() {
      // A stingy entropy source: at most `fillBytes` bytes per buffer.
      for (let chain; (chain = dev.pop(0)); ) {
        const b = chain.bufs[0];
        const n = Math.min(b.len, fillBytes);
        for (let i = 0; i < n; i++) bytes[b.addr + i] = counter++ & 0xff;
        dev.push(0, chain.head, n);
      }
    },
  });
  const rng = new VirtioRng(new MmioTransport(dev, 1), new DmaArena(arena));
  rng.start();
  return { dev, rng };
}

test('rng: read(n) keeps asking until it has n bytes', async () => {
  const { dev, rng } = bootRng(3);
  const p = rng.read(10);
  settle(rng, dev);
  const got = await p;
  assert.deepEqual(got, Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  assert.equal(dev.driverFeatures, 1n << 32n);
  assert.equal(rng.describe().bytes_read, 10);
  assert.equal(rng.describe().waiting, 0);
});

test('rng: concurrent reads are served in order', async () => {
  const { dev, rng } = bootRng(4096);
  const a = rng.read(4);
  const b = rng.read(2);
  settle(rng, dev);
  assert.deepEqual(await a, Uint8Array.of(0, 1, 2, 3));
  assert.deepEqual(await b, Uint8Array.of(4, 5));
  assert.equal(rng.vq.numFree, rng.vq.size);
});
