// apps/env.js: print the environment, one NAME=value a line.
// Apps get their environment from the shell when it spawns them
// (sys.proc.spawn(argv, {env})); `export NAME=value` in sh changes it.
'use strict';

module.exports = async function main(argv) {
  if (argv.length > 1) {
    sys.stderr.write('env: running a command is not supported\n');
    return 125;
  }
  const env = sys.env || {};
  for (const name of Object.keys(env)) sys.stdout.write(`${name}=${env[name]}\n`);
  return 0;
};

module.exports.description = 'print the environment';
module.exports.options = {};
