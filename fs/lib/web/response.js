// fs/lib/web/response.js (/lib/web/response in the image): the Fetch
// standard's Response class (WHATWG Fetch, "Response class",
// https://fetch.spec.whatwg.org/#response-class): what a worker's fetch
// handler returns. A status, a status message, Headers and a body (the
// Body mixin, /lib/web/body.js); Response.json(), Response.redirect() and
// Response.error() make the common kinds.
//
// A response built here has type "default" (or "error") and an empty url.
// fetch() (/lib/web/fetch) makes its responses with networkResponse(): type
// "default" as Workers has it (no "basic", "cors" or "opaque": there is no
// origin to filter for), the URL it ended at, and whether a redirect led there.
'use strict';

const { Headers, copyHeaders, setGuard, byteString } = require('/lib/web/headers');
const { kBody, extractBody, mixinBody, cloneBody, unusable } = require('/lib/web/body');
const { serializeURL } = require('/lib/web/url-string');
const { utf8Encode } = require('/lib/web/utf8-bytes');

const kResponse = Symbol('response');

// Fetch "null body status" and "redirect status": a response with one of these statuses has no body.
const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
// RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

// WebIDL "unsigned short": a number, truncated, modulo 2^16.
function unsignedShort(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return 0;
  const t = Math.trunc(n) % 65536;
  return t < 0 ? t + 65536 : t;
}

function newResponse(fields, body) {
  const response = Object.create(Response.prototype);
  response[kResponse] = { type: 'default', url: '', status: 200, statusText: '', headers: new Headers(), ...fields };
  response[kBody] = body;
  return response;
}

// Fetch "initialize a response" (#initialize-a-response) with init and an extracted { body, type } or null.
function initialize(response, init, bodyWithType) {
  if (init === undefined || init === null) init = {};
  else if (typeof init !== 'object') throw new TypeError('ResponseInit must be an object');
  const status = init.status === undefined ? 200 : unsignedShort(init.status);
  if (status < 200 || status > 599) throw new RangeError(`status ${status} is not in the range 200 to 599`);
  const statusText = init.statusText === undefined ? '' : byteString(init.statusText, 'statusText');
  if (!REASON_PHRASE.test(statusText)) throw new TypeError(`invalid statusText ${JSON.stringify(statusText)}`);
  const headers = init.headers === undefined ? new Headers() : new Headers(init.headers);
  if (bodyWithType !== null) {
    if (NULL_BODY_STATUSES.includes(status)) throw new TypeError(`a ${status} response cannot have a body`);
    if (bodyWithType.type !== null && !headers.has('content-type')) headers.append('Content-Type', bodyWithType.type);
  }
  response[kResponse] = { type: 'default', url: '', status, statusText, headers };
  response[kBody] = bodyWithType === null ? null : bodyWithType.body;
}

// A response as fetch() received it: { status, statusText, headers, url,
// redirected } and a body ({ stream, source, length }) or null. No checks:
// a server may send any status, and the headers come as they are.
function networkResponse(fields, body) {
  return newResponse({ ...fields, type: 'default' }, body);
}

class Response {
  constructor(body = null, init = undefined) {
    initialize(this, init, body === null || body === undefined ? null : extractBody(body));
  }

  // Fetch Response.json() (#dom-response-json): the value's JSON, as application/json.
  static json(data, init = undefined) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('the value has no JSON form');
    const response = Object.create(Response.prototype);
    const { body } = extractBody(utf8Encode(text));
    initialize(response, init, { body, type: 'application/json' });
    return response;
  }

  // Fetch Response.redirect() (#dom-response-redirect): a redirect to an absolute URL, headers immutable.
  static redirect(url, status = 302) {
    const location = serializeURL(url);
    status = unsignedShort(status);
    if (!REDIRECT_STATUSES.includes(status)) throw new RangeError(`status ${status} is not a redirect status`);
    const headers = new Headers({ Location: location });
    return newResponse({ status, headers: setGuard(headers, 'immutable') }, null);
  }

  // Fetch Response.error() (#dom-response-error): a network error as a response.
  static error() {
    return newResponse({ type: 'error', status: 0, headers: setGuard(new Headers(), 'immutable') }, null);
  }

  get type() {
    return this[kResponse].type;
  }

  get url() {
    return this[kResponse].url;
  }

  // Fetch: true if the response's URL list has more than one URL (a redirect was followed).
  get redirected() {
    return this[kResponse].redirected === true;
  }

  get status() {
    return this[kResponse].status;
  }

  get ok() {
    const s = this[kResponse].status;
    return s >= 200 && s <= 299;
  }

  get statusText() {
    return this[kResponse].statusText;
  }

  get headers() {
    return this[kResponse].headers;
  }

  clone() {
    if (unusable(this[kBody])) throw new TypeError('cannot clone: body used already');
    const fields = { ...this[kResponse], headers: copyHeaders(this[kResponse].headers) };
    return newResponse(fields, cloneBody(this));
  }

  get [Symbol.toStringTag]() {
    return 'Response';
  }
}

mixinBody(Response);

module.exports = { Response, networkResponse, NULL_BODY_STATUSES, REDIRECT_STATUSES };
