// Unit tests for kernel/loader.js: path resolution, caching, cycles, errors.
const files = {
  '/a/main.js': "const b = require('./b'); module.exports = { b, again: require('../a/b.js') === b };",
  '/a/b.js': "module.exports = { name: 'b', file: __filename, dir: __dirname };",
  '/c/cycle1.js': "require('./cycle2');",
  '/c/cycle2.js': "require('./cycle1');",
  '/d/data.json': '{"x": 1}',
};
const req = __makeRequire((p) => files[p] ?? null);

test('resolves relative paths and caches modules', () => {
  const m = req('/a/main');
  assert.equal(m.b.name, 'b');
  assert.equal(m.b.file, '/a/b.js');
  assert.equal(m.b.dir, '/a');
  assert.equal(m.again, true);
});

test('reports a missing module by path', () => {
  assert.throws(() => req('/nope'), /Cannot find module '\/nope.js'/);
});

test('reports a require cycle', () => {
  assert.throws(() => req('/c/cycle1'), /require cycle/);
});

test('loads JSON', () => {
  assert.deepEqual(req('/d/data.json'), { x: 1 });
});
