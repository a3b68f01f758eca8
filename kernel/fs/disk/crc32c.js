// kernel/fs/disk/crc32c.js: CRC-32C (Castagnoli), the checksum of every
// structure the disk file system writes: superblock, log header, inodes.
//
// The polynomial is 0x1EDC6F41 (reflected 0x82F63B78), as in iSCSI
// (RFC 3720 §B.4), ext4's metadata_csum and SCTP: better at catching the
// burst errors of a torn or bit-rotted sector than the zip CRC-32. Table
// driven, one byte at a time: a teaching kernel's metadata is small.
'use strict';

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

// Continues a CRC over `bytes` (a running value from an earlier call, or
// 0 to start): crc32c(b, crc32c(a)) === crc32c(a then b).
function crc32c(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

module.exports = { crc32c };
