// fs/lib/web/headers.js (/lib/web/headers in the image): the Fetch
// standard's Headers class (WHATWG Fetch, "Headers class",
// https://fetch.spec.whatwg.org/#headers-class), the header list a Request
// and a Response carry. Pure JavaScript, no host objects: the worker
// runtime (issue 14) puts it on each isolate's global through
// /lib/web/index.js's install().
//
// A header list is an ordered list of [name, value] pairs (Fetch "header list"); names
// match case-insensitively, and iteration goes over "sort and combine":
// lower-case names in byte order, values of one name joined with ", ",
// except Set-Cookie, whose values stay apart (a cookie may hold a comma).
// The guard (#concept-headers-guard) is "none" or "immutable" (Response.error() and
// Response.redirect()); like Cloudflare Workers, the browser's forbidden
// request and response header names are not enforced.
'use strict';

// A field-name is a token (RFC 9110 §5.1, §5.6.2).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// HTTP whitespace (Fetch #http-whitespace): tab, LF, CR, space.
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

const kList = Symbol('header list');
const kGuard = Symbol('guard');

// WebIDL ByteString: every code unit must fit a byte.
function byteString(v, what) {
  const s = String(v);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) throw new TypeError(`${what} ${JSON.stringify(s)} is not a ByteString`);
  }
  return s;
}

function checkName(name) {
  const s = byteString(name, 'header name');
  if (!TOKEN.test(s)) throw new TypeError(`invalid header name ${JSON.stringify(s)}`);
  return s;
}

// Fetch "normalize" a value (#concept-header-value-normalize) (strip HTTP whitespace at both ends), then
// check it is a header value: no NUL, CR or LF inside.
function normalizeValue(value) {
  const s = byteString(value, 'header value').replace(EDGE_WHITESPACE, '');
  if (/[\0\r\n]/.test(s)) throw new TypeError(`invalid header value ${JSON.stringify(s)}`);
  return s;
}

const same = (a, b) => a.toLowerCase() === b.toLowerCase();

class Headers {
  constructor(init) {
    this[kList] = [];
    this[kGuard] = 'none';
    if (init !== undefined && init !== null) fillHeaders(this, init);
    else if (init === null) throw new TypeError('Headers init is null');
  }

  // Fetch "append" (#concept-headers-append): a second value of a name keeps the first spelling of it.
  append(name, value) {
    name = checkName(name);
    value = normalizeValue(value);
    checkMutable(this);
    const list = this[kList];
    const first = list.find((h) => same(h[0], name));
    list.push([first ? first[0] : name, value]);
  }

  delete(name) {
    name = checkName(name);
    checkMutable(this);
    this[kList] = this[kList].filter((h) => !same(h[0], name));
  }

  // All values of `name` joined with ", " (Fetch "get" from a header list), or null.
  get(name) {
    name = checkName(name);
    const values = this[kList].filter((h) => same(h[0], name)).map((h) => h[1]);
    return values.length === 0 ? null : values.join(', ');
  }

  getSetCookie() {
    return this[kList].filter((h) => same(h[0], 'set-cookie')).map((h) => h[1]);
  }

  has(name) {
    name = checkName(name);
    return this[kList].some((h) => same(h[0], name));
  }

  // Fetch "set" in a header list: the first header of the name takes the value, the rest go.
  set(name, value) {
    name = checkName(name);
    value = normalizeValue(value);
    checkMutable(this);
    const list = this[kList];
    const at = list.findIndex((h) => same(h[0], name));
    if (at < 0) {
      list.push([name, value]);
      return;
    }
    list[at] = [list[at][0], value];
    this[kList] = list.filter((h, i) => i <= at || !same(h[0], name));
  }

  forEach(callback, thisArg) {
    if (typeof callback !== 'function') throw new TypeError('forEach needs a function');
    // Sorted afresh each step, as the spec's iterator is: a callback that
    // changes the headers sees its change.
    for (let i = 0; ; i++) {
      const pairs = sortAndCombine(this[kList]);
      if (i >= pairs.length) return;
      callback.call(thisArg, pairs[i][1], pairs[i][0], this);
    }
  }

  entries() {
    return headersIterator(this, (p) => [p[0], p[1]]);
  }

  keys() {
    return headersIterator(this, (p) => p[0]);
  }

  values() {
    return headersIterator(this, (p) => p[1]);
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return 'Headers';
  }
}

// Fetch "fill" (#concept-headers-fill): from another Headers or any iterable of pairs, else a record.
function fillHeaders(headers, init) {
  if (typeof init !== 'object' && typeof init !== 'function') {
    throw new TypeError('Headers init must be an object, a sequence of pairs or a record');
  }
  if (typeof init[Symbol.iterator] === 'function') {
    for (const pair of init) {
      const p = typeof pair === 'string' ? null : Array.from(pair);
      if (!p || p.length !== 2) throw new TypeError('a header pair must have exactly two items');
      headers.append(p[0], p[1]);
    }
    return;
  }
  for (const key of Reflect.ownKeys(init)) {
    const desc = Reflect.getOwnPropertyDescriptor(init, key);
    if (!desc || !desc.enumerable) continue;
    if (typeof key === 'symbol') throw new TypeError('a header record key cannot be a symbol');
    headers.append(key, init[key]);
  }
}

function checkMutable(headers) {
  if (headers[kGuard] === 'immutable') throw new TypeError('these headers are immutable');
}

// Fetch "sort and combine" (#concept-header-list-sort-and-combine).
function sortAndCombine(list) {
  const names = [...new Set(list.map((h) => h[0].toLowerCase()))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = [];
  for (const name of names) {
    const values = list.filter((h) => h[0].toLowerCase() === name).map((h) => h[1]);
    if (name === 'set-cookie') for (const v of values) out.push([name, v]);
    else out.push([name, values.join(', ')]);
  }
  return out;
}

const HeadersIteratorPrototype = Object.create(
  Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
  { [Symbol.toStringTag]: { value: 'Headers Iterator', configurable: true } },
);

function headersIterator(headers, pick) {
  let index = 0;
  const it = Object.create(HeadersIteratorPrototype);
  it.next = () => {
    const pairs = sortAndCombine(headers[kList]);
    if (index >= pairs.length) return { value: undefined, done: true };
    return { value: pick(pairs[index++]), done: false };
  };
  return it;
}

// For Request and Response: a copy (clone()), and a list made immutable.
function copyHeaders(headers, guard) {
  const out = new Headers();
  out[kList] = headers[kList].map((h) => [h[0], h[1]]);
  out[kGuard] = guard || headers[kGuard];
  return out;
}

function setGuard(headers, guard) {
  headers[kGuard] = guard;
  return headers;
}

module.exports = { Headers, copyHeaders, setGuard, normalizeValue, checkName, byteString, TOKEN };
