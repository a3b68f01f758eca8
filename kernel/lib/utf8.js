// kernel/lib/utf8.js: UTF-8 encode and decode (RFC 3629), for the kernel and every app.
//
// mini-racer's V8 has no TextEncoder, and every byte that crosses a page (a
// trap, a message) is UTF-8. One codec serves both sides of the boundary: the
// kernel require()s this file, and the machine evaluates it in each app
// isolate ahead of kernel/proc/app-runtime.js, which takes it from
// globalThis.__utf8 (docs/abi.md).
'use strict';

// Writes `str` into `into` from index `at`; returns the number of bytes.
function utf8Encode(str, into, at) {
  let n = at;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) into[n++] = c;
    else if (c < 0x800) {
      into[n++] = 0xc0 | (c >> 6);
      into[n++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      into[n++] = 0xe0 | (c >> 12);
      into[n++] = 0x80 | ((c >> 6) & 63);
      into[n++] = 0x80 | (c & 63);
    } else {
      into[n++] = 0xf0 | (c >> 18);
      into[n++] = 0x80 | ((c >> 12) & 63);
      into[n++] = 0x80 | ((c >> 6) & 63);
      into[n++] = 0x80 | (c & 63);
    }
  }
  return n - at;
}

// Decodes buf[start, end); malformed or truncated sequences become U+FFFD.
function utf8Decode(buf, start, end) {
  let out = '';
  let i = start;
  while (i < end) {
    const chunk = [];
    const stop = Math.min(end, i + 8192);
    while (i < stop) {
      const b = buf[i++];
      if (b < 0x80) chunk.push(b);
      else if (b >= 0xc0 && b < 0xe0 && i < end) chunk.push(((b & 31) << 6) | (buf[i++] & 63));
      else if (b >= 0xe0 && b < 0xf0 && i + 1 < end) {
        chunk.push(((b & 15) << 12) | ((buf[i] & 63) << 6) | (buf[i + 1] & 63));
        i += 2;
      } else if (b >= 0xf0 && i + 2 < end) {
        const c = ((b & 7) << 18) | ((buf[i] & 63) << 12) | ((buf[i + 1] & 63) << 6) | (buf[i + 2] & 63);
        i += 3;
        chunk.push(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 1023));
      } else chunk.push(0xfffd);
    }
    out += String.fromCharCode.apply(null, chunk);
  }
  return out;
}

// Where the last whole character in buf[start, end) ends: a reader of a byte
// stream decodes up to here and keeps the rest (at most 3 bytes of a
// character cut in two) for the next chunk.
function utf8WholeEnd(buf, start, end) {
  for (let i = end - 1, back = 1; i >= start && back <= 4; i--, back++) {
    const b = buf[i];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? i : end;
  }
  return end;
}

// A decoder for a byte stream: decode(bytes) -> the text of the whole
// characters so far; what a chunk ends in the middle of waits for the next.
function utf8StreamDecoder() {
  let tail = null;
  return {
    decode(bytes, final = false) {
      let buf = bytes;
      if (tail) {
        buf = new Uint8Array(tail.length + bytes.length);
        buf.set(tail);
        buf.set(bytes, tail.length);
        tail = null;
      }
      const end = final ? buf.length : utf8WholeEnd(buf, 0, buf.length);
      if (end < buf.length) tail = buf.slice(end);
      return utf8Decode(buf, 0, end);
    },
  };
}

module.exports = { utf8Encode, utf8Decode, utf8WholeEnd, utf8StreamDecoder };
