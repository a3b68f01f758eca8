// kernel/drivers/virtio/net.js: driver for the virtio network device (device id 1, virtio 1.2 §5.1).
//
// Two queues: receiveq (0), where we keep device-writable buffers posted for
// incoming frames, and transmitq (1), where each outgoing frame goes with its
// 12-byte virtio-net header (§5.1.6: with VERSION_1 the header always has
// num_buffers). The network stack sees only Ethernet frames: onFrame(bytes)
// for each one received, send(bytes) for each one to transmit.
'use strict';

const { featureNames, mask } = require('./features');

const DEVICE_ID = 1;
const RECEIVEQ = 0;
const TRANSMITQ = 1;
const QUEUE_SIZE = 256;
const HEADER = 12; // flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers
// §5.1.6.3.1: without MRG_RXBUF each receive buffer must hold a whole frame:
// 1514 bytes of Ethernet (no FCS) + the header, rounded up.
const RX_BUFFER = 2048;
const RX_BUFFERS = 128;
const CONFIG_MAC = 0;
const CONFIG_STATUS = 6;
const LINK_UP = 1;
// The device is told about new frames once per kernel turn (the microtask
// after the turn's last send), or after this many: each notification is a
// trap into the machine, and a burst of replies goes in one (Linux's
// xmit_more). Well below QUEUE_SIZE, so the ring never fills untold.
const KICK_BATCH = 64;

class VirtioNet {
  constructor(transport, dma, log) {
    this.transport = transport;
    this.dma = dma;
    this.log = typeof log === 'function' ? log : () => {};
    this.features = 0n;
    this.mac = new Uint8Array(6);
    this.onFrame = (bytes) => {};
    this.counters = { rx_frames: 0, rx_bytes: 0, tx_frames: 0, tx_bytes: 0, tx_dropped: 0, rx_runt: 0 };
    this.untold = 0; // frames queued since the last notification
  }

  // §3.1.1 through the transport, then §5.1.5: queues, buffers, DRIVER_OK.
  start() {
    const t = this.transport;
    this.features = t.init(mask(DEVICE_ID, ['MAC', 'STATUS']));
    if (this.features & mask(DEVICE_ID, ['MAC'])) {
      for (let i = 0; i < 6; i++) this.mac[i] = t.readConfig8(CONFIG_MAC + i);
    } else {
      // §5.1.5: without MAC the driver picks one; locally administered (bit 1 of octet 0).
      this.mac.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    }
    this.rx = t.setupQueue(RECEIVEQ, this.dma, QUEUE_SIZE);
    this.tx = t.setupQueue(TRANSMITQ, this.dma, QUEUE_SIZE);
    // Finished transmits are reclaimed on the next send; no interrupt needed.
    this.tx.suppressInterrupts(true);
    const count = Math.min(RX_BUFFERS, this.rx.size);
    for (let i = 0; i < count; i++) this.postRx(this.dma.alloc(RX_BUFFER, 16));
    t.driverOk();
    this.rx.kick();
  }

  get link() {
    if (!(this.features & mask(DEVICE_ID, ['STATUS']))) return true; // §5.1.4: assume up
    return (this.transport.readConfig16(CONFIG_STATUS) & LINK_UP) !== 0;
  }

  macString() {
    return Array.from(this.mac, (b) => b.toString(16).padStart(2, '0')).join(':');
  }

  postRx(addr) {
    this.rx.add([{ addr, len: RX_BUFFER, write: true }], addr);
  }

  // Queue one Ethernet frame (a Uint8Array, without FCS). Never blocks: if
  // the queue or the arena is full the frame is dropped and counted, as a
  // NIC's full transmit ring drops.
  send(frame) {
    this.reclaimTx();
    let addr;
    try {
      addr = this.dma.alloc(HEADER + frame.length, 16);
    } catch (e) {
      this.counters.tx_dropped++;
      return false;
    }
    this.dma.bytes.fill(0, addr, addr + HEADER); // no offloads: an all-zero header
    this.dma.bytes.set(frame, addr + HEADER);
    if (!this.tx.add([{ addr, len: HEADER + frame.length, write: false }], addr)) {
      this.dma.free(addr);
      this.counters.tx_dropped++;
      return false;
    }
    this.counters.tx_frames++;
    this.counters.tx_bytes += frame.length;
    this.untold++;
    if (this.untold >= KICK_BATCH) this.flush();
    else if (this.untold === 1) Promise.resolve().then(() => this.flush());
    return true;
  }

  // Tell the device about the frames queued since the last time (§2.7.13).
  flush() {
    if (!this.untold) return;
    this.untold = 0;
    this.tx.kick();
  }

  reclaimTx() {
    for (const { token } of this.tx.takeUsed()) this.dma.free(token);
  }

  handleInterrupt() {
    const isr = this.transport.interruptStatus();
    this.transport.ackInterrupt(isr); // before draining: see console.js
    this.poll();
  }

  // Drain every received frame, repost its buffer, then hand the frames up.
  poll() {
    const frames = [];
    let reposted = 0;
    for (const { token: addr, len } of this.rx.takeUsed()) {
      const got = Math.min(len, RX_BUFFER); // never trust a length larger than the buffer
      if (got > HEADER) {
        frames.push(this.dma.bytes.slice(addr + HEADER, addr + got));
      } else this.counters.rx_runt++;
      this.postRx(addr);
      reposted++;
    }
    // Every reposted buffer is announced (§2.7.13), runts' too: a device out
    // of buffers waits for this kick before it hands us more frames.
    if (reposted) this.rx.kick();
    this.reclaimTx();
    for (const f of frames) {
      this.counters.rx_frames++;
      this.counters.rx_bytes += f.length;
      this.onFrame(f);
    }
  }

  describe() {
    const q = (vq, name) => ({ index: vq.index, name, size: vq.size, avail_idx: vq.availIdx, used_idx: vq.usedIdx });
    return {
      name: 'virtio-net',
      features: featureNames(DEVICE_ID, this.features),
      mac: this.macString(),
      link: this.link ? 'up' : 'down',
      queues: this.rx ? [q(this.rx, 'receiveq'), q(this.tx, 'transmitq')] : [],
      ...this.counters,
    };
  }
}

module.exports = { VirtioNet, DEVICE_ID, HEADER, RX_BUFFER };
