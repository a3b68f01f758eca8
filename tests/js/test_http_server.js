// Unit tests for fs/lib/http/server.js driven through fake connections:
// literal requests in, the exact bytes written out. Keep-alive, pipelining
// in order, HEAD, HTTP/1.0, chunked responses, 100-continue, errors, and
// the timeouts with injected time.
const { createServer } = require('/lib/http/server');
const { latin1Bytes, latin1Text } = require('/lib/http/bytes');

// A connection whose peer sends `chunks` then (if `fin`) finishes.
function fakeConnection(chunks, { fin = true } = {}) {
  const queue = chunks.map((c) => (typeof c === 'string' ? latin1Bytes(c) : c));
  const conn = {
    written: '',
    ended: false,
    closed: false,
    remoteAddress: '10.0.0.9',
    remotePort: 4000,
    waiting: null,
    read() {
      if (queue.length) return Promise.resolve(queue.shift());
      if (fin) return Promise.resolve(null);
      return new Promise((resolve) => (conn.waiting = resolve));
    },
    feed(text) {
      const w = conn.waiting;
      conn.waiting = null;
      if (w) w(latin1Bytes(text));
    },
    async write(bytes) {
      if (conn.ended) throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
      conn.written += latin1Text(bytes);
    },
    async end() {
      conn.ended = true;
    },
    async close() {
      conn.closed = true;
    },
    setNoDelay() {},
  };
  return conn;
}

// Time that moves only when the test says.
function fakeTimers() {
  const t = { time: 0, pending: [] };
  t.now = () => t.time;
  t.setTimeout = (fn, ms) => {
    const timer = { at: t.time + ms, fn };
    t.pending.push(timer);
    return timer;
  };
  t.clearTimeout = (timer) => (t.pending = t.pending.filter((p) => p !== timer));
  t.advance = (ms) => {
    t.time += ms;
    const due = t.pending.filter((p) => p.at <= t.time);
    t.pending = t.pending.filter((p) => p.at > t.time);
    for (const p of due) p.fn();
  };
  return t;
}

const settle = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

// Responses in what was written, without their Date lines.
const responses = (written) => written.replace(/Date: [^\r]*\r\n/g, '');

const echo = async (req, res) => {
  const body = await req.text();
  res.setHeader('Content-Type', 'text/plain');
  await res.end(`${req.method} ${req.path} q=${req.query} body=${body}`);
};

async function serve(handler, chunks, options = {}) {
  const conn = fakeConnection(chunks);
  await createServer(handler, { timers: fakeTimers(), ...options }).serveConnection(conn);
  return conn;
}

test('one request, one response with its Content-Length, then the close at the peer\'s FIN', async () => {
  const conn = await serve(echo, ['GET /a?b=1 HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(responses(conn.written), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\nGET /a q=b=1 body=');
  assert.ok(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/.test(conn.written), 'a Date field');
  assert.ok(conn.closed);
});

test('keep-alive: pipelined requests answered in order on one connection', async () => {
  const conn = await serve(echo, [
    'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi',
    'GET /3 HTTP/1.1\r\nHost: h\r\n\r\n',
  ]);
  const bodies = responses(conn.written).split('HTTP/1.1 200 OK').slice(1).map((r) => r.split('\r\n\r\n')[1]);
  assert.deepEqual(bodies, ['GET /1 q= body=', 'POST /2 q= body=hi', 'GET /3 q= body=']);
});

test('Connection: close ends the connection after its answer, and says so', async () => {
  const conn = await serve(echo, ['GET /1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal((conn.written.match(/HTTP\/1.1 200/g) || []).length, 1);
  assert.ok(conn.written.includes('\r\nConnection: close\r\n'));
  assert.ok(conn.ended && conn.closed);
});

test('HTTP/1.0: closed after one answer unless it asks for keep-alive, then told keep-alive', async () => {
  let conn = await serve(echo, ['GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n']);
  assert.equal((conn.written.match(/HTTP\/1.1 200/g) || []).length, 1);
  assert.ok(conn.written.includes('Connection: close'));
  conn = await serve(echo, ['GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n']);
  assert.equal((conn.written.match(/Connection: keep-alive\r\n/g) || []).length, 2, 'ab keeps a connection only when told');
  assert.ok(conn.written.includes('Content-Length: 14'));
});

test('a body written in pieces goes chunked to HTTP/1.1, until close to HTTP/1.0', async () => {
  const streaming = async (req, res) => {
    await res.write('abc');
    await res.write('');
    await res.write('defgh');
    await res.end();
  };
  let conn = await serve(streaming, ['GET / HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(responses(conn.written), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n');
  conn = await serve(streaming, ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n']);
  assert.equal(responses(conn.written), 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabcdefgh');
});

test('HEAD: the headers GET would have, no body, and the connection goes on', async () => {
  const handler = async (req, res) => {
    res.setHeader('Content-Length', '5');
    await res.end(req.method === 'HEAD' ? undefined : 'hello');
  };
  const conn = await serve(handler, ['HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(responses(conn.written), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  const auto = await serve(async (req, res) => res.end('twelve bytes'), ['HEAD / HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(responses(auto.written), 'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n', 'the length of what GET would send');
});

test('204 and 304 get no body and no length', async () => {
  const conn = await serve(async (req, res) => {
    res.statusCode = req.path === '/a' ? 204 : 304;
    await res.end();
  }, ['GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n']);
  assert.equal(responses(conn.written), 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n');
});

test('a malformed request gets its status and the close', async () => {
  const cases = [
    ['GET / HTTP/1.1\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n', 400],
    [`GET /${'a'.repeat(9000)} HTTP/1.1\r\n`, 414],
    [`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(9000)}\r\n\r\n`, 431],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['GET / HTTP/3.0\r\nHost: h\r\n\r\n', 505],
  ];
  for (const [text, status] of cases) {
    const conn = await serve(echo, [text]);
    assert.ok(conn.written.startsWith(`HTTP/1.1 ${status} `), `${status}: ${conn.written.slice(0, 40)}`);
    assert.ok(conn.written.includes('Connection: close'));
    assert.ok(conn.closed);
  }
});

test('a body over the limit is 413, from its Content-Length or as it arrives', async () => {
  let conn = await serve(echo, ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n'], { limits: { body: 10 } });
  assert.ok(conn.written.startsWith('HTTP/1.1 413 Content Too Large'));
  conn = await serve(echo, ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n', '8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n'], { limits: { body: 10 } });
  assert.ok(conn.written.startsWith('HTTP/1.1 413 Content Too Large'), conn.written);
});

test('Expect: 100-continue is answered before the handler reads the body; others get 417', async () => {
  let conn = await serve(echo, ['PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n', 'abc']);
  assert.ok(responses(conn.written).startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'), conn.written);
  assert.ok(conn.written.endsWith('body=abc'));
  conn = await serve(echo, ['PUT /x HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 3\r\n\r\nabc']);
  assert.ok(conn.written.startsWith('HTTP/1.1 417 Expectation Failed'));
});

test('a body the handler did not read is dropped so the next request parses', async () => {
  const conn = await serve(async (req, res) => res.end(req.path), [
    'POST /1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n',
  ]);
  assert.ok(responses(conn.written).endsWith('\r\n\r\n/1HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n/2'), conn.written);
});

test('a handler that throws: 500 before the head is out, a cut connection after', async () => {
  const errors = [];
  const onError = (e) => errors.push(e.message);
  let conn = await serve(async () => {
    throw new Error('boom');
  }, ['GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'], { onError });
  assert.ok(conn.written.startsWith('HTTP/1.1 500 Internal Server Error'));
  assert.equal((conn.written.match(/HTTP\/1.1/g) || []).length, 1, 'and the close');
  conn = await serve(async (req, res) => {
    await res.write('partial');
    throw new Error('late');
  }, ['GET / HTTP/1.1\r\nHost: h\r\n\r\n'], { onError });
  assert.ok(conn.written.endsWith('7\r\npartial\r\n'), 'no last chunk: the client sees the body cut short');
  assert.deepEqual(errors, ['boom', 'late']);
});

test('timeouts: an idle kept-alive connection closes quietly; a head that stops coming gets 408', async () => {
  const timers = fakeTimers();
  let conn = fakeConnection(['GET / HTTP/1.1\r\nHost: h\r\n\r\n'], { fin: false });
  let done = createServer(echo, { timers }).serveConnection(conn);
  await settle();
  assert.ok(conn.written.includes('200 OK'));
  timers.advance(4999);
  await settle();
  assert.ok(!conn.ended, 'still open before the idle timeout');
  timers.advance(1);
  await settle();
  timers.advance(2000); // the lingering close's own wait
  await done;
  assert.ok(conn.closed);
  assert.equal((conn.written.match(/HTTP\/1.1/g) || []).length, 1, 'nothing more written');

  conn = fakeConnection(['GET / HTTP/1.1\r\nHo'], { fin: false });
  done = createServer(echo, { timers }).serveConnection(conn);
  await settle();
  timers.advance(10000);
  await settle();
  timers.advance(2000);
  await done;
  assert.ok(conn.written.startsWith('HTTP/1.1 408 Request Timeout'), conn.written);
});

test('a slow client that keeps sending bytes of its head is still cut off at the deadline', async () => {
  const timers = fakeTimers();
  const conn = fakeConnection([], { fin: false });
  const done = createServer(echo, { timers }).serveConnection(conn);
  await settle();
  for (let i = 0; i < 14; i++) {
    conn.feed('X');
    await settle();
    timers.advance(1000);
    await settle();
  }
  timers.advance(2000);
  await settle();
  await done;
  assert.ok(conn.written.startsWith('HTTP/1.1 408'), conn.written);
});

test('over maxConnections a new connection gets 503 with Retry-After and the close; a freed slot serves again', async () => {
  const timers = fakeTimers();
  const server = createServer(echo, { timers, maxConnections: 2 });
  const incoming = [];
  let waiting = null;
  // A listener whose accept() hands out the connections the test pushes.
  server.listener = {
    accept: () => (incoming.length ? Promise.resolve(incoming.shift()) : new Promise((resolve) => (waiting = resolve))),
  };
  const arrive = async (conn) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(conn);
    } else incoming.push(conn);
    await settle();
  };
  server.acceptLoop();
  const held = [fakeConnection([], { fin: false }), fakeConnection([], { fin: false })];
  for (const c of held) await arrive(c);
  const extra = fakeConnection(['GET / HTTP/1.1\r\nHost: h\r\n\r\n'], { fin: false });
  await arrive(extra);
  assert.ok(extra.written.startsWith('HTTP/1.1 503 Service Unavailable\r\n'), extra.written);
  assert.ok(extra.written.includes('\r\nRetry-After: 1\r\n') && extra.written.includes('\r\nConnection: close\r\n'), extra.written);
  assert.ok(extra.ended, 'our FIN went at once');
  timers.advance(500); // its short linger
  await settle();
  assert.ok(extra.closed);
  assert.equal(server.refused, 1);
  assert.equal(held[0].written, '', 'the held connections are untouched');

  held[0].feed('GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'); // one finishes...
  await settle();
  assert.ok(held[0].written.includes('200 OK'));
  const next = fakeConnection(['GET /b HTTP/1.1\r\nHost: h\r\n\r\n'], { fin: false });
  await arrive(next); // ...and its slot serves the next
  assert.ok(next.written.startsWith('HTTP/1.1 200 OK'), next.written);
  assert.equal(server.refused, 1);
});
