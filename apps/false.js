// apps/false.js: do nothing, unsuccessfully: exit status 1.
// The counterpart of true, for testing the shell's && and ||.
'use strict';

module.exports = async function main() {
  return 1;
};

module.exports.description = 'do nothing, unsuccessfully';
module.exports.options = {};
