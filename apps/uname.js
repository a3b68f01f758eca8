// apps/uname.js: name the system: `jsksh`; -a adds the host name, the V8
// version the kernel and apps run on, and the machine type.
// -s kernel name, -n host name, -r V8 version, -m machine.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

// The field each option asks for (-a: all of them).
const FIELD_OF = { all: 'a', 'kernel-name': 's', nodename: 'n', 'kernel-release': 'r', machine: 'm' };

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('uname', module.exports, parsed.error, 1);
  if (parsed.operands.length > 0) return usageError('uname', module.exports, `extra operand '${parsed.operands[0]}'`, 1);
  const wanted = new Set(parsed.given.map(([name]) => FIELD_OF[name]));
  if (wanted.has('a')) ['s', 'n', 'r', 'm'].forEach((l) => wanted.add(l));
  if (wanted.size === 0) wanted.add('s');
  const info = await sys.kernel.info();
  const fields = { s: 'jsksh', n: info.hostname || 'jsksh', r: `V8-${info.v8 || 'unknown'}`, m: 'javascript' };
  sys.print(['s', 'n', 'r', 'm'].filter((l) => wanted.has(l)).map((l) => fields[l]).join(' '));
  return 0;
};

module.exports.description = 'print system information';
module.exports.options = {
  '-a, --all': 'all',
  '-s, --kernel-name': 'kernel name',
  '-n, --nodename': 'host name',
  '-r, --kernel-release': 'V8 version',
  '-m, --machine': 'machine',
};
