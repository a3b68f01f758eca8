// kernel/net/wire/bytes.js: helpers every wire/ module shares for reading and
// writing big-endian ("network byte order", RFC 1700) fields safely.
//
// Parse/emit only; the interface layer owns state. The rule these helpers
// enforce: check a length *before* reading, so a short or hostile packet
// becomes WireError('truncated') and never a RangeError or a silent undefined.
'use strict';

const { WireError } = require('./errors');

const EMPTY = new Uint8Array(0);

// Every parse() starts here: anything but a Uint8Array is refused.
function checkBytes(bytes, what) {
  if (!(bytes instanceof Uint8Array)) throw new WireError('bad-input', `${what}: expected a Uint8Array`);
}

// Throws 'truncated' unless bytes[0, end) exists.
function need(bytes, end, what) {
  if (end > bytes.length) throw new WireError('truncated', `${what}: needs ${end} bytes, have ${bytes.length}`);
}

// A DataView over exactly the bytes of a Uint8Array (which may be a subarray
// of a larger buffer, like a payload inside a frame).
function viewOf(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// The view `header` bytes longer than `payload`, starting that far before
// it in the same buffer: where a layer writes its header in front of a
// payload emitted with headroom (tcp.emit), instead of copying the payload
// behind a header of its own. The caller vouches that those bytes are free.
function claimHeadroom(payload, header, what) {
  if (payload.byteOffset < header) throw new WireError('bad-record', `${what}: no headroom for a ${header}-byte header`);
  return new Uint8Array(payload.buffer, payload.byteOffset - header, header + payload.length);
}

// --- emit-side checks: a caller's bad record is a 'bad-record' WireError ----

function checkUint(value, max, name, what) {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireError('bad-record', `${what}: ${name} must be an integer 0..${max}, got ${value}`);
  }
  return value;
}

function checkByteArray(value, name, what) {
  if (!(value instanceof Uint8Array)) throw new WireError('bad-record', `${what}: ${name} must be a Uint8Array`);
  return value;
}

// A growable buffer for the variable-length formats (DHCP options, DNS).
class ByteWriter {
  constructor(capacity = 512) {
    this.bytes = new Uint8Array(capacity);
    this.length = 0;
  }

  reserve(n) {
    if (this.length + n <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  u8(v) {
    this.reserve(1);
    this.bytes[this.length++] = v & 0xff;
  }

  u16(v) {
    this.reserve(2);
    this.setU16(this.length, v);
    this.length += 2;
  }

  u32(v) {
    this.reserve(4);
    viewOf(this.bytes).setUint32(this.length, v >>> 0);
    this.length += 4;
  }

  raw(bytes) {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  // Patches a 16-bit field written earlier (a length we only know afterwards).
  setU16(at, v) {
    this.bytes[at] = (v >> 8) & 0xff;
    this.bytes[at + 1] = v & 0xff;
  }

  finish() {
    return this.bytes.slice(0, this.length);
  }
}

module.exports = { EMPTY, checkBytes, need, viewOf, claimHeadroom, checkUint, checkByteArray, ByteWriter };
