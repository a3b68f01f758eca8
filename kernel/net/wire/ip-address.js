// kernel/net/wire/ip-address.js: IPv4 addresses (RFC 791 §3.2) and, for DNS AAAA
// records only, IPv6 addresses (RFC 4291 §2.2, printed as RFC 5952 says).
//
// Parse/emit only; the interface layer owns state. Representation, used by
// every wire/ record: an IPv4 address is an unsigned 32-bit Number
// (10.0.2.15 is 0x0a00020f), because routing is arithmetic: (ip & mask) === net.
// JavaScript's bitwise operators return *signed* 32-bit results, so any
// expression that builds an address ends in `>>> 0`; inSubnet() does this for
// you. IPv6 addresses are 16-byte Uint8Arrays; nothing in the stack routes them.
'use strict';

const { WireError } = require('./errors');
const { need } = require('./bytes');

const IP_ANY = 0; // 0.0.0.0: "this host" as a source before DHCP (RFC 1122 §3.2.1.3)
const IP_BROADCAST = 0xffffffff; // 255.255.255.255: limited broadcast
const IP_LOOPBACK = 0x7f000001; // 127.0.0.1: this host, never on a wire (RFC 1122 §3.2.1.3 (g))

// 127.0.0.0/8, the loopback network: every address in it is this host.
function isLoopback(ip) {
  return ip >>> 24 === 127;
}

function ipToString(ip) {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

// Strict dotted-quad: four decimal parts 0..255 without leading zeros (inet_aton
// would read "010" as octal 8; refusing it avoids the surprise).
const DOTTED = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function ipFromString(s) {
  const m = typeof s === 'string' && DOTTED.exec(s);
  if (!m) throw new WireError('bad-address', `not a dotted-quad IPv4 address: ${JSON.stringify(s)}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new WireError('bad-address', `IPv4 part over 255: ${s}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function readIp(bytes, offset) {
  need(bytes, offset + 4, 'IPv4 address');
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function writeIp(bytes, offset, ip) {
  bytes[offset] = ip >>> 24;
  bytes[offset + 1] = (ip >>> 16) & 255;
  bytes[offset + 2] = (ip >>> 8) & 255;
  bytes[offset + 3] = ip & 255;
}

// /24 -> 255.255.255.0. (A shift by 32 is a shift by 0 in JavaScript, hence the special case.)
function maskFromPrefix(prefix) {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

// 255.255.255.0 -> 24, or -1 for a mask whose ones are not contiguous.
function prefixFromMask(mask) {
  let prefix = 0;
  while (prefix < 32 && mask & (0x80000000 >>> prefix)) prefix++;
  return maskFromPrefix(prefix) === mask >>> 0 ? prefix : -1;
}

function inSubnet(ip, network, mask) {
  return (ip & mask) >>> 0 === (network & mask) >>> 0;
}

// --- IPv6 (for AAAA records) -----------------------------------------------

// RFC 5952 §4: lower-case hex, no leading zeros, the longest run of two or
// more zero groups (the first, on a tie) written as "::".
function ipv6ToString(bytes) {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

// Accepts the RFC 4291 §2.2 text forms 1 and 2 (full, and "::"); not the
// dotted-IPv4 tail of form 3.
function ipv6FromString(s) {
  const bad = () => new WireError('bad-address', `not an IPv6 address: ${JSON.stringify(s)}`);
  if (typeof s !== 'string') throw bad();
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const groupsOf = (part) => (part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad();
  const groups = [...head, ...new Array(missing).fill('0'), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 255;
  });
  return out;
}

module.exports = {
  IP_ANY,
  IP_BROADCAST,
  IP_LOOPBACK,
  isLoopback,
  ipToString,
  ipFromString,
  readIp,
  writeIp,
  maskFromPrefix,
  prefixFromMask,
  inSubnet,
  ipv6ToString,
  ipv6FromString,
};
