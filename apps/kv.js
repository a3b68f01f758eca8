// apps/kv.js: a key-value store as a service: the RPC example of docs/apps.md.
//
// `svc start kv` runs it in its own isolate; any app can then call it:
//   const kv = await sys.services.connect('kv');
//   await kv.put('a', 1); await kv.get('a');   // -> 1
// `watch(key, fn)` shows a function crossing isolates: kv keeps a proxy of
// fn and calls back into the watcher's isolate on every put of that key.
// The store lives in this isolate's heap. With a disk mounted on /home it
// is also kept in /home/.kv.json: read at start, and written again after
// every put and delete before they return (the new store written aside,
// fsync'ed, then renamed over the old one: a power cut leaves the old store
// or the new, never half of one), so `svc start kv` after an eviction, a
// reboot or a new `jsksh --disk` finds the keys. Values kept are JSON's
// (a function or an ArrayBuffer is not saved). Without a disk it starts empty.
'use strict';

const { takesNoArguments } = require('/lib/options');
const { onDisk } = require('/lib/on-disk');

const STORE_FILE = '/home/.kv.json';

module.exports = async function main(argv) {
  const refused = takesNoArguments('kv', argv, module.exports);
  if (refused !== null) return refused;
  const store = new Map();
  const persist = await onDisk(sys.fs);
  if (persist) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(await sys.fs.readFile(STORE_FILE)))) store.set(k, v);
    } catch (e) {
      if (e.code !== 'ENOENT') sys.stderr.write(`kv: ${STORE_FILE}: ${e.message}; starting empty\n`);
    }
  }
  // One save at a time, in order; each writes the whole store.
  let saving = Promise.resolve();
  const save = () => {
    if (!persist) return Promise.resolve();
    const text = JSON.stringify(Object.fromEntries(store));
    saving = saving.catch(() => {}).then(async () => {
      const aside = `${STORE_FILE}.new`;
      const f = await sys.fs.open(aside, 'w');
      try {
        await f.write(text);
        await f.fsync();
      } finally {
        await f.close();
      }
      await sys.fs.rename(aside, STORE_FILE);
      await sys.fs.fsync(STORE_FILE); // the rename durable too
    });
    return saving;
  };
  const watchers = new Map(); // key -> Set of proxies into the watchers' isolates
  await sys.services.export('kv', {
    get: (key) => store.get(String(key)),
    async put(key, value) {
      store.set(String(key), value);
      for (const fn of watchers.get(String(key)) || []) fn(String(key), value).catch(() => watchers.get(String(key)).delete(fn));
      await save();
      return true;
    },
    async delete(key) {
      const had = store.delete(String(key));
      if (had) await save();
      return had;
    },
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
