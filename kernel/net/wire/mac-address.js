// kernel/net/wire/mac-address.js: Ethernet MAC addresses (IEEE 802, 48 bits).
//
// Parse/emit only; the interface layer owns state. Representation, used by
// every wire/ record: a MAC is a lower-case string "52:54:00:12:34:56".
// Strings are immutable, compare with ===, key a Map, and print as they are;
// the stack never does arithmetic on a MAC. The virtio driver's `mac` bytes
// become a string with macToString(driver.mac).
'use strict';

const { WireError } = require('./errors');
const { need } = require('./bytes');

const MAC_BROADCAST = 'ff:ff:ff:ff:ff:ff';
const MAC_ZERO = '00:00:00:00:00:00'; // the "unknown" target MAC of an ARP request

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Six bytes from `offset` as "xx:xx:xx:xx:xx:xx".
function macToString(bytes, offset = 0) {
  need(bytes, offset + 6, 'MAC address');
  const parts = [];
  for (let i = 0; i < 6; i++) parts.push(HEX[bytes[offset + i]]);
  return parts.join(':');
}

const MAC_TEXT = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

// "52:54:00:12:34:56" (either case) -> Uint8Array(6).
function macFromString(s) {
  if (typeof s !== 'string' || !MAC_TEXT.test(s)) {
    throw new WireError('bad-address', `not a MAC address: ${JSON.stringify(s)}`);
  }
  return Uint8Array.from(s.split(':'), (h) => parseInt(h, 16));
}

// Every frame we send writes two MACs, nearly always the same two: the
// last few parsed are kept (parsing them showed under perf, frame after
// frame, when sending TCP segments in bulk).
const parsedMacs = new Map();
const PARSED_MACS_KEPT = 16;

function writeMac(bytes, offset, mac) {
  let parsed = parsedMacs.get(mac);
  if (!parsed) {
    parsed = macFromString(mac);
    if (parsedMacs.size >= PARSED_MACS_KEPT) parsedMacs.clear();
    parsedMacs.set(mac, parsed);
  }
  bytes.set(parsed, offset);
}

// The I/G bit (least significant bit of the first byte) marks group
// addresses; broadcast is the group of everyone.
function isMulticastMac(mac) {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

module.exports = { MAC_BROADCAST, MAC_ZERO, HEX, macToString, macFromString, writeMac, isMulticastMac };
