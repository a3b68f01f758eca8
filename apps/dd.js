// apps/dd.js: copy bytes in blocks and count them, as POSIX and GNU dd do.
//
//   dd [if=FILE] [of=FILE] [bs=N] [ibs=N] [obs=N] [count=N] [skip=N]
//      [iflag=fullblock] [status=none|noxfer|progress]
//
// Input is standard input unless if=, output standard output unless of=
// (created or truncated). Each read asks for at most ibs bytes (512 unless
// set); a read that returns fewer, as a pipe may, is a partial record.
// count= stops after that many input records, full or partial; skip= drops
// that many input records first. With bs= every record read is written as
// it came; without it the output is cut into blocks of obs bytes (POSIX:
// "aggregate partial reads"). Sizes take GNU's suffixes (c, w, b, kB, K, MB,
// M, GB, G, ... and NxM products: /lib/size-suffix). At the end, on stderr:
//
//   4+1 records in
//   4+1 records out
//   2359 bytes (2.4 kB, 2.3 KiB) copied, 0.0012 s, 2.0 MB/s
//
// in GNU's words and number format (print_xfer_stats in coreutils dd.c).
// Every write is awaited: that is the back-pressure from a slow reader.
'use strict';

const { parseSize, DD_SUFFIXES } = require('/lib/size-suffix');
const { parseOptions, usageError } = require('/lib/options');

const OPERANDS = new Set(['if', 'of', 'bs', 'ibs', 'obs', 'count', 'skip', 'iflag', 'status']);
const SIZES = new Set(['bs', 'ibs', 'obs']); // must be at least 1
const STATUS_LEVELS = new Set(['none', 'noxfer', 'progress']); // progress: accepted, prints nothing extra

module.exports = async function main(argv) {
  // dd takes no options, only KEY=VALUE operands; '-x' is GNU's getopt error, status 1 as GNU's.
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('dd', module.exports, parsed.error, 1);
  const op = parseOperands(parsed.operands);
  if (typeof op === 'string') {
    await sys.stderr.write(`dd: ${op}\n`);
    return 1;
  }
  const ibs = op.bs ?? op.ibs ?? 512;
  const obs = op.bs ?? op.obs ?? 512;

  let input;
  let output;
  try {
    input = await openInput(op.if, op.iflag === 'fullblock');
    output = await openOutput(op.of);
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    if (input) await input.close().catch(() => {});
    await sys.stderr.write(`dd: failed to open '${e.name}': ${reason(e.error)}\n`);
    return 1;
  }

  const start = performance.now();
  const counts = { rFull: 0, rPartial: 0, wFull: 0, wPartial: 0, bytes: 0 };
  let failure = null;
  try {
    if (op.skip > 0 && !(await skip(input, op.skip, ibs)) && op.status !== 'none') {
      await sys.stderr.write(`dd: ${quoteIfNeeded(input.name)}: cannot skip to specified offset\n`);
    }
    await copy(input, output, { ibs, obs, count: op.count ?? Infinity, reblock: op.bs === undefined }, counts);
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    failure = e;
  }
  await input.close().catch(() => {});
  try {
    await attempt('writing', output.name, output.close()); // a file system may say only now that it is full
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    failure = failure || e;
  }

  if (failure) {
    if (failure.verb === 'writing' && failure.error.code === 'EPIPE') return 141; // the reader is gone: quietly, as SIGPIPE ends a Unix dd
    await sys.stderr.write(`dd: error ${failure.verb} '${failure.name}': ${reason(failure.error)}\n`);
  }
  if (op.status !== 'none') await sys.stderr.write(report(counts, performance.now() - start, op.status !== 'noxfer'));
  return failure ? 1 : 0;
};

// A kernel call that failed (an error with a code), and what dd was doing:
// 'opening', 'reading' or 'writing' the file `name`.
class Failure {
  constructor(verb, name, error) {
    this.verb = verb;
    this.name = name;
    this.error = error;
  }
}

// The promise's value; its rejection with a kernel error becomes a Failure.
// Other exceptions (a bug) go on as they are.
async function attempt(verb, name, promise) {
  try {
    return await promise;
  } catch (e) {
    throw e && e.code ? new Failure(verb, name, e) : e;
  }
}

// The operands as {if, of, bs, ibs, obs, count, skip, iflag, status}, or
// the error message (GNU's) for the first bad one.
function parseOperands(args) {
  const op = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (eq < 0 || !OPERANDS.has(key)) return `unrecognized operand '${arg}'`;
    if (key === 'if' || key === 'of') op[key] = value;
    else if (key === 'status') {
      if (!STATUS_LEVELS.has(value)) return `invalid status level: '${value}'`;
      op.status = value;
    } else if (key === 'iflag') {
      if (value !== 'fullblock') return `invalid input flag: '${value}'`;
      op.iflag = value;
    } else {
      const n = parseNumber(value);
      if (!Number.isSafeInteger(n) || (SIZES.has(key) && n < 1)) return `invalid number: '${value}'`;
      op[key] = n;
    }
  }
  return op;
}

// A number with GNU dd's suffixes, or a product of them: '2x512K'.
const parseNumber = (text) => text.split('x').reduce((product, factor) => product * parseSize(factor, DD_SUFFIXES), 1);

// ---- input and output -------------------------------------------------------

// The input as {name, read(max), close()}. read(max) returns at most max
// bytes, or null at the end. A file is read like a Unix regular file: a
// read comes back short only at its end. Standard input may return less
// (a pipe hands over what it has) unless iflag=fullblock.
async function openInput(path, fullblock) {
  if (path === undefined) {
    const next = (max) => sys.stdin.readBytes(max);
    const full = fullblock || sys.stdin.kind === 'file';
    return { name: 'standard input', read: full ? (max) => readFull(next, max) : next, close: async () => {} };
  }
  const file = await attempt('opening', path, sys.fs.open(path, 'r'));
  return { name: path, read: (max) => readFull((n) => file.read(n), max), close: () => file.close() };
}

async function openOutput(path) {
  if (path === undefined) return { name: 'standard output', write: (data) => sys.stdout.write(data), close: async () => {} };
  const file = await attempt('opening', path, sys.fs.open(path, 'w'));
  return { name: path, write: (data) => file.write(data), close: () => file.close() };
}

// Reads until `max` bytes or the end: one read when it returns enough.
async function readFull(read, max) {
  const first = await read(max);
  if (first === null || first.length >= max) return first;
  const block = new Uint8Array(max);
  block.set(first);
  let n = first.length;
  while (n < max) {
    const more = await read(max - n);
    if (more === null) break;
    block.set(more, n);
    n += more.length;
  }
  return block.subarray(0, n);
}

// The next chunk of at most max bytes, or null at the end. A chunk of no
// bytes is not the end (only null is): it is skipped, and counts as no record.
async function nextChunk(input, max) {
  for (;;) {
    const chunk = await attempt('reading', input.name, input.read(max));
    if (chunk === null || chunk.length > 0) return chunk;
  }
}

// ---- copying ------------------------------------------------------------------

// skip=N: reads and drops N records of up to ibs bytes (GNU reads them when
// the input cannot seek, as none can here). False if the input ended first.
async function skip(input, records, ibs) {
  for (let i = 0; i < records; i++) {
    if ((await nextChunk(input, ibs)) === null) return false;
  }
  return true;
}

// The copy loop (dd_copy in GNU's dd.c). Counts records and bytes in
// `counts` as it goes, so the report is right even after an error.
async function copy(input, output, { ibs, obs, count, reblock }, counts) {
  const write = async (data) => {
    await attempt('writing', output.name, output.write(data));
    counts.bytes += data.length;
  };
  let pending = null; // reblocking: an output block being filled ...
  let filled = 0; // ... and how many bytes it has
  while (counts.rFull + counts.rPartial < count) {
    const chunk = await nextChunk(input, ibs);
    if (chunk === null) break;
    if (chunk.length === ibs) counts.rFull++;
    else counts.rPartial++;

    if (!reblock) {
      // bs=: the record goes out as it came in.
      await write(chunk);
      if (chunk.length === obs) counts.wFull++;
      else counts.wPartial++;
      continue;
    }
    // Without bs=: fill blocks of obs bytes. Whole blocks that start the
    // chunk when nothing is pending go out without a copy.
    let at = 0;
    while (at < chunk.length) {
      if (filled === 0 && chunk.length - at >= obs) {
        await write(chunk.subarray(at, at + obs));
        counts.wFull++;
        at += obs;
        continue;
      }
      if (pending === null) pending = new Uint8Array(obs); // a new one each time: a written block is the kernel's
      const n = Math.min(obs - filled, chunk.length - at);
      pending.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === obs) {
        await write(pending);
        counts.wFull++;
        pending = null;
        filled = 0;
      }
    }
  }
  if (filled > 0) {
    await write(pending.subarray(0, filled));
    counts.wPartial++;
  }
}

// ---- the report -----------------------------------------------------------------

// The lines dd prints at the end; `ms` is the time the copy took.
function report(counts, ms, transfer) {
  const records = `${counts.rFull}+${counts.rPartial} records in\n${counts.wFull}+${counts.wPartial} records out\n`;
  return transfer ? records + transferLine(counts.bytes, Math.round(ms * 1e6)) + '\n' : records;
}

// '268435456 bytes (268 MB, 256 MiB) copied, 1.2 s, 224 MB/s': the sizes in
// parentheses are left out when they would only repeat the byte count.
function transferLine(bytes, ns) {
  const si = humanReadable(bytes, 1000);
  const iec = humanReadable(bytes, 1024);
  const time = `${formatG(ns / 1e9)} s`;
  // GNU computes bytes per second as bytes * 10^9 / ns, in the same format.
  const rate = ns > 0 ? humanReadable(bytes, 1000, 1e9, ns) + '/s' : 'Infinity B/s';
  if (lacksPrefix(si)) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'} copied, ${time}, ${rate}`;
  if (lacksPrefix(iec)) return `${bytes} bytes (${si}) copied, ${time}, ${rate}`;
  return `${bytes} bytes (${si}, ${iec}) copied, ${time}, ${rate}`;
}

// '512 B' has no prefix; '1.0 kB' has one.
const lacksPrefix = (text) => text[text.length - 2] === ' ';

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y', 'R', 'Q'];
const EXPONENT_MAX = PREFIXES.length - 1;

// n * from / to as GNU's human_readable (gnulib lib/human.c) writes it with
// the options dd passes: autoscale, round to nearest with ties to even, a
// space before the unit, SI prefixes and B ('kB', 'MB'; with base 1024
// 'KiB', 'MiB'). Like GNU it works in exact integers when `to` divides
// `from` or the other way round, and in floating point otherwise; the two
// differ in one visible way: the floating-point path always scales at least
// once ('0.5 kB', never '500 B').
function humanReadable(n, base, from = 1, to = 1) {
  const N = BigInt(n);
  const F = BigInt(from);
  const T = BigInt(to);
  if (T <= F) {
    if (F % T === 0n && N * (F / T) < 2n ** 64n) return integerHuman(N * (F / T), 0, 0, base);
  } else if (T % F === 0n) {
    const divisor = T / F;
    const r10 = (N % divisor) * 10n;
    const r2 = (r10 % divisor) * 2n;
    // rounding: 0 exact, 1 under half a tenth more, 2 exactly half, 3 over half
    const rounding = r2 < divisor ? (r2 > 0n ? 1 : 0) : divisor < r2 ? 3 : 2;
    return integerHuman(N / divisor, Number(r10 / divisor), rounding, base);
  }
  return floatHuman(n * (from / to), base);
}

// human.c's integer path: amt and tenths, with `rounding` saying what lies
// beyond the tenths (as above).
function integerHuman(amt, tenths, rounding, base) {
  const B = BigInt(base);
  let exponent = 0;
  let fraction = '';
  if (amt >= B) {
    do {
      const r10 = Number(amt % B) * 10 + tenths;
      const r2 = (r10 % base) * 2 + (rounding >> 1);
      amt /= B;
      tenths = Math.floor(r10 / base);
      rounding = r2 < base ? (r2 + rounding !== 0 ? 1 : 0) : base < r2 + rounding ? 3 : 2;
      exponent++;
    } while (amt >= B && exponent < EXPONENT_MAX);
    if (amt < 10n) {
      // One decimal below 10: round it to nearest, ties to even.
      if (rounding + (tenths & 1) > 2) {
        tenths++;
        rounding = 0;
        if (tenths === 10) {
          amt++;
          tenths = 0;
        }
      }
      if (amt < 10n) {
        fraction = `.${tenths}`;
        tenths = rounding = 0;
      }
    }
  }
  if (tenths + (rounding + Number(amt & 1n) > 0 ? 1 : 0) > 5) {
    amt++;
    if (amt === B && exponent < EXPONENT_MAX) {
      exponent++;
      fraction = '.0';
      amt = 1n;
    }
  }
  return `${amt}${fraction}${unit(exponent, base)}`;
}

// human.c's floating-point path.
function floatHuman(amount, base) {
  let scale = 1;
  let exponent = 0;
  do {
    scale *= base;
    exponent++;
  } while (scale * base <= amount && exponent < EXPONENT_MAX);
  const value = amount / scale;
  let text = printfFixed(value, 1);
  // More than one digit before the point (two with base 1000): no decimal.
  if (text.length > 3 + (base === 1024 ? 0 : 1)) text = printfFixed(value, 0);
  return text + unit(exponent, base);
}

const unit = (exponent, base) => ` ${base === 1024 && exponent > 0 ? PREFIXES[exponent].toUpperCase() + 'i' : PREFIXES[exponent]}B`;

// C's printf("%.0f") and ("%.1f"): toFixed, except that an exact tie goes to
// the even digit (as glibc rounds) where toFixed rounds it up. A tie at one
// decimal is an odd multiple of 0.25 (.25 or .75); at none, of 0.5. Scaling
// by a power of two is exact, so these tests are too.
function printfFixed(x, digits) {
  const tie = digits === 0 ? Number.isInteger(x * 2) && !Number.isInteger(x) : Number.isInteger(x * 4) && !Number.isInteger(x * 2);
  if (!tie) return x.toFixed(digits);
  const scaled = Math.floor(x * 10 ** digits); // exact: x * 10 of a multiple of 0.25 below 2^50
  return ((scaled % 2 === 0 ? scaled : scaled + 1) / 10 ** digits).toFixed(digits);
}

// C's printf("%g"): six significant digits, trailing zeros dropped, and an
// exponent when it is below -4 or at least 6.
function formatG(x) {
  if (x === 0) return '0';
  const [mantissa, e] = x.toExponential(5).split('e');
  const exponent = Number(e);
  const trim = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exponent < -4 || exponent >= 6) return `${trim(mantissa)}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return trim(x.toFixed(5 - exponent));
}

// GNU's quotef: a name is quoted when it has characters a shell would
// treat specially (a space, for 'standard input').
const quoteIfNeeded = (name) => (/^[\w%+,\-./:=@^\u0080-\uffff]+$/.test(name) ? name : `'${name}'`);

// 'No such file or directory' from '/x: No such file or directory'. A
// message that is only the code ('write: ENOSPC') gets C's text for it.
const STRERROR = { ENOSPC: 'No space left on device', EIO: 'Input/output error', EBADF: 'Bad file descriptor' };
function reason(e) {
  const message = String((e && e.message) || e);
  const text = e && e.code ? message.replace(/^.*?: /, '') : message;
  return text === e.code && STRERROR[text] ? STRERROR[text] : text;
}

module.exports.description = 'copy and count bytes in blocks';
module.exports.options = {};
module.exports.usage = 'dd [if=FILE] [of=FILE] [bs=N] [ibs=N] [obs=N] [count=N] [skip=N] [iflag=fullblock] [status=none|noxfer|progress]';
