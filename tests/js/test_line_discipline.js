// Unit tests for kernel/tty/line-discipline.js, byte by byte: what the person
// types (as the terminal sends it) and the events that come out.
const { LineDiscipline, charWidth } = require('/kernel/tty/line-discipline');

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

test('arrow keys and other escape sequences are swallowed whole', () => {
  const ld = new LineDiscipline();
  // up, left, F1 (SS3), Delete (ESC [ 3 ~), Alt-b, Ctrl-Right (ESC [ 1 ; 5 C)
  const seq = '\x1b[Aa\x1b[Db\x1bOPc\x1b[3~d\x1bbe\x1b[1;5Cf\r';
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
