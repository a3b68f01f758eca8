// fs/lib/shell/history.js (/lib/shell/history in the image): the command
// lines an interactive shell has read, for the `history` builtin.
//
// apps/sh.js adds each line the console's prompt loop or the REPL's session
// runs; a script or `sh -c` has no History at all (as in bash). Lines are
// numbered from 1, as bash numbers them, and keep their numbers when the
// oldest are dropped past MAX_LINES (bash's HISTSIZE, 1000). With a disk
// mounted on /home, it is kept in /home/.sh_history too (HistoryFile,
// below): loaded when the shell starts, a line appended per command, so it
// survives poweroff and reboot; without one it lives in memory only. The
// arrow keys' history is another list: the tty's, per program, on the
// console (kernel/tty), and the REPL client's on the host.
'use strict';

const { onDisk } = require('/lib/on-disk');

const MAX_LINES = 1000;
const HISTFILE = '/home/.sh_history';

class History {
  // From a parent shell's copy (toJSON), or empty.
  constructor({ first = 1, lines = [] } = {}) {
    this.first = first; // the number of lines[0]
    this.lines = lines.slice(-MAX_LINES);
  }

  // A command line as read (its last newline is not kept). Blank lines and
  // a line that repeats the one before are not kept (bash's ignoredups).
  add(text) {
    const line = text.replace(/\n$/, '');
    if (line.trim() === '' || line === this.lines[this.lines.length - 1]) return;
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) {
      this.lines.shift();
      this.first++;
    }
  }

  // `history -c`: the list is empty, and numbering starts again at 1.
  clear() {
    this.lines = [];
    this.first = 1;
  }

  // The last `count` lines (all by default): [{number, line}], oldest first.
  last(count = Infinity) {
    const from = Math.max(0, this.lines.length - count);
    return this.lines.slice(from).map((line, i) => ({ number: this.first + from + i, line }));
  }

  toJSON() {
    return { first: this.first, lines: this.lines };
  }
}

// The history's file, bash's HISTFILE: one line per command, appended as
// it runs (bash's `histappend` with `history -a` after each command), the
// last MAX_LINES read back at start. Past twice that it is rewritten with
// the last MAX_LINES (written aside, then renamed over it: never half a
// file), as bash truncates to HISTFILESIZE. `fs` is sys.fs. Only on a disk
// (a jsksh-fs at /home): the image is read-only and /tmp forgets anyway.
class HistoryFile {
  constructor(fs, path = HISTFILE) {
    this.fs = fs;
    this.path = path;
    this.failed = false;
  }

  // A History with the file's last lines, or null when /home is not a disk.
  async load() {
    if (!(await onDisk(this.fs, this.path.slice(0, this.path.lastIndexOf('/')) || '/'))) return null;
    let lines = [];
    try {
      lines = String(await this.fs.readFile(this.path)).split('\n').filter((l) => l !== '');
    } catch (e) {
      if (e.code !== 'ENOENT') this.failed = true; // unreadable: keep it in memory only
    }
    if (lines.length > 2 * MAX_LINES) {
      lines = lines.slice(-MAX_LINES);
      const aside = `${this.path}.new`;
      try {
        await this.fs.writeFile(aside, lines.join('\n') + '\n');
        await this.fs.rename(aside, this.path);
      } catch (e) {
        /* the long file stays; the next start tries again */
      }
    }
    const history = new History();
    for (const line of lines) history.add(line);
    return history;
  }

  // Appends a command line (several lines: each one). A failure (a full
  // disk) stops the saving, not the shell.
  async add(text) {
    const line = text.replace(/\n$/, '');
    if (this.failed || line.trim() === '') return;
    try {
      await this.fs.writeFile(this.path, line + '\n', { append: true });
    } catch (e) {
      this.failed = true;
    }
  }
}

module.exports = { History, HistoryFile, MAX_LINES, HISTFILE };
