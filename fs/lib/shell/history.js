// fs/lib/shell/history.js (/lib/shell/history in the image): the command
// lines an interactive shell has read, for the `history` builtin.
//
// apps/sh.js adds each line the console's prompt loop or the REPL's session
// runs; a script or `sh -c` has no History at all (as in bash). Lines are
// numbered from 1, as bash numbers them, and keep their numbers when the
// oldest are dropped past MAX_LINES. Kept in memory only: a reboot starts it
// empty. The arrow keys' history is another list: the tty's, per program, on
// the console (kernel/tty), and the REPL client's on the host.
'use strict';

const MAX_LINES = 500;

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

module.exports = { History, MAX_LINES };
