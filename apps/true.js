// apps/true.js: do nothing, successfully: exit status 0.
// Useful in shell tests and loops: `while true; do ...; done`.
'use strict';

module.exports = async function main() {
  return 0;
};

module.exports.description = 'do nothing, successfully';
module.exports.options = {};
