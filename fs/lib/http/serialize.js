// fs/lib/http/serialize.js (/lib/http/serialize in the image): HTTP/1.1
// messages to bytes (RFC 9112): the request line or status line and the
// header fields, and the chunked transfer coding's framing (§7.1). The
// inverse of /lib/http/parse; tests parse what this writes.
//
//   requestHead({method, target, headers})      -> bytes of "GET / HTTP/1.1\r\n...\r\n\r\n"
//   responseHead({status, reason, headers})     -> bytes of "HTTP/1.1 200 OK\r\n...\r\n\r\n"
//   chunk(bytes), lastChunk(trailers)           -> a chunk's framing, the end of a chunked body
//
// `headers` is an object ({name: value}, a value may be an array for a
// repeated field) or a list of [name, value] pairs. A name that is not a
// token, or a value with CR, LF or NUL, throws: that is how a response
// splits or a request is smuggled.
'use strict';

const { TOKEN } = require('/lib/http/parse');
const { reasonOf } = require('/lib/http/errors');
const { latin1Bytes, concatBytes } = require('/lib/http/bytes');

const CRLF = '\r\n';

// [name, value] pairs, in order, from either form.
function headerPairs(headers) {
  if (!headers) return [];
  const pairs = [];
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([String(name), String(v)]);
  }
  return pairs;
}

function fieldLines(headers) {
  let text = '';
  for (const [name, value] of headerPairs(headers)) {
    if (!TOKEN.test(name)) throw new TypeError(`bad header field name ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(value)) throw new TypeError(`header field ${name} has a CR, LF or NUL in its value`);
    if (/[^\x00-\xff]/.test(value)) throw new TypeError(`header field ${name} has a character beyond latin1`);
    text += `${name}: ${value}${CRLF}`;
  }
  return text;
}

// §3: the request line, then the fields.
function requestHead({ method = 'GET', target = '/', version = '1.1', headers }) {
  if (!TOKEN.test(method)) throw new TypeError(`bad method ${JSON.stringify(method)}`);
  if (target === '' || /[\x00-\x20\x7f]/.test(target)) throw new TypeError(`bad request target ${JSON.stringify(target)}`);
  return latin1Bytes(`${method} ${target} HTTP/${version}${CRLF}${fieldLines(headers)}${CRLF}`);
}

// §4: the status line, then the fields.
function responseHead({ status, reason, version = '1.1', headers }) {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new TypeError(`bad status ${status}`);
  const phrase = reason === undefined ? reasonOf(status) : String(reason);
  if (/[\r\n]/.test(phrase)) throw new TypeError('a reason phrase with CR or LF');
  return latin1Bytes(`HTTP/${version} ${status} ${phrase}${CRLF}${fieldLines(headers)}${CRLF}`);
}

// §7.1: chunk-size in hex, CRLF, the data, CRLF. An empty chunk would end the body: nothing.
function chunk(bytes) {
  if (bytes.length === 0) return bytes;
  return concatBytes([latin1Bytes(bytes.length.toString(16) + CRLF), bytes, latin1Bytes(CRLF)]);
}

// §7.1: the last chunk, the trailer fields, the final CRLF.
function lastChunk(trailers) {
  return latin1Bytes(`0${CRLF}${fieldLines(trailers)}${CRLF}`);
}

module.exports = { requestHead, responseHead, chunk, lastChunk, headerPairs };
