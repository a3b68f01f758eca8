// fs/lib/terminal-keys.js (/lib/terminal-keys in the image): the keys in what
// a raw-mode program reads from the terminal (sys.stdin.setMode({raw: true}),
// docs/apps.md "The terminal"). A key is a character or a control byte, or an
// escape sequence a VT100 or xterm sends: ESC [ A for Up, ESC [ 3 ~ for
// Delete, ESC O H for Home in application cursor mode (ECMA-48 §5.4 gives a
// CSI sequence's shape: parameter bytes 0x30-0x3F, then a final byte
// 0x40-0x7E). The line discipline (kernel/tty/line-discipline.js) knows the
// same sequences for the canonical mode; this is their decoder for apps.
//
// KeyDecoder.feed(text) returns the keys in a chunk, each {name, ch?}:
//   {name: 'char', ch}    a character to insert (a tab too)
//   'enter' (CR or LF), 'backspace' (DEL or ^H), 'escape' (ESC alone),
//   'up' 'down' 'left' 'right' 'home' 'end' 'pageup' 'pagedown' 'insert' 'delete',
//   'ctrl-a' ... 'ctrl-z' for the other control bytes, 'alt-x' for ESC x,
//   'unknown' for a sequence that names no key here (F5, Ctrl-Right).
// A sequence cut at the end of a chunk waits for the next one; an ESC that
// ends a chunk is the Escape key (a terminal sends a sequence in one write).
'use strict';

const CSI_FINAL = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };
const CSI_TILDE = { 1: 'home', 2: 'insert', 3: 'delete', 4: 'end', 5: 'pageup', 6: 'pagedown', 7: 'home', 8: 'end' };
const ESC = '\x1b';

class KeyDecoder {
  constructor() {
    this.rest = ''; // an escape sequence begun in the last chunk
  }

  feed(chunk) {
    const text = this.rest + String(chunk);
    this.rest = '';
    const keys = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c !== ESC) {
        keys.push(plainKey(text.codePointAt(i)));
        i += text.codePointAt(i) > 0xffff ? 2 : 1;
        continue;
      }
      const end = sequenceEnd(text, i);
      if (end === -1) {
        // Cut short: wait for the rest, unless it is the ESC key alone.
        if (i + 1 < text.length) this.rest = text.slice(i);
        else keys.push({ name: 'escape' });
        break;
      }
      keys.push(sequenceKey(text.slice(i, end)));
      i = end;
    }
    return keys;
  }
}

// A character, or a control byte by its name.
function plainKey(cp) {
  if (cp === 13 || cp === 10) return { name: 'enter' };
  if (cp === 0x7f || cp === 8) return { name: 'backspace' };
  if (cp === 9) return { name: 'char', ch: '\t' };
  if (cp === 0) return { name: 'ctrl-@' };
  if (cp < 0x20) return { name: `ctrl-${String.fromCharCode(cp + 96)}` };
  return { name: 'char', ch: String.fromCodePoint(cp) };
}

// Where the escape sequence starting at text[i] ends (exclusive), or -1 if the text ends first.
function sequenceEnd(text, i) {
  if (i + 1 >= text.length) return -1;
  const kind = text[i + 1];
  if (kind === '[') {
    for (let j = i + 2; j < text.length; j++) {
      const b = text.charCodeAt(j);
      if (b >= 0x40 && b <= 0x7e) return j + 1; // the final byte
      if (b < 0x20 || b > 0x3f) return j; // not a CSI sequence after all: it ends before this
    }
    return -1;
  }
  if (kind === 'O') return i + 2 < text.length ? i + 3 : -1; // SS3: one more byte
  return i + 2; // Alt-x, or ESC ESC
}

function sequenceKey(seq) {
  if (seq.length === 2) {
    return seq[1] === ESC ? { name: 'escape' } : { name: `alt-${seq[1]}` };
  }
  const final = seq[seq.length - 1];
  if (seq[1] === 'O') return { name: CSI_FINAL[final] || 'unknown' };
  const params = seq.slice(2, -1);
  if (final === '~') return { name: CSI_TILDE[params] || 'unknown' };
  // ESC [ A, and ESC [ 1 ; 5 A (with a modifier) is not plain Up: unknown.
  if (params === '' && CSI_FINAL[final]) return { name: CSI_FINAL[final] };
  return { name: 'unknown' };
}

module.exports = { KeyDecoder };
