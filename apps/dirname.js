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

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('dirname', module.exports, parsed.error);
  const { options, operands: names } = parsed;
  if (names.length === 0) return usageError('dirname', module.exports, 'missing operand', 1);
  const end = options.zero ? '\0' : '\n';
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

module.exports.description = 'strip the last component from a name';
module.exports.options = { '-z, --zero': 'end each name with NUL, not newline' };
module.exports.usage = 'dirname [-z] NAME...';
