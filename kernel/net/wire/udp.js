// kernel/net/wire/udp.js: UDP datagrams (RFC 768): ports, length, and the
// checksum over the IPv4 pseudo-header, the UDP header and the data.
//
// Parse/emit only; the interface layer owns state (the port table). Layout:
//   0-1 source port | 2-3 destination port | 4-5 length (header + data) | 6-7 checksum
// The pseudo-header needs the enclosing IP addresses, so parse and emit take
// an `ip` argument: any object with src and dst, such as a parsed ipv4 record.
'use strict';

const { WireError } = require('./errors');
const { checkBytes, need, checkUint, checkByteArray, EMPTY } = require('./bytes');
const { sum, finish, pseudoHeaderSum } = require('./checksum');

const HEADER_LEN = 8;
const PROTO_UDP = 17;

function checkIp(ip, what) {
  if (!ip || !Number.isInteger(ip.src) || !Number.isInteger(ip.dst)) {
    throw new WireError('bad-input', `${what}: needs the IP addresses ({src, dst}) for the pseudo-header`);
  }
}

// Record: { srcPort, dstPort, length, checksummed, payload }
// length is the UDP length field (8 + payload.length). checksummed is false
// when the sender put 0 in the checksum field, which RFC 768 allows over IPv4
// to mean "no checksum"; otherwise the checksum has been verified.
// payload is a view into `bytes` and stops at `length` (trailing bytes dropped).
function parse(bytes, ip, { verifyChecksum = true } = {}) {
  checkBytes(bytes, 'udp');
  need(bytes, HEADER_LEN, 'udp header');
  const length = (bytes[4] << 8) | bytes[5];
  if (length < HEADER_LEN) throw new WireError('bad-length', `udp: length ${length} < 8`);
  need(bytes, length, 'udp datagram (length field)');
  const checksummed = ((bytes[6] << 8) | bytes[7]) !== 0;
  if (checksummed && verifyChecksum) {
    checkIp(ip, 'udp');
    if (finish(sum(bytes, 0, length, pseudoHeaderSum(ip.src, ip.dst, PROTO_UDP, length))) !== 0) {
      throw new WireError('bad-checksum', `udp: checksum 0x${((bytes[6] << 8) | bytes[7]).toString(16)} does not verify`);
    }
  }
  return {
    srcPort: (bytes[0] << 8) | bytes[1],
    dstPort: (bytes[2] << 8) | bytes[3],
    length,
    checksummed,
    payload: bytes.subarray(HEADER_LEN, length),
  };
}

// The inverse of parse(). Set checksummed: false to send 0 (no checksum).
function emit({ srcPort, dstPort, payload = EMPTY, checksummed = true }, ip) {
  checkUint(srcPort, 0xffff, 'srcPort', 'udp');
  checkUint(dstPort, 0xffff, 'dstPort', 'udp');
  checkByteArray(payload, 'payload', 'udp');
  const length = HEADER_LEN + payload.length;
  // 65535 minus the 20-byte IP header is the true limit; ipv4.emit checks that.
  checkUint(length, 0xffff, 'length', 'udp');
  const out = new Uint8Array(length);
  out[0] = srcPort >> 8;
  out[1] = srcPort & 0xff;
  out[2] = dstPort >> 8;
  out[3] = dstPort & 0xff;
  out[4] = length >> 8;
  out[5] = length & 0xff;
  out.set(payload, HEADER_LEN);
  if (checksummed) {
    checkIp(ip, 'udp');
    let value = finish(sum(out, 0, length, pseudoHeaderSum(ip.src, ip.dst, PROTO_UDP, length)));
    // A computed 0 is sent as 0xffff (its ones' complement twin), because 0
    // on the wire means "no checksum" (RFC 768).
    if (value === 0) value = 0xffff;
    out[6] = value >> 8;
    out[7] = value & 0xff;
  }
  return out;
}

module.exports = { HEADER_LEN, parse, emit };
