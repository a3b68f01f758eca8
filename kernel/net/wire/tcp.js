// kernel/net/wire/tcp.js: TCP segments (RFC 9293 §3.1): ports, sequence and
// acknowledgment numbers, flags, window, urgent pointer, the options a modern
// stack speaks, and the checksum over the IPv4 pseudo-header.
//
// Parse/emit only; the TCP socket (kernel/net/tcp/) owns state: what a
// sequence number means, which options are allowed in which segment, when a
// window scale applies. Layout of the 20 fixed bytes, RFC 9293 §3.1:
//   0-1 source port | 2-3 destination port | 4-7 sequence number
//   8-11 acknowledgment number
//   12 data offset(4) reserved(4) | 13 CWR ECE URG ACK PSH RST SYN FIN
//   14-15 window | 16-17 checksum | 18-19 urgent pointer
//   20.. options, up to data offset * 4 bytes; then the data
// Like UDP, the checksum covers a pseudo-header with the IP addresses, so
// parse and emit take an `ip` argument: any object with src and dst.
'use strict';

const { WireError } = require('./errors');
const { checkBytes, need, checkUint, checkByteArray, ByteWriter, EMPTY } = require('./bytes');
const { sum, finish, pseudoHeaderSum } = require('./checksum');

const HEADER_LEN = 20; // without options
const CHECKSUM_OFFSET = 16; // the checksum field, in the header above
const MAX_OPTIONS_LEN = 40; // data offset is 4 bits: at most 15 words = 60 bytes
const PROTO_TCP = 6;

// Flag bits of byte 13, low bit first (RFC 9293 §3.1; ECE and CWR: RFC 3168 §6.1).
const FLAG_BITS = Object.freeze({ fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ece: 0x40, cwr: 0x80 });
const FLAG_NAMES = Object.freeze(Object.keys(FLAG_BITS));

// Option kinds (RFC 9293 §3.2 and the IANA registry).
const OPT_EOL = 0; // End of Option List: the rest of the header is padding
const OPT_NOP = 1; // No-Operation: aligns the next option to a word
const OPT_MSS = 2; // Maximum Segment Size, RFC 9293 §3.7.1, RFC 6691
const OPT_WINDOW_SCALE = 3; // RFC 7323 §2
const OPT_SACK_PERMITTED = 4; // RFC 2018 §2
const OPT_SACK = 5; // RFC 2018 §3
const OPT_TIMESTAMPS = 8; // RFC 7323 §3

// The total length (kind + length + value) each known kind must have.
const OPTION_LENGTH = { [OPT_MSS]: 4, [OPT_WINDOW_SCALE]: 3, [OPT_SACK_PERMITTED]: 2, [OPT_TIMESTAMPS]: 10 };
const SACK_BLOCK_LEN = 8; // two 32-bit edges
const MAX_SACK_BLOCKS = 4; // 2 + 4*8 = 34 bytes: all that fits in 40 (3 beside timestamps)

function checkIp(ip, what) {
  if (!ip || !Number.isInteger(ip.src) || !Number.isInteger(ip.dst)) {
    throw new WireError('bad-input', `${what}: needs the IP addresses ({src, dst}) for the pseudo-header`);
  }
}

const u32 = (b, at) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

// The options record every parse returns: each known option or its "absent"
// value, so a reader can test `options.mss !== null` without checking shapes.
function noOptions() {
  return { mss: null, windowScale: null, sackPermitted: false, sackBlocks: [], timestamps: null, unknown: [] };
}

// RFC 9293 §3.2: options are kind(1) or kind(1) length(1) value(length - 2),
// where length counts the kind and length bytes too. EOL and NOP are the
// only one-byte kinds; every other kind, known to us or not, has a length,
// and that is how we step over kinds we do not know (MUST-7). A length that
// cannot be right (0 or 1: it would not even cover itself) or that runs past
// the header is malformed; RFC 9293 says to be prepared for it, and we drop
// the segment. (Linux stops reading options and keeps the segment instead.)
function parseOptions(bytes, start, end) {
  const options = noOptions();
  let at = start;
  while (at < end) {
    const kind = bytes[at];
    if (kind === OPT_EOL) break; // what follows is padding, whatever its bytes
    if (kind === OPT_NOP) {
      at++;
      continue;
    }
    if (at + 1 >= end) throw new WireError('option-overrun', `tcp: option ${kind} at byte ${at} has no room for its length`);
    const length = bytes[at + 1];
    if (length < 2) throw new WireError('bad-option-length', `tcp: option ${kind} at byte ${at} has length ${length}`);
    if (at + length > end) throw new WireError('option-overrun', `tcp: option ${kind} at byte ${at} (length ${length}) runs past the header (${end} bytes)`);
    const expected = OPTION_LENGTH[kind];
    if (expected !== undefined && length !== expected) {
      throw new WireError('bad-option', `tcp: option ${kind} has length ${length}, not ${expected}`);
    }
    const value = at + 2; // where the option's value starts
    // A kind seen twice: the later one wins, as in Linux's tcp_parse_options.
    switch (kind) {
      case OPT_MSS:
        options.mss = (bytes[value] << 8) | bytes[value + 1];
        break;
      case OPT_WINDOW_SCALE:
        // The shift count as sent; RFC 7323 §2.3 says a receiver uses 14 for
        // anything larger, which is the socket's business, not the wire's.
        options.windowScale = bytes[value];
        break;
      case OPT_SACK_PERMITTED:
        options.sackPermitted = true;
        break;
      case OPT_SACK: {
        // RFC 2018 §3: length 2 + 8n, n blocks of [left edge, right edge).
        const n = (length - 2) / SACK_BLOCK_LEN;
        if (!Number.isInteger(n) || n < 1 || n > MAX_SACK_BLOCKS) {
          throw new WireError('bad-option', `tcp: SACK option length ${length} is not 2 + 8n for n in 1..4`);
        }
        options.sackBlocks = [];
        for (let i = 0; i < n; i++) {
          const edge = value + i * SACK_BLOCK_LEN;
          options.sackBlocks.push({ left: u32(bytes, edge), right: u32(bytes, edge + 4) });
        }
        break;
      }
      case OPT_TIMESTAMPS:
        // RFC 7323 §3.2: TSval, the sender's clock; TSecr, the TSval it echoes.
        options.timestamps = { tsVal: u32(bytes, value), tsEcr: u32(bytes, value + 4) };
        break;
      default:
        // Kept, not understood: TCP Fast Open's cookie (34), MD5 (19), ...
        options.unknown.push({ kind, bytes: bytes.subarray(value, at + length) });
    }
    at += length;
  }
  return options;
}

// Record: { srcPort, dstPort, seq, ack, flags, window, urgentPointer, options, payload }
//   seq, ack        unsigned 32-bit; ack means something only when flags.ack is set
//   flags           { fin, syn, rst, psh, ack, urg, ece, cwr }, all eight as booleans
//   window          the 16-bit field as sent (not yet shifted by a window scale)
//   options         { mss, windowScale, sackPermitted, sackBlocks, timestamps, unknown }:
//                   mss and windowScale a number or null; sackPermitted a boolean;
//                   sackBlocks [{ left, right }] (empty when absent);
//                   timestamps { tsVal, tsEcr } or null; unknown [{ kind, bytes }]
//   payload         a view into `bytes`: everything after the header
// The segment is exactly `bytes`: TCP has no length field, so the caller
// passes the IP payload (ipv4.parse already cut it at the total length).
// The reserved bits of byte 12 are ignored, as RFC 9293 §3.1 asks.
// opts.verifyChecksum = false skips the checksum (for a NIC that checked it).
function parse(bytes, ip, { verifyChecksum = true } = {}) {
  checkBytes(bytes, 'tcp');
  need(bytes, HEADER_LEN, 'tcp header');
  const headerLength = (bytes[12] >> 4) * 4;
  if (headerLength < HEADER_LEN) throw new WireError('bad-data-offset', `tcp: data offset ${headerLength / 4} < 5`);
  if (headerLength > bytes.length) {
    throw new WireError('bad-data-offset', `tcp: data offset ${headerLength / 4} runs past the ${bytes.length}-byte segment`);
  }
  // RFC 9293 §3.1: the checksum is not optional in TCP (there is no "0 means
  // none" as in UDP over IPv4), and a field of 0 or ffff both verify when the
  // sum is right: they are the two ones' complement zeros.
  if (verifyChecksum) {
    checkIp(ip, 'tcp');
    if (finish(sum(bytes, 0, bytes.length, pseudoHeaderSum(ip.src, ip.dst, PROTO_TCP, bytes.length))) !== 0) {
      throw new WireError('bad-checksum', `tcp: checksum 0x${((bytes[16] << 8) | bytes[17]).toString(16)} does not verify`);
    }
  }
  const flags = {};
  for (const name of FLAG_NAMES) flags[name] = (bytes[13] & FLAG_BITS[name]) !== 0;
  return {
    srcPort: (bytes[0] << 8) | bytes[1],
    dstPort: (bytes[2] << 8) | bytes[3],
    seq: u32(bytes, 4),
    ack: u32(bytes, 8),
    flags,
    window: (bytes[14] << 8) | bytes[15],
    urgentPointer: (bytes[18] << 8) | bytes[19],
    options: parseOptions(bytes, HEADER_LEN, headerLength),
    payload: bytes.subarray(headerLength),
  };
}

// Lays options out as Linux's tcp_options_write does, each in whole 32-bit
// words with NOPs in front (so the 32-bit fields inside start on a word):
//   MSS               02 04 mm mm
//   timestamps        04 02 08 0a + TSval + TSecr   (SACK-permitted rides in the pad)
//                     01 01 08 0a + TSval + TSecr   (without SACK-permitted)
//   SACK-permitted    01 01 04 02                   (only without timestamps)
//   window scale      01 03 03 ss
//   SACK blocks       01 01 05 ll + n * (left, right)
//   unknown kinds     kk ll vv.. then NOPs up to a word (as Linux pads Fast Open's cookie)
// So the header always ends on a word and no EOL padding is needed; RFC
// 9293 §3.1 would have zeros there, and parse takes either.
function emitOptions(options) {
  const { mss = null, windowScale = null, sackPermitted = false, sackBlocks = [], timestamps = null, unknown = [] } = options;
  const w = new ByteWriter(MAX_OPTIONS_LEN);
  const what = 'tcp';
  if (mss !== null) {
    w.u8(OPT_MSS);
    w.u8(4);
    w.u16(checkUint(mss, 0xffff, 'options.mss', what));
  }
  if (timestamps !== null) {
    const tsVal = checkUint(timestamps.tsVal, 0xffffffff, 'options.timestamps.tsVal', what);
    const tsEcr = checkUint(timestamps.tsEcr, 0xffffffff, 'options.timestamps.tsEcr', what);
    if (sackPermitted) {
      w.u8(OPT_SACK_PERMITTED);
      w.u8(2);
    } else {
      w.u8(OPT_NOP);
      w.u8(OPT_NOP);
    }
    w.u8(OPT_TIMESTAMPS);
    w.u8(10);
    w.u32(tsVal);
    w.u32(tsEcr);
  } else if (sackPermitted) {
    w.raw(Uint8Array.of(OPT_NOP, OPT_NOP, OPT_SACK_PERMITTED, 2));
  }
  if (windowScale !== null) {
    w.raw(Uint8Array.of(OPT_NOP, OPT_WINDOW_SCALE, 3, checkUint(windowScale, 255, 'options.windowScale', what)));
  }
  if (!Array.isArray(sackBlocks) || sackBlocks.length > MAX_SACK_BLOCKS) {
    throw new WireError('bad-record', `tcp: options.sackBlocks must be a list of at most ${MAX_SACK_BLOCKS} blocks`);
  }
  if (sackBlocks.length > 0) {
    w.raw(Uint8Array.of(OPT_NOP, OPT_NOP, OPT_SACK, 2 + SACK_BLOCK_LEN * sackBlocks.length));
    for (const block of sackBlocks) {
      w.u32(checkUint(block && block.left, 0xffffffff, 'SACK left edge', what));
      w.u32(checkUint(block.right, 0xffffffff, 'SACK right edge', what));
    }
  }
  if (!Array.isArray(unknown)) throw new WireError('bad-record', 'tcp: options.unknown must be a list');
  for (const option of unknown) {
    const kind = checkUint(option && option.kind, 255, 'unknown option kind', what);
    const value = checkByteArray(option.bytes ?? EMPTY, 'unknown option bytes', what);
    if (kind <= OPT_NOP || OPTION_LENGTH[kind] !== undefined || kind === OPT_SACK) {
      throw new WireError('bad-record', `tcp: option kind ${kind} is not an unknown option`);
    }
    checkUint(2 + value.length, MAX_OPTIONS_LEN, 'unknown option length', what);
    w.u8(kind);
    w.u8(2 + value.length);
    w.raw(value);
    while (w.length % 4 !== 0) w.u8(OPT_NOP);
  }
  if (w.length > MAX_OPTIONS_LEN) throw new WireError('bad-record', `tcp: ${w.length} bytes of options > ${MAX_OPTIONS_LEN}`);
  return w.finish();
}

// The inverse of parse(). Only the ports are required; flags is a partial
// { syn: true, ack: true } (missing flags are clear), options a partial
// options record. Computes the data offset and the checksum, which needs
// `ip` ({src, dst}). A computed checksum of 0 is sent as 0: unlike UDP,
// 0 has no special meaning in TCP. `headroom` bytes are left free in front
// of the segment, in the same buffer, for the IP and Ethernet headers to be
// written there (ipv4.emit and ethernet.emit with inPlace) instead of each
// layer copying the segment into a larger buffer: Linux's sk_buff headroom.
// `partialChecksum` leaves the checksum to the NIC (virtio 1.2 §5.1.6.2's
// NEEDS_CSUM): the field gets only the pseudo-header's sum, uncomplemented,
// which the NIC's sum over the segment then completes.
function emit(record, ip, { headroom = 0, partialChecksum = false } = {}) {
  const {
    srcPort, dstPort, seq = 0, ack = 0, flags = {}, window = 0, urgentPointer = 0, options = {}, payload = EMPTY,
  } = record;
  const what = 'tcp';
  checkUint(srcPort, 0xffff, 'srcPort', what);
  checkUint(dstPort, 0xffff, 'dstPort', what);
  checkUint(seq, 0xffffffff, 'seq', what);
  checkUint(ack, 0xffffffff, 'ack', what);
  checkUint(window, 0xffff, 'window', what);
  checkUint(urgentPointer, 0xffff, 'urgentPointer', what);
  checkByteArray(payload, 'payload', what);
  if (typeof flags !== 'object' || flags === null) throw new WireError('bad-record', 'tcp: flags must be an object');
  if (typeof options !== 'object' || options === null) throw new WireError('bad-record', 'tcp: options must be an object');
  let flagByte = 0;
  for (const name of Object.keys(flags)) {
    if (!(name in FLAG_BITS)) throw new WireError('bad-record', `tcp: unknown flag ${name}`);
    if (flags[name]) flagByte |= FLAG_BITS[name];
  }
  checkIp(ip, what);
  const optionBytes = emitOptions(options);
  const headerLength = HEADER_LEN + optionBytes.length;
  const length = headerLength + payload.length;
  // 65535 minus the 20-byte IP header is the true limit; ipv4.emit checks that.
  checkUint(length, 0xffff, 'segment length', what);

  const out = new Uint8Array(headroom + length).subarray(headroom);
  const view = new DataView(out.buffer, out.byteOffset, length);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint32(4, seq);
  view.setUint32(8, ack);
  out[12] = (headerLength / 4) << 4; // reserved bits zero, RFC 9293 §3.1
  out[13] = flagByte;
  view.setUint16(14, window);
  view.setUint16(18, urgentPointer);
  out.set(optionBytes, HEADER_LEN);
  out.set(payload, headerLength);
  // The checksum is computed with its own field zero, over pseudo-header,
  // header and data (RFC 9293 §3.1).
  const pseudo = pseudoHeaderSum(ip.src, ip.dst, PROTO_TCP, length);
  view.setUint16(16, partialChecksum ? pseudo : finish(sum(out, 0, length, pseudo)));
  return out;
}

// SEG.LEN (RFC 9293 §3.4): how much sequence space a segment occupies, its
// data plus one for SYN and one for FIN, which are numbered as if they were
// a byte each.
function sequenceLength(record) {
  return record.payload.length + (record.flags.syn ? 1 : 0) + (record.flags.fin ? 1 : 0);
}

// "S", "S.", "FP.", "R." ...: the flags as tcpdump prints them, for logs and tests.
function flagsString(flags) {
  const letters = { fin: 'F', syn: 'S', rst: 'R', psh: 'P', ack: '.', urg: 'U', ece: 'E', cwr: 'W' };
  return Object.keys(letters).filter((name) => flags[name]).map((name) => letters[name]).join('') || 'none';
}

module.exports = {
  HEADER_LEN,
  CHECKSUM_OFFSET,
  MAX_OPTIONS_LEN,
  PROTO_TCP,
  FLAG_BITS,
  OPT_EOL,
  OPT_NOP,
  OPT_MSS,
  OPT_WINDOW_SCALE,
  OPT_SACK_PERMITTED,
  OPT_SACK,
  OPT_TIMESTAMPS,
  MAX_SACK_BLOCKS,
  parse,
  emit,
  noOptions,
  sequenceLength,
  flagsString,
};
