// apps/sh.js: the shell, the first app init starts on the console.
//
// A thin loop over /lib/shell/exec (the Shell that runs lines): print a
// prompt, read a line from the terminal (the kernel's tty already did the
// editing), run it, repeat until end of input or `exit`. An interactive
// shell reports the background jobs that ended before each prompt.
//
//   sh                       interactive: prompts "jsksh:/$ ", reads stdin
//   sh -c 'LINE' [NAME ARGS] runs one line ($0 = NAME, $1... = ARGS), no prompt;
//                            with JSKSH_SUBSHELL in its environment it is a
//                            child shell: it takes the parent's state and the
//                            tree to run from there (/lib/shell/exec)
//   sh FILE [ARGS]           runs a script file, one command at a time
//   sh --collect FILE MAX    reads its stdin into FILE.0, FILE.1, ... (pieces
//                            small enough for one kernel call), for the $(...)
//                            of the shell that started it; status 3 past MAX characters
//   sh --session             the structured port's session shell: takes its
//                            lines from the kernel (session.next) and answers
//                            the REPL client's completion questions
'use strict';

const { Shell, SUBSHELL_VARIABLE, History } = require('/lib/shell/exec');
const { HistoryFile } = require('/lib/shell/history');
const { WRITE_PIECE } = require('/lib/shell/common');
const { isComplete, inputStatus } = require('/lib/shell/parse');
// Tab completion's code (and the JavaScript completer it uses) is read at
// the first question: most shells (`jsksh run`'s, a child shell, a $(...))
// are never asked one, and compiling it was part of every shell's start.
const completeShell = (line, cursor, context) => require('/lib/complete/shell').completeShell(line, cursor, context);
const { parseOptions, usageError } = require('/lib/options');

// A shell ends when its input does (or at `exit`), whatever its background
// jobs are still doing (they live on, as the kernel's children): it exits
// rather than waiting, as an app would, for what it left pending.
module.exports = async function main(argv) {
  sys.exit(await run(argv));
};

async function run(argv) {
  // As dash: the options end at the first operand, which is -c's LINE, or the script.
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usageError('sh', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (options.session) return session();
  if (options.collect !== null) return collect(options.collect, Number(operands[0]));
  if (options.c) {
    if (operands.length === 0) return usageError('sh', module.exports, '-c requires an argument');
    const [line, name, ...args] = operands;
    const shell = new Shell({ sys, argv0: name || 'sh', args });
    const state = sys.env[SUBSHELL_VARIABLE];
    if (state !== undefined) {
      await shell.runNode(shell.adoptState(state));
      return shell.finish();
    }
    await shell.runLine(line);
    return shell.finish();
  }
  if (operands.length > 0) return runScript(operands[0], operands.slice(1));
  // Interactive when a person types at the terminal, as sh decides by isatty(0).
  const input = lineInput();
  const tty = Boolean(sys.stdin.isTTY);
  const shell = new Shell({ sys, argv0: argv[0] || 'sh', interactive: tty, watchInterrupt: tty ? input.watchInterrupt : null, readInput: input.read });
  if (tty) await keepHistory(shell); // what `history` lists; a pipe's lines are not kept, as in bash
  // At the console, Tab asks us (kernel/tty/tty.js): the completer the REPL's session uses.
  if (tty) sys.stdin.setCompleter({ complete: (line, cursor) => completeShell(line, cursor, { shell, sys, cache: new Map() }) });
  return interactive(shell, input);
}

// An interactive shell's history: from /home/.sh_history when /home is a
// disk (fs/lib/shell/history.js, HistoryFile), else empty, in memory.
async function keepHistory(shell) {
  const file = new HistoryFile(sys.fs);
  const loaded = await file.load();
  shell.history = loaded || new History();
  shell.historyFile = loaded ? file : null;
}

// A line the history kept (not a blank one, not a repeat) goes to its file too.
async function remember(shell, line) {
  const h = shell.history;
  const before = h.first + h.lines.length;
  h.add(line);
  if (shell.historyFile && h.first + h.lines.length !== before) await shell.historyFile.add(line);
}

async function runScript(path, args) {
  const shell = new Shell({ sys, argv0: path, args });
  let text;
  try {
    text = String(await sys.fs.readFile(path.startsWith('/') ? path : `${sys.cwd}/${path}`));
  } catch (e) {
    sys.stderr.write(`sh: ${path}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.code === 'EISDIR' ? 'Is a directory' : e.message}\n`);
    return 127;
  }
  // A NUL, or text that is not UTF-8, in the first lines: not a script.
  const head = text.slice(0, 4096);
  if (head.includes('\0') || (head.match(/\uFFFD/g) || []).length > 2) {
    sys.stderr.write(`sh: ${path}: cannot execute binary file\n`);
    return 126;
  }
  await shell.runLine(text);
  return shell.finish();
}

// The end of a $(...)'s pipeline: what comes in is written to `file`.N for the
// shell that waits for it. Past `max` characters it stops reading (the
// writer then gets a broken pipe) and writes nothing: status 3.
async function collect(file, max) {
  const chunks = [];
  let size = 0;
  for (;;) {
    const chunk = await sys.stdin.read();
    if (chunk === null) break;
    size += chunk.length;
    if (size > max) return 3;
    chunks.push(chunk);
  }
  const text = chunks.join('');
  try {
    for (let k = 0; k === 0 || k * WRITE_PIECE < text.length; k++) {
      await sys.fs.writeFile(`${file}.${k}`, text.slice(k * WRITE_PIECE, (k + 1) * WRITE_PIECE));
    }
  } catch (e) {
    sys.stderr.write(`sh: command substitution: ${file}: ${e.message}\n`);
    return 1;
  }
  return 0;
}

// Input may come as whole lines (the terminal) or in any chunks (a pipe), so
// we split it into lines ourselves. A line that leaves a quote open or ends
// in '|' is kept, and the next line is read with the "> " prompt.
async function interactive(shell, input) {
  let pending = ''; // input read but not yet split into lines
  let command = ''; // complete lines of a command that continues
  let prompted = false;
  for (;;) {
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      command += pending.slice(0, nl + 1);
      pending = pending.slice(nl + 1);
      if (!isComplete(command)) continue;
      if (shell.history) await remember(shell, command);
      await shell.runLine(command);
      command = '';
      if (shell.exiting) return shell.finish();
    }
    // No prompt in the middle of a line (after Ctrl-D on a partial line the
    // text typed so far waits for the rest, as in sh).
    if (pending === '') {
      if (command === '') await shell.reportFinishedJobs(); // "[1]+  Done  sleep 1", as bash before PS1
      const prompt = shell.prompt(command !== '');
      if (prompt) sys.stdout.write(prompt);
      prompted = prompted || prompt !== '';
    }
    const reading = input.read();
    if (shell.interactive) warmUpWhileWaiting(reading);
    const chunk = await reading;
    if (chunk === null) break;
    if (chunk === '') {
      // An empty read (never a real line: those end in '\n') means Ctrl-C at
      // the prompt: drop a half-typed command, as sh does, and prompt again.
      pending = command = '';
      shell.status = 130;
      continue;
    }
    pending += chunk;
  }
  // End of input: whatever is left runs (an open quote is reported now).
  const rest = command + pending;
  if (rest.trim() !== '') await shell.runLine(rest);
  if (prompted) sys.stdout.write('\n'); // leave the cursor below the last prompt
  return shell.finish();
}

// The input of the prompt loop, one read of stdin at a time. While the
// shell itself waits (the wait builtin), watchInterrupt() reads on, looking
// for Ctrl-C, which the kernel's tty delivers to the shell as an empty read;
// lines typed meanwhile are kept for the loop, as a terminal keeps type-ahead.
function lineInput() {
  const chunks = []; // read, not yet taken by the loop (null: end of input)
  const watchers = new Set(); // Ctrl-C callbacks of a waiting `wait`
  let reading = false;
  let arrived = null; // the loop waiting for a chunk
  const received = (chunk) => {
    reading = false;
    if (chunk === '' && watchers.size) {
      for (const interrupted of watchers) interrupted();
      return;
    }
    chunks.push(chunk);
    if (arrived) arrived();
    if (watchers.size && chunk !== null) readOnce(); // keep listening for Ctrl-C
  };
  const readOnce = () => {
    if (reading) return;
    reading = true;
    sys.stdin.read().then(received, () => received(null));
  };
  return {
    async read() {
      while (!chunks.length) {
        await new Promise((resolve) => {
          arrived = resolve;
          readOnce();
        });
        arrived = null;
      }
      return chunks.shift();
    },
    watchInterrupt() {
      let interrupted;
      const promise = new Promise((resolve) => (interrupted = resolve));
      const early = chunks.indexOf(''); // Ctrl-C already typed during this line
      if (early !== -1) {
        chunks.splice(early, 1);
        interrupted();
      } else {
        watchers.add(interrupted);
        readOnce();
      }
      return { interrupted: promise, stop: () => watchers.delete(interrupted) };
    },
  };
}

// A shell that waits for a person's line warms its interpreter meanwhile
// (/lib/shell/warm-up says why and how), once it has waited IDLE_MS: that
// file is read only then, so a shell that gets its line at once (`jsksh run`)
// never reads it. The warm-up stops when the line comes.
const IDLE_MS = 1000;
let warm = false;

function warmUpWhileWaiting(waiting) {
  if (warm || !sys.sleep) return; // (the tests' fake kernels have no clock)
  let arrived = false;
  const stop = () => {
    arrived = true;
  };
  waiting.then(stop, stop);
  sys.sleep(IDLE_MS).then(async () => {
    if (arrived || warm) return;
    warm = await require('/lib/shell/warm-up').warmUp(() => !arrived, sys);
  });
}

// The session (kernel/services/session.js): each session.next reports how
// the last line ended and waits for the next. Stdin and stdout are the run's.
// The session is interactive when its client shows it on a terminal (the
// REPL): then it reports background jobs as they end, before and after each
// line. Ctrl-C for the run reaches a waiting `wait` through session.interrupted,
// which settles true on an interrupt and false when the run ends.
async function session() {
  const never = new Promise(() => {});
  const watchInterrupt = () => ({
    interrupted: sys.call('session.interrupted').then((yes) => (yes ? undefined : never)),
    stop() {},
  });
  const shell = new Shell({ sys, argv0: 'sh', watchInterrupt });
  shell.forgiving = true; // a syntax error in one run does not end the session
  const cache = new Map();
  // The completer first: a client asks whether its line is complete (a
  // batch joining continuation lines) as soon as the session exists, and
  // reading the history from the disk takes a kernel call or two.
  sys.stdin.setCompleter({
    complete: (line, cursor) => completeShell(line, cursor, { shell, sys, cache }),
    isComplete: (code) => ({ status: inputStatus(code), indent: '' }),
  });
  await keepHistory(shell); // the lines typed in the REPL (not those of `jsksh run`)
  for (;;) {
    const next = sys.call('session.next', { status: shell.status, cwd: shell.cwd });
    warmUpWhileWaiting(next);
    const { line, interactive } = await next;
    shell.interactive = interactive === true;
    if (shell.interactive) await remember(shell, line);
    await shell.reportFinishedJobs(); // those that ended between lines
    await shell.runLine(line);
    await shell.reportFinishedJobs();
    if (shell.exiting) return shell.finish();
  }
}

module.exports.description = 'the shell: run command lines and scripts (pipes, redirects, if, loops, functions, $(...), jobs with &)';
module.exports.options = {
  '-c': 'run LINE, the first operand (with $0 = NAME, $1... = ARGS), then exit',
  '--session': "be the REPL session's shell (the kernel starts it so)",
  '--collect=FILE': 'collect standard input into FILE.0, FILE.1, ..., at most MAX characters: a $(...) (the shell starts it so)',
};
module.exports.usage = 'sh\nsh -c LINE [NAME [ARGS...]]\nsh FILE [ARGS...]\nsh --session\nsh --collect FILE MAX';
