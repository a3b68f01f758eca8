// fs/lib/size-suffix.js (/lib/size-suffix in the image): read sizes such as
// 64K, 1MB or 2GiB the way GNU coreutils reads them (gnulib's xstrtol, which
// head -c, dd bs= and others share), for apps that take byte counts.
//
//   parseSize('64K')    -> 65536        K, M, G, T, P, E alone: powers of 1024
//   parseSize('64kB')   -> 64000        followed by B: powers of 1000
//   parseSize('64KiB')  -> 65536        followed by iB: powers of 1024 again
//   parseSize('3b')     -> 1536         b: 512-byte blocks
//   parseSize('2w', DD_SUFFIXES) -> 4   dd also has c (1) and w (2)
//   parseSize('12X')    -> NaN          not a size
//
// The number is decimal digits only (no sign, no spaces). Which letters a
// command accepts is its own choice, as in coreutils: head takes k or K and
// m or M, dd only k, K and M (and c, w). A size beyond 2^53 is Infinity: too
// large to count exactly, and more than any file here.
'use strict';

// Power of the base (1000 or 1024) for each prefix letter.
const POWERS = { k: 1, K: 1, m: 2, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7, Y: 8, R: 9, Q: 10 };
// Single-letter units that take no B or iB after them.
const UNITS = { b: 512, c: 1, w: 2 };

// The letters head accepts (coreutils head.c) and those dd accepts (dd.c).
const SUFFIXES = 'bkKmMGTPEZYRQ';
const DD_SUFFIXES = 'bcEGkKMPQRTwYZ';

// The size `text` names, in bytes; NaN if it is not a size. `suffixes` are
// the letters allowed after the number.
function parseSize(text, suffixes = SUFFIXES) {
  const match = /^(\d+)(.*)$/.exec(String(text));
  if (!match) return NaN;
  const n = Number(match[1]);
  const suffix = match[2];
  if (suffix === '') return clamp(n);
  const letter = suffix[0];
  if (!suffixes.includes(letter)) return NaN;
  if (letter in UNITS) return suffix.length === 1 ? clamp(n * UNITS[letter]) : NaN;
  const rest = suffix.slice(1);
  const base = rest === 'B' ? 1000 : rest === '' || rest === 'iB' ? 1024 : 0;
  return base ? clamp(n * base ** POWERS[letter]) : NaN;
}

// Sizes too large to count exactly in a double: Infinity ("more than any file").
const clamp = (n) => (Number.isSafeInteger(n) ? n : Infinity);

module.exports = { parseSize, SUFFIXES, DD_SUFFIXES };
