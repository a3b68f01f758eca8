// apps/uptime.js: the time, how long the machine has run and how many
// processes exist, in the shape of Linux's uptime:
//  19:40:01 up 3 min,  4 processes
// (jsksh has no users and no load average, so it does not invent them).
'use strict';

const { takesNoArguments } = require('/lib/options');
const { formatUptime, pad2 } = require('/lib/uptime');

module.exports = async function main(argv) {
  const refused = takesNoArguments('uptime', argv, module.exports);
  if (refused !== null) return refused;
  const [info, procs] = await Promise.all([sys.kernel.info(), sys.proc.list()]);
  const now = new Date();
  const clock = [now.getHours(), now.getMinutes(), now.getSeconds()].map(pad2).join(':');
  const count = procs.length;
  sys.print(` ${clock} up ${formatUptime(info.uptime || 0)},  ${count} process${count === 1 ? '' : 'es'}`);
  return 0;
};


module.exports.description = 'show the time, uptime and number of processes';
module.exports.options = {};
