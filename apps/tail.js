// apps/tail.js: print the last lines (10 unless -n N or -N) of files or of
// standard input; -n +N prints from line N on, as GNU tail does. Options,
// headers and messages mirror apps/head.js.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports, { countOption: 'lines' });
  if (parsed.error) return usageError('tail', module.exports, parsed.error, 1);
  const files = parsed.operands;
  // -n +N: lines N and after, not the last N
  const [count, fromStart] = parsed.options.lines === null ? [10, false] : parseCount(parsed.options.lines);
  if (Number.isNaN(count)) {
    sys.stderr.write('tail: invalid number of lines\n');
    return 1;
  }
  if (files.length === 0) files.push('-');

  const pick = (text) => (fromStart ? fromLine(text, count) : lastLines(text, count));
  let status = 0;
  for (const [i, file] of files.entries()) {
    if (files.length > 1) sys.stdout.write(`${i > 0 ? '\n' : ''}==> ${file === '-' ? 'standard input' : file} <==\n`);
    try {
      sys.stdout.write(file === '-' ? await stdinTail(count, fromStart, pick) : pick(await sys.fs.readFile(file)));
    } catch (e) {
      sys.stderr.write(`tail: cannot open '${file}' for reading: ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

// '5' -> [5, false]; '+5' -> [5, true]; anything else -> [NaN, false].
function parseCount(text) {
  const m = /^(\+?)(\d+)$/.exec(text || '');
  return m ? [Number(m[2]), m[1] === '+'] : [NaN, false];
}

// The last `count` lines of `text`. A last line without its newline counts.
function lastLines(text, count) {
  if (count === 0) return '';
  let start = text.endsWith('\n') ? text.length - 1 : text.length; // the final line's own newline is not a break
  for (let n = 0; n < count; n++) {
    if (start <= 0) return text;
    const newline = text.lastIndexOf('\n', start - 1);
    if (newline === -1) return text;
    start = newline;
  }
  return text.slice(start + 1);
}

// Line `n` (counting from 1) and everything after it; +0 is the same as +1.
function fromLine(text, n) {
  let start = 0;
  for (let line = 1; line < n; line++) {
    const newline = text.indexOf('\n', start);
    if (newline === -1) return '';
    start = newline + 1;
  }
  return text.slice(start);
}

// Standard input to its end. For the last lines only a window is kept: once
// the text read has grown past twice what was last kept, it is cut back to its
// last `count` lines (a cut always starts at a line), so memory stays near the
// size of the answer however long the input is.
async function stdinTail(count, fromStart, pick) {
  let text = '';
  let cutAt = 1 << 16;
  for (;;) {
    const chunk = await sys.stdin.read();
    if (chunk === null) break;
    text += chunk;
    if (!fromStart && text.length > cutAt) {
      text = lastLines(text, count);
      cutAt = Math.max(1 << 16, 2 * text.length);
    }
  }
  return pick(text);
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print the last lines of files';
module.exports.options = { '-n, --lines=N': 'print the last N lines (default 10; -N is the same), or +N: from line N on' };
module.exports.usage = 'tail [-n [+]N] [FILE...]';
