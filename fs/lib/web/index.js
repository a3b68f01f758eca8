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

const { Headers } = require('/lib/web/headers');
const { ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController } = require('/lib/web/readable-stream');
const { Request } = require('/lib/web/request');
const { Response } = require('/lib/web/response');
const { URL, URLSearchParams } = require('/lib/web/url');
const { TextEncoder, TextDecoder } = require('/lib/web/encoding');
const { atob, btoa } = require('/lib/web/base64');
const { structuredClone } = require('/lib/web/structured-clone');
const { DOMException } = require('/lib/web/dom-exception');
const { makeCrypto } = require('/lib/web/crypto');
const { AbortController, AbortSignal } = require('/lib/web/abort');

const TYPES = {
  Headers, Request, Response, ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController,
  URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa, structuredClone, DOMException,
  AbortController, AbortSignal,
};

// As a browser defines them: writable, configurable, not enumerable. A
// name the global already has is replaced. `randomBytes(n)` (n random
// bytes, synchronously) gives the global a `crypto`, and `fetch` (a
// function, as makeFetch returns) a `fetch`; without them there is none.
function install(global, { randomBytes = null, fetch = null } = {}) {
  const define = (name, value) => Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  for (const [name, value] of Object.entries(TYPES)) define(name, value);
  if (randomBytes) define('crypto', makeCrypto(randomBytes));
  if (fetch) define('fetch', fetch);
  return global;
}

module.exports = { ...TYPES, install };
