// Tests for fs/lib/worker/module-form.js: a worker's ES module source as a
// classic script mini-racer can run. Each case is transformed, evaluated
// (indirect eval, as the runtime will), and its namespace checked; the
// line numbers must not move, and module syntax in strings, comments,
// templates and regular expressions must be left alone.
const { toClassicScript, topLevelKeywords } = require('/lib/worker/module-form');

const load = (src) => (0, eval)(toClassicScript(src));

test('export default of an object with an async fetch: the Workers form', async () => {
  const ns = load('export default {\n  async fetch(request, env, ctx) {\n    return `hello ${request}`;\n  },\n};\n');
  assert.equal(typeof ns.default.fetch, 'function');
  assert.equal(await ns.default.fetch('you'), 'hello you');
});

test('export default of a function, an async function, a class, an expression', () => {
  assert.equal(load('export default function f() { return 1 }').default(), 1);
  assert.equal(load('export default async function () { return 2 }').default.constructor.name, 'AsyncFunction');
  assert.equal(new (load('export default class C { get x() { return 3 } }').default)().x, 3);
  assert.equal(load('const a = 20\nexport default a + 1').default, 21);
});

test('named exports: declarations, lists with as, and a default among them', () => {
  const ns = load([
    'export const a = 1, b = [2, 3], c = { d: 4 };',
    'export let e = "x,y"',
    'export function f() { return a + 1 }',
    'export async function g() {}',
    'export class H {}',
    'const i = 9, j = 10',
    'export { i, j as k }',
    'export default { a }',
  ].join('\n'));
  assert.deepEqual(Object.keys(ns).sort(), ['H', 'a', 'b', 'c', 'default', 'e', 'f', 'g', 'i', 'k']);
  assert.equal(ns.a, 1);
  assert.deepEqual(ns.b, [2, 3]);
  assert.equal(ns.e, 'x,y');
  assert.equal(ns.f(), 2);
  assert.equal(ns.k, 10);
  assert.equal(ns.default.a, 1);
});

test('export and import inside strings, comments, templates, regexes and blocks are left alone', () => {
  const src = [
    '// export default 1',
    '/* import x from "y" */',
    'const s = "export default 2", t = \'import z\';',
    'const u = `export default ${"{"} ${ { a: 1 }.a } import`;',
    'const r = /export default/g, q = 4 / 2 / 1;',
    'function inner() { const o = { export: 1, import: 2 }; return o.export + o.import; }',
    'export default { s, t, u, r, q, n: inner() }',
  ].join('\n');
  assert.deepEqual(topLevelKeywords(src).map((k) => [k.word, k.line]), [['export', 7]]);
  const ns = load(src);
  assert.equal(ns.default.s, 'export default 2');
  assert.equal(ns.default.u, 'export default { 1 import');
  assert.ok(ns.default.r.test('export default'));
  assert.equal(ns.default.q, 2);
  assert.equal(ns.default.n, 3);
});

test('an export after a line without a semicolon is found (ASI), one after a dot is not', () => {
  assert.equal(load('const a = 1\nexport default a').default, 1);
  assert.deepEqual(topLevelKeywords('x.\nexport').map((k) => k.word), []);
});

test('line numbers are kept: an error thrown on line 3 of the module says line 3', () => {
  const ns = load('export default {\n  fetch() {\n    throw new Error("boom");\n  },\n};');
  let stack = '';
  try {
    ns.default.fetch();
  } catch (e) {
    stack = e.stack;
  }
  assert.ok(/:3:\d+/.test(stack), stack);
});

test('the module is strict, as ES modules are', () => {
  assert.throws(() => load('undeclared = 1; export default 1'), /undeclared is not defined/);
});

test('import, export * and destructuring exports are refused with the line', () => {
  assert.throws(() => toClassicScript('const a = 1;\nimport x from "./x.js";'), /import is not supported: a worker is one file.*\(line 2\)/);
  assert.throws(() => toClassicScript('export * from "./x.js"'), /export \* from another module is not supported/);
  assert.throws(() => toClassicScript('export const { a, b } = o'), /destructuring pattern/);
  assert.throws(() => toClassicScript('const s = "unterminated\nexport default 1'), /unterminated string \(line 1\)/);
  // import() and import.meta are expressions, not statements: left to V8.
  assert.deepEqual(topLevelKeywords('import("x"); import.meta'), []);
});
