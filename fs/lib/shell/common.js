// fs/lib/shell/common.js (/lib/shell/common in the image): what the shell's
// parts share: exit statuses, error texts, paths, names and quoting.
//
// /lib/shell/exec runs commands, /lib/shell/builtins holds the commands the
// shell runs itself, /lib/shell/jobs the background jobs' bookkeeping; each
// takes these from here.
'use strict';

const STATUS_NOT_FOUND = 127;
const STATUS_CANNOT_RUN = 126;
const STATUS_SYNTAX = 2;
const STATUS_INTERRUPTED = 130; // 128 + SIGINT: the kernel's status after Ctrl-C
const INTERRUPTED = Symbol('interrupted'); // Ctrl-C reached the shell itself (in `wait`)

// strerror(3) for the codes the kernel uses (docs/apps.md, "Errors").
const STRERROR = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ESRCH: 'No such process',
};

function describe(error) {
  if (error && STRERROR[error.code]) return STRERROR[error.code];
  const message = String((error && error.message) || error);
  const colon = message.lastIndexOf(': '); // the kernel says "/path: text"
  return colon === -1 ? message : message.slice(colon + 2);
}

// An absolute path, with '.', '..' and repeated slashes resolved.
function resolvePath(cwd, path) {
  const parts = [];
  for (const part of (path.startsWith('/') ? path : cwd + '/' + path).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return '/' + parts.join('/');
}

function isName(s) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

// Single quotes that the shell reads back as the same value (for `export`).
function shellQuote(s) {
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

// A kernel call carries one message, and one of a megabyte or more takes the
// kernel about 15 s (measured; smaller ones take milliseconds):
// text for a file goes in pieces of this many characters.
const WRITE_PIECE = 64 * 1024;

async function writeInPieces(fs, path, text, append = false) {
  if (text.length <= WRITE_PIECE) return fs.writeFile(path, text, { append });
  for (let at = 0; at < text.length; at += WRITE_PIECE) {
    await fs.writeFile(path, text.slice(at, at + WRITE_PIECE), { append: append || at > 0 });
  }
}

// Stops the whole command line (a script stops): reported, and it sets the status.
class ShellError extends Error {
  constructor(message, status = 2) {
    super(message);
    this.status = status;
  }
}

// break, continue and return: thrown from the builtin, caught by the loop
// (or function) it leaves. levels: break 2 leaves two loops.
class Jump {
  constructor(kind, { levels = 1, status } = {}) {
    this.kind = kind;
    this.levels = levels;
    this.status = status;
  }
}

module.exports = { Jump, ShellError, writeInPieces, WRITE_PIECE, STATUS_NOT_FOUND, STATUS_CANNOT_RUN, STATUS_SYNTAX, STATUS_INTERRUPTED, INTERRUPTED, describe, resolvePath, isName, shellQuote };
