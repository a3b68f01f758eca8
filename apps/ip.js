// apps/ip.js: show the network interface and routes, like iproute2's `ip addr` and `ip route`.
// Its words are objects, not options (ip addr, ip route): the declaration
// lists them and the usage line; no option is taken.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usageError('ip', module.exports, parsed.error);
  const what = parsed.operands[0] || 'addr';
  let info;
  try {
    info = await sys.call('net.info', {});
  } catch (e) {
    sys.stderr.write(`ip: ${e.message}\n`);
    return 1;
  }
  if ('address'.startsWith(what) || what === 'a') {
    // The loopback network is the kernel's loopback queue (kernel/net/interface.js), not a device.
    sys.print('1: lo: <LOOPBACK,UP>');
    sys.print('    inet 127.0.0.1/8 scope host lo');
    sys.print(`2: ${info.name}: <BROADCAST,MULTICAST,UP> mtu ${info.mtu}`);
    sys.print(`    link/ether ${info.mac} brd ff:ff:ff:ff:ff:ff`);
    if (info.address) sys.print(`    inet ${info.address} brd ${info.broadcast} scope global ${info.dhcp ? 'dynamic ' : ''}${info.name}`);
    return 0;
  }
  if ('route'.startsWith(what) || what === 'r') {
    // The kernel says '10.0.2.0/24 on-link' and 'default via 10.0.2.2'; print them as iproute2 does.
    const src = info.address ? ` src ${info.address.split('/')[0]}` : '';
    for (const r of info.routes) {
      sys.print(r.endsWith(' on-link') ? `${r.slice(0, -8)} dev ${info.name} proto kernel scope link${src}` : `${r} dev ${info.name}`);
    }
    return 0;
  }
  return usageError('ip', module.exports, `unknown object '${what}'`);
};

module.exports.description = 'show the network address and routes';
module.exports.options = { addr: 'the interface and its address', route: 'the routing table' };
module.exports.usage = 'ip [addr|route]';
