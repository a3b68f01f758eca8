// apps/free.js: memory of the machine's isolates: V8 heap used and its limit,
// external memory (ArrayBuffers, which V8 keeps outside the heap), and how
// many isolates are running and waiting warm in the pool. Sizes in KiB, or
// -h human-readable, -b bytes; the headers say which.
'use strict';

const { formatSize } = require('/lib/columns');

module.exports = async function main(argv) {
  let unit = 'k';
  for (const arg of argv.slice(1)) {
    if (arg === '-h') unit = 'h';
    else if (arg === '-b') unit = 'b';
    else if (arg === '-k') unit = 'k';
    else {
      sys.stderr.write(`free: invalid option '${arg}'\nusage: free [-b|-k|-h]\n`);
      return 2;
    }
  }
  const { memory = {} } = await sys.kernel.info();
  const size = (n) => formatBytes(n, unit);
  // The unit is in the header (with -h, in each value).
  const u = { k: ' (KiB)', b: ' (bytes)', h: '' }[unit];
  sys.table(
    [`HEAP USED${u}`, `HEAP LIMIT${u}`, `EXTERNAL${u}`, 'ISOLATES', 'POOL'],
    [[size(memory.heap), size(memory.heap_limit), size(memory.external), memory.isolates ?? '-', memory.pool ?? '-']],
  );
  return 0;
};

function formatBytes(n, unit) {
  if (typeof n !== 'number') return '-';
  if (unit === 'h') return formatSize(n, 'i'); // 1.5Mi, as free -h writes it
  if (unit === 'b') return n;
  return Math.round(n / 1024);
}

module.exports.description = 'show isolate memory use';
module.exports.options = { '-h': 'human-readable sizes', '-b': 'bytes', '-k': 'KiB (the default)' };
module.exports.usage = 'free [-b|-k|-h]';
