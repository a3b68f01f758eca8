// apps/fsck.js: check a disk's file system, and with -r repair it
// (kernel/fs/disk/fsck.js; docs/disk-format.md, "fsck"). It reads the disk
// straight, so the disk must not be mounted: umount it first. Exit status
// as e2fsck's: 0 clean, 1 errors repaired, 4 errors left, 8 it could not run.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason } = require('/lib/file-tools');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('fsck', module.exports, parsed.error);
  const [device, extra] = parsed.operands;
  if (device === undefined) return usageError('fsck', module.exports, 'missing device');
  if (extra !== undefined) return usageError('fsck', module.exports, `extra operand '${extra}'`);
  let r;
  try {
    r = await sys.fs.fsck(device, { repair: parsed.options.repair });
  } catch (e) {
    if (!(e && e.code)) throw e;
    sys.stderr.write(`fsck: ${reason(e)}\n`);
    return 8;
  }
  const lines = [];
  for (const p of r.problems) lines.push(`problem: ${p}`);
  for (const p of r.repaired) lines.push(`repaired: ${p}`);
  for (const p of r.unrepaired) lines.push(`not repaired: ${p}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.clean) lines.push(`${device}: clean`);
  else if (r.unrepaired.length || (!parsed.options.repair && r.problems.length)) {
    lines.push(`${device}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${parsed.options.repair ? '' : ' (fsck -r repairs what it can)'}`);
  } else lines.push(`${device}: repaired`);
  await sys.stdout.write(lines.map((l) => l + '\n').join(''));
  if (r.clean) return 0;
  return r.unrepaired.length || !parsed.options.repair ? 4 : 1;
};

module.exports.description = 'check and repair a disk\'s file system';
module.exports.options = { '-r, --repair': 'repair what can be repaired' };
module.exports.usage = 'fsck [-r] DEVICE';
