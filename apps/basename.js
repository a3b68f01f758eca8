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

// The declared usage (module.exports.usage, below), as --help shows it.
const usageText = () => module.exports.usage.split('\n').map((line, i) => `${i ? '   or: ' : 'usage: '}${line}\n`).join('');

module.exports = async function main(argv) {
  const opts = { multiple: false, suffix: '', zero: false };
  const names = [];
  const args = argv.slice(1);
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--') {
      names.push(...args.splice(0));
    } else if (arg === '--multiple') {
      opts.multiple = true;
    } else if (arg === '--zero') {
      opts.zero = true;
    } else if (arg === '--suffix' || arg.startsWith('--suffix=')) {
      const value = arg === '--suffix' ? args.shift() : arg.slice('--suffix='.length);
      if (value === undefined) return usage("option '--suffix' requires an argument");
      opts.suffix = value;
      opts.multiple = true;
    } else if (arg.startsWith('--')) {
      return usage(`unrecognized option '${arg}'`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // Letters together (-az); -s takes the rest of the word or the next one (-s.txt, -as .txt).
      for (let i = 1; i < arg.length; i++) {
        const letter = arg[i];
        if (letter === 'a') opts.multiple = true;
        else if (letter === 'z') opts.zero = true;
        else if (letter === 's') {
          const value = i + 1 < arg.length ? arg.slice(i + 1) : args.shift();
          if (value === undefined) return usage("option requires an argument -- 's'");
          opts.suffix = value;
          opts.multiple = true;
          break;
        } else return usage(`invalid option -- '${letter}'`);
      }
    } else {
      names.push(arg);
    }
  }
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
function operandError(problem) {
  sys.stderr.write(`basename: ${problem}\n${usageText()}`);
  return 1;
}

function usage(problem) {
  sys.stderr.write(`basename: ${problem}\n${usageText()}`);
  return 2;
}

module.exports.description = 'strip directories and a suffix from a name';
module.exports.options = {
  '-a': 'every argument is a NAME',
  '-s': 'remove a trailing SUFFIX (implies -a)',
  '-z': 'end each name with NUL, not newline',
};
module.exports.usage = 'basename NAME [SUFFIX]\nbasename -a [-s SUFFIX] [-z] NAME...';
