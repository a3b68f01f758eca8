// kernel/drivers/virtio/console.js: driver for the virtio console (device id 3, virtio 1.2 §5.3).
//
// With MULTIPORT one device carries several ports, each a byte stream with its
// own rx/tx queue pair, plus a control queue pair on which the device announces
// ports (DEVICE_ADD, PORT_NAME, ...) and the driver answers (PORT_READY, ...).
// jsksh's machine offers port 0, the console (hvc0), and port 1,
// "org.jsksh.shell.0", the client's structured channel. Above it sits
// kernel/tty/console-ports.js (which port carries what), and it sees only
// callbacks: onPortAdded, onPortRemoved, onPortName, onData, onHostOpen,
// onResize, onDrain.
'use strict';

const { utf8Bytes, utf8Decode } = require('../../lib/utf8');
const { featureNames, BY_DEVICE, bit } = require('./features');
const { INT_CONFIG_CHANGE } = require('./mmio-transport');

const DEVICE_ID = 3;
const F_SIZE = bit(BY_DEVICE[DEVICE_ID].SIZE); // cols/rows in config are valid
const F_MULTIPORT = bit(BY_DEVICE[DEVICE_ID].MULTIPORT); // control queues and max_nr_ports

// struct virtio_console_config (§5.3.4): le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr.
// (Newer spec drafts and Linux disagree on cols/rows order; the machine uses this one.)
const CONFIG_COLS = 0; // rows at 2
const CONFIG_MAX_NR_PORTS = 4;

// Control events, §5.3.6.2.
const EVENT = {
  DEVICE_READY: 0, // driver -> device: send me your ports
  DEVICE_ADD: 1, // device -> driver: port `id` exists
  DEVICE_REMOVE: 2, // device -> driver: port `id` is gone
  PORT_READY: 3, // driver -> device: port `id` is set up (value 1) or failed (0)
  CONSOLE_PORT: 4, // device -> driver: port `id` is a console
  RESIZE: 5, // device -> driver: le16 cols, le16 rows follow
  PORT_OPEN: 6, // both ways: that side opened (1) or closed (0) the port
  PORT_NAME: 7, // device -> driver: the port's name follows (UTF-8)
};
const EVENT_NAMES = Object.fromEntries(Object.entries(EVENT).map(([k, v]) => [v, k]));

// struct virtio_console_control { le32 id; le16 event; le16 value; }
const CONTROL_HEADER = 8;
const NO_PORT = 0xffffffff; // DEVICE_READY's id is unused; Linux sends ~0 too

// Queue numbering, §5.3.2: 0/1 port 0 rx/tx, 2/3 control rx/tx, then 4/5 port 1, 6/7 port 2, ...
const CONTROL_RX = 2;
const CONTROL_TX = 3;
const rxQueueOf = (port) => (port === 0 ? 0 : 2 + 2 * port);
const txQueueOf = (port) => (port === 0 ? 1 : 3 + 2 * port);

// Sizes. Each port keeps RX_BUFFERS buffers posted at all times, reposting each
// as soon as its bytes are copied out, so input never waits for memory.
const DATA_QUEUE_SIZE = 64;
const CONTROL_QUEUE_SIZE = 32;
const RX_BUFFERS = 8;
const RX_BUFFER_SIZE = 4096;
const CONTROL_RX_BUFFERS = 8;
const CONTROL_RX_BUFFER_SIZE = 512; // a header and a port name
const TX_CHUNK = 32768; // one descriptor per chunk of a write: bulk output goes in few
const PENDING_LIMIT = 320 * 1024; // bytes per port held in JS while its tx queue is full
const ROOM_RESERVE = 64 * 1024; // of which bulk writers leave this much for the kernel's own messages

class VirtioConsole {
  constructor(transport, dma, log) {
    this.transport = transport;
    this.dma = dma;
    this.log = typeof log === 'function' ? log : () => {};
    this.features = 0n;
    this.multiport = false;
    this.maxPorts = 0;
    this.ports = []; // by port id; see newPort()
    this.queues = []; // [{vq, name}] in queue-index order, for describe()
    this.controlRx = null;
    this.controlTx = null;
    this.controlBuffers = []; // the control rx buffers, posted once and recycled
    this.controlPending = []; // control messages already in DMA, waiting for a descriptor
    this.cols = 0;
    this.rows = 0;
    this.drops = 0; // bytes written to ports that do not exist

    // Callbacks the tty layer sets. Each is called after the rings are back
    // in order, so it may call write() or openPort() itself.
    this.onPortAdded = (port) => {};
    this.onPortRemoved = (port) => {};
    this.onPortName = (portId, name) => {};
    this.onConsolePort = (portId) => {};
    this.onData = (portId, bytes) => {};
    this.onHostOpen = (portId, open) => {};
    this.onResize = (portId, cols, rows) => {};
  }

  // Initialise the device (§3.1.1 through the transport, §5.3.5 for the console).
  start() {
    const t = this.transport;
    this.features = t.init(F_MULTIPORT | F_SIZE);
    this.multiport = (this.features & F_MULTIPORT) !== 0n;
    this.maxPorts = this.multiport ? Math.max(1, t.readConfig32(CONFIG_MAX_NR_PORTS)) : 1;
    if (this.features & F_SIZE) this.readSize();

    // Every queue is set up before DRIVER_OK (§3.1.1 step 7): ports the device
    // adds later need their queues already. Rings are small; the 32 KiB of rx
    // buffers per port is only allocated when a port is added.
    for (let id = 0; id < this.maxPorts; id++) {
      this.ports[id] = this.newPort(id);
      if (id === 0 && this.multiport) {
        this.controlRx = this.setupQueue(CONTROL_RX, CONTROL_QUEUE_SIZE, 'control.rx');
        this.controlTx = this.setupQueue(CONTROL_TX, CONTROL_QUEUE_SIZE, 'control.tx');
      }
    }
    if (this.multiport) {
      this.controlBuffers = this.allocBuffers(Math.min(CONTROL_RX_BUFFERS, this.controlRx.size), CONTROL_RX_BUFFER_SIZE);
      for (const buf of this.controlBuffers) this.postRx(this.controlRx, buf);
    } else {
      this.addPort(0, /* quiet */ true); // a single-port console just exists
    }

    // §3.1.1 step 8: the device may use the queues from now on.
    t.driverOk();
    if (this.multiport) {
      this.controlRx.kick();
      // §5.3.6.2: "The driver MUST send a VIRTIO_CONSOLE_DEVICE_READY message";
      // the device answers with a DEVICE_ADD for every port.
      this.sendControl(NO_PORT, EVENT.DEVICE_READY, 1);
    } else {
      this.ports[0].rx.kick();
      this.emit('onPortAdded', this.ports[0]);
    }
    this.log(`virtio-console: ${this.multiport ? `multiport, ${this.maxPorts} ports` : 'single port'}`);
  }

  // Queues bytes for port `portId` (a Uint8Array; other views, ArrayBuffers
  // and strings, as UTF-8, are converted). Never throws and never blocks: what
  // does not fit in the tx queue waits in JS (up to PENDING_LIMIT bytes a
  // port) and goes out as the device completes earlier buffers; beyond that
  // it is dropped and counted in port.drops. Returns false if anything was dropped.
  write(portId, data) {
    data = toBytes(data);
    const port = this.ports[portId];
    if (!port) {
      this.drops += data.length;
      return false;
    }
    if (data.length === 0) return true;
    const before = port.tx.availIdx;
    this.reclaimTx(port);
    this.sendPending(port); // older bytes go first
    let sent = 0;
    if (port.pending.length === 0 && port.added) sent = this.sendChunks(port, data);
    const kept = sent < data.length ? this.hold(port, data.subarray(sent)) : true;
    this.settleTx(port);
    // One kick per write, however many chunks it took: each kick is a trap.
    if (port.tx.availIdx !== before) port.tx.kick();
    return kept;
  }

  // The guest side of `portId` is open (or closed): PORT_OPEN from the driver.
  // The device (like QEMU) may hold back input for a port until it is open.
  openPort(portId, open = true) {
    const port = this.ports[portId];
    if (!port) return;
    port.guestOpen = open;
    this.sendControl(portId, EVENT.PORT_OPEN, open ? 1 : 0);
  }

  // The device's IRQ line fired.
  handleInterrupt() {
    const isr = this.transport.interruptStatus();
    // Acknowledge before draining, not after: a buffer the device uses while
    // we drain then raises a fresh interrupt. Acknowledged after, that
    // interrupt would be swallowed and the buffer would sit unnoticed.
    this.transport.ackInterrupt(isr);
    if ((isr & INT_CONFIG_CHANGE) !== 0 && (this.features & F_SIZE) !== 0n) {
      this.readSize();
      this.emit('onResize', 0, this.cols, this.rows);
    }
    this.poll();
  }

  // Drains every queue without touching a register (except for kicks).
  // Interrupts are coalesced, so each call looks at all queues.
  poll() {
    if (this.multiport) this.drainControl();
    for (const port of this.ports) if (port && port.rxPosted) this.drainRx(port);
    for (const port of this.ports) {
      if (!port) continue;
      const before = port.tx.availIdx;
      const held = port.pendingBytes;
      this.reclaimTx(port);
      this.sendPending(port);
      this.settleTx(port);
      if (port.tx.availIdx !== before) port.tx.kick();
      // Bytes waiting in JS went to the device: whoever stopped for room goes on.
      if (held > 0 && port.pendingBytes < held) this.emit('onDrain', port.id);
    }
  }

  // How many more bytes a bulk writer (the kernel's pumps) may write(portId)
  // now. ROOM_RESERVE of the pending limit is kept back for the kernel's own
  // small messages (log lines, the structured port's replies), which write
  // without asking: they must never be dropped in the middle of a stream.
  room(portId) {
    const port = this.ports[portId];
    if (!port || !port.added) return Infinity; // nowhere to go: nothing to wait for
    return Math.max(0, PENDING_LIMIT - ROOM_RESERVE - port.pendingBytes);
  }

  describe() {
    return {
      name: 'virtio-console',
      features: featureNames(DEVICE_ID, this.features),
      max_nr_ports: this.maxPorts,
      cols: this.cols,
      rows: this.rows,
      queues: this.queues.map(({ vq, name }) => ({
        index: vq.index,
        name,
        size: vq.size,
        avail_idx: vq.availIdx,
        used_idx: vq.usedIdx,
      })),
      ports: this.ports
        .filter((p) => p && p.added)
        .map((p) => ({
          id: p.id,
          name: p.name,
          console: p.console,
          host_open: p.hostOpen,
          guest_open: p.guestOpen,
          rx_bytes: p.rxBytes,
          tx_bytes: p.txBytes,
          pending: p.pendingBytes,
          drops: p.drops,
        })),
    };
  }

  // --- ports -------------------------------------------------------------

  newPort(id) {
    return {
      id,
      name: null,
      console: false,
      added: false,
      hostOpen: !this.multiport, // without MULTIPORT there is no PORT_OPEN: assume open
      guestOpen: false,
      cols: 0,
      rows: 0,
      rx: this.setupQueue(rxQueueOf(id), DATA_QUEUE_SIZE, `port${id}.rx`),
      tx: this.quietQueue(this.setupQueue(txQueueOf(id), DATA_QUEUE_SIZE, `port${id}.tx`)),
      rxPosted: false,
      pending: [], // Uint8Arrays waiting for tx descriptors, oldest first
      pendingBytes: 0,
      drops: 0,
      rxBytes: 0,
      txBytes: 0,
    };
  }

  // DEVICE_ADD: fill the port's receive queue, then tell the device it is ready.
  addPort(id, quiet = false) {
    const port = this.ports[id];
    if (!port) {
      // §5.3.6.2: the device must not add a port >= max_nr_ports; refuse it.
      this.log(`virtio-console: DEVICE_ADD for port ${id}, but max_nr_ports is ${this.maxPorts}`);
      this.sendControl(id, EVENT.PORT_READY, 0);
      return;
    }
    if (port.added) {
      this.log(`virtio-console: port ${id} added twice`);
      return;
    }
    port.added = true;
    if (!port.rxPosted) {
      // Posted once and kept: after DEVICE_REMOVE and a new DEVICE_ADD the
      // buffers are still in the queue.
      port.rxPosted = true;
      for (const buf of this.allocBuffers(Math.min(RX_BUFFERS, port.rx.size), RX_BUFFER_SIZE)) this.postRx(port.rx, buf);
      if (!quiet) port.rx.kick();
    }
    if (this.multiport) this.sendControl(id, EVENT.PORT_READY, 1);
    if (!quiet) {
      // Anything written before the port existed goes out now.
      const before = port.tx.availIdx;
      this.sendPending(port);
      if (port.tx.availIdx !== before) port.tx.kick();
      this.emit('onPortAdded', port);
    }
  }

  // --- control queue (§5.3.6.2) -------------------------------------------

  drainControl() {
    const messages = [];
    const used = this.controlRx.takeUsed();
    for (const { token: buf, len } of used) {
      messages.push(this.parseControl(buf.addr, Math.min(len, buf.size)));
      this.postRx(this.controlRx, buf); // parsed into JS values, so the buffer can go back
    }
    if (used.length) this.controlRx.kick();
    this.reclaimControlTx();
    for (const msg of messages) if (msg) this.handleControl(msg);
  }

  parseControl(addr, len) {
    if (len < CONTROL_HEADER) {
      this.log(`virtio-console: short control message (${len} bytes)`);
      return null;
    }
    const v = this.dma.view;
    return {
      id: v.getUint32(addr, true),
      event: v.getUint16(addr + 4, true),
      value: v.getUint16(addr + 6, true),
      extra: this.dma.bytes.slice(addr + CONTROL_HEADER, addr + len),
    };
  }

  handleControl({ id, event, value, extra }) {
    if (event === EVENT.DEVICE_ADD) return this.addPort(id);
    const port = this.ports[id];
    if (!port || !port.added) {
      this.log(`virtio-console: ${EVENT_NAMES[event] || `event ${event}`} for unknown port ${id}`);
      return;
    }
    switch (event) {
      case EVENT.DEVICE_REMOVE:
        port.added = false;
        port.hostOpen = false;
        this.emit('onPortRemoved', port);
        break;
      case EVENT.CONSOLE_PORT:
        // §5.3.6.2: the driver "MUST respond with a VIRTIO_CONSOLE_PORT_OPEN
        // message, which MUST have value set to 1": a console is always open.
        port.console = true;
        this.openPort(id, true);
        this.emit('onConsolePort', id);
        break;
      case EVENT.RESIZE: {
        if (extra.length < 4) break;
        const cols = extra[0] | (extra[1] << 8);
        const rows = extra[2] | (extra[3] << 8);
        port.cols = cols;
        port.rows = rows;
        this.emit('onResize', id, cols, rows);
        break;
      }
      case EVENT.PORT_OPEN:
        port.hostOpen = value === 1;
        this.emit('onHostOpen', id, port.hostOpen);
        break;
      case EVENT.PORT_NAME:
        port.name = decodeName(extra);
        this.emit('onPortName', id, port.name);
        break;
      default:
        this.log(`virtio-console: unexpected control event ${EVENT_NAMES[event] || event} for port ${id}`);
    }
  }

  // Control messages are tiny and rare: each gets its own DMA block, freed
  // when the device has read it. They are never dropped: if the control tx
  // queue is full they wait, in order, in controlPending.
  sendControl(id, event, value) {
    const addr = this.dma.alloc(CONTROL_HEADER, 4);
    const v = this.dma.view;
    v.setUint32(addr, id, true);
    v.setUint16(addr + 4, event, true);
    v.setUint16(addr + 6, value, true);
    this.reclaimControlTx();
    this.controlPending.push({ addr, len: CONTROL_HEADER });
    this.flushControl();
  }

  flushControl() {
    let added = 0;
    while (this.controlPending.length) {
      const msg = this.controlPending[0];
      if (!this.controlTx.add([{ addr: msg.addr, len: msg.len, write: false }], msg)) break;
      this.controlPending.shift();
      added++;
    }
    if (added) this.controlTx.kick();
  }

  reclaimControlTx() {
    let freed = 0;
    for (const { token } of this.controlTx.takeUsed()) {
      this.dma.free(token.addr);
      freed++;
    }
    if (freed && this.controlPending.length) this.flushControl();
  }

  // --- data path ---------------------------------------------------------

  drainRx(port) {
    const chunks = [];
    const used = port.rx.takeUsed();
    for (const { token: buf, len } of used) {
      // Copy the bytes out before reposting: once the buffer is back in the
      // available ring the device may overwrite it at any moment.
      const n = Math.min(len, buf.size);
      if (n > 0) chunks.push(this.dma.bytes.slice(buf.addr, buf.addr + n));
      this.postRx(port.rx, buf);
    }
    if (used.length) port.rx.kick();
    for (const bytes of chunks) {
      port.rxBytes += bytes.length;
      this.emit('onData', port.id, bytes);
    }
  }

  // Copies `data` into DMA chunks and adds them to the tx queue while there is
  // room (descriptors and arena memory). Returns how many bytes went in.
  sendChunks(port, data) {
    let sent = 0;
    while (sent < data.length && port.tx.numFree > 0) {
      const n = Math.min(TX_CHUNK, data.length - sent);
      const addr = this.tryAlloc(n);
      if (addr === null) break;
      this.dma.bytes.set(data.subarray(sent, sent + n), addr);
      port.tx.add([{ addr, len: n, write: false }], { addr, len: n });
      port.txBytes += n;
      sent += n;
    }
    return sent;
  }

  sendPending(port) {
    if (!port.added) return;
    while (port.pending.length) {
      const head = port.pending[0];
      const sent = this.sendChunks(port, head);
      port.pendingBytes -= sent;
      if (sent < head.length) {
        port.pending[0] = head.subarray(sent);
        return;
      }
      port.pending.shift();
    }
  }

  // Keeps a copy of bytes that could not be queued yet, up to PENDING_LIMIT.
  hold(port, bytes) {
    const keep = Math.min(bytes.length, PENDING_LIMIT - port.pendingBytes);
    if (keep > 0) {
      port.pending.push(bytes.slice(0, keep)); // a copy: the caller may reuse its buffer
      port.pendingBytes += keep;
    }
    port.drops += bytes.length - keep;
    return keep === bytes.length;
  }

  // A finished transmit does not need to interrupt us: its buffers are
  // reclaimed on the next write (as Linux's virtio drivers do). Only while
  // bytes wait for room do we ask to hear about completions (§2.7.7), and
  // then we look once more, in case the device finished before we asked.
  settleTx(port) {
    const waiting = port.pending.length > 0;
    port.tx.suppressInterrupts(!waiting);
    if (waiting && port.tx.hasUsed()) {
      this.reclaimTx(port);
      this.sendPending(port);
    }
  }

  // The device has sent these buffers: their DMA memory is ours again.
  reclaimTx(port) {
    for (const { token } of port.tx.takeUsed()) this.dma.free(token.addr);
  }

  // --- small helpers -----------------------------------------------------

  quietQueue(vq) {
    vq.suppressInterrupts(true);
    return vq;
  }

  setupQueue(index, size, name) {
    const vq = this.transport.setupQueue(index, this.dma, size);
    this.queues.push({ vq, name });
    this.queues.sort((a, b) => a.vq.index - b.vq.index);
    return vq;
  }

  allocBuffers(count, size) {
    const bufs = [];
    for (let i = 0; i < count; i++) bufs.push({ addr: this.dma.alloc(size, 16), size });
    return bufs;
  }

  // A receive buffer is one device-writable descriptor (§5.3.6.1: never a
  // device-readable one in a receiveq).
  postRx(vq, buf) {
    if (!vq.add([{ addr: buf.addr, len: buf.size, write: true }], buf)) {
      this.log(`virtio-console: queue ${vq.index} full, receive buffer not posted`);
    }
  }

  tryAlloc(n) {
    try {
      return this.dma.alloc(n, 1);
    } catch (e) {
      return null; // arena full: the bytes wait in JS until tx buffers come back
    }
  }

  // cols and rows share one 32-bit word: one read gives a consistent pair.
  readSize() {
    const word = this.transport.readConfig32(CONFIG_COLS);
    this.cols = word & 0xffff;
    this.rows = word >>> 16;
  }

  // A throwing callback must not leave the rings half-drained.
  emit(name, ...args) {
    try {
      this[name](...args);
    } catch (e) {
      this.log(`virtio-console: ${name} threw: ${(e && e.stack) || e}`);
    }
  }
}

function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return utf8Bytes(String(data)); // a string, as UTF-8 (lone surrogates as U+FFFD)
}

// Port names are UTF-8 (§5.3.6.2); QEMU adds a NUL.
function decodeName(bytes) {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return utf8Decode(bytes, 0, end);
}

module.exports = { VirtioConsole, EVENT, DEVICE_ID, F_SIZE, F_MULTIPORT, rxQueueOf, txQueueOf, PENDING_LIMIT, TX_CHUNK };
