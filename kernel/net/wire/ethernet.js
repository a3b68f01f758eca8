// kernel/net/wire/ethernet.js: Ethernet II frames (IEEE 802.3 §3.1.1, "DIX"
// framing): destination MAC, source MAC, 16-bit EtherType, payload.
//
// Parse/emit only; the interface layer owns state. Frames arrive from the
// virtio-net driver without preamble or FCS, so the header is all there is.
'use strict';

const { checkBytes, need, checkUint, checkByteArray, claimHeadroom, EMPTY } = require('./bytes');
const mac = require('./mac-address');

const HEADER_LEN = 14; // dst(6) src(6) ethertype(2)
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;

// Record: { dst, src, ethertype, payload }. dst and src are MAC strings;
// payload is a view into `bytes` (not a copy), so copy it with slice() if you
// keep it after the receive buffer is reused. Values of the type field up to
// 1500 are IEEE 802.3 length fields (LLC frames), not EtherTypes; they come
// through unchanged and the interface layer drops them as unknown types.
function parse(bytes) {
  checkBytes(bytes, 'ethernet');
  need(bytes, HEADER_LEN, 'ethernet header');
  return {
    dst: mac.macToString(bytes, 0),
    src: mac.macToString(bytes, 6),
    ethertype: (bytes[12] << 8) | bytes[13],
    payload: bytes.subarray(HEADER_LEN),
  };
}

// The inverse of parse(): a new Uint8Array holding header and payload. No
// padding to the 60-byte minimum: virtio, TAP and slirp do not require it.
// With inPlace the header goes into the room in front of the payload
// (tcp.emit's headroom, see ipv4.emit) and the payload is not copied.
function emit({ dst, src, ethertype, payload = EMPTY }, { inPlace = false } = {}) {
  checkUint(ethertype, 0xffff, 'ethertype', 'ethernet');
  checkByteArray(payload, 'payload', 'ethernet');
  const frame = inPlace ? claimHeadroom(payload, HEADER_LEN, 'ethernet') : new Uint8Array(HEADER_LEN + payload.length);
  mac.writeMac(frame, 0, dst);
  mac.writeMac(frame, 6, src);
  frame[12] = ethertype >> 8;
  frame[13] = ethertype & 0xff;
  if (!inPlace) frame.set(payload, HEADER_LEN);
  return frame;
}

module.exports = {
  HEADER_LEN,
  ETHERTYPE_IPV4,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV6,
  parse,
  emit,
  // Re-exported so the interface needs one require for frames and their addresses.
  MAC_BROADCAST: mac.MAC_BROADCAST,
  macToString: mac.macToString,
  macFromString: mac.macFromString,
  isMulticastMac: mac.isMulticastMac,
};
