// Unit tests for fs/lib/http/range.js (RFC 9110 §14) and content-type.js.
const { byteRange } = require('/lib/http/range');
const { contentType } = require('/lib/http/content-type');

test('byte ranges: first-last, open-ended, suffix, clipped to the size', () => {
  assert.deepEqual(byteRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(byteRange('bytes=990-2000', 1000), { start: 990, end: 999 });
  assert.deepEqual(byteRange('bytes=500-', 1000), { start: 500, end: 999 });
  assert.deepEqual(byteRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.deepEqual(byteRange('Bytes=1-1', 10), { start: 1, end: 1 });
});

test('unsatisfiable ranges are 416s; ones we do not take are ignored (the whole, 200)', () => {
  assert.equal(byteRange('bytes=1000-', 1000), 'unsatisfiable');
  assert.equal(byteRange('bytes=-0', 1000), 'unsatisfiable');
  assert.equal(byteRange('bytes=0-', 0), 'unsatisfiable');
  assert.equal(byteRange(undefined, 10), null);
  assert.equal(byteRange('items=0-1', 10), null);
  assert.equal(byteRange('bytes=5-1', 10), null);
  assert.equal(byteRange('bytes=0-1,3-4', 10), null, 'several ranges: the whole');
  assert.equal(byteRange('bytes=-', 10), null);
});

test('content types by extension, octet-stream for the rest', () => {
  assert.equal(contentType('/a/index.html'), 'text/html; charset=utf-8');
  assert.equal(contentType('x.JSON'), 'application/json');
  assert.equal(contentType('/a.b/README'), 'application/octet-stream');
  assert.equal(contentType('/tmp/.profile'), 'application/octet-stream');
  assert.equal(contentType('blob.bin'), 'application/octet-stream');
  assert.equal(contentType('pic.png'), 'image/png');
});
