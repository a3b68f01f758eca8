// Unit tests for the completion libraries the REPL client's questions reach:
// fs/lib/complete/javascript.js (eval) and fs/lib/complete/shell.js (the
// session shell), with a small in-memory file tree standing in for sys.fs.
const { completeJavaScript, isCompleteJavaScript } = require('/lib/complete/javascript');
const { completeShell, scan, BUILTINS: COMPLETED_BUILTINS } = require('/lib/complete/shell');
const { Shell, BUILTINS } = require('/lib/shell/exec');

const texts = (r) => r.items.map((i) => i.text);

// ---- JavaScript -------------------------------------------------------------------

test('Math. lists the members of Math, and a partial name narrows them', () => {
  const all = completeJavaScript('Math.');
  assert.ok(texts(all).includes('max') && texts(all).includes('PI'), texts(all).join(' '));
  const r = completeJavaScript('x = Math.ma');
  assert.deepEqual(texts(r), ['max']);
  assert.equal(r.start, 9);
  assert.equal(r.end, 11);
});

test('a chain is followed, prototypes included; a missing link gives nothing', () => {
  globalThis.completeFixture = { inner: { alpha: 1, beta: 2 } };
  try {
    assert.deepEqual(texts(completeJavaScript('completeFixture.inner.al')), ['alpha']);
    assert.ok(texts(completeJavaScript('completeFixture.inner.')).includes('hasOwnProperty'));
    assert.deepEqual(texts(completeJavaScript('completeFixture.nothing.x')), []);
    assert.deepEqual(texts(completeJavaScript('noSuchGlobalAnywhere.')), []);
  } finally {
    delete globalThis.completeFixture;
  }
});

test('global names and keywords complete; the runtime internals do not show', () => {
  assert.ok(texts(completeJavaScript('Mat')).includes('Math'));
  assert.ok(texts(completeJavaScript('ret')).includes('return'));
  assert.ok(!texts(completeJavaScript('__s')).includes('__sys'));
  assert.deepEqual(texts(completeJavaScript('foo', 3, ['fooBar'])), ['fooBar']);
});

test('no completion inside a number or after a string', () => {
  assert.deepEqual(texts(completeJavaScript('1.')), []);
  assert.deepEqual(texts(completeJavaScript("'abc'.")), []);
});

test('is-complete: whole inputs, unfinished ones with an indent, and mistakes', () => {
  const status = (code) => isCompleteJavaScript(code).status;
  assert.equal(status('1 + 2'), 'complete');
  assert.equal(status('await 1'), 'complete');
  assert.equal(status('{ a: 1 }'), 'complete');
  assert.equal(status(''), 'complete');
  assert.equal(status('function f() {'), 'incomplete');
  assert.equal(isCompleteJavaScript('function f() {').indent, '  ');
  assert.equal(status('foo(1,'), 'incomplete');
  assert.equal(status('[1, 2'), 'incomplete');
  assert.equal(status('`abc'), 'incomplete');
  assert.equal(status('/* note'), 'incomplete');
  assert.equal(status('1 +'), 'incomplete');
  assert.equal(status('if (x)'), 'incomplete');
  assert.equal(status('a b'), 'invalid');
  assert.equal(status('foo(]'), 'invalid');
  assert.equal(status("'abc"), 'invalid');
  assert.equal(status('}'), 'invalid');
});

test('is-complete agrees with Node\'s REPL on what waits for more lines', () => {
  const status = (code) => isCompleteJavaScript(code).status;
  // a template with an open ${, nested templates inside it
  assert.equal(status('`a ${'), 'incomplete');
  assert.equal(status('`a ${b + `c ${'), 'incomplete');
  assert.equal(status('`a ${1}`'), 'complete');
  assert.equal(status('`a ${1} b'), 'incomplete');
  // regular expressions holding quotes and brackets, inside an unfinished function
  assert.equal(status("function f(x) { return /[(']/.test(x)"), 'incomplete');
  assert.equal(status('function f(x) { return x.replace(/"/g, "")'), 'incomplete');
  assert.equal(status('const r = /[/]/'), 'complete');
  assert.equal(status('a / b / c'), 'complete'); // divisions, not a regular expression
  // a string continued with a trailing backslash
  assert.equal(status('var foo = "bar\\'), 'incomplete');
  assert.equal(status('var foo = "bar\\\nbaz"'), 'complete');
  // an object literal, a member access, a try waiting for catch
  assert.equal(status('{ "a": '), 'incomplete');
  assert.equal(status('a.'), 'incomplete');
  assert.equal(status('try {}'), 'incomplete');
  assert.equal(status('do { x++ }'), 'incomplete');
  // mistakes stay mistakes
  assert.equal(status('`a ${)}`'), 'invalid');
  assert.equal(status('x = /abc\nd/'), 'invalid');
  assert.equal(status('"abc\ndef"'), 'invalid');
});

test('is-complete compiles but never runs the code', () => {
  globalThis.completeRan = false;
  assert.equal(isCompleteJavaScript('completeRan = true').status, 'complete');
  assert.equal(isCompleteJavaScript('completeRan = true; function f() {').status, 'incomplete');
  assert.equal(globalThis.completeRan, false);
  delete globalThis.completeRan;
});

// ---- the shell --------------------------------------------------------------------

const TREE = {
  '/': ['bin/', 'etc/', 'tmp/', '.hidden'],
  '/bin': ['ls.js', 'echo.js', 'eval.js', 'cat.js'],
  '/etc': ['hostname', 'hosts', 'motd'],
  '/tmp': ['my file', 'notes/'],
  '/tmp/notes': ['a.txt'],
};
const SOURCES = {
  '/bin/ls.js': "module.exports.description = 'list directory contents';\nmodule.exports.options = { '-l': 'long listing', '-a': 'all' };",
  '/bin/echo.js': "module.exports.description = 'print its arguments';",
  '/bin/eval.js': "module.exports.description = 'evaluate JavaScript';",
  '/bin/cat.js': "module.exports.description = 'print files';",
};

function fakeSys() {
  const reads = [];
  const sys = {
    reads,
    env: { HOME: '/', PATH: '/bin' },
    cwd: '/',
    fs: {
      readdir: async (path) => {
        const key = path.replace(/(.)\/+$/, '$1');
        if (!TREE[key]) throw Object.assign(new Error(`${path}: No such file or directory`), { code: 'ENOENT' });
        return TREE[key].map((n) => ({ name: n.replace(/\/$/, ''), type: n.endsWith('/') ? 'dir' : 'file' }));
      },
      readFile: async (path) => {
        reads.push(path);
        if (!(path in SOURCES)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return SOURCES[path];
      },
    },
  };
  return sys;
}

async function complete(line, { cwd = '/', cursor = line.length, cache } = {}) {
  const sys = fakeSys();
  const shell = new Shell({ sys, cwd });
  return completeShell(line, cursor, { shell, sys, cache });
}

test('the first word completes to commands and builtins, with their descriptions', async () => {
  const r = await complete('ec');
  assert.deepEqual(texts(r), ['echo']);
  assert.equal(r.items[0].meta, 'print its arguments');
  assert.equal(r.start, 0);
  assert.deepEqual(texts(await complete('c')), ['cat', 'cd', 'command', 'continue']);
  assert.deepEqual(texts(await complete('ls; e')), ['echo', 'eval', 'exec', 'exit', 'export']);
  assert.deepEqual(texts(await complete('ls | ca')), ['cat']);
});

test('the job control builtins complete too', async () => {
  const r = await complete('jo');
  assert.deepEqual(texts(r), ['jobs']);
  assert.equal(r.items[0].meta, 'list the background jobs');
  assert.deepEqual(texts(await complete('ls & f')), ['fg']);
  assert.deepEqual(texts(await complete('wa')), ['wait']);
});

test('every builtin the shell runs is offered, with a description', () => {
  for (const name of Object.keys(BUILTINS)) {
    assert.ok(typeof COMPLETED_BUILTINS[name] === 'string' && COMPLETED_BUILTINS[name].length > 0, `${name} is not completed`);
  }
});

test('later words complete to paths; directories end in a slash', async () => {
  let r = await complete('ls /e');
  assert.deepEqual(texts(r), ['/etc/']);
  assert.equal(r.start, 3);
  assert.deepEqual(texts(await complete('cat /etc/ho')), ['/etc/hostname', '/etc/hosts']);
  assert.deepEqual(texts(await complete('cat notes/', { cwd: '/tmp' })), ['notes/a.txt']);
  assert.deepEqual(texts(await complete('ls ')), ['bin/', 'etc/', 'tmp/']);
  assert.deepEqual(texts(await complete('ls .')), ['.hidden']);
  assert.deepEqual(texts(await complete('ls /nowhere/x')), []);
  assert.deepEqual(texts(await complete('echo hi > /t')), ['/tmp/']);
});

test('blanks in names are escaped, or kept inside the quote typed', async () => {
  assert.deepEqual(texts(await complete('cat my', { cwd: '/tmp' })), ['my\\ file']);
  const r = await complete("cat 'my f", { cwd: '/tmp' });
  assert.deepEqual(texts(r), ["'my file"]);
  assert.equal(r.start, 4);
});

test('options come from what the app declares, and sources are read once', async () => {
  const cache = new Map();
  const r = await complete('ls -', { cache });
  assert.deepEqual(texts(r), ['-l', '-a']);
  assert.equal(r.items[0].meta, 'long listing');
  await complete('ls -l', { cache });
  assert.deepEqual(texts(await complete('ls -l', { cache })), ['-l']);
});

test('variables complete after $', async () => {
  const r = await complete('echo $HO');
  assert.deepEqual(texts(r), ['$HOME']);
  assert.equal(r.start, 5);
});

test('after eval the rest of the line is JavaScript', async () => {
  const r = await complete('eval Math.ma');
  assert.deepEqual(texts(r), ['max']);
  assert.equal(r.start, 10);
  assert.ok(texts(await complete('ls; eval JSO')).includes('JSON'));
});

test('scan follows quotes and backslashes to the word under the cursor', () => {
  assert.deepEqual(scan('ls "a b" c\\ d').words, ['ls', 'a b']);
  assert.equal(scan('ls "a b" c\\ d').word.text, 'c d');
  assert.equal(scan("echo 'x").quoted, "'");
});
