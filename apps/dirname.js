// apps/dirname.js: print each NAME with its last component removed, as GNU
// coreutils' dirname does: the directory that holds it.
//
//   dirname /usr/lib/libc.so  ->  /usr/lib      dirname file  ->  .
//   dirname /usr/             ->  /             dirname /     ->  /
//
// Only the text is looked at, never the file system: trailing slashes are
// not a component, a name without a slash is in '.', and the slashes
// between what is left and the last component go too (a//b -> a). -z ends
// each name with a NUL byte instead of a newline.
'use strict';

// The declared usage (module.exports.usage, below), as --help shows it.
const usageText = () => module.exports.usage.split('\n').map((line, i) => `${i ? '   or: ' : 'usage: '}${line}\n`).join('');

module.exports = async function main(argv) {
  let zero = false;
  const names = [];
  const args = argv.slice(1);
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--') names.push(...args.splice(0));
    else if (arg === '-z' || arg === '--zero') zero = true;
    else if (arg.startsWith('--')) return usage(`unrecognized option '${arg}'`);
    else if (arg.startsWith('-') && arg.length > 1) {
      const bad = [...arg.slice(1)].find((letter) => letter !== 'z');
      if (bad !== undefined) return usage(`invalid option -- '${bad}'`);
      zero = true;
    } else names.push(arg);
  }
  if (names.length === 0) {
    sys.stderr.write(`dirname: missing operand\n${usageText()}`);
    return 1;
  }
  const end = zero ? '\0' : '\n';
  await sys.stdout.write(names.map((name) => dirName(name) + end).join(''));
  return 0;
};

// Everything before the last component, without the slashes that end it.
function dirName(name) {
  let end = name.length;
  while (end > 1 && name[end - 1] === '/') end--; // trailing slashes
  while (end > 0 && name[end - 1] !== '/') end--; // the last component
  if (end === 0) return '.'; // no slash at all
  while (end > 1 && name[end - 1] === '/') end--; // the slashes before it
  return name.slice(0, end);
}

function usage(problem) {
  sys.stderr.write(`dirname: ${problem}\n${usageText()}`);
  return 2;
}

module.exports.description = 'strip the last component from a name';
module.exports.options = { '-z': 'end each name with NUL, not newline' };
module.exports.usage = 'dirname [-z] NAME...';
