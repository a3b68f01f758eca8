// apps/top.js: a live view of the isolates, like procps top: a header (uptime,
// isolates, their memory against the machine's budget, messages per second),
// then one row per process, busiest first.
//
//   top [-b] [-d SECONDS] [-n FRAMES]
//
// %CPU, MSGIN/s and MSGOUT/s are rates over the last interval: the difference
// between two samples of sys.proc.list() (CPU seconds, message counts) over
// the machine time between them. Before the first frame top samples once and
// waits a moment (FIRST_INTERVAL), so even the first frame shows recent
// rates; a process born since the last sample shows its average since it
// started.
//
// At a terminal that can go raw (the console, or the REPL client, which then
// leaves its prompt: sys.stdin.setMode, docs/apps.md "The terminal") each
// frame is drawn over the last one (ESC [H home, ESC [2J or ESC [K / ESC [J
// erase), cut to the window's size, and the key `q` quits at once. Elsewhere
// (-b, a pipe, `jsksh run`) frames are plain text, one after another.
// Ctrl-C stops top at any time, status 130; the kernel gives the terminal
// its line editing back however top ends.
'use strict';

const { formatUptime, pad2 } = require('/lib/uptime');

const { formatSize } = require('/lib/columns');
const { parseOptions, usageError } = require('/lib/options');

const CLEAR = '\x1b[H\x1b[2J'; // cursor home, erase the screen: the first frame
const HOME = '\x1b[H';
const ERASE_LINE = '\x1b[K'; // to the end of the line
const ERASE_BELOW = '\x1b[J'; // from the cursor to the end of the screen
const FIRST_INTERVAL = 0.2; // seconds between the first sample and the first frame, at most

const COLUMNS = [
  // [header, right-aligned]
  ['PID', true],
  ['S', false],
  ['%CPU', true],
  ['TIME', true],
  ['MSGIN/s', true],
  ['MSGOUT/s', true],
  ['HEAP', true],
  ['EXT', true],
  ['COMMAND', false],
];

module.exports = async function main(argv) {
  const opts = topOptions(argv.slice(1));
  if (opts.error) return usageError('top', module.exports, opts.error);
  // A REPL client that cannot leave its prompt (it prints stdout above it)
  // refuses raw keys: cursor addressing there would fight the prompt, so it
  // gets plain frames. A terminal with stdin elsewhere is drawn on, unread.
  const keys = !opts.batch && sys.stdout.isTTY && (await rawKeys());
  const screen = keys || (!opts.batch && sys.stdout.isTTY && sys.stdin.kind !== 'channel');
  const quit = keys ? quitOnQ() : new Promise(() => {});
  let previous = await takeSample();
  const budget = await memoryBudget(previous.info);
  for (let frame = 0; opts.frames === null || frame < opts.frames; frame++) {
    const wait = frame === 0 ? Math.min(opts.delay, FIRST_INTERVAL) : opts.delay;
    const stop = await Promise.race([sys.sleep(wait * 1000).then(() => false), quit]);
    if (stop) break;
    const sample = await takeSample();
    const lines = render(sample, previous, budget);
    previous = sample;
    if (screen) {
      const { columns, rows } = await windowSize();
      const shown = lines.slice(0, Math.max(1, rows - 1)).map((l) => ERASE_LINE + cut(l, columns) + '\n');
      sys.stdout.write((frame === 0 ? CLEAR : HOME) + shown.join('') + ERASE_BELOW);
    } else {
      sys.stdout.write((frame > 0 ? '\n' : '') + lines.join('\n') + '\n');
    }
  }
  if (keys) await sys.stdin.setMode({}); // line editing back (the kernel would do it at exit too)
  return 0;
};

// Raw keys (Ctrl-C still interrupts): true if the terminal took the mode.
async function rawKeys() {
  if (!sys.stdin.isTTY) return false;
  try {
    await sys.stdin.setMode({ raw: true });
    return true;
  } catch (e) {
    return false;
  }
}

// -b, -d SECONDS, -n FRAMES (/lib/options: letters may be grouped and
// values attached, -bn2), checked: {batch, delay, frames} or {error}.
function topOptions(args) {
  const parsed = parseOptions(args, module.exports);
  if (parsed.error) return parsed;
  const { options, operands } = parsed;
  if (operands.length > 0) return { error: `unexpected argument '${operands[0]}'` };
  const opts = { batch: options.batch, delay: 1, frames: null };
  if (options.delay !== null) {
    opts.delay = /^\d+(\.\d*)?$|^\.\d+$/.test(options.delay) ? Number(options.delay) : NaN;
    if (Number.isNaN(opts.delay)) return { error: `invalid delay '${options.delay}'` };
  }
  if (options.iterations !== null) {
    opts.frames = /^\d+$/.test(options.iterations) && Number(options.iterations) > 0 ? Number(options.iterations) : NaN;
    if (Number.isNaN(opts.frames)) return { error: `invalid number of frames '${options.iterations}'` };
  }
  return opts;
}

// One sample of the machine: its info and the process list, at `time`
// (the machine's clock, seconds since boot, the clock `start` is on).
async function takeSample() {
  const [info, procs] = await Promise.all([sys.kernel.info(), sys.proc.list()]);
  return { time: Number(info.uptime) || 0, info, procs };
}

// The machine's memory budget for all apps (heap + ArrayBuffers): in
// sys.kernel.info(), or else among the limits this process runs under.
// null if the kernel says neither.
async function memoryBudget(info) {
  if (info.memory && typeof info.memory.budget === 'number') return info.memory.budget;
  try {
    const limits = await (sys.proc.limits ? sys.proc.limits() : sys.call('proc.limits', {}));
    return limits && typeof limits.memory === 'number' ? limits.memory : null;
  } catch (e) {
    return null;
  }
}

async function windowSize() {
  try {
    const size = await sys.tty.size();
    if (size && size.columns > 0 && size.rows > 0) return size;
  } catch (e) {
    /* the size given at start */
  }
  return { columns: sys.stdout.columns || 80, rows: sys.stdout.rows || 24 };
}

// Resolves true when the key q (or end of input) is read from the terminal;
// never, if the terminal cannot be read.
async function quitOnQ() {
  try {
    for (;;) {
      const keys = await sys.stdin.read();
      if (keys === null || keys.includes('q')) return true;
    }
  } catch (e) {
    return new Promise(() => {});
  }
}

// The frame as lines: the header, a blank line, the column names, the rows.
function render(sample, previous, budget) {
  const { time, info, procs } = sample;
  const before = new Map(previous.procs.map((p) => [p.pid, p]));
  const rows = procs.map((p) => rates(p, before.get(p.pid), time - previous.time, time));
  rows.sort((a, b) => b.cpuRate - a.cpuRate || a.p.pid - b.p.pid);

  const states = { R: 0, S: 0, Z: 0 };
  for (const p of procs) states[p.state] = (states[p.state] || 0) + 1;
  const memory = info.memory || {};
  const heap = memory.heap ?? procs.reduce((n, p) => n + (p.heap || 0), 0);
  const external = memory.external ?? procs.reduce((n, p) => n + (p.external || 0), 0);
  const msgIn = rows.reduce((n, r) => n + r.inRate, 0);
  const msgOut = rows.reduce((n, r) => n + r.outRate, 0);
  const alive = procs.length - states.Z;

  const header = [
    `top - ${clock()} up ${formatUptime(time)},  ${alive} isolate${alive === 1 ? '' : 's'}: ${states.R} running, ${states.S} sleeping, ${states.Z} exited`,
    `Mem: ${size(heap + external)} used${budget ? ` of ${size(budget)}` : ''}: heap ${size(heap)}, ArrayBuffers ${size(external)}` +
      (typeof memory.pool === 'number' ? `, ${memory.pool} warm in pool` : ''),
    `Msg: ${rate(msgIn)} in/s, ${rate(msgOut)} out/s`,
    '',
  ];
  const cells = rows.map(({ p, cpuRate, inRate, outRate }) => [
    p.pid,
    p.state,
    (cpuRate * 100).toFixed(1),
    Number(p.cpu || 0).toFixed(2),
    rate(inRate),
    rate(outRate),
    size(p.heap),
    size(p.external),
    (p.argv && p.argv.length ? p.argv : [p.name]).join(' '),
  ]);
  return [...header, ...align(COLUMNS, cells)];
}

// A process's CPU share and message rates: since the last sample, `dt`
// seconds ago, or since it started if it was not in that sample.
function rates(p, old, dt, now) {
  const [cpu0, in0, out0, span] = old && dt > 0 ? [old.cpu || 0, old.in || 0, old.out || 0, dt] : [0, 0, 0, now - (p.start || 0)];
  const per = (a, b) => (span > 0 ? Math.max(0, (a - b) / span) : 0);
  return { p, cpuRate: per(p.cpu || 0, cpu0), inRate: per(p.in || 0, in0), outRate: per(p.out || 0, out0) };
}

// Columns as wide as their widest cell, two spaces apart; the last one unpadded.
function align(columns, rows) {
  const text = [columns.map(([name]) => name), ...rows.map((r) => r.map(String))];
  const widths = columns.map((_, i) => Math.max(...text.map((r) => r[i].length)));
  const last = columns.length - 1;
  return text.map((r) =>
    r.map((cell, i) => (i === last ? cell : columns[i][1] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd(),
  );
}

// A line no wider than the window (code points, as the terminal counts them).
function cut(line, columns) {
  const chars = Array.from(line);
  return chars.length > columns ? chars.slice(0, columns).join('') : line;
}

const size = (n) => (typeof n === 'number' ? formatSize(n, 'iB') : '-');
const rate = (r) => (r >= 100 ? String(Math.round(r)) : r.toFixed(1));

function clock() {
  const now = new Date();
  return [now.getHours(), now.getMinutes(), now.getSeconds()].map(pad2).join(':');
}


module.exports.description = 'show the busiest isolates, refreshed';
module.exports.options = {
  '-b, --batch': 'batch mode: plain frames one after another',
  '-d, --delay=SECONDS': 'seconds between frames (default 1)',
  '-n, --iterations=FRAMES': 'frames to show, then exit (default: until q or Ctrl-C)',
};
module.exports.usage = 'top [-b] [-d SECONDS] [-n FRAMES]';
