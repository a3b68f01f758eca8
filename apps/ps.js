// apps/ps.js: list processes (each one an app isolate) with their state,
// CPU time and memory: heap used, heap limit, and external memory
// (ArrayBuffers, which V8 does not count against the heap).
'use strict';

const { formatSize } = require('/lib/columns');

module.exports = async function main() {
  const procs = await sys.proc.list();
  const rows = procs.map((p) => [
    p.pid,
    p.ppid,
    p.state,
    typeof p.start === 'number' ? `${p.start.toFixed(1)}s` : '-',
    Number(p.cpu || 0).toFixed(2),
    size(p.heap),
    size(p.heap_limit),
    size(p.external),
    (p.argv && p.argv.length ? p.argv : [p.name]).join(' '),
  ]);
  // START: when it started, in seconds since boot; TIME: CPU seconds used.
  sys.table(['PID', 'PPID', 'STAT', 'START', 'TIME', 'HEAP', 'LIMIT', 'EXT', 'COMMAND'], rows);
  return 0;
};

// 1.5MiB, 640KiB; '-' when the kernel does not know.
const size = (n) => (typeof n === 'number' ? formatSize(n, 'iB') : '-');

module.exports.description = 'list processes';
module.exports.options = {};
