// Unit tests for kernel/net/tcp/reassembly.js: in-order delivery, holes
// filled, overlaps and duplicates trimmed, the byte and segment limits, the
// FIN, and the SACK blocks of RFC 2018 (its worked examples, and the order
// a real Linux receiver reported).
const { Reassembly } = require('/kernel/net/tcp/reassembly');

// Data whose bytes say where they are: byte at sequence s is s & 0xff.
const at = (seq, length) => Uint8Array.from({ length }, (_, i) => (seq + i) & 0xff);
const joined = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let i = 0;
  for (const c of chunks) {
    out.set(c, i);
    i += c.length;
  }
  return out;
};
const put = (r, seq, length, fin = false) => r.insert(seq >>> 0, at(seq, length), { fin });
const blocks = (...pairs) => pairs.map(([left, right]) => ({ left, right }));

test('in order: delivered at once, as a view of the segment', () => {
  const r = new Reassembly(1000);
  const bytes = at(1000, 100);
  const out = r.insert(1000, bytes);
  assert.equal(out.data.length, 1);
  assert.equal(out.data[0].buffer, bytes.buffer);
  assert.deepEqual(out.data[0], bytes);
  assert.deepEqual(out, { data: [bytes], fin: false, duplicate: 0, outside: 0, refused: 0 });
  assert.equal(r.nxt, 1100);
  assert.equal(r.held, 0);
  assert.deepEqual(r.sackBlocks(), []);
});

test('a hole: later data waits, then comes out in order when the hole fills', () => {
  const r = new Reassembly(1000);
  assert.deepEqual(put(r, 1100, 100).data, []);
  assert.deepEqual(put(r, 1200, 100).data, []);
  assert.equal(r.held, 200);
  assert.equal(r.nxt, 1000);
  const out = put(r, 1000, 100);
  assert.equal(out.data.length, 3);
  assert.deepEqual(joined(out.data), at(1000, 300));
  assert.equal(r.nxt, 1300);
  assert.equal(r.held, 0);
  assert.deepEqual(r.sackBlocks(), []);
});

test('held bytes are copies: the frame a segment came in is not kept alive', () => {
  const r = new Reassembly(0);
  const frame = at(0, 1514);
  put(r, 0, 0);
  r.insert(100, frame.subarray(54, 154));
  const out = put(r, 0, 100);
  assert.notEqual(out.data[1].buffer, frame.buffer);
  assert.deepEqual(out.data[1], frame.subarray(54, 154));
});

test('old and partly old segments: the part before nxt is a duplicate', () => {
  const r = new Reassembly(1000);
  put(r, 1000, 100);
  assert.deepEqual(put(r, 900, 100), { data: [], fin: false, duplicate: 100, outside: 0, refused: 0 });
  const out = put(r, 1050, 100); // 1050..1099 again, 1100..1149 new
  assert.equal(out.duplicate, 50);
  assert.deepEqual(joined(out.data), at(1100, 50));
  assert.equal(r.nxt, 1150);
});

test('overlaps with held data: only the gaps are stored', () => {
  const r = new Reassembly(0);
  put(r, 100, 100); // [100, 200)
  put(r, 300, 100); // [300, 400)
  const out = put(r, 150, 300); // [150, 450): 150..199 and 300..399 held already
  assert.deepEqual(out, { data: [], fin: false, duplicate: 150, outside: 0, refused: 0 });
  assert.equal(r.held, 350); // [100, 450)
  assert.equal(r.pieces.length, 4); // 100-200, 200-300, 300-400, 400-450
  assert.deepEqual(r.sackBlocks(), blocks([100, 450]));
  // Exactly the same segment again: all duplicate, nothing new held.
  assert.equal(put(r, 150, 300).duplicate, 300);
  assert.equal(r.held, 350);
  // The hole fills with a segment that also covers held bytes.
  const fill = put(r, 0, 120);
  assert.deepEqual(joined(fill.data), at(0, 450));
  assert.equal(fill.duplicate, 20);
  assert.equal(r.nxt, 450);
});

test('a segment that covers a held one completely, and reaches past it', () => {
  const r = new Reassembly(0);
  put(r, 200, 10);
  const out = put(r, 0, 300);
  assert.equal(out.data.length, 1);
  assert.deepEqual(out.data[0], at(0, 300));
  assert.equal(out.duplicate, 10);
  assert.equal(r.nxt, 300);
  assert.equal(r.pieces.length, 0);
});

test('across the wrap of the sequence space', () => {
  const r = new Reassembly(0xffffff00);
  put(r, 0x00000010, 0x20); // after the wrap
  put(r, 0xffffff80, 0x90); // up to 0x10: ends where the held one starts
  assert.deepEqual(r.sackBlocks(), blocks([0xffffff80, 0x30]));
  const out = put(r, 0xffffff00, 0x80);
  assert.equal(joined(out.data).length, 0x130);
  assert.equal(r.nxt, 0x30);
});

test('the limit: bytes at or past nxt + limit are cut off, in order or not', () => {
  const r = new Reassembly(0, { limit: 1000 });
  assert.deepEqual(put(r, 900, 200), { data: [], fin: false, duplicate: 0, outside: 100, refused: 0 });
  assert.equal(put(r, 1000, 50).outside, 50); // wholly outside
  assert.equal(r.held, 100);
  const out = put(r, 0, 1500); // in order, but longer than the window
  assert.equal(out.outside, 500);
  assert.equal(out.duplicate, 100); // 900..999 was held
  assert.equal(joined(out.data).length, 1000);
  assert.equal(r.nxt, 1000);
  // The window slides with nxt: 1000..1999 fits now.
  assert.equal(put(r, 1500, 500).outside, 0);
  // The socket changes the limit as its receive window changes.
  r.limit = 0;
  assert.deepEqual(put(r, 1000, 10), { data: [], fin: false, duplicate: 0, outside: 10, refused: 0 });
});

test('maxPieces: a peer cannot make us hold thousands of tiny segments', () => {
  const r = new Reassembly(0, { limit: 65536, maxPieces: 4 });
  for (let seq = 10; seq < 100; seq += 10) put(r, seq, 1); // 9 one-byte segments, each alone
  assert.equal(r.pieces.length, 4);
  assert.equal(r.held, 4);
  assert.equal(put(r, 200, 1).refused, 1);
  // Data next to a held segment still needs a piece of its own: refused too.
  assert.equal(put(r, 11, 5).refused, 5);
  // In-order data needs no piece, and frees the pieces it catches up with.
  const out = put(r, 0, 50);
  assert.equal(out.refused, 0);
  assert.equal(r.nxt, 50);
  assert.equal(r.pieces.length, 0);
  // The default is one piece per 256 bytes of limit (at least 16).
  assert.equal(new Reassembly(0).maxPieces, 1024);
  assert.equal(new Reassembly(0, { limit: 1000 }).maxPieces, 16);
});

test('RFC 2018\'s examples, case 2: the first segment lost, one block that grows', () => {
  // 8 segments of 500 bytes from 5000; the one at 5000 is lost.
  const r = new Reassembly(5000);
  for (let seq = 5500; seq < 9000; seq += 500) {
    put(r, seq, 500);
    assert.equal(r.nxt, 5000); // each ACK says 5000
    assert.deepEqual(r.sackBlocks(), blocks([5500, seq + 500]));
  }
});

test('RFC 2018\'s examples, case 3: every other segment lost, most recent block first', () => {
  const r = new Reassembly(5000);
  put(r, 5000, 500);
  assert.equal(r.nxt, 5500);
  put(r, 6000, 500);
  assert.deepEqual(r.sackBlocks(3), blocks([6000, 6500]));
  put(r, 7000, 500);
  assert.deepEqual(r.sackBlocks(3), blocks([7000, 7500], [6000, 6500]));
  put(r, 8000, 500);
  assert.deepEqual(r.sackBlocks(3), blocks([8000, 8500], [7000, 7500], [6000, 6500]));
  // The 4th segment (6500) arrives: it joins two blocks, which go first.
  put(r, 6500, 500);
  assert.deepEqual(r.sackBlocks(3), blocks([6000, 7500], [8000, 8500]));
  // The 2nd (5500) arrives: the ACK moves to 7500, one block is left.
  const out = put(r, 5500, 500);
  assert.equal(joined(out.data).length, 2000);
  assert.equal(r.nxt, 7500);
  assert.deepEqual(r.sackBlocks(3), blocks([8000, 8500]));
});

test('the order a Linux receiver reported (test_wire_tcp\'s LINUX_SACK)', () => {
  // 100 bytes at 20101, then 100 at 20301, with 20001.. missing: Linux's
  // duplicate ACK listed [20301, 20401) before [20101, 20201).
  const r = new Reassembly(20001);
  put(r, 20101, 100);
  assert.deepEqual(r.sackBlocks(), blocks([20101, 20201]));
  put(r, 20301, 100);
  assert.deepEqual(r.sackBlocks(), blocks([20301, 20401], [20101, 20201]));
});

test('a repeated segment makes its block the most recent (RFC 2018 §4: the block holding the trigger goes first)', () => {
  const r = new Reassembly(0);
  put(r, 100, 10);
  put(r, 200, 10);
  put(r, 300, 10);
  assert.deepEqual(r.sackBlocks(), blocks([300, 310], [200, 210], [100, 110]));
  put(r, 100, 10); // a duplicate of the oldest
  assert.deepEqual(r.sackBlocks(), blocks([100, 110], [300, 310], [200, 210]));
  assert.deepEqual(r.sackBlocks(2), blocks([100, 110], [300, 310]));
  put(r, 205, 10); // overlaps [200, 210) and extends it
  assert.deepEqual(r.sackBlocks(1), blocks([200, 215]));
});

test('FIN in order: delivered with the data, and nxt steps over it', () => {
  const r = new Reassembly(1000);
  const out = put(r, 1000, 10, true);
  assert.equal(out.fin, true);
  assert.equal(joined(out.data).length, 10);
  assert.equal(r.nxt, 1011); // 10 bytes and the FIN
  assert.ok(r.finished);
  // A retransmission of it is a duplicate, and reports no second FIN.
  assert.deepEqual(put(r, 1000, 10, true), { data: [], fin: false, duplicate: 10, outside: 0, refused: 0 });
  // Nothing after the FIN is taken.
  assert.equal(put(r, 1011, 5).outside, 5);
  assert.equal(r.nxt, 1011);
});

test('FIN out of order: held until the data before it arrives, and SACKed as one more byte', () => {
  const r = new Reassembly(0);
  const early = put(r, 100, 50, true);
  assert.equal(early.fin, false);
  assert.deepEqual(r.sackBlocks(), blocks([100, 151])); // 50 bytes and the FIN
  assert.equal(put(r, 140, 30).outside, 20); // nothing past the FIN
  const out = put(r, 0, 100);
  assert.equal(out.fin, true);
  assert.equal(joined(out.data).length, 150);
  assert.equal(r.nxt, 151);
  assert.deepEqual(r.sackBlocks(), []);
});

test('a bare FIN: in order, out of order, and at the edge of a full window', () => {
  const bare = new Reassembly(7);
  assert.equal(bare.insert(7, undefined, { fin: true }).fin, true);
  assert.equal(bare.nxt, 8);
  const early = new Reassembly(0);
  early.insert(10, undefined, { fin: true });
  assert.deepEqual(early.sackBlocks(), blocks([10, 11]));
  assert.equal(put(early, 0, 10).fin, true);
  // A zero window still takes a FIN (it needs no buffer space), as Linux does.
  const full = new Reassembly(0, { limit: 0 });
  assert.equal(full.insert(0, undefined, { fin: true }).fin, true);
});

test('FINs that cannot be right are ignored', () => {
  // Cut off with its segment's tail by the limit (RFC 9293 trims the FIN too).
  const cut = new Reassembly(0, { limit: 100 });
  put(cut, 50, 100, true);
  assert.equal(cut.fin, null);
  // Before data already held: the held data says the stream goes on.
  const before = new Reassembly(0);
  put(before, 200, 10);
  put(before, 50, 10, true);
  assert.equal(before.fin, null);
  // A second FIN somewhere else: the first one stands.
  const twice = new Reassembly(0);
  put(twice, 100, 0, true);
  put(twice, 300, 0, true);
  assert.equal(twice.fin.seq, 100);
  assert.equal(put(twice, 0, 100).fin, true);
});

test('every byte given is accounted for: delivered, held, duplicate, outside or refused', () => {
  // A deterministic storm of overlapping, repeated and out-of-window segments.
  let state = 12345;
  const rand = (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const start = 0xfffff000; // so the storm crosses the wrap
  const r = new Reassembly(start, { limit: 3000, maxPieces: 20 });
  const stream = [];
  let given = 0;
  let accounted = 0;
  for (let i = 0; i < 3000; i++) {
    const seq = (r.nxt + rand(4000) - 500) >>> 0;
    const length = rand(300);
    const out = put(r, seq, length);
    given += length;
    for (const chunk of out.data) stream.push(chunk);
    accounted += out.duplicate + out.outside + out.refused + out.data.reduce((n, c) => n + c.length, 0);
  }
  assert.equal(given, accounted + r.held);
  // What came out is the stream itself, in order, without a byte missing or repeated.
  const data = joined(stream);
  assert.ok(data.length > 10000, `only ${data.length} bytes delivered`);
  assert.deepEqual(data, at(start, data.length));
  assert.equal(r.nxt, (start + data.length) >>> 0);
});
