// apps/ps.js: list processes (each one an app isolate) with their state, CPU
// time, memory and messages, from sys.proc.list() (kernel/proc/process-table.js).
//
//   ps [-l] [PID...]      -l (--long) adds the inbox and the limits
//
// HEAP is the V8 heap in use and HLIM its limit; EXT is ArrayBuffer memory,
// which V8 keeps outside the heap; MSGIN and MSGOUT count the messages the
// isolate has received and sent (to the kernel or to other apps). Like procps,
// `ps PID...` with none of the PIDs alive prints only the header, status 1.
'use strict';

const { formatSize } = require('/lib/columns');

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('ps', module.exports, parsed.error);
  const long = parsed.options.long;
  const pids = new Set();
  for (const arg of parsed.operands) {
    if (!/^\d+$/.test(arg)) return usageError('ps', module.exports, `invalid process id '${arg}'`);
    pids.add(Number(arg));
  }

  let procs = await sys.proc.list();
  if (pids.size > 0) procs = procs.filter((p) => pids.has(p.pid));

  const columns = ['PID', 'PPID', 'STAT', 'START', 'TIME', 'HEAP', 'HLIM', 'EXT', 'MSGIN', 'MSGOUT'];
  if (long) columns.push('QUEUE', 'CPULIM', 'EXTLIM');
  columns.push('COMMAND');
  let rows = procs.map((p) => {
    const row = [
      p.pid,
      p.ppid,
      p.state,
      typeof p.start === 'number' ? `${p.start.toFixed(1)}s` : '-',
      Number(p.cpu || 0).toFixed(2),
      size(p.heap),
      size(p.heap_limit),
      size(p.external),
      count(p.in),
      count(p.out),
    ];
    if (long) row.push(count(p.queue), p.cpu_limit ? p.cpu_limit : '-', size(p.external_limit || null));
    row.push((p.argv && p.argv.length ? p.argv : [p.name]).join(' '));
    return row;
  });

  // START (seconds since boot) is the first to go when a terminal is too narrow.
  if (sys.stdout.isTTY && width(columns, rows) > (sys.stdout.columns || 80)) {
    const start = columns.indexOf('START');
    columns.splice(start, 1);
    rows = rows.map((r) => r.filter((_, i) => i !== start));
  }
  sys.table(columns, rows);
  return pids.size > 0 && procs.length === 0 ? 1 : 0;
};

// 1.5MiB, 640KiB; '-' when the kernel does not know (a heap not sampled yet).
const size = (n) => (typeof n === 'number' ? formatSize(n, 'iB') : '-');
const count = (n) => (typeof n === 'number' ? n : 0);

// The width of the widest line, as the kernel lays tables out (kernel/tty/table.js):
// each column as wide as its widest cell, two spaces between columns.
function width(columns, rows) {
  const cells = [columns, ...rows].map((r) => r.map((c) => String(c).length));
  return columns.reduce((sum, _, i) => sum + Math.max(...cells.map((r) => r[i])), 0) + 2 * (columns.length - 1);
}

module.exports.description = 'list processes: state, CPU time, memory, messages';
module.exports.options = { '-l, --long': 'long: add the inbox queue, CPU limit and ArrayBuffer limit' };
module.exports.usage = 'ps [-l] [PID...]';
