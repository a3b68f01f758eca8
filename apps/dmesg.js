// apps/dmesg.js: print the kernel's log, as Linux's dmesg does: each line
// starts with the time since power-on in seconds, [    0.123456].
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('dmesg', argv, module.exports);
  if (refused !== null) return refused;
  const entries = await sys.kernel.dmesg();
  sys.stdout.write(entries.map(formatEntry).join(''));
  return 0;
};

// [    0.123456] text: six decimals, right-aligned in twelve characters.
function formatEntry(entry) {
  const time = Number(entry.time || 0).toFixed(6).padStart(12);
  return `[${time}] ${entry.text}\n`;
}

module.exports.description = 'print the kernel log';
module.exports.options = {};
