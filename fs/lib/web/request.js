// fs/lib/web/request.js (/lib/web/request in the image): the Fetch
// standard's Request class (WHATWG Fetch, "Request class",
// https://fetch.spec.whatwg.org/#request-class): what a worker's fetch
// handler receives and what it hands to fetch(). Holds a method, an
// absolute URL, Headers, a body (the Body mixin, /lib/web/body.js), a
// redirect mode and an abort signal.
//
// Kept as Workers keep it: no forbidden request header names, no mode,
// credentials, cache, referrer or integrity (the browser's concerns), no
// `duplex` needed for a stream body; a signal is whatever object is given
// (there is no AbortSignal yet), or null.
'use strict';

const { Headers, copyHeaders, TOKEN } = require('/lib/web/headers');
const { kBody, extractBody, mixinBody, cloneBody, takeBody, unusable } = require('/lib/web/body');
const { serializeURL } = require('/lib/web/url-string');

const kRequest = Symbol('request');

// Fetch "forbidden method" and "normalize" a method: methods a fetch may
// never carry, and those upper-cased (PATCH is not among them).
const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const REDIRECT_MODES = ['follow', 'error', 'manual'];

function normalizeMethod(method) {
  const m = String(method);
  if (!TOKEN.test(m)) throw new TypeError(`invalid method ${JSON.stringify(m)}`);
  const upper = m.toUpperCase();
  if (FORBIDDEN_METHODS.includes(upper)) throw new TypeError(`forbidden method ${m}`);
  return NORMALIZED_METHODS.includes(upper) ? upper : m;
}

function dictionary(init, what) {
  if (init === undefined || init === null) return {};
  if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError(`${what} must be an object`);
  return init;
}

class Request {
  // Fetch "new Request(input, init)" (#dom-request), the steps that apply here.
  constructor(input, init) {
    if (arguments.length === 0) throw new TypeError('Request needs an input');
    init = dictionary(init, 'RequestInit');
    const from = input instanceof Request ? input[kRequest] : null;
    const r = {
      method: from ? from.method : 'GET',
      url: from ? from.url : serializeURL(input, { noCredentials: true }),
      headers: null,
      redirect: from ? from.redirect : 'follow',
      signal: from ? from.signal : null,
    };
    if (init.method !== undefined) r.method = normalizeMethod(init.method);
    if (init.redirect !== undefined) {
      if (!REDIRECT_MODES.includes(String(init.redirect))) throw new TypeError(`invalid redirect mode ${init.redirect}`);
      r.redirect = String(init.redirect);
    }
    if (init.signal !== undefined) {
      if (init.signal !== null && typeof init.signal !== 'object') throw new TypeError('signal must be an AbortSignal or null');
      r.signal = init.signal;
    }
    r.headers = init.headers !== undefined ? new Headers(init.headers) : from ? copyHeaders(from.headers, 'none') : new Headers();

    const inputBody = from ? input[kBody] : null;
    const initBody = init.body !== undefined && init.body !== null ? init.body : null;
    if ((initBody !== null || inputBody !== null) && (r.method === 'GET' || r.method === 'HEAD')) {
      throw new TypeError('a GET or HEAD request cannot have a body');
    }
    let body = null;
    if (initBody !== null) {
      const extracted = extractBody(initBody);
      body = extracted.body;
      if (extracted.type !== null && !r.headers.has('content-type')) r.headers.append('Content-Type', extracted.type);
    } else if (inputBody !== null) {
      if (unusable(inputBody)) throw new TypeError('the input request body is used already');
      body = takeBody(inputBody);
    }
    this[kRequest] = r;
    this[kBody] = body;
  }

  get method() {
    return this[kRequest].method;
  }

  get url() {
    return this[kRequest].url;
  }

  get headers() {
    return this[kRequest].headers;
  }

  get redirect() {
    return this[kRequest].redirect;
  }

  get signal() {
    return this[kRequest].signal;
  }

  // Fetch clone() (#dom-request-clone): a body not yet used is teed, so both can read it.
  clone() {
    if (unusable(this[kBody])) throw new TypeError('cannot clone: body used already');
    const copy = Object.create(Request.prototype);
    copy[kRequest] = { ...this[kRequest], headers: copyHeaders(this[kRequest].headers) };
    copy[kBody] = cloneBody(this);
    return copy;
  }

  get [Symbol.toStringTag]() {
    return 'Request';
  }
}

mixinBody(Request);

module.exports = { Request, normalizeMethod };
