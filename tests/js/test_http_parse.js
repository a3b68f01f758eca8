// Unit tests for fs/lib/http/parse.js and serialize.js: literal HTTP/1.1
// messages (RFC 9112) in, events out; malformed ones each with the status a
// server answers; what the serializer writes parses back.
const { MessageParser } = require('/lib/http/parse');
const { requestHead, responseHead, chunk, lastChunk } = require('/lib/http/serialize');
const { latin1Bytes, latin1Text, concatBytes } = require('/lib/http/bytes');

// Every event the parser gives for `text` pushed in pieces of `step` bytes
// (data joined into one string per message), then finish().
function parseAll(kind, text, { step = Infinity, limits, methods = [], finish = true } = {}) {
  const p = new MessageParser(kind, limits);
  for (const m of methods) p.expectResponseTo(m);
  const bytes = typeof text === 'string' ? latin1Bytes(text) : text;
  const messages = [];
  let current = null;
  const drain = () => {
    for (let e = p.next(); e !== null; e = p.next()) {
      if (e.type === 'head') current = { head: e.head, body: '' };
      else if (e.type === 'data') current.body += latin1Text(e.bytes);
      else if (e.type === 'end') {
        current.trailers = { ...e.trailers };
        messages.push(current);
        current = null;
      } else if (e.type === 'eof') return 'eof';
    }
    return null;
  };
  for (let i = 0; i < bytes.length; i += Math.min(step, bytes.length)) {
    p.push(bytes.subarray(i, Math.min(bytes.length, i + step)));
    drain();
  }
  if (finish) {
    p.finish();
    drain();
  }
  return { messages, pending: current, parser: p };
}

function status(kind, text, opts) {
  try {
    parseAll(kind, text, opts);
  } catch (e) {
    if (e.name !== 'HttpError') throw e;
    return e.status;
  }
  return 'accepted';
}

test('a GET request: request line, headers by lower-case name and as received', () => {
  const { messages } = parseAll('request', 'GET /a/b?x=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t\r\nAccept: a\r\naccept: b\r\n\r\n');
  assert.equal(messages.length, 1);
  const { head, body } = messages[0];
  assert.equal(head.method, 'GET');
  assert.equal(head.target, '/a/b?x=1');
  assert.equal(head.version, '1.1');
  assert.equal(head.headers.host, 'example.org');
  assert.equal(head.headers.accept, 'a, b');
  assert.deepEqual(head.rawHeaders, [['Host', 'example.org'], ['User-Agent', 't'], ['Accept', 'a'], ['accept', 'b']]);
  assert.equal(body, '');
});

test('the same request split at every byte gives the same message', () => {
  const text = 'POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world';
  for (const step of [1, 2, 3, 7, 1000]) {
    const { messages } = parseAll('request', text, { step });
    assert.equal(messages.length, 1, `step ${step}`);
    assert.equal(messages[0].body, 'hello world', `step ${step}`);
    assert.equal(messages[0].head.contentLength, 11);
  }
});

test('field values lose their surrounding whitespace, keep inner and obs-text bytes', () => {
  const { messages } = parseAll('request', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a  b \t\r\nX-B: caf\xe9\r\nX-Empty:\r\n\r\n');
  assert.equal(messages[0].head.headers['x-a'], 'a  b');
  assert.equal(messages[0].head.headers['x-b'], 'caf\xe9');
  assert.equal(messages[0].head.headers['x-empty'], '');
});

test('bare LF line ends are accepted (RFC 9112 §2.2), and empty lines before a request', () => {
  const { messages } = parseAll('request', '\r\n\nGET / HTTP/1.1\nHost: h\n\n');
  assert.equal(messages.length, 1);
  assert.equal(messages[0].head.headers.host, 'h');
});

test('pipelined requests come out in order, bodies between them', () => {
  const text =
    'GET /1 HTTP/1.1\r\nHost: h\r\n\r\n' +
    'POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc' +
    'PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n' +
    'HEAD /4 HTTP/1.1\r\nHost: h\r\n\r\n';
  for (const step of [1, 5, 10000]) {
    const { messages } = parseAll('request', text, { step });
    assert.deepEqual(messages.map((m) => `${m.head.method} ${m.head.target} ${m.body}`), ['GET /1 ', 'POST /2 abc', 'PUT /3 de', 'HEAD /4 ']);
  }
});

test('chunked: sizes in hex, extensions ignored, trailers kept apart from the head', () => {
  const text = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' + 'a;name=value\r\n0123456789\r\n' + '1B\r\nabcdefghijklmnopqrstuvwxyz!\r\n' + '0\r\nX-Digest: abc\r\nX-More: 1\r\n\r\n';
  for (const step of [1, 4, 10000]) {
    const { messages } = parseAll('request', text, { step });
    assert.equal(messages[0].body, '0123456789abcdefghijklmnopqrstuvwxyz!');
    assert.ok(messages[0].head.chunked);
    assert.deepEqual(messages[0].trailers, { 'x-digest': 'abc', 'x-more': '1' });
    assert.equal(messages[0].head.headers['x-digest'], undefined);
  }
});

test('the parser waits for more rather than guessing', () => {
  const { messages, pending } = parseAll('request', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc', { finish: false });
  assert.equal(messages.length, 0);
  assert.equal(pending.body, 'abc');
  assert.equal(parseAll('request', 'GET / HTTP/1.1\r\nHost: h\r\n', { finish: false }).pending, null);
});

test('input that ends between messages is eof; inside one is 400', () => {
  const p = new MessageParser('request');
  p.finish();
  assert.deepEqual(p.next(), { type: 'eof' });
  assert.equal(status('request', 'GET / HTTP/1.1\r\nHo'), 400);
  assert.equal(status('request', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab'), 400);
  assert.equal(status('request', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'), 400);
});

test('malformed requests, each with its status', () => {
  const cases = [
    ['GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  folded\r\n\r\n', 400, 'obs-fold'],
    ['GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n', 400, 'space before the colon'],
    ['GET / HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n', 400, 'no colon'],
    ['GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n', 400, 'empty name'],
    ['GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'two spaces'],
    ['GET /\r\nHost: h\r\n\r\n', 400, 'HTTP/0.9 form'],
    ['G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'method not a token'],
    ['GET / HTTP/1.1\r\n\r\n', 400, 'no Host'],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'two Host'],
    ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, 'HTTP/2'],
    ['GET / HTTP/1.10\r\nHost: h\r\n\r\n', 400, 'bad version'],
    ['GET / http/1.1\r\nHost: h\r\n\r\n', 400, 'lower-case version'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'CL and TE'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd', 400, 'two lengths'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 400, 'negative length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n', 400, 'not digits'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n', 400, 'huge length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n', 501, 'gzip alone'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501, 'gzip then chunked'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', 400, 'chunked twice'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'chunk size not hex'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n', 400, 'chunk longer than its size'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n', 400, 'chunk size overflow'],
    ['GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', 400, 'bare CR'],
    ['GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n', 400, 'NUL'],
  ];
  for (const [text, expected, what] of cases) assert.equal(status('request', text), expected, what);
});

test('limits: a long request line is 414, long or many fields 431, a large body 413', () => {
  const limits = { requestLine: 100, headerLine: 100, headerBytes: 400, headerCount: 5, body: 10 };
  assert.equal(status('request', `GET /${'a'.repeat(200)} HTTP/1.1\r\nHost: h\r\n\r\n`, { limits }), 414);
  assert.equal(status('request', `GET /${'a'.repeat(200)}`, { limits, finish: false }), 414, 'before the line has ended');
  assert.equal(status('request', `GET / HTTP/1.1\r\nHost: h\r\nX: ${'b'.repeat(200)}\r\n\r\n`, { limits }), 431);
  assert.equal(status('request', `GET / HTTP/1.1\r\nHost: h\r\nX: ${'b'.repeat(200)}`, { limits, finish: false }), 431, 'before the field has ended');
  assert.equal(status('request', `GET / HTTP/1.1\r\nHost: h\r\n${'X: 1\r\n'.repeat(6)}\r\n`, { limits }), 431);
  assert.equal(status('request', `GET / HTTP/1.1\r\nHost: h\r\n${'X: 12345678901234567890\r\n'.repeat(30)}`, { limits, finish: false }), 431, 'a section that never ends');
  assert.equal(status('request', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n', { limits, finish: false }), 413, 'from its length');
  assert.equal(status('request', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n', { limits, finish: false }), 413, 'chunked');
  assert.equal(status('request', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789', { limits }), 'accepted');
});

test('HTTP/1.0 needs no Host; its version is kept', () => {
  const { messages } = parseAll('request', 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(messages[0].head.version, '1.0');
});

test('a parser that has failed stays failed', () => {
  const p = new MessageParser('request');
  p.push(latin1Bytes('BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'));
  assert.throws(() => p.next(), /request line/);
  assert.throws(() => p.next(), /malformed/);
});

test('responses: status line, reason phrases (even empty), length, chunked, until close', () => {
  let r = parseAll('response', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', { methods: ['GET'] });
  assert.equal(r.messages[0].head.status, 200);
  assert.equal(r.messages[0].head.reason, 'OK');
  assert.equal(r.messages[0].body, 'hello');
  r = parseAll('response', 'HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n', { methods: ['GET'] });
  assert.equal(r.messages[0].head.status, 404);
  assert.equal(r.messages[0].head.reason, '');
  r = parseAll('response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', { methods: ['GET'], step: 2 });
  assert.equal(r.messages[0].body, 'abc');
  r = parseAll('response', 'HTTP/1.0 200 OK\r\n\r\nuntil the end', { methods: ['GET'], step: 3 });
  assert.equal(r.messages[0].body, 'until the end');
  assert.ok(r.messages[0].head.mustClose);
  const unfinished = parseAll('response', 'HTTP/1.0 200 OK\r\n\r\nuntil the end', { methods: ['GET'], finish: false });
  assert.equal(unfinished.messages.length, 0, 'no end before the close');
});

test('responses without a body: to HEAD, 1xx, 204, 304, whatever Content-Length says', () => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' + 'HTTP/1.1 204 No Content\r\n\r\n' + 'HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const { messages } = parseAll('response', text, { methods: ['HEAD', 'GET', 'GET', 'GET'] });
  assert.deepEqual(messages.map((m) => `${m.head.status}:${m.body}`), ['200:', '204:', '304:', '200:ok']);
  assert.equal(messages[0].head.headers['content-length'], '1000');
});

test('a response with both lengths: chunked wins and the connection must close', () => {
  const { messages } = parseAll('response', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', { methods: ['GET'] });
  assert.equal(messages[0].body, 'ok');
  assert.ok(messages[0].head.mustClose);
});

test('malformed responses are 400s to the client', () => {
  assert.equal(status('response', 'HTTP/1.1 2000 OK\r\n\r\n', { methods: ['GET'] }), 400);
  assert.equal(status('response', 'HTTP/1.1 OK\r\n\r\n', { methods: ['GET'] }), 400);
  assert.equal(status('response', 'ICY 200 OK\r\n\r\n', { methods: ['GET'] }), 400);
  assert.equal(status('response', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab', { methods: ['GET'] }), 400, 'truncated');
});

test('serializer: a request head, byte for byte', () => {
  const bytes = requestHead({ method: 'POST', target: '/x?y', headers: { Host: 'h:8080', 'Content-Length': 3, Cookie: ['a=1', 'b=2'] } });
  assert.equal(latin1Text(bytes), 'POST /x?y HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 3\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n');
});

test('serializer: a response head with the standard reason, or one given', () => {
  assert.equal(latin1Text(responseHead({ status: 404, headers: [['Content-Length', '0']] })), 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  assert.equal(latin1Text(responseHead({ status: 200, reason: 'Fine', version: '1.0' })), 'HTTP/1.0 200 Fine\r\n\r\n');
});

test('serializer refuses what would split a message', () => {
  assert.throws(() => responseHead({ status: 200, headers: { 'X-A': 'a\r\nSet-Cookie: evil' } }), /CR, LF/);
  assert.throws(() => responseHead({ status: 200, headers: { 'X A': 'a' } }), /name/);
  assert.throws(() => requestHead({ method: 'GET', target: '/a b' }), /target/);
  assert.throws(() => requestHead({ method: 'G T', target: '/' }), /method/);
  assert.throws(() => responseHead({ status: 99 }), /status/);
});

test('serializer: chunked framing parses back to the same body and trailers', () => {
  const head = requestHead({ method: 'PUT', target: '/', headers: { Host: 'h', 'Transfer-Encoding': 'chunked' } });
  const pieces = ['', 'a', 'x'.repeat(300), '\r\n0\r\n'].map((s) => chunk(latin1Bytes(s)));
  assert.equal(pieces[0].length, 0, 'an empty chunk writes nothing');
  assert.equal(latin1Text(pieces[1]), '1\r\na\r\n');
  const bytes = concatBytes([head, ...pieces, lastChunk({ 'X-Sum': '7' })]);
  const { messages } = parseAll('request', bytes, { step: 7 });
  assert.equal(messages[0].body, 'a' + 'x'.repeat(300) + '\r\n0\r\n');
  assert.deepEqual(messages[0].trailers, { 'x-sum': '7' });
});
