// apps/poweroff.js: stop the machine. The kernel asks the machine to power
// off (the POWER trap, docs/abi.md §1); `jsksh` then exits with status 0.
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('poweroff', argv, module.exports);
  if (refused !== null) return refused;
  await sys.kernel.poweroff(0);
  return 0;
};

module.exports.description = 'power off the machine';
module.exports.options = {};
