// apps/sort.js: sort the lines of files, or of standard input, as GNU sort
// does in the C locale: bytes compare as unsigned numbers, and lines whose
// keys compare equal are ordered by their whole text ("last resort") unless
// -s or -u asks otherwise.
//
//   -n          numbers: leading blanks, an optional '-', digits, an optional
//               '.' and digits; anything else counts as 0. Compared exactly,
//               however many digits
//   -r -f -b    reverse; fold a-z to A-Z; skip leading blanks of keys
//   -k POS1[,POS2]  a key from field POS1 to field POS2 (or the line's end);
//               POS is F[.C][flags], flags b, f, n, r for this key only (a
//               key with flags of its own takes none of the global ones)
//   -t C        fields end at C; without -t a field is the blanks before it
//               and the non-blanks after them, as GNU counts them
//   -u          only the first line of each run of equal keys
//   -s          stable: equal keys keep their input order (no last resort)
//
// sort must see every line before it can print one: the input is read as
// bytes (a line is a string of char codes 0-255, so comparing strings is
// comparing bytes), and the output is written in pieces, each awaited.
'use strict';

const { binaryText, binaryBytes } = require('/lib/binary-text');
const { reason } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

const READ_MAX = 1 << 16;
const WRITE_MAX = 1 << 16;

module.exports = async function main(argv) {
  const opts = parseArgs(argv.slice(1));
  if (opts.error) {
    if (opts.usage) return usageError('sort', module.exports, opts.error);
    sys.stderr.write(`sort: ${opts.error}\n`);
    return 2;
  }
  const lines = [];
  for (const name of opts.files.length > 0 ? opts.files : ['-']) {
    try {
      await readLines(name, lines);
    } catch (e) {
      if (!(e && e.code)) throw e;
      sys.stderr.write(`sort: cannot read: ${name === '-' ? '-' : name}: ${reason(e)}\n`);
      return 2;
    }
  }
  const keys = effectiveKeys(opts);
  if (keys.length === 0) {
    // The plain sort: V8's own string order is byte order here, and lines
    // that compare equal are the same text.
    lines.sort();
    if (opts.reverse) lines.reverse();
    await writeLines(lines, null, opts.unique ? (a, b) => lines[a] === lines[b] : null);
    return 0;
  }
  // Each key of every line is worked out once: a column of strings or numbers.
  const columns = keys.map((key) => keyColumn(lines, key, opts.tab));
  const compareKeys = (a, b) => {
    for (let k = 0; k < columns.length; k++) {
      const d = columns[k](a, b);
      if (d !== 0) return keys[k].reverse ? -d : d;
    }
    return 0;
  };
  const direction = opts.reverse ? -1 : 1;
  const lastResort = opts.stable || opts.unique ? null : (a, b) => direction * compareText(lines[a], lines[b]);
  // Line numbers in the order they go out; the input order breaks the last tie.
  const order = new Uint32Array(lines.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => compareKeys(a, b) || (lastResort && lastResort(a, b)) || a - b);
  await writeLines(lines, order, opts.unique ? (a, b) => compareKeys(a, b) === 0 : null);
  return 0;
};

// ---- options ----------------------------------------------------------------

// The command line, parsed by /lib/options from the declaration below
// (letters cluster: -rn, -t:, -k2n; GNU's long names too). Returns the
// options sort works with, or {error, usage} for a line it cannot take.
function parseArgs(args) {
  const parsed = parseOptions(args, module.exports);
  if (parsed.error) return { error: parsed.error, usage: true };
  const { options, operands } = parsed;
  const opts = {
    keys: [],
    files: operands,
    tab: options['field-separator'],
    reverse: options.reverse,
    numeric: options['numeric-sort'],
    fold: options['ignore-case'],
    blanks: options['ignore-leading-blanks'],
    unique: options.unique,
    stable: options.stable,
  };
  if (opts.tab !== null && opts.tab.length !== 1) return { error: opts.tab === '' ? 'empty tab' : `multi-character tab '${opts.tab}'` };
  for (const spec of options.key) {
    const key = parseKey(spec);
    if (key.error) return key;
    opts.keys.push(key);
  }
  return opts;
}

// 'F[.C][flags][,F[.C][flags]]' -> {start: {field, char}, end: {field, char} | null, flags}.
function parseKey(spec) {
  const m = /^(\d+)(?:\.(\d+))?([bfnr]*)(?:,(\d+)(?:\.(\d+))?([bfnr]*))?$/.exec(spec);
  if (!m) return { error: `invalid key '${spec}'`, usage: true };
  const start = { field: Number(m[1]), char: m[2] === undefined ? 1 : Number(m[2]) };
  if (start.field === 0) return { error: `field number is zero: invalid field specification '${spec}'` };
  if (start.char === 0) return { error: `character offset is zero: invalid field specification '${spec}'` };
  const end = m[4] === undefined ? null : { field: Number(m[4]), char: m[5] === undefined ? 0 : Number(m[5]) };
  if (end && end.field === 0) return { error: `field number is zero: invalid field specification '${spec}'` };
  const flags = (m[3] || '') + (m[6] || '');
  return {
    start,
    end,
    own: flags.length > 0,
    skipStart: (m[3] || '').includes('b'),
    skipEnd: (m[6] || '').includes('b'),
    numeric: flags.includes('n'),
    fold: flags.includes('f'),
    reverse: flags.includes('r'),
  };
}

// ---- comparing ---------------------------------------------------------------

// The keys to compare by. A -k key without flags of its own takes the global
// ones; without -k, global options other than -r (and -s, -u) make one key:
// the whole line.
function effectiveKeys(opts) {
  const global = { skipStart: opts.blanks, skipEnd: opts.blanks, numeric: opts.numeric, fold: opts.fold, reverse: opts.reverse };
  const keys = opts.keys.map((key) => (key.own ? key : { ...key, ...global }));
  if (keys.length === 0 && (opts.numeric || opts.fold || opts.blanks)) keys.push({ start: { field: 1, char: 1 }, end: null, ...global });
  return keys;
}

// One key of every line, as a comparison of two line numbers. Numbers are
// kept as doubles; two that are equal as doubles but have more digits than a
// double holds are compared again exactly, from their text.
function keyColumn(lines, key, tab) {
  const whole = key.start.field === 1 && key.start.char === 1 && !key.end && !key.skipStart;
  const textOf = (line) => {
    const text = whole ? line : keyText(line, key, tab);
    return key.fold ? text.replace(/[a-z]+/g, (s) => s.toUpperCase()) : text;
  };
  if (!key.numeric) {
    const texts = whole && !key.fold ? lines : lines.map(textOf);
    return (a, b) => compareText(texts[a], texts[b]);
  }
  const values = new Float64Array(lines.length);
  const long = new Uint8Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const text = textOf(lines[i]);
    const [start, end, digits] = numberSpan(text);
    values[i] = digits > 0 ? Number(text.slice(start, end)) || 0 : 0; // || 0: -0 is 0
    long[i] = digits > 15 ? 1 : 0;
  }
  return (a, b) => {
    if (values[a] < values[b]) return -1;
    if (values[a] > values[b]) return 1;
    return long[a] || long[b] ? compareNumbers(parseNumber(textOf(lines[a])), parseNumber(textOf(lines[b]))) : 0;
  };
}

const compareText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const isBlank = (c) => c === ' ' || c === '\t';

// The part of `line` a key covers.
function keyText(line, key, tab) {
  let start = fieldStart(line, key.start.field, tab);
  if (key.skipStart) while (start < line.length && isBlank(line[start])) start++;
  start = Math.min(line.length, start + key.start.char - 1);
  let end = line.length;
  if (key.end) {
    if (key.end.char === 0) {
      end = fieldEnd(line, key.end.field, tab);
    } else {
      end = fieldStart(line, key.end.field, tab);
      if (key.skipEnd) while (end < line.length && isBlank(line[end])) end++;
      end = Math.min(line.length, end + key.end.char);
    }
  }
  return end > start ? line.slice(start, end) : '';
}

// Where field n (from 1) begins: after n-1 tabs with -t; without it, after
// n-1 runs of blanks-then-non-blanks (so a field starts with its blanks).
function fieldStart(line, n, tab) {
  let i = 0;
  for (let field = 1; field < n; field++) {
    if (tab !== null) {
      const next = line.indexOf(tab, i);
      if (next < 0) return line.length;
      i = next + 1;
    } else {
      while (i < line.length && isBlank(line[i])) i++;
      while (i < line.length && !isBlank(line[i])) i++;
    }
  }
  return i;
}

// Where field n ends (just after its last character).
function fieldEnd(line, n, tab) {
  let i = fieldStart(line, n, tab);
  if (tab !== null) {
    const next = line.indexOf(tab, i);
    return next < 0 ? line.length : next;
  }
  while (i < line.length && isBlank(line[i])) i++;
  while (i < line.length && !isBlank(line[i])) i++;
  return i;
}

// Where the number -n reads in `text` starts and ends, and how many digits
// it has: blanks, an optional '-', digits, an optional '.' and digits. Found
// without making strings: sort does this for every line.
function numberSpan(text) {
  let i = 0;
  while (i < text.length && isBlank(text[i])) i++;
  const start = i;
  if (text[i] === '-') i++;
  let digits = 0;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++, digits++;
  if (text[i] === '.') {
    i++;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++, digits++;
  }
  return [start, i, digits];
}

// A number as -n reads it: {negative, whole, fraction} with the whole part's
// leading zeros and the fraction's trailing zeros gone; not a number is 0.
function parseNumber(text) {
  const m = /^[ \t]*(-?)(\d*)(?:\.(\d*))?/.exec(text);
  const whole = (m[2] || '').replace(/^0+/, '');
  const fraction = (m[3] || '').replace(/0+$/, '');
  const digits = m[2] !== '' || (m[3] || '') !== '';
  return { negative: digits && m[1] === '-' && (whole !== '' || fraction !== ''), whole, fraction };
}

function compareNumbers(a, b) {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  let d;
  if (a.whole.length !== b.whole.length) d = a.whole.length - b.whole.length;
  else d = compareText(a.whole, b.whole) || compareText(a.fraction, b.fraction);
  return a.negative ? -d : d;
}

// ---- input and output ------------------------------------------------------

// Appends the lines of a file ('-': standard input) to `lines`. A last line
// without its newline is a line.
async function readLines(name, lines) {
  const file = name === '-' ? null : await sys.fs.open(name, 'r');
  const read = file ? (max) => file.read(max) : (max) => sys.stdin.readBytes(max);
  try {
    let pending = '';
    for (let chunk = await read(READ_MAX); chunk !== null; chunk = await read(READ_MAX)) {
      const parts = (pending + binaryText(chunk)).split('\n');
      pending = parts.pop();
      for (const part of parts) lines.push(part);
    }
    if (pending !== '') lines.push(pending);
  } finally {
    if (file) await file.close();
  }
}

// Lines out, each with its newline, in pieces of about WRITE_MAX bytes: in
// `order` (line numbers) if given, and with -u only the first of each run
// that `same` says are equal.
async function writeLines(lines, order, same) {
  let piece = '';
  let previous = -1;
  for (let i = 0; i < lines.length; i++) {
    const n = order ? order[i] : i;
    if (same && previous >= 0 && same(previous, n)) continue;
    previous = n;
    piece += lines[n] + '\n';
    if (piece.length >= WRITE_MAX) {
      await sys.stdout.write(binaryBytes(piece));
      piece = '';
    }
  }
  if (piece !== '') await sys.stdout.write(binaryBytes(piece));
}

module.exports.description = 'sort lines of text';
module.exports.options = {
  '-b, --ignore-leading-blanks': 'ignore leading blanks of keys',
  '-f, --ignore-case': 'fold lower case to upper case',
  '-k, --key=POS1[,POS2]...': 'sort on fields POS1 to POS2 (F[.C][bfnr])',
  '-n, --numeric-sort': 'compare numbers',
  '-r, --reverse': 'reverse the order',
  '-s, --stable': 'stable: keep the input order of equal keys',
  '-t, --field-separator=C': 'fields are separated by C',
  '-u, --unique': 'only the first of lines with equal keys',
};
module.exports.usage = 'sort [-bfnrsu] [-t C] [-k POS1[,POS2]]... [FILE...]';
