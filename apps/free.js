// apps/free.js: memory of the machine's isolates: V8 heap used and its limit,
// external memory (ArrayBuffers, which V8 keeps outside the heap), and how
// many isolates are running and waiting warm in the pool. Sizes in KiB, or
// -h human-readable, -b bytes; the headers say which.
'use strict';

const { formatSize } = require('/lib/columns');
const { parseOptions, usageError } = require('/lib/options');

// The unit each option asks for; the last one given wins.
const UNIT_OF = { human: 'h', bytes: 'b', kibi: 'k' };

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('free', module.exports, parsed.error);
  if (parsed.operands.length > 0) return usageError('free', module.exports, `extra operand '${parsed.operands[0]}'`);
  let unit = 'k';
  for (const [name] of parsed.given) unit = UNIT_OF[name];
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
module.exports.options = { '-h, --human': 'human-readable sizes', '-b, --bytes': 'bytes', '-k, --kibi': 'KiB (the default)' };
module.exports.usage = 'free [-b|-k|-h]';
