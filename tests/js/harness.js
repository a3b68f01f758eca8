// tests/js/harness.js: a tiny test framework for JavaScript unit tests run in V8.
//
// A test file calls test(name, fn) and uses assert.*; tests/js/runner.py
// evaluates the file in a fresh isolate, runs every test (awaiting async
// ones) and reports results to pytest as JSON. No Node.js is involved.
(function () {
  'use strict';
  const tests = [];
  globalThis.test = (name, fn) => tests.push({ name, fn });

  const show = (v) => {
    try {
      return v instanceof Uint8Array ? `Uint8Array[${Array.from(v).join(',')}]` : JSON.stringify(v);
    } catch (e) {
      return String(v);
    }
  };
  const fail = (msg) => {
    throw new Error(msg);
  };
  function deepEqual(a, b) {
    if (a === b) return true;
    if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      return true;
    }
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  globalThis.assert = {
    ok: (v, msg) => v || fail(msg || `expected truthy, got ${show(v)}`),
    equal: (a, b, msg) => a === b || fail(msg || `expected ${show(b)}, got ${show(a)}`),
    notEqual: (a, b, msg) => a !== b || fail(msg || `expected not ${show(b)}`),
    deepEqual: (a, b, msg) => deepEqual(a, b) || fail(msg || `expected ${show(b)}, got ${show(a)}`),
    // The promise rejects (with a message matching `re`): its error.
    rejects: async (promise, re) => {
      try {
        await promise;
      } catch (e) {
        if (re && !re.test(String(e && e.message))) fail(`rejected with ${show(String(e && e.message))}, expected ${re}`);
        return e;
      }
      return fail('expected a rejection');
    },
    match: (s, re, msg) => (typeof s === 'string' && re.test(s)) || fail(msg || `expected ${show(s)} to match ${re}`),
    throws: (fn, re, msg) => {
      try {
        fn();
      } catch (e) {
        if (re && !re.test(String(e && e.message))) fail(`threw ${show(String(e && e.message))}, expected ${re}`);
        return;
      }
      fail(msg || 'expected an exception');
    },
  };

  globalThis.__testNames = () => JSON.stringify(tests.map((t) => t.name));
  // Runs one test; the result lands in globalThis.__testResult as JSON.
  globalThis.__runTest = (name) => {
    const t = tests.find((x) => x.name === name);
    globalThis.__testResult = null;
    const done = (error) => {
      globalThis.__testResult = JSON.stringify(error ? { ok: false, error: String(error && error.stack || error) } : { ok: true });
    };
    try {
      Promise.resolve(t.fn()).then(() => done(null), done);
    } catch (e) {
      done(e);
    }
  };
})();
