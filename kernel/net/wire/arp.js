// kernel/net/wire/arp.js: ARP packets (RFC 826) for the one pairing we use,
// Ethernet hardware addresses (htype 1) with IPv4 protocol addresses (ptype 0x0800).
//
// Parse/emit only; the interface layer owns state (the neighbour cache, when
// to ask and when to answer). A packet is 28 bytes; Ethernet padding after them is ignored.
'use strict';

const { WireError } = require('./errors');
const { checkBytes, need, checkUint } = require('./bytes');
const { macToString, writeMac } = require('./mac-address');
const { readIp, writeIp } = require('./ip-address');

const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;
const OP_REQUEST = 1;
const OP_REPLY = 2;
const PACKET_LEN = 28; // htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4)

// Record: { op, senderMac, senderIp, targetMac, targetIp } with MACs as strings
// and IPs as unsigned 32-bit numbers. In a request targetMac is usually
// 00:00:00:00:00:00 ("the one we are asking for").
function parse(bytes) {
  checkBytes(bytes, 'arp');
  need(bytes, 8, 'arp fixed header');
  const htype = (bytes[0] << 8) | bytes[1];
  const ptype = (bytes[2] << 8) | bytes[3];
  // Check the address kinds first: a valid ARP packet for, say, IPv6-over-
  // FireWire is "unsupported", not "truncated".
  if (htype !== HTYPE_ETHERNET || ptype !== PTYPE_IPV4 || bytes[4] !== 6 || bytes[5] !== 4) {
    throw new WireError('unsupported', `arp: htype ${htype} ptype 0x${ptype.toString(16)} hlen ${bytes[4]} plen ${bytes[5]}`);
  }
  const op = (bytes[6] << 8) | bytes[7];
  if (op !== OP_REQUEST && op !== OP_REPLY) throw new WireError('bad-field', `arp: op ${op}`);
  need(bytes, PACKET_LEN, 'arp packet');
  return {
    op,
    senderMac: macToString(bytes, 8),
    senderIp: readIp(bytes, 14),
    targetMac: macToString(bytes, 18),
    targetIp: readIp(bytes, 24),
  };
}

function emit({ op, senderMac, senderIp, targetMac, targetIp }) {
  if (op !== OP_REQUEST && op !== OP_REPLY) throw new WireError('bad-record', `arp: op ${op}`);
  checkUint(senderIp, 0xffffffff, 'senderIp', 'arp');
  checkUint(targetIp, 0xffffffff, 'targetIp', 'arp');
  const out = new Uint8Array(PACKET_LEN);
  out.set([0, HTYPE_ETHERNET, PTYPE_IPV4 >> 8, PTYPE_IPV4 & 0xff, 6, 4, 0, op]);
  writeMac(out, 8, senderMac);
  writeIp(out, 14, senderIp);
  writeMac(out, 18, targetMac);
  writeIp(out, 24, targetIp);
  return out;
}

module.exports = { OP_REQUEST, OP_REPLY, PACKET_LEN, parse, emit };
