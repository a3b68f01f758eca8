// apps/cut.js: print selected parts of each line of files, or of standard
// input, as GNU cut does: -f LIST the fields (separated by TAB, or by the
// one character given with -d), -c LIST or -b LIST the bytes (GNU's -c counts
// bytes too). LIST is N, N-M, N- or -M, separated by commas; the parts come
// out in input order, each once. A line without the delimiter is printed
// whole with -f, unless -s.
//
// Input is read as bytes and each piece of output written as it is made,
// awaited: cut streams at its reader's pace.
'use strict';

const { binaryText, binaryBytes } = require('/lib/binary-text');
const { reason } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

const READ_MAX = 1 << 16;
const WRITE_MAX = 1 << 16;

module.exports = async function main(argv) {
  const opts = parseArgs(argv.slice(1));
  if (opts.error) {
    if (opts.usage !== false) return usageError('cut', module.exports, opts.error);
    sys.stderr.write(`cut: ${opts.error}\n`);
    return 2;
  }
  const pick = opts.mode === 'f' ? fieldPicker(opts) : bytePicker(opts.list);
  let status = 0;
  for (const name of opts.files.length > 0 ? opts.files : ['-']) {
    try {
      await cutInput(name, pick);
    } catch (e) {
      if (!(e && e.code)) throw e;
      if (e.writing) {
        sys.stderr.write(`cut: write error: ${reason(e)}\n`);
        return 1;
      }
      sys.stderr.write(`cut: ${name}: ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

// ---- options ----------------------------------------------------------------

// The command line, parsed by /lib/options from the declaration below;
// then GNU's checks of what was given. {error, usage} for a line cut cannot
// take (usage false: say only the error).
function parseArgs(args) {
  const parsed = parseOptions(args, module.exports);
  if (parsed.error) return parsed;
  const { options, operands, given } = parsed;
  const opts = { mode: null, list: null, delimiter: '\t', delimiterGiven: false, onlyDelimited: options['only-delimited'], files: operands };
  if (options.delimiter !== null) {
    // The delimiter is one byte (a string of char codes, as the input is read).
    const bytes = utf8Text(options.delimiter);
    if (bytes.length !== 1) return { error: 'the delimiter must be a single character' };
    opts.delimiter = bytes;
    opts.delimiterGiven = true;
  }
  const lists = given.filter(([name]) => name === 'fields' || name === 'characters' || name === 'bytes');
  if (lists.length > 1) return { error: 'only one list may be specified' };
  if (lists.length === 1) {
    const [name, value] = lists[0];
    opts.mode = name === 'fields' ? 'f' : 'b';
    const list = parseList(value, name === 'fields' ? 'fields' : 'byte/character positions');
    if (list.error) return list;
    opts.list = list;
  }
  if (opts.mode === null) return { error: 'you must specify a list of bytes, characters, or fields' };
  if (opts.mode !== 'f' && opts.delimiterGiven) return { error: 'an input delimiter may be specified only when operating on fields' };
  if (opts.mode !== 'f' && opts.onlyDelimited) return { error: 'suppressing non-delimited lines makes sense\n\tonly when operating on fields' };
  return opts;
}

// '1,3-4,6-' -> a test of a position (from 1), and the last position any
// closed range needs (beyond it only an open range 'N-' can be selected).
function parseList(text, what) {
  const ranges = [];
  for (const part of text.split(',')) {
    if (part === '') return { error: `${what} are numbered from 1`, usage: false };
    if (part === '-') return { error: 'invalid range with no endpoint: -' };
    const m = /^(\d*)(-?)(\d*)$/.exec(part);
    if (!m || (m[1] === '' && m[3] === '') || (m[2] === '' && m[3] !== '')) {
      return { error: `invalid ${what === 'fields' ? 'field' : 'byte/character position'} value '${part}'` };
    }
    const low = m[1] === '' ? 1 : Number(m[1]);
    const high = m[2] === '' ? low : m[3] === '' ? Infinity : Number(m[3]);
    if (low === 0 || high === 0) return { error: `${what} are numbered from 1`, usage: false };
    if (high < low) return { error: 'invalid decreasing range', usage: false };
    ranges.push([low, high]);
  }
  const selected = (n) => ranges.some(([low, high]) => n >= low && n <= high);
  return { selected, ranges };
}

// ---- cutting ---------------------------------------------------------------

// -f: the fields of a line joined by the delimiter; a line without one whole
// (or nothing, with -s).
function fieldPicker({ list, delimiter, onlyDelimited }) {
  return (line) => {
    if (!line.includes(delimiter)) return onlyDelimited ? null : line;
    const fields = line.split(delimiter);
    const out = [];
    for (let n = 1; n <= fields.length; n++) if (list.selected(n)) out.push(fields[n - 1]);
    return out.join(delimiter);
  };
}

// -b and -c: the selected bytes of a line.
function bytePicker(list) {
  return (line) => {
    let out = '';
    for (const [low, high] of mergedRanges(list.ranges)) {
      if (low > line.length) break;
      out += line.slice(low - 1, Math.min(high, line.length));
    }
    return out;
  };
}

// Ranges sorted and overlapping ones joined, so each byte comes out once, in order.
function mergedRanges(ranges) {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [low, high] of sorted) {
    const last = merged[merged.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  return merged;
}

// Cuts every line of one input; a last line without its newline gets one.
async function cutInput(name, pick) {
  const file = name === '-' ? null : await sys.fs.open(name, 'r');
  const read = file ? (max) => file.read(max) : (max) => sys.stdin.readBytes(max);
  try {
    let pending = '';
    let out = '';
    for (let chunk = await read(READ_MAX); chunk !== null; chunk = await read(READ_MAX)) {
      const lines = (pending + binaryText(chunk)).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const cut = pick(line);
        if (cut !== null) out += cut + '\n';
      }
      if (out.length >= WRITE_MAX) {
        await output(out);
        out = '';
      }
    }
    if (pending !== '') {
      const cut = pick(pending);
      if (cut !== null) out += cut + '\n';
    }
    if (out !== '') await output(out);
  } finally {
    if (file) await file.close();
  }
}

async function output(text) {
  try {
    await sys.stdout.write(binaryBytes(text));
  } catch (e) {
    if (e && e.code) e.writing = true;
    throw e;
  }
}

// An argument's UTF-8 bytes as a binary string (/lib/binary-text).
const utf8Text = (text) => unescape(encodeURIComponent(text));

module.exports.description = 'print selected fields or bytes of each line';
module.exports.options = {
  '-f, --fields=LIST': 'the fields to print (1,3-5,7-)',
  '-d, --delimiter=C': 'the field delimiter (TAB if not given)',
  '-s, --only-delimited': 'leave out lines without the delimiter',
  '-c, --characters=LIST': 'the characters (bytes) to print',
  '-b, --bytes=LIST': 'the bytes to print',
};
module.exports.usage = 'cut -f LIST [-d C] [-s] [FILE...]\ncut -c LIST [FILE...]';
