// apps/which.js: say which file the shell runs for each NAME: the first
// DIR/NAME.js in $PATH (an app is a JavaScript file: /bin/ls.js), as
// debianutils' which looks for DIR/NAME. A NAME with a '/' is a path, shown
// if it is a file. The shell's built-ins (cd, export, echo, ...: named in
// /lib/shell/builtin-help) are not files: for them which prints `NAME: shell
// built-in`, as zsh's which does, since the shell runs them before it would
// look in $PATH.
// -a shows every match, built-in and files. Status 0 if all were found, 1
// if any was not (and a line on stderr for it, as GNU which writes).
'use strict';

const { BUILTIN_HELP } = require('/lib/shell/builtin-help'); // every builtin's name, without loading the shell
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('which', module.exports, parsed.error);
  const { options, operands: names } = parsed;
  const all = options.all;
  if (names.length === 0) return usageError('which', module.exports, 'missing operand');

  const path = sys.env.PATH ?? '/bin';
  // POSIX: an empty entry in PATH is the current directory.
  const dirs = path.split(':').map((dir) => dir || '.');
  let status = 0;
  for (const name of names) {
    const found = [];
    if (name.includes('/')) {
      if (await isFile(name)) found.push(name);
    } else {
      if (Object.prototype.hasOwnProperty.call(BUILTIN_HELP, name)) found.push(`${name}: shell built-in`);
      for (const dir of dirs) {
        if (found.length > 0 && !all) break;
        const file = `${dir.replace(/\/+$/, '')}/${name}.js`;
        if (await isFile(file)) found.push(file);
      }
    }
    if (found.length === 0) {
      sys.stderr.write(`which: no ${name} in (${path})\n`);
      status = 1;
      continue;
    }
    await sys.stdout.write((all ? found : found.slice(0, 1)).join('\n') + '\n');
  }
  return status;
};

async function isFile(path) {
  try {
    return (await sys.fs.stat(path)).type === 'file';
  } catch (e) {
    if (!(e && e.code)) throw e;
    return false;
  }
}

module.exports.description = 'show which file a command runs';
module.exports.options = { '-a, --all': 'all matches, not only the first' };
module.exports.usage = 'which [-a] NAME...';
