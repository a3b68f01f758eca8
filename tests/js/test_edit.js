// Unit tests for the editor's two libraries: fs/lib/terminal-keys.js (the
// keys in what a raw-mode program reads, escape sequences byte for byte as a
// VT100 or xterm sends them) and fs/lib/edit-buffer.js (the text and cursor
// `edit` changes, its search, and what counts as a text file).
const { KeyDecoder } = require('/lib/terminal-keys');
const { EditBuffer, displayColumn, displayText, isText } = require('/lib/edit-buffer');

const names = (keys) => keys.map((k) => (k.name === 'char' ? k.ch : k.name));

// --- terminal-keys ------------------------------------------------------------------------

test('characters, control bytes, Enter and Backspace', () => {
  const d = new KeyDecoder();
  assert.deepEqual(names(d.feed('aé\r\n\x7f\x08\t\x13\x11')), ['a', 'é', 'enter', 'enter', 'backspace', 'backspace', '\t', 'ctrl-s', 'ctrl-q']);
  assert.deepEqual(names(d.feed('😀')), ['😀']);
});

test('cursor keys in normal (CSI) and application (SS3) mode, and the editing keypad', () => {
  const d = new KeyDecoder();
  assert.deepEqual(names(d.feed('\x1b[A\x1b[B\x1b[C\x1b[D\x1bOA\x1bOH\x1bOF')), ['up', 'down', 'right', 'left', 'up', 'home', 'end']);
  assert.deepEqual(names(d.feed('\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~')), ['home', 'end', 'home', 'end', 'home', 'end']);
  assert.deepEqual(names(d.feed('\x1b[2~\x1b[3~\x1b[5~\x1b[6~')), ['insert', 'delete', 'pageup', 'pagedown']);
});

test('a sequence with a modifier or an unknown number names no key, and loses nothing after it', () => {
  const d = new KeyDecoder();
  assert.deepEqual(names(d.feed('\x1b[1;5Cx\x1b[15~y')), ['unknown', 'x', 'unknown', 'y']);
});

test('a sequence cut between two reads waits for its end; an ESC alone at the end is the Escape key', () => {
  const d = new KeyDecoder();
  assert.deepEqual(names(d.feed('a\x1b[')), ['a']);
  assert.deepEqual(names(d.feed('3~')), ['delete']);
  assert.deepEqual(names(d.feed('\x1b')), ['escape']);
  assert.deepEqual(names(d.feed('\x1bx\x1b\x1b')), ['alt-x', 'escape']);
});

// --- edit-buffer: moving and changing -----------------------------------------------------

test('the last newline is kept apart and written back; a new file is one empty line', () => {
  assert.deepEqual(new EditBuffer('a\nb\n').lines, ['a', 'b']);
  assert.equal(new EditBuffer('a\nb\n').text(), 'a\nb\n');
  assert.equal(new EditBuffer('a\nb').text(), 'a\nb');
  assert.deepEqual(new EditBuffer('').lines, ['']);
  assert.equal(new EditBuffer('').text(), '');
});

test('insert, Enter splits the line at the cursor, Backspace at a line start joins it back', () => {
  const b = new EditBuffer('');
  b.insert('hello');
  b.left();
  b.left();
  b.newline();
  assert.deepEqual(b.lines, ['hel', 'lo']);
  assert.deepEqual([b.row, b.col, b.modified], [1, 0, true]);
  b.backspace();
  assert.deepEqual(b.lines, ['hello']);
  assert.deepEqual([b.row, b.col], [0, 3]);
});

test('Delete at a line end joins the next line; at the very end it does nothing', () => {
  const b = new EditBuffer('ab\ncd');
  b.end();
  b.deleteForward();
  assert.deepEqual(b.lines, ['abcd']);
  b.end();
  b.deleteForward();
  b.backspace();
  assert.deepEqual(b.lines, ['abc']);
  const start = new EditBuffer('x');
  start.backspace();
  assert.equal(start.modified, false, 'Backspace at the top does nothing');
});

test('Left and Right cross line ends and step over a whole emoji', () => {
  const b = new EditBuffer('a😀\nb');
  b.right();
  b.right();
  assert.equal(b.col, 3);
  b.right();
  assert.deepEqual([b.row, b.col], [1, 0]);
  b.left();
  b.left();
  assert.deepEqual([b.row, b.col], [0, 1]);
  b.deleteForward();
  assert.deepEqual(b.lines, ['a', 'b']);
});

test('Up and Down keep the column they started from past a shorter line', () => {
  const b = new EditBuffer('long line\nab\nanother line');
  b.end();
  b.down();
  assert.deepEqual([b.row, b.col], [1, 2]);
  b.down();
  assert.deepEqual([b.row, b.col], [2, 9]);
  b.up(10);
  assert.deepEqual([b.row, b.col], [0, 9]);
});

test('tabs reach the next tab stop on the screen', () => {
  assert.equal(displayColumn('\tx', 1), 8);
  assert.equal(displayColumn('ab\tx', 3), 8);
  assert.equal(displayText('a\tb\x01'), 'a       b?');
  const b = new EditBuffer('\tx\nabcdefghij');
  b.right();
  b.down();
  assert.equal(b.col, 8, 'column 8 under the tab');
});

// --- edit-buffer: search ------------------------------------------------------------------

test('find moves forward to the next match, then wraps to the top', () => {
  const b = new EditBuffer('one two\nthree two\nfour');
  assert.deepEqual(b.find('two'), { row: 0, col: 4, wrapped: false });
  assert.deepEqual(b.find('two'), { row: 1, col: 6, wrapped: false });
  assert.deepEqual(b.find('two'), { row: 0, col: 4, wrapped: true });
  assert.equal(b.find('five'), null);
  assert.deepEqual([b.row, b.col], [0, 4], 'a failed search leaves the cursor');
});

test('a single match found again from itself wraps onto itself', () => {
  const b = new EditBuffer('only here');
  assert.deepEqual(b.find('here'), { row: 0, col: 5, wrapped: false });
  assert.deepEqual(b.find('here'), { row: 0, col: 5, wrapped: true });
});

// --- edit-buffer: text or binary ----------------------------------------------------------

test('text is UTF-8 without NUL bytes; anything else is binary', () => {
  const bytes = (...b) => Uint8Array.from(b);
  assert.ok(isText(bytes(0x61, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)));
  assert.ok(!isText(bytes(0x61, 0x00, 0x62)), 'a NUL byte');
  assert.ok(!isText(bytes(0xff)), 'not a lead byte');
  assert.ok(!isText(bytes(0xc3)), 'cut short');
  assert.ok(!isText(bytes(0xc0, 0x80)), 'overlong');
  assert.ok(!isText(bytes(0xed, 0xa0, 0x80)), 'a surrogate');
  assert.ok(!isText(bytes(0xf4, 0x90, 0x80, 0x80)), 'past U+10FFFF');
});
