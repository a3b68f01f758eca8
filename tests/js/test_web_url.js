// Unit tests for fs/lib/web/url.js: URL and URLSearchParams against the
// WHATWG URL Standard, its examples and cases in the style of
// web-platform-tests' url/resources/urltestdata.json (input, base, then the
// parts a browser gives), the host parser's IPv4 and IPv6 forms, failures
// that must throw TypeError "Invalid URL", the setters and the search
// params bound to the URL's query both ways.
const { URL, URLSearchParams } = require('/lib/web/url');

// [input, base, expected href] (null href: a parse failure).
const HREFS = [
  // Special schemes: lower-cased scheme and host, default ports dropped, a "/" path.
  ['HTTP://EXAMPLE.com', undefined, 'http://example.com/'],
  ['https://example.com:443/a', undefined, 'https://example.com/a'],
  ['http://example.com:80', undefined, 'http://example.com/'],
  ['http://example.com:0080/', undefined, 'http://example.com/'],
  ['http://example.com:8080/', undefined, 'http://example.com:8080/'],
  ['ws://h:80/', undefined, 'ws://h/'],
  ['wss://h:443/', undefined, 'wss://h/'],
  ['ftp://h:21/', undefined, 'ftp://h/'],
  ['https://h:80/', undefined, 'https://h:80/'],
  ['http://h:65535/', undefined, 'http://h:65535/'],
  ['http://h:65536/', undefined, null],
  ['http://h:8a/', undefined, null],
  ['http:\\\\h\\a\\b', undefined, 'http://h/a/b'],
  ['http:/h/p', undefined, 'http://h/p'],
  ['http:h/p', undefined, 'http://h/p'],
  ['  http://h/\tp\n  ', undefined, 'http://h/p'],
  ['http://h/a b', undefined, 'http://h/a%20b'],
  ['http://', undefined, null],
  ['http://user:pa ss@h/', undefined, 'http://user:pa%20ss@h/'],
  ['http://u@s@h/', undefined, 'http://u%40s@h/'],
  ['http://:p@h/', undefined, 'http://:p@h/'],
  ['http://@h/', undefined, 'http://h/'],
  ['http://u:@h/', undefined, 'http://u@h/'],
  ['http://@/', undefined, null],
  // Path normalization (§4.4 path state).
  ['http://h/a/./b/../c', undefined, 'http://h/a/c'],
  ['http://h/a/%2e/b/%2E%2e/c', undefined, 'http://h/a/c'],
  ['http://h/a/b/..', undefined, 'http://h/a/'],
  ['http://h/..', undefined, 'http://h/'],
  ['http://h/a/.%2E/../b', undefined, 'http://h/b'],
  ['http://h/ä b"<>`{}^?x', undefined, 'http://h/%C3%A4%20b%22%3C%3E%60%7B%7D%5E?x'],
  // Query and fragment encode sets; "'" only in a special URL's query.
  ["http://h/?a b'\"<>#c d`<", undefined, "http://h/?a%20b%27%22%3C%3E#c%20d%60%3C"],
  ["foo://h/?a b'", undefined, "foo://h/?a%20b'"],
  ['http://h/?é#é', undefined, 'http://h/?%C3%A9#%C3%A9'],
  // Relative references (RFC 3986 §5.4's examples, base http://a/b/c/d;p?q).
  ['g', 'http://a/b/c/d;p?q', 'http://a/b/c/g'],
  ['./g', 'http://a/b/c/d;p?q', 'http://a/b/c/g'],
  ['g/', 'http://a/b/c/d;p?q', 'http://a/b/c/g/'],
  ['/g', 'http://a/b/c/d;p?q', 'http://a/g'],
  ['//g', 'http://a/b/c/d;p?q', 'http://g/'],
  ['?y', 'http://a/b/c/d;p?q', 'http://a/b/c/d;p?y'],
  ['g?y', 'http://a/b/c/d;p?q', 'http://a/b/c/g?y'],
  ['#s', 'http://a/b/c/d;p?q', 'http://a/b/c/d;p?q#s'],
  ['', 'http://a/b/c/d;p?q', 'http://a/b/c/d;p?q'],
  ['.', 'http://a/b/c/d;p?q', 'http://a/b/c/'],
  ['..', 'http://a/b/c/d;p?q', 'http://a/b/'],
  ['../g', 'http://a/b/c/d;p?q', 'http://a/b/g'],
  ['../../../../g', 'http://a/b/c/d;p?q', 'http://a/g'],
  ['../a?b#c', 'http://h/x/y/z', 'http://h/x/a?b#c'],
  ['\\\\other\\x', 'http://h/a', 'http://other/x'],
  ['http:g', 'http://a/b/c/d', 'http://a/b/c/g'],
  ['https:g', 'http://a/b/c/d', 'https://g/'],
  ['g', undefined, null],
  ['g', 'mailto:x@y', null],
  ['#f', 'mailto:x@y', 'mailto:x@y#f'],
  // Non-special schemes: opaque paths, opaque hosts.
  ['mailto:Joe@Example.COM', undefined, 'mailto:Joe@Example.COM'],
  ['data:text/plain,a b', undefined, 'data:text/plain,a b'],
  ['MAILTO:x\u0001y', undefined, 'mailto:x%01y'],
  ['foo://Host.Example/a/../b', undefined, 'foo://Host.Example/b'],
  ['foo://h:99/', undefined, 'foo://h:99/'],
  ['foo://%41/', undefined, 'foo://%41/'],
  ['foo://a b/', undefined, null],
  ['foo:/a/../..//b', undefined, 'foo:/.//b'],
  ['foo://', undefined, 'foo://'],
  ['sc:\\../', undefined, 'sc:\\../'],
  // An opaque path's space just before "?" or "#" is escaped; others stay.
  ['sc:a b ?q', undefined, 'sc:a b%20?q'],
  ['sc:a  #f', undefined, 'sc:a %20#f'],
  // file: URLs: the empty and localhost hosts, drive letters kept.
  ['file:///etc/passwd', undefined, 'file:///etc/passwd'],
  ['file://localhost/etc', undefined, 'file:///etc'],
  ['file://HOST/x', undefined, 'file://host/x'],
  ['file:c:\\x\\..\\..\\y', undefined, 'file:///c:/y'],
  ['file:///C|/a', undefined, 'file:///C:/a'],
  ['/x', 'file:///C:/a/b', 'file:///C:/x'],
  ['..', 'file:///a/b', 'file:///'],
  ['?q', 'file:///a/b?z', 'file:///a/b?q'],
  // Hosts: forbidden code points, percent-decoding, IDNA left out.
  ['http://a<b/', undefined, null],
  ['http://a^b/', undefined, null],
  ['http://a%20b/', undefined, null],
  ['http://a%41b/', undefined, 'http://aab/'],
  ['http://exa%2Emple.com/', undefined, 'http://exa.mple.com/'],
  ['http://münchen.de/', undefined, null],
  ['http://%C3%BC.de/', undefined, null],
  // IPv4 (§3.5): every numeric form becomes a dotted quad.
  ['http://0x7f.1/', undefined, 'http://127.0.0.1/'],
  ['http://127.1/', undefined, 'http://127.0.0.1/'],
  ['http://2130706433/', undefined, 'http://127.0.0.1/'],
  ['http://0177.0.0.1/', undefined, 'http://127.0.0.1/'],
  ['http://0x7F000001/', undefined, 'http://127.0.0.1/'],
  ['http://192.168.257/', undefined, 'http://192.168.1.1/'],
  ['http://1.2.3.4./', undefined, 'http://1.2.3.4/'],
  ['http://0x/', undefined, 'http://0.0.0.0/'],
  ['http://4294967295/', undefined, 'http://255.255.255.255/'],
  ['http://4294967296/', undefined, null],
  ['http://256.0.0.1/', undefined, null],
  ['http://1.2.3.4.5/', undefined, null],
  ['http://1.2.3.09/', undefined, null],
  ['http://foo.09/', undefined, null],
  ['http://09.foo/', undefined, 'http://09.foo/'],
  ['http://1.2.3.4x/', undefined, 'http://1.2.3.4x/'],
  ['foo://0x7f.1/', undefined, 'foo://0x7f.1/'],
  // IPv6 (§3.5, §3.6): lower-case, the longest zero run compressed, the first of equals.
  ['http://[::1]/', undefined, 'http://[::1]/'],
  ['http://[0:0:0:0:0:0:0:1]:8080/', undefined, 'http://[::1]:8080/'],
  ['http://[2001:DB8::0:1]/', undefined, 'http://[2001:db8::1]/'],
  ['http://[1:0:0:2:0:0:0:3]/', undefined, 'http://[1:0:0:2::3]/'],
  ['http://[1:0:0:2:0:0:3:4]/', undefined, 'http://[1::2:0:0:3:4]/'],
  ['http://[1:0:2:3:4:5:6:7]/', undefined, 'http://[1:0:2:3:4:5:6:7]/'],
  ['http://[::]/', undefined, 'http://[::]/'],
  ['http://[::ffff:192.168.0.1]/', undefined, 'http://[::ffff:c0a8:1]/'],
  ['http://[1::2::3]/', undefined, null],
  ['http://[1:2:3:4:5:6:7:8:9]/', undefined, null],
  ['http://[1:2:3:4:5:6:7]/', undefined, null],
  ['http://[::1.2.3.256]/', undefined, null],
  ['http://[::01.2.3.4]/', undefined, null],
  ['http://[:1]/', undefined, null],
  ['http://[1:]/', undefined, null],
  ['http://[g::1]/', undefined, null],
  ['http://[::1/', undefined, null],
  ['foo://[::1]/', undefined, 'foo://[::1]/'],
];

for (const [input, base, href] of HREFS) {
  test(`parse ${JSON.stringify(input)}${base ? ' against ' + base : ''}`, () => {
    if (href === null) {
      assert.throws(() => new URL(input, base), /^Invalid URL$/);
      assert.equal(URL.canParse(input, base), false);
    } else {
      assert.equal(new URL(input, base).href, href);
      assert.equal(URL.canParse(input, base), true);
      // What a URL serializes to parses back to itself.
      assert.equal(new URL(href).href, href);
    }
  });
}

test('the failure is a TypeError', () => {
  let error = null;
  try {
    new URL('http://[::');
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TypeError);
  assert.throws(() => new URL('/a', 'not a url'), /Invalid URL/);
});

test('the parts of a full URL (the standard\'s example)', () => {
  const u = new URL('https://user:pass@sub.example.com:8080/p/a/t/h?query=string#hash');
  assert.deepEqual(
    [u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin],
    ['https:', 'user', 'pass', 'sub.example.com:8080', 'sub.example.com', '8080', '/p/a/t/h', '?query=string', '#hash', 'https://sub.example.com:8080'],
  );
  assert.equal(String(u), u.href);
  assert.equal(u.toJSON(), u.href);
  assert.equal(JSON.stringify({ u }), '{"u":"https://user:pass@sub.example.com:8080/p/a/t/h?query=string#hash"}');
});

test('empty query and fragment read as empty strings', () => {
  const u = new URL('http://h/p?#');
  assert.equal(u.href, 'http://h/p?#');
  assert.equal(u.search, '');
  assert.equal(u.hash, '');
});

test('origins: a tuple for http(s), ws(s), ftp; "null" for file, data, others', () => {
  assert.equal(new URL('http://H:80/x').origin, 'http://h');
  assert.equal(new URL('wss://h:444/').origin, 'wss://h:444');
  assert.equal(new URL('ftp://h/').origin, 'ftp://h');
  assert.equal(new URL('file:///x').origin, 'null');
  assert.equal(new URL('data:,x').origin, 'null');
  assert.equal(new URL('foo://h/').origin, 'null');
  assert.equal(new URL('blob:https://h:443/uuid').origin, 'https://h');
  assert.equal(new URL('blob:file:///x').origin, 'null');
});

test('opaque paths: mailto and data have no host', () => {
  const u = new URL('mailto:someone@example.com?subject=hi');
  assert.equal(u.pathname, 'someone@example.com');
  assert.equal(u.host, '');
  assert.equal(u.search, '?subject=hi');
  assert.equal(u.searchParams.get('subject'), 'hi');
});

test('the search setter encodes with the query set and refills searchParams', () => {
  const u = new URL('http://h/p?x=1#f');
  u.search = '?a=1 2&b=<';
  assert.equal(u.href, 'http://h/p?a=1%202&b=%3C#f');
  assert.equal(u.searchParams.get('a'), '1 2');
  u.search = 'c=3';
  assert.equal(u.search, '?c=3');
  u.search = '';
  assert.equal(u.href, 'http://h/p#f');
  assert.equal(u.searchParams.size, 0);
});

test('the hash setter encodes with the fragment set; "" removes it', () => {
  const u = new URL('http://h/p');
  u.hash = 'a b';
  assert.equal(u.href, 'http://h/p#a%20b');
  u.hash = '#c';
  assert.equal(u.hash, '#c');
  u.hash = '';
  assert.equal(u.href, 'http://h/p');
});

test('the pathname setter normalizes and encodes; an opaque path ignores it', () => {
  const u = new URL('http://h/old?q');
  u.pathname = 'a/./b/../c d';
  assert.equal(u.href, 'http://h/a/c%20d?q');
  u.pathname = '/x?y#z';
  assert.equal(u.pathname, '/x%3Fy%23z');
  const m = new URL('mailto:a@b');
  m.pathname = 'c@d';
  assert.equal(m.href, 'mailto:a@b');
});

test('the port setter: digits up to the first non-digit, default dropped, file ignored', () => {
  const u = new URL('http://h/');
  u.port = '8080';
  assert.equal(u.host, 'h:8080');
  u.port = '81abc';
  assert.equal(u.port, '81');
  u.port = '80';
  assert.equal(u.port, '');
  assert.equal(u.href, 'http://h/');
  u.port = '99999';
  assert.equal(u.port, '', 'an out-of-range port leaves the URL as it was');
  u.port = '1';
  u.port = '';
  assert.equal(u.port, '');
  const f = new URL('file:///x');
  f.port = '8';
  assert.equal(f.href, 'file:///x');
});

test('the href setter reparses, and throws on failure', () => {
  const u = new URL('http://h/?a=1');
  const params = u.searchParams;
  u.href = 'https://other/?b=2';
  assert.equal(u.host, 'other');
  assert.equal(params.get('b'), '2');
  assert.equal(params.get('a'), null);
  assert.throws(() => { u.href = 'nope'; }, /Invalid URL/);
});

test('URL.parse returns null for failures', () => {
  assert.equal(URL.parse('::'), null);
  assert.equal(URL.parse('/p', 'http://h/').href, 'http://h/p');
});

// --- URLSearchParams ---------------------------------------------------------

test('URLSearchParams from a string: leading "?" dropped, "+" a space, UTF-8 escapes', () => {
  const p = new URLSearchParams('?a=1&b=x+y&c=%C3%A9&d&=e&&f=%zz&a=2');
  assert.deepEqual([...p], [['a', '1'], ['b', 'x y'], ['c', 'é'], ['d', ''], ['', 'e'], ['f', '%zz'], ['a', '2']]);
  assert.equal(p.size, 7);
  assert.equal(new URLSearchParams('x=%FF').get('x'), '\uFFFD');
  assert.equal(new URLSearchParams('a=b=c').get('a'), 'b=c');
});

test('URLSearchParams from a record and from pairs', () => {
  assert.equal(new URLSearchParams({ a: '1', b: 'two words' }).toString(), 'a=1&b=two+words');
  assert.equal(new URLSearchParams([['x', '1'], ['x', '2']]).toString(), 'x=1&x=2');
  assert.equal(new URLSearchParams(new Map([['m', 'v']])).toString(), 'm=v');
  assert.throws(() => new URLSearchParams([['only-one']]), /two items/);
  const copy = new URLSearchParams(new URLSearchParams('a=1&b=2'));
  assert.equal(copy.toString(), 'a=1&b=2');
});

test('URLSearchParams serializes with the urlencoded set, space as +', () => {
  const p = new URLSearchParams();
  p.append('a b', "*-._~!'()&=+/é");
  assert.equal(p.toString(), 'a+b=*-._%7E%21%27%28%29%26%3D%2B%2F%C3%A9');
});

test('append, get, getAll, has, delete (with a value), set', () => {
  const p = new URLSearchParams('a=1&b=2&a=3');
  assert.equal(p.get('a'), '1');
  assert.equal(p.get('z'), null);
  assert.deepEqual(p.getAll('a'), ['1', '3']);
  assert.ok(p.has('b'));
  assert.ok(p.has('a', '3'));
  assert.ok(!p.has('a', '2'));
  p.append('c', 4);
  assert.equal(p.get('c'), '4');
  p.delete('a', '1');
  assert.equal(p.toString(), 'b=2&a=3&c=4');
  p.set('b', 'x');
  p.append('b', 'y');
  p.set('b', 'z');
  assert.equal(p.toString(), 'b=z&a=3&c=4');
  p.delete('a');
  assert.equal(p.toString(), 'b=z&c=4');
});

test('sort is stable and orders by UTF-16 code units', () => {
  const p = new URLSearchParams('z=1&a=2&z=0&\uFFFD=x&\u{1F600}=y&a=1');
  p.sort();
  // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FFFD.
  assert.deepEqual([...p.keys()], ['a', 'a', 'z', 'z', '\u{1F600}', '\uFFFD']);
  assert.deepEqual([...p.values()], ['2', '1', '1', '0', 'y', 'x']);
});

test('forEach and entries see every pair in order', () => {
  const seen = [];
  new URLSearchParams('a=1&b=2').forEach((v, k) => seen.push(k + v));
  assert.deepEqual(seen, ['a1', 'b2']);
  assert.deepEqual([...new URLSearchParams('x=y').entries()], [['x', 'y']]);
});

test('searchParams changes write the URL query, with form encoding', () => {
  const u = new URL('https://h/p?a=1#frag');
  u.searchParams.append('b', 'two words');
  assert.equal(u.href, 'https://h/p?a=1&b=two+words#frag');
  u.searchParams.delete('a');
  u.searchParams.delete('b');
  assert.equal(u.href, 'https://h/p#frag', 'an empty list leaves no "?"');
  u.searchParams.set('q', 'é');
  assert.equal(u.search, '?q=%C3%A9');
});

test('the URL query fills searchParams when the URL is made', () => {
  const u = new URL('http://h/?a=b+c&d=%20');
  assert.equal(u.searchParams.get('a'), 'b c');
  assert.equal(u.searchParams.get('d'), ' ');
  assert.equal(u.searchParams, u.searchParams, 'the same object every time');
});

test('a URL shows no own enumerable properties (its state is behind symbols)', () => {
  assert.deepEqual(Object.keys(new URL('http://h/?a=1')), []);
  assert.deepEqual(Object.keys(new URLSearchParams('a=1')), []);
});

// The x-www-form-urlencoded parser's percent-decoding (§5.1): a "%" not
// followed by two hex digits stays as it is; "+" is a space before decoding.
const URLENCODED = [
  ['%=a', [['%', 'a']]],
  ['%a=a', [['%a', 'a']]],
  ['%a_=a', [['%a_', 'a']]],
  ['%61=a', [['a', 'a']]],
  ['%61+%4d%4D=', [['a MM', '']]],
  ['id=0&value=%', [['id', '0'], ['value', '%']]],
  ['b=%2sf%2a', [['b', '%2sf*']]],
  ['b=%2%2af%2a', [['b', '%2*f*']]],
  ['b=%%2a', [['b', '%*']]],
  ['a=%2B&b=%2b+', [['a', '+'], ['b', '+ ']]],
  ['a=%E2%82', [['a', '\uFFFD']]],
  ['\u00e9=\u{1F600}', [['\u00e9', '\u{1F600}']]],
  ['&&a&=&', [['a', ''], ['', '']]],
  ['%EF%BB%BFa=1', [['\uFEFFa', '1']]], // decoded without BOM stripping
];
for (const [input, pairs] of URLENCODED) {
  test(`urlencoded parse ${JSON.stringify(input)}`, () => {
    assert.deepEqual([...new URLSearchParams(input)], pairs);
  });
}

// --- The other setters (the parser's state overrides, §4.4) -------------------

test('the protocol setter: special to special only, default port dropped', () => {
  const u = new URL('http://h:443/p');
  u.protocol = 'https';
  assert.equal(u.href, 'https://h/p', '443 is https\'s default');
  u.protocol = 'WSS:ignored';
  assert.equal(u.protocol, 'wss:');
  u.protocol = 'foo';
  assert.equal(u.protocol, 'wss:', 'special cannot become non-special');
  u.protocol = '1http';
  assert.equal(u.protocol, 'wss:', 'a scheme starts with a letter');
  const m = new URL('foo://h/');
  m.protocol = 'http';
  assert.equal(m.protocol, 'foo:');
  m.protocol = 'bar';
  assert.equal(m.href, 'bar://h/');
  const withPort = new URL('http://h:81/');
  withPort.protocol = 'file';
  assert.equal(withPort.protocol, 'http:', 'a port cannot go into a file URL');
});

test('the username and password setters encode with the userinfo set', () => {
  const u = new URL('http://h/');
  u.username = 'me@x:y';
  u.password = 'p w/';
  assert.equal(u.href, 'http://me%40x%3Ay:p%20w%2F@h/');
  u.username = '';
  u.password = '';
  assert.equal(u.href, 'http://h/');
  const f = new URL('file:///x');
  f.username = 'u';
  assert.equal(f.href, 'file:///x');
  const m = new URL('mailto:a@b');
  m.password = 'p';
  assert.equal(m.href, 'mailto:a@b');
});

test('the host and hostname setters (the Workers proxy idiom)', () => {
  const u = new URL('https://public.example/api?x=1');
  u.hostname = 'Backend.Internal';
  assert.equal(u.href, 'https://backend.internal/api?x=1');
  u.host = 'origin:8443';
  assert.equal(u.href, 'https://origin:8443/api?x=1');
  u.hostname = 'other:99';
  assert.equal(u.host, 'origin:8443', 'hostname takes no port: the value is ignored');
  u.host = '0x7f.1';
  assert.equal(u.host, '127.0.0.1:8443');
  u.host = '[::1]:80';
  assert.equal(u.host, '[::1]:80', 'host keeps a non-default port');
  u.host = 'a b';
  assert.equal(u.hostname, '[::1]', 'an invalid host changes nothing');
  u.host = '';
  assert.equal(u.hostname, '[::1]', 'a special URL needs a host');
  const f = new URL('file://server/share');
  f.host = 'localhost';
  assert.equal(f.href, 'file:///share');
  const m = new URL('mailto:a@b');
  m.host = 'h';
  assert.equal(m.href, 'mailto:a@b');
});

// /lib/web/url-string's shortcut: a URL it says the parser would give back
// unchanged must be exactly what the parser gives back, and each way a URL
// is rewritten must keep it off the shortcut.
const { serializeURL, alreadySerialized } = require('/lib/web/url-string');

test('url-string: the shortcut takes only URLs the parser leaves unchanged', () => {
  const taken = [
    'http://h/', 'https://example.com/a/b?c=d&e', 'http://127.0.0.1/', 'http://10.0.2.15:8080/w?x', 'http://255.255.255.255/', 'http://localhost:8080/x', 'http://a-b.c/%41%zz/~!$&\'()*+,;=:@',
    'https://h/?', 'https://h/?x=/?:@', 'http://h.x1/...', 'http://h//a//', 'http://-h-.com/', 'http://h:65535/',
  ];
  for (const url of taken) {
    assert.ok(alreadySerialized(url), url);
    assert.equal(new URL(url).href, url, `the parser rewrites ${url}`);
    assert.equal(serializeURL(url), url);
  }
  const rewritten = [
    'HTTP://h/', 'http://H/', 'http://h', 'http://h:80/', 'https://h:443/', 'http://h:080/', 'http://h:65536/', 'http://h:/',
    'http://1.2/', 'http://1.2.3/', 'http://010.0.0.1/', 'http://256.0.0.1/', 'http://1.2.3.4.5/', 'http://h.0x7f/', 'http://xn--nxasmq6b.com/', 'http://a.xn--b/', 'http://u@h/',
    'http://h/a/./b', 'http://h/a/../b', 'http://h/.', 'http://h/a/..', 'http://h/%2e/', 'http://h/a/.%2E', 'http://h/a b',
    'http://h/a"b', 'http://h/a\\b', 'http://h/a{b}', 'http://h/a`b', 'http://h/?a\'b', 'http://h/?a b', 'http://h/#f',
    ' http://h/', 'http://h/\t', 'http://h..com/', 'http://h./', 'ftp://h/', 'http://h/é',
  ];
  for (const url of rewritten) assert.ok(!alreadySerialized(url), `${url} would go unparsed`);
});

test('url-string: on 2,000 generated URLs the shortcut and the parser agree', () => {
  // A small fixed PRNG (xorshift32), so a failure names its input again next run.
  let seed = 0x9e3779b9;
  const next = (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pick = (parts) => parts[next(parts.length)];
  // Mostly characters a URL keeps, now and then one the parser rewrites.
  const kept = "aZ09-._~!$&'()*+,;=:@%/?";
  const rewrites = '#. "<>`{}\\^|é\t';
  const piece = () => Array.from({ length: next(6) }, () => (next(12) ? kept[next(kept.length)] : rewrites[next(rewrites.length)])).join('');
  let taken = 0;
  for (let i = 0; i < 2000; i++) {
    const url = `${pick(['http', 'https', 'HTTP'])}://${pick(['h', 'h.com', 'a.b-c', '1.2', 'xn--a', 'H', 'h.0x1', '10.0.0.2', '1.02.3.4', '1.2.3.256'])}${pick(['', ':80', ':443', ':8080', ':0', ':08'])}${pick(['', '/'])}${piece()}${pick(['', '/'])}${piece()}`;
    let parsed = null;
    try {
      parsed = new URL(url).href;
    } catch (e) {
      parsed = null;
    }
    if (alreadySerialized(url)) {
      taken++;
      assert.equal(parsed, url, `the shortcut took ${JSON.stringify(url)}; the parser gives ${JSON.stringify(parsed)}`);
    }
  }
  assert.ok(taken > 100, `only ${taken} of 2,000 went the short way: the generator no longer tests it`);
});
