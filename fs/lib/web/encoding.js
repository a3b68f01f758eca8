// fs/lib/web/encoding.js (/lib/web/encoding in the image): TextEncoder and
// TextDecoder of the WHATWG Encoding Standard (https://encoding.spec.whatwg.org/)
// for Workers-style code (issue 14); our V8 has neither.
//
// UTF-8 only: TextDecoder takes the UTF-8 labels (§4.2: "utf-8", "utf8",
// "unicode-1-1-utf-8", ...) and throws RangeError for any other. The decoder
// is §8.1.1's state machine, so malformed input gives one U+FFFD per
// "maximal subpart" (or a TypeError with `fatal`), it keeps a partial
// sequence across decode(bytes, { stream: true }) calls, and it strips one
// leading BOM unless `ignoreBOM` (§7.1 "decode"). The kernel has its own
// codec (kernel/lib/utf8.js); this one lives in the image's tree, where an
// isolate without the kernel can require it.
'use strict';

const UTF8_LABELS = ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8'];

// --- TextEncoder (§8.2) -----------------------------------------------------

// The next code point of `s` at `i` (a lone surrogate is U+FFFD) and its width in code units.
function codePointAt(s, i) {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return [0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00), 2];
  }
  if (c >= 0xd800 && c <= 0xdfff) return [0xfffd, 1];
  return [c, 1];
}

const utf8Length = (cp) => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

function writeCodePoint(cp, out, at) {
  if (cp < 0x80) out[at] = cp;
  else if (cp < 0x800) {
    out[at] = 0xc0 | (cp >> 6);
    out[at + 1] = 0x80 | (cp & 63);
  } else if (cp < 0x10000) {
    out[at] = 0xe0 | (cp >> 12);
    out[at + 1] = 0x80 | ((cp >> 6) & 63);
    out[at + 2] = 0x80 | (cp & 63);
  } else {
    out[at] = 0xf0 | (cp >> 18);
    out[at + 1] = 0x80 | ((cp >> 12) & 63);
    out[at + 2] = 0x80 | ((cp >> 6) & 63);
    out[at + 3] = 0x80 | (cp & 63);
  }
  return utf8Length(cp);
}

class TextEncoder {
  get encoding() { return 'utf-8'; }

  encode(input = '') {
    const s = String(input);
    const out = new Uint8Array(s.length * 3); // a code unit is at most 3 bytes (a pair: 4 for 2)
    let n = 0;
    for (let i = 0; i < s.length; ) {
      const [cp, width] = codePointAt(s, i);
      n += writeCodePoint(cp, out, n);
      i += width;
    }
    return out.slice(0, n);
  }

  // §8.2.2: as much of `source` as fits whole into `destination`; `read`
  // counts UTF-16 code units, `written` bytes.
  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError('encodeInto: destination must be a Uint8Array');
    const s = String(source);
    let read = 0;
    let written = 0;
    while (read < s.length) {
      const [cp, width] = codePointAt(s, read);
      if (written + utf8Length(cp) > destination.length) break;
      written += writeCodePoint(cp, destination, written);
      read += width;
    }
    return { read, written };
  }

  get [Symbol.toStringTag]() { return 'TextEncoder'; }
}

// --- TextDecoder (§7.2, §8.1.1) --------------------------------------------

const STATE = Symbol('state');

function bytesOf(input) {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('TextDecoder.decode: input must be an ArrayBuffer or a view of one');
}

class TextDecoder {
  constructor(label = 'utf-8', options = {}) {
    const name = String(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '').toLowerCase();
    if (!UTF8_LABELS.includes(name)) throw new RangeError(`TextDecoder: encoding "${label}" is not supported (UTF-8 only)`);
    this[STATE] = {
      fatal: Boolean(options && options.fatal),
      ignoreBOM: Boolean(options && options.ignoreBOM),
      bomSeen: false,
      doNotFlush: false, // the last call was decode(..., { stream: true })
      // §8.1.1 UTF-8 decoder state, kept across streaming calls.
      codePoint: 0, bytesSeen: 0, bytesNeeded: 0, lower: 0x80, upper: 0xbf,
    };
  }
  get encoding() { return 'utf-8'; }
  get fatal() { return this[STATE].fatal; }
  get ignoreBOM() { return this[STATE].ignoreBOM; }

  decode(input = undefined, options = {}) {
    const st = this[STATE];
    const stream = Boolean(options && options.stream);
    const bytes = bytesOf(input);
    // §7.2 decode() steps 1-2: a call after a finished (or failed) one starts a new stream.
    if (!st.doNotFlush) {
      reset(st);
      st.bomSeen = false;
    }
    st.doNotFlush = stream;
    const units = [];
    let out = '';
    const flush = () => {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    };
    const emit = (cp) => {
      if (cp >= 0x10000) {
        cp -= 0x10000;
        units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      } else units.push(cp);
      if (units.length > 0x2000) flush();
    };
    const error = () => {
      if (st.fatal) {
        reset(st);
        throw new TypeError('TextDecoder: the input is not valid UTF-8');
      }
      emit(0xfffd);
    };

    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (st.bytesNeeded === 0) {
        if (b <= 0x7f) emit(b);
        else if (b >= 0xc2 && b <= 0xdf) {
          st.bytesNeeded = 1;
          st.codePoint = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) st.lower = 0xa0; // no overlong 3-byte forms
          if (b === 0xed) st.upper = 0x9f; // no surrogates
          st.bytesNeeded = 2;
          st.codePoint = b & 0xf;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) st.lower = 0x90; // no overlong 4-byte forms
          if (b === 0xf4) st.upper = 0x8f; // nothing past U+10FFFF
          st.bytesNeeded = 3;
          st.codePoint = b & 0x7;
        } else error();
        continue;
      }
      if (b < st.lower || b > st.upper) {
        // The sequence so far is a maximal subpart: one U+FFFD for it, and
        // this byte starts over ("prepend byte to stream").
        reset(st);
        error();
        i--;
        continue;
      }
      st.lower = 0x80;
      st.upper = 0xbf;
      st.codePoint = (st.codePoint << 6) | (b & 0x3f);
      if (++st.bytesSeen === st.bytesNeeded) {
        const cp = st.codePoint;
        reset(st);
        emit(cp);
      }
    }
    if (!stream && st.bytesNeeded !== 0) {
      // The end of the stream inside a sequence.
      reset(st);
      error();
    }
    flush();

    // §7.1 "decode": one leading BOM is dropped unless ignoreBOM.
    if (!st.ignoreBOM && !st.bomSeen && out.length > 0) {
      st.bomSeen = true;
      if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
    }
    return out;
  }

  get [Symbol.toStringTag]() { return 'TextDecoder'; }
}

function reset(st) {
  st.codePoint = 0;
  st.bytesSeen = 0;
  st.bytesNeeded = 0;
  st.lower = 0x80;
  st.upper = 0xbf;
}

module.exports = { TextEncoder, TextDecoder };
