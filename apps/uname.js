// apps/uname.js: name the system: `jsksh`; -a adds the host name, the V8
// version the kernel and apps run on, and the machine type.
// -s kernel name, -n host name, -r V8 version, -m machine.
'use strict';

module.exports = async function main(argv) {
  const wanted = new Set();
  for (const arg of argv.slice(1)) {
    if (!/^-[asnrm]+$/.test(arg)) {
      sys.stderr.write(`uname: invalid option '${arg}'\nusage: uname [-asnrm]\n`);
      return 1;
    }
    for (const letter of arg.slice(1)) wanted.add(letter);
  }
  if (wanted.has('a')) ['s', 'n', 'r', 'm'].forEach((l) => wanted.add(l));
  if (wanted.size === 0) wanted.add('s');
  const info = await sys.kernel.info();
  const fields = { s: 'jsksh', n: info.hostname || 'jsksh', r: `V8-${info.v8 || 'unknown'}`, m: 'javascript' };
  sys.print(['s', 'n', 'r', 'm'].filter((l) => wanted.has(l)).map((l) => fields[l]).join(' '));
  return 0;
};

module.exports.description = 'print system information';
module.exports.options = { '-a': 'all', '-s': 'kernel name', '-n': 'host name', '-r': 'V8 version', '-m': 'machine' };
