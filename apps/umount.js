// apps/umount.js: unmount a disk's file system, as umount(8): its changes
// committed, the log left empty (the next mount replays nothing), the mount
// point an empty directory again. Refused (target is busy) while a file on
// it is open: a program reading it, a redirection, a running service.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason } = require('/lib/file-tools');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('umount', module.exports, parsed.error);
  if (parsed.operands.length === 0) return usageError('umount', module.exports, 'missing operand');
  let status = 0;
  for (const target of parsed.operands) {
    try {
      await sys.fs.umount(target);
    } catch (e) {
      if (!(e && e.code)) throw e;
      sys.stderr.write(`umount: ${target}: ${reason(e)}\n`);
      status = 32;
    }
  }
  return status;
};

module.exports.description = 'unmount a disk\'s file system';
module.exports.options = {};
module.exports.usage = 'umount DIR|DEVICE...';
