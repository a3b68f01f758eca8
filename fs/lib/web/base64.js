// fs/lib/web/base64.js (/lib/web/base64 in the image): atob and btoa of the
// HTML Standard (§8.3 "Base64 utility methods") for Workers-style code
// (issue 14). Strings in and out are "binary strings": one char per byte,
// U+0000-U+00FF. atob is the Infra Standard's forgiving-base64 decode
// (https://infra.spec.whatwg.org/#forgiving-base64-decode): ASCII whitespace
// anywhere is dropped, padding is optional but if present must complete the
// last quantum, and stray bits in the last character are ignored. Either
// function throws a DOMException named InvalidCharacterError on bad input.
'use strict';

const { DOMException } = require('/lib/web/dom-exception');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = {};
for (let i = 0; i < 64; i++) VALUE[ALPHABET[i]] = i;

const invalid = (why) => new DOMException(why, 'InvalidCharacterError');

// Infra §4.7 forgiving-base64 decode, to a binary string.
function atob(data) {
  if (arguments.length === 0) throw new TypeError('atob: 1 argument required');
  // 1. Remove ASCII whitespace (TAB, LF, FF, CR, SPACE).
  let s = String(data).replace(/[\t\n\f\r ]/g, '');
  // 2. A whole number of quanta may end in one or two "=", which go.
  if (s.length % 4 === 0) s = s.replace(/={1,2}$/, '');
  // 3. One character alone cannot hold a byte.
  if (s.length % 4 === 1) throw invalid('atob: the string is not correctly encoded');
  // 4. Only the alphabet is left (an "=" anywhere else fails here).
  if (/[^A-Za-z0-9+/]/.test(s)) throw invalid('atob: the string contains characters outside base64');
  // 5. Six bits a character; every 24 bits are three bytes, and a last
  //    partial group keeps its whole bytes (12 bits: 1, 18 bits: 2).
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const ch of s) {
    buffer = (buffer << 6) | VALUE[ch];
    bits += 6;
    if (bits === 24) {
      out += String.fromCharCode(buffer >> 16, (buffer >> 8) & 0xff, buffer & 0xff);
      buffer = 0;
      bits = 0;
    }
  }
  if (bits === 12) out += String.fromCharCode(buffer >> 4);
  else if (bits === 18) out += String.fromCharCode(buffer >> 10, (buffer >> 2) & 0xff);
  return out;
}

// RFC 4648 §4 base64 of a binary string, padded with "=".
function btoa(data) {
  if (arguments.length === 0) throw new TypeError('btoa: 1 argument required');
  const s = String(data);
  if (/[^\x00-\xff]/.test(s)) throw invalid('btoa: the string contains characters outside Latin-1');
  let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const n = s.length - i;
    const b0 = s.charCodeAt(i);
    const b1 = n > 1 ? s.charCodeAt(i + 1) : 0;
    const b2 = n > 2 ? s.charCodeAt(i + 2) : 0;
    out += ALPHABET[b0 >> 2] + ALPHABET[((b0 & 3) << 4) | (b1 >> 4)];
    out += n > 1 ? ALPHABET[((b1 & 15) << 2) | (b2 >> 6)] : '=';
    out += n > 2 ? ALPHABET[b2 & 63] : '=';
  }
  return out;
}

module.exports = { atob, btoa };
