// kernel/net/wire/icmp.js: ICMP messages for IPv4 (RFC 792): echo request and
// reply (ping), and the two errors a host meets most, destination unreachable
// and time exceeded, which quote the offending packet's IP header + 8 bytes.
//
// Parse/emit only; the interface layer owns state (answering pings, handing
// errors to the socket named by the quoted ports). Every message starts
// type(1) code(1) checksum(2) rest-of-header(4); the checksum covers the
// whole ICMP message, with no pseudo-header (unlike UDP).
'use strict';

const { WireError } = require('./errors');
const { checkBytes, need, checkUint, checkByteArray, EMPTY } = require('./bytes');
const { readIp } = require('./ip-address');
const { checksum } = require('./checksum');

const HEADER_LEN = 8;
const TYPE_ECHO_REPLY = 0;
const TYPE_DEST_UNREACHABLE = 3;
const TYPE_ECHO_REQUEST = 8;
const TYPE_TIME_EXCEEDED = 11;
// Codes for TYPE_DEST_UNREACHABLE (RFC 792 p.4; 4 carries an MTU, RFC 1191)
const CODE_NET_UNREACHABLE = 0;
const CODE_HOST_UNREACHABLE = 1;
const CODE_PROTOCOL_UNREACHABLE = 2;
const CODE_PORT_UNREACHABLE = 3;
const CODE_FRAGMENTATION_NEEDED = 4;
// Codes for TYPE_TIME_EXCEEDED (RFC 792 p.6)
const CODE_TTL_EXCEEDED = 0;
const CODE_REASSEMBLY_TIMEOUT = 1;

const QUOTE_TRANSPORT_BYTES = 8; // "the first 64 bits of the original data datagram"

const isEcho = (type) => type === TYPE_ECHO_REQUEST || type === TYPE_ECHO_REPLY;
const isError = (type) => type === TYPE_DEST_UNREACHABLE || type === TYPE_TIME_EXCEEDED;

// Reads the quoted packet inside an error message: its IP header (not its
// checksum: routers may legitimately have changed it) and, for UDP and TCP,
// the two ports that name the socket it came from.
// Returns { src, dst, protocol, srcPort, dstPort, transport }, where
// transport is a view of the quoted bytes after the IP header (at most 8)
// and the ports are null unless the protocol is UDP (17) or TCP (6).
function parseQuoted(original) {
  need(original, 20, 'icmp quoted ip header');
  if (original[0] >> 4 !== 4) throw new WireError('bad-version', `icmp: quoted packet has version ${original[0] >> 4}`);
  const headerLength = (original[0] & 0x0f) * 4;
  if (headerLength < 20) throw new WireError('bad-header-length', `icmp: quoted IHL ${headerLength / 4}`);
  need(original, headerLength, 'icmp quoted ip header with options');
  const protocol = original[9];
  const transport = original.subarray(headerLength, headerLength + QUOTE_TRANSPORT_BYTES);
  const hasPorts = (protocol === 6 || protocol === 17) && transport.length >= 4;
  return {
    src: readIp(original, 12),
    dst: readIp(original, 16),
    protocol,
    srcPort: hasPorts ? (transport[0] << 8) | transport[1] : null,
    dstPort: hasPorts ? (transport[2] << 8) | transport[3] : null,
    transport,
  };
}

// Records, by type:
//   echo (0, 8):   { type, code, id, seq, data }
//   unreachable (3): { type, code, nextHopMtu, original, quoted }
//   time exceeded (11): { type, code, original, quoted }
//   anything else: { type, code, restOfHeader, data }   (restOfHeader: bytes 4-7 as a number)
// original is a view of the quoted packet bytes; quoted is parseQuoted(original).
// nextHopMtu is the RFC 1191 field, meaningful only for code 4 (0 otherwise).
function parse(bytes, { verifyChecksum = true } = {}) {
  checkBytes(bytes, 'icmp');
  need(bytes, HEADER_LEN, 'icmp header');
  if (verifyChecksum && checksum(bytes) !== 0) {
    throw new WireError('bad-checksum', `icmp: checksum 0x${((bytes[2] << 8) | bytes[3]).toString(16)} does not verify`);
  }
  const type = bytes[0];
  const code = bytes[1];
  const body = bytes.subarray(HEADER_LEN);
  if (isEcho(type)) {
    return { type, code, id: (bytes[4] << 8) | bytes[5], seq: (bytes[6] << 8) | bytes[7], data: body };
  }
  if (type === TYPE_DEST_UNREACHABLE) {
    return { type, code, nextHopMtu: (bytes[6] << 8) | bytes[7], original: body, quoted: parseQuoted(body) };
  }
  if (type === TYPE_TIME_EXCEEDED) {
    return { type, code, original: body, quoted: parseQuoted(body) };
  }
  const restOfHeader = ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
  return { type, code, restOfHeader, data: body };
}

// What an error message quotes: the original IP header and 8 bytes beyond it.
// `original` may be the whole offending packet; the rest is cut off here.
function quoteOf(original) {
  checkByteArray(original, 'original', 'icmp');
  if (original.length < 20 || original[0] >> 4 !== 4 || (original[0] & 0x0f) < 5) {
    throw new WireError('bad-record', 'icmp: original must start with an IPv4 header');
  }
  return original.subarray(0, (original[0] & 0x0f) * 4 + QUOTE_TRANSPORT_BYTES);
}

// The inverse of parse(): takes the same record shapes and returns the
// message with its checksum filled in.
function emit(record) {
  const { type, code = 0 } = record;
  checkUint(type, 255, 'type', 'icmp');
  checkUint(code, 255, 'code', 'icmp');
  let rest = 0;
  let body;
  if (isEcho(type)) {
    rest = ((checkUint(record.id, 0xffff, 'id', 'icmp') << 16) | checkUint(record.seq, 0xffff, 'seq', 'icmp')) >>> 0;
    body = checkByteArray(record.data ?? EMPTY, 'data', 'icmp');
  } else if (isError(type)) {
    if (type === TYPE_DEST_UNREACHABLE) rest = checkUint(record.nextHopMtu ?? 0, 0xffff, 'nextHopMtu', 'icmp');
    body = quoteOf(record.original);
  } else {
    rest = checkUint(record.restOfHeader ?? 0, 0xffffffff, 'restOfHeader', 'icmp');
    body = checkByteArray(record.data ?? EMPTY, 'data', 'icmp');
  }
  const out = new Uint8Array(HEADER_LEN + body.length);
  out[0] = type;
  out[1] = code;
  out[4] = rest >>> 24;
  out[5] = (rest >>> 16) & 0xff;
  out[6] = (rest >>> 8) & 0xff;
  out[7] = rest & 0xff;
  out.set(body, HEADER_LEN);
  const sum = checksum(out); // computed with the checksum field still zero
  out[2] = sum >> 8;
  out[3] = sum & 0xff;
  return out;
}

module.exports = {
  HEADER_LEN,
  TYPE_ECHO_REPLY,
  TYPE_DEST_UNREACHABLE,
  TYPE_ECHO_REQUEST,
  TYPE_TIME_EXCEEDED,
  CODE_NET_UNREACHABLE,
  CODE_HOST_UNREACHABLE,
  CODE_PROTOCOL_UNREACHABLE,
  CODE_PORT_UNREACHABLE,
  CODE_FRAGMENTATION_NEEDED,
  CODE_TTL_EXCEEDED,
  CODE_REASSEMBLY_TIMEOUT,
  parse,
  parseQuoted,
  emit,
};
