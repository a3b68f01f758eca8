// apps/sync.js: make every mounted disk's changes durable, as sync(1):
// the kernel commits each disk's running transaction and flushes the
// device's write cache (sys.fs.sync; docs/disk.md, "What is durable when").
// With a FILE, fsync(2) of that file instead (on jsksh's disk, whose one
// transaction holds every change, that is the same commit).
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason } = require('/lib/file-tools');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('sync', module.exports, parsed.error);
  if (parsed.operands.length === 0) {
    await sys.fs.sync();
    return 0;
  }
  let status = 0;
  for (const file of parsed.operands) {
    try {
      await sys.fs.fsync(file);
    } catch (e) {
      if (!(e && e.code)) throw e;
      sys.stderr.write(`sync: error syncing '${file}': ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

module.exports.description = 'make the disks\' changes durable';
module.exports.options = {};
module.exports.usage = 'sync [FILE...]';
