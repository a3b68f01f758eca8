// apps/stat.js: show what the file system knows of each FILE, in GNU
// coreutils' stat layout, simplified to what jsksh keeps:
//
//     File: /tmp/a
//     Size: 100000    	regular file
//   Access: (0644/-rw-r--r--)
//   Modify: 2024-05-01 10:11:12.345678000 +0000
//
// GNU's Blocks, IO Block, Device, Uid, Gid and the access, change and birth
// times are left out: jsksh has no blocks, devices or owners, and keeps one
// time, the modification time (the inode number and link count are there
// for -c: %i, %h). A directory's Size is its number of entries (as
// sys.fs.stat gives it), not bytes. A symbolic link is described itself
// (`File: l -> target`, its Size the target's bytes) unless -L follows it.
//
//   stat -c FORMAT FILE...   FORMAT's directives, each file's line:
//     %n name   %N quoted name (-> target for a link)   %s size   %F type
//     %a mode in octal   %A mode as ls shows it   %y modification time
//     %Y it in seconds   %h hard links   %i inode number   %m mount point
//     %%  a percent sign
'use strict';

const { reason } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');
const { modeText } = require('/lib/file-mode');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('stat', module.exports, parsed.error);
  const format = parsed.options.format;
  const files = parsed.operands;
  if (files.length === 0) return usageError('stat', module.exports, 'missing operand', 1);
  let status = 0;
  for (const file of files) {
    let st;
    try {
      st = parsed.options.dereference ? await sys.fs.stat(file) : await sys.fs.lstat(file);
    } catch (e) {
      if (!(e && e.code)) throw e;
      // coreutils 9 asks with statx(2), and its message says so.
      sys.stderr.write(`stat: cannot statx '${file}': ${reason(e)}\n`);
      status = 1;
      continue;
    }
    const text = format === null ? layout(file, st) : await expand(format, file, st);
    await sys.stdout.write(text + '\n');
  }
  return status;
};

function layout(file, st) {
  return [
    `  File: ${quotedName(file, st)}`,
    `  Size: ${String(st.size).padEnd(10)}\t${typeName(st)}`,
    `Access: (${octal(st.mode)}/${modeString(st)})`,
    `Modify: ${timeString(st.mtime)}`,
  ].join('\n');
}

// -c FORMAT for one file. An unknown directive is '?', as in GNU's stat.
async function expand(format, file, st) {
  let mount = null;
  const directives = {
    n: () => file,
    N: () => quotedName(file, st),
    s: () => String(st.size),
    F: () => typeName(st),
    a: () => (st.mode & 0o7777).toString(8),
    A: () => modeString(st),
    y: () => timeString(st.mtime),
    Y: () => String(Math.floor(st.mtime)),
    h: () => String(st.nlink ?? 1),
    i: () => String(st.ino ?? 0),
    m: () => mount,
    '%': () => '%',
  };
  if (format.includes('%m')) mount = (await sys.fs.statfs(file)).mount;
  return format.replace(/%(.?)/g, (whole, letter) => (directives[letter] ? directives[letter]() : letter === '' ? '%' : '?'));
}

function typeName(st) {
  if (st.type === 'dir') return 'directory';
  if (st.type === 'symlink') return 'symbolic link';
  return st.size === 0 ? 'regular empty file' : 'regular file';
}

// The name as GNU shows it, and a link's target after it: l -> /etc/motd.
const quotedName = (file, st) => quoteIfNeeded(file) + (st.type === 'symlink' ? ` -> ${quoteIfNeeded(st.target)}` : '');

// 0644, as GNU's %a pads it in the default layout.
const octal = (mode) => (mode & 0o7777).toString(8).padStart(4, '0');

// '-rw-r--r--' from the type and the permission bits; 's' a set-ID bit,
// 't' the sticky bit (/tmp), as ls -l and chmod -v show them.
function modeString(st) {
  return ({ dir: 'd', symlink: 'l' }[st.type] || '-') + modeText(st.mode);
}

// '2024-05-01 10:11:12.345678000 +0000': local time to the nanosecond, as
// GNU prints it (jsksh's times are seconds as doubles: microseconds are
// exact, the last three digits are 0).
function timeString(seconds) {
  const whole = Math.floor(seconds);
  const micros = Math.min(999999, Math.round((seconds - whole) * 1e6));
  const d = new Date(whole * 1000);
  const two = (n) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${date} ${time}.${String(micros).padStart(6, '0')}000 ${zone}`;
}

// GNU quotes a name a shell would need quoted ('a b'); plain names stay.
const quoteIfNeeded = (name) => (/^[\w%+,\-./:=@^\u0080-\uffff]+$/.test(name) ? name : `'${name.replace(/'/g, "'\\''")}'`);

module.exports.description = 'show a file\'s size, type, mode and modification time';
module.exports.options = {
  '-c, --format=FORMAT': 'print FORMAT (%n %N %s %F %a %A %y %Y %h %i %m) for each file',
  '-L, --dereference': 'follow links: describe what a link names',
};
module.exports.usage = 'stat [-c FORMAT] FILE...';
