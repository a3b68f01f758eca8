// apps/uniq.js: write one line of each run of equal adjacent lines of a file,
// or of standard input, as GNU uniq does: -c puts the run's length before it
// (in seven columns), -d prints only lines that repeat, -u only those that
// do not (both: nothing). Lines compare as bytes.
//
// Input is read as bytes and lines are written as their runs end, each write
// awaited: uniq goes at its reader's pace and keeps only the current line.
'use strict';

const { binaryText, binaryBytes } = require('/lib/binary-text');
const { reason } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

const READ_MAX = 1 << 16;
const WRITE_MAX = 1 << 16;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('uniq', module.exports, parsed.error);
  const { options, operands } = parsed;
  const opts = { count: options.count, repeated: options.repeated, single: options.unique };
  if (operands.length > 1) return usageError('uniq', module.exports, `extra operand '${operands[1]}'`);
  const name = operands[0] ?? '-';

  let file = null;
  try {
    if (name !== '-') file = await sys.fs.open(name, 'r');
  } catch (e) {
    if (!(e && e.code)) throw e;
    sys.stderr.write(`uniq: ${name}: ${reason(e)}\n`);
    return 1;
  }
  const read = file ? (max) => file.read(max) : (max) => sys.stdin.readBytes(max);
  const out = new Output();
  // The current run: its line and how many times it came.
  let current = null;
  let times = 0;
  const endRun = () => {
    if (current === null) return;
    if ((opts.repeated && times < 2) || (opts.single && times > 1)) return;
    out.add(opts.count ? `${String(times).padStart(7)} ${current}\n` : `${current}\n`);
  };
  const take = (line) => {
    if (line === current) {
      times++;
      return;
    }
    endRun();
    current = line;
    times = 1;
  };
  try {
    let pending = '';
    for (let chunk = await read(READ_MAX); chunk !== null; chunk = await read(READ_MAX)) {
      const lines = (pending + binaryText(chunk)).split('\n');
      pending = lines.pop();
      for (const line of lines) take(line);
      await out.flush(false);
    }
    if (pending !== '') take(pending);
    endRun();
    await out.flush(true);
  } catch (e) {
    if (!(e && e.code)) throw e;
    sys.stderr.write(e.writing ? `uniq: write error: ${reason(e)}\n` : `uniq: ${name}: ${reason(e)}\n`);
    return 1;
  } finally {
    if (file) await file.close();
  }
  return 0;
};

// Output gathered into pieces of about WRITE_MAX bytes; flush(true) writes
// what is left. A failed write is marked as one.
class Output {
  constructor() {
    this.piece = '';
  }
  add(text) {
    this.piece += text;
  }
  async flush(all) {
    if (this.piece.length === 0 || (!all && this.piece.length < WRITE_MAX)) return;
    const bytes = binaryBytes(this.piece);
    this.piece = '';
    try {
      await sys.stdout.write(bytes);
    } catch (e) {
      if (e && e.code) e.writing = true;
      throw e;
    }
  }
}


module.exports.description = 'report or omit repeated lines';
module.exports.options = {
  '-c, --count': 'count: the number of times before each line',
  '-d, --repeated': 'only lines that repeat',
  '-u, --unique': 'only lines that do not repeat',
};
module.exports.usage = 'uniq [-cdu] [INPUT]';
