// apps/grep.js: print the lines of files, or of standard input, that match a
// pattern (a JavaScript regular expression, or a plain string with -F).
// Exit status 0 if a line was selected, 1 if none, 2 on an error.
// Context as GNU grep prints it: -A NUM lines after each match, -B NUM
// before, -C NUM both; groups that do not touch are separated by `--`, and
// with -n a context line's number ends in `-` where a match's ends in `:`.
// -m NUM stops after NUM selected lines (their trailing context still shown).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('grep', module.exports, parsed.error);
  const { options, operands: args } = parsed;
  if (args.length === 0) return usageError('grep', module.exports, 'missing PATTERN');
  // -E changes nothing: a JavaScript pattern is always an extended one.
  const opts = { ignoreCase: options['ignore-case'], invert: options['invert-match'], number: options['line-number'], count: options.count, fixed: options['fixed-strings'] };
  for (const [name, key] of [['after', 'after-context'], ['before', 'before-context'], ['max', 'max-count']]) {
    const value = options[key] ?? (name !== 'max' ? options.context : null);
    if (value === null) continue;
    if (!/^\d+$/.test(value)) return fail(`${value}: invalid ${name === 'max' ? 'max count' : 'context length argument'}`);
    opts[name] = Number(value);
  }
  let matches;
  try {
    matches = matcher(args[0], opts);
  } catch (e) {
    return fail(e.message);
  }

  const files = args.length > 1 ? args.slice(1) : ['-'];
  let selected = 0;
  let status = 0;
  for (const file of files) {
    const prefix = files.length > 1 ? `${file === '-' ? '(standard input)' : file}:` : '';
    try {
      const lines = file === '-' ? stdinLines() : fileLines(file);
      selected += await filter(lines, matches, opts, prefix);
    } catch (e) {
      sys.stderr.write(`grep: ${file}: ${reason(e)}\n`);
      status = 2;
    }
  }
  return status === 2 ? 2 : selected > 0 ? 0 : 1;
};

// A test for one line: a regular expression, or a plain substring with -F.
function matcher(pattern, opts) {
  if (opts.fixed) {
    const needle = opts.ignoreCase ? pattern.toLowerCase() : pattern;
    return (line) => (opts.ignoreCase ? line.toLowerCase() : line).includes(needle);
  }
  const re = new RegExp(pattern, opts.ignoreCase ? 'i' : '');
  return (line) => re.test(line);
}

// Prints the selected lines (or their count with -c) with their context;
// returns how many were selected.
async function filter(lines, matches, opts, prefix) {
  const after = opts.after || 0;
  const before = opts.before || 0;
  const max = opts.max ?? Infinity;
  const out = (number, line, mark) => sys.stdout.write(`${prefix}${opts.number ? `${number}${mark}` : ''}${line}\n`);
  let number = 0;
  let selected = 0;
  let lastShown = 0; // the number of the last line printed
  let owed = 0; // lines of after-context still to print
  const held = []; // [number, line]: the last `before` lines not printed
  for await (const line of lines) {
    number++;
    const hit = selected < max && matches(line) !== Boolean(opts.invert);
    if (!hit) {
      if (owed > 0) {
        owed--;
        out(number, line, '-');
        lastShown = number;
      } else if (selected >= max) {
        break;
      } else if (before) {
        held.push([number, line]);
        if (held.length > before) held.shift();
      }
      continue;
    }
    selected++;
    if (opts.count) continue;
    const first = held.length ? held[0][0] : number;
    if ((after || before) && lastShown && first > lastShown + 1) sys.stdout.write('--\n');
    for (const [n, l] of held.splice(0)) out(n, l, '-');
    out(number, line, ':');
    lastShown = number;
    owed = after;
  }
  if (opts.count) sys.stdout.write(`${prefix}${selected}\n`);
  return selected;
}

async function* fileLines(file) {
  const text = await sys.fs.readFile(file);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline ends the last line
  yield* lines;
}

// Lines of standard input as they arrive, so `cat | grep x` answers at once.
async function* stdinLines() {
  let pending = '';
  for (let chunk = await sys.stdin.read(); chunk !== null; chunk = await sys.stdin.read()) {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    yield* lines;
  }
  if (pending !== '') yield pending;
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

function fail(message) {
  sys.stderr.write(`grep: ${message}\n`);
  return 2;
}

module.exports.description = 'print lines that match a pattern';
module.exports.options = {
  '-i, --ignore-case': 'ignore case',
  '-v, --invert-match': 'select non-matching lines',
  '-n, --line-number': 'number lines',
  '-c, --count': 'count matching lines',
  '-F, --fixed-strings': 'pattern is a plain string',
  '-E, --extended-regexp': 'pattern is an extended regular expression (a JavaScript one always is)',
  '-m, --max-count=NUM': 'stop after NUM selected lines',
  '-A, --after-context=NUM': 'print NUM lines after each match',
  '-B, --before-context=NUM': 'print NUM lines before each match',
  '-C, --context=NUM': 'print NUM lines before and after each match',
};
module.exports.usage = 'grep [-ivncFE] [-m NUM] [-A NUM] [-B NUM] [-C NUM] PATTERN [FILE...]';
