// kernel/tty/line-discipline.js: the terminal's line discipline, like Linux's n_tty.
//
// The console driver hands it the bytes the person typed; it edits the line
// (echo, backspace, Ctrl-U, Ctrl-W), turns Ctrl-C / Ctrl-Z / Ctrl-D into
// events, and hands complete lines to the tty, which gives them to the
// foreground app's sys.stdin.read(). It does no I/O of its own: input() returns
// a list of events, so it is deterministic and tested byte by byte.
//
// References: POSIX termios(3) "Canonical mode input processing" and
// "Special characters" (VERASE, VKILL, VWERASE, VEOF, VINTR, VSUSP), and
// Linux drivers/tty/n_tty.c (echo of erase as "\b \b", ^C echo, the
// 4096-byte line buffer N_TTY_BUF_SIZE, IUTF8 erase of a whole character).
//
// Events returned by input():
//   {type: 'echo', data}       text to send back to the terminal (already joined)
//   {type: 'line', data}       a finished line, with its '\n' (or without, after Ctrl-D)
//   {type: 'eof'}              Ctrl-D on an empty line
//   {type: 'interrupt'}        Ctrl-C (the line is discarded)
//   {type: 'suspend'}          Ctrl-Z (the line is discarded)
//   {type: 'data', data}       raw mode only: the input, decoded, as it came
//   {type: 'error', message}   reserved for the tty; the discipline itself never throws
'use strict';

// UTF-8 comes from the one codec: a character may be split across two input() calls.
const { Utf8Decoder } = require('../lib/utf8');

// The control characters of a default termios (stty -a): c_cc[VINTR] = ^C, ...
const NUL = 0x00;
const CTRL_C = 0x03; // VINTR
const CTRL_D = 0x04; // VEOF
const CTRL_H = 0x08; // backspace, an alternative VERASE
const TAB = 0x09;
const LF = 0x0a;
const CTRL_L = 0x0c; // form feed: we use it to redraw, like readline
const CR = 0x0d;
const CTRL_U = 0x15; // VKILL
const CTRL_W = 0x17; // VWERASE
const CTRL_Z = 0x1a; // VSUSP
const ESC = 0x1b;
const DEL = 0x7f; // what most terminals send for the Backspace key: VERASE

const BELL = '\x07';
const CLEAR_SCREEN = '\x1b[H\x1b[2J';
const REPLACEMENT = 0xfffd;

// An escape sequence longer than this is not one a terminal sends: give up on it.
const MAX_ESCAPE = 32;

function utf8Length(cp) {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

// How many terminal columns a character takes: a small wcwidth(3).
// Wide (2): CJK, Hangul, fullwidth forms, most emoji. Zero: combining marks.
// It is an approximation of Markus Kuhn's wcwidth.c, enough for erasing well.
const WIDE_RANGES = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf],
  [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xac00, 0xd7a3], [0xf900, 0xfaff],
  [0xfe30, 0xfe4f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];
const ZERO_RANGES = [
  [0x0300, 0x036f], [0x200b, 0x200f], [0x20d0, 0x20ff], [0xfe00, 0xfe0f], [0xfe20, 0xfe2f],
];

function inRanges(cp, ranges) {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

function charWidth(cp) {
  if (inRanges(cp, ZERO_RANGES)) return 0;
  if (inRanges(cp, WIDE_RANGES)) return 2;
  return 1;
}

// What erasing `columns` columns looks like on the screen: back up, blank
// them, back up again (n_tty echoes "\b \b" per column).
function eraseColumns(columns) {
  if (columns === 0) return '';
  return '\b'.repeat(columns) + ' '.repeat(columns) + '\b'.repeat(columns);
}

function isControl(cp) {
  return cp < 0x20 || cp === DEL || (cp >= 0x80 && cp <= 0x9f);
}

function isBlank(ch) {
  return ch === ' ' || ch === '\t';
}

// ---------------------------------------------------------------------------

class LineDiscipline {
  constructor({ echo = true, maxLine = 4096, isig = true, canonical = true } = {}) {
    this.echo = echo; // ECHO: send typed characters back
    this.isig = isig; // ISIG: Ctrl-C and Ctrl-Z become events
    this.canonical = canonical; // ICANON: edit and deliver whole lines
    // The line holds at most maxLine bytes of UTF-8 *including* its '\n',
    // like n_tty's 4096-byte buffer, so a full line can always still end.
    this.maxLine = Math.max(2, maxLine);
    this.decoder = new Utf8Decoder();
    this.clearLine();
    this.escape = null; // null | 'esc' | 'csi' | 'ss3': inside an escape sequence
    this.escapeLength = 0;
    this.afterCR = false; // the last character ended a line with CR: swallow one LF
    this.events = [];
    this.echoed = [];
    this.rangBell = false;
  }

  // --- settings (termios c_lflag bits) ---

  setEcho(on) {
    this.echo = Boolean(on);
  }

  setIsig(on) {
    this.isig = Boolean(on);
  }

  // Switching to raw mode hands over the partly typed line as data, as Linux
  // does when ICANON is cleared: the characters were typed, so they are input.
  setCanonical(on) {
    const events = [];
    on = Boolean(on);
    if (this.canonical && !on && this.chars.length > 0) {
      events.push({ type: 'data', data: this.chars.join('') });
    }
    this.clearLine();
    this.escape = null;
    this.afterCR = false;
    this.canonical = on;
    return events;
  }

  // The text typed so far on the current line (for a redraw by the tty).
  currentLine() {
    return this.chars.join('');
  }

  // Forget everything pending (a new foreground job, a hangup).
  flush() {
    this.clearLine();
    this.decoder.reset();
    this.escape = null;
    this.afterCR = false;
  }

  // --- input ---

  // Feeds a chunk: a Uint8Array / ArrayBuffer / array of bytes (UTF-8), or a
  // string (already text). Returns the events it caused, in order.
  input(chunk) {
    this.events = [];
    this.echoed = [];
    this.rangBell = false;
    if (chunk === null || chunk === undefined) return [];
    if (this.canonical) this.feed(chunk, (cp) => this.receive(cp));
    else this.receiveRaw(chunk);
    this.flushEcho();
    return this.events;
  }

  feed(chunk, emit) {
    if (typeof chunk === 'string') {
      this.decoder.reset(); // a string cannot finish a byte sequence
      for (const ch of chunk) emit(ch.codePointAt(0));
    } else {
      const bytes = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : chunk;
      this.decoder.feed(bytes, emit);
    }
  }

  // One character in canonical mode: the heart of the discipline.
  receive(cp) {
    if (this.afterCR) {
      this.afterCR = false;
      if (cp === LF) return; // CR LF ends one line, not two
    }
    if (this.escape !== null && this.continueEscape(cp)) return;
    switch (cp) {
      case ESC:
        this.escape = 'esc';
        this.escapeLength = 0;
        return;
      case CR:
        this.afterCR = true;
        this.endLine();
        return;
      case LF:
        this.endLine();
        return;
      case CTRL_H:
      case DEL:
        this.echoText(eraseColumns(this.eraseChar()));
        return;
      case CTRL_U:
        this.echoText(eraseColumns(this.eraseWhile(() => true)));
        return;
      case CTRL_W:
        this.echoText(eraseColumns(this.eraseWord()));
        return;
      case CTRL_C:
        if (this.isig) this.signal('interrupt', '^C\r\n');
        return;
      case CTRL_Z:
        if (this.isig) this.signal('suspend', '^Z\r\n');
        return;
      case CTRL_D:
        this.endOfFile();
        return;
      case CTRL_L:
        this.echoText(CLEAR_SCREEN + this.lineEcho());
        return;
      case TAB:
        this.insert(cp);
        return;
      default:
        // Other control characters, C1 controls, NUL and undecodable bytes
        // would garble the screen: ignore them rather than echo raw bytes.
        if (isControl(cp) || cp === REPLACEMENT || cp === NUL) return;
        if (cp >= 0xd800 && cp <= 0xdfff) return; // a lone surrogate from a string
        this.insert(cp);
    }
  }

  // Inside ESC ... : arrow keys send ESC [ A, F1 sends ESC O P, Alt-x sends
  // ESC x (ECMA-48 §5.4: CSI = ESC [, parameters 0x30-0x3f, intermediates
  // 0x20-0x2f, a final byte 0x40-0x7e). We swallow the whole sequence: line
  // editing with arrows belongs to the client, not to a canonical tty.
  // Returns false if cp does not belong to the sequence and must be read normally.
  continueEscape(cp) {
    const state = this.escape;
    if (++this.escapeLength > MAX_ESCAPE) {
      this.escape = null;
      return false;
    }
    if (state === 'esc') {
      if (cp === 0x5b) this.escape = 'csi'; // '['
      else if (cp === 0x4f) this.escape = 'ss3'; // 'O'
      else if (cp >= 0x20 && cp <= 0x7e) this.escape = null; // Alt-key: done
      else {
        this.escape = null;
        return false;
      }
      return true;
    }
    if (state === 'csi') {
      if (cp >= 0x20 && cp <= 0x3f) return true; // parameters and intermediates
      this.escape = null;
      return cp >= 0x40 && cp <= 0x7e; // the final byte ends it
    }
    // ss3: one final character
    this.escape = null;
    return cp >= 0x20 && cp <= 0x7e;
  }

  // --- the line being edited ---
  // Characters are kept one code point per array slot, with their byte
  // length and screen width, so erasing is O(1) and a 100 kB paste costs
  // O(n): we append and only join() when the line is delivered.

  clearLine() {
    this.chars = [];
    this.widths = [];
    this.bytes = 0; // UTF-8 bytes in the line
    this.columns = 0; // screen columns the echo took
  }

  insert(cp) {
    const size = utf8Length(cp);
    if (this.bytes + size > this.maxLine - 1) {
      // Full: keep the line as it is (it can still be edited and ended) and
      // ring the bell, once per input() so a long paste does not ring 100k times.
      if (!this.rangBell) this.echoText(BELL, true);
      this.rangBell = true;
      return;
    }
    const ch = String.fromCodePoint(cp);
    // A tab is echoed as spaces to the next multiple of 8, so that erasing
    // it knows exactly how many columns to blank (n_tty recomputes this).
    const width = cp === TAB ? 8 - (this.columns % 8) : charWidth(cp);
    this.chars.push(ch);
    this.widths.push(width);
    this.bytes += size;
    this.columns += width;
    this.echoText(cp === TAB ? ' '.repeat(width) : ch);
  }

  // Erases the last code point; returns the columns it took on the screen.
  eraseChar() {
    if (this.chars.length === 0) return 0;
    const ch = this.chars.pop();
    const width = this.widths.pop();
    this.bytes -= utf8Length(ch.codePointAt(0));
    this.columns -= width;
    return width;
  }

  // Erases characters from the end while keep(lastChar) holds; returns columns.
  eraseWhile(keep) {
    let columns = 0;
    while (this.chars.length > 0 && keep(this.chars[this.chars.length - 1])) {
      columns += this.eraseChar();
    }
    return columns;
  }

  // VWERASE: the blanks before the cursor, then the word before them.
  eraseWord() {
    return this.eraseWhile(isBlank) + this.eraseWhile((ch) => !isBlank(ch));
  }

  lineEcho() {
    return this.chars.map((ch, i) => (ch === '\t' ? ' '.repeat(this.widths[i]) : ch)).join('');
  }

  endLine() {
    const data = this.chars.join('') + '\n';
    this.clearLine();
    this.echoText('\r\n');
    this.emit({ type: 'line', data });
  }

  // VEOF: on an empty line it is end of file; otherwise it delivers the
  // partial line at once, without a newline (POSIX termios, "EOF").
  endOfFile() {
    if (this.chars.length === 0) {
      this.emit({ type: 'eof' });
      return;
    }
    const data = this.chars.join('');
    this.clearLine();
    this.emit({ type: 'line', data });
  }

  // VINTR / VSUSP: the typed line is thrown away (no NOFLSH).
  signal(type, shown) {
    this.clearLine();
    this.escape = null;
    this.echoText(shown);
    this.emit({ type });
  }

  // --- raw mode (ICANON off): no editing, every chunk is data ---

  receiveRaw(chunk) {
    let text = [];
    const flushText = () => {
      if (text.length > 0) this.emit({ type: 'data', data: text.join('') });
      text = [];
    };
    this.feed(chunk, (cp) => {
      if (this.isig && (cp === CTRL_C || cp === CTRL_Z)) {
        flushText();
        this.emit({ type: cp === CTRL_C ? 'interrupt' : 'suspend' });
      } else if (cp !== REPLACEMENT && !(cp >= 0xd800 && cp <= 0xdfff)) {
        text.push(String.fromCodePoint(cp));
      }
    });
    flushText();
    // No echo in raw mode: like cfmakeraw(3), the app draws the screen itself.
  }

  // --- collecting events ---

  echoText(data, always = false) {
    if (data && (this.echo || always)) this.echoed.push(data);
  }

  flushEcho() {
    if (this.echoed.length > 0) this.events.push({ type: 'echo', data: this.echoed.join('') });
    this.echoed = [];
  }

  // Events keep their order: the echo of "ab\r\n" comes before the line "ab\n".
  emit(event) {
    this.flushEcho();
    this.events.push(event);
  }
}

module.exports = { LineDiscipline, Utf8Decoder, charWidth }; // Utf8Decoder: re-exported from kernel/lib/utf8.js
