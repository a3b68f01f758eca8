// Unit tests for fs/lib/web/request.js, response.js, url-string.js and
// index.js: the Fetch standard's Request and Response classes, after
// web-platform-tests' fetch/api/request and fetch/api/response cases:
// method normalization and forbidden methods, bodies refused on GET, HEAD
// and the null body statuses, status and statusText checks, the static
// constructors, init overriding an input Request, and clone().
const { Request } = require('/lib/web/request');
const { Response } = require('/lib/web/response');
const { Headers } = require('/lib/web/headers');
const { ReadableStream } = require('/lib/web/readable-stream');
const web = require('/lib/web/index');

const thrown = (fn) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
};
// Runs fn with globalThis.URL set to `URLClass` (the isolate has none of its own).
function withURL(URLClass, fn) {
  const had = Object.getOwnPropertyDescriptor(globalThis, 'URL');
  globalThis.URL = URLClass;
  try {
    return fn();
  } finally {
    if (had) Object.defineProperty(globalThis, 'URL', had);
    else delete globalThis.URL;
  }
}

// --- Request -----------------------------------------------------------------

test('a Request from a URL string: GET, follow, no body, no signal', () => {
  const r = new Request('https://example.org/a?b#c');
  assert.equal(r.url, 'https://example.org/a?b#c');
  assert.equal(r.method, 'GET');
  assert.equal(r.redirect, 'follow');
  assert.equal(r.signal, null);
  assert.equal(r.body, null);
  assert.equal(r.bodyUsed, false);
  assert.ok(r.headers instanceof Headers);
  assert.equal(Object.prototype.toString.call(r), '[object Request]');
  assert.equal(new Request({ href: 'http://h/x' }).url, 'http://h/x', 'a URL-like object by its href');
  assert.equal(new Request(' \thttp://h/\n ').url, 'http://h/', 'trimmed as a URL parser would');
});

test('a relative URL, a URL with credentials, or no input at all is a TypeError', () => {
  assert.ok(thrown(() => new Request('/relative')) instanceof TypeError);
  assert.ok(thrown(() => new Request('example.org')) instanceof TypeError);
  assert.ok(thrown(() => new Request('http://user:pass@example.org/')) instanceof TypeError);
  assert.ok(thrown(() => new Request()) instanceof TypeError);
});

test('with a global URL, request and redirect URLs are parsed and serialized by it', () => {
  class FakeURL {
    constructor(s) {
      if (!s.toLowerCase().startsWith('http')) throw new Error('Invalid URL');
      this.href = s.toLowerCase() + (s.includes('/', 8) ? '' : '/');
      this.username = s.includes('@') ? 'u' : '';
      this.password = '';
    }
  }
  withURL(FakeURL, () => {
    assert.equal(new Request('HTTP://Example.ORG').url, 'http://example.org/');
    assert.throws(() => new Request('ftp://x/'), /invalid URL/);
    assert.throws(() => new Request('http://u@h/'), /credentials/);
    assert.equal(Response.redirect('HTTP://A.B/x').headers.get('location'), 'http://a.b/x');
  });
});

test('methods: the six are upper-cased, others kept as given, forbidden ones refused', () => {
  const m = (method) => new Request('http://h/', { method }).method;
  for (const name of ['delete', 'get', 'head', 'options', 'post', 'put']) assert.equal(m(name), name.toUpperCase());
  assert.equal(m('pOsT'), 'POST');
  assert.equal(m('patch'), 'patch', 'PATCH is not normalized');
  assert.equal(m('PATCH'), 'PATCH');
  assert.equal(m('MyMethod'), 'MyMethod');
  for (const bad of ['CONNECT', 'connect', 'TRACE', 'trace', 'TrAcK']) {
    assert.ok(thrown(() => m(bad)) instanceof TypeError, bad);
  }
  for (const bad of ['', 'a b', 'GET\r\n', '\u0100']) assert.ok(thrown(() => m(bad)) instanceof TypeError, JSON.stringify(bad));
});

test('GET and HEAD with a body are refused; a null or undefined body is no body', () => {
  for (const method of ['GET', 'HEAD', 'get', 'head']) {
    assert.throws(() => new Request('http://h/', { method, body: 'x' }), /GET or HEAD/);
    assert.equal(new Request('http://h/', { method, body: null }).body, null);
  }
  assert.throws(() => new Request('http://h/', { body: '' }), /GET or HEAD/, 'an empty string is still a body');
  const post = new Request('http://h/', { method: 'POST', body: 'x' });
  assert.throws(() => new Request(post, { method: 'GET' }), /GET or HEAD/, 'nor from an input with a body');
  assert.equal(post.bodyUsed, false, 'a construction that fails leaves the input unused');
});

test('redirect modes are follow, error, manual; a signal is kept', () => {
  assert.equal(new Request('http://h/', { redirect: 'manual' }).redirect, 'manual');
  assert.equal(new Request('http://h/', { redirect: 'error' }).redirect, 'error');
  assert.ok(thrown(() => new Request('http://h/', { redirect: 'bogus' })) instanceof TypeError);
  const signal = { aborted: false };
  assert.equal(new Request('http://h/', { signal }).signal, signal);
  assert.equal(new Request(new Request('http://h/', { signal })).signal, signal);
  assert.equal(new Request(new Request('http://h/', { signal }), { signal: null }).signal, null);
});

test('a body sets its Content-Type unless one is given, and reads back', async () => {
  const r = new Request('http://h/', { method: 'POST', body: '{"a":1}' });
  assert.equal(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
  assert.deepEqual(await r.json(), { a: 1 });
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), /body used already/);
  const typed = new Request('http://h/', { method: 'PUT', body: 'x', headers: { 'Content-Type': 'application/json' } });
  assert.equal(typed.headers.get('content-type'), 'application/json');
  const bin = new Request('http://h/', { method: 'POST', body: new Uint8Array([1]) });
  assert.equal(bin.headers.has('content-type'), false);
});

test('init overrides a Request input; the input body moves to the new request', async () => {
  const first = new Request('http://h/a', { method: 'POST', body: 'data', headers: { 'X-A': '1' }, redirect: 'manual' });
  const second = new Request(first, { method: 'PUT', headers: { 'X-B': '2' } });
  assert.equal(first.body !== null && second.body !== first.body, true, 'the new request has a stream of its own');
  assert.equal(second.url, 'http://h/a');
  assert.equal(second.method, 'PUT');
  assert.equal(second.redirect, 'manual');
  assert.equal(second.headers.get('x-a'), null, 'init headers replace the input headers');
  assert.equal(second.headers.get('x-b'), '2');
  assert.equal(first.bodyUsed, true, 'the input body counts as used at once');
  assert.equal(await second.text(), 'data');
  assert.throws(() => new Request(first), /used already/);
  const fresh = new Request('http://h/', { method: 'POST', body: 'kept' });
  const overridden = new Request(fresh, { body: 'other' });
  assert.equal(fresh.bodyUsed, false, 'current Fetch text: an init body leaves the input body alone');
  assert.equal(await overridden.text(), 'other');
  assert.equal(await fresh.text(), 'kept');
  const replaced = new Request(first, { body: 'new' });
  assert.equal(await replaced.text(), 'new', 'a used input is fine when init gives a body');

  const plain = new Request('http://h/', { headers: { 'X-C': '3' } });
  const copy = new Request(plain);
  copy.headers.set('X-C', '4');
  assert.equal(plain.headers.get('x-c'), '3', 'headers are copied, not shared');
  assert.equal(copy.method, 'GET');
});

test('Request.clone: same fields, own headers, both bodies readable; a used body cannot be cloned', async () => {
  const r = new Request('http://h/', { method: 'POST', body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array([104, 105])), c.close()) }) });
  const c = r.clone();
  assert.equal(c.url, r.url);
  assert.equal(c.method, 'POST');
  c.headers.set('X-Only', 'clone');
  assert.equal(r.headers.has('x-only'), false);
  assert.equal(await c.text(), 'hi');
  assert.equal(r.bodyUsed, false);
  assert.equal(await r.text(), 'hi');
  assert.throws(() => r.clone(), /used already/);
  assert.equal(new Request('http://h/').clone().body, null);
});

// --- Response ----------------------------------------------------------------

test('a Response with no arguments: 200, ok, default, empty url, null body', async () => {
  const r = new Response();
  assert.equal(r.status, 200);
  assert.equal(r.ok, true);
  assert.equal(r.statusText, '');
  assert.equal(r.type, 'default');
  assert.equal(r.url, '');
  assert.equal(r.redirected, false);
  assert.equal(r.body, null);
  assert.equal(await r.text(), '');
  assert.equal(Object.prototype.toString.call(r), '[object Response]');
});

test('new Response("hello") reads "hello" as text/plain;charset=UTF-8', async () => {
  const r = new Response('hello', { status: 201, statusText: 'Created', headers: [['X-A', '1']] });
  assert.equal(r.status, 201);
  assert.equal(r.statusText, 'Created');
  assert.equal(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
  assert.equal(r.headers.get('x-a'), '1');
  assert.ok(r.body instanceof ReadableStream);
  assert.equal(await r.text(), 'hello');
  await assert.rejects(r.arrayBuffer(), /body used already/);
});

test('status outside 200-599 is a RangeError; ok only for 2xx', () => {
  for (const status of [0, 100, 199, 600, 1000, -1]) {
    assert.ok(thrown(() => new Response(null, { status })) instanceof RangeError, String(status));
  }
  for (const status of [200, 299, 300, 404, 599]) assert.equal(new Response(null, { status }).status, status);
  assert.equal(new Response(null, { status: 299 }).ok, true);
  assert.equal(new Response(null, { status: 300 }).ok, false);
  assert.equal(new Response(null, { status: 199 + 65536 + 1 }).status, 200, 'an unsigned short, modulo 2^16');
});

test('statusText must be a reason-phrase', () => {
  assert.equal(new Response(null, { statusText: 'OK \t caf\xe9' }).statusText, 'OK \t caf\xe9');
  for (const bad of ['a\nb', 'a\rb', 'a\0', '\u0100']) {
    assert.ok(thrown(() => new Response(null, { statusText: bad })) instanceof TypeError, JSON.stringify(bad));
  }
});

test('204, 205 and 304 refuse a body, even an empty one, but take null', () => {
  for (const status of [204, 205, 304]) {
    assert.ok(thrown(() => new Response('', { status })) instanceof TypeError, String(status));
    assert.equal(new Response(null, { status }).status, status);
    assert.ok(thrown(() => Response.json({}, { status })) instanceof TypeError);
  }
});

test('Response.json: the JSON text, application/json unless given, init applied', async () => {
  const r = Response.json({ a: [1, 'é'] }, { status: 202, headers: { 'X-A': '1' } });
  assert.equal(r.status, 202);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.headers.get('x-a'), '1');
  assert.equal(await r.text(), '{"a":[1,"é"]}');
  assert.equal(Response.json(1, { headers: { 'content-type': 'foo/bar' } }).headers.get('content-type'), 'foo/bar');
  assert.ok(thrown(() => Response.json(undefined)) instanceof TypeError);
  assert.ok(thrown(() => Response.json(() => 1)) instanceof TypeError);
  assert.ok(thrown(() => Response.json(1n)) instanceof TypeError, 'JSON.stringify throws its own TypeError');
});

test('Response.redirect: Location set, 302 by default, only redirect statuses, immutable headers', () => {
  const r = Response.redirect('https://example.org/next');
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), 'https://example.org/next');
  assert.equal(r.body, null);
  assert.throws(() => r.headers.set('x', 'y'), /immutable/);
  for (const status of [301, 302, 303, 307, 308]) assert.equal(Response.redirect('http://h/', status).status, status);
  for (const status of [200, 300, 304, 309, 400]) {
    assert.ok(thrown(() => Response.redirect('http://h/', status)) instanceof RangeError, String(status));
  }
  assert.ok(thrown(() => Response.redirect('not a url')) instanceof TypeError);
});

test('Response.error: type error, status 0, immutable empty headers, no body', () => {
  const r = Response.error();
  assert.equal(r.type, 'error');
  assert.equal(r.status, 0);
  assert.equal(r.ok, false);
  assert.equal(r.statusText, '');
  assert.equal(r.body, null);
  assert.deepEqual([...r.headers], []);
  assert.throws(() => r.headers.append('a', 'b'), /immutable/);
});

test('Response.clone: same status and headers, both bodies read; a used body cannot be cloned', async () => {
  const r = new Response('twice', { status: 404, statusText: 'Nope', headers: { 'X-A': '1' } });
  const c = r.clone();
  assert.equal(c.status, 404);
  assert.equal(c.statusText, 'Nope');
  assert.equal(c.headers.get('x-a'), '1');
  c.headers.set('X-A', '2');
  assert.equal(r.headers.get('x-a'), '1');
  assert.equal(await r.text(), 'twice');
  assert.equal(await c.text(), 'twice');
  assert.throws(() => r.clone(), /used already/);
  assert.equal(Response.error().clone().type, 'error');
  assert.throws(() => Response.redirect('http://h/').clone().headers.set('a', 'b'), /immutable/);
});

test('a Response from a stream, and from a stream already read, which is a TypeError', async () => {
  const s = ReadableStream.from([new Uint8Array([0x6f, 0x6b])]);
  const r = new Response(s);
  assert.equal(r.body, s);
  assert.equal(r.headers.has('content-type'), false);
  assert.equal(await r.text(), 'ok');
  assert.ok(thrown(() => new Response(s)) instanceof TypeError);
});

// --- index.js ----------------------------------------------------------------

test('install puts the types on a global, not enumerable; a worker-style handler runs', async () => {
  const g = {};
  assert.equal(web.install(g), g);
  for (const name of ['Headers', 'Request', 'Response', 'ReadableStream']) {
    assert.equal(g[name], web[name], name);
  }
  assert.deepEqual(Object.keys(g), []);
  const worker = {
    async fetch(request) {
      return new g.Response(`hello ${request.method} ${new URL_less(request.url)}`);
    },
  };
  function URL_less(u) {
    this.toString = () => u.slice(u.indexOf('/', 8));
  }
  const res = await worker.fetch(new g.Request('http://h/path'));
  assert.equal(await res.text(), 'hello GET /path');
});
