// Unit tests for kernel/fs/disk/layout.js and crc32c.js: the on-disk
// format, version 1, against literal bytes (computed apart from this code,
// with an independent CRC-32C in Python), and what decoding says about
// bytes that are not a valid structure.
const L = require('/kernel/fs/disk/layout');
const { crc32c } = require('/kernel/fs/disk/crc32c');

const hex = (s) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g), (h) => parseInt(h, 16));
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const zero = (bytes, from) => bytes.subarray(from).every((b) => b === 0);

test('crc32c: the check value of RFC 3720 and iSCSI', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  assert.equal(crc32c(ascii('56789'), crc32c(ascii('1234'))), 0xe3069283, 'continues across calls');
});

test('geometry: where a 1,024-block file system puts each region', () => {
  const sb = L.geometry({ blocks: 1024, inodes: 255, logBlocks: 65 });
  assert.deepEqual(
    [sb.logStart, sb.logBlocks, sb.bitmapStart, sb.bitmapBlocks, sb.inodeStart, sb.inodeBlocks, sb.dataStart, sb.inodes],
    [1, 65, 66, 1, 67, 8, 75, 256],
  );
  assert.deepEqual(L.logAreas(sb), { areas: [2, 34], maxBlocks: 32 });
  assert.deepEqual(L.logAreas(L.geometry({ blocks: 262144, inodes: 65536, logBlocks: 247 })).maxBlocks, 123, 'one sector of header names 123 blocks');
});

const SUPERBLOCK = hex(`6a736b73682d6673 01000000 00100000 00040000 00010000 01000000 41000000
  42000000 01000000 43000000 08000000 4b000000 01000000 00f15365 5678b41a`);

test('superblock: encoded byte by byte, and back', () => {
  const sb = { ...L.geometry({ blocks: 1024, inodes: 255, logBlocks: 65 }), created: 1700000000 };
  const block = L.encodeSuperblock(sb);
  assert.equal(block.length, 4096);
  assert.deepEqual(block.subarray(0, 64), SUPERBLOCK);
  assert.ok(zero(block, 64));
  assert.deepEqual(L.decodeSuperblock(block), sb);
});

test('superblock: each kind of bad block named', () => {
  const good = L.encodeSuperblock({ ...L.geometry({ blocks: 1024, inodes: 255, logBlocks: 65 }), created: 1 });
  assert.throws(() => L.decodeSuperblock(new Uint8Array(4096)), /no superblock \(block 0 is zeroed\)/);
  const magic = good.slice();
  magic[0] = 0x4a;
  assert.throws(() => L.decodeSuperblock(magic), /not a jsksh file system \(wrong magic/);
  const flipped = good.slice();
  flipped[20] ^= 1;
  assert.throws(() => L.decodeSuperblock(flipped), /superblock checksum mismatch/);
  const v2 = L.encodeSuperblock({ ...L.decodeSuperblock(good), version: 2 });
  assert.throws(() => L.decodeSuperblock(v2), /unsupported format version 2 \(this kernel reads version 1\)/);
  const odd = L.encodeSuperblock({ ...L.decodeSuperblock(good), dataStart: 70 });
  assert.throws(() => L.decodeSuperblock(odd), /geometry is inconsistent/);
});

test('log header: the commit record in one sector, its CRC over the logged blocks', () => {
  const h = { sequence: 7, count: 2, area: 2, homes: [80, 81] };
  const blocks = [new Uint8Array(4096).fill(0x11), new Uint8Array(4096).fill(0x22)];
  const crc = L.logChecksum(h, blocks);
  assert.equal(crc, 0x4357f45a);
  const block = L.encodeLogHeader({ ...h, crc });
  assert.deepEqual(block.subarray(0, 28), hex('4a4c4f47 07000000 02000000 02000000 5af45743 50000000 51000000'));
  assert.ok(zero(block, 28));
  assert.deepEqual(L.decodeLogHeader(block), { ...h, crc });
  blocks[1][4095] = 0x23;
  assert.notEqual(L.logChecksum(h, blocks), crc, 'one changed byte in a logged block changes the CRC');
  assert.throws(() => L.decodeLogHeader(new Uint8Array(4096)), /wrong magic/);
  const many = block.slice();
  many[8] = 200;
  assert.throws(() => L.decodeLogHeader(many), /claims 200 blocks \(at most 123\)/);
});

test('inode: 128 bytes, times to the nanosecond, a CRC; a free inode is zeros', () => {
  const inode = { type: L.T_FILE, mode: 0o644, nlink: 1, size: 5000, mtime: 1700000000.5, ctime: 1700000001, blocks: 2, direct: [75, 76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], indirect: 0, double: 0 };
  const bytes = L.encodeInode(inode);
  assert.deepEqual(
    bytes,
    hex(`0100a401 01000000 88130000 00000000 00f15365 00000000 0065cd1d 01f15365 00000000 00000000
      02000000 4b000000 4c000000 ${'00'.repeat(40)} 00000000 00000000 ${'00'.repeat(24)} 9a637a9c`),
  );
  assert.deepEqual(L.decodeInode(bytes), inode);
  assert.deepEqual(L.encodeInode(L.freeInode()), new Uint8Array(128));
  assert.equal(L.decodeInode(new Uint8Array(128)).type, L.T_FREE);
  const big = L.decodeInode(L.encodeInode({ ...inode, size: 2 ** 40 + 3 }));
  assert.equal(big.size, 2 ** 40 + 3, 'sizes past 4 GiB');
  const bad = bytes.slice();
  bad[9] ^= 0x10;
  assert.throws(() => L.decodeInode(bad), /checksum mismatch/);
  assert.deepEqual(L.inodePlace({ inodeStart: 67 }, 33), { block: 68, offset: 128 });
});

test("directory block: '.' and '..', a name placed in the slack, removal gives the space back", () => {
  const block = L.newDirBlock(5, 1);
  assert.deepEqual(block.subarray(0, 24), hex('05000000 0c00 01 02 2e000000 01000000 f40f 02 02 2e2e0000'));
  assert.ok(L.dirInsert(block, 'hello.txt', 9, L.T_FILE));
  assert.deepEqual(block.subarray(12, 44), hex('01000000 0c00 02 02 2e2e0000 09000000 e80f 09 01 68656c6c6f2e747874000000'));
  assert.deepEqual(
    L.dirEntries(block).map((e) => [e.offset, e.name, e.ino, e.type]),
    [
      [0, '.', 5, 2],
      [12, '..', 1, 2],
      [24, 'hello.txt', 9, 1],
    ],
  );
  L.dirRemove(block, 24);
  assert.deepEqual(block, L.newDirBlock(5, 1), 'back to the block it was');
  L.dirRetarget(block, 12, 7, L.T_DIR);
  assert.equal(L.dirEntries(block)[1].ino, 7);
});

test('directory block: a full block says no; a 255-byte name fits; bad chains are named', () => {
  const block = L.emptyDirBlock();
  const long = 'x'.repeat(255);
  let n = 0;
  while (L.dirInsert(block, `${long.slice(0, 250)}${String(n).padStart(5, '0')}`, 100 + n, L.T_FILE)) n++;
  assert.equal(n, Math.floor(4096 / L.recordNeeds(255)));
  assert.equal(L.dirEntries(block)[3].name.length, 255);
  const bad = L.newDirBlock(5, 1);
  bad[4] = 10; // '.' record length not a multiple of 4
  assert.throws(() => L.dirEntries(bad), /record at 0 has a bad length 10/);
  const past = L.newDirBlock(5, 1);
  past[16] = 0xff; // '..' record length runs past the block
  assert.throws(() => L.dirEntries(past), /record at 12 has a bad length/);
});

test('bitmap: bit n of the map is block n, least significant bit first', () => {
  const map = new Uint8Array(4);
  L.bitSet(map, 0, true);
  L.bitSet(map, 9, true);
  assert.deepEqual(map, hex('01020000'));
  assert.equal(L.bitGet(map, 9), 1);
  L.bitSet(map, 9, false);
  assert.equal(L.bitGet(map, 9), 0);
});
