// apps/poweroff.js: stop the machine. The kernel asks the machine to power
// off (the POWER trap, docs/abi.md §1); `jsksh` then exits with status 0.
'use strict';

module.exports = async function main() {
  await sys.kernel.poweroff(0);
  return 0;
};

module.exports.description = 'power off the machine';
module.exports.options = {};
