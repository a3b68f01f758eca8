// apps/kill.js: send a signal to processes: kill [-INT|-TERM|-KILL|-s SIG] PID...
// The kernel stops the app with status 130 (INT), 143 (TERM) or 137 (KILL);
// TERM is the default. kill -l lists the signals.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const SIGNALS = { INT: 2, KILL: 9, TERM: 15 };

module.exports = async function main(argv) {
  const args = argv.slice(1);
  // kill -9, kill -KILL, kill -int: a first word -SIG names the signal (POSIX's
  // -SIGNAL form, as bash's kill reads it); -l and -s are the options.
  let signal = 'TERM';
  if (args.length > 0 && /^-\w+$/.test(args[0]) && args[0] !== '-l' && args[0] !== '-s') signal = args.shift().slice(1);
  const parsed = parseOptions(args, module.exports);
  if (parsed.error) return usageError('kill', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (options.list) {
    sys.print(Object.keys(SIGNALS).join(' '));
    return 0;
  }
  if (options.signal !== null) signal = options.signal;
  const name = signalName(signal);
  if (name === null) {
    sys.stderr.write(`kill: ${signal}: invalid signal specification\n`);
    return 1;
  }
  if (operands.length === 0) return usage();

  let status = 0;
  for (const arg of operands) {
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

// No PID: bash's words for it.
function usage() {
  sys.stderr.write('kill: usage: kill [-s SIG | -SIG] PID...\n');
  return 2;
}

module.exports.description = 'send a signal to processes';
module.exports.options = {
  '-s, --signal=SIG': 'the signal: INT, TERM (the default) or KILL, by name or number; -SIG is the same (kill -9)',
  '-l, --list': 'list signal names',
};
module.exports.usage = 'kill [-s SIG | -SIG] PID...\nkill -l';
