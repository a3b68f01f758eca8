// fs/lib/edit-buffer.js (/lib/edit-buffer in the image): the text `edit`
// changes, as lines, with its cursor: moves, insertions, deletions and a
// forward search that wraps. No I/O and no screen: apps/edit.js reads the
// file into one, draws it and writes it back, and tests/js/test_edit.js
// drives it key by key.
//
// The cursor is (row, col): col is an index into the line's string, moved
// one code point at a time, so an emoji is one step. Up and Down keep the
// column the cursor had before it met a shorter line (`goal`), as every
// editor does. A file's last newline is kept apart (`eol`): "a\nb\n" is the
// lines ["a", "b"], and is written back as it was read.
'use strict';

const TAB = 8; // columns between tab stops

class EditBuffer {
  constructor(text = '') {
    const s = String(text).replace(/\r\n/g, '\n');
    this.eol = s.endsWith('\n');
    this.lines = (this.eol ? s.slice(0, -1) : s).split('\n');
    this.row = 0;
    this.col = 0;
    this.goal = null; // display column Up and Down aim for
    this.modified = false;
  }

  text() {
    return this.lines.join('\n') + (this.eol ? '\n' : '');
  }

  line(row = this.row) {
    return this.lines[row];
  }

  // ---- moving ------------------------------------------------------------------------
  left() {
    this.goal = null;
    if (this.col > 0) this.col -= stepBack(this.line(), this.col);
    else if (this.row > 0) {
      this.row--;
      this.col = this.line().length;
    }
  }

  right() {
    this.goal = null;
    if (this.col < this.line().length) this.col += stepForward(this.line(), this.col);
    else if (this.row < this.lines.length - 1) {
      this.row++;
      this.col = 0;
    }
  }

  up(n = 1) {
    this.vertical(-n);
  }

  down(n = 1) {
    this.vertical(n);
  }

  vertical(delta) {
    if (this.goal === null) this.goal = displayColumn(this.line(), this.col);
    this.row = Math.max(0, Math.min(this.lines.length - 1, this.row + delta));
    this.col = indexAtColumn(this.line(), this.goal);
  }

  home() {
    this.goal = null;
    this.col = 0;
  }

  end() {
    this.goal = null;
    this.col = this.line().length;
  }

  // ---- changing ----------------------------------------------------------------------
  insert(text) {
    this.goal = null;
    const line = this.line();
    this.lines[this.row] = line.slice(0, this.col) + text + line.slice(this.col);
    this.col += text.length;
    this.modified = true;
  }

  // Enter: the line splits at the cursor.
  newline() {
    this.goal = null;
    const line = this.line();
    this.lines.splice(this.row, 1, line.slice(0, this.col), line.slice(this.col));
    this.row++;
    this.col = 0;
    this.modified = true;
  }

  // Backspace: the character before the cursor; at a line's start, it joins the line above.
  backspace() {
    if (this.col === 0 && this.row === 0) return;
    this.left();
    this.deleteForward();
  }

  // Delete: the character under the cursor; at a line's end, it joins the line below.
  deleteForward() {
    this.goal = null;
    const line = this.line();
    if (this.col < line.length) {
      this.lines[this.row] = line.slice(0, this.col) + line.slice(this.col + stepForward(line, this.col));
    } else if (this.row < this.lines.length - 1) {
      this.lines.splice(this.row, 2, line + this.lines[this.row + 1]);
    } else {
      return;
    }
    this.modified = true;
  }

  // ---- search ------------------------------------------------------------------------
  // The next `needle` after the cursor, wrapping past the end to the top;
  // the cursor moves to it. Returns {row, col, wrapped} or null.
  find(needle) {
    if (!needle) return null;
    const n = this.lines.length;
    for (let k = 0; k <= n; k++) {
      const row = (this.row + k) % n;
      const from = k === 0 ? this.col + 1 : 0;
      const line = this.lines[row];
      let col = from <= line.length ? line.indexOf(needle, from) : -1;
      if (k === n) col = col >= 0 && col <= this.col ? col : -1; // back on the first line: up to the cursor
      if (col >= 0) {
        const wrapped = row < this.row || (row === this.row && col <= this.col);
        this.row = row;
        this.col = col;
        this.goal = null;
        return { row, col, wrapped };
      }
    }
    return null;
  }
}

// How far one code point reaches from `i`, forwards and backwards.
function stepForward(line, i) {
  return line.codePointAt(i) > 0xffff ? 2 : 1;
}

function stepBack(line, i) {
  const low = line.charCodeAt(i - 1);
  return i >= 2 && low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
}

// The screen column of index `i` in `line`: a tab reaches the next tab stop,
// any other code point takes one column (wide characters are not measured).
function displayColumn(line, i) {
  let col = 0;
  for (let j = 0; j < i && j < line.length; j += stepForward(line, j)) col = line[j] === '\t' ? col + TAB - (col % TAB) : col + 1;
  return col;
}

// The index in `line` whose column is the last at or before `target`.
function indexAtColumn(line, target) {
  let col = 0;
  let j = 0;
  while (j < line.length) {
    const next = line[j] === '\t' ? col + TAB - (col % TAB) : col + 1;
    if (next > target) break;
    col = next;
    j += stepForward(line, j);
  }
  return j;
}

// The line as the screen shows it: tabs as spaces, control characters as '?'.
function displayText(line) {
  let out = '';
  for (const ch of line) {
    if (ch === '\t') out += ' '.repeat(TAB - (Array.from(out).length % TAB));
    else out += ch < ' ' || ch === '\x7f' ? '?' : ch;
  }
  return out;
}

// Strict UTF-8 with no NUL byte: what edit takes as text. Anything else is a
// binary file (RFC 3629 §4: no overlong forms, no surrogates, nothing past U+10FFFF).
function isText(bytes) {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b === 0) return false;
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= bytes.length) return false; // not a lead byte, or cut short
    for (let k = 1; k <= n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return false;
    const second = bytes[i + 1];
    if (b === 0xe0 && second < 0xa0) return false; // overlong
    if (b === 0xed && second > 0x9f) return false; // a surrogate
    if (b === 0xf0 && second < 0x90) return false; // overlong
    if (b === 0xf4 && second > 0x8f) return false; // past U+10FFFF
    i += n + 1;
  }
  return true;
}

module.exports = { EditBuffer, displayColumn, displayText, isText, TAB };
