// kernel/loader.js: the CommonJS module loader, the first kernel code to run.
//
// It is evaluated as a plain script and defines one global,
// __makeRequire(readSource), which returns a require() that resolves paths
// ("./x", "../y", "/kernel/z") against the requiring module, wraps the
// source in function (exports, require, module, __filename, __dirname) like
// Node's CommonJS, caches each module, and reports cycles as errors.
// The kernel's readSource reads from the boot image; the JavaScript unit
// tests (tests/js/) pass a table of sources instead.
(function () {
  'use strict';

  function normalize(path) {
    const out = [];
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') out.pop();
      else out.push(part);
    }
    return '/' + out.join('/');
  }

  function dirname(path) {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }

  globalThis.__makeRequire = function makeRequire(readSource) {
    const cache = new Map(); // absolute path -> module

    function resolve(from, request) {
      let path = request.startsWith('/') ? normalize(request) : normalize(dirname(from) + '/' + request);
      if (!path.endsWith('.js') && !path.endsWith('.json')) path += '.js';
      return path;
    }

    function load(path) {
      const cached = cache.get(path);
      if (cached) {
        if (!cached.loaded) throw new Error(`require cycle through ${path}`);
        return cached.exports;
      }
      const source = readSource(path);
      if (source === null || source === undefined) throw new Error(`Cannot find module '${path}'`);
      const module = { id: path, exports: {}, loaded: false };
      cache.set(path, module);
      try {
        if (path.endsWith('.json')) {
          module.exports = JSON.parse(source);
        } else {
          // The sourceURL comment makes stack traces name the file.
          const wrapper = (0, eval)(
            `(function (exports, require, module, __filename, __dirname) {${source}\n})\n//# sourceURL=${path}`,
          );
          wrapper.call(module.exports, module.exports, (r) => load(resolve(path, r)), module, path, dirname(path));
        }
      } catch (e) {
        cache.delete(path);
        throw e;
      }
      module.loaded = true;
      return module.exports;
    }

    return (request) => load(resolve('/', request));
  };
})();
