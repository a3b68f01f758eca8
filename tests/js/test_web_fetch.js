// Unit tests for fs/lib/web/fetch.js and abort.js: fetch() against a fake
// TCP whose connections answer with literal bytes. Only the socket is
// replaced: the request is serialized by /lib/http/client and parsed here
// by /lib/http/parse, the reply parsed by the client, as on the network.
// The cases: the response (status, headers, url, ok, null bodies, a body
// streamed as it is read), request bodies (string, bytes, URLSearchParams,
// streams chunked or with a Content-Length), redirects (Fetch §4.4: each
// status, the method changes, the limit of 20, "manual", "error"), the
// subrequest limit, the errors and their causes, and aborting.
const { makeFetch, MAX_REDIRECTS } = require('/lib/web/fetch');
const { AbortController, AbortSignal } = require('/lib/web/abort');
const { Request } = require('/lib/web/request');
const { Response } = require('/lib/web/response');
const { ReadableStream } = require('/lib/web/readable-stream');
const { URLSearchParams } = require('/lib/web/url');
const { MessageParser } = require('/lib/http/parse');
const { latin1Bytes, utf8Text, concatBytes } = require('/lib/http/bytes');
const web = require('/lib/web/index');

// The request a connection received, parsed as a server would: {method, target, headers, rawHeaders, body (text), chunked}.
function parseRequest(bytes) {
  const parser = new MessageParser('request');
  parser.push(bytes);
  parser.finish();
  const head = parser.next().head;
  const body = [];
  for (let e = parser.next(); e.type === 'data'; e = parser.next()) body.push(e.bytes);
  return { ...head, body: utf8Text(concatBytes(body)) };
}

// An HTTP reply as text: a status line, fields and a body with its Content-Length.
function reply(status, headers = {}, body = '') {
  let text = `HTTP/1.1 ${status}\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  return `${text}Content-Length: ${latin1Bytes(body).length}\r\n\r\n${body}`;
}

// A fake sys.net.tcp. Each connection, when first read, calls
// serve(request, {host, port}) with the request parsed; its answer (a
// string, or a list of strings read one by one, or a promise of either) is
// what the connection reads, then its end; an Error in the list is thrown
// by that read, and HANG waits until the connection is closed.
// `refuse(host, port)` may return an error for connect to throw. `log`
// records what happened.
const HANG = Symbol('hang');
function fakeTcp(serve, { refuse = () => null } = {}) {
  const log = { connects: [], requests: [], reads: 0, closed: 0, conns: [] };
  const tcp = {
    async connect(host, port, options) {
      log.connects.push(`${host}:${port}`);
      const error = refuse(host, port);
      if (error) throw error;
      const written = [];
      let answer = null;
      let closed = false;
      let wake = null; // a read waiting on an answer that never comes, woken by close
      const conn = {
        options,
        write: async (bytes) => void written.push(bytes),
        read: async () => {
          if (closed) return null;
          log.reads += 1;
          if (answer === null) {
            const request = parseRequest(concatBytes(written));
            log.requests.push(request);
            const served = serve(request, { host, port });
            answer = await Promise.race([Promise.resolve(served), new Promise((resolve) => (wake = () => resolve([])))]);
            answer = [].concat(answer).map((a) => (typeof a === 'string' ? latin1Bytes(a) : a));
          }
          if (closed) return null;
          const next = answer.shift();
          if (next instanceof Error) throw next;
          if (next === HANG) {
            await new Promise((resolve) => (wake = resolve));
            return null;
          }
          return next === undefined ? null : next;
        },
        close: async () => {
          if (!closed) log.closed += 1;
          closed = true;
          if (wake) wake();
        },
      };
      log.conns.push(conn);
      return conn;
    },
  };
  return { tcp, log };
}

const ok = (body = 'ok', headers = {}) => () => reply('200 OK', headers, body);
const never = () => new Promise(() => {});

// --- the response -------------------------------------------------------------

test('a GET: the request sent, the Response with status, headers, url, ok and body', async () => {
  const { tcp, log } = fakeTcp(ok('hello', { 'Content-Type': 'text/plain', 'X-A': '1', 'x-a': '2' }));
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://example.test:8080/a/b?c=d#frag', { headers: { 'X-Who': 'me' } });
  assert.ok(r instanceof Response);
  assert.deepEqual(log.connects, ['example.test:8080'], 'the name goes to tcp.connect, which resolves it');
  assert.equal(log.conns[0].options.noDelay, true);
  const sent = log.requests[0];
  assert.equal(`${sent.method} ${sent.target}`, 'GET /a/b?c=d', 'no fragment on the wire');
  assert.equal(sent.headers.host, 'example.test:8080');
  assert.equal(sent.headers['x-who'], 'me');
  assert.equal(sent.headers.accept, '*/*');
  assert.equal(sent.headers['content-length'], undefined, 'a GET has no body');
  assert.equal(r.status, 200);
  assert.equal(r.statusText, 'OK');
  assert.equal(r.ok, true);
  assert.equal(r.url, 'http://example.test:8080/a/b?c=d');
  assert.equal(r.redirected, false);
  assert.equal(r.type, 'default');
  assert.equal(r.headers.get('x-a'), '1, 2');
  assert.equal(r.headers.get('content-type'), 'text/plain');
  assert.throws(() => r.headers.set('x-b', '1'), /immutable/);
  assert.equal(await r.text(), 'hello');
  assert.equal(log.closed, 1, 'the connection is closed at the end of the body');
});

test('input as a URL object or a Request; init overrides a Request', async () => {
  const { tcp, log } = fakeTcp(ok());
  const fetch = makeFetch({ tcp });
  await (await fetch(new web.URL('http://h/u'))).text();
  await (await fetch(new Request('http://h/r', { method: 'DELETE' }))).text();
  await (await fetch(new Request('http://h/r', { method: 'DELETE' }), { method: 'PATCH' })).text();
  assert.deepEqual(log.requests.map((q) => `${q.method} ${q.target}`), ['GET /u', 'DELETE /r', 'PATCH /r']);
});

test('status and reason as received, ok false outside 2xx, any status a server sends', async () => {
  const statuses = ['404 Not Found', '500 Oops', '299 Odd', '600 Beyond'];
  const { tcp } = fakeTcp(() => reply(statuses.shift(), {}, 'x'));
  const fetch = makeFetch({ tcp });
  const got = [];
  for (let i = 0; i < 4; i++) {
    const r = await fetch('http://h/');
    got.push([r.status, r.statusText, r.ok]);
  }
  assert.deepEqual(got, [[404, 'Not Found', false], [500, 'Oops', false], [299, 'Odd', true], [600, 'Beyond', false]]);
});

test('HEAD, 204 and 304 have a null body; the 100 Continue before a reply is skipped', async () => {
  const answers = [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n',
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nhi',
  ];
  const { tcp, log } = fakeTcp(() => answers.shift());
  const fetch = makeFetch({ tcp });
  const head = await fetch('http://h/', { method: 'HEAD' });
  assert.equal(head.body, null);
  assert.equal(head.headers.get('content-length'), '5');
  assert.equal((await fetch('http://h/')).body, null);
  const notModified = await fetch('http://h/');
  assert.equal(notModified.status, 304);
  assert.equal(notModified.body, null);
  const created = await fetch('http://h/', { method: 'POST', body: 'x' });
  assert.equal(created.status, 201);
  assert.equal(await created.text(), 'hi');
  assert.equal(log.closed, 4);
});

test('a chunked reply is decoded; a reply that runs to the close is read to it', async () => {
  const answers = [
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '3\r\n{"a\r\n', '6\r\n":[1]}\r\n0\r\n\r\n'],
    ['HTTP/1.0 200 OK\r\n\r\nuntil', ' the close'],
  ];
  const { tcp } = fakeTcp(() => answers.shift());
  const fetch = makeFetch({ tcp });
  assert.deepEqual(await (await fetch('http://h/')).json(), { a: [1] });
  assert.equal(await (await fetch('http://h/')).text(), 'until the close');
});

test('the body streams: the connection is read only as the reader asks', async () => {
  const piece = 'x'.repeat(16384);
  const pieces = Array.from({ length: 64 }, () => piece); // 1 MiB
  const { tcp, log } = fakeTcp(() => [`HTTP/1.1 200 OK\r\nContent-Length: ${64 * 16384}\r\n\r\n`, ...pieces]);
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://h/big');
  assert.equal(log.reads, 1, 'only the head was read');
  const reader = r.body.getReader();
  const first = await reader.read();
  assert.equal(first.value.length, 16384);
  assert.equal(log.reads, 2, 'one read for one chunk: nothing buffered ahead');
  let total = first.value.length;
  let chunks = 1;
  for (let c = await reader.read(); !c.done; c = await reader.read()) {
    total += c.value.length;
    chunks += 1;
  }
  assert.equal(total, 1 << 20);
  assert.equal(chunks, 64, 'each piece as it came, never joined');
  assert.equal(log.closed, 1);
});

test('canceling the body closes the connection', async () => {
  const { tcp, log } = fakeTcp(() => ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'abc', 'def']);
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://h/');
  const reader = r.body.getReader();
  assert.equal(utf8Text((await reader.read()).value), 'abc');
  await reader.cancel('enough');
  assert.equal(log.closed, 1);
});

test('a body cut short errors the stream with TypeError and the cause', async () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  const answers = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', reset],
  ];
  const { tcp } = fakeTcp(() => answers.shift());
  const fetch = makeFetch({ tcp });
  let e = await assert.rejects((await fetch('http://h/')).text(), /while reading the response body/);
  assert.ok(e instanceof TypeError);
  assert.equal(e.cause.code, 'PARTIAL');
  e = await assert.rejects((await fetch('http://h/')).arrayBuffer(), /while reading the response body/);
  assert.equal(e.cause.code, 'ECONNRESET');
});

// --- request bodies -------------------------------------------------------------

test('request bodies: string, bytes, URLSearchParams, each with Content-Length and its type', async () => {
  const { tcp, log } = fakeTcp(ok());
  const fetch = makeFetch({ tcp });
  await fetch('http://h/s', { method: 'POST', body: 'h\u00e9' });
  await fetch('http://h/b', { method: 'PUT', body: Uint8Array.from([104, 105]) });
  await fetch('http://h/f', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y' }) });
  await fetch('http://h/j', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  await fetch('http://h/e', { method: 'POST' });
  const got = log.requests.map((q) => [q.target, q.headers['content-length'], q.headers['content-type'], q.body]);
  assert.deepEqual(got, [
    ['/s', '3', 'text/plain;charset=UTF-8', 'h\u00e9'],
    ['/b', '2', undefined, 'hi'],
    ['/f', '9', 'application/x-www-form-urlencoded;charset=UTF-8', 'a=1&b=x+y'],
    ['/j', '2', 'application/json', '{}'],
    ['/e', '0', undefined, ''],
  ]);
});

test('a ReadableStream body goes chunked; with a Content-Length given, as it is', async () => {
  const { tcp, log } = fakeTcp(ok());
  const fetch = makeFetch({ tcp });
  const stream = () => ReadableStream.from([latin1Bytes('one,'), latin1Bytes('two,'), latin1Bytes('three')]);
  await fetch('http://h/c', { method: 'POST', body: stream() });
  await fetch('http://h/l', { method: 'POST', body: stream(), headers: { 'Content-Length': '13' } });
  const [chunked, sized] = log.requests;
  assert.equal(chunked.headers['transfer-encoding'], 'chunked');
  assert.equal(chunked.headers['content-length'], undefined);
  assert.equal(chunked.body, 'one,two,three');
  assert.equal(sized.headers['transfer-encoding'], undefined);
  assert.equal(sized.headers['content-length'], '13');
  assert.equal(sized.body, 'one,two,three');
});

test('a stream body chunk that is not bytes fails the fetch', async () => {
  const { tcp } = fakeTcp(ok());
  const fetch = makeFetch({ tcp });
  const e = await assert.rejects(fetch('http://h/', { method: 'POST', body: ReadableStream.from(['text']) }), /fetch failed/);
  assert.ok(e instanceof TypeError);
});

// --- redirects (Fetch §4.4) -----------------------------------------------------

// A server that redirects /r/STATUS to /done (relative) and answers /done with what it got.
function redirecting(request) {
  const m = /^\/r\/(\d+)/.exec(request.target);
  if (m) return reply(`${m[1]} Moved`, { Location: '/done' }, 'moved');
  return reply('200 OK', {}, `${request.method} ${request.headers['content-type']} ${request.body}`);
}

test('each redirect status is followed; 301, 302 and 303 make a POST a GET without its body', async () => {
  const { tcp } = fakeTcp(redirecting);
  const fetch = makeFetch({ tcp });
  const got = {};
  for (const status of [301, 302, 303, 307, 308]) {
    const r = await fetch(`http://h/r/${status}`, { method: 'POST', body: 'data' });
    assert.equal(r.redirected, true);
    assert.equal(r.url, 'http://h/done');
    got[status] = await r.text();
  }
  assert.deepEqual(got, {
    301: 'GET undefined ',
    302: 'GET undefined ',
    303: 'GET undefined ',
    307: 'POST text/plain;charset=UTF-8 data',
    308: 'POST text/plain;charset=UTF-8 data',
  });
});

test('301 and 302 keep a PUT; 303 makes anything but GET and HEAD a GET', async () => {
  const { tcp } = fakeTcp(redirecting);
  const fetch = makeFetch({ tcp });
  const text = async (url, init) => (await fetch(url, init)).text();
  assert.equal(await text('http://h/r/301', { method: 'PUT', body: 'p' }), 'PUT text/plain;charset=UTF-8 p');
  assert.equal(await text('http://h/r/302', { method: 'PUT', body: 'p' }), 'PUT text/plain;charset=UTF-8 p');
  assert.equal(await text('http://h/r/303', { method: 'PUT', body: 'p' }), 'GET undefined ');
  assert.equal(await text('http://h/r/303', { method: 'DELETE' }), 'GET undefined ');
  const head = await fetch('http://h/r/303', { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('a Location is resolved against the URL that answered, and takes its fragment', async () => {
  const { tcp, log } = fakeTcp((q) => {
    if (q.target === '/a/b') return reply('302 Found', { Location: 'c?d' });
    if (q.target === '/a/c?d') return reply('302 Found', { Location: 'http://other:81/x' });
    return reply('200 OK', {}, 'there');
  });
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://h/a/b#top');
  assert.deepEqual(log.requests.map((q) => q.target), ['/a/b', '/a/c?d', '/x']);
  assert.deepEqual(log.connects, ['h:80', 'h:80', 'other:81']);
  assert.equal(r.url, 'http://other:81/x', 'a response URL has no fragment');
  assert.equal(await r.text(), 'there');
  assert.equal(log.closed, 3, 'each hop closed');
});

test('Authorization goes no further than its origin', async () => {
  const { tcp, log } = fakeTcp((q) => {
    if (q.target === '/1') return reply('307 Temporary Redirect', { Location: '/2' });
    if (q.target === '/2') return reply('307 Temporary Redirect', { Location: 'http://elsewhere/3' });
    return reply('200 OK');
  });
  const fetch = makeFetch({ tcp });
  await fetch('http://h/1', { headers: { Authorization: 'Bearer x' } });
  assert.deepEqual(log.requests.map((q) => q.headers.authorization), ['Bearer x', 'Bearer x', undefined]);
});

test(`at most ${MAX_REDIRECTS} redirects are followed; the next is a network error`, async () => {
  // /n redirects to /n-1 ... /0 answers.
  const { tcp, log } = fakeTcp((q) => {
    const n = Number(q.target.slice(1));
    return n === 0 ? reply('200 OK', {}, 'end') : reply('302 Found', { Location: `/${n - 1}` });
  });
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://h/20');
  assert.equal(await r.text(), 'end');
  assert.equal(log.requests.length, 21);
  const e = await assert.rejects(fetch('http://h/21'), /^fetch failed$/);
  assert.ok(e instanceof TypeError);
  assert.ok(/more than 20 redirects/.test(e.cause.message), e.cause.message);
  assert.equal(log.requests.length, 21 + 21, 'the 21st redirect is not followed');
});

test('redirect "manual" gives the 3xx itself; "error" rejects', async () => {
  const { tcp, log } = fakeTcp(redirecting);
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://h/r/301', { redirect: 'manual' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), '/done');
  assert.equal(r.redirected, false);
  assert.equal(await r.text(), 'moved');
  const e = await assert.rejects(fetch('http://h/r/308', { redirect: 'error' }), /^fetch failed$/);
  assert.ok(e instanceof TypeError);
  assert.ok(/redirect/.test(e.cause.message));
  assert.equal(log.requests.length, 2, 'neither followed');
});

test('a redirect status without Location is the response; bad ones are network errors', async () => {
  const answers = {
    '/none': reply('302 Found', {}, 'no location'),
    '/two': 'HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n',
    '/bad': reply('302 Found', { Location: 'http://[::1' }),
    '/ftp': reply('302 Found', { Location: 'ftp://h/x' }),
    '/tls': reply('302 Found', { Location: 'https://h/x' }),
  };
  const { tcp } = fakeTcp((q) => answers[q.target]);
  const fetch = makeFetch({ tcp });
  const r = await fetch('http://h/none');
  assert.equal(r.status, 302);
  assert.equal(await r.text(), 'no location');
  for (const path of ['/two', '/bad', '/ftp']) await assert.rejects(fetch(`http://h${path}`), /^fetch failed$/);
  await assert.rejects(fetch('http://h/tls'), /TLS is not supported in the guest/);
});

test('a stream body cannot be sent again: a 307 fails, a 303 is followed without it', async () => {
  const { tcp } = fakeTcp(redirecting);
  const fetch = makeFetch({ tcp });
  const body = () => ReadableStream.from([latin1Bytes('s')]);
  const e = await assert.rejects(fetch('http://h/r/307', { method: 'POST', body: body() }), /^fetch failed$/);
  assert.ok(/stream body/.test(e.cause.message));
  assert.equal(await (await fetch('http://h/r/303', { method: 'POST', body: body() })).text(), 'GET undefined ');
});

// --- the subrequest limit -----------------------------------------------------

test('the 51st subrequest rejects with Cloudflare\'s error, without connecting', async () => {
  const { tcp, log } = fakeTcp(ok());
  const seen = [];
  const fetch = makeFetch({ tcp, onSubrequest: (url) => seen.push(url) });
  for (let i = 0; i < 50; i++) await (await fetch(`http://h/${i}`)).text();
  const e = await assert.rejects(fetch('http://h/50'), /^Too many subrequests\.$/);
  assert.ok(!(e instanceof TypeError), 'an Error, not a network error');
  assert.equal(log.connects.length, 50);
  assert.equal(seen.length, 50);
  assert.equal(seen[49], 'http://h/49');
});

test('redirect hops count as subrequests', async () => {
  const { tcp, log } = fakeTcp(redirecting);
  const seen = [];
  const fetch = makeFetch({ tcp, subrequestLimit: 3, onSubrequest: (url) => seen.push(url) });
  await fetch('http://h/r/302');
  assert.deepEqual(seen, ['http://h/r/302', 'http://h/done']);
  await assert.rejects(fetch('http://h/r/302'), /^Too many subrequests\.$/);
  assert.equal(log.connects.length, 3, 'the hop past the limit never connected');
});

// --- errors -------------------------------------------------------------------

test('connect and resolver errors are TypeError("fetch failed") with the cause and its code', async () => {
  const errors = {
    refused: Object.assign(new Error('connect ECONNREFUSED 10.0.2.2:1: Connection refused'), { code: 'ECONNREFUSED' }),
    'no.such': Object.assign(new Error('no.such: Name or service not known'), { code: 'NXDOMAIN' }),
    slow: Object.assign(new Error('connect ETIMEDOUT 10.9.9.9:80: Connection timed out'), { code: 'ETIMEDOUT' }),
  };
  const { tcp } = fakeTcp(ok(), { refuse: (host) => errors[host] || null });
  const fetch = makeFetch({ tcp });
  for (const [host, error] of Object.entries(errors)) {
    const e = await assert.rejects(fetch(`http://${host}/`), /^fetch failed$/);
    assert.ok(e instanceof TypeError);
    assert.equal(e.cause, error);
    assert.equal(e.cause.code, error.code);
  }
});

test('a given lookup resolves the name first; its failure is the cause', async () => {
  const { tcp, log } = fakeTcp(ok());
  const lookup = async (name) => {
    if (name === 'known') return '10.0.0.7';
    throw Object.assign(new Error(`${name}: Name or service not known`), { code: 'NXDOMAIN' });
  };
  const fetch = makeFetch({ tcp, lookup });
  await fetch('http://known:8/');
  assert.deepEqual(log.connects, ['10.0.0.7:8']);
  assert.equal(log.requests[0].headers.host, 'known:8');
  const e = await assert.rejects(fetch('http://unknown/'), /^fetch failed$/);
  assert.equal(e.cause.code, 'NXDOMAIN');
});

test('a reply the parser refuses, or none at all, is a network error', async () => {
  const answers = ['SMTP ready\r\n\r\n', []];
  const { tcp } = fakeTcp(() => answers.shift());
  const fetch = makeFetch({ tcp });
  assert.equal((await assert.rejects(fetch('http://h/'), /^fetch failed$/)).cause.code, 'HTTP_PARSE');
  assert.equal((await assert.rejects(fetch('http://h/'), /^fetch failed$/)).cause.code, 'EMPTY_REPLY');
});

test('https: says TLS is not supported; other schemes and bad input are TypeErrors; none connects', async () => {
  const { tcp, log } = fakeTcp(ok());
  const seen = [];
  const fetch = makeFetch({ tcp, onSubrequest: (url) => seen.push(url) });
  const tls = await assert.rejects(fetch('https://example.com/'), /TLS is not supported in the guest/);
  assert.ok(tls instanceof TypeError);
  assert.ok((await assert.rejects(fetch('ftp://h/x'), /ftp: scheme is not supported/)) instanceof TypeError);
  assert.ok((await assert.rejects(fetch('data:,x'), /not supported/)) instanceof TypeError);
  assert.ok((await assert.rejects(fetch('not a url'), /invalid URL|Invalid URL/)) instanceof TypeError);
  assert.ok((await assert.rejects(fetch('http://h/', { method: 'GET', body: 'x' }), /GET or HEAD/)) instanceof TypeError);
  assert.ok((await assert.rejects(fetch('http://h/', { method: 'CONNECT' }), /forbidden method/)) instanceof TypeError);
  assert.equal(log.connects.length, 0);
  assert.equal(seen.length, 0, 'nothing sent, nothing counted');
});

// --- abort ---------------------------------------------------------------------

test('a signal aborted already rejects with an AbortError at once', async () => {
  const { tcp, log } = fakeTcp(ok());
  const fetch = makeFetch({ tcp });
  const e = await assert.rejects(fetch('http://h/', { signal: AbortSignal.abort() }));
  assert.equal(e.name, 'AbortError');
  assert.equal(e.code, 20);
  const reason = new Error('my reason');
  assert.equal(await assert.rejects(fetch('http://h/', { signal: AbortSignal.abort(reason) })), reason, 'the signal\'s reason');
  assert.equal(log.connects.length, 0);
});

test('an abort while waiting for the head rejects and closes the connection', async () => {
  const { tcp, log } = fakeTcp(never);
  const fetch = makeFetch({ tcp });
  const controller = new AbortController();
  const pending = fetch('http://h/', { signal: controller.signal });
  for (let i = 0; i < 10 && log.reads === 0; i++) await null;
  assert.equal(log.reads, 1, 'the request is out');
  controller.abort();
  const e = await assert.rejects(pending);
  assert.equal(e.name, 'AbortError');
  assert.equal(log.closed, 1);
});

test('an abort while the body is read errors the body with the AbortError', async () => {
  const { tcp, log } = fakeTcp(() => ['HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n', 'abc', HANG]);
  const fetch = makeFetch({ tcp });
  const controller = new AbortController();
  const r = await fetch('http://h/', { signal: controller.signal });
  const reader = r.body.getReader();
  assert.equal(utf8Text((await reader.read()).value), 'abc');
  const waiting = reader.read(); // the rest has not come: it waits
  for (let i = 0; i < 10; i++) await null;
  controller.abort();
  const e = await assert.rejects(waiting);
  assert.equal(e.name, 'AbortError');
  assert.equal(log.closed, 1);
});

test('an abort after the body was read changes nothing; a plain signal-like object works too', async () => {
  const { tcp } = fakeTcp(ok('done'));
  const fetch = makeFetch({ tcp });
  const controller = new AbortController();
  const r = await fetch('http://h/', { signal: controller.signal });
  assert.equal(await r.text(), 'done');
  controller.abort();
  // Any object with aborted and addEventListener('abort') is a signal here.
  const listeners = [];
  const signal = { aborted: false, addEventListener: (type, fn) => listeners.push(fn), removeEventListener: () => {} };
  const { tcp: slow } = fakeTcp(never);
  const pending = makeFetch({ tcp: slow })('http://h/', { signal });
  await null;
  signal.aborted = true;
  listeners.forEach((fn) => fn({ type: 'abort' }));
  assert.equal((await assert.rejects(pending)).name, 'AbortError');
});

test('AbortController and AbortSignal: reason, onabort and listeners once, throwIfAborted, any', () => {
  const controller = new AbortController();
  const signal = controller.signal;
  const heard = [];
  signal.onabort = (e) => heard.push(`onabort ${e.type}`);
  const listener = (e) => heard.push(`listener ${e.target === signal}`);
  signal.addEventListener('abort', listener);
  signal.addEventListener('abort', listener); // added once
  const either = AbortSignal.any([signal, new AbortController().signal]);
  assert.equal(signal.aborted, false);
  signal.throwIfAborted();
  controller.abort();
  controller.abort(); // once only
  assert.deepEqual(heard, ['onabort abort', 'listener true']);
  assert.equal(signal.reason.name, 'AbortError');
  assert.throws(() => signal.throwIfAborted(), /aborted/);
  assert.equal(either.aborted, true);
  assert.equal(either.reason, signal.reason);
  assert.throws(() => new AbortSignal(), /Illegal constructor/);
  assert.equal(Object.prototype.toString.call(signal), '[object AbortSignal]');
});

test('install puts fetch, AbortController and AbortSignal on a global', () => {
  const global = {};
  const fetch = makeFetch({ tcp: fakeTcp(ok()).tcp });
  web.install(global, { fetch });
  assert.equal(global.fetch, fetch);
  assert.equal(global.AbortController, AbortController);
  assert.equal(global.AbortSignal, AbortSignal);
  assert.ok(!Object.keys(global).includes('fetch'), 'not enumerable');
  assert.equal('fetch' in web.install({}), false, 'no fetch unless given one');
  assert.equal(fetch.length, 1);
});
