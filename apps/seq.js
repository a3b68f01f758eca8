// apps/seq.js: print numbers from FIRST (1) to LAST by INCR (1), as GNU seq
// does: one a line, or separated by -s SEP; -w pads them with zeros to one
// width. Numbers are decimals, counted exactly (as integers of the smallest
// decimal place any of them has), so `seq 0 0.1 0.3` ends at 0.3; the output
// has as many decimals as the most of FIRST and INCR (seq 1 0.5 2: 1.0 1.5
// 2.0). A negative number is an operand, not an option (seq -3 3).
//
// The output is written in pieces, each awaited: `seq 1 100000000 | head`
// stops as soon as head has its lines.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const WRITE_MAX = 1 << 16;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

module.exports = async function main(argv) {
  // The first operand ends the options, and a negative number is one (seq -3 3).
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true, numbersAreOperands: true });
  if (parsed.error) return usage(parsed.error);
  const separator = parsed.options.separator ?? '\n';
  const equalWidth = parsed.options['equal-width'];
  const operands = parsed.operands;
  if (operands.length === 0) return usage('missing operand');
  if (operands.length > 3) return usage(`extra operand '${operands[3]}'`);
  for (const text of operands) {
    if (!NUMBER.test(text)) return usage(`invalid floating point argument: '${text}'`, 1);
  }
  const [firstText, incrText, lastText] = operands.length === 1 ? ['1', '1', operands[0]] : operands.length === 2 ? [operands[0], '1', operands[1]] : operands;
  // Exact decimal arithmetic: every number as an integer count of 10^-scale.
  const scale = Math.max(decimalsOf(firstText), decimalsOf(incrText), decimalsOf(lastText));
  let first = scaled(firstText, scale);
  let incr = scaled(incrText, scale);
  let last = scaled(lastText, scale);
  if (incr === 0n) return usage(`invalid Zero increment value: '${incrText}'`, 1);
  // Numbers are quicker than BigInts, and as exact while they stay safe integers.
  const safe = (n) => n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER);
  if ([first, incr, last, last + incr].every(safe)) [first, incr, last] = [Number(first), Number(incr), Number(last)];

  const decimals = Math.max(decimalsOf(firstText), decimalsOf(incrText));
  const width = equalWidth ? Math.max(widthAt(firstText, decimals), widthAt(lastText, decimals)) : 0;
  const unit = 10n ** BigInt(scale - decimals); // the output shows `decimals` of the `scale` digits
  const format = (value) => pad(decimal(typeof value === 'bigint' ? value / unit : BigInt(value) / unit, decimals), width);
  const up = incr > 0;

  let piece = '';
  let count = 0;
  for (let value = first; up ? value <= last : value >= last; value += incr) {
    piece += (count++ > 0 ? separator : '') + (scale === 0 && typeof value === 'number' ? pad(String(value), width) : format(value));
    if (piece.length >= WRITE_MAX) {
      await sys.stdout.write(piece);
      piece = '';
    }
  }
  if (count > 0) await sys.stdout.write(piece + '\n');
  return 0;
};

// '-1.25' at scale 3 -> -1250n.
function scaled(text, scale) {
  const m = /^([+-]?)(\d*)\.?(\d*)$/.exec(text);
  const digits = BigInt((m[2] || '0') + m[3].padEnd(scale, '0'));
  return m[1] === '-' ? -digits : digits;
}

// -1250n with 3 decimals -> '-1.250'.
function decimal(value, decimals) {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const text = decimals > 0 ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  return negative ? '-' + text : text;
}

// Digits after the point as written: '1.50' -> 2.
function decimalsOf(text) {
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

// The width of a number as written, once shown with `decimals` decimals.
function widthAt(text, decimals) {
  const own = decimalsOf(text);
  let width = text.replace(/^\+/, '').length + (decimals - own);
  if (own === 0 && decimals > 0) width += 1; // its point
  if (own > 0 && decimals === 0) width -= 1;
  return width;
}

// '-5' padded to 4 -> '-005'.
function pad(text, width) {
  if (text.length >= width) return text;
  const sign = text.startsWith('-') ? '-' : '';
  return sign + text.slice(sign.length).padStart(width - sign.length, '0');
}

const usage = (problem, status = 2) => usageError('seq', module.exports, problem, status);

module.exports.description = 'print a sequence of numbers';
module.exports.options = {
  '-s, --separator=SEP': 'put SEP between the numbers (default: a newline)',
  '-w, --equal-width': 'pad the numbers with zeros to one width',
};
module.exports.usage = 'seq [-w] [-s SEP] LAST\nseq [-w] [-s SEP] FIRST LAST\nseq [-w] [-s SEP] FIRST INCR LAST';
