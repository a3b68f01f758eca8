// Unit tests for fs/lib/web/encoding.js: TextEncoder and TextDecoder against
// the WHATWG Encoding Standard: literal byte vectors at each sequence
// length, encodeInto's read/written counts, the decoder's U+FFFD per
// maximal subpart (the examples of Unicode §3.9 and WPT's
// encoding/textdecoder-fatal cases), fatal, ignoreBOM and streaming.
const { TextEncoder, TextDecoder } = require('/lib/web/encoding');

const bytes = (...b) => Uint8Array.from(b);
const dec = (u8, opts) => new TextDecoder('utf-8', opts).decode(u8);
const cps = (s) => Array.from(s, (c) => c.codePointAt(0).toString(16)).join(' ');

test('encode: one to four bytes, at the boundaries', () => {
  const e = new TextEncoder();
  assert.equal(e.encoding, 'utf-8');
  assert.deepEqual(e.encode('A\u007f'), bytes(0x41, 0x7f));
  assert.deepEqual(e.encode('\u0080\u07ff'), bytes(0xc2, 0x80, 0xdf, 0xbf));
  assert.deepEqual(e.encode('\u0800\uffff'), bytes(0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf));
  assert.deepEqual(e.encode('\u{10000}\u{10ffff}'), bytes(0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf));
  assert.deepEqual(e.encode(), bytes());
  assert.ok(e.encode('x') instanceof Uint8Array);
});

test('encode: lone surrogates become U+FFFD (EF BF BD)', () => {
  const e = new TextEncoder();
  assert.deepEqual(e.encode('\ud800'), bytes(0xef, 0xbf, 0xbd));
  assert.deepEqual(e.encode('a\udc00b'), bytes(0x61, 0xef, 0xbf, 0xbd, 0x62));
  assert.deepEqual(e.encode('\udc00\ud800'), bytes(0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd));
});

test('encodeInto counts code units read and bytes written, never splitting a character', () => {
  const e = new TextEncoder();
  const buf = new Uint8Array(5).fill(0xee);
  assert.deepEqual(e.encodeInto('a\u00e9\u{1F600}', buf), { read: 2, written: 3 });
  assert.deepEqual(buf, bytes(0x61, 0xc3, 0xa9, 0xee, 0xee));
  const big = new Uint8Array(8);
  assert.deepEqual(e.encodeInto('a\u00e9\u{1F600}', big), { read: 4, written: 7 });
  assert.deepEqual(e.encodeInto('', big), { read: 0, written: 0 });
  assert.deepEqual(e.encodeInto('\ud800x', new Uint8Array(4)), { read: 2, written: 4 });
  assert.throws(() => e.encodeInto('a', []), /Uint8Array/);
});

test('decode: the vectors back, from a Uint8Array, an ArrayBuffer, a DataView or a subarray', () => {
  const u8 = bytes(0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80);
  assert.equal(dec(u8), 'A\u00e9\u20ac\u{1F600}');
  assert.equal(dec(u8.buffer), 'A\u00e9\u20ac\u{1F600}');
  assert.equal(dec(new DataView(u8.buffer, 1, 2)), '\u00e9');
  assert.equal(dec(u8.subarray(3, 6)), '\u20ac');
  assert.equal(new TextDecoder().decode(), '');
  assert.throws(() => new TextDecoder().decode('text'), /ArrayBuffer/);
});

test('labels: UTF-8 spellings, trimmed, any case; other encodings RangeError', () => {
  for (const label of ['utf-8', 'UTF8', ' unicode-1-1-utf-8\n', 'Unicode20UTF8']) assert.equal(new TextDecoder(label).encoding, 'utf-8');
  let err = null;
  try {
    new TextDecoder('latin1');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RangeError);
});

// [bytes, what replacement decoding gives]: one U+FFFD per maximal subpart.
const MALFORMED = [
  [[0x80], '\ufffd'],
  [[0xbf, 0x41], '\ufffdA'],
  [[0xc0, 0x80], '\ufffd\ufffd'], // C0 never starts a sequence: two errors
  [[0xc1, 0xbf], '\ufffd\ufffd'],
  [[0xe0, 0x80, 0x80], '\ufffd\ufffd\ufffd'], // overlong: E0 wants A0..BF next
  [[0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'], // a surrogate
  [[0xf0, 0x80, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
  [[0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'], // past U+10FFFF
  [[0xf5, 0x80], '\ufffd\ufffd'],
  [[0xff], '\ufffd'],
  [[0xe2, 0x82], '\ufffd'], // truncated at the end: one subpart
  [[0xe2, 0x82, 0x41], '\ufffdA'],
  [[0xf0, 0x9f, 0x98], '\ufffd'],
  [[0xf0, 0x9f, 0x41, 0x98], '\ufffdA\ufffd'],
  // Unicode §3.9 Table 3-8's example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  [[0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0x80, 0xbf, 0x64], 'a\ufffd\ufffd\ufffdb\ufffdc\ufffd\ufffdd'],
];

for (const [input, expected] of MALFORMED) {
  const hex = input.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  test(`decode ${hex}: U+FFFD per maximal subpart; fatal throws TypeError`, () => {
    const got = dec(Uint8Array.from(input));
    assert.equal(got, expected, `got ${cps(got)}`);
    let err = null;
    try {
      dec(Uint8Array.from(input), { fatal: true });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof TypeError, 'fatal must throw a TypeError');
  });
}

test('fatal leaves valid input alone, and the decoder is usable after an error', () => {
  const d = new TextDecoder('utf-8', { fatal: true });
  assert.equal(d.fatal, true);
  assert.equal(d.decode(bytes(0xc3, 0xa9)), '\u00e9');
  assert.throws(() => d.decode(bytes(0xc3)), /not valid UTF-8/);
  assert.equal(d.decode(bytes(0x41)), 'A');
});

test('BOM: one leading BOM is stripped; ignoreBOM keeps it; a second one stays', () => {
  assert.equal(dec(bytes(0xef, 0xbb, 0xbf, 0x41)), 'A');
  assert.equal(dec(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf)), '\ufeff');
  assert.equal(dec(bytes(0xef, 0xbb, 0xbf, 0x41), { ignoreBOM: true }), '\ufeffA');
  assert.equal(dec(bytes(0x41, 0xef, 0xbb, 0xbf)), 'A\ufeff');
  assert.equal(new TextDecoder('utf-8', { ignoreBOM: true }).ignoreBOM, true);
});

test('BOM: in a stream only at the start, and again after a non-stream call', () => {
  const d = new TextDecoder();
  assert.equal(d.decode(bytes(0xef, 0xbb), { stream: true }), '');
  assert.equal(d.decode(bytes(0xbf, 0x41), { stream: true }), 'A');
  assert.equal(d.decode(bytes(0xef, 0xbb, 0xbf)), '\ufeff');
  assert.equal(d.decode(bytes(0xef, 0xbb, 0xbf, 0x42)), 'B', 'a finished stream starts a new one');
});

test('a call after a fatal error starts a new stream, BOM rule included', () => {
  const d = new TextDecoder('utf-8', { fatal: true });
  assert.equal(d.decode(bytes(0xef, 0xbb, 0xbf, 0x41), { stream: true }), 'A');
  assert.throws(() => d.decode(bytes(0xff)), /not valid UTF-8/);
  assert.equal(d.decode(bytes(0xef, 0xbb, 0xbf, 0x42)), 'B');
  assert.throws(() => d.decode(bytes(0xe2), { stream: true }).concat(d.decode(bytes(0x41))), /not valid UTF-8/);
  assert.equal(d.decode(bytes(0x43)), 'C');
});

test('stream: a character cut at every place comes out whole', () => {
  const text = 'a\u00e9\u20ac\u{1F600}z';
  const all = new TextEncoder().encode(text);
  for (let cut1 = 0; cut1 <= all.length; cut1++) {
    for (let cut2 = cut1; cut2 <= all.length; cut2++) {
      const d = new TextDecoder('utf-8', { fatal: true });
      const got = d.decode(all.subarray(0, cut1), { stream: true }) + d.decode(all.subarray(cut1, cut2), { stream: true }) + d.decode(all.subarray(cut2));
      assert.equal(got, text, `cut at ${cut1}, ${cut2}`);
    }
  }
});

test('stream: a sequence left open at the end is U+FFFD when the stream finishes', () => {
  const d = new TextDecoder();
  assert.equal(d.decode(bytes(0x41, 0xe2, 0x82), { stream: true }), 'A');
  assert.equal(d.decode(), '\ufffd');
  assert.equal(d.decode(bytes(0x42)), 'B', 'and nothing is left over');
});

test('a long text round-trips', () => {
  let s = '';
  for (let i = 0; i < 30000; i++) s += String.fromCodePoint((i * 7919) % 0x10ffff).replace(/[\ud800-\udfff]/g, 'x');
  assert.equal(new TextDecoder().decode(new TextEncoder().encode(s)), s);
});
