// fs/lib/shell/warm-up.js (/lib/shell/warm-up in the image): what a shell
// that waits for a person does meanwhile. It runs loops of builtins in a
// scratch shell, so that V8 has compiled the interpreter before the
// person's first loop.
//
// Why: V8 runs a function in its bytecode interpreter until it has been
// called some hundreds of times, then compiles it (Maglev), and after some
// thousands compiles it again (TurboFan). Each compilation happens on the
// one thread that runs the shell (the machine runs V8 --single-threaded),
// so the first `i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done` of a
// shell pays for all of it: about 28 ms of CPU, 26 the second time, 15 the
// third, 6 from then on (docs/performance.md, issue 12). Done while the
// shell waits for a line, the same work costs nobody anything.
//
// Who: apps/sh.js, for the session shell (the REPL's and `jsksh run`'s) and
// for the console's prompt loop at a terminal, once they have waited a
// second for a line (and only then is this file read); never for `sh -c`, a
// script, a pipe or a child shell, which have their text at once. The work
// goes in slices of a few milliseconds with a pause for the kernel between
// them (sys.sleep(0): the kernel's messages come in), and it stops at the
// first pause after the line arrived: a line waits at most one slice. What
// is left is done at the next wait; once done, never again. In all, about
// 100 ms of CPU, spread over half a second.
//
// What: the lines below, each parsed anew for its slice (a new tree, as a
// person's line is), run by a scratch Shell: variables of its own, output
// that goes nowhere, no program.
'use strict';

const { Shell } = require('/lib/shell/exec');
const { parse } = require('/lib/shell/parse');
const { isBuiltin } = require('/lib/shell/builtins');

// Loop turns in all: about what V8 needs to have compiled, twice, every
// function a loop of builtins calls (measured: after 15,000 the person's
// first loop still has a few compilations to wait for).
const TURNS = 30000;
// The shapes of loop a person types first: a counter, and words through
// case, if and test, with output. Builtins only (a program would need the
// kernel): echo where it is one, else printf.
const SAY = isBuiltin('echo') ? 'echo $n' : "printf '%s\\n' $n";
const SLICES = [
  { line: 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); done', turns: 300 },
  { line: `n=0; for w in a b c d e f; do case $w in a|b) n=$((n + 2)) ;; *) if [ "$w" = f ]; then ${SAY}; else n=$((n * 3 % 7)); fi ;; esac; done`, turns: 6 },
];

let done = 0; // turns run so far, in all the waits of this shell
let scratch = null;

// Runs slices while stillWaiting() says the shell has no line yet, until the
// interpreter is warm: true once it is. The scratch shell has the shell's
// own `sys`: V8 compiles property reads for the shapes of objects it has
// seen, and a sys of another shape would send the person's first loop back
// to the interpreter. The lines use builtins only, so the one kernel call
// they make is a loop's pause (sys.sleep) every few thousand turns.
async function warmUp(stillWaiting, sys) {
  if (scratch === null) {
    scratch = new Shell({ sys });
    scratch.fds = ['null', 'null', 'null']; // what it writes goes nowhere (as >/dev/null 2>&1)
  }
  for (let k = 0; done < TURNS && stillWaiting(); k++) {
    const { line, turns } = SLICES[k % SLICES.length];
    try {
      await scratch.runList(parse(line));
    } catch (e) {
      done = TURNS; // (it cannot fail; if it did, a second try would not be worth it)
      break;
    }
    done += turns;
    await sys.sleep(0);
  }
  return done >= TURNS;
}

module.exports = { warmUp, TURNS };
