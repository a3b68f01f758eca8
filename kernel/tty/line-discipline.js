// kernel/tty/line-discipline.js: the terminal's line discipline, like Linux's
// n_tty, with the line editing bash's readline does over a serial line.
//
// The console driver hands it the bytes the person typed; it edits the line
// (echo, backspace, Ctrl-U, Ctrl-W, the cursor keys, history, Tab), turns
// Ctrl-C / Ctrl-Z / Ctrl-D into events, and hands complete lines to the tty,
// which gives them to the foreground app's sys.stdin.read(). It does no I/O
// of its own: input() returns a list of events, so it is deterministic and
// tested byte by byte. Asking the reading program for completions is the
// tty's job: the discipline says what to ask ('complete'), holds what is typed
// meanwhile, and takes the answer with completed().
//
// References: POSIX termios(3) "Canonical mode input processing" and
// "Special characters" (VERASE, VKILL, VWERASE, VEOF, VINTR, VSUSP), and
// Linux drivers/tty/n_tty.c (echo of erase as "\b \b", ^C echo, the
// 4096-byte line buffer N_TTY_BUF_SIZE, IUTF8 erase of a whole character).
// The keys and escape sequences are a VT100's and xterm's (ECMA-48 §5.4 for
// the shape of a CSI sequence; DECCKM's ESC O A for the cursor keys).
//
// Editing keys (canonical mode):
//   Left, Right, ^B, ^F        move one character       ESC [ D / C, ESC O D / C
//   Home, End, ^A, ^E          start / end of the line  ESC [ H / F, ESC [ 1~ / 4~, ESC [ 7~ / 8~, ESC O H / F
//   Delete                     the character under the cursor   ESC [ 3~
//   Backspace (DEL, ^H)        the character before the cursor
//   ^W                         the word before the cursor
//   ^U                         the whole line (VKILL, as n_tty and zsh)
//   ^K                         from the cursor to the end
//   Up, Down, ^P, ^N           the lines entered before (see History)
//   Tab                        completion, when the reader answers (else a tab)
//   ^L                         clear the screen, redraw the prompt and the line
// Other escape sequences (F1, Alt-x, Ctrl-Right...) are swallowed whole; a
// broken one is dropped without touching the line.
//
// The screen: characters are echoed as typed; an edit in the middle rewrites
// the rest of the line and moves back ("\b", or ESC [ n D / C), erasing with
// ESC [ K. Erasing at the end is n_tty's "\b \b". No full-screen redraws. The
// line is assumed to fit on one row after the prompt: a line longer than the
// terminal is wide is drawn right as typed, but editing inside it moves the
// cursor within one row only (as n_tty's erase does).
//
// Events returned by input() and completed():
//   {type: 'echo', data}       text to send back to the terminal (already joined)
//   {type: 'line', data}       a finished line, with its '\n' (or without, after Ctrl-D)
//   {type: 'eof'}              Ctrl-D on an empty line
//   {type: 'interrupt'}        Ctrl-C (the line is discarded)
//   {type: 'suspend'}          Ctrl-Z (the line is discarded)
//   {type: 'complete', ref, line, cursor}  Tab: ask the reader to complete `line`
//                              at UTF-16 offset `cursor`; input waits until
//                              completed(ref, answer) is called
//   {type: 'data', data}       raw mode only: the input, decoded, as it came
//   {type: 'error', message}   reserved for the tty; the discipline itself never throws
'use strict';

// UTF-8 comes from the one codec: a character may be split across two input() calls.
const { Utf8Decoder } = require('../lib/utf8');

// The control characters of a default termios (stty -a): c_cc[VINTR] = ^C, ...
// and readline's emacs keys.
const NUL = 0x00;
const CTRL_A = 0x01; // beginning of line
const CTRL_B = 0x02; // back one character
const CTRL_C = 0x03; // VINTR
const CTRL_D = 0x04; // VEOF
const CTRL_E = 0x05; // end of line
const CTRL_F = 0x06; // forward one character
const CTRL_H = 0x08; // backspace, an alternative VERASE
const TAB = 0x09;
const LF = 0x0a;
const CTRL_K = 0x0b; // kill to the end of the line
const CTRL_L = 0x0c; // form feed: we use it to redraw, like readline
const CR = 0x0d;
const CTRL_N = 0x0e; // next history line
const CTRL_P = 0x10; // previous history line
const CTRL_U = 0x15; // VKILL
const CTRL_W = 0x17; // VWERASE
const CTRL_Z = 0x1a; // VSUSP
const ESC = 0x1b;
const DEL = 0x7f; // what most terminals send for the Backspace key: VERASE

const BELL = '\x07';
const CLEAR_SCREEN = '\x1b[H\x1b[2J';
const ERASE_TO_END = '\x1b[K'; // EL, ECMA-48 §8.3.41, parameter 0
const REPLACEMENT = 0xfffd;

// An escape sequence longer than this is not one a terminal sends: give up on it.
const MAX_ESCAPE = 32;

// Lines kept per program, as bash's HISTSIZE=500.
const MAX_HISTORY = 500;

// A completion answer larger than these is not shown: it is ignored, with the bell.
const MAX_ITEMS = 1000;
const MAX_ITEM_LENGTH = 4096;
const MAX_ANSWER_TEXT = 256 * 1024;
// Characters typed while a completion is asked wait; more than this are dropped.
const MAX_HELD = 64 * 1024;
// Kinds of completion after which a word is finished: a space follows a single one.
const WORD_KINDS = new Set(['command', 'file', 'option', 'variable']);

// The keys an escape sequence can name (xterm's, in normal and application cursor mode).
const CSI_KEYS = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };
const CSI_TILDE_KEYS = { 1: 'home', 7: 'home', 4: 'end', 8: 'end', 3: 'delete' };
const SS3_KEYS = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };

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

function textWidth(text) {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0));
  return w;
}

function isControl(cp) {
  return cp < 0x20 || cp === DEL || (cp >= 0x80 && cp <= 0x9f);
}

function isBlank(ch) {
  return ch === ' ' || ch === '\t';
}

// The terminal's cursor from column `from` to column `to` of the same row:
// "\b" for a short way back (one byte each), else CUB / CUF (ECMA-48 §8.3.18, §8.3.20).
function moveCursor(from, to) {
  if (to < from) return from - to <= 4 ? '\b'.repeat(from - to) : `\x1b[${from - to}D`;
  if (to > from) return to - from === 1 ? '\x1b[C' : `\x1b[${to - from}C`;
  return '';
}

// The longest prefix, in whole code points, that every text starts with.
function commonPrefix(texts) {
  let prefix = Array.from(texts[0]);
  for (const t of texts.slice(1)) {
    const chars = Array.from(t);
    let n = 0;
    while (n < prefix.length && n < chars.length && prefix[n] === chars[n]) n++;
    prefix = prefix.slice(0, n);
  }
  return prefix.join('');
}

// ---------------------------------------------------------------------------

// The lines one program was given, oldest first: at most `max`, no empty
// ones, none the same as the one before it (bash's ignoredups). Kept in
// memory only: a reboot starts every history empty.
class History {
  constructor(max = MAX_HISTORY) {
    this.max = max;
    this.entries = [];
  }

  add(line) {
    if (line.trim() === '') return;
    if (this.entries.length && this.entries[this.entries.length - 1] === line) return;
    this.entries.push(line);
    if (this.entries.length > this.max) this.entries.shift();
  }
}

// Raw input echoed: control characters as ^X (ECHOCTL), the rest (tab, CR, LF too) as typed.
function printableEcho(text) {
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => (c === '\x7f' ? '^?' : '^' + String.fromCharCode(c.charCodeAt(0) + 64)));
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
    this.escape = null; // null | 'esc' | 'csi' | 'ss3': inside an escape sequence
    this.escapeLength = 0;
    this.escapeParams = ''; // a CSI sequence's parameter and intermediate bytes
    this.afterCR = false; // the last character ended a line with CR: swallow one LF
    this.events = [];
    this.echoed = [];
    this.rangBell = false;
    // Set by the tty for the program reading: its history, whether it
    // answers completion questions, the prompt it printed, the screen's width.
    this.history = new History();
    this.answers = false;
    this.prompt = '';
    this.screenColumns = 80;
    this.waiting = null; // {ref}: a completion asked, not answered yet
    this.held = []; // code points typed while waiting
    this.nextRef = 1;
    this.clearLine();
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
    this.stopWaiting();
    this.canonical = on;
    return events;
  }

  // The history Up and Down walk (the tty keeps one per program).
  setHistory(history) {
    if (history === this.history) return;
    this.history = history;
    this.walk = null;
  }

  // Whether Tab asks the reader (true) or inserts a tab (false).
  setAnswers(on) {
    this.answers = Boolean(on);
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
    this.stopWaiting();
  }

  stopWaiting() {
    this.waiting = null;
    this.held = [];
  }

  // --- input ---

  // Feeds a chunk: a Uint8Array / ArrayBuffer / array of bytes (UTF-8), or a
  // string (already text). Returns the events it caused, in order.
  input(chunk) {
    this.begin();
    if (chunk === null || chunk === undefined) return [];
    if (this.canonical) this.feed(chunk, (cp) => this.receive(cp));
    else this.receiveRaw(chunk);
    return this.end();
  }

  begin() {
    this.events = [];
    this.echoed = [];
    this.rangBell = false;
  }

  end() {
    this.render();
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
    if (this.waiting) {
      // Typed after Tab: it applies after the completion, as in readline.
      if (this.held.length < MAX_HELD) this.held.push(cp);
      else this.ringBell();
      return;
    }
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
        if (this.cursor > 0) this.remove(this.previous(this.cursor), this.cursor);
        return;
      case CTRL_U:
        this.remove(0, this.chars.length);
        return;
      case CTRL_W:
        this.remove(this.wordStart(), this.cursor);
        return;
      case CTRL_K:
        this.remove(this.cursor, this.chars.length);
        return;
      case CTRL_A:
      case CTRL_B:
      case CTRL_E:
      case CTRL_F:
      case CTRL_P:
      case CTRL_N:
        this.key({ [CTRL_A]: 'home', [CTRL_B]: 'left', [CTRL_E]: 'end', [CTRL_F]: 'right', [CTRL_P]: 'up', [CTRL_N]: 'down' }[cp]);
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
        this.redraw(CLEAR_SCREEN);
        return;
      case TAB:
        if (this.answers) this.askCompletion();
        else this.insert(cp);
        return;
      default:
        // Other control characters, C1 controls, NUL and undecodable bytes
        // would garble the screen: ignore them rather than echo raw bytes.
        if (isControl(cp) || cp === REPLACEMENT || cp === NUL) return;
        if (cp >= 0xd800 && cp <= 0xdfff) return; // a lone surrogate from a string
        this.insert(cp);
    }
  }

  // Inside ESC ... : arrow keys send ESC [ A (or ESC O A), F1 sends ESC O P,
  // Alt-x sends ESC x (ECMA-48 §5.4: CSI = ESC [, parameters 0x30-0x3f,
  // intermediates 0x20-0x2f, a final byte 0x40-0x7e). The sequences of the
  // editing keys act; every other one is swallowed whole.
  // Returns false if cp does not belong to the sequence and must be read normally.
  continueEscape(cp) {
    const state = this.escape;
    if (++this.escapeLength > MAX_ESCAPE) {
      this.escape = null;
      return false;
    }
    if (state === 'esc') {
      if (cp === 0x5b) {
        this.escape = 'csi'; // '['
        this.escapeParams = '';
      } else if (cp === 0x4f) this.escape = 'ss3'; // 'O'
      else if (cp >= 0x20 && cp <= 0x7e) this.escape = null; // Alt-key: done
      else {
        this.escape = null;
        return false;
      }
      return true;
    }
    if (state === 'csi') {
      if (cp >= 0x20 && cp <= 0x3f) {
        this.escapeParams += String.fromCharCode(cp); // parameters and intermediates
        return true;
      }
      this.escape = null;
      if (cp < 0x40 || cp > 0x7e) return false;
      const final = String.fromCharCode(cp);
      const params = this.escapeParams;
      // With parameters (Ctrl-Right is ESC [ 1 ; 5 C) a key is another key: swallowed.
      if (final === '~') this.key(CSI_TILDE_KEYS[params]);
      else if (params === '' || params === '1') this.key(CSI_KEYS[final]);
      return true;
    }
    // ss3: one final character
    this.escape = null;
    if (cp < 0x20 || cp > 0x7e) return false;
    this.key(SS3_KEYS[String.fromCharCode(cp)]);
    return true;
  }

  // An editing key by name; undefined (a key we do not edit with) does nothing.
  key(name) {
    const n = this.chars.length;
    switch (name) {
      case 'left':
        if (this.cursor > 0) this.cursor = this.previous(this.cursor);
        return;
      case 'right':
        if (this.cursor < n) this.cursor = this.next(this.cursor);
        return;
      case 'home':
        this.cursor = 0;
        return;
      case 'end':
        this.cursor = n;
        return;
      case 'delete':
        if (this.cursor < n) this.remove(this.cursor, this.next(this.cursor));
        return;
      case 'up':
        this.walkHistory(-1);
        return;
      case 'down':
        this.walkHistory(1);
        return;
      default:
    }
  }

  // --- the line being edited ---
  // Characters are kept one code point per array slot, with their screen
  // width (a tab's depends on its column), so that typing at the end costs
  // O(1) and a 100 kB paste O(n): we append and only join() when the line
  // is delivered. An edit in the middle recomputes the widths after it.

  clearLine() {
    this.chars = [];
    this.widths = [];
    this.bytes = 0; // UTF-8 bytes in the line
    this.columns = 0; // screen columns the line takes
    this.cursor = 0; // index in chars of the character the cursor is on
    // What the terminal shows: the cursor's column and the line's columns.
    // Everything before chars[dirty] is on the screen as it is in chars.
    this.shown = { col: 0, cols: 0 };
    this.dirty = Infinity;
    this.walk = null; // walking the history: {at, edits: Map(index -> text)}
    this.lastTab = null; // {text, cursor, items}: a second Tab here lists them
  }

  // A character's width where it stands: a tab reaches the next multiple of
  // 8 (echoed as spaces, so that erasing it knows exactly how many columns
  // to blank, as n_tty recomputes), others are wcwidth.
  widthAt(ch, col) {
    return ch === '\t' ? 8 - (col % 8) : charWidth(ch.codePointAt(0));
  }

  // The column where chars[i] starts.
  colAt(i) {
    const n = this.chars.length;
    if (i >= n) return this.columns;
    let col = 0;
    if (i <= n / 2) {
      for (let j = 0; j < i; j++) col += this.widths[j];
      return col;
    }
    for (let j = i; j < n; j++) col += this.widths[j];
    return this.columns - col;
  }

  // Widths from chars[from] on, after an edit there.
  relayout(from) {
    let col = this.colAt(from);
    for (let j = from; j < this.chars.length; j++) {
      this.widths[j] = this.widthAt(this.chars[j], col);
      col += this.widths[j];
    }
    this.widths.length = this.chars.length;
    this.columns = col;
  }

  // The cursor moves over zero-width characters with the one they mark.
  previous(i) {
    do i--;
    while (i > 0 && this.widths[i] === 0);
    return i;
  }

  next(i) {
    do i++;
    while (i < this.chars.length && this.widths[i] === 0);
    return i;
  }

  // VWERASE: the blanks before the cursor, then the word before them.
  wordStart() {
    let i = this.cursor;
    while (i > 0 && isBlank(this.chars[i - 1])) i--;
    while (i > 0 && !isBlank(this.chars[i - 1])) i--;
    return i;
  }

  insert(cp) {
    const size = utf8Length(cp);
    if (this.bytes + size > this.maxLine - 1) {
      // Full: keep the line as it is (it can still be edited and ended) and
      // ring the bell, once per input() so a long paste does not ring 100k times.
      if (!this.rangBell) this.ringBell();
      return;
    }
    const ch = String.fromCodePoint(cp);
    this.bytes += size;
    this.dirty = Math.min(this.dirty, this.cursor);
    if (this.cursor === this.chars.length) {
      const width = this.widthAt(ch, this.columns);
      this.chars.push(ch);
      this.widths.push(width);
      this.columns += width;
    } else {
      this.chars.splice(this.cursor, 0, ch);
      this.widths.splice(this.cursor, 0, 0);
      this.relayout(this.cursor);
    }
    this.cursor++;
  }

  // Inserts text at the cursor, all of it or (if it does not fit) none.
  insertText(text) {
    let size = 0;
    for (const ch of text) size += utf8Length(ch.codePointAt(0));
    if (this.bytes + size > this.maxLine - 1) return false;
    for (const ch of text) this.insert(ch.codePointAt(0));
    return true;
  }

  // Removes chars[a..b); the cursor stays on the same character.
  remove(a, b) {
    if (b <= a) return;
    const n = this.chars.length;
    for (let j = a; j < b; j++) this.bytes -= utf8Length(this.chars[j].codePointAt(0));
    let removed = 0;
    for (let j = a; j < b; j++) removed += this.widths[j];
    this.chars.splice(a, b - a);
    this.widths.splice(a, b - a);
    if (b === n) this.columns -= removed; // at the end: nothing moves
    else this.relayout(a);
    if (this.cursor >= b) this.cursor -= b - a;
    else if (this.cursor > a) this.cursor = a;
    this.dirty = Math.min(this.dirty, a);
  }

  // Replaces the whole line by `text`, cursor at its end: only what differs is redrawn.
  setLine(text) {
    const chars = Array.from(text);
    let same = 0;
    while (same < chars.length && same < this.chars.length && chars[same] === this.chars[same]) same++;
    this.cursor = this.chars.length;
    this.remove(same, this.chars.length);
    this.insertText(chars.slice(same).join(''));
  }

  // --- history (readline's previous-history / next-history) ---
  // While walking, the line being typed is the newest entry, and edits to
  // any entry are kept until the line is entered (then the history itself
  // is as it was, plus the line).
  walkHistory(step) {
    const entries = this.history ? this.history.entries : [];
    if (!this.walk) this.walk = { at: entries.length, edits: new Map() };
    const to = this.walk.at + step;
    if (to < 0 || to > entries.length) {
      if (step < 0) this.ringBell(); // nothing older, as readline rings
      return;
    }
    this.walk.edits.set(this.walk.at, this.chars.join(''));
    this.walk.at = to;
    this.setLine(this.walk.edits.has(to) ? this.walk.edits.get(to) : to === entries.length ? '' : entries[to]);
  }

  // --- the screen ---

  // Brings the terminal up to date with the line: from the first changed
  // character on, rewrite the rest, blank what the line no longer covers,
  // and put the cursor where it is in the line.
  render() {
    const shown = this.shown;
    const target = this.colAt(this.cursor);
    let out = '';
    if (this.dirty === Infinity) {
      out = moveCursor(shown.col, target);
    } else {
      const from = Math.min(this.dirty, this.chars.length);
      const fromCol = this.colAt(from);
      const tail = this.display(from, this.chars.length);
      if (tail === '' && shown.col === shown.cols && fromCol < shown.cols) {
        // Erasing at the end, as n_tty echoes it: back up, blank, back up.
        const k = shown.cols - fromCol;
        out = '\b'.repeat(k) + ' '.repeat(k) + '\b'.repeat(k) + moveCursor(fromCol, target);
      } else {
        out = moveCursor(shown.col, fromCol) + tail;
        if (shown.cols > this.columns) out += ERASE_TO_END;
        out += moveCursor(this.columns, target);
      }
    }
    this.dirty = Infinity;
    this.shown = { col: target, cols: this.columns };
    if (out && this.echo) this.echoed.push(out);
  }

  // The characters chars[a..b) as echoed: a tab as its spaces.
  display(a, b) {
    let out = '';
    for (let j = a; j < b; j++) out += this.chars[j] === '\t' ? ' '.repeat(this.widths[j]) : this.chars[j];
    return out;
  }

  // The prompt and the whole line again, after `before` (a clear screen, a listing).
  redraw(before) {
    const col = this.colAt(this.cursor);
    this.dirty = Infinity; // all of it is drawn anew
    this.shown = { col, cols: this.columns };
    this.echoText(before + this.prompt + this.display(0, this.chars.length) + moveCursor(this.columns, col));
  }

  // The cursor to the end of the line, then `text` (a line ends below it).
  finishLine(text) {
    this.render();
    this.echoText(moveCursor(this.shown.col, this.columns) + text);
  }

  endLine() {
    const line = this.chars.join('');
    this.finishLine('\r\n');
    if (this.echo && this.history) this.history.add(line); // not what was typed unseen (a password)
    this.clearLine();
    this.emit({ type: 'line', data: line + '\n' });
  }

  // VEOF: on an empty line it is end of file; otherwise it delivers the
  // partial line at once, without a newline (POSIX termios, "EOF").
  endOfFile() {
    if (this.chars.length === 0) {
      this.emit({ type: 'eof' });
      return;
    }
    const data = this.chars.join('');
    this.render();
    this.clearLine();
    this.emit({ type: 'line', data });
  }

  // VINTR / VSUSP: the typed line is thrown away (no NOFLSH).
  signal(type, shown) {
    this.finishLine(shown);
    this.clearLine();
    this.escape = null;
    this.emit({ type });
  }

  // --- Tab: completion by the reading program ---

  askCompletion() {
    this.render();
    const text = this.chars.join('');
    const last = this.lastTab;
    if (last && last.text === text && last.cursor === this.cursor) {
      this.list(last.items);
      return;
    }
    const ref = this.nextRef++;
    this.waiting = { ref };
    this.emit({ type: 'complete', ref, line: text, cursor: this.chars.slice(0, this.cursor).join('').length });
  }

  // The reader's answer to the 'complete' event `ref` ({start, end, items},
  // as for the REPL client: docs/protocol.md), or null (none, or too late).
  // Then what was typed meanwhile is read. Returns the events, like input().
  completed(ref, answer) {
    this.begin();
    if (!this.waiting || this.waiting.ref !== ref) return [];
    this.waiting = null;
    this.applyCompletion(answer);
    const held = this.held;
    this.held = [];
    for (const cp of held) this.receive(cp);
    return this.end();
  }

  applyCompletion(answer) {
    const found = this.checkAnswer(answer);
    if (!found || !found.items.length) {
      this.ringBell();
      return;
    }
    const { start, end, items } = found;
    const word = this.chars.slice(start, end).join('');
    let text;
    if (items.length === 1) {
      const item = items[0];
      text = item.text;
      // A finished word is followed by a space, as bash does; a directory is not.
      if (WORD_KINDS.has(item.kind) && !text.endsWith('/') && this.chars[end] !== ' ') text += ' ';
    } else {
      text = commonPrefix(items.map((i) => i.text));
      if (Array.from(text).length <= Array.from(word).length) text = null; // nothing to add
    }
    if (text !== null) {
      let size = 0;
      for (const ch of text) size += utf8Length(ch.codePointAt(0));
      for (let j = start; j < end; j++) size -= utf8Length(this.chars[j].codePointAt(0));
      if (this.bytes + size > this.maxLine - 1) {
        this.ringBell(); // it does not fit in the line: the line stays as it was
        return;
      }
      // Only what differs from the word typed is replaced (and redrawn).
      const chars = Array.from(text);
      let same = 0;
      while (same < chars.length && start + same < end && chars[same] === this.chars[start + same]) same++;
      this.cursor = end;
      this.remove(start + same, end);
      this.insertText(chars.slice(same).join(''));
    } else {
      this.ringBell();
    }
    this.lastTab = items.length > 1 ? { text: this.chars.join(''), cursor: this.cursor, items } : null;
  }

  // An answer we can use: {start, end} as indexes into chars, and items
  // {text, kind} with text a line can hold. Anything else is null.
  checkAnswer(answer) {
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.items)) return null;
    if (answer.items.length > MAX_ITEMS) return null;
    const units = []; // UTF-16 offset -> index into chars
    let offset = 0;
    for (let j = 0; j <= this.chars.length; j++) {
      units[offset] = j;
      if (j < this.chars.length) offset += this.chars[j].length;
    }
    const cursor = this.chars.slice(0, this.cursor).join('').length;
    const start = answer.start === undefined ? cursor : answer.start;
    const end = answer.end === undefined ? cursor : answer.end;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > offset) return null;
    if (units[start] === undefined || units[end] === undefined) return null; // inside a character
    const items = [];
    const seen = new Set();
    let total = 0;
    for (const raw of answer.items) {
      const item = typeof raw === 'string' ? { text: raw } : raw;
      if (!item || typeof item !== 'object' || typeof item.text !== 'string') continue;
      const { text } = item;
      total += text.length;
      if (total > MAX_ANSWER_TEXT) return null;
      if (text.length > MAX_ITEM_LENGTH || seen.has(text) || !this.printable(text)) continue;
      seen.add(text);
      items.push({ text, kind: typeof item.kind === 'string' ? item.kind : undefined });
    }
    return { start: units[start], end: units[end], items };
  }

  printable(text) {
    for (const ch of text) {
      const cp = ch.codePointAt(0);
      if ((isControl(cp) && cp !== TAB) || cp === REPLACEMENT || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    }
    return true;
  }

  // The candidates below the line, in columns down then across (as bash and
  // ls -C), then the prompt and the line again.
  list(items) {
    // A path shows its last part, as bash shows files.
    const names = items.map((i) => (i.kind === 'file' || i.kind === 'dir' ? i.text.replace(/^.*\/(?=.)/, '') : i.text).replace(/\t/g, ' '));
    const widths = names.map(textWidth);
    const cell = Math.max(...widths) + 2;
    const perRow = Math.max(1, Math.floor((this.screenColumns + 2) / cell));
    const rows = Math.ceil(names.length / perRow);
    let out = '';
    for (let r = 0; r < rows; r++) {
      let row = '';
      for (let c = 0; c < perRow; c++) {
        const i = c * rows + r;
        if (i >= names.length) break;
        const last = (c + 1) * rows + r >= names.length;
        row += names[i] + (last ? '' : ' '.repeat(cell - widths[i]));
      }
      out += row + '\r\n';
    }
    this.finishLine('\r\n' + out);
    this.redraw('');
  }

  // --- raw mode (ICANON off): no editing, every chunk is data ---

  receiveRaw(chunk) {
    let text = [];
    const flushText = () => {
      // Echo (ECHO with ICANON off) is the characters as they came; raw
      // mode usually turns it off (cfmakeraw(3)): the app draws the screen.
      if (text.length > 0 && this.echo) this.echoText(printableEcho(text.join('')));
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
  }

  // --- collecting events ---

  ringBell() {
    this.rangBell = true;
    this.echoText(BELL, true);
  }

  // Echo goes after the line's own pending redraw, so the screen sees them in order.
  echoText(data, always = false) {
    if (this.canonical) this.render();
    if (data && (this.echo || always)) this.echoed.push(data);
  }

  flushEcho() {
    if (this.echoed.length > 0) this.events.push({ type: 'echo', data: this.echoed.join('') });
    this.echoed = [];
  }

  // Events keep their order: the echo of "ab\r\n" comes before the line "ab\n".
  emit(event) {
    if (this.canonical) this.render();
    this.flushEcho();
    this.events.push(event);
  }
}

module.exports = { LineDiscipline, History, Utf8Decoder, charWidth, MAX_HISTORY }; // Utf8Decoder: re-exported from kernel/lib/utf8.js
