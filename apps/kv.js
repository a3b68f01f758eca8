// apps/kv.js: a key-value store as a service: the RPC example of docs/apps.md.
//
// `svc start kv` runs it in its own isolate; any app can then call it:
//   const kv = await sys.services.connect('kv');
//   await kv.put('a', 1); await kv.get('a');   // -> 1
// `watch(key, fn)` shows a function crossing isolates: kv keeps a proxy of
// fn and calls back into the watcher's isolate on every put of that key.
// The store lives in this isolate's heap: if kv is evicted it starts empty.
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('kv', argv, module.exports);
  if (refused !== null) return refused;
  const store = new Map();
  const watchers = new Map(); // key -> Set of proxies into the watchers' isolates
  await sys.services.export('kv', {
    get: (key) => store.get(String(key)),
    put(key, value) {
      store.set(String(key), value);
      for (const fn of watchers.get(String(key)) || []) fn(String(key), value).catch(() => watchers.get(String(key)).delete(fn));
      return true;
    },
    delete: (key) => store.delete(String(key)),
    keys: () => [...store.keys()],
    size: () => store.size,
    watch(key, fn) {
      if (typeof fn !== 'function') throw new TypeError('watch(key, fn): fn must be a function');
      if (!watchers.has(String(key))) watchers.set(String(key), new Set());
      watchers.get(String(key)).add(fn);
      return true;
    },
  });
  sys.print('kv: serving');
  await new Promise(() => {}); // serve until stopped
};

module.exports.description = 'a key-value store service (svc start kv)';
module.exports.options = {};
