// Unit tests for kernel/lib/utf8.js, the one UTF-8 codec of the kernel and
// every app (docs/abi.md §1): encode and decode against literal byte vectors
// (RFC 3629 §3's table, one case per sequence length and at each boundary),
// what malformed input turns into, where a chunk's last whole character ends,
// and the stream decoder fed a string cut at every possible place. Every text
// that crosses a page goes through these four functions, so a byte wrong here
// is wrong everywhere.
const { utf8Encode, utf8Decode, utf8WholeEnd, utf8StreamDecoder } = require('/kernel/lib/utf8');

const FFFD = '\uFFFD';
const bytes = (...b) => Uint8Array.from(b);

// The bytes utf8Encode writes for `s` (into a buffer with room to spare, at an offset).
function enc(s) {
  const buf = new Uint8Array(4 + s.length * 3 + 4).fill(0xee);
  const n = utf8Encode(s, buf, 4);
  assert.equal(buf[3], 0xee, 'wrote before `at`');
  assert.equal(buf[4 + n], 0xee, 'wrote past the count it returned');
  return buf.slice(4, 4 + n);
}
const dec = (u8) => utf8Decode(u8, 0, u8.length);
// Code points of a string, as hex, for messages that show what went wrong.
const cps = (s) => Array.from(s, (c) => c.codePointAt(0).toString(16)).join(' ');
const onlyReplacement = (s) => s.length > 0 && [...s].every((c) => c === FFFD);

// --- encode and decode: the table --------------------------------------------

// [text, its UTF-8 bytes]: each sequence length at its smallest and largest code point.
const VECTORS = [
  ['', []],
  ['hello', [0x68, 0x65, 0x6c, 0x6c, 0x6f]],
  ['\u0000\u007f', [0x00, 0x7f]], // 1 byte: U+0000..U+007F
  ['\u0080', [0xc2, 0x80]], // 2 bytes from U+0080
  ['é', [0xc3, 0xa9]],
  ['\u07ff', [0xdf, 0xbf]],
  ['\u0800', [0xe0, 0xa0, 0x80]], // 3 bytes from U+0800
  ['€', [0xe2, 0x82, 0xac]],
  ['語', [0xe8, 0xaa, 0x9e]],
  ['\ufffd', [0xef, 0xbf, 0xbd]],
  ['\uffff', [0xef, 0xbf, 0xbf]],
  ['\u{10000}', [0xf0, 0x90, 0x80, 0x80]], // 4 bytes from U+10000 (a surrogate pair in UTF-16)
  ['😀', [0xf0, 0x9f, 0x98, 0x80]], // U+1F600 = \ud83d\ude00
  ['\u{10ffff}', [0xf4, 0x8f, 0xbf, 0xbf]],
  ['aé€😀', [0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]],
];

test('encode: ASCII, 2-, 3- and 4-byte characters at their boundaries', () => {
  for (const [text, expected] of VECTORS) assert.deepEqual(enc(text), Uint8Array.from(expected), `encoding ${cps(text)}`);
});

test('decode: the same vectors back to the same text', () => {
  for (const [text, b] of VECTORS) assert.equal(dec(Uint8Array.from(b)), text, `decoding ${b}`);
});

test('a surrogate pair is one 4-byte character, not two 3-byte ones', () => {
  assert.deepEqual(enc('\ud83d\ude00'), bytes(0xf0, 0x9f, 0x98, 0x80));
  assert.equal(dec(bytes(0xf0, 0x9f, 0x98, 0x80)), '\ud83d\ude00');
  assert.equal(dec(bytes(0xf0, 0x9f, 0x98, 0x80)).length, 2); // two UTF-16 units
});

test('utf8Encode returns the byte count and writes at `at`', () => {
  const buf = new Uint8Array(8);
  assert.equal(utf8Encode('a€', buf, 3), 4);
  assert.deepEqual(buf, bytes(0, 0, 0, 0x61, 0xe2, 0x82, 0xac, 0));
  assert.equal(utf8Encode('', buf, 0), 0);
});

test('utf8Decode decodes only buf[start, end)', () => {
  const b = bytes(0x78, 0xe2, 0x82, 0xac, 0x79, 0x7a);
  assert.equal(utf8Decode(b, 1, 4), '€');
  assert.equal(utf8Decode(b, 4, 5), 'y');
  assert.equal(utf8Decode(b, 2, 2), '');
  // A character cut by `end` is not completed from the bytes after it.
  assert.equal(utf8Decode(b, 0, 3).slice(0, 1), 'x');
  assert.ok(onlyReplacement(utf8Decode(b, 0, 3).slice(1)), cps(utf8Decode(b, 0, 3)));
});

test('round trip: every code point class, and text longer than one 8192-unit batch', () => {
  let s = '';
  for (let cp = 0; cp < 0x800; cp += 7) s += String.fromCodePoint(cp);
  for (let cp = 0x800; cp < 0xd800; cp += 331) s += String.fromCodePoint(cp);
  for (let cp = 0xe000; cp <= 0xffff; cp += 97) s += String.fromCodePoint(cp);
  for (let cp = 0x10000; cp <= 0x10ffff; cp += 4099) s += String.fromCodePoint(cp);
  assert.equal(dec(enc(s)), s);
  // Multi-byte characters straddling the decoder's internal batch boundary.
  const long = 'a' + '€😀é'.repeat(4000);
  const b = enc(long);
  assert.equal(b.length, 1 + 9 * 4000);
  assert.equal(dec(b), long);
});

test('mostly ASCII: whole ASCII batches, a batch with ASCII before and after a character, one at the batch edge', () => {
  // The decoder takes an ASCII batch in one piece and falls back to its
  // byte loop from the first byte past 0x7F: each place that can happen.
  const ascii = 'x'.repeat(20000);
  assert.equal(dec(enc(ascii)), ascii);
  const middle = 'a'.repeat(5000) + 'é' + 'b'.repeat(5000) + '😀' + 'c'.repeat(9000);
  assert.equal(dec(enc(middle)), middle);
  for (const at of [8190, 8191, 8192, 8193]) {
    const edge = 'q'.repeat(at) + '€' + 'r'.repeat(100);
    assert.equal(dec(enc(edge)), edge, `a 3-byte character at byte ${at}`);
  }
  // Malformed bytes inside an otherwise ASCII batch, and a plain Array as input.
  const bad = enc('a'.repeat(100));
  bad[50] = 0xff;
  assert.equal(dec(bad), 'a'.repeat(50) + FFFD + 'a'.repeat(49));
  assert.equal(utf8Decode([0x68, 0x69, 0xc3, 0xa9], 0, 4), 'hié');
});

// Lone surrogates cannot be UTF-8 (RFC 3629 §3 excludes U+D800..U+DFFF). This
// codec encodes them as 3-byte sequences and decodes those back (the
// "WTF-8" behaviour), so a JavaScript string survives a trip through a pipe
// unchanged. The test pins that down.
test('lone surrogates have no UTF-8 form: they are encoded as U+FFFD, and ED A0 80 decodes to U+FFFD', () => {
  const FFFD = [0xef, 0xbf, 0xbd];
  assert.deepEqual(enc('\ud800'), bytes(...FFFD));
  assert.deepEqual(enc('\udfff'), bytes(...FFFD));
  assert.deepEqual(enc('a\ud83d'), bytes(0x61, ...FFFD)); // a high surrogate at the very end
  assert.deepEqual(enc('\ude00\ud83d'), bytes(...FFFD, ...FFFD)); // a pair in the wrong order
  assert.deepEqual(enc('\ud83d\ud83d\ude00'), bytes(...FFFD, 0xf0, 0x9f, 0x98, 0x80)); // a lone one, then a pair
  // ED's second byte may not be above 9F (that would be a surrogate): each of the three bytes is one U+FFFD (WHATWG).
  assert.equal(dec(bytes(0xed, 0xa0, 0x80)), '\ufffd\ufffd\ufffd');
});

// --- malformed input -------------------------------------------------------------

test('malformed: stray continuation bytes, invalid lead bytes and truncated ends become U+FFFD', () => {
  assert.equal(dec(bytes(0x80)), FFFD);
  assert.equal(dec(bytes(0x61, 0x80, 0x62)), `a${FFFD}b`);
  assert.equal(dec(bytes(0x61, 0xbf, 0xbf, 0x62)), `a${FFFD}${FFFD}b`);
  assert.equal(dec(bytes(0xff)), FFFD);
  assert.equal(dec(bytes(0xff, 0x41)), `${FFFD}A`);
  // A sequence cut off by the end of the input.
  for (const b of [[0xc3], [0xe2], [0xe2, 0x82], [0xf0], [0xf0, 0x9f], [0xf0, 0x9f, 0x98]]) {
    const got = dec(Uint8Array.from([0x61, 0x62, ...b]));
    assert.equal(got.slice(0, 2), 'ab', `decoding ab + ${b}`);
    assert.ok(onlyReplacement(got.slice(2)), `ab + ${b} gave ${cps(got)}`);
  }
});

// KERNEL BUG (kernel/lib/utf8.js, utf8Decode, lines 50-57): a lead byte takes
// the next 1-3 bytes as its continuation without checking that they are
// 10xxxxxx, so the character after a broken sequence is swallowed and a
// wrong character comes out instead of U+FFFD. The file's own comment says
// "malformed or truncated sequences become U+FFFD"; the line discipline gets
// this right for typed input (test_line_discipline.js, "an invalid byte
// inside a sequence drops the sequence, keeps the next character").
test('malformed: a lead byte followed by a non-continuation byte becomes U+FFFD and keeps the next character', () => {
  const cases = [
    [[0xc3, 0x41], `${FFFD}A`], // got "Á" (U+00C1): the A is eaten
    [[0xe2, 0x82, 0x41], `${FFFD}A`], // got U+2081
    [[0xe2, 0x41, 0x42], `${FFFD}AB`], // got U+2042
    [[0xf0, 0x9f, 0x98, 0x41], `${FFFD}A`],
    [[0x78, 0xc3, 0x0a, 0x79], `x${FFFD}\ny`], // a newline after a cut character
  ];
  for (const [b, expected] of cases) {
    const got = dec(Uint8Array.from(b));
    const ascii = expected.replace(/\uFFFD/g, '');
    assert.equal(got.replace(/\uFFFD/g, ''), ascii, `decoding ${b}: expected ${cps(expected)}, got ${cps(got)}`);
    assert.ok(got.includes(FFFD), `decoding ${b}: no U+FFFD in ${cps(got)}`);
  }
  // The stream decoder inherits it: a cut character whose next chunk cannot continue it.
  const d = utf8StreamDecoder();
  assert.equal(d.decode(bytes(0x61, 0xc3)), 'a');
  const got = d.decode(bytes(0x41, 0x42), true);
  assert.equal(got, `${FFFD}AB`, `stream: expected U+FFFD A B, got ${cps(got)}`);
});

// KERNEL BUG (kernel/lib/utf8.js, utf8Decode, lines 50-57): RFC 3629 §3 makes
// overlong forms (C0 AF for "/") and code points above U+10FFFF (F4 90 80 80)
// invalid; the decoder turns them into characters: "/" from C0 AF, U+0000
// from C0 80, and a pair of unpaired low surrogates from F4 90 80 80.
test('malformed: overlong forms and code points past U+10FFFF become U+FFFD', () => {
  for (const b of [[0xc0, 0xaf], [0xc0, 0x80], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80]]) {
    const got = dec(Uint8Array.from(b));
    assert.ok(onlyReplacement(got), `decoding ${b.map((x) => x.toString(16))}: expected only U+FFFD, got ${cps(got)}`);
  }
});

// --- utf8WholeEnd ------------------------------------------------------------------

test('utf8WholeEnd: a buffer ending inside a 2-, 3- or 4-byte character ends before it', () => {
  const at = (arr, start = 0, end = arr.length) => utf8WholeEnd(Uint8Array.from(arr), start, end);
  // "x" then each prefix of a character: the whole part is just "x".
  assert.equal(at([0x78, 0xc3]), 1);
  assert.equal(at([0x78, 0xe2]), 1);
  assert.equal(at([0x78, 0xe2, 0x82]), 1);
  assert.equal(at([0x78, 0xf0]), 1);
  assert.equal(at([0x78, 0xf0, 0x9f]), 1);
  assert.equal(at([0x78, 0xf0, 0x9f, 0x98]), 1);
  // Whole characters: the end itself.
  assert.equal(at([0x78, 0xc3, 0xa9]), 3);
  assert.equal(at([0x78, 0xe2, 0x82, 0xac]), 4);
  assert.equal(at([0x78, 0xf0, 0x9f, 0x98, 0x80]), 5);
  assert.equal(at([0x61, 0x62, 0x63]), 3);
  assert.equal(at([]), 0);
  // Nothing to wait for: stray continuation bytes are not a character's start.
  assert.equal(at([0x61, 0x80]), 2);
  assert.equal(at([0x80, 0x80, 0x80, 0x80, 0x80]), 5);
  // start and end bound the search.
  assert.equal(at([0x78, 0xe2, 0x82, 0xac, 0x79], 0, 3), 1);
  assert.equal(at([0xe2, 0x82, 0xac, 0xe2, 0x82], 3, 5), 3);
  assert.equal(at([0xe2, 0x82, 0xac], 1, 3), 3); // only continuation bytes in range
});

// --- the stream decoder ---------------------------------------------------------

const SAMPLE = 'a é € 😀 語\n\u{10ffff}z';

test('utf8StreamDecoder: the text is the same wherever the bytes are cut in two', () => {
  const b = enc(SAMPLE);
  for (let cut = 0; cut <= b.length; cut++) {
    const d = utf8StreamDecoder();
    const got = d.decode(b.subarray(0, cut)) + d.decode(b.subarray(cut));
    assert.equal(got, SAMPLE, `cut at ${cut}: ${cps(got)}`);
  }
});

test('utf8StreamDecoder: ... and wherever they are cut in three, or fed one byte at a time', () => {
  const b = enc('é€😀x😀');
  for (let i = 0; i <= b.length; i++) {
    for (let j = i; j <= b.length; j++) {
      const d = utf8StreamDecoder();
      const got = d.decode(b.subarray(0, i)) + d.decode(b.subarray(i, j)) + d.decode(b.subarray(j), true);
      assert.equal(got, 'é€😀x😀', `cuts at ${i}, ${j}`);
    }
  }
  const d = utf8StreamDecoder();
  const pieces = Array.from(enc(SAMPLE), (x) => d.decode(bytes(x)));
  assert.equal(pieces.join(''), SAMPLE);
  // Each piece is text of whole characters only: never half a surrogate pair or U+FFFD.
  assert.ok(pieces.every((p) => !p.includes(FFFD)));
  assert.deepEqual(pieces.slice(-5, -1), ['', '', '', '\u{10ffff}']);
});

test('utf8StreamDecoder: a partial character waits, and does not come out early', () => {
  const d = utf8StreamDecoder();
  assert.equal(d.decode(bytes(0x61, 0xe2)), 'a');
  assert.equal(d.decode(bytes(0x82)), '');
  assert.equal(d.decode(bytes(0xac, 0x62)), '€b');
  assert.equal(d.decode(new Uint8Array(0)), '');
});

test('utf8StreamDecoder: final: true flushes a dangling partial sequence as U+FFFD, then starts clean', () => {
  const d = utf8StreamDecoder();
  assert.equal(d.decode(bytes(0x61, 0xf0, 0x9f)), 'a');
  const flushed = d.decode(new Uint8Array(0), true);
  assert.ok(onlyReplacement(flushed), `final gave ${cps(flushed)}`);
  assert.equal(d.decode(bytes(0x62)), 'b'); // nothing of the old tail is left
  // final on a chunk that completes the character is just text.
  assert.equal(d.decode(bytes(0xe2)), '');
  assert.equal(d.decode(bytes(0x82, 0xac), true), '€');
});
