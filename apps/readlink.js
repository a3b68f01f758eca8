// apps/readlink.js: print the target a symbolic link holds, as GNU
// coreutils' readlink does without -f: the path as it was written when the
// link was made (ln -s), not resolved. A FILE that is not a link prints
// nothing and makes the status 1; -v says why on stderr.
'use strict';

const { reason } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('readlink', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (operands.length === 0) return usageError('readlink', module.exports, 'missing operand', 1);
  // GNU leaves out the newline only when there is one name to print.
  const end = options['no-newline'] && operands.length === 1 ? '' : '\n';
  let status = 0;
  for (const file of operands) {
    try {
      await sys.stdout.write((await sys.fs.readlink(file)) + end);
    } catch (e) {
      if (!(e && e.code)) throw e;
      if (options.verbose) sys.stderr.write(`readlink: ${file}: ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

module.exports.description = 'print the target of a symbolic link';
module.exports.options = {
  '-n, --no-newline': 'no newline after the target',
  '-v, --verbose': 'say why a FILE has no target',
};
module.exports.usage = 'readlink [-nv] FILE...';
