// fs/lib/file-tools.js (/lib/file-tools in the image): what the file tools
// (cp, mv, du, df) share: GNU's way of naming paths and errors in messages,
// the usage text on a bad command line, the -i question, and -h sizes.
// Each was written once per tool before (the duplicates report said so).
'use strict';

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

// A module's declared usage (module.exports.usage), as --help shows it.
function usageText(usage) {
  return usage
    .split('\n')
    .map((line, i) => `${i ? '   or: ' : 'usage: '}${line}\n`)
    .join('');
}

// A bad command line: `NAME: problem` and the usage on stderr; status 2, or
// 1 for a wrong number of operands, as GNU's tools exit.
function usageError(name, usage, problem, status = 2) {
  sys.stderr.write(`${name}: ${problem}\n${usageText(usage)}`);
  return status;
}

const statOrNull = (path) => sys.fs.stat(path).catch(() => null);

// 'dir/name', with one slash between, as GNU's messages show a destination.
const join = (dir, name) => (/^\/+$/.test(dir) ? `/${name}` : `${dir.replace(/\/+$/, '')}/${name}`);

// The last component: what a copy or move into a directory is called ('a/b/' -> 'b').
const lastName = (path) => path.replace(/\/+$/, '').split('/').pop() || '/';

// The absolute, normalized path, as the kernel resolves it against sys.cwd:
// how a file copied or moved onto itself is found (jsksh has no links).
function absolute(path) {
  const parts = [];
  for (const p of (path.startsWith('/') ? path : `${sys.cwd}/${path}`).split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '' && p !== '.') parts.push(p);
  }
  return '/' + parts.join('/');
}

// -i: asks on stderr and reads a line of standard input (y or Y: yes). The
// state keeps what was read past the line, for the next question.
async function askYes(question, state) {
  await sys.stderr.write(question);
  while (!state.input.includes('\n')) {
    const chunk = await sys.stdin.read();
    if (chunk === null) break;
    state.input += chunk;
  }
  const end = state.input.indexOf('\n');
  const line = end < 0 ? state.input : state.input.slice(0, end);
  state.input = end < 0 ? '' : state.input.slice(end + 1);
  return /^[yY]/.test(line);
}

// GNU's -h: powers of 1024 with a letter, rounded up; one decimal below 10
// (1.5K, 64M), bytes as they are below 1024.
function human(bytes) {
  if (bytes < 1024) return String(bytes);
  for (let power = 1; ; power++) {
    const unit = 1024 ** power;
    const letter = 'KMGTPEZY'[power - 1];
    const tenths = Math.ceil((bytes * 10) / unit);
    if (tenths < 100) return `${Math.floor(tenths / 10)}.${tenths % 10}${letter}`;
    const whole = Math.ceil(bytes / unit);
    if (whole < 1024 || power === 8) return `${whole}${letter}`;
  }
}

// GNU-style options: letters (-rv) and long names (--verbose), '--' ends
// them. `letters` and `long` map each to an option's name. Returns
// { names, operands }, the names in the order given (where the last of -i
// and -n wins, the order matters), or { error } in GNU's words.
function parseOptions(args, letters, long) {
  const names = [];
  const operands = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    } else if (arg.startsWith('--')) {
      if (!long[arg.slice(2)]) return { error: `unrecognized option '${arg}'` };
      names.push(long[arg.slice(2)]);
    } else if (arg.startsWith('-') && arg !== '-') {
      for (const letter of arg.slice(1)) {
        if (!letters[letter]) return { error: `invalid option -- '${letter}'` };
        names.push(letters[letter]);
      }
    } else {
      operands.push(arg);
    }
  }
  return { names, operands };
}

// SOURCE... DEST for cp and mv: takes DEST off `operands` and says whether
// the sources go into it as a directory. Returns { target, intoDir }, or
// { status } after saying what is wrong, as GNU's tools do.
async function destination(tool, usage, operands) {
  if (operands.length === 0) return { status: usageError(tool, usage, 'missing file operand', 1) };
  if (operands.length === 1) {
    return { status: usageError(tool, usage, `missing destination file operand after '${operands[0]}'`, 1) };
  }
  const target = operands.pop();
  const targetStat = await statOrNull(target);
  const intoDir = targetStat !== null && targetStat.type === 'dir';
  if (operands.length > 1 && !intoDir) {
    sys.stderr.write(`${tool}: target '${target}' is not a directory\n`);
    return { status: 1 };
  }
  // 'b/' names a directory: a file that is there, or a file to be made, is not one.
  if (!intoDir && target.endsWith('/') && targetStat !== null) {
    sys.stderr.write(`${tool}: failed to access '${target}': Not a directory\n`);
    return { status: 1 };
  }
  return { target, intoDir };
}

module.exports = { reason, usageText, usageError, statOrNull, join, lastName, absolute, askYes, human, parseOptions, destination };
