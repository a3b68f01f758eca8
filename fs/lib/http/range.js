// fs/lib/http/range.js (/lib/http/range in the image): the Range header
// of a GET (RFC 9110 §14.2) against a representation of `size` bytes.
//
//   byteRange('bytes=0-99', 1000)  -> {start: 0, end: 99}     (end inclusive: 206)
//   byteRange('bytes=-100', 1000)  -> {start: 900, end: 999}  (the last 100)
//   byteRange('bytes=2000-', 1000) -> 'unsatisfiable'         (416)
//   byteRange('items=1-2', 1000)   -> null                    (ignored: 200, the whole)
//
// One range only: a server may ignore a multiple-range request (§14.2)
// and send the whole, which is what we do rather than multipart/byteranges.
'use strict';

function byteRange(header, size) {
  if (typeof header !== 'string') return null;
  const m = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/i.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // suffix-range: the last N bytes (§14.1.2); N of 0 cannot be satisfied
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null; // invalid: ignored (§14.1.1)
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

module.exports = { byteRange };
