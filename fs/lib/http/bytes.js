// fs/lib/http/bytes.js (/lib/http/bytes in the image): the conversions the
// HTTP library needs between text and bytes. A message head is latin1 (one
// byte a character, RFC 9110 §5.5's obs-text kept as it is); a body given as
// a string is UTF-8.
'use strict';

const { binaryText, binaryBytes } = require('/lib/binary-text');

// UTF-8 through the URI functions every V8 has (no TextEncoder in an isolate).
const utf8Bytes = (text) => binaryBytes(unescape(encodeURIComponent(text)));

function utf8Text(bytes) {
  const bin = binaryText(bytes);
  try {
    return decodeURIComponent(escape(bin));
  } catch (e) {
    return bin; // not UTF-8: one character a byte
  }
}

// A body as bytes: a string (UTF-8), a Uint8Array, or any other view.
function bodyBytes(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === 'string') return utf8Bytes(body);
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('a body is a string or bytes');
}

function concatBytes(chunks) {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

module.exports = { utf8Bytes, utf8Text, bodyBytes, concatBytes, latin1Bytes: binaryBytes, latin1Text: binaryText };
