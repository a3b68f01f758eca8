// kernel/net/wire/ipv4.js: IPv4 headers (RFC 791 §3.1), with the header
// checksum, options carried as raw bytes, and fragmentation fields.
//
// Parse/emit only; the interface layer owns state (routing, reassembly, the
// ID counter). Layout of the 20 fixed bytes, RFC 791 §3.1:
//   0 version(4) IHL(4) | 1 DSCP(6) ECN(2) | 2-3 total length
//   4-5 identification  | 6-7 flags(3: reserved, DF, MF) fragment offset(13)
//   8 TTL | 9 protocol | 10-11 header checksum | 12-15 source | 16-19 destination
//   20.. options, up to IHL*4 bytes
'use strict';

const { WireError } = require('./errors');
const { checkBytes, need, checkUint, checkByteArray, claimHeadroom, EMPTY } = require('./bytes');
const { readIp, writeIp } = require('./ip-address');
const { checksum } = require('./checksum');

const HEADER_LEN = 20; // without options
const MAX_OPTIONS_LEN = 40; // IHL is 4 bits: at most 15 words = 60 bytes
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const DEFAULT_TTL = 64; // RFC 1700's recommendation, and what Linux sends

const FLAG_DF = 0x4000; // don't fragment
const FLAG_MF = 0x2000; // more fragments
const OFFSET_MASK = 0x1fff;

// Record: { dscp, ecn, id, dontFragment, moreFragments, fragmentOffset, ttl,
//           protocol, src, dst, options, payload }
// src and dst are unsigned 32-bit numbers. fragmentOffset is in BYTES (the
// wire field counts 8-byte units; we multiply so reassembly code never has
// to). options and payload are views into `bytes`. payload stops at the
// total length, so the zero padding of a short Ethernet frame is dropped.
//
// opts.verifyChecksum = false skips the checksum (for a NIC that checked it).
function parse(bytes, { verifyChecksum = true } = {}) {
  checkBytes(bytes, 'ipv4');
  need(bytes, HEADER_LEN, 'ipv4 header');
  const version = bytes[0] >> 4;
  if (version !== 4) throw new WireError('bad-version', `ipv4: version ${version}`);
  const headerLength = (bytes[0] & 0x0f) * 4;
  if (headerLength < HEADER_LEN) throw new WireError('bad-header-length', `ipv4: IHL ${headerLength / 4} < 5`);
  need(bytes, headerLength, 'ipv4 header with options');
  const totalLength = (bytes[2] << 8) | bytes[3];
  if (totalLength < headerLength) {
    throw new WireError('bad-length', `ipv4: total length ${totalLength} < header length ${headerLength}`);
  }
  need(bytes, totalLength, 'ipv4 packet (total length)');
  // Summing a header that includes its own correct checksum gives 0xffff,
  // whose complement is 0 (RFC 1071 §1, "to check a checksum").
  if (verifyChecksum && checksum(bytes, 0, headerLength) !== 0) {
    throw new WireError('bad-checksum', `ipv4: header checksum 0x${((bytes[10] << 8) | bytes[11]).toString(16)} does not verify`);
  }
  // The reserved flag bit (0x8000) is ignored, as RFC 791 says it must be zero
  // but gives no reason to drop a packet that sets it.
  const flagsAndOffset = (bytes[6] << 8) | bytes[7];
  return {
    dscp: bytes[1] >> 2,
    ecn: bytes[1] & 3,
    id: (bytes[4] << 8) | bytes[5],
    dontFragment: (flagsAndOffset & FLAG_DF) !== 0,
    moreFragments: (flagsAndOffset & FLAG_MF) !== 0,
    fragmentOffset: (flagsAndOffset & OFFSET_MASK) * 8,
    ttl: bytes[8],
    protocol: bytes[9],
    src: readIp(bytes, 12),
    dst: readIp(bytes, 16),
    options: bytes.subarray(HEADER_LEN, headerLength),
    payload: bytes.subarray(headerLength, totalLength),
  };
}

// Options are padded with zero bytes (End of Option List, RFC 791 §3.1) to a
// whole number of 32-bit words, because IHL counts words.
function paddedOptionsLength(options) {
  return (options.length + 3) & ~3;
}

// The inverse of parse(); computes total length, IHL and the checksum.
// Only src, dst and protocol are required; the rest default to a plain
// unfragmented packet with TTL 64. With inPlace, the payload is a view
// with room of its own in front of it (tcp.emit's headroom): the header is
// written there and the payload is not copied.
function emit({
  src,
  dst,
  protocol,
  payload = EMPTY,
  ttl = DEFAULT_TTL,
  id = 0,
  dontFragment = false,
  moreFragments = false,
  fragmentOffset = 0,
  dscp = 0,
  ecn = 0,
  options = EMPTY,
}, { inPlace = false } = {}) {
  const what = 'ipv4';
  checkUint(src, 0xffffffff, 'src', what);
  checkUint(dst, 0xffffffff, 'dst', what);
  checkUint(protocol, 255, 'protocol', what);
  checkUint(ttl, 255, 'ttl', what);
  checkUint(id, 0xffff, 'id', what);
  checkUint(dscp, 63, 'dscp', what);
  checkUint(ecn, 3, 'ecn', what);
  checkUint(fragmentOffset, OFFSET_MASK * 8, 'fragmentOffset', what);
  if (fragmentOffset % 8 !== 0) throw new WireError('bad-record', `ipv4: fragmentOffset ${fragmentOffset} is not a multiple of 8`);
  checkByteArray(payload, 'payload', what);
  checkByteArray(options, 'options', what);
  if (options.length > MAX_OPTIONS_LEN) throw new WireError('bad-record', `ipv4: ${options.length} bytes of options > ${MAX_OPTIONS_LEN}`);
  const headerLength = HEADER_LEN + paddedOptionsLength(options);
  const totalLength = headerLength + payload.length;
  checkUint(totalLength, 0xffff, 'total length', what);

  const out = inPlace ? claimHeadroom(payload, headerLength, what) : new Uint8Array(totalLength);
  out[0] = 0x40 | (headerLength / 4);
  out[1] = (dscp << 2) | ecn;
  out[2] = totalLength >> 8;
  out[3] = totalLength & 0xff;
  out[4] = id >> 8;
  out[5] = id & 0xff;
  const flagsAndOffset = (dontFragment ? FLAG_DF : 0) | (moreFragments ? FLAG_MF : 0) | (fragmentOffset / 8);
  out[6] = flagsAndOffset >> 8;
  out[7] = flagsAndOffset & 0xff;
  out[8] = ttl;
  out[9] = protocol;
  writeIp(out, 12, src);
  writeIp(out, 16, dst);
  out.set(options, HEADER_LEN);
  // The checksum covers the header only, computed with its own field zero.
  const sum = checksum(out, 0, headerLength);
  out[10] = sum >> 8;
  out[11] = sum & 0xff;
  if (!inPlace) out.set(payload, headerLength);
  return out;
}

module.exports = { HEADER_LEN, MAX_OPTIONS_LEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, DEFAULT_TTL, parse, emit };
