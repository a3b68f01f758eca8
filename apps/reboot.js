// apps/reboot.js: restart the machine. The kernel asks the machine for a
// reset (the POWER trap, docs/abi.md §1), and boots again from the image.
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('reboot', argv, module.exports);
  if (refused !== null) return refused;
  await sys.kernel.reboot();
  return 0;
};

module.exports.description = 'restart the machine';
module.exports.options = {};
