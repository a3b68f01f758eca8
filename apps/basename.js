// apps/basename.js: print NAME with any leading directories removed, and a
// SUFFIX too if NAME ends in it, as GNU coreutils' basename does.
//
//   basename NAME [SUFFIX]        basename /usr/lib/libc.so .so  ->  libc
//   basename -a [-s SUFFIX] NAME...   every NAME (-s implies -a)
//
// Only the text is looked at, never the file system: trailing slashes go
// first ('/tmp/' -> 'tmp'), a name of slashes alone is '/', and a suffix
// that is the whole name stays (basename .txt .txt -> .txt). -z ends each
// name with a NUL byte instead of a newline.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('basename', module.exports, parsed.error);
  const { options, operands: names } = parsed;
  // -s implies -a: every operand is a NAME.
  const opts = { multiple: options.multiple || options.suffix !== null, suffix: options.suffix ?? '', zero: options.zero };
  if (names.length === 0) return operandError('missing operand');
  if (!opts.multiple) {
    if (names.length > 2) return operandError(`extra operand '${names[2]}'`);
    if (names.length === 2) opts.suffix = names.pop();
  }
  const end = opts.zero ? '\0' : '\n';
  await sys.stdout.write(names.map((name) => baseName(name, opts.suffix) + end).join(''));
  return 0;
};

// The last component of `name`, less `suffix` when it ends in it and is more than it.
function baseName(name, suffix) {
  if (name === '') return '';
  let end = name.length;
  while (end > 1 && name[end - 1] === '/') end--;
  if (end === 1 && name[0] === '/') return '/';
  const base = name.slice(name.lastIndexOf('/', end - 1) + 1, end);
  return suffix && base !== suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}

// A wrong number of names: GNU's status 1.
const operandError = (problem) => usageError('basename', module.exports, problem, 1);

module.exports.description = 'strip directories and a suffix from a name';
module.exports.options = {
  '-a, --multiple': 'every argument is a NAME',
  '-s, --suffix=SUFFIX': 'remove a trailing SUFFIX (implies -a)',
  '-z, --zero': 'end each name with NUL, not newline',
};
module.exports.usage = 'basename NAME [SUFFIX]\nbasename -a [-s SUFFIX] [-z] NAME...';
