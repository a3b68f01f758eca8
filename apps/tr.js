// apps/tr.js: translate, squeeze or delete bytes of standard input, as GNU
// tr does in the C locale.
//
//   tr SET1 SET2       each byte of SET1 becomes the byte at the same place in
//                      SET2 (SET2 is padded with its last byte)
//   tr -d SET1         delete the bytes of SET1
//   tr -s SET1 [SET2]  squeeze each run of a byte of the last SET to one
//                      (after translating, if SET2 is there)
//   tr -ds SET1 SET2   delete SET1's bytes, then squeeze SET2's
//   -c                 SET1 is every byte not in it, in order
//
// A SET is bytes, ranges (a-z), escapes (\n \t \\ \NNN octal, ...) and the
// classes [:alnum:] [:alpha:] [:blank:] [:cntrl:] [:digit:] [:graph:]
// [:lower:] [:print:] [:punct:] [:space:] [:upper:] [:xdigit:].
// Input streams through in chunks, each write awaited.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const READ_MAX = 1 << 16;

const ESCAPES = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

// The classes in the C locale, as byte tests.
const CLASSES = {
  alnum: (b) => isDigit(b) || isUpper(b) || isLower(b),
  alpha: (b) => isUpper(b) || isLower(b),
  blank: (b) => b === 32 || b === 9,
  cntrl: (b) => b < 32 || b === 127,
  digit: (b) => isDigit(b),
  graph: (b) => b > 32 && b < 127,
  lower: (b) => isLower(b),
  print: (b) => b >= 32 && b < 127,
  punct: (b) => b > 32 && b < 127 && !isDigit(b) && !isUpper(b) && !isLower(b),
  space: (b) => b === 32 || (b >= 9 && b <= 13),
  upper: (b) => isUpper(b),
  xdigit: (b) => isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102),
};
const isDigit = (b) => b >= 48 && b <= 57;
const isUpper = (b) => b >= 65 && b <= 90;
const isLower = (b) => b >= 97 && b <= 122;

module.exports = async function main(argv) {
  // The first SET ends the options, as with GNU's tr (tr a -d: two SETs).
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usage(parsed.error);
  const opts = { complement: parsed.options.complement, delete: parsed.options.delete, squeeze: parsed.options['squeeze-repeats'] };
  const sets = parsed.operands;
  // How many sets each use takes.
  const translating = !opts.delete && sets.length >= 2;
  const wanted = opts.delete ? (opts.squeeze ? 2 : 1) : opts.squeeze ? [1, 2] : 2;
  const fits = Array.isArray(wanted) ? wanted.includes(sets.length) : sets.length === wanted;
  if (!fits) {
    if (sets.length === 0) return usage('missing operand');
    const most = Array.isArray(wanted) ? Math.max(...wanted) : wanted;
    if (sets.length > most) return usage(`extra operand '${sets[most]}'`);
    return usage(`missing operand after '${sets[sets.length - 1]}'`);
  }

  let set1;
  let set2;
  try {
    set1 = parseSet(sets[0]);
    set2 = sets.length > 1 ? parseSet(sets[1]) : null;
  } catch (e) {
    if (!e.setError) throw e;
    sys.stderr.write(`tr: ${e.message}\n`);
    return 1;
  }
  if (opts.complement) set1 = complement(set1);
  if (translating && set2.length === 0) {
    sys.stderr.write('tr: when not truncating set1, string2 must be non-empty\n');
    return 1;
  }

  // Three tables over the 256 bytes: what each becomes, which go, which squeeze.
  const map = new Uint8Array(256).map((_, b) => b);
  const drop = new Uint8Array(256);
  const squeeze = new Uint8Array(256);
  if (translating) set1.forEach((b, i) => (map[b] = set2[Math.min(i, set2.length - 1)]));
  if (opts.delete) for (const b of set1) drop[b] = 1;
  if (opts.squeeze) for (const b of set2 && (translating || opts.delete) ? set2 : set1) squeeze[b] = 1;

  let last = -1; // the byte last written, for squeezing across chunks
  try {
    for (let chunk = await sys.stdin.readBytes(READ_MAX); chunk !== null; chunk = await sys.stdin.readBytes(READ_MAX)) {
      const out = new Uint8Array(chunk.length);
      let n = 0;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (drop[b]) continue;
        const c = map[b];
        if (squeeze[c] && c === last) continue;
        out[n++] = c;
        last = c;
      }
      if (n > 0) await sys.stdout.write(out.subarray(0, n));
    }
  } catch (e) {
    if (!(e && e.code)) throw e;
    sys.stderr.write(`tr: ${reason(e)}\n`);
    return 1;
  }
  return 0;
};

// A SET's bytes, in order (repeats kept: 'aa' maps a twice, the last wins).
function parseSet(text) {
  const src = unescape(encodeURIComponent(text)); // its UTF-8 bytes, one char code each
  const items = []; // bytes, or {cls} for a class
  let i = 0;
  while (i < src.length) {
    const cls = /^\[:([a-z]+):\]/.exec(src.slice(i));
    if (cls) {
      if (!CLASSES[cls[1]]) throw setError(`invalid character class '${cls[1]}'`);
      for (let b = 0; b < 256; b++) if (CLASSES[cls[1]](b)) items.push(b);
      i += cls[0].length;
      continue;
    }
    const [low, next] = oneByte(src, i);
    // A range: LOW-HIGH, where '-' is not at the end.
    if (src[next] === '-' && next + 1 < src.length) {
      const [high, after] = oneByte(src, next + 1);
      if (high < low) {
        throw setError(`range-endpoints of '${show(low)}-${show(high)}' are in reverse collating sequence order`);
      }
      for (let b = low; b <= high; b++) items.push(b);
      i = after;
      continue;
    }
    items.push(low);
    i = next;
  }
  return items;
}

// The byte at src[i], escapes read: [byte, index after it].
function oneByte(src, i) {
  if (src[i] !== '\\' || i + 1 >= src.length) return [src.charCodeAt(i), i + 1];
  const octal = /^[0-7]{1,3}/.exec(src.slice(i + 1));
  if (octal) return [parseInt(octal[0], 8) & 0xff, i + 1 + octal[0].length];
  const c = src[i + 1];
  return [c in ESCAPES ? ESCAPES[c] : c.charCodeAt(0), i + 2];
}

// Every byte not in `set`, in ascending order.
function complement(set) {
  const inSet = new Uint8Array(256);
  for (const b of set) inSet[b] = 1;
  const out = [];
  for (let b = 0; b < 256; b++) if (!inSet[b]) out.push(b);
  return out;
}

const show = (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`);
const setError = (message) => Object.assign(new Error(message), { setError: true });

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

const usage = (problem) => usageError('tr', module.exports, problem);

module.exports.description = 'translate, squeeze or delete characters';
module.exports.options = {
  '-c, -C, --complement': 'use every byte not in SET1',
  '-d, --delete': 'delete the bytes of SET1',
  '-s, --squeeze-repeats': 'squeeze runs of a byte of the last SET to one',
};
module.exports.usage = 'tr [-cs] SET1 SET2\ntr -s [-c] SET1\ntr -d [-c] SET1\ntr -ds [-c] SET1 SET2';
