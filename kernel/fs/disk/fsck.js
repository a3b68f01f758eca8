// kernel/fs/disk/fsck.js: checks every invariant of the format, reports
// each problem in a sentence, and with {repair: true} fixes what it can.
//
//   const report = await fsck(device, { repair });
//   report = { clean, problems: [...], repaired: [...], unrepaired: [...], notes: [...] }
//
// What it checks, in order (each step trusts only what the earlier ones
// passed):
//   1. the superblock: magic, version, checksum, geometry; a bad one is
//      replaced by the backup in the last block (repair)
//   2. the device holds every block the superblock counts
//   3. the log: a header and logged blocks whose CRC32C matches; a
//      committed transaction is replayed (repair) or read through (check);
//      a corrupt log is dropped (repair: its transaction is lost)
//   4. every inode: checksum, type; corrupt ones are cleared
//   5. every inode's blocks: inside the data area, owned once, none past
//      its size, its block count right
//   6. the tree from the root: each directory block's records, '.' and '..',
//      each entry naming an allocated inode of the entry's type, no
//      directory with two names (so no cycle)
//   7. inodes no name reaches: unlinked-while-open ones (nlink 0) are freed,
//      others go to /lost+found as '#INO'
//   8. link counts equal the entries naming each inode
//   9. the bitmap equals the metadata blocks plus every owned block
// Repairs write straight to the device (fsck runs on an unmounted disk)
// and end with a FLUSH.
'use strict';

const L = require('./layout');
const { readBlock, writeBlock, flushDevice } = require('./block-cache');
const { Log, readLog, emptyHeader } = require('./log');
const { blocksOf } = require('./inodes');
const dirs = require('./directories');

const TYPE = (t) => L.TYPE_NAMES[t] || `type ${t}`;

async function fsck(device, { repair = false } = {}) {
  const report = { clean: true, problems: [], repaired: [], unrepaired: [], notes: [] };
  // A problem; `fix` (run only when repairing) does the repair, or is null
  // when there is none.
  const problem = async (text, fix) => {
    report.problems.push(text);
    if (!repair) return;
    if (fix) {
      const how = await fix();
      report.repaired.push(how ? `${text}: ${how}` : text);
    } else report.unrepaired.push(text);
  };
  const finish = () => {
    report.clean = report.problems.length === 0;
    return report;
  };
  const deviceBlocks = Math.floor(device.capacity / L.SECTORS_PER_BLOCK);

  // 1. superblock
  let sb;
  try {
    sb = L.decodeSuperblock(await readBlock(device, 0));
  } catch (e) {
    let backup = null;
    try {
      backup = L.decodeSuperblock(await readBlock(device, deviceBlocks - 1));
    } catch (e2) {
      // no usable backup either
    }
    if (!backup) {
      await problem(`superblock: ${e.message}, and the backup in the last block is not usable either`, null);
      return finish();
    }
    sb = backup;
    await problem(`superblock: ${e.message}`, async () => {
      await writeBlock(device, 0, L.encodeSuperblock(sb));
      await flushDevice(device);
      return `restored from the backup in block ${deviceBlocks - 1}`;
    });
    if (!repair) report.notes.push(`checked with the backup superblock in block ${deviceBlocks - 1}`);
  }

  // 2. size
  if (sb.blocks > deviceBlocks) {
    await problem(`size: the superblock says ${sb.blocks} blocks but the device holds only ${deviceBlocks} (the image was truncated; give it back its full size)`, null);
    return finish();
  }

  // 3. log
  const overlay = new Map(); // home -> bytes of a committed, not yet replayed transaction
  try {
    const { header, blocks } = await readLog(device, sb);
    if (header.count > 0) {
      report.notes.push(`log: transaction ${header.sequence} (${header.count} blocks) is committed ${repair ? 'and was replayed' : 'and will be replayed at mount'}`);
      if (repair) await new Log(device, sb).recover();
      else header.homes.forEach((h, i) => overlay.set(h, blocks[i]));
    }
  } catch (e) {
    await problem(`log: ${e.message.replace(/^disk: /, '').replace(/; run fsck$/, '')}`, async () => {
      await writeBlock(device, sb.logStart, emptyHeader(0));
      await flushDevice(device);
      return 'the log was emptied (its transaction, if it was one, is lost)';
    });
  }

  // Blocks as fsck sees and changes them: its own changes, then the log,
  // then the device. `op` has the shape of block-cache.js's operations, so
  // the directory and inode code can change blocks for repairs.
  const changed = new Map();
  const cached = new Map();
  const get = async (b) => {
    if (changed.has(b)) return changed.get(b);
    if (overlay.has(b)) return overlay.get(b);
    if (!cached.has(b)) cached.set(b, await readBlock(device, b));
    return cached.get(b);
  };
  const op = {
    sb,
    get,
    modify: async (b) => {
      if (!changed.has(b)) changed.set(b, (await get(b)).slice());
      return changed.get(b);
    },
    fresh: (b) => {
      const bytes = new Uint8Array(L.BLOCK_SIZE);
      changed.set(b, bytes);
      return bytes;
    },
  };
  const isData = (b) => b >= sb.dataStart && b < sb.blocks - 1;
  const writeInode = async (inode) => {
    const { block, offset } = L.inodePlace(sb, inode.ino);
    L.encodeInode(inode, (await op.modify(block)).subarray(offset, offset + L.INODE_SIZE));
  };
  const clearInode = (ino) => writeInode({ ino, ...L.freeInode() });

  // 4. inodes
  const inodes = new Map(); // ino -> record, allocated and sound
  for (let ino = 1; ino < sb.inodes; ino++) {
    const { block, offset } = L.inodePlace(sb, ino);
    const bytes = (await get(block)).subarray(offset, offset + L.INODE_SIZE);
    let inode;
    try {
      inode = { ino, ...L.decodeInode(bytes) };
    } catch (e) {
      await problem(`inode ${ino}: ${e.message}`, async () => {
        await clearInode(ino);
        return 'cleared (the names that pointed at it are removed below)';
      });
      continue;
    }
    if (inode.type !== L.T_FREE) inodes.set(ino, inode);
  }
  const root = inodes.get(L.ROOT_INO);
  if (!root || root.type !== L.T_DIR) {
    await problem('the root inode is not a directory', null);
    return finish();
  }

  // 5. each inode's blocks
  const owner = new Map(); // block -> ino
  const dataOf = new Map(); // ino -> [[index, block]]
  const drop = async (inode, why) => {
    inodes.delete(inode.ino);
    for (const [b, o] of owner) if (o === inode.ino) owner.delete(b);
    await problem(why, async () => {
      await clearInode(inode.ino);
      return 'inode cleared';
    });
  };
  for (const inode of [...inodes.values()]) {
    const { data, meta, bad } = await blocksOf(get, inode, isData);
    if (bad.length) {
      await drop(inode, `inode ${inode.ino} (${TYPE(inode.type)}) points at block ${bad[0]}, outside the data area`);
      continue;
    }
    const twice = [...meta, ...data.map(([, b]) => b)].find((b) => owner.has(b));
    if (twice !== undefined) {
      await drop(inode, `inode ${inode.ino} (${TYPE(inode.type)}) holds block ${twice}, which inode ${owner.get(twice)} holds too`);
      continue;
    }
    for (const b of meta) owner.set(b, inode.ino);
    for (const [, b] of data) owner.set(b, inode.ino);
    dataOf.set(inode.ino, data);
    const count = meta.length + data.length;
    if (count !== inode.blocks) {
      await problem(`inode ${inode.ino} counts ${inode.blocks} blocks but holds ${count}`, async () => {
        inode.blocks = count;
        await writeInode(inode);
      });
    }
    const last = data.reduce((m, [i]) => Math.max(m, i), -1);
    const sizeOk = inode.type === L.T_DIR ? inode.size === (last + 1) * L.BLOCK_SIZE && data.length === last + 1 : last < Math.ceil(inode.size / L.BLOCK_SIZE);
    if (!sizeOk) {
      const what = inode.type === L.T_DIR ? 'a directory whose size is not its blocks' : `block ${last} lies past its size ${inode.size}`;
      await problem(`inode ${inode.ino} (${TYPE(inode.type)}): ${what}`, async () => {
        inode.size = (last + 1) * L.BLOCK_SIZE;
        await writeInode(inode);
        return `size set to ${inode.size}`;
      });
    }
  }

  // 6. the tree
  const refs = new Map(); // ino -> entries naming it
  const parent = new Map(); // directory ino -> the directory it is named in
  const ref = (ino) => refs.set(ino, (refs.get(ino) || 0) + 1);
  const walkDir = async (dirIno, parentIno) => {
    const queue = [[dirIno, parentIno]];
    parent.set(dirIno, parentIno);
    while (queue.length) {
      const [d, p] = queue.shift();
      const data = dataOf.get(d);
      for (const [index, b] of data) {
        let records;
        try {
          records = L.dirEntries(await get(b));
        } catch (e) {
          await problem(`directory ${d} block ${b}: ${e.message}`, async () => {
            (await op.modify(b)).set(index === 0 ? L.newDirBlock(d, p) : L.emptyDirBlock());
            return 'the block was emptied (what it named goes to lost+found)';
          });
          records = L.dirEntries(await get(b));
          if (!repair) continue;
        }
        for (const e of records) {
          const found = { block: b, offset: e.offset };
          if (index === 0 && e.offset === 0 && e.name !== '.') await problem(`directory ${d}: its first entry is '${e.name}', not '.'`, null);
          if (e.name === '.' || e.name === '..') {
            const want = e.name === '.' ? d : p;
            if (e.ino !== want) {
              await problem(`directory ${d}: '${e.name}' names inode ${e.ino}, not ${want}`, async () => {
                await dirs.retarget(op, found, want, L.T_DIR);
              });
            }
            ref(repair ? want : e.ino);
            continue;
          }
          const target = inodes.get(e.ino);
          if (!target) {
            await problem(`directory ${d}: '${e.name}' names inode ${e.ino}, which is not in use`, async () => {
              await dirs.removeEntry(op, found);
              return 'entry removed';
            });
            continue;
          }
          if (e.type !== target.type) {
            await problem(`directory ${d}: '${e.name}' says ${TYPE(e.type)} but inode ${e.ino} is a ${TYPE(target.type)}`, async () => {
              await dirs.retarget(op, found, e.ino, target.type);
            });
          }
          if (target.type === L.T_DIR && parent.has(e.ino)) {
            await problem(`directory ${e.ino} has a second name '${e.name}' in directory ${d} (a directory has one name; this may be a cycle)`, async () => {
              await dirs.removeEntry(op, found);
              return 'the second name was removed';
            });
            continue;
          }
          ref(e.ino);
          if (target.type === L.T_DIR) {
            parent.set(e.ino, d);
            queue.push([e.ino, d]);
          }
        }
      }
    }
  };
  await walkDir(L.ROOT_INO, L.ROOT_INO);

  // 7. inodes with no name. Blocks are counted as owned until here; an
  // unlinked-while-open inode gives its blocks back.
  const unnamed = [...inodes.values()].filter((i) => !refs.has(i.ino) && !parent.has(i.ino));
  const orphans = unnamed.filter((i) => i.nlink === 0);
  for (const inode of orphans) {
    report.notes.push(`inode ${inode.ino} (${TYPE(inode.type)}) was unlinked while open: ${repair ? 'freed' : 'mount frees it'}`);
    if (repair) {
      inodes.delete(inode.ino);
      for (const [b, o] of owner) if (o === inode.ino) owner.delete(b);
      await clearInode(inode.ino);
    }
  }

  // 9 before 7's moves: the bitmap must be right before lost+found may
  // take a block to grow.
  // The bitmap as it should be, built byte-wise, then compared.
  const want = [];
  for (let m = 0; m < sb.bitmapBlocks; m++) want.push(new Uint8Array(L.BLOCK_SIZE));
  const mark = (b) => L.bitSet(want[Math.floor(b / L.BITS_PER_BLOCK)], b % L.BITS_PER_BLOCK, true);
  for (let b = 0; b < sb.dataStart; b++) mark(b);
  for (let b = sb.blocks - 1; b < sb.bitmapBlocks * L.BITS_PER_BLOCK; b++) mark(b);
  for (const b of owner.keys()) mark(b);
  let wrongInUse = 0;
  let wrongFree = 0;
  let firstWrong = null;
  for (let m = 0; m < sb.bitmapBlocks; m++) {
    const map = await get(sb.bitmapStart + m);
    for (let i = 0; i < L.BLOCK_SIZE; i++) {
      if (map[i] === want[m][i]) continue;
      for (let bit = 0; bit < 8; bit++) {
        const have = (map[i] >> bit) & 1;
        if (have === ((want[m][i] >> bit) & 1)) continue;
        if (have) wrongInUse++;
        else wrongFree++;
        if (firstWrong === null) firstWrong = m * L.BITS_PER_BLOCK + i * 8 + bit;
      }
    }
  }
  if (wrongInUse || wrongFree) {
    const parts = [];
    if (wrongFree) parts.push(`${wrongFree} blocks in use are marked free`);
    if (wrongInUse) parts.push(`${wrongInUse} blocks marked in use belong to nothing`);
    await problem(`bitmap: ${parts.join(', ')} (the first is block ${firstWrong})`, async () => {
      for (let m = 0; m < sb.bitmapBlocks; m++) op.fresh(sb.bitmapStart + m).set(want[m]);
      return 'rebuilt from the inodes';
    });
  }

  // 7, continued: named nowhere but counted as linked: to lost+found.
  const lostEntry = await dirs.lookup(op, root, 'lost+found');
  const lost = lostEntry && inodes.get(lostEntry.ino);
  const named = unnamed.filter((i) => i.nlink > 0).sort((a, b) => (b.type === L.T_DIR) - (a.type === L.T_DIR) || a.ino - b.ino);
  for (const inode of named) {
    if (refs.has(inode.ino)) continue; // reached through a directory moved earlier
    await problem(`inode ${inode.ino} (${TYPE(inode.type)}) has ${inode.nlink} links but no name`, !lost || lost.type !== L.T_DIR ? null : async () => {
      await dirs.addEntry(op, lost, `#${inode.ino}`, inode.ino, inode.type);
      await writeInode(lost);
      if (inode.type === L.T_DIR) {
        const dotdot = await dirs.lookup(op, inode, '..');
        if (dotdot) await dirs.retarget(op, dotdot, lost.ino, L.T_DIR);
        await walkDir(inode.ino, lost.ino);
      }
      ref(inode.ino);
      return `moved to /lost+found/#${inode.ino}`;
    });
  }

  // 8. link counts
  for (const inode of inodes.values()) {
    const n = refs.get(inode.ino) || 0;
    if (n === 0 || n === inode.nlink) continue;
    await problem(`inode ${inode.ino} (${TYPE(inode.type)}) has link count ${inode.nlink} but ${n} names`, async () => {
      inode.nlink = n;
      await writeInode(inode);
    });
  }

  if (repair && changed.size) {
    for (const [b, bytes] of changed) await writeBlock(device, b, bytes);
    await flushDevice(device);
  }
  return finish();
}

module.exports = { fsck };
