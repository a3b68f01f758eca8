// apps/mkfs.js: make a new, empty file system on a disk (docs/disk-format.md):
// a superblock and its backup, an empty log, the bitmap, the inode table,
// the root directory and lost+found. Everything on the disk is lost, so it
// is refused while the disk is mounted; then `mount /dev/vda` (or a reboot)
// mounts it at /home.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason } = require('/lib/file-tools');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('mkfs', module.exports, parsed.error);
  const [device, extra] = parsed.operands;
  if (device === undefined) return usageError('mkfs', module.exports, 'missing device');
  if (extra !== undefined) return usageError('mkfs', module.exports, `extra operand '${extra}'`);
  try {
    const r = await sys.fs.mkfs(device);
    if (!parsed.options.quiet) {
      const mib = Math.round((r.blocks * r.blockSize) / (1024 * 1024));
      await sys.stdout.write(`${device}: jsksh-fs, ${r.blocks} blocks of ${r.blockSize / 1024} KiB (${mib} MiB), ${r.inodes} inodes, a log of ${r.logBlocks} blocks\n`);
    }
    return 0;
  } catch (e) {
    if (!(e && e.code)) throw e;
    sys.stderr.write(`mkfs: ${reason(e)}\n`);
    return 1;
  }
};

module.exports.description = 'make a file system on a disk';
module.exports.options = { '-q, --quiet': 'print nothing on success' };
module.exports.usage = 'mkfs [-q] DEVICE';
