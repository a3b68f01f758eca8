// kernel/lib/utf8.js: UTF-8 encode and decode (RFC 3629), for the kernel and every app.
//
// mini-racer's V8 has no TextEncoder, and every byte that crosses a page (a
// trap, a message) is UTF-8. One codec serves both sides of the boundary: the
// kernel require()s this file, and the machine evaluates it in each app
// isolate ahead of the app runtime (kernel/app/), whose transport.js takes
// it from globalThis.__utf8 (docs/abi.md).
'use strict';

// Writes `str` into `into` from index `at`; returns the number of bytes.
function utf8Encode(str, into, at) {
  let n = at;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c < 0xe000) {
      // A surrogate pair is one character; a lone surrogate has no UTF-8
      // form (RFC 3629 §3) and goes as U+FFFD, as TextEncoder sends it.
      const d = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
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

// Decodes buf[start, end). Malformed input becomes U+FFFD, one for each
// maximal part of a sequence that could have been valid (the WHATWG
// Encoding Standard's rule): a lead byte not followed by the continuation
// bytes it needs ends where they stop, so the next character survives.
// Overlong forms, surrogates (U+D800-DFFF) and code points past U+10FFFF
// are malformed too (RFC 3629 §3, §4): their second byte is out of range.
//
// Text is mostly ASCII, and a byte loop is slow in a fresh isolate (V8 runs
// it in its interpreter, then compiles it on the spot: 170-210 KB of code in
// every app's start message cost 2-4 ms): each chunk is first taken whole
// by one builtin call, and only from its first byte past 0x7F on is it
// decoded byte by byte.
const NOT_ASCII = /[^\x00-\x7f]/;
function utf8Decode(buf, start, end) {
  let out = '';
  let i = start;
  while (i < end) {
    const stop = Math.min(end, i + 8192);
    const whole = String.fromCharCode.apply(null, buf.subarray ? buf.subarray(i, stop) : buf.slice(i, stop));
    const ascii = whole.search(NOT_ASCII);
    if (ascii < 0) {
      out += whole;
      i = stop;
      continue;
    }
    out += whole.slice(0, ascii);
    i += ascii;
    const chunk = [];
    while (i < stop) {
      const b = buf[i];
      if (b < 0x80) {
        chunk.push(b);
        i++;
        continue;
      }
      let need;
      let c;
      if (b >= 0xc2 && b <= 0xdf) (need = 1), (c = b & 0x1f);
      else if (b >= 0xe0 && b <= 0xef) (need = 2), (c = b & 0x0f);
      else if (b >= 0xf0 && b <= 0xf4) (need = 3), (c = b & 0x07);
      else {
        chunk.push(0xfffd); // a continuation byte alone, C0, C1, F5-FF
        i++;
        continue;
      }
      let j = 1;
      for (; j <= need && i + j < end; j++) {
        const x = buf[i + j];
        if ((x & 0xc0) !== 0x80) break;
        // The second byte's range rules out overlongs, surrogates and > U+10FFFF.
        if (j === 1 && ((b === 0xe0 && x < 0xa0) || (b === 0xed && x > 0x9f) || (b === 0xf0 && x < 0x90) || (b === 0xf4 && x > 0x8f))) break;
        c = (c << 6) | (x & 0x3f);
      }
      if (j <= need) {
        chunk.push(0xfffd);
        i += j; // the lead byte and the continuation bytes that fitted
        continue;
      }
      i += need + 1;
      if (c >= 0x10000) chunk.push(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 1023));
      else chunk.push(c);
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

// UTF-8, incrementally: a character may be split across two input() calls.
// The algorithm is the WHATWG Encoding Standard's "UTF-8 decoder" (§9.1.1),
// which rejects overlong forms and surrogates by narrowing the range of the
// second byte. V8 under mini-racer has no TextDecoder, so we write it here.

// Invalid bytes give U+FFFD; emit(codePoint) is called for each character.
class Utf8Decoder {
  constructor() {
    this.reset();
  }

  reset() {
    this.codePoint = 0;
    this.needed = 0; // continuation bytes still to come
    this.lower = 0x80; // allowed range of the next continuation byte
    this.upper = 0xbf;
  }

  // Decodes bytes, calling emit(codePoint) for each whole character.
  // Invalid bytes produce U+FFFD (the caller chooses to drop it).
  feed(bytes, emit) {
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] & 0xff;
      if (this.needed === 0) {
        this.startSequence(byte, emit);
        continue;
      }
      if (byte < this.lower || byte > this.upper) {
        // The sequence broke off: report it, then read this byte afresh.
        this.reset();
        emit(0xfffd);
        i--;
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.codePoint = (this.codePoint << 6) | (byte & 0x3f);
      if (--this.needed === 0) emit(this.codePoint);
    }
  }

  startSequence(byte, emit) {
    if (byte <= 0x7f) {
      emit(byte);
    } else if (byte >= 0xc2 && byte <= 0xdf) {
      this.needed = 1;
      this.codePoint = byte & 0x1f;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      if (byte === 0xe0) this.lower = 0xa0; // no overlong 3-byte forms
      if (byte === 0xed) this.upper = 0x9f; // no UTF-16 surrogates
      this.needed = 2;
      this.codePoint = byte & 0x0f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      if (byte === 0xf0) this.lower = 0x90; // no overlong 4-byte forms
      if (byte === 0xf4) this.upper = 0x8f; // nothing above U+10FFFF
      this.needed = 3;
      this.codePoint = byte & 0x07;
    } else {
      emit(0xfffd); // 0x80-0xc1 and 0xf5-0xff never start a character
    }
  }
}


// A string's UTF-8 bytes, in a new array (at most 3 bytes per UTF-16 unit).
function utf8Bytes(str) {
  const out = new Uint8Array(str.length * 3);
  return out.subarray(0, utf8Encode(str, out, 0));
}

module.exports = { utf8Encode, utf8Decode, utf8Bytes, utf8WholeEnd, utf8StreamDecoder, Utf8Decoder };
