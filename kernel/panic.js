// kernel/panic.js: the kernel's last words.
//
// A fault inside the kernel (an exception escaping an interrupt handler or a
// kernel call) is not recoverable: the state it left is unknown. Print the
// error and its stack on the console, then power off with a non-zero status
// instead of hanging, as Linux does with panic=-1.
'use strict';

const machine = require('./arch/machine');
const log = require('./log');

let panicking = false;

module.exports = function panic(error) {
  if (panicking) return;
  panicking = true;
  const stack = error && error.stack ? String(error.stack) : String(error);
  try {
    log.emerg(`Kernel panic - not syncing: ${error && error.message ? error.message : stack.split('\n')[0]}`);
    for (const line of stack.split('\n').slice(1)) log.emerg(line);
    log.emerg('---[ end Kernel panic ]---');
  } finally {
    machine.power(false, 1);
  }
};
