// kernel/net/wire/checksum.js: the Internet checksum (RFC 1071) and the IPv4
// pseudo-header that UDP and TCP add to it (RFC 768, RFC 793 §3.1).
//
// Parse/emit only; the interface layer owns state. The checksum is the ones'
// complement of the ones' complement sum of the data as big-endian 16-bit
// words. Because that sum is associative and commutative (RFC 1071 §2), it
// can be built up piece by piece:
//
//   let s = pseudoHeaderSum(src, dst, PROTO_UDP, length);
//   s = sum(udpBytes, 0, udpBytes.length, s);
//   const value = finish(s);   // 0 when verifying a packet that is intact
//
// One catch: every range but the last must have an even length, since an odd
// tail byte is summed as if followed by a zero byte ("padded with zero octets
// at the end", RFC 768).
'use strict';

// Folds carries above bit 16 back into the low 16 bits ("end-around carry").
function fold(s) {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

// Ones' complement sum of bytes[start, end) added to `initial`, folded to 16
// bits. JavaScript numbers are exact to 2^53, so a plain + never overflows
// for any packet we could hold; we fold once at the end.
function sum(bytes, start = 0, end = bytes.length, initial = 0) {
  let s = initial;
  let i = start;
  for (; i + 1 < end; i += 2) s += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) s += bytes[i] << 8; // odd tail: pad with a zero byte
  return fold(s);
}

// Adds one 16-bit word (or a partial sum) to a partial sum.
function add(s, word) {
  return fold(s + word);
}

// The value that goes into a checksum field.
function finish(s) {
  return ~fold(s) & 0xffff;
}

// Convenience: the checksum of one range.
function checksum(bytes, start = 0, end = bytes.length) {
  return finish(sum(bytes, start, end));
}

// RFC 768: the 12-byte pseudo-header {src, dst, zero, protocol, length},
// summed without being built. Addresses are unsigned 32-bit Numbers.
function pseudoHeaderSum(src, dst, protocol, length) {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length);
}

// What a NIC does for checksum offload (virtio 1.2 §5.1.6.2, "NEEDS_CSUM"):
// the field at start + fieldOffset holds the pseudo-header's sum; sum
// everything from `start` to the end, field included, and store the result.
function finishPartial(bytes, start, fieldOffset) {
  const value = finish(sum(bytes, start, bytes.length));
  bytes[start + fieldOffset] = value >> 8;
  bytes[start + fieldOffset + 1] = value & 0xff;
}

module.exports = { sum, add, finish, checksum, pseudoHeaderSum, finishPartial };
