// Unit tests for kernel/tty/line-discipline.js, byte by byte: what the person
// types (as the terminal sends it) and the events that come out.
const { LineDiscipline, History, charWidth } = require('/kernel/tty/line-discipline');

// UTF-8 bytes of a string (V8 under mini-racer has no TextEncoder).
function utf8(s) {
  const out = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return new Uint8Array(out);
}

const bytes = (...b) => new Uint8Array(b);
const lines = (events) => events.filter((e) => e.type === 'line').map((e) => e.data);
const echoed = (events) => events.filter((e) => e.type === 'echo').map((e) => e.data).join('');
const types = (events) => events.map((e) => e.type);

// Feeds each chunk in turn and gathers all events.
function feed(ld, ...chunks) {
  return chunks.flatMap((c) => ld.input(c));
}

const BS1 = '\b \b';

test('typing echoes characters and Enter (CR) delivers the line', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(ld.input(utf8('ls')), [{ type: 'echo', data: 'ls' }]);
  assert.deepEqual(ld.input(bytes(0x0d)), [
    { type: 'echo', data: '\r\n' },
    { type: 'line', data: 'ls\n' },
  ]);
});

test('LF also ends a line; CR LF ends one line, even split across chunks', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(lines(feed(ld, utf8('a\nb\r\nc\r'), bytes(0x0a), utf8('d\n'))), ['a\n', 'b\n', 'c\n', 'd\n']);
});

test('two CRs are two lines', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(lines(ld.input(utf8('x\r\r'))), ['x\n', '\n']);
});

test('events keep their order within one chunk', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(ld.input(utf8('ab\ncd')), [
    { type: 'echo', data: 'ab\r\n' },
    { type: 'line', data: 'ab\n' },
    { type: 'echo', data: 'cd' },
  ]);
});

test('backspace (DEL and ^H) erases one ASCII character', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('abc'), bytes(0x7f), bytes(0x08), utf8('x\r'));
  assert.equal(echoed(ev), 'abc' + BS1 + BS1 + 'x\r\n');
  assert.deepEqual(lines(ev), ['ax\n']);
});

test('backspace on an empty line does nothing', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(ld.input(bytes(0x7f, 0x7f)), []);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['\n']);
});

test('backspace erases a whole multi-byte character', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('é'), bytes(0x7f), utf8('e\r'));
  assert.equal(echoed(ev), 'é' + BS1 + 'e\r\n');
  assert.deepEqual(lines(ev), ['e\n']);
});

test('backspace erases an astral character (one code point, two UTF-16 units)', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('a😀'), bytes(0x7f), utf8('\r'));
  assert.deepEqual(lines(ev), ['a\n']);
});

test('erasing a wide character blanks two columns', () => {
  assert.equal(charWidth('語'.codePointAt(0)), 2);
  assert.equal(charWidth('😀'.codePointAt(0)), 2);
  const ld = new LineDiscipline();
  ld.input(utf8('語'));
  assert.deepEqual(ld.input(bytes(0x7f)), [{ type: 'echo', data: '\b\b  \b\b' }]);
});

test('a tab echoes as spaces to the next tab stop and erases as many', () => {
  const ld = new LineDiscipline();
  assert.equal(echoed(ld.input(utf8('ab\t'))), 'ab      ');
  assert.equal(echoed(ld.input(bytes(0x7f))), eraseN(6));
  assert.deepEqual(lines(ld.input(utf8('\t\r'))), ['ab\t\n']);
});

function eraseN(n) {
  return '\b'.repeat(n) + ' '.repeat(n) + '\b'.repeat(n);
}

test('a UTF-8 character split across chunks arrives whole', () => {
  const ld = new LineDiscipline();
  const [a, b, c] = utf8('€'); // 3 bytes
  assert.deepEqual(ld.input(bytes(a)), []);
  assert.deepEqual(ld.input(bytes(b)), []);
  assert.deepEqual(ld.input(bytes(c, 0x0d)), [
    { type: 'echo', data: '€\r\n' },
    { type: 'line', data: '€\n' },
  ]);
});

test('Ctrl-U kills the line and erases what was echoed', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('rm -rf 語'), bytes(0x15));
  assert.equal(ev[ev.length - 1].data, eraseN(9)); // "rm -rf " is 7 columns, 語 is 2
  assert.deepEqual(lines(ld.input(utf8('ok\r'))), ['ok\n']);
});

test('Ctrl-W erases the last word and the blanks after it', () => {
  const ld = new LineDiscipline();
  ld.input(utf8('echo hello  '));
  assert.deepEqual(ld.input(bytes(0x17)), [{ type: 'echo', data: eraseN(7) }]);
  assert.equal(ld.currentLine(), 'echo ');
  assert.deepEqual(lines(ld.input(utf8('bye\r'))), ['echo bye\n']);
});

test('Ctrl-C echoes ^C, discards the line and interrupts', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(feed(ld, utf8('sleep 10'), bytes(0x03)).slice(1), [
    { type: 'echo', data: '^C\r\n' },
    { type: 'interrupt' },
  ]);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['\n']);
});

test('Ctrl-Z suspends and echoes ^Z', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(ld.input(bytes(0x1a)), [{ type: 'echo', data: '^Z\r\n' }, { type: 'suspend' }]);
});

test('with isig off, Ctrl-C is ignored', () => {
  const ld = new LineDiscipline({ isig: false });
  assert.deepEqual(ld.input(bytes(0x03)), []);
});

test('Ctrl-D on an empty line is end of file', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(ld.input(bytes(0x04)), [{ type: 'eof' }]);
});

test('Ctrl-D on a partial line delivers it without a newline', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('abc'), bytes(0x04));
  assert.deepEqual(ev[ev.length - 1], { type: 'line', data: 'abc' });
  assert.deepEqual(ld.input(bytes(0x04)), [{ type: 'eof' }]); // now empty
});

test('escape sequences of keys we do not edit with are swallowed whole', () => {
  const ld = new LineDiscipline();
  // F1 (SS3), Alt-b, Ctrl-Right (ESC [ 1 ; 5 C), F5 (ESC [ 1 5 ~), Insert (ESC [ 2 ~), ESC [ 1 ; 2 A
  const seq = '\x1bOPa\x1bbb\x1b[1;5Cc\x1b[15~d\x1b[2~e\x1b[1;2Af\r';
  const ev = ld.input(utf8(seq));
  assert.deepEqual(lines(ev), ['abcdef\n']);
  assert.equal(echoed(ev), 'abcdef\r\n');
});

test('an escape sequence split across chunks is still swallowed', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('x\x1b'), utf8('['), utf8('1;'), utf8('5C'), utf8('y\r'));
  assert.deepEqual(lines(ev), ['xy\n']);
  assert.equal(echoed(ev), 'xy\r\n');
});

test('a broken escape sequence does not eat the next control character', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(lines(ld.input(utf8('a\x1b[\r'))), ['a\n']);
});

test('binary garbage is ignored without echoing raw bytes or throwing', () => {
  const ld = new LineDiscipline();
  const garbage = [];
  for (let i = 0; i < 256; i++) if (i !== 0x0a && i !== 0x0d && i !== 0x04 && i !== 0x03 && i !== 0x1a) garbage.push(i);
  garbage.push(0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80); // invalid UTF-8
  const ev = feed(ld, utf8('ok'), new Uint8Array(garbage), bytes(0x15), utf8('fine\r'));
  const shown = echoed(ev);
  for (let i = 0; i < shown.length; i++) {
    const c = shown.charCodeAt(i);
    assert.ok(c >= 0x20 || c === 0x08 || c === 0x0d || c === 0x0a || c === 0x1b || c === 0x07, `raw control byte ${c} echoed`);
  }
  assert.deepEqual(lines(ev), ['fine\n']);
});

test('an invalid byte inside a sequence drops the sequence, keeps the next character', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(lines(ld.input(bytes(0xe2, 0x82, 0x41, 0x0d))), ['A\n']);
});

test('string input is text', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(lines(ld.input('héllo 😀\n')), ['héllo 😀\n']);
});

test('a 100 kB line is cut at maxLine, rings the bell, stays usable, in linear time', () => {
  const ld = new LineDiscipline();
  const big = new Uint8Array(100 * 1024).fill(0x61);
  const start = Date.now();
  let ev = [];
  for (let off = 0; off < big.length; off += 4096) ev = ev.concat(ld.input(big.subarray(off, off + 4096)));
  assert.ok(echoed(ev).includes('\x07'), 'expected the bell');
  assert.ok(echoed(ev).length < 4200, 'echo must be bounded');
  ld.input(bytes(0x7f)); // still editable
  ev = ld.input(utf8('bc\r'));
  const [line] = lines(ev);
  assert.equal(line.length, 4096); // maxLine bytes including '\n'
  assert.ok(line.endsWith('ab\n')); // the erase freed one byte: 'b' fit, 'c' did not
  assert.ok(Date.now() - start < 2000, 'too slow');
});

test('a 100 kB line under a large maxLine is delivered whole, fast', () => {
  const ld = new LineDiscipline({ maxLine: 1 << 20 });
  const big = new Uint8Array(100 * 1024 + 1).fill(0x62);
  big[big.length - 1] = 0x0d;
  const start = Date.now();
  const [line] = lines(ld.input(big));
  assert.equal(line.length, 100 * 1024 + 1);
  assert.ok(Date.now() - start < 2000, 'too slow');
});

test('the byte limit counts UTF-8 bytes, never splitting a character', () => {
  const ld = new LineDiscipline({ maxLine: 6 });
  const ev = ld.input(utf8('€€\r')); // 6 bytes of text do not fit in 5
  assert.deepEqual(lines(ev), ['€\n']);
});

test('echo off: nothing is echoed but lines still arrive', () => {
  const ld = new LineDiscipline({ echo: false });
  assert.deepEqual(feed(ld, utf8('secret'), bytes(0x7f), utf8('\r')), [{ type: 'line', data: 'secre\n' }]);
  ld.setEcho(true);
  assert.deepEqual(echoed(ld.input(utf8('x'))), 'x');
});

test('Ctrl-L clears the screen and redraws the line', () => {
  const ld = new LineDiscipline();
  ld.input(utf8('ls'));
  assert.deepEqual(ld.input(bytes(0x0c)), [{ type: 'echo', data: '\x1b[H\x1b[2Jls' }]);
});

test('raw mode: every chunk is data, Ctrl-C still interrupts', () => {
  const ld = new LineDiscipline();
  ld.input(utf8('par'));
  ld.setEcho(false); // cfmakeraw: no echo
  assert.deepEqual(ld.setCanonical(false), [{ type: 'data', data: 'par' }]);
  assert.deepEqual(ld.input(utf8('\x1b[Aq\x7f\r')), [{ type: 'data', data: '\x1b[Aq\x7f\r' }]);
  assert.deepEqual(ld.input(utf8('a\x03b')), [
    { type: 'data', data: 'a' },
    { type: 'interrupt' },
    { type: 'data', data: 'b' },
  ]);
  const [x, y] = utf8('é');
  assert.deepEqual(ld.input(bytes(x)), []);
  assert.deepEqual(ld.input(bytes(y)), [{ type: 'data', data: 'é' }]);
  ld.setIsig(false);
  assert.deepEqual(ld.input(bytes(0x03)), [{ type: 'data', data: '\x03' }]);
  ld.setCanonical(true);
  assert.deepEqual(lines(ld.input(utf8('back\r'))), ['back\n']);
});

test('raw mode with ECHO on echoes what came, control characters as ^X (ECHOCTL)', () => {
  const ld = new LineDiscipline();
  ld.setCanonical(false);
  assert.deepEqual(ld.input(utf8('hi\x1b[A\x7f\t\r')), [
    { type: 'echo', data: 'hi^[[A^?\t\r' },
    { type: 'data', data: 'hi\x1b[A\x7f\t\r' },
  ]);
});

// --- cursor editing -----------------------------------------------------------
// Each chunk is one keypress (or a few), and the echo is exactly what a VT100
// needs to show the line: the rest of the line rewritten after an edit in the
// middle, "\b" or ESC [ n D / C to move, ESC [ K to erase what is left over.

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';
const DOWN = '\x1b[B';

// The echo of each chunk, one string per chunk.
function echoes(ld, ...chunks) {
  return chunks.map((c) => echoed(ld.input(typeof c === 'string' ? utf8(c) : c)));
}

test('Left moves back with \\b; typing there inserts and rewrites the rest of the line', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'ac', LEFT, 'b'), ['ac', '\b', 'bc\b']);
  const ev = ld.input(bytes(0x0d)); // Enter from the middle: to the end first
  assert.equal(echoed(ev), '\x1b[C\r\n');
  assert.deepEqual(lines(ev), ['abc\n']);
});

test('Right moves forward with ESC [ C and stops at the end; Left stops at the start', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'ab', LEFT + LEFT + LEFT, RIGHT, RIGHT + RIGHT), ['ab', '\b\b', '\x1b[C', '\x1b[C']);
  assert.deepEqual(lines(ld.input(utf8('c\r'))), ['abc\n']);
});

test('the application-mode cursor keys (ESC O D, ESC O C) and ^B / ^F move too', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'xz', '\x1bOD', 'y', '\x1bOC', '\x02\x02', '\x06'), ['xz', '\b', 'yz\b', '\x1b[C', '\b\b', '\x1b[C']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['xyz\n']);
});

test('every Home and End key: ESC [ H / F, ESC [ 1~ / 4~, ESC [ 7~ / 8~, ESC O H / F, ^A / ^E', () => {
  const pairs = [
    ['\x1b[H', '\x1b[F'],
    ['\x1b[1~', '\x1b[4~'],
    ['\x1b[7~', '\x1b[8~'],
    ['\x1bOH', '\x1bOF'],
    ['\x01', '\x05'],
  ];
  for (const [home, end] of pairs) {
    const ld = new LineDiscipline();
    ld.input(utf8('hello'));
    assert.deepEqual(echoes(ld, home, 'X', end, '!\r'), ['\x1b[5D', 'Xhello\x1b[5D', '\x1b[5C', '!\r\n'], JSON.stringify(home));
  }
});

test('a long way back is one ESC [ n D, a short one is \\b each', () => {
  const ld = new LineDiscipline();
  ld.input(utf8('abcdef'));
  assert.deepEqual(echoes(ld, LEFT.repeat(4), RIGHT.repeat(4), LEFT.repeat(5)), ['\b\b\b\b', '\x1b[4C', '\x1b[5D']);
});

test('Delete (ESC [ 3 ~) removes the character under the cursor; at the end it does nothing', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'abc', '\x01', '\x1b[3~', '\x05', '\x1b[3~'), ['abc', '\b\b\b', 'bc\x1b[K\b\b', '\x1b[2C', '']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['bc\n']);
});

test('Backspace in the middle removes the character before the cursor', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'abcd', LEFT + LEFT, '\x7f'), ['abcd', '\b\b', '\bcd\x1b[K\b\b']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['acd\n']);
});

test('^K kills from the cursor to the end', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'hello world', '\x01' + RIGHT.repeat(5), '\x0b'), ['hello world', '\x1b[6D', '\x1b[K']);
  assert.equal(ld.currentLine(), 'hello');
  assert.deepEqual(echoes(ld, '\x0b'), ['']); // nothing more to kill
  assert.deepEqual(lines(ld.input(utf8('!\r'))), ['hello!\n']);
});

test('^W in the middle erases the word before the cursor and keeps the rest', () => {
  const ld = new LineDiscipline();
  ld.input(utf8('echo hello world'));
  assert.deepEqual(echoes(ld, LEFT.repeat(6), '\x17'), ['\x1b[6D', '\x1b[5D world\x1b[K\x1b[6D']);
  assert.equal(ld.currentLine(), 'echo  world');
});

test('^U in the middle kills the whole line (VKILL), not only before the cursor', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'abc', LEFT, '\x15'), ['abc', '\b', '\b\b\x1b[K']);
  assert.deepEqual(lines(ld.input(utf8('x\r'))), ['x\n']);
});

test('wide characters: the cursor moves two columns over one, and inserts before it', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, '語a', LEFT + LEFT, 'x', RIGHT, '\x7f'), ['語a', '\b\b\b', 'x語a\b\b\b', '\x1b[2C', '\b\ba\x1b[K\b']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['xa\n']);
});

test('a combining mark moves with its letter', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'ae\u0301', LEFT, 'x'), ['ae\u0301', '\b', 'xe\u0301\b']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['axe\u0301\n']);
});

test('a tab after an insertion shrinks to keep its tab stop, and the line is redrawn right', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(echoes(ld, 'a\tb', '\x01xy'), ['a       b', '\x1b[9Dxya     b\x1b[7D']);
  // Deleting before it widens it again: still 9 columns, nothing left over to erase.
  assert.deepEqual(echoes(ld, '\x7f'), ['\ba      b\x1b[8D']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['xa\tb\n']);
});

test('a line edited in the middle still ends where the bytes say: maxLine counts inserts too', () => {
  const ld = new LineDiscipline({ maxLine: 4 });
  ld.input(utf8('ab'));
  const ev = ld.input(utf8(LEFT + 'xy'));
  assert.equal(echoed(ev), '\bxb\b\x07');
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['axb\n']);
});

test('a truncated or unknown escape sequence is dropped without touching the line', () => {
  const ld = new LineDiscipline();
  const ev = feed(ld, utf8('ab\x1b['), utf8('1;'), utf8('x'), utf8('\x1bO'), utf8('\x1b[99~c'), utf8('\x1b\x7f\r'));
  // ESC [ 1 ; x and ESC [ 99 ~ are no keys; ESC O ESC is cut short; the last ESC is followed by DEL, which erases.
  assert.deepEqual(lines(ev), ['ab\n']);
  assert.equal(echoed(ev), 'abc' + BS1 + '\r\n');
});

// --- history ----------------------------------------------------------------

test('Up and Down walk the lines entered before; the oldest rings the bell', () => {
  const ld = new LineDiscipline();
  feed(ld, utf8('one\r'), utf8('two\r'));
  assert.deepEqual(echoes(ld, UP, UP, UP, DOWN, DOWN, DOWN), ['two', '\b\b\bone', '\x07', '\b\b\btwo', eraseN(3), '']);
  assert.deepEqual(echoes(ld, UP + UP), ['one']);
  const ev = ld.input(bytes(0x0d));
  assert.deepEqual(lines(ev), ['one\n']);
});

test('only what differs from the line shown is redrawn', () => {
  const ld = new LineDiscipline();
  feed(ld, utf8('echo one\r'), utf8('echo two\r'), utf8('echo twenty\r'));
  assert.deepEqual(echoes(ld, UP, UP, UP, DOWN), ['echo twenty', '\b\b\b\bo\x1b[K', '\b\b\bone', '\b\b\btwo']);
});

test('the line being typed is the newest entry while walking, and edits to old lines last the walk', () => {
  const ld = new LineDiscipline();
  feed(ld, utf8('one\r'), utf8('two\r'));
  assert.deepEqual(echoes(ld, 'ec', UP, DOWN), ['ec', '\b\btwo', '\b\b\bec\x1b[K']);
  assert.deepEqual(echoes(ld, UP, '\x7f', UP, DOWN), ['\b\btwo', BS1, '\b\bone', '\b\b\btw\x1b[K']);
  assert.deepEqual(lines(ld.input(utf8('\r'))), ['tw\n']);
  // The history has the new line, and 'two' as it was.
  assert.deepEqual(ld.history.entries, ['one', 'two', 'tw']);
  assert.deepEqual(echoes(ld, UP, UP, '\r'), ['tw', 'o', '\r\n']);
});

test('^P and ^N walk the history too; the application-mode arrows (ESC O A / B) as well', () => {
  const ld = new LineDiscipline();
  feed(ld, utf8('a\r'), utf8('b\r'));
  assert.deepEqual(echoes(ld, '\x10', '\x10', '\x0e', '\x1bOA', '\x1bOB', '\x1bOB'), ['b', '\ba', '\bb', '\ba', '\bb', eraseN(1)]);
});

test('history: no empty or blank lines, no duplicate of the previous line, at most 500', () => {
  const ld = new LineDiscipline();
  feed(ld, utf8('a\r'), utf8('a\r'), utf8('\r'), utf8('  \r'), utf8('b\r'), utf8('a\r'));
  assert.deepEqual(ld.history.entries, ['a', 'b', 'a']);
  const h = new History();
  for (let i = 0; i < 600; i++) h.add(`line ${i}`);
  assert.equal(h.entries.length, 500);
  assert.equal(h.entries[0], 'line 100');
  assert.equal(h.entries[499], 'line 599');
});

test('a line typed with echo off (a password) is not kept', () => {
  const ld = new LineDiscipline();
  ld.setEcho(false);
  ld.input(utf8('secret\r'));
  ld.setEcho(true);
  assert.deepEqual(ld.history.entries, []);
  assert.deepEqual(echoes(ld, UP), ['\x07']);
});

test('each program has its own history: setHistory switches, and ends a walk', () => {
  const ld = new LineDiscipline();
  const sh = new History();
  const repl = new History();
  ld.setHistory(sh);
  ld.input(utf8('ls\r'));
  ld.setHistory(repl);
  ld.input(utf8('1 + 1\r'));
  assert.deepEqual(echoes(ld, UP), ['1 + 1']);
  ld.input(bytes(0x15));
  ld.setHistory(sh);
  assert.deepEqual(echoes(ld, UP, UP), ['ls', '\x07']);
  assert.deepEqual([sh.entries, repl.entries], [['ls'], ['1 + 1']]);
});

// --- Tab completion -----------------------------------------------------------
// With setAnswers(true), Tab asks: a 'complete' event with the line and the
// cursor (in UTF-16 units, as JavaScript strings count). completed(ref,
// answer) applies the answer and then reads what was typed meanwhile.

function completer(prompt = '$ ') {
  const ld = new LineDiscipline();
  ld.setAnswers(true);
  ld.prompt = prompt;
  return ld;
}
const cmd = (text) => ({ text, kind: 'command' });

test('Tab asks the reader; a single completion is inserted with a space after it', () => {
  const ld = completer();
  assert.deepEqual(ld.input(utf8('ec\t')), [
    { type: 'echo', data: 'ec' },
    { type: 'complete', ref: 1, line: 'ec', cursor: 2 },
  ]);
  assert.deepEqual(ld.completed(1, { start: 0, end: 2, items: [cmd('echo')] }), [{ type: 'echo', data: 'ho ' }]);
  assert.deepEqual(lines(ld.input(utf8('hi\r'))), ['echo hi\n']);
});

test('a directory is completed without a space, so Tab can go on down the tree', () => {
  const ld = completer();
  ld.input(utf8('ls /e\t'));
  assert.equal(echoed(ld.completed(1, { start: 3, end: 5, items: [{ text: '/etc/', kind: 'dir' }] })), 'tc/');
  assert.equal(ld.currentLine(), 'ls /etc/');
});

test('completion in the middle of the line replaces the word before the cursor only', () => {
  const ld = completer();
  ld.input(utf8('ec /tmp'));
  const ev = ld.input(utf8(LEFT.repeat(5) + '\t'));
  assert.deepEqual(ev[ev.length - 1], { type: 'complete', ref: 1, line: 'ec /tmp', cursor: 2 });
  assert.equal(echoed(ld.completed(1, { start: 0, end: 2, items: [cmd('echo')] })), 'ho /tmp\x1b[5D');
  assert.equal(ld.currentLine(), 'echo /tmp');
});

test('several completions: their longest common prefix is inserted; a second Tab lists them and redraws the prompt line', () => {
  const ld = completer();
  ld.input(utf8('cat /et\t'));
  const items = [
    { text: '/etc/motd', kind: 'file' },
    { text: '/etc/hostname', kind: 'file' },
  ];
  assert.deepEqual(ld.completed(1, { start: 4, end: 7, items }), [{ type: 'echo', data: 'c/' }]);
  // The second Tab needs no question: the same line, the same candidates.
  assert.deepEqual(ld.input(utf8('\t')), [{ type: 'echo', data: '\r\nmotd      hostname\r\n$ cat /etc/' }]);
  assert.deepEqual(lines(ld.input(utf8('m\r'))), ['cat /etc/m\n']);
});

test('several completions with nothing in common to add ring the bell; the second Tab lists', () => {
  const ld = completer();
  ld.input(utf8('l'));
  ld.input(utf8('\t'));
  assert.deepEqual(ld.completed(1, { start: 0, end: 1, items: [cmd('less'), cmd('ls')] }), [{ type: 'echo', data: '\x07' }]);
  assert.deepEqual(ld.input(utf8('\t')), [{ type: 'echo', data: '\r\nless  ls\r\n$ l' }]);
  // Typing something else forgets the list: the next Tab asks again.
  ld.input(utf8('s'));
  assert.deepEqual(types(ld.input(utf8('\t'))), ['complete']);
});

test('the listing is in columns down then across, as wide as the screen, the cursor put back', () => {
  const ld = completer('> ');
  ld.screenColumns = 10;
  ld.input(utf8('x' + LEFT + '\t'));
  ld.completed(1, { start: 0, end: 0, items: ['aa', 'bb', 'cc', 'dd', 'ee'] });
  assert.equal(echoed(ld.input(utf8('\t'))), '\x1b[C\r\naa  cc  ee\r\nbb  dd\r\n> x\b');
});

test('what is typed while the reader thinks waits, then applies after the completion', () => {
  const ld = completer();
  assert.deepEqual(types(ld.input(utf8('ec\tx'))), ['echo', 'complete']);
  assert.deepEqual(ld.input(utf8('y\r')), []); // held, not lost
  const ev = ld.completed(1, { start: 0, end: 2, items: [cmd('echo')] });
  assert.equal(echoed(ev), 'ho xy\r\n');
  assert.deepEqual(lines(ev), ['echo xy\n']);
});

test('no answer (null: none in time, or no answerer) rings the bell and leaves the line as it was', () => {
  const ld = completer();
  ld.input(utf8('ec\t'));
  assert.deepEqual(ld.completed(1, null), [{ type: 'echo', data: '\x07' }]);
  assert.equal(ld.currentLine(), 'ec');
  assert.deepEqual(ld.completed(1, { start: 0, end: 2, items: [cmd('echo')] }), []); // too late: ignored
  assert.equal(ld.currentLine(), 'ec');
});

test('a malformed or huge answer is ignored with the bell', () => {
  const huge = { start: 0, end: 2, items: Array.from({ length: 1001 }, (_, i) => `ec${i}`) };
  const answers = [
    undefined,
    42,
    'echo',
    {},
    { items: 'echo' },
    { start: -1, end: 2, items: ['echo'] },
    { start: 2, end: 1, items: ['echo'] },
    { start: 0, end: 9, items: ['echo'] },
    { start: 0.5, end: 2, items: ['echo'] },
    { start: '0', end: 2, items: ['echo'] },
    { start: 0, end: 2, items: [] },
    { start: 0, end: 2, items: [null, 7, { text: 5 }, 'e\x1b[2Jvil', 'bad\nline'] },
    { start: 0, end: 2, items: ['ec' + 'x'.repeat(300 * 1024)] },
    huge,
  ];
  for (const answer of answers) {
    const ld = completer();
    ld.input(utf8('ec\t'));
    assert.deepEqual(ld.completed(1, answer), [{ type: 'echo', data: '\x07' }], JSON.stringify(answer && answer.items ? answer.start : answer));
    assert.equal(ld.currentLine(), 'ec');
  }
});

test('offsets count UTF-16 units; one inside a character is refused', () => {
  const ld = completer();
  const ev = ld.input(utf8('😀 a\t'));
  assert.deepEqual(ev[ev.length - 1], { type: 'complete', ref: 1, line: '😀 a', cursor: 4 });
  assert.equal(echoed(ld.completed(1, { start: 1, end: 4, items: ['x'] })), '\x07');
  ld.input(utf8('\t'));
  assert.equal(echoed(ld.completed(2, { start: 3, end: 4, items: [cmd('ab')] })), 'b ');
  assert.equal(ld.currentLine(), '😀 ab ');
});

test('a completion that does not fit in the line rings the bell and changes nothing', () => {
  const ld = new LineDiscipline({ maxLine: 8 });
  ld.setAnswers(true);
  ld.input(utf8('ec\t'));
  assert.equal(echoed(ld.completed(1, { start: 0, end: 2, items: [cmd('echoecho')] })), '\x07');
  assert.equal(ld.currentLine(), 'ec');
});

test('Tab is a literal tab when the reader does not answer', () => {
  const ld = new LineDiscipline();
  assert.deepEqual(ld.input(utf8('a\t')), [{ type: 'echo', data: 'a       ' }]);
});

test('^L redraws the prompt and the line and puts the cursor back', () => {
  const ld = completer('$ ');
  ld.input(utf8('abc' + LEFT));
  assert.deepEqual(ld.input(bytes(0x0c)), [{ type: 'echo', data: '\x1b[H\x1b[2J$ abc\b' }]);
});
