// apps/hostname.js: print the machine's host name (from /etc/hostname at
// boot, or what DHCP gave). The image is read-only, so it cannot be set here.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('hostname', module.exports, parsed.error);
  if (parsed.operands.length > 0) {
    sys.stderr.write('hostname: setting the host name is not supported\n');
    return 1;
  }
  const info = await sys.kernel.info();
  sys.print(info.hostname || 'jsksh');
  return 0;
};

module.exports.description = 'print the host name';
module.exports.options = {};
