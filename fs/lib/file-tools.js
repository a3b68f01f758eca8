// fs/lib/file-tools.js (/lib/file-tools in the image): what the file tools
// (cp, mv, rm, ln, du, df) share: GNU's way of naming paths and errors in
// messages, SOURCE... DEST, the -i question, and -h sizes. Each was written
// once per tool before (the duplicates report said so). Their command
// lines are parsed by /lib/options, which also says what is wrong with one.
'use strict';

const { usageError } = require('/lib/options');

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

const statOrNull = (path) => sys.fs.stat(path).catch(() => null);

// 'dir/name', with one slash between, as GNU's messages show a destination.
const join = (dir, name) => (/^\/+$/.test(dir) ? `/${name}` : `${dir.replace(/\/+$/, '')}/${name}`);

// The last component: what a copy or move into a directory is called ('a/b/' -> 'b').
const lastName = (path) => path.replace(/\/+$/, '').split('/').pop() || '/';

// The absolute, normalized path, as the kernel resolves it against sys.cwd:
// how a file copied or moved onto itself is found (a link to it too: cp
// compares inode numbers as well).
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

// SOURCE... DEST for cp and mv: takes DEST off `operands` and says whether
// the sources go into it as a directory. Returns { target, intoDir }, or
// { status } after saying what is wrong, as GNU's tools do (`declaration`
// is the tool's module.exports, for its usage).
async function destination(tool, declaration, operands) {
  if (operands.length === 0) return { status: usageError(tool, declaration, 'missing file operand', 1) };
  if (operands.length === 1) {
    return { status: usageError(tool, declaration, `missing destination file operand after '${operands[0]}'`, 1) };
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

// rm's removal: `path`, and for a directory first everything under it,
// then the directory by rmdir(2) (unlink(2) of a directory is EISDIR on a
// disk, as on Linux); links as themselves, never what they name. A
// directory without `recursive` is EISDIR; the first error ends it, with its code.
async function removeTree(path, { recursive = true } = {}) {
  const st = await sys.fs.lstat(path);
  if (st.type !== 'dir') return sys.fs.unlink(path);
  if (!recursive) throw Object.assign(new Error(`${path}: Is a directory`), { code: 'EISDIR' });
  for (const entry of await sys.fs.readdir(path)) await removeTree(join(path, entry.name));
  return sys.fs.rmdir(path);
}

module.exports = { reason, statOrNull, join, lastName, absolute, askYes, human, destination, removeTree };
