// Unit tests for fs/lib/web/base64.js (atob, btoa) and the DOMException they
// throw: RFC 4648 §10's test vectors both ways, then the forgiving-base64
// rules of the Infra Standard that WPT's html/webappapis/atob/base64.any.js
// exercises: whitespace anywhere, optional padding, stray trailing bits,
// and the inputs that must be InvalidCharacterError.
const { atob, btoa } = require('/lib/web/base64');
const { DOMException } = require('/lib/web/dom-exception');

// The DOMException `fn` throws (or a failure if it throws nothing).
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}

const RFC4648 = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];

test('btoa: RFC 4648 §10 vectors', () => {
  for (const [plain, coded] of RFC4648) assert.equal(btoa(plain), coded, plain);
});

test('atob: RFC 4648 §10 vectors', () => {
  for (const [plain, coded] of RFC4648) assert.equal(atob(coded), plain, coded);
});

test('every byte value round-trips', () => {
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  assert.equal(btoa(all).slice(0, 8), 'AAECAwQF');
  assert.equal(btoa('\xff\xfe'), '//4=');
  assert.equal(btoa('\xfb\xff'), '+/8=');
  assert.equal(atob(btoa(all)), all);
});

test('atob: ASCII whitespace anywhere is removed', () => {
  assert.equal(atob(' Zm9v\tYm\nFy\f\r'), 'foobar');
  assert.equal(atob('Zg = ='), 'f');
});

test('atob: padding is optional, and stray bits in the last character are ignored', () => {
  assert.equal(atob('Zg'), 'f');
  assert.equal(atob('Zm8'), 'fo');
  assert.equal(atob('Zh=='), 'f', 'h leaves nonzero low bits');
  assert.equal(atob('Zm9='), 'fo');
});

test('atob: inputs the forgiving decoder rejects', () => {
  for (const bad of ['Z', 'Zm9vY', 'Zg=', 'Zg===', '=Zm8', 'Zm=8', 'Zm9v=', 'Z===', 'ab-c', 'ab_c', 'Zm9v\u00e9', 'Zm\v9v', '====']) {
    const e = thrown(() => atob(bad));
    assert.equal(e.name, 'InvalidCharacterError', JSON.stringify(bad));
    assert.equal(e.code, 5);
    assert.ok(e instanceof DOMException && e instanceof Error);
  }
});

test('atob: its argument is converted to a string first', () => {
  assert.equal(atob(null), '\x9e\xe9e', '"null" is valid base64');
  assert.equal(thrown(() => atob(undefined)).name, 'InvalidCharacterError', '"undefined" has 9 characters');
  assert.equal(atob(''), '');
  assert.throws(() => atob(), /argument/);
});

test('btoa: anything past U+00FF is InvalidCharacterError', () => {
  const e = thrown(() => btoa('caf\u00e9 \u20ac'));
  assert.equal(e.name, 'InvalidCharacterError');
  assert.equal(thrown(() => btoa('\u{1F600}')).name, 'InvalidCharacterError');
  assert.equal(btoa('caf\u00e9'), 'Y2Fm6Q==');
  assert.equal(btoa(12), 'MTI=');
});

test('DOMException: name, message, legacy code and constants', () => {
  const e = new DOMException('boom', 'DataCloneError');
  assert.equal(e.name, 'DataCloneError');
  assert.equal(e.message, 'boom');
  assert.equal(e.code, 25);
  assert.equal(new DOMException('x', 'OperationError').code, 0);
  assert.equal(new DOMException().name, 'Error');
  assert.equal(DOMException.INVALID_CHARACTER_ERR, 5);
  assert.equal(DOMException.URL_MISMATCH_ERR, 21);
  assert.equal(Object.prototype.toString.call(e), '[object DOMException]');
});
