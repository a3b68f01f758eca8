// apps/mount.js: list the mounted file systems, or mount a disk's.
//
//   mount                       the mount table, as /proc/mounts lists it
//   mount /dev/vda [DIR]        the file system on the disk at DIR (/home)
//
// Mounting checks the superblock, replays the log if the last stop was not
// clean and frees files unlinked while open; dmesg says what it recovered.
// A disk the kernel refuses names the problem: run fsck (docs/disk.md).
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason } = require('/lib/file-tools');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('mount', module.exports, parsed.error);
  const [source, point, extra] = parsed.operands;
  if (extra !== undefined) return usageError('mount', module.exports, `extra operand '${extra}'`);
  if (source === undefined) {
    // "SOURCE on MOUNT type TYPE (OPTIONS)", as util-linux's mount prints the table.
    const lines = (await sys.fs.mounts()).map((m) => `${m.source} on ${m.mount} type ${m.type} (${m.options})\n`);
    await sys.stdout.write(lines.join(''));
    return 0;
  }
  try {
    const r = await sys.fs.mount(source, point);
    if (parsed.options.verbose) {
      const recovered = r.replayed ? `, replayed ${r.replayed} blocks from the log` : '';
      await sys.stdout.write(`mount: ${r.source} mounted on ${r.mount}${recovered}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e && e.code)) throw e;
    sys.stderr.write(`mount: ${point || '/home'}: ${reason(e)}\n`);
    return 32; // util-linux's "mount failure"
  }
};

module.exports.description = 'list or mount file systems';
module.exports.options = { '-v, --verbose': 'say what was mounted and recovered' };
module.exports.usage = 'mount [-v] [DEVICE [DIR]]';
