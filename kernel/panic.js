// kernel/panic.js: the kernel's last words.
//
// A fault inside the kernel (an exception escaping an interrupt handler or a
// kernel call) is not recoverable: the state it left is unknown. Print the
// error and its stack on the console, then power off with a non-zero status
// instead of hanging, as Linux does with panic=-1. The same text goes to the
// machine with the POWER trap (docs/abi.md §1), so the host can print it
// too: nobody may be watching the console.
'use strict';

const machine = require('./arch/machine');
const log = require('./log');

let panicking = false;

module.exports = function panic(error) {
  if (panicking) return;
  panicking = true;
  let message = 'unknown error';
  let frames = [];
  try {
    const stack = error && error.stack ? String(error.stack) : String(error);
    const lines = stack.split('\n');
    message = error && error.message ? String(error.message) : lines[0];
    frames = lines.slice(message.split('\n').length); // V8's stack starts with the message
    log.emerg(`Kernel panic - not syncing: ${message}`);
    for (const line of frames) log.emerg(line);
    log.emerg('---[ end Kernel panic ]---');
  } finally {
    // The text's layout: the message, then one line per stack frame.
    machine.power(false, 1, [message, ...frames].join('\n'));
  }
};
