// Unit tests for kernel/proc/linker.js: which /lib modules a program's bytes
// require, found without decoding them, and the closure over a fake file
// system that holds bytes (as the VFS's readBytes gives them).
const { link } = require('/kernel/proc/linker');
const { utf8Bytes } = require('/kernel/lib/utf8');

// A VFS with only readBytes: {path: text}, stored as UTF-8; reads are counted.
function fakeVfs(files) {
  const reads = [];
  return {
    reads,
    readBytes(path) {
      reads.push(path);
      if (!(path in files)) throw Object.assign(new Error(`${path}: no such file`), { code: 'ENOENT' });
      return utf8Bytes(files[path]);
    },
  };
}
const names = (modules) => Object.keys(modules).sort();

test('literal requires, both quotes, spaces and newlines inside the call, with or without .js', () => {
  const vfs = fakeVfs({ '/lib/a.js': '', '/lib/b.js': '', '/lib/c/d.js': '', '/lib/e.js': '' });
  const source = "const a = require('/lib/a');\nconst b = require(\"/lib/b.js\");\nrequire( '/lib/c/d' );\nrequire(\n  '/lib/e'\n)\n";
  assert.deepEqual(names(link(vfs, utf8Bytes(source))), ['/lib/a.js', '/lib/b.js', '/lib/c/d.js', '/lib/e.js']);
});

test('not a literal /lib require: another name, an expression, another directory, a comment word', () => {
  const vfs = fakeVfs({ '/lib/a.js': '', '/lib/x.js': '' });
  const source = [
    "myrequire('/lib/a');", // another function
    "require('/lib/' + name);", // built at run time
    "require('/lib/x' + '.js');", // an expression, not a literal
    "require('./local');", // not /lib
    "require(path);",
    'acquire the lock; requirement met; require', // q's that start nothing
  ].join('\n');
  assert.deepEqual(names(link(vfs, utf8Bytes(source))), []);
});

test('a property call still links, as the regular expression before it did', () => {
  const vfs = fakeVfs({ '/lib/a.js': '' });
  assert.deepEqual(names(link(vfs, utf8Bytes("module.require('/lib/a');"))), ['/lib/a.js']);
});

test('text around the call may be any UTF-8: the bytes are scanned, never decoded', () => {
  const vfs = fakeVfs({ '/lib/a.js': 'ok' });
  const modules = link(vfs, utf8Bytes("// héllo — 日本 🎉 q\nconst x = 'ünïcode q';\nrequire('/lib/a');\n"));
  assert.deepEqual(names(modules), ['/lib/a.js']);
  assert.ok(modules['/lib/a.js'] instanceof Uint8Array, 'modules stay bytes');
});

test('libraries that require libraries: the whole closure, each read once, cycles end', () => {
  const vfs = fakeVfs({
    '/lib/top.js': "require('/lib/mid'); require('/lib/leaf');",
    '/lib/mid.js': "require('/lib/leaf'); require('/lib/top');",
    '/lib/leaf.js': 'module.exports = 1;',
  });
  assert.deepEqual(names(link(vfs, utf8Bytes("require('/lib/top');"))), ['/lib/leaf.js', '/lib/mid.js', '/lib/top.js']);
  assert.deepEqual(vfs.reads.sort(), ['/lib/leaf.js', '/lib/mid.js', '/lib/top.js']);
});

test('a missing library is left out (the app reports it when it runs); the rest are linked', () => {
  const vfs = fakeVfs({ '/lib/here.js': '' });
  assert.deepEqual(names(link(vfs, utf8Bytes("require('/lib/gone'); require('/lib/here');"))), ['/lib/here.js']);
});

test('an unclosed quote or a path past 256 bytes links nothing and does not throw', () => {
  const vfs = fakeVfs({});
  assert.deepEqual(names(link(vfs, utf8Bytes("require('/lib/never"))), []);
  assert.deepEqual(names(link(vfs, utf8Bytes(`require('/lib/${'x'.repeat(300)}')`))), []);
});
