// Unit tests for fs/lib/web/headers.js, the Fetch standard's Headers
// (WHATWG Fetch, "Headers class"), after the cases of web-platform-tests'
// fetch/api/headers: construction from each init kind, name and value
// checks, "get" combining, "set" and "delete", and iteration as "sort and
// combine" with Set-Cookie kept apart.
const { Headers, copyHeaders, setGuard } = require('/lib/web/headers');

const all = (h) => [...h];

test('constructed from a record, an array of pairs and another Headers', () => {
  const record = new Headers({ 'Content-Type': 'text/plain', 'X-A': '1' });
  assert.equal(record.get('content-type'), 'text/plain');
  const pairs = new Headers([['X-A', '1'], ['x-a', '2'], ['B', '3']]);
  assert.equal(pairs.get('X-A'), '1, 2');
  const copy = new Headers(pairs);
  copy.append('c', '4');
  assert.deepEqual(all(copy), [['b', '3'], ['c', '4'], ['x-a', '1, 2']]);
  assert.equal(pairs.has('c'), false, 'a copy is not the same list');
  assert.deepEqual(all(new Headers()), []);
  assert.deepEqual(all(new Headers(undefined)), []);
});

test('a pair of other than two items, a null or a primitive init is a TypeError', () => {
  assert.throws(() => new Headers([['a']]), /two items/);
  assert.throws(() => new Headers([['a', 'b', 'c']]), /two items/);
  assert.throws(() => new Headers(null));
  assert.throws(() => new Headers('a: b'));
  assert.throws(() => new Headers(['ab']));
});

test('names match case-insensitively and must be tokens', () => {
  const h = new Headers();
  h.append('Accept', 'a');
  assert.equal(h.get('ACCEPT'), 'a');
  assert.ok(h.has('accept'));
  for (const bad of ['', 'a b', 'a:b', 'a\u00e9', '\u0100', 'a\tb', '(x)', 'a\r\n']) {
    assert.throws(() => h.append(bad, 'v'), /header name/, `append ${JSON.stringify(bad)}`);
    assert.throws(() => h.get(bad), /header name/, `get ${JSON.stringify(bad)}`);
    assert.throws(() => h.has(bad), /header name/);
    assert.throws(() => h.set(bad, 'v'), /header name/);
    assert.throws(() => h.delete(bad), /header name/);
  }
  h.append("!#$%&'*+-.^_`|~09az", 'ok');
  assert.equal(h.get("!#$%&'*+-.^_`|~09AZ"), 'ok');
});

test('values lose leading and trailing HTTP whitespace; NUL, CR, LF inside are refused', () => {
  const h = new Headers({ a: ' \t\r\n x  y \n\t ' });
  assert.equal(h.get('a'), 'x  y');
  h.set('b', '\t');
  assert.equal(h.get('b'), '');
  h.set('v', '\x0b x \x0c');
  assert.equal(h.get('v'), '\x0b x \x0c', 'vertical tab and form feed are not HTTP whitespace');
  h.append('c', 'caf\xe9');
  assert.equal(h.get('c'), 'caf\xe9');
  for (const bad of ['a\0b', 'a\rb', 'a\nb', 'a\r\nb: c', '\u20ac']) {
    assert.throws(() => h.append('d', bad), /header value|ByteString/, JSON.stringify(bad));
    assert.throws(() => h.set('d', bad), /header value|ByteString/, JSON.stringify(bad));
    assert.throws(() => new Headers({ d: bad }), /header value|ByteString/);
  }
  assert.equal(h.has('d'), false);
});

test('append combines with ", " on get; get of an absent name is null', () => {
  const h = new Headers();
  assert.equal(h.get('x'), null);
  h.append('X', 'a');
  h.append('x', '');
  h.append('X', 'b, c');
  assert.equal(h.get('x'), 'a, , b, c');
});

test('set replaces every value of a name in the place of the first; delete removes them all', () => {
  const h = new Headers([['a', '1'], ['b', '2'], ['A', '3']]);
  h.set('a', '9');
  assert.equal(h.get('a'), '9');
  assert.deepEqual(all(h), [['a', '9'], ['b', '2']]);
  h.set('new', 'n');
  assert.equal(h.get('NEW'), 'n');
  h.delete('A');
  assert.equal(h.has('a'), false);
  assert.equal(h.get('a'), null);
  h.delete('absent');
  assert.deepEqual(all(h), [['b', '2'], ['new', 'n']]);
});

test('iteration is sort and combine: lower-case names in byte order, values combined', () => {
  const h = new Headers([['Z', '1'], ['a', '2'], ['B', '3'], ['z', '4'], ['_', '5'], ['A', '6']]);
  assert.deepEqual(all(h), [['_', '5'], ['a', '2, 6'], ['b', '3'], ['z', '1, 4']]);
  assert.deepEqual([...h.keys()], ['_', 'a', 'b', 'z']);
  assert.deepEqual([...h.values()], ['5', '2, 6', '3', '1, 4']);
  assert.deepEqual([...h.entries()], all(h));
  const seen = [];
  const self = {};
  h.forEach(function (value, name, headers) {
    seen.push([name, value, headers === h, this === self]);
  }, self);
  assert.deepEqual(seen, [['_', '5', true, true], ['a', '2, 6', true, true], ['b', '3', true, true], ['z', '1, 4', true, true]]);
  assert.equal(Object.prototype.toString.call(h), '[object Headers]');
  assert.equal(Object.prototype.toString.call(h.entries()), '[object Headers Iterator]');
});

test('Set-Cookie values are not combined when iterating; getSetCookie gives each', () => {
  const h = new Headers([['Set-Cookie', 'a=1, b'], ['X', 'x'], ['set-cookie', 'c=2']]);
  assert.deepEqual(all(h), [['set-cookie', 'a=1, b'], ['set-cookie', 'c=2'], ['x', 'x']]);
  assert.deepEqual(h.getSetCookie(), ['a=1, b', 'c=2']);
  assert.equal(h.get('set-cookie'), 'a=1, b, c=2');
  assert.deepEqual(new Headers().getSetCookie(), []);
  assert.deepEqual(new Headers({ 'Set-Cookie2': 'x' }).getSetCookie(), []);
});

test('an iterator sees headers added while it runs, as the spec sorts at each step', () => {
  const h = new Headers({ a: '1', c: '3' });
  const it = h.keys();
  assert.deepEqual(it.next(), { value: 'a', done: false });
  h.append('b', '2');
  assert.deepEqual(it.next(), { value: 'b', done: false });
  assert.deepEqual(it.next(), { value: 'c', done: false });
  assert.deepEqual(it.next(), { value: undefined, done: true });
});

test('an immutable guard refuses append, set and delete; copyHeaders copies the list', () => {
  const h = setGuard(new Headers({ a: '1' }), 'immutable');
  assert.throws(() => h.append('b', '2'), /immutable/);
  assert.throws(() => h.set('a', '2'), /immutable/);
  assert.throws(() => h.delete('a'), /immutable/);
  assert.equal(h.get('a'), '1');
  const c = copyHeaders(new Headers({ a: '1' }));
  c.set('a', '2');
  assert.equal(c.get('a'), '2');
});
