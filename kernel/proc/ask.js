// kernel/proc/ask.js: the kernel asks a program a question and waits for its answer.
//
// A program that reads input can answer questions about it while it waits
// (sys.stdin.setCompleter, kernel/app/sys.js): "complete this line", "is this
// input finished". The kernel sends {t: 'ask', ref, kind, args} over the
// program's IPC channel; the program answers one-way with the ask.reply call
// {ref, value}. Two askers use this: the structured port's session
// (kernel/services/session.js, for the REPL client) and the console's tty
// (kernel/tty/tty.js, for Tab). Refs are unique across both, so there is one
// table of questions in flight and one ask.reply handler.
//
// A question not answered in time resolves null, as does one whose program is
// gone: the asker never waits longer than it said. An answer from another
// process than the one asked, or for a ref no longer waiting, is ignored.
'use strict';

class Asks {
  // send(pid, text): one IPC message to the program. timers: {after(ms, fn), cancel(id)}.
  constructor({ send, timers }) {
    this.send = send;
    this.timers = timers;
    this.waiting = new Map(); // ref -> {pid, done}
    this.nextRef = 1;
  }

  // Asks process `proc` (`{pid, state}`); resolves with its answer, or null.
  ask(proc, kind, args, timeoutMs) {
    if (!proc || proc.state === 'Z') return Promise.resolve(null);
    const ref = this.nextRef++;
    return new Promise((resolve) => {
      const done = (value) => {
        if (!this.waiting.delete(ref)) return;
        this.timers.cancel(timer);
        resolve(value === undefined ? null : value);
      };
      const timer = this.timers.after(timeoutMs, () => done(null));
      this.waiting.set(ref, { pid: proc.pid, done });
      try {
        this.send(proc.pid, JSON.stringify({ t: 'ask', ref, kind, args }));
      } catch (e) {
        done(null); // the program's channel is gone
      }
    });
  }

  // ask.reply from process `proc` (one-way: nothing is returned).
  answer(proc, { ref, value } = {}) {
    const waiting = this.waiting.get(ref);
    if (waiting && waiting.pid === proc.pid) waiting.done(value);
  }

  pending() {
    return this.waiting.size;
  }
}

// The kernel's one table, over the machine's IPC and the kernel timers. Made
// on first use, so unit tests can load this file without a machine.
let shared = null;
function sharedAsks() {
  if (!shared) {
    const machine = require('../arch/machine');
    const timers = require('../time/timers');
    shared = new Asks({ send: (pid, text) => machine.ipcSend(pid, text), timers });
  }
  return shared;
}

module.exports = { Asks, sharedAsks };
