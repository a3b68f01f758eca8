// tests/js/lib/disk-fixtures.js: small disks for the disk file system's
// tests: a fresh file system in memory, text helpers, and a dump of a whole
// tree (names, types, sizes, contents' CRCs, link counts) that two states
// can be compared by.
'use strict';

const { MemoryDevice } = require('/kernel/fs/disk/memory-device');
const { mkfs } = require('/kernel/fs/disk/mkfs');
const { mount } = require('/kernel/fs/disk/file-system');
const { utf8Bytes, utf8Decode } = require('/kernel/lib/utf8');

const text = (s) => utf8Bytes(s).slice();
const str = (bytes) => utf8Decode(bytes, 0, bytes.length);

// A file system of `blocks` 4 KiB blocks on a memory device, mounted.
async function freshFs({ blocks = 512, inodes, logBlocks, clock = () => 1700000000, ...mountOptions } = {}) {
  const device = new MemoryDevice(blocks * 8);
  await mkfs(device, { blocks, inodes, logBlocks, now: clock() });
  const fs = await mount(device, { clock, ...mountOptions });
  return { device, fs };
}

// A quick 32-bit digest of a file's bytes (four at a time: the crash
// tests take thousands of dumps; this is not the on-disk CRC).
function digest(bytes) {
  const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : new Uint32Array(bytes.slice(0, bytes.length & ~3).buffer);
  let h = 0x811c9dc5 ^ bytes.length;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193) ^ (h >>> 15);
  for (let i = words.length * 4; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16);
}

// One line per name under `path`, sorted: "path type size crc nlink" (a
// symlink's target instead of a crc). lost+found is left out.
async function dumpTree(fs, path = '') {
  const lines = [];
  const walk = async (dir) => {
    for (const e of await fs.readdir(dir || '/')) {
      const p = `${dir}/${e.name}`;
      if (p === '/lost+found') continue;
      const st = await fs.lstat(p);
      if (st.type === 'dir') {
        lines.push(`${p} dir ${st.nlink} ${st.mode.toString(8)}`);
        await walk(p);
      } else if (st.type === 'symlink') lines.push(`${p} -> ${await fs.readlink(p)}`);
      else lines.push(`${p} file ${st.size} ${digest(await fs.read(p, 0, st.size))} ${st.nlink} ${st.mode.toString(8)}`);
    }
  };
  await walk(path);
  return lines.sort().join('\n');
}

module.exports = { text, str, freshFs, dumpTree, digest };
