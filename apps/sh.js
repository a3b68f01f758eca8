// apps/sh.js: the shell, the first app init starts on the console.
//
// A thin loop over /lib/shell/exec (the Shell that runs lines): print a
// prompt, read a line from the terminal (the kernel's tty already did the
// editing), run it, repeat until end of input or `exit`.
//
//   sh                       interactive: prompts "jsksh:/$ ", reads stdin
//   sh -c 'LINE' [NAME ARGS] runs one line ($0 = NAME, $1... = ARGS), no prompt
//   sh FILE [ARGS]           runs a script file
//   sh --session             the structured port's session shell: takes its
//                            lines from the kernel (session.next) and answers
//                            the REPL client's completion questions
'use strict';

const { Shell } = require('/lib/shell/exec');
const { isComplete, inputStatus } = require('/lib/shell/parse');
const { completeShell } = require('/lib/complete/shell');

module.exports = async function main(argv) {
  if (argv[1] === '-c') {
    if (argv[2] === undefined) {
      sys.stderr.write('sh: -c: option requires an argument\n');
      return 2;
    }
    const shell = new Shell({ sys, argv0: argv[3] || 'sh', args: argv.slice(4) });
    return finalStatus(shell, await shell.runLine(argv[2]));
  }
  if (argv[1] === '--session') return session(new Shell({ sys, argv0: 'sh' }));
  if (argv[1] !== undefined) return runScript(argv[1], argv.slice(2));
  return interactive(new Shell({ sys, argv0: argv[0] || 'sh' }));
};

function finalStatus(shell, status) {
  return shell.exiting ? shell.exitCode : status;
}

async function runScript(path, args) {
  const shell = new Shell({ sys, argv0: path, args });
  let text;
  try {
    text = await sys.fs.readFile(path.startsWith('/') ? path : `${sys.cwd}/${path}`);
  } catch (e) {
    sys.stderr.write(`sh: ${path}: ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}\n`);
    return 127;
  }
  return finalStatus(shell, await shell.runLine(text));
}

// Input may come as whole lines (the terminal) or in any chunks (a pipe), so
// we split it into lines ourselves. A line that leaves a quote open or ends
// in '|' is kept, and the next line is read with the "> " prompt.
async function interactive(shell) {
  let pending = ''; // input read but not yet split into lines
  let command = ''; // complete lines of a command that continues
  let prompted = false;
  for (;;) {
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      command += pending.slice(0, nl + 1);
      pending = pending.slice(nl + 1);
      if (!isComplete(command)) continue;
      await shell.runLine(command);
      command = '';
      if (shell.exiting) return shell.exitCode;
    }
    // No prompt in the middle of a line (after Ctrl-D on a partial line the
    // text typed so far waits for the rest, as in sh).
    if (pending === '') {
      const prompt = shell.prompt(command !== '');
      if (prompt) sys.stdout.write(prompt);
      prompted = prompted || prompt !== '';
    }
    const chunk = await sys.stdin.read();
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
  return finalStatus(shell, shell.status);
}

// The session (kernel/services/session.js): each session.next reports how
// the last line ended and waits for the next. Stdin and stdout are the run's.
async function session(shell) {
  const cache = new Map();
  sys.stdin.setCompleter({
    complete: (line, cursor) => completeShell(line, cursor, { shell, sys, cache }),
    isComplete: (code) => ({ status: inputStatus(code), indent: '' }),
  });
  for (;;) {
    const { line } = await sys.call('session.next', { status: shell.status, cwd: shell.cwd });
    await shell.runLine(line);
    if (shell.exiting) return shell.exitCode;
  }
}

module.exports.description = 'the shell: run command lines (pipes, redirects, && and ||)';
