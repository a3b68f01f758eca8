// apps/ls.js: list directory contents, in columns on a terminal or one name a
// line into a pipe; -l shows mode, size and modification time; -a shows
// names that start with a dot. Directories end in '/', symbolic links in '@'
// (as GNU's ls -F marks them); -l shows a link as `name -> target`, with
// 'l' in its mode. A link named on the command line is followed to what it
// names, except with -l, which shows the link itself (as GNU's ls does).
'use strict';

const { columns } = require('/lib/columns');
const { parseOptions, usageError } = require('/lib/options');
const { modeText } = require('/lib/file-mode');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS = 182.5 * 24 * 3600 * 1000;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('ls', module.exports, parsed.error);
  const flags = { long: parsed.options.l, all: parsed.options.a };
  const paths = parsed.operands;
  if (paths.length === 0) paths.push(sys.cwd || '/');

  // Like ls: first the files named, then each directory's contents.
  let status = 0;
  const files = [];
  const dirs = [];
  for (const path of paths) {
    try {
      const st = await described(path, flags);
      if (st.type === 'dir') dirs.push(path);
      else files.push({ ...st, name: path });
    } catch (e) {
      sys.stderr.write(`ls: cannot access '${path}': ${reason(e)}\n`);
      status = 2;
    }
  }
  if (files.length > 0) show(files, flags);
  for (const [i, dir] of dirs.entries()) {
    if (paths.length > 1) sys.stdout.write(`${i > 0 || files.length > 0 ? '\n' : ''}${dir}:\n`);
    try {
      show(await listing(dir, flags), flags);
    } catch (e) {
      sys.stderr.write(`ls: cannot open directory '${dir}': ${reason(e)}\n`);
      status = 2;
    }
  }
  return status;
};

// A path named on the command line: the link itself with -l, else what it
// names (a dangling link is shown as the link it is).
async function described(path, flags) {
  const own = await sys.fs.lstat(path);
  if (own.type !== 'symlink' || flags.long) return own;
  return sys.fs.stat(path).catch(() => own);
}

// The entries of one directory; with -a also '.', '..' and dot files.
async function listing(dir, flags) {
  const entries = await sys.fs.readdir(dir);
  if (!flags.all) return entries.filter((e) => !e.name.startsWith('.'));
  const here = await sys.fs.stat(dir);
  const parent = await sys.fs.stat(dir.replace(/\/*$/, '/..')).catch(() => here);
  return [{ ...here, name: '.' }, { ...parent, name: '..' }, ...entries];
}

function show(entries, flags) {
  if (entries.length === 0) return;
  if (flags.long) {
    const width = Math.max(...entries.map((e) => String(e.size ?? 0).length));
    const now = Date.now();
    for (const e of entries) sys.stdout.write(longLine(e, width, now) + '\n');
    return;
  }
  const names = entries.map(displayName);
  // Into a pipe one name a line, so that `ls | grep x` works.
  const text = sys.stdout.isTTY === false ? names.join('\n') : columns(names, sys.stdout.columns || 80);
  sys.stdout.write(text + '\n');
}

const displayName = (e) => (e.type === 'dir' ? `${e.name}/` : e.type === 'symlink' ? `${e.name}@` : e.name);

// drwxr-xr-x  4096 Nov 23 19:40 name/
// lrwxrwxrwx     9 Nov 23 19:40 motd -> /etc/motd
function longLine(entry, sizeWidth, now) {
  const size = String(entry.size ?? 0).padStart(sizeWidth);
  const name = entry.type === 'symlink' ? `${entry.name} -> ${entry.target}` : displayName(entry);
  return `${modeString(entry)} ${size} ${timeString(entry.mtime, now)} ${name}`;
}

// '-rw-r--r--' from the type and the permission bits: read, write, execute
// for owner, group and others; 's' marks a set-ID bit and 't' the sticky
// bit (/tmp is drwxrwxrwt), as chmod -v shows them (/lib/file-mode).
function modeString(entry) {
  if (typeof entry.mode === 'string') return entry.mode;
  const mode = entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644);
  return ({ dir: 'd', symlink: 'l' }[entry.type] || '-') + modeText(mode);
}

// 'Nov 23 19:40' within six months, 'Nov 23  2023' otherwise, like ls.
// mtime may be seconds (as ustar stores it) or milliseconds since 1970.
function timeString(mtime, now) {
  if (typeof mtime !== 'number' && typeof mtime !== 'string') return '           ';
  const ms = typeof mtime === 'string' ? Date.parse(mtime) : mtime < 1e11 ? mtime * 1000 : mtime;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return '           ';
  const day = `${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2)}`;
  if (Math.abs(now - ms) > SIX_MONTHS) return `${day}  ${date.getFullYear()}`;
  return `${day} ${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

const pad2 = (n) => String(n).padStart(2, '0');

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'list directory contents';
module.exports.options = { '-l': 'long listing: mode, size, time', '-a': 'also names starting with a dot' };
module.exports.usage = 'ls [-l] [-a] [PATH...]';
