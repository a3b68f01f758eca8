// apps/env.js: print the environment, one NAME=value a line.
// Apps get their environment from the shell when it spawns them
// (sys.proc.spawn(argv, {env})); `export NAME=value` in sh changes it.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

// GNU env's status when env itself fails (not the command it runs).
const STATUS_ENV_FAILED = 125;

module.exports = async function main(argv) {
  // As GNU's env, options end at the first operand (the command and its own options).
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usageError('env', module.exports, parsed.error, STATUS_ENV_FAILED);
  if (parsed.operands.length > 0) {
    sys.stderr.write('env: running a command is not supported\n');
    return STATUS_ENV_FAILED;
  }
  const env = sys.env || {};
  for (const name of Object.keys(env)) sys.stdout.write(`${name}=${env[name]}\n`);
  return 0;
};

module.exports.description = 'print the environment';
module.exports.options = {};
