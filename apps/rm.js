// apps/rm.js: remove files (in /tmp, or on a disk mounted on /home: the image is read-only).
// -r removes directories and what they hold; -f ignores missing files. A
// symbolic link is removed itself, never what it names (nor, with -r,
// what a link to a directory holds).
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason, removeTree } = require('/lib/file-tools');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('rm', module.exports, parsed.error);
  const flags = { recursive: parsed.options.recursive, force: parsed.options.force };
  const paths = parsed.operands;
  if (paths.length === 0 && !flags.force) {
    sys.stderr.write('rm: missing operand\n');
    return 1;
  }
  let status = 0;
  for (const path of paths) {
    try {
      await removeTree(path, flags);
    } catch (e) {
      if (flags.force && e && e.code === 'ENOENT') continue;
      sys.stderr.write(`rm: cannot remove '${path}': ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

module.exports.description = 'remove files or directories';
module.exports.options = { '-r, -R, --recursive': 'remove directories and their contents', '-f, --force': 'ignore missing files' };
module.exports.usage = 'rm [-rf] FILE...';
