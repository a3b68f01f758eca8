// kernel/fs/disks.js: the kernel's disks and the file systems on them.
//
// At boot (kernel/init.js) each disk's superblock is read: a blank disk is
// left alone with a hint (nothing is formatted behind the user's back), a
// file system is mounted at /home (the log replayed, orphans freed, both
// said in the boot log as Linux's ext4 says them), and one the library
// refuses is refused with its message and a hint to run fsck: never a
// panic. The apps' mount, umount, mkfs and fsck are the calls at the end;
// poweroff and reboot sync and unmount every disk first (unmountAll), so a
// clean stop leaves nothing to replay.
//
// The driver (kernel/drivers/virtio/blk.js) already has the shape the file
// system library wants (read, write, flush, capacity); device() adds the
// sector size and keeps the library from touching anything else.
'use strict';

const { KernelError } = require('../lib/errors');
const { mount } = require('./disk/file-system');
const { mkfs } = require('./disk/mkfs');
const { fsck } = require('./disk/fsck');
const L = require('./disk/layout');
const { DiskMount } = require('./disk-mount');

const SECTOR = 512;
const HOME = '/home'; // where a disk is mounted at boot (docs/disk.md, "Where it is mounted")

const mib = (bytes) => `${Math.round(bytes / (1024 * 1024))} MiB`;

class Disks {
  // drivers: {vda: driver}; timers: the kernel's (kernel/time/timers.js);
  // clock(): seconds since 1970, for mtimes.
  constructor({ vfs, log, drivers, timers, clock }) {
    this.vfs = vfs;
    this.log = log;
    this.drivers = drivers;
    this.timers = timers;
    this.clock = clock;
    this.busy = new Set(); // disks a mount, mkfs or fsck is working on now
  }

  // '/dev/vda' or 'vda' -> 'vda' (ENODEV if there is no such disk).
  nameOf(source) {
    const name = String(source || '').replace(/^\/dev\//, '');
    if (!Object.prototype.hasOwnProperty.call(this.drivers, name)) {
      throw new KernelError('ENODEV', source, `${source}: no such disk${Object.keys(this.drivers).length ? '' : ' (boot with jsksh --disk FILE)'}`);
    }
    return name;
  }

  device(name) {
    const d = this.drivers[name];
    return {
      sectorSize: SECTOR,
      capacity: d.capacity,
      read: (sector, count) => d.read(sector, count),
      write: (sector, bytes) => d.write(sector, bytes),
      flush: () => d.flush(),
    };
  }

  // The mount of disk `name`, if it is mounted.
  mountOf(name) {
    for (const m of this.vfs.mounts.values()) if (m.name === name) return m;
    return null;
  }

  // Is there a file system on the disk at all? A blank disk has no magic
  // number in block 0 nor in its last block (where mkfs keeps the backup
  // superblock): a zeroed block 0 with a backup is a damaged file system.
  async hasFileSystem(name) {
    const dev = this.device(name);
    const blocks = Math.floor(dev.capacity / L.SECTORS_PER_BLOCK);
    const magic = (bytes) => String.fromCharCode(...bytes.subarray(0, 8)) === 'jsksh-fs';
    if (magic(await dev.read(0, 1))) return true;
    return blocks > 0 && magic(await dev.read((blocks - 1) * L.SECTORS_PER_BLOCK, 1));
  }

  // Boot: every disk checked, the first with a file system mounted at /home.
  async boot() {
    for (const name of Object.keys(this.drivers)) {
      try {
        if (!(await this.hasFileSystem(name))) {
          this.log.info(`${name}: no file system (mkfs /dev/${name} to make one)`);
          continue;
        }
        if (this.vfs.mounts.has(HOME)) continue;
        await this.mount(`/dev/${name}`, HOME);
      } catch (e) {
        const why = String(e.message).replace(/^disk: /, '').replace(/; run fsck$/, '');
        this.log.err(`jsksh-fs (${name}): cannot mount: ${why}; run fsck`);
        this.log.err(`jsksh-fs (${name}): to check it: fsck /dev/${name}, to repair it: fsck -r /dev/${name}`);
      }
    }
  }

  // mount(8): the file system on `source` at `point`, recovered from its log.
  async mount(source, point = HOME) {
    const name = this.nameOf(source);
    if (this.mountOf(name)) throw new KernelError('EBUSY', source, `${source}: already mounted on ${this.mountOf(name).point}`);
    if (this.busy.has(name)) throw new KernelError('EBUSY', source);
    this.busy.add(name);
    try {
      const fs = await mount(this.device(name), {
        clock: this.clock,
        setTimer: (ms, fn) => this.timers.after(ms, fn),
        clearTimer: (id) => this.timers.cancel(id),
      });
      const disk = new DiskMount(fs, { point, source: `/dev/${name}`, name });
      try {
        this.vfs.mount(point, disk);
      } catch (e) {
        await fs.umount().catch(() => {});
        throw e;
      }
      const size = this.drivers[name].capacity * SECTOR;
      const replayed = fs.log.replayed ? `, replayed ${fs.log.replayed.blocks} blocks from the log` : '';
      this.log.info(`jsksh-fs (${name}): mounted at ${disk.point}, ${mib(size)}${replayed}`);
      if (fs.orphansFreed) this.log.info(`jsksh-fs (${name}): recovered ${fs.orphansFreed} orphan inode${fs.orphansFreed === 1 ? '' : 's'}`);
      return { source: disk.source, mount: disk.point, replayed: fs.log.replayed ? fs.log.replayed.blocks : 0, orphans: fs.orphansFreed };
    } finally {
      this.busy.delete(name);
    }
  }

  // umount(8): EBUSY while a file on it is open; else synced, the log left
  // empty, and the mount point an empty directory again.
  async umount(target) {
    const disk = this.vfs.mounts.get(target) || this.mountOf(String(target || '').replace(/^\/dev\//, ''));
    if (!disk) throw new KernelError('EINVAL', target, `${target}: not mounted`);
    if (disk.openFiles > 0) throw new KernelError('EBUSY', target, `${disk.point}: target is busy (${disk.openFiles} open file${disk.openFiles === 1 ? '' : 's'})`);
    await disk.fs.umount();
    this.vfs.unmount(disk.point);
    this.log.info(`jsksh-fs (${disk.name}): unmounted ${disk.point}`);
  }

  // mkfs(8): a new, empty file system on an unmounted disk.
  async mkfs(source) {
    const name = this.idle(source);
    this.busy.add(name);
    try {
      const sb = await mkfs(this.device(name), { now: this.clock() });
      this.log.info(`jsksh-fs (${name}): made a file system: ${sb.blocks} blocks of 4 KiB, ${sb.inodes - 1} inodes, a log of ${sb.logBlocks} blocks`);
      return { blocks: sb.blocks, blockSize: L.BLOCK_SIZE, inodes: sb.inodes - 1, logBlocks: sb.logBlocks };
    } finally {
      this.busy.delete(name);
    }
  }

  // fsck(8) of an unmounted disk: the library's report ({clean, problems,
  // repaired, unrepaired, notes}); `repair` writes the repairs.
  async fsck(source, repair = false) {
    const name = this.idle(source);
    this.busy.add(name);
    try {
      return await fsck(this.device(name), { repair: !!repair });
    } finally {
      this.busy.delete(name);
    }
  }

  // A disk no file system is mounted from and nothing else works on.
  idle(source) {
    const name = this.nameOf(source);
    const m = this.mountOf(name);
    if (m) throw new KernelError('EBUSY', source, `/dev/${name} is mounted on ${m.point}: umount ${m.point} first`);
    if (this.busy.has(name)) throw new KernelError('EBUSY', source);
    return name;
  }

  // sync(2) of every disk.
  sync() {
    return this.vfs.sync();
  }

  // Power-off and reboot: every disk synced and unmounted, open files or
  // not (their orphans are freed by the library's umount), each failure
  // logged. Resolves when all are done.
  async unmountAll() {
    for (const disk of [...this.vfs.mounts.values()]) {
      try {
        await disk.fs.umount();
        this.vfs.unmount(disk.point);
        this.log.info(`jsksh-fs (${disk.name}): unmounted ${disk.point}`);
      } catch (e) {
        this.log.err(`jsksh-fs (${disk.name}): unmount failed: ${e.message}`);
      }
    }
  }
}

module.exports = { Disks, HOME };
