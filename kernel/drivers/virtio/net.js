// kernel/drivers/virtio/net.js: driver for the virtio network device (device id 1, virtio 1.2 §5.1).
//
// Two queues: receiveq (0), where we keep device-writable buffers posted for
// incoming frames, and transmitq (1), where each outgoing frame goes with its
// 12-byte virtio-net header (§5.1.6: with VERSION_1 the header always has
// num_buffers). The network stack sees Ethernet frames: onFrame(bytes,
// checked) for each one received, send(bytes, offload) for each one to
// transmit.
//
// Offloads (§5.1.6.2): with CSUM the stack may leave a TCP checksum to the
// device, and with HOST_TSO4 hand it a TCP segment of up to 64 KiB to cut
// into MSS-sized ones (send's offload argument; `offloads` says what was
// negotiated). With GUEST_CSUM the device tells us a frame's checksum was
// checked or never computed (DATA_VALID, NEEDS_CSUM: onFrame's `checked`),
// and with GUEST_TSO4 it may hand us such large segments, so we post 64 KiB
// buffers (§5.1.6.3.1). Each offload is one frame crossing into the
// machine instead of forty-four.
'use strict';

const { featureNames, mask } = require('./features');

const DEVICE_ID = 1;
const RECEIVEQ = 0;
const TRANSMITQ = 1;
const QUEUE_SIZE = 256;
const HEADER = 12; // flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers
const FLAG_NEEDS_CSUM = 1;
const FLAG_DATA_VALID = 2;
const GSO_NONE = 0;
const GSO_TCPV4 = 1;
// §5.1.6.3.1: without MRG_RXBUF each receive buffer must hold a whole frame:
// 1514 bytes of Ethernet (no FCS) + the header, rounded up; with GUEST_TSO4,
// "at least 65562 bytes" (an IP packet of 65535, Ethernet and the header).
const RX_BUFFER = 2048;
const RX_BUFFERS = 128;
const RX_BIG_BUFFER = 65562;
const RX_BIG_BUFFERS = 32;
// What we ask for: each TSO bit only with its checksum bit (§5.1.3.1).
const WANTED = ['MAC', 'STATUS', 'CSUM', 'HOST_TSO4', 'GUEST_CSUM', 'GUEST_TSO4'];
const CONFIG_MAC = 0;
const CONFIG_STATUS = 6;
const LINK_UP = 1;
// The device is told about new frames once per kernel turn (the microtask
// after the turn's last send), or after this many: each notification is a
// trap into the machine, and a burst of replies goes in one (Linux's
// xmit_more). Well below QUEUE_SIZE, so the ring never fills untold.
const KICK_BATCH = 64;
const KICK_BYTES = 256 * 1024; // or after this much: large segments hold the arena's memory until the kick

class VirtioNet {
  constructor(transport, dma, log) {
    this.transport = transport;
    this.dma = dma;
    this.log = typeof log === 'function' ? log : () => {};
    this.features = 0n;
    this.mac = new Uint8Array(6);
    this.onFrame = (bytes) => {};
    this.counters = { rx_frames: 0, rx_bytes: 0, tx_frames: 0, tx_bytes: 0, tx_dropped: 0, rx_runt: 0 };
    this.counters.tx_offloaded = 0; // frames sent with a checksum or segmentation left to the device
    this.counters.rx_checked = 0; // frames whose checksum the device vouched for
    this.untold = 0; // frames queued since the last notification
    this.untoldBytes = 0;
    this.offloads = { checksum: false, segmentation: false };
    this.guestChecksum = false; // GUEST_CSUM: received frames' headers say whether the checksum was checked
    this.rxBuffer = RX_BUFFER;
  }

  // §3.1.1 through the transport, then §5.1.5: queues, buffers, DRIVER_OK.
  start() {
    const t = this.transport;
    this.features = t.init((offered) => {
      let wanted = mask(DEVICE_ID, WANTED);
      if (!(offered & mask(DEVICE_ID, ['CSUM']))) wanted &= ~mask(DEVICE_ID, ['HOST_TSO4']);
      if (!(offered & mask(DEVICE_ID, ['GUEST_CSUM']))) wanted &= ~mask(DEVICE_ID, ['GUEST_TSO4']);
      return wanted;
    });
    const has = (name) => (this.features & mask(DEVICE_ID, [name])) !== 0n;
    this.offloads = { checksum: has('CSUM'), segmentation: has('CSUM') && has('HOST_TSO4') };
    this.guestChecksum = has('GUEST_CSUM');
    const big = has('GUEST_TSO4');
    this.rxBuffer = big ? RX_BIG_BUFFER : RX_BUFFER;
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
    const count = Math.min(big ? RX_BIG_BUFFERS : RX_BUFFERS, this.rx.size);
    for (let i = 0; i < count; i++) this.postRx(this.dma.alloc(this.rxBuffer, 16));
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
    this.rx.add([{ addr, len: this.rxBuffer, write: true }], addr);
  }

  // Queue one Ethernet frame (a Uint8Array, without FCS). Never blocks: if
  // the queue or the arena is full the frame is dropped and counted, as a
  // NIC's full transmit ring drops. `offload` (only as `offloads` allows):
  // { csumStart, csumOffset } leaves the checksum at csumStart + csumOffset
  // to the device (the field holds the pseudo-header's sum), and with
  // gsoSize and hdrLen the frame is a TCP segment to cut into segments of
  // gsoSize payload bytes (§5.1.6.2).
  send(frame, offload = null) {
    this.reclaimTx();
    let addr;
    try {
      addr = this.dma.alloc(HEADER + frame.length, 16);
    } catch (e) {
      this.counters.tx_dropped++;
      return false;
    }
    // alloc zeroed the header: no offload asked.
    if (offload) this.writeOffloadHeader(addr, offload);
    this.dma.bytes.set(frame, addr + HEADER);
    if (!this.tx.add([{ addr, len: HEADER + frame.length, write: false }], addr)) {
      this.dma.free(addr);
      this.counters.tx_dropped++;
      return false;
    }
    this.counters.tx_frames++;
    this.counters.tx_bytes += frame.length;
    this.untold++;
    this.untoldBytes += frame.length;
    if (this.untold >= KICK_BATCH || this.untoldBytes >= KICK_BYTES) this.flush();
    else if (this.untold === 1) Promise.resolve().then(() => this.flush());
    return true;
  }

  // struct virtio_net_hdr (§5.1.6), little-endian: flags, gso_type,
  // hdr_len, gso_size, csum_start, csum_offset (num_buffers stays 0).
  writeOffloadHeader(addr, { csumStart, csumOffset, gsoSize = 0, hdrLen = 0 }) {
    const v = this.dma.view;
    v.setUint8(addr, FLAG_NEEDS_CSUM);
    v.setUint8(addr + 1, gsoSize ? GSO_TCPV4 : GSO_NONE);
    v.setUint16(addr + 2, hdrLen, true);
    v.setUint16(addr + 4, gsoSize, true);
    v.setUint16(addr + 6, csumStart, true);
    v.setUint16(addr + 8, csumOffset, true);
    this.counters.tx_offloaded++;
  }

  // Tell the device about the frames queued since the last time (§2.7.13).
  flush() {
    if (!this.untold) return;
    this.untold = 0;
    this.untoldBytes = 0;
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
    const checked = [];
    let reposted = 0;
    for (const { token: addr, len } of this.rx.takeUsed()) {
      const got = Math.min(len, this.rxBuffer); // never trust a length larger than the buffer
      if (got > HEADER) {
        frames.push(this.dma.bytes.slice(addr + HEADER, addr + got));
        // NEEDS_CSUM: the sender left the checksum undone and nothing on
        // the way damaged the bytes (a local host); DATA_VALID: checked.
        checked.push(this.guestChecksum && (this.dma.bytes[addr] & (FLAG_NEEDS_CSUM | FLAG_DATA_VALID)) !== 0);
      } else this.counters.rx_runt++;
      this.postRx(addr);
      reposted++;
    }
    // Every reposted buffer is announced (§2.7.13), runts' too: a device out
    // of buffers waits for this kick before it hands us more frames.
    if (reposted) this.rx.kick();
    this.reclaimTx();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      this.counters.rx_frames++;
      this.counters.rx_bytes += f.length;
      if (checked[i]) this.counters.rx_checked++;
      this.onFrame(f, checked[i]);
    }
  }

  describe() {
    const q = (vq, name) => ({ index: vq.index, name, size: vq.size, avail_idx: vq.availIdx, used_idx: vq.usedIdx });
    return {
      name: 'virtio-net',
      features: featureNames(DEVICE_ID, this.features),
      mac: this.macString(),
      link: this.link ? 'up' : 'down',
      offloads: [
        this.offloads.checksum && 'tx-csum',
        this.offloads.segmentation && 'tso4',
        this.guestChecksum && 'rx-csum',
        this.rxBuffer > RX_BUFFER && 'rx-tso4',
      ].filter(Boolean),
      queues: this.rx ? [q(this.rx, 'receiveq'), q(this.tx, 'transmitq')] : [],
      ...this.counters,
    };
  }
}

module.exports = { VirtioNet, DEVICE_ID, HEADER, RX_BUFFER, RX_BIG_BUFFER };
