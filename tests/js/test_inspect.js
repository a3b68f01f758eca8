// Unit tests for fs/lib/inspect.js: each value printed as Node's util.inspect
// (v20) prints it, as literal strings, and values that must not break it.
const { inspect, formatError } = require('/lib/inspect');

const same = (value, expected, options) => assert.equal(inspect(value, options), expected);

// An error whose stack has no frames, so the expected text is stable.
function bareError(Type, message) {
  const e = new Type(message);
  e.stack = `${e.name}: ${message}`;
  return e;
}

test('primitives', () => {
  same('hello', "'hello'");
  same("it's", `"it's"`);
  same(`it's "x"`, "`it's \"x\"`");
  same('a\nb\t\x1b\\', "'a\\nb\\t\\x1B\\\\'");
  same(42, '42');
  same(-0, '-0');
  same(0.5, '0.5');
  same(NaN, 'NaN');
  same(1n, '1n');
  same(true, 'true');
  same(undefined, 'undefined');
  same(null, 'null');
  same(Symbol('s'), 'Symbol(s)');
  same('😀', "'😀'");
  same('\ud800', "'\\uD800'");
});

test('functions and classes', () => {
  same(function foo() {}, '[Function: foo]');
  same(() => {}, '[Function (anonymous)]');
  same(async function af() {}, '[AsyncFunction: af]');
  same(function* gen() {}, '[GeneratorFunction: gen]');
  class Animal {}
  class Dog extends Animal {}
  same(Animal, '[class Animal]');
  same(Dog, '[class Dog extends Animal]');
  same(Object.assign(function tagged() {}, { x: 1 }), '[Function: tagged] { x: 1 }');
});

test('arrays', () => {
  same([1, 2, 3], '[ 1, 2, 3 ]');
  same([], '[]');
  same(['a', 'b'], "[ 'a', 'b' ]");
  same([1, , 3], '[ 1, <1 empty item>, 3 ]'); // eslint-disable-line no-sparse-arrays
  same(new Array(3), '[ <3 empty items> ]');
  same(Object.assign([1], { extra: true }), '[ 1, extra: true ]');
});

test('objects', () => {
  same({ a: 1, 'b-c': 2 }, "{ a: 1, 'b-c': 2 }");
  same({}, '{}');
  same({ a: [1, 2], s: 'x' }, "{ a: [ 1, 2 ], s: 'x' }");
  same({ [Symbol('k')]: 1 }, '{ [Symbol(k)]: 1 }');
  same(Object.create(null), '[Object: null prototype] {}');
  same(Object.assign(Object.create(null), { a: 1 }), '[Object: null prototype] { a: 1 }');
  class Point {
    constructor() {
      this.x = 1;
      this.y = 2;
    }
  }
  same(new Point(), 'Point { x: 1, y: 2 }');
  same(Math, 'Object [Math] {}');
});

test('nesting beyond the depth becomes [Object] and [Array]', () => {
  same({ a: { b: { c: { d: 1 } } } }, '{ a: { b: { c: [Object] } } }');
  same([[[[1]]]], '[ [ [ [Array] ] ] ]');
  same({ a: { b: 1 } }, '{ a: [Object] }', { depth: 0 });
  same({ a: { b: { c: { d: 1 } } } }, '{\n  a: { b: { c: { d: 1 } } }\n}', { depth: Infinity });
});

test('circular references', () => {
  const o = { name: 'o' };
  o.self = o;
  same(o, "<ref *1> { name: 'o', self: [Circular *1] }");
  const list = [1];
  list.push({ back: list });
  same(list, '<ref *1> [ 1, { back: [Circular *1] } ]');
});

test('Map, Set and weak collections', () => {
  same(new Map([['a', 1]]), "Map(1) { 'a' => 1 }");
  same(new Map(), 'Map(0) {}');
  same(new Set([1, 2]), 'Set(2) { 1, 2 }');
  same(new Set([[1]]), 'Set(1) { [ 1 ] }');
  same(new WeakMap(), 'WeakMap { <items unknown> }');
});

test('dates and regular expressions', () => {
  same(new Date(0), '1970-01-01T00:00:00.000Z');
  same(new Date(NaN), 'Invalid Date');
  same(/ab+c/gi, '/ab+c/gi');
});

test('errors show their stack, or [name: message] without frames', () => {
  const e = new Error('boom');
  assert.equal(inspect(e), e.stack);
  assert.ok(inspect(e).startsWith('Error: boom\n    at '));
  same(bareError(Error, 'boom'), '[Error: boom]');
  same(bareError(TypeError, 'bad'), '[TypeError: bad]');
  same(Object.assign(bareError(Error, 'x'), { code: 'E' }), "[Error: x] { code: 'E' }");
  class MyError extends Error {}
  same(bareError(MyError, 'mine'), '[MyError: mine]');
  same({ e: bareError(Error, 'in') }, '{ e: [Error: in] }');
});

test('formatError drops the brackets, as the REPL does', () => {
  assert.equal(formatError(bareError(Error, 'msg')), 'Error: msg');
  assert.equal(formatError(bareError(RangeError, 'r')), 'RangeError: r');
  assert.equal(formatError('text'), "'text'");
  assert.equal(formatError(42), '42');
  const e = new Error('deep');
  assert.equal(formatError(e), e.stack);
});

test('typed arrays, ArrayBuffer, DataView', () => {
  same(new Uint8Array([1, 2, 3]), 'Uint8Array(3) [ 1, 2, 3 ]');
  same(new Uint8Array(0), 'Uint8Array(0) []');
  same(new BigInt64Array([5n]), 'BigInt64Array(1) [ 5n ]');
  same(new Uint8Array([1, 2]).buffer, 'ArrayBuffer { [Uint8Contents]: <01 02>, byteLength: 2 }');
  same(
    new DataView(new ArrayBuffer(2)),
    'DataView {\n  byteLength: 2,\n  byteOffset: 0,\n  buffer: ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }\n}',
  );
});

test('promises are all <pending>: their state is not visible to JavaScript', () => {
  same(Promise.resolve(1), 'Promise { <pending> }');
  same(new Promise(() => {}), 'Promise { <pending> }');
});

test('getters are shown, never called', () => {
  let called = false;
  const o = {
    get risky() {
      called = true;
      throw new Error('no');
    },
  };
  same(o, '{ risky: [Getter] }');
  assert.equal(called, false);
  same({ get x() { return 1; }, set x(v) {} }, '{ x: [Getter/Setter] }'); // prettier-ignore
  same({ set only(v) {} }, '{ only: [Setter] }');
});

test('boxed primitives', () => {
  same(new Number(3), '[Number: 3]');
  same(new String('ab'), "[String: 'ab']");
  same(Object(Symbol('q')), '[Symbol: Symbol(q)]');
});

test('long arrays stop after 100 items', () => {
  const text = inspect(Array.from({ length: 150 }, (_, i) => i));
  assert.ok(text.endsWith('  96, 97, 98, 99,\n  ... 50 more items\n]'), text);
  assert.ok(text.startsWith('[\n   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n'), text);
});

test('seven or more short items are grouped in columns', () => {
  same([1, 2, 3, 4, 5, 6, 7], '[\n  1, 2, 3, 4,\n  5, 6, 7\n]');
});

test('wide objects break over lines, two spaces deep', () => {
  same(
    { alpha: 'aaaaaaaaaa', beta: 'bbbbbbbbbb', gamma: 'cccccccccc', delta: 'dddddddddd' },
    "{\n  alpha: 'aaaaaaaaaa',\n  beta: 'bbbbbbbbbb',\n  gamma: 'cccccccccc',\n  delta: 'dddddddddd'\n}",
  );
  same(
    { list: ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc', 'dddddddddddd', 'eeeeeeeeeeee'] },
    "{\n  list: [\n    'aaaaaaaaaaaa',\n    'bbbbbbbbbbbb',\n    'cccccccccccc',\n    'dddddddddddd',\n    'eeeeeeeeeeee'\n  ]\n}",
  );
  const text = 'line one is here\nline two is long enough to need a line of its own, and then some more';
  same(text, "'line one is here\\n' +\n  'line two is long enough to need a line of its own, and then some more'");
});

test('colors', () => {
  same(1, '\x1b[33m1\x1b[39m', { colors: true });
  same('s', "\x1b[32m's'\x1b[39m", { colors: true });
  same([null], '[ \x1b[1mnull\x1b[22m ]', { colors: true });
});

test('never throws: proxies and throwing methods', () => {
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('get');
      },
      ownKeys() {
        throw new Error('ownKeys');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf');
      },
      getOwnPropertyDescriptor() {
        throw new Error('gOPD');
      },
      has() {
        throw new Error('has');
      },
    },
  );
  same(hostile, '[object]');
  same({ inner: hostile }, '{ inner: [object] }');
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  same(proxy, '[object]');
  same(new Proxy({ a: 1 }, {}), '{ a: 1 }');
  same({ toString() { throw new Error('no'); } }, '{ toString: [Function: toString] }'); // prettier-ignore
  const tagged = {
    get [Symbol.toStringTag]() {
      throw new Error('tag');
    },
  };
  same(tagged, '{ [Symbol(Symbol.toStringTag)]: [Getter] }');
  const deep = [];
  let cur = deep;
  for (let i = 0; i < 50000; i++) cur = cur[0] = [];
  assert.equal(typeof inspect(deep, { depth: Infinity }), 'string');
});
