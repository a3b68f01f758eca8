// kernel/log.js: the kernel log (printk and the ring that `dmesg` reads).
//
// Every entry carries the machine clock at the time it was logged. Until the
// console driver is up, entries only collect in the ring; init then attaches
// the console and replays them, as Linux does with its early log buffer.
'use strict';

const machine = require('./arch/machine');

const LEVELS = { emerg: 0, alert: 1, crit: 2, err: 3, warn: 4, notice: 5, info: 6, debug: 7 };
const MAX_ENTRIES = 2000;
const entries = [];
let sink = null; // (text) => void, the console once it exists
const listeners = new Set(); // (entry) => void: the structured port's attached client
let consoleLevel = LEVELS.debug; // during boot everything reaches the console

function format(entry) {
  return `[${entry.time.toFixed(6).padStart(12)}] ${entry.text}\n`;
}

function printk(level, text) {
  const entry = { time: machine.clock(), level, text: String(text) };
  entries.push(entry);
  if (entries.length > MAX_ENTRIES) entries.splice(0, entries.length - MAX_ENTRIES);
  if (sink && LEVELS[level] <= consoleLevel) sink(format(entry));
  for (const listen of listeners) listen(entry);
}

module.exports = {
  LEVELS,
  format,
  entries: () => entries.slice(),
  info: (text) => printk('info', text),
  warn: (text) => printk('warn', text),
  err: (text) => printk('err', text),
  emerg: (text) => printk('emerg', text),
  // Attach the console and replay what was logged before it existed.
  attachConsole(write) {
    sink = write;
    for (const e of entries) write(format(e));
  },
  // Every entry from now on, as {time, level, text}.
  listen(fn) {
    listeners.add(fn);
  },
  // After boot, only warnings and worse interrupt the person at the console.
  quiet() {
    consoleLevel = LEVELS.warn;
  },
};
