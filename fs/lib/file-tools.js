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

module.exports = { reason, usageText, usageError, statOrNull, join, lastName, absolute, askYes, human };
