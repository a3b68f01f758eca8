// Unit tests for fs/lib/web/readable-stream.js, utf8-bytes.js and body.js:
// the stream a body reads through (WHATWG Streams: start, pull under the
// high-water mark, close, error, cancel, readers, async iteration, tee), the
// UTF-8 steps against literal byte vectors (Encoding, "UTF-8"), and the Body
// mixin (Fetch, "Body mixin"): what each body kind becomes, its Content-Type, and that
// a body reads once.
const { ReadableStream, streamFromBytes } = require('/lib/web/readable-stream');
const { utf8Encode, utf8Decode } = require('/lib/web/utf8-bytes');
const { kBody, extractBody, mixinBody, cloneBody } = require('/lib/web/body');

const bytes = (...b) => Uint8Array.from(b);
const tick = () => new Promise((resolve) => resolve()).then(() => undefined).then(() => undefined);
async function readAllChunks(stream) {
  const out = [];
  for await (const c of stream) out.push(c);
  return out;
}

// A holder of a body, as Request and Response are.
const Holder = mixinBody(
  class {
    constructor(init) {
      const { body, type } = init === null ? { body: null, type: null } : extractBody(init);
      this[kBody] = body;
      this.type = type;
    }
  },
);
class SearchParams {
  toString() {
    return 'a=1&b=%C3%A9';
  }
  get [Symbol.toStringTag]() {
    return 'URLSearchParams';
  }
}

// --- ReadableStream ----------------------------------------------------------

test('start enqueues, the reader reads in order, then done; closed resolves', async () => {
  const s = new ReadableStream({
    start(c) {
      c.enqueue('a');
      c.enqueue('b');
      c.close();
    },
  });
  const r = s.getReader();
  assert.equal(s.locked, true);
  assert.deepEqual(await r.read(), { value: 'a', done: false });
  assert.deepEqual(await r.read(), { value: 'b', done: false });
  assert.deepEqual(await r.read(), { value: undefined, done: true });
  assert.deepEqual(await r.read(), { value: undefined, done: true });
  await r.closed;
  r.releaseLock();
  assert.equal(s.locked, false);
});

test('pull runs only while the queue is under the high-water mark, never twice at once', async () => {
  let pulls = 0;
  const s = new ReadableStream(
    {
      pull(c) {
        pulls++;
        c.enqueue(pulls);
        if (pulls === 5) c.close();
      },
    },
    { highWaterMark: 2 },
  );
  await tick();
  await tick();
  assert.equal(pulls, 2, 'filled to the high-water mark and stopped');
  const r = s.getReader();
  const got = [];
  for (let x = await r.read(); !x.done; x = await r.read()) got.push(x.value);
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
  assert.equal(pulls, 5);

  let active = 0;
  let most = 0;
  const slow = new ReadableStream({
    pull(c) {
      most = Math.max(most, ++active);
      return tick().then(() => {
        active--;
        c.enqueue('x');
      });
    },
  });
  const sr = slow.getReader();
  await Promise.all([sr.read(), sr.read(), sr.read()]);
  assert.equal(most, 1);
});

test('a pending read is answered by a later enqueue, and by close with done', async () => {
  let ctl;
  const s = new ReadableStream({ start: (c) => (ctl = c) }, { highWaterMark: 0 });
  const r = s.getReader();
  const first = r.read();
  const second = r.read();
  ctl.enqueue('late');
  ctl.close();
  assert.deepEqual(await first, { value: 'late', done: false });
  assert.deepEqual(await second, { value: undefined, done: true });
  assert.throws(() => ctl.enqueue('x'), /closing or closed/);
  assert.throws(() => ctl.close(), /closing or closed/);
});

test('an error reaches waiting reads, later reads and closed; queued chunks are dropped', async () => {
  let ctl;
  const s = new ReadableStream({ start: (c) => (ctl = c) });
  const r = s.getReader();
  const waiting = r.read();
  const boom = new Error('boom');
  ctl.error(boom);
  assert.equal(await assert.rejects(waiting), boom);
  assert.equal(await assert.rejects(r.read()), boom);
  assert.equal(await assert.rejects(r.closed), boom);
  assert.equal(ctl.desiredSize, null);

  const fromPull = new ReadableStream({
    pull() {
      throw new TypeError('pull failed');
    },
  });
  await assert.rejects(fromPull.getReader().read(), /pull failed/);
  const fromStart = new ReadableStream({ start: () => Promise.reject(new Error('start failed')) });
  await assert.rejects(fromStart.getReader().read(), /start failed/);
});

test('a locked stream refuses a second reader and cancel; releaseLock fails waiting reads', async () => {
  const s = new ReadableStream({});
  const r = s.getReader();
  assert.throws(() => s.getReader(), /locked/);
  await assert.rejects(s.cancel(), /locked/);
  const pending = r.read();
  r.releaseLock();
  await assert.rejects(pending, /released/);
  await assert.rejects(r.read(), /released/);
  assert.equal(s.locked, false);
  s.getReader();
});

test('cancel tells the source why, empties the queue and ends reads', async () => {
  let reason = null;
  const s = new ReadableStream({
    start(c) {
      c.enqueue(1);
    },
    cancel(why) {
      reason = why;
    },
  });
  const r = s.getReader();
  assert.equal(await r.cancel('enough'), undefined);
  assert.equal(reason, 'enough');
  assert.deepEqual(await r.read(), { value: undefined, done: true });
});

test('for await reads every chunk; leaving the loop early cancels the stream', async () => {
  assert.deepEqual(await readAllChunks(ReadableStream.from(['a', 'b', 'c'])), ['a', 'b', 'c']);
  let canceled = false;
  let n = 0;
  const endless = new ReadableStream({
    pull: (c) => c.enqueue(n++),
    cancel: () => {
      canceled = true;
    },
  });
  const seen = [];
  for await (const x of endless) {
    seen.push(x);
    if (x === 2) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.ok(canceled);
  assert.equal(endless.locked, false);
  const failing = new ReadableStream({ start: (c) => c.error(new Error('bad')) });
  await assert.rejects(readAllChunks(failing), /bad/);
});

test('tee gives both branches every chunk, whichever reads first', async () => {
  const [a, b] = ReadableStream.from(['x', 'y']).tee();
  assert.deepEqual(await readAllChunks(a), ['x', 'y']);
  assert.deepEqual(await readAllChunks(b), ['x', 'y']);
  const s = streamFromBytes(bytes(1, 2));
  const [c, d] = s.tee();
  assert.ok(s.locked, 'the original is locked to the tee');
  assert.deepEqual(await readAllChunks(d), [bytes(1, 2)]);
  assert.deepEqual(await readAllChunks(c), [bytes(1, 2)]);
});

test('tee: one branch canceled, the other still reads to the end; the source is canceled only when both are', async () => {
  let canceled = null;
  const s = new ReadableStream({
    start(c) {
      c.enqueue('a');
      c.enqueue('b');
      c.close();
    },
    cancel: (why) => {
      canceled = why;
    },
  });
  const [a, b] = s.tee();
  let aCanceled = false;
  const aCancel = a.cancel('a done').then(() => (aCanceled = true));
  await Promise.resolve();
  assert.equal(aCanceled, false, "a branch's cancel waits for the other branch or the end");
  assert.deepEqual(await readAllChunks(b), ['a', 'b']);
  assert.equal(canceled, null);
  await aCancel;

  const endless = new ReadableStream({ pull: (c) => c.enqueue(1), cancel: (why) => (canceled = why) });
  const [c, d] = endless.tee();
  const both = Promise.all([c.cancel('c'), d.cancel('d')]);
  await both;
  assert.deepEqual(canceled, ['c', 'd'], 'both reasons reach the source');
});

// --- UTF-8 -------------------------------------------------------------------

test('UTF-8 encode: each sequence length; a lone surrogate becomes U+FFFD', () => {
  assert.deepEqual(utf8Encode('a\u00e9\u20ac\u{1f600}'), bytes(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
  assert.deepEqual(utf8Encode('\ud800x\udc00'), bytes(0xef, 0xbf, 0xbd, 0x78, 0xef, 0xbf, 0xbd));
  assert.deepEqual(utf8Encode(''), bytes());
});

test('UTF-8 decode: a BOM dropped, each maximal bad subpart one U+FFFD (Encoding, UTF-8 decoder)', () => {
  assert.equal(utf8Decode(bytes(0xef, 0xbb, 0xbf, 0x68, 0x69)), 'hi');
  assert.equal(utf8Decode(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf)), '\ufeff', 'only the first BOM goes');
  assert.equal(utf8Decode(bytes(0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9)), '\u{1f600}\u00e9');
  assert.equal(utf8Decode(bytes(0xff, 0x61)), '\ufffda');
  assert.equal(utf8Decode(bytes(0xe2, 0x82, 0x61)), '\ufffda', 'a truncated sequence is one U+FFFD');
  assert.equal(utf8Decode(bytes(0xed, 0xa0, 0x80)), '\ufffd\ufffd\ufffd', 'an encoded surrogate is three');
  assert.equal(utf8Decode(bytes(0xc0, 0xaf)), '\ufffd\ufffd', 'an overlong form');
  assert.equal(utf8Decode(bytes(0xf0, 0x9f, 0x98)), '\ufffd', 'cut at the end');
  const long = new Uint8Array(50000).fill(0x41);
  assert.equal(utf8Decode(long).length, 50000);
});

// --- the Body mixin ----------------------------------------------------------

test('a string body is UTF-8 with text/plain;charset=UTF-8', async () => {
  const h = new Holder('h\u00e9');
  assert.equal(h.type, 'text/plain;charset=UTF-8');
  assert.ok(h.body instanceof ReadableStream);
  assert.equal(h.bodyUsed, false);
  assert.deepEqual(await h.bytes(), bytes(0x68, 0xc3, 0xa9));
  assert.equal(h.bodyUsed, true);
});

test('bytes bodies are copied when made and have no Content-Type', async () => {
  const buf = new Uint8Array([1, 2, 3, 4]);
  const fromView = new Holder(buf.subarray(1, 3));
  const fromBuffer = new Holder(buf.buffer);
  const fromDataView = new Holder(new DataView(buf.buffer, 2));
  buf[1] = 99;
  assert.equal(fromView.type, null);
  assert.deepEqual(await fromView.bytes(), bytes(2, 3));
  const ab = await fromBuffer.arrayBuffer();
  assert.ok(ab instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(ab), bytes(1, 2, 3, 4));
  assert.deepEqual(await fromDataView.bytes(), bytes(3, 4));
  assert.deepEqual(await new Holder(new Uint16Array([0x0201])).bytes(), bytes(1, 2));
});

test('a URLSearchParams body is its string, form-urlencoded', async () => {
  const h = new Holder(new SearchParams());
  assert.equal(h.type, 'application/x-www-form-urlencoded;charset=UTF-8');
  assert.equal(await h.text(), 'a=1&b=%C3%A9');
  const other = new Holder({ toString: () => 'plain' });
  assert.equal(other.type, 'text/plain;charset=UTF-8', 'any other object is a string');
  assert.equal(await other.text(), 'plain');
});

test('a null body: body is null, never used, and reads as empty', async () => {
  const h = new Holder(null);
  assert.equal(h.body, null);
  assert.equal(await h.text(), '');
  assert.equal(h.bodyUsed, false);
  assert.deepEqual(await h.bytes(), bytes());
  assert.equal((await h.arrayBuffer()).byteLength, 0);
  await assert.rejects(h.json(), /JSON|Unexpected/);
});

test('a stream body reads through; a second read is a TypeError "body used already"', async () => {
  const h = new Holder(ReadableStream.from([bytes(0x7b, 0x22), utf8Encode('a":[1,"\u00e9"]}')]));
  assert.equal(h.type, null);
  assert.deepEqual(await h.json(), { a: [1, '\u00e9'] });
  assert.equal(h.bodyUsed, true);
  for (const read of ['text', 'json', 'arrayBuffer', 'bytes']) {
    const e = await assert.rejects(h[read](), /body used already/);
    assert.ok(e instanceof TypeError, read);
  }
});

test('a body stream locked by a reader is unusable; a chunk not a Uint8Array fails the read', async () => {
  const h = new Holder(streamFromBytes(bytes(1)));
  h.body.getReader();
  assert.equal(h.bodyUsed, false, 'locked, not yet read');
  await assert.rejects(h.text(), /body used already/);
  await assert.rejects(new Holder(ReadableStream.from(['a string'])).text(), /Uint8Array/);
  const used = streamFromBytes(bytes(1));
  await used.getReader().read();
  assert.throws(() => new Holder(used), /disturbed or locked/);
});

test('json() rejects text that is not JSON; text() decodes with replacement', async () => {
  await assert.rejects(new Holder('{nope').json());
  assert.equal(await new Holder(bytes(0x61, 0xff)).text(), 'a\ufffd');
});

test('a cloned body reads the same bytes on both sides, in either order', async () => {
  const h = new Holder(ReadableStream.from([bytes(1), bytes(2)]));
  const other = { [kBody]: cloneBody(h) };
  Object.setPrototypeOf(other, Object.getPrototypeOf(h));
  assert.deepEqual(await other.bytes(), bytes(1, 2));
  assert.equal(h.bodyUsed, false);
  assert.deepEqual(await h.bytes(), bytes(1, 2));
});

test('a body stream that errors part-way fails text() with its error', async () => {
  let n = 0;
  const h = new Holder(
    new ReadableStream({
      pull(c) {
        if (n++ === 0) c.enqueue(utf8Encode('part'));
        else c.error(new Error('connection reset'));
      },
    }),
  );
  await assert.rejects(h.text(), /connection reset/);
  assert.equal(h.bodyUsed, true);
});

// A body made from bytes makes its stream only when asked (body.js, BytesBody):
// every path must behave as if the stream had been there all along.
test('a bytes body read with no stream made: used once, and its stream afterwards is closed and disturbed', async () => {
  const h = new Holder('abc');
  assert.equal(await h.text(), 'abc');
  assert.equal(h.bodyUsed, true);
  await assert.rejects(h.text(), /body used already/);
  const stream = h.body; // made now, after the read
  assert.ok(stream instanceof ReadableStream);
  assert.deepEqual(await readAllChunks(stream), [], 'a read body has nothing left to give');
  const bytesRead = await new Holder('xyz').bytes();
  bytesRead[0] = 0;
  const again = new Holder('xyz');
  assert.deepEqual(await again.bytes(), utf8Encode('xyz'), 'each read gets its own copy');
});

test('a bytes body whose stream was asked for reads through it, and a locked one is unusable', async () => {
  const h = new Holder('stream me');
  const reader = h.body.getReader();
  assert.equal(h.bodyUsed, false);
  await assert.rejects(h.text(), /body used already/);
  assert.deepEqual((await reader.read()).value, utf8Encode('stream me'));
  assert.equal(h.bodyUsed, true);
  const unread = new Holder('x');
  assert.ok(unread.body instanceof ReadableStream);
  assert.equal(await unread.text(), 'x');
});

test('a bytes body cloned before any stream: both read all, in either order; a clone of a used body is refused by its owner', async () => {
  const h = new Holder(bytes(5, 6));
  const other = { [kBody]: cloneBody(h) };
  Object.setPrototypeOf(other, Object.getPrototypeOf(h));
  assert.deepEqual(await h.bytes(), bytes(5, 6));
  assert.equal(other.bodyUsed, false);
  assert.deepEqual(await other.bytes(), bytes(5, 6));
});
