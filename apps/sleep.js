// apps/sleep.js: wait for a number of seconds: sleep 1.5, sleep 2m.
// Like GNU sleep, a number may end in s, m, h or d, and several are added up.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('sleep', module.exports, parsed.error);
  if (parsed.operands.length === 0) {
    sys.stderr.write('sleep: missing operand\n');
    return 1;
  }
  let seconds = 0;
  for (const arg of parsed.operands) {
    const match = /^(\d+\.?\d*|\.\d+)([smhd]?)$/.exec(arg);
    if (!match) {
      sys.stderr.write(`sleep: invalid time interval '${arg}'\n`);
      return 1;
    }
    seconds += Number(match[1]) * UNITS[match[2] || 's'];
  }
  await sys.sleep(seconds * 1000);
  return 0;
};

module.exports.description = 'wait for some seconds';
module.exports.options = {};
module.exports.usage = 'sleep NUMBER[s|m|h|d]...';
