// apps/edit.js: edit a text file on the whole screen, as nano does. The arrow
// keys, Home, End, PgUp and PgDn move; typing inserts; Backspace and Delete
// erase; Enter splits the line. ^S saves, ^F finds (forward, wrapping), ^G
// shows the keys, ^Q quits and asks first if there are unsaved changes. A
// file that does not exist is made on the first save.
//
// How it fits: the terminal is made raw with sys.stdin.setMode (docs/apps.md,
// "The terminal"), so every key comes as it is typed and Ctrl-C is a key
// here (signals off: it never kills the editor with unsaved work); the kernel
// gives the terminal its line editing back however edit ends. Keys are
// decoded by /lib/terminal-keys, the text and cursor are /lib/edit-buffer's,
// and this file draws the screen with ANSI escape sequences (ECMA-48: CUP
// ESC [ row ; col H, EL ESC [ K, SGR 7 reverse video; xterm's alternate
// screen ESC [ ? 1049 h) and reads and writes the file.
//
// The editor never loses a file: a save writes the whole text to a temporary
// name in the same directory and renames it over the file (rename(2) is
// atomic: the old file or the new one, never half of one), and a failed save
// (a read-only file system, a full /tmp) says why on the bottom line and keeps
// every change. If the terminal goes away with changes unsaved, they go to
// FILE.save, as nano's do.
'use strict';

const { KeyDecoder } = require('/lib/terminal-keys');
const { EditBuffer, displayColumn, displayText, isText } = require('/lib/edit-buffer');
const { parseOptions, usageText, usageError } = require('/lib/options');

const MAX_FILE = 4 * 1024 * 1024; // bytes: a bigger file is not edited here
const ALT_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J';
const MAIN_SCREEN = '\x1b[?1049l';
const HOME = '\x1b[H';
const ERASE_LINE = '\x1b[K';
const REVERSE = '\x1b[7m';
const NORMAL = '\x1b[m';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const SHORTCUTS = '^S Save  ^Q Quit  ^F Find  ^G Help';
const HELP = [
  'edit: the keys',
  '',
  '  arrows, Home, End   move (also ^A start of line, ^E end of line)',
  '  PgUp, PgDn          a screen up, down',
  '  Backspace, Delete   erase before, under the cursor',
  '  Enter               split the line',
  '  ^S                  save (to a temporary file, renamed over FILE)',
  '  ^F                  find the next match, wrapping at the end; Enter on',
  '                      an empty search finds the last text again',
  '  ^Q or ^X            quit; with unsaved changes: save them? (y/n/Esc)',
  '  ^L                  draw the screen again',
  '  ^C or Esc           cancel a question',
  '',
  'Press any key to go back to the text.',
];

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('edit', module.exports, parsed.error);
  const files = parsed.operands;
  if (files.length === 0) {
    sys.stderr.write(usageText('edit', module.exports));
    return 2;
  }
  if (files.length > 1) return usageError('edit', module.exports, `extra operand '${files[1]}'`);
  const path = files[0];
  const opened = await openFile(path);
  if (opened.error) {
    sys.stderr.write(`edit: ${opened.error}\n`);
    return 1;
  }
  if (!sys.stdin.isTTY || !sys.stdout.isTTY) {
    sys.stderr.write('edit: the standard input and output must be a terminal\n');
    return 1;
  }
  try {
    await sys.stdin.setMode({ raw: true, signals: false });
  } catch (e) {
    sys.stderr.write(`edit: cannot take the keys from this terminal: ${e.message}\n`);
    return 1;
  }
  const editor = new Editor(path, opened, await sys.stdout.windowSize());
  sys.stdout.onResize((size) => editor.resize(size));
  try {
    await editor.run();
  } finally {
    await sys.stdout.write(SHOW_CURSOR + MAIN_SCREEN);
    await sys.stdin.setMode({});
  }
  return 0;
};

// The file's text, or why it cannot be edited. A missing file is a new one.
async function openFile(path) {
  let st;
  try {
    st = await sys.fs.stat(path);
  } catch (e) {
    if (e.code === 'ENOENT') return { text: '', isNew: true, readonly: await readonly(path) };
    return { error: e.message };
  }
  if (st.type === 'dir') return { error: `${path}: Is a directory` };
  if (st.size > MAX_FILE) return { error: `${path}: too big to edit (${st.size} bytes; at most ${MAX_FILE})` };
  let bytes;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    return { error: e.message };
  }
  if (!isText(bytes)) return { error: `${path}: a binary file (a NUL byte, or bytes that are not UTF-8): not edited` };
  return { text: await sys.fs.readFile(path), isNew: false, readonly: await readonly(path) };
}

async function readBytes(path) {
  const f = await sys.fs.open(path, 'r');
  const parts = [];
  let size = 0;
  try {
    for (let chunk; (chunk = await f.read(65536)) !== null; ) {
      parts.push(chunk);
      size += chunk.length;
    }
  } finally {
    await f.close();
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

// Whether the file system `path` is on cannot be written (the image).
async function readonly(path) {
  try {
    return !!(await sys.fs.statfs(path)).readonly;
  } catch (e) {
    return false; // a new file's directory may not exist: saving will say so
  }
}

class Editor {
  constructor(path, opened, size) {
    this.path = path;
    this.buffer = new EditBuffer(opened.text);
    if (opened.isNew) this.buffer.eol = true; // a new text file ends its last line, as nano's and vi's do
    this.columns = size.columns;
    this.rows = size.rows;
    this.top = 0; // the first line shown
    this.left = 0; // the first screen column shown (long lines scroll sideways)
    this.keys = new KeyDecoder();
    this.queue = [];
    this.lastSearch = '';
    this.done = false;
    this.prompt = null; // {label, text}: a question on the bottom line
    this.message = opened.isNew ? '[ New File ]' : `[ Read ${this.buffer.lines.length} line${this.buffer.lines.length === 1 ? '' : 's'} ]`;
    if (opened.readonly) this.message += ' (read-only file system: ^S will fail)';
  }

  async run() {
    sys.stdout.write(ALT_SCREEN);
    this.draw();
    while (!this.done) {
      const key = await this.nextKey();
      if (key === null) return this.hangUp();
      await this.handle(key);
      if (!this.queue.length && !this.done) this.draw();
    }
  }

  // The next key: from those already read, else from the terminal. null: it went away.
  async nextKey() {
    while (!this.queue.length) {
      const chunk = await sys.stdin.read();
      if (chunk === null) return null;
      this.queue.push(...this.keys.feed(chunk));
    }
    return this.queue.shift();
  }

  async handle(key) {
    const b = this.buffer;
    const page = Math.max(1, this.textRows() - 1);
    this.message = '';
    switch (key.name) {
      case 'char':
        return b.insert(key.ch);
      case 'enter':
        return b.newline();
      case 'backspace':
        return b.backspace();
      case 'delete':
      case 'ctrl-d':
        return b.deleteForward();
      case 'left':
        return b.left();
      case 'right':
        return b.right();
      case 'up':
        return b.up();
      case 'down':
        return b.down();
      case 'home':
      case 'ctrl-a':
        return b.home();
      case 'end':
      case 'ctrl-e':
        return b.end();
      case 'pageup':
        this.top = Math.max(0, this.top - page);
        return b.up(page);
      case 'pagedown':
        this.top = Math.min(Math.max(0, b.lines.length - 1), this.top + page);
        return b.down(page);
      case 'ctrl-s':
        return this.save();
      case 'ctrl-f':
      case 'ctrl-w':
        return this.find();
      case 'ctrl-g':
        return this.help();
      case 'ctrl-l':
        return this.redraw();
      case 'ctrl-q':
      case 'ctrl-x':
        return this.quit();
      case 'ctrl-c':
        this.message = '^Q quits';
        return;
      default:
        return; // a key edit has no use for
    }
  }

  // ---- saving and quitting ----------------------------------------------------------
  // The text goes to a temporary file beside FILE, which is then renamed over
  // it: FILE is the old text or the new, never a mix. True if it worked.
  async save() {
    const { dir, base } = splitPath(this.path);
    const temporary = `${dir}.${base}.edit-${sys.pid}.tmp`;
    try {
      await sys.fs.writeFile(temporary, this.buffer.text());
      await sys.fs.rename(temporary, this.path);
    } catch (e) {
      await sys.fs.unlink(temporary).catch(() => {});
      this.message = `cannot save ${this.path}: ${reason(e)}; nothing is lost, the text is still here`;
      return false;
    }
    this.buffer.modified = false;
    const n = this.buffer.lines.length;
    this.message = `[ Wrote ${n} line${n === 1 ? '' : 's'} ]`;
    return true;
  }

  async quit() {
    if (!this.buffer.modified) {
      this.done = true;
      return;
    }
    const answer = await this.ask('Save changes? (y/n/Esc) ', { single: true });
    if (answer === 'y' || answer === 'Y') this.done = await this.save();
    else if (answer === 'n' || answer === 'N') this.done = true;
    else this.message = 'Cancelled';
  }

  // The terminal is gone (the client left, the run ended): changes go to FILE.save.
  async hangUp() {
    if (!this.buffer.modified) return;
    try {
      await sys.fs.writeFile(`${this.path}.save`, this.buffer.text());
    } catch (e) {
      /* nowhere left to say it */
    }
  }

  // ---- find ------------------------------------------------------------------------
  async find() {
    const typed = await this.ask(`Search${this.lastSearch ? ` [${this.lastSearch}]` : ''}: `);
    if (typed === null) {
      this.message = 'Cancelled';
      return;
    }
    const needle = typed || this.lastSearch;
    if (!needle) return;
    this.lastSearch = needle;
    const found = this.buffer.find(needle);
    if (!found) this.message = `"${needle}" not found`;
    else if (found.wrapped) this.message = 'Search wrapped';
  }

  // A question on the bottom line. single: the first key answers. Returns the
  // text (on Enter), or null for Esc or ^C.
  async ask(label, { single = false } = {}) {
    this.prompt = { label, text: '' };
    try {
      for (;;) {
        this.draw();
        const key = await this.nextKey();
        if (key === null || key.name === 'escape' || key.name === 'ctrl-c') return null;
        if (single) return key.name === 'char' ? key.ch : null;
        if (key.name === 'enter') return this.prompt.text;
        if (key.name === 'backspace') this.prompt.text = Array.from(this.prompt.text).slice(0, -1).join('');
        else if (key.name === 'char' && key.ch !== '\t') this.prompt.text += key.ch;
      }
    } finally {
      this.prompt = null;
    }
  }

  async help() {
    const lines = HELP.slice(0, Math.max(1, this.rows));
    sys.stdout.write(HOME + lines.map((l) => ERASE_LINE + cut(l, this.columns)).join('\r\n') + '\x1b[J');
    await this.nextKey();
  }

  // ---- the screen -------------------------------------------------------------------
  resize({ columns, rows }) {
    this.columns = columns;
    this.rows = rows;
    this.draw();
  }

  async redraw() {
    this.resize(await sys.stdout.windowSize());
  }

  textRows() {
    return Math.max(1, this.rows - 2); // the status line and the bottom line
  }

  // Scroll so that the cursor is on the screen: whole lines up and down,
  // the whole text sideways when the cursor's line is longer than the window.
  scroll() {
    const b = this.buffer;
    const height = this.textRows();
    if (b.row < this.top) this.top = b.row;
    if (b.row >= this.top + height) this.top = b.row - height + 1;
    const col = displayColumn(b.line(), b.col);
    if (col < this.left) this.left = Math.max(0, col - Math.floor(this.columns / 4));
    if (col >= this.left + this.columns) this.left = col - this.columns + Math.floor(this.columns / 4) + 1;
    return col;
  }

  draw() {
    const b = this.buffer;
    const col = this.scroll();
    const out = [HIDE_CURSOR, HOME];
    for (let i = 0; i < this.textRows(); i++) {
      const row = this.top + i;
      const text = row < b.lines.length ? visible(displayText(b.lines[row]), this.left, this.columns) : '~';
      out.push(text, ERASE_LINE, '\r\n');
    }
    out.push(REVERSE, this.statusLine(), NORMAL, '\r\n', ERASE_LINE);
    let cursorRow = b.row - this.top + 1;
    let cursorCol = col - this.left + 1;
    if (this.prompt) {
      const shown = cut(this.prompt.label + this.prompt.text, this.columns - 1);
      out.push(shown);
      cursorRow = this.rows;
      cursorCol = Array.from(shown).length + 1;
    } else {
      out.push(cut(this.message || SHORTCUTS, this.columns - 1));
    }
    out.push(`\x1b[${cursorRow};${cursorCol}H`, SHOW_CURSOR);
    sys.stdout.write(out.join(''));
  }

  // " edit: NAME [Modified]        line 3/10, col 5 ", a screen wide.
  statusLine() {
    const b = this.buffer;
    const name = ` edit: ${this.path}${b.modified ? '  [Modified]' : ''}`;
    const where = `line ${b.row + 1}/${b.lines.length}, col ${displayColumn(b.line(), b.col) + 1} `;
    const gap = this.columns - Array.from(name).length - where.length;
    return gap >= 1 ? name + ' '.repeat(gap) + where : cut(name, this.columns).padEnd(this.columns);
  }
}

// The columns [left, left + width) of a line as shown.
function visible(text, left, width) {
  return Array.from(text).slice(left, left + width).join('');
}

function cut(text, width) {
  const chars = Array.from(text);
  return chars.length > width ? chars.slice(0, Math.max(0, width)).join('') : text;
}

// "dir/name" -> {dir: "dir/", base: "name"}; a bare name is in the current directory.
function splitPath(path) {
  const i = path.lastIndexOf('/');
  return i < 0 ? { dir: '', base: path } : { dir: path.slice(0, i + 1), base: path.slice(i + 1) };
}

// An error's reason without the path it names (the status line says the path).
function reason(e) {
  const m = String(e && e.message);
  const i = m.lastIndexOf(': ');
  return e && e.code && i >= 0 ? m.slice(i + 2) : m;
}

module.exports.description = 'edit a text file on the whole screen (^S save, ^Q quit, ^F find, ^G help)';
module.exports.usage = 'edit FILE';
module.exports.options = {
  FILE: 'the file to edit; made on the first save if it does not exist',
};
