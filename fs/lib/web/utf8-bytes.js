// fs/lib/web/utf8-bytes.js (/lib/web/utf8-bytes in the image): the two UTF-8
// steps the Fetch types need, as the Encoding standard defines them: "UTF-8
// encode" (a lone surrogate becomes U+FFFD) for a string body, and "UTF-8
// decode" (a leading BOM dropped, each maximal bad subpart one U+FFFD) for
// text() and json(). Both are /lib/web/encoding's TextEncoder and
// TextDecoder, which implement those steps.
'use strict';

const { TextEncoder, TextDecoder } = require('/lib/web/encoding');

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // utf-8, BOM dropped, replacement: the "UTF-8 decode" of the spec

function utf8Encode(str) {
  return encoder.encode(String(str));
}

function utf8Decode(bytes) {
  return decoder.decode(bytes);
}

module.exports = { utf8Encode, utf8Decode };
