// apps/clear.js: clear the terminal screen and its scrollback.
// ESC [H moves the cursor home, ESC [2J erases the screen, ESC [3J the
// scrollback (the same three sequences as ncurses' clear).
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('clear', argv, module.exports);
  if (refused !== null) return refused;
  sys.stdout.write('\x1b[H\x1b[2J\x1b[3J');
  return 0;
};

module.exports.description = 'clear the terminal screen';
module.exports.options = {};
