// apps/kill.js: send a signal to processes: kill [-INT|-TERM|-KILL|-s SIG] PID...
// The kernel stops the app with status 130 (INT), 143 (TERM) or 137 (KILL);
// TERM is the default. kill -l lists the signals.
'use strict';

const SIGNALS = { INT: 2, KILL: 9, TERM: 15 };

module.exports = async function main(argv) {
  const args = argv.slice(1);
  if (args[0] === '-l') {
    sys.print(Object.keys(SIGNALS).join(' '));
    return 0;
  }
  let signal = 'TERM';
  if (args[0] === '-s') {
    args.shift();
    signal = args.shift();
    if (signal === undefined) return usage();
  } else if (args.length > 0 && /^-./.test(args[0])) {
    signal = args.shift().slice(1);
  }
  const name = signalName(signal);
  if (name === null) {
    sys.stderr.write(`kill: ${signal}: invalid signal specification\n`);
    return 1;
  }
  if (args.length === 0) return usage();

  let status = 0;
  for (const arg of args) {
    if (!/^\d+$/.test(arg)) {
      sys.stderr.write(`kill: ${arg}: arguments must be process or job IDs\n`);
      status = 1;
      continue;
    }
    try {
      await sys.proc.kill(Number(arg), name);
    } catch (e) {
      const why = e && e.code === 'ESRCH' ? 'No such process' : String((e && e.message) || e);
      sys.stderr.write(`kill: (${arg}) - ${why}\n`);
      status = 1;
    }
  }
  return status;
};

// 'TERM', 'SIGTERM', 'term' or '15' -> 'TERM'; null if unknown.
function signalName(text) {
  const upper = String(text).toUpperCase().replace(/^SIG/, '');
  if (upper in SIGNALS) return upper;
  return Object.keys(SIGNALS).find((key) => String(SIGNALS[key]) === text) || null;
}

function usage() {
  sys.stderr.write('kill: usage: kill [-s SIG | -SIG] PID...\n');
  return 2;
}

module.exports.description = 'send a signal to processes';
module.exports.options = { '-s': 'signal name (INT, TERM, KILL)', '-l': 'list signal names' };
module.exports.usage = 'kill [-s SIG | -SIG] PID...\nkill -l';
