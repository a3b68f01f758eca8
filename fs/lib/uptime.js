// /lib/uptime.js: how long the machine has been up, as procps writes it
// ('3 min', ' 1:05', '2 days,  1:05'): shared by uptime and top.
'use strict';

const pad2 = (n) => String(n).padStart(2, '0');

function formatUptime(seconds) {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const dayText = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : '';
  if (hours === 0) return `${dayText}${mins} min`;
  return `${dayText}${String(hours).padStart(2)}:${pad2(mins)}`;
}

module.exports = { formatUptime, pad2 };
