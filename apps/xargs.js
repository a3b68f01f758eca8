// apps/xargs.js: run a command (echo if none is given) with arguments read
// from standard input, as GNU xargs does: words are separated by blanks and
// newlines, quotes ('...', "...") and a backslash keep blanks inside one. -n N
// runs the command with at most N of them each time; -0 takes words ended by
// NUL bytes, as they come; -r runs nothing when there are none (GNU runs the
// command once); -t prints each command line on stderr first.
//
// Each command is spawned (sys.proc.spawn, standard input from /dev/null) and
// waited for before the next, as it fills up while input arrives. The exit
// status follows GNU: 0 if every command exited 0; 123 if one exited 1-128;
// 124 if one exited 255 and 125 if one was killed by a signal (status 129-254
// here, 128 + the signal's number), both ending xargs at once; 126 if a
// command could not run, 127 if it was not found; 1 for xargs' own errors.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const STATUS = { SOME_FAILED: 123, EXITED_255: 124, SIGNALLED: 125, CANNOT_RUN: 126, NOT_FOUND: 127 };
const MAX_CHARS = 128 * 1024; // the most argument text one command gets without -n (GNU's -s default)

module.exports = async function main(argv) {
  // Options come before the command; the first other word starts it.
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usage(parsed.error);
  const { options, operands } = parsed;
  const opts = { max: Infinity, nul: options.null, skipEmpty: options['no-run-if-empty'], trace: options.verbose };
  const value = options['max-args'];
  if (value !== null) {
    if (!/^\d+$/.test(value)) return usageError('xargs', module.exports, `invalid number "${value}" for -n option`, 1);
    if (Number(value) < 1) {
      sys.stderr.write(`xargs: value ${value} for -n option should be >= 1\n`);
      return 1;
    }
    opts.max = Number(value);
  }
  const command = operands.length > 0 ? operands : ['echo'];

  const runner = new Runner(command, opts);
  const words = new Words(opts.nul);
  try {
    for (let text = await sys.stdin.read(); text !== null; text = await sys.stdin.read()) {
      for (const word of words.feed(text)) await runner.add(word);
      if (runner.stopped !== null) return runner.stopped;
    }
    for (const word of words.end()) await runner.add(word);
  } catch (e) {
    if (!e.xargs) throw e;
    sys.stderr.write(`xargs: ${e.message}\n`);
    return 1;
  }
  if (runner.stopped !== null) return runner.stopped;
  await runner.finish();
  return runner.stopped ?? runner.status;
};

// Gathers words into command lines and runs them, one at a time.
class Runner {
  constructor(command, opts) {
    this.command = command;
    this.opts = opts;
    this.batch = [];
    this.chars = 0;
    this.runs = 0;
    this.status = 0; // 0, or 123 once a command has failed
    this.stopped = null; // the status xargs must end with now
  }
  async add(word) {
    if (this.stopped !== null) return;
    if (this.batch.length > 0 && this.chars + word.length + 1 > MAX_CHARS) await this.run();
    this.batch.push(word);
    this.chars += word.length + 1;
    if (this.batch.length >= this.opts.max) await this.run();
  }
  async finish() {
    if (this.batch.length > 0 || (this.runs === 0 && !this.opts.skipEmpty)) await this.run();
  }
  async run() {
    if (this.stopped !== null) return;
    const argv = [...this.command, ...this.batch];
    const name = this.command[0];
    this.batch = [];
    this.chars = 0;
    this.runs++;
    if (this.opts.trace) await sys.stderr.write(argv.join(' ') + '\n');
    let pid;
    try {
      pid = await sys.proc.spawn(argv, { stdin: 'null' });
    } catch (e) {
      const missing = e && e.code === 'ENOENT';
      sys.stderr.write(`xargs: ${name}: ${missing ? 'No such file or directory' : reason(e)}\n`);
      this.stopped = missing ? STATUS.NOT_FOUND : STATUS.CANNOT_RUN;
      return;
    }
    const status = await sys.proc.wait(pid);
    if (status === 255) {
      sys.stderr.write(`xargs: ${name}: exited with status 255; aborting\n`);
      this.stopped = STATUS.EXITED_255;
    } else if (status > 128) {
      sys.stderr.write(`xargs: ${name}: terminated by signal ${status - 128}\n`);
      this.stopped = STATUS.SIGNALLED;
    } else if (status !== 0) {
      this.status = STATUS.SOME_FAILED;
    }
  }
}

// Splits input, arriving in any pieces, into words. feed() returns the words
// a piece completes; end() the last one, or throws for an open quote.
class Words {
  constructor(nul) {
    this.nul = nul;
    this.word = null; // the word being read ('' once a quote has opened one)
    this.quote = null;
    this.escaped = false;
  }
  feed(text) {
    const done = [];
    for (const ch of text) {
      if (this.nul) {
        if (ch === '\0') {
          done.push(this.word ?? '');
          this.word = null;
        } else this.word = (this.word ?? '') + ch;
        continue;
      }
      if (this.escaped) {
        this.word += ch;
        this.escaped = false;
      } else if (this.quote) {
        if (ch === this.quote) this.quote = null;
        else if (ch === '\n') throw xargsError(this.unmatched());
        else this.word += ch;
      } else if (ch === '\\') {
        this.word = this.word ?? '';
        this.escaped = true;
      } else if (ch === '"' || ch === "'") {
        this.word = this.word ?? '';
        this.quote = ch;
      } else if (ch === ' ' || ch === '\t' || ch === '\n') {
        if (this.word !== null) done.push(this.word);
        this.word = null;
      } else {
        this.word = (this.word ?? '') + ch;
      }
    }
    return done;
  }
  end() {
    if (this.quote) throw xargsError(this.unmatched());
    const last = this.word;
    this.word = null;
    return last === null ? [] : [last];
  }
  unmatched() {
    return `unmatched ${this.quote === '"' ? 'double' : 'single'} quote; by default quotes are special to xargs unless you use the -0 option`;
  }
}

const xargsError = (message) => Object.assign(new Error(message), { xargs: true });

// 'Resource temporarily unavailable' from 'spawn: Resource temporarily unavailable'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

const usage = (problem) => usageError('xargs', module.exports, problem);

module.exports.description = 'run a command with arguments read from standard input';
module.exports.options = {
  '-n, --max-args=N': 'at most N arguments a command',
  '-0, --null': 'words end with a NUL byte; quotes and blanks are plain',
  '-r, --no-run-if-empty': 'run nothing if there are no words',
  '-t, --verbose': 'print each command line on stderr first',
};
module.exports.usage = 'xargs [-0rt] [-n N] [COMMAND [ARGS...]]';
