// kernel/proc/linker.js: find the libraries an app needs before it starts.
//
// Apps cannot wait inside require(), so the kernel links them at spawn, like a
// dynamic loader reading DT_NEEDED: it scans the source for literal
// require('/lib/...') calls, and each library's source in turn, and sends
// every source along with the start message.
'use strict';

const REQUIRE = /\brequire\(\s*(['"])(\/lib\/[^'"]+)\1\s*\)/g;

const cache = new Map(); // source text -> modules (the image is read-only)

function link(vfs, source) {
  if (cache.has(source)) return cache.get(source);
  const modules = {};
  const todo = [source];
  while (todo.length) {
    const text = todo.pop();
    for (const m of text.matchAll(REQUIRE)) {
      const path = m[2].endsWith('.js') ? m[2] : m[2] + '.js';
      if (path in modules) continue;
      try {
        modules[path] = vfs.readFile(path);
      } catch (e) {
        continue; // the app's own require() reports the missing module when it runs
      }
      todo.push(modules[path]);
    }
  }
  if (cache.size > 256) cache.clear();
  cache.set(source, modules);
  return modules;
}

module.exports = { link };
