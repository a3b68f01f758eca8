// apps/uptime.js: the time, how long the machine has run and how many
// processes exist, in the shape of Linux's uptime:
//  19:40:01 up 3 min,  4 processes
// (jsksh has no users and no load average, so it does not invent them).
'use strict';

module.exports = async function main() {
  const [info, procs] = await Promise.all([sys.kernel.info(), sys.proc.list()]);
  const now = new Date();
  const clock = [now.getHours(), now.getMinutes(), now.getSeconds()].map(pad2).join(':');
  const count = procs.length;
  sys.print(` ${clock} up ${formatUptime(info.uptime || 0)},  ${count} process${count === 1 ? '' : 'es'}`);
  return 0;
};

// Like procps: '3 min', ' 1:05', '2 days,  1:05'.
function formatUptime(seconds) {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const dayText = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : '';
  if (hours === 0) return `${dayText}${mins} min`;
  return `${dayText}${String(hours).padStart(2)}:${pad2(mins)}`;
}

const pad2 = (n) => String(n).padStart(2, '0');

module.exports.description = 'show the time, uptime and number of processes';
module.exports.options = {};
