// Unit tests for fs/lib/http/client.js: URLs, redirects' targets, the
// request's fields, and one exchange through a fake connection.
const { parseUrl, resolveUrl, requestFields, request } = require('/lib/http/client');
const { latin1Bytes, latin1Text, utf8Text } = require('/lib/http/bytes');

test('http URLs: host, port, target, the Host field', () => {
  assert.deepEqual(parseUrl('http://example.org'), { scheme: 'http', host: 'example.org', port: 80, target: '/', authority: 'example.org' });
  assert.deepEqual(parseUrl('http://10.0.2.2:8000/a/b?c=d#frag'), { scheme: 'http', host: '10.0.2.2', port: 8000, target: '/a/b?c=d', authority: '10.0.2.2:8000' });
  assert.equal(parseUrl('HTTP://h?x').target, '/?x');
  assert.equal(parseUrl('h:81/p').authority, 'h:81', 'no scheme: http, as curl');
  assert.equal(parseUrl('http://h/a b').target, '/a%20b');
});

test('other schemes and broken URLs are refused with their codes', () => {
  const code = (url) => {
    try {
      parseUrl(url);
    } catch (e) {
      return e.code;
    }
    return 'ok';
  };
  assert.equal(code('https://example.org/'), 'EPROTO');
  assert.equal(code('ftp://x/'), 'EPROTO');
  assert.equal(code('http:///path'), 'EINVAL');
  assert.equal(code('http://h:99999/'), 'EINVAL');
});

test('Location resolved against the URL that answered', () => {
  assert.equal(resolveUrl('http://h:81/a/b?q', '/c'), 'http://h:81/c');
  assert.equal(resolveUrl('http://h/a/b', 'c/d'), 'http://h/a/c/d');
  assert.equal(resolveUrl('http://h/a/', 'http://other/x'), 'http://other/x');
  assert.equal(resolveUrl('http://h/a', '//g/x'), 'http://g/x');
});

test('request fields: ours, replaced or removed by the caller\'s', () => {
  const u = parseUrl('http://h:8/x');
  assert.deepEqual(requestFields(u, [['user-agent', 'me'], ['Accept', ''], ['X-A', '1']], latin1Bytes('abc'), 'ua'), [
    ['Host', 'h:8'],
    ['user-agent', 'me'],
    ['Content-Length', '3'],
    ['X-A', '1'],
  ]);
});

test('one exchange through a fake connection: the bytes sent, the reply read', async () => {
  let sent = '';
  const replies = ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n', '\r\n6\r\nh\xc3\xa9llo\r\n0\r\n\r\n'];
  let closed = false;
  const conn = {
    read: async () => (replies.length ? latin1Bytes(replies.shift()) : null),
    write: async (b) => void (sent += latin1Text(b)),
    close: async () => void (closed = true),
  };
  const r = await request({ method: 'POST', url: 'http://h/p', body: 'hé', lookup: async () => '10.0.0.1', connect: async () => conn, userAgent: 'ua' });
  assert.equal(sent, 'POST /p HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nAccept: */*\r\nContent-Length: 3\r\n\r\nh\xc3\xa9');
  assert.equal(r.status, 201);
  assert.equal(utf8Text(r.body), 'héllo', 'the 100 Continue skipped, the chunked body decoded');
  assert.ok(closed);
});

test('a body of chunks (an async iterable) goes chunked, or as it is with a Content-Length', async () => {
  const sent = [];
  const exchange = async (headers) => {
    let written = '';
    const replies = ['HTTP/1.1 204 No Content\r\n\r\n'];
    const conn = {
      read: async () => (replies.length ? latin1Bytes(replies.shift()) : null),
      write: async (b) => void (written += latin1Text(b)),
      close: async () => {},
    };
    async function* pieces() {
      yield 'ab';
      yield latin1Bytes('');
      yield latin1Bytes('cde');
    }
    await request({ method: 'PUT', url: 'http://h/', headers, body: pieces(), lookup: async () => '10.0.0.1', connect: async () => conn, userAgent: 'ua' });
    sent.push(written);
  };
  await exchange({});
  await exchange({ 'Content-Length': '5' });
  assert.equal(sent[0], 'PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nAccept: */*\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n');
  assert.equal(sent[1], 'PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nAccept: */*\r\nContent-Length: 5\r\n\r\nabcde');
});
