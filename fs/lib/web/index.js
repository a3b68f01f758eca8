// fs/lib/web/index.js (/lib/web/index in the image): the web platform's
// pieces Workers-style code expects, in one place: the Fetch standard's
// data types (Headers, Request, Response, ReadableStream), URL and
// URLSearchParams, TextEncoder and TextDecoder, atob and btoa,
// structuredClone, DOMException, AbortController and AbortSignal, crypto
// over a random source the caller gives, and fetch() when the caller gives
// one (/lib/web/fetch's makeFetch: it needs the app's TCP).
// install(global, {randomBytes, fetch}) puts them on a fresh isolate's
// global object before it runs a worker's code (issue 14).
'use strict';

// Each name is loaded when first used, not when installed: a worker that
// never says URL never evaluates url.js (a fresh isolate compiles only what
// it runs: the invoker's cold start, and the memory of each idle worker).
const LOADERS = {
  Headers: () => require('/lib/web/headers').Headers,
  Request: () => require('/lib/web/request').Request,
  Response: () => require('/lib/web/response').Response,
  ReadableStream: () => require('/lib/web/readable-stream').ReadableStream,
  ReadableStreamDefaultReader: () => require('/lib/web/readable-stream').ReadableStreamDefaultReader,
  ReadableStreamDefaultController: () => require('/lib/web/readable-stream').ReadableStreamDefaultController,
  URL: () => require('/lib/web/url').URL,
  URLSearchParams: () => require('/lib/web/url').URLSearchParams,
  TextEncoder: () => require('/lib/web/encoding').TextEncoder,
  TextDecoder: () => require('/lib/web/encoding').TextDecoder,
  atob: () => require('/lib/web/base64').atob,
  btoa: () => require('/lib/web/base64').btoa,
  structuredClone: () => require('/lib/web/structured-clone').structuredClone,
  DOMException: () => require('/lib/web/dom-exception').DOMException,
  AbortController: () => require('/lib/web/abort').AbortController,
  AbortSignal: () => require('/lib/web/abort').AbortSignal,
};

// As a browser defines them: writable, configurable, not enumerable. A
// name the global already has is replaced. Each is an accessor until first
// read (or written), then a plain value. `randomBytes(n)` (n random bytes,
// synchronously) gives the global a `crypto`, and `fetch` (a function, as
// makeFetch returns) a `fetch`; without them there is none.
function install(global, { randomBytes = null, fetch = null } = {}) {
  const define = (name, value) => Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  const lazy = (name, load) =>
    Object.defineProperty(global, name, {
      configurable: true,
      enumerable: false,
      get() {
        const value = load();
        define(name, value);
        return value;
      },
      set(value) {
        define(name, value);
      },
    });
  for (const [name, load] of Object.entries(LOADERS)) lazy(name, load);
  if (randomBytes) lazy('crypto', () => require('/lib/web/crypto').makeCrypto(randomBytes));
  if (fetch) define('fetch', fetch);
  return global;
}

module.exports = { install };
for (const [name, load] of Object.entries(LOADERS)) Object.defineProperty(module.exports, name, { enumerable: true, get: load });
