// apps/help.js: list the commands in /bin with a line about each, or with
// `help NAME`, describe one command: the same text as `NAME --help`, from
// what the app's source declares (/lib/app-info, /lib/app-help).
'use strict';

const { descriptionOf, declaredIn } = require('/lib/app-info');
const { helpText } = require('/lib/app-help');
const { BUILTINS } = require('/lib/shell/builtins');

module.exports = async function main(argv) {
  if (argv.length > 1) return describeCommand(argv[1]);
  const entries = await sys.fs.readdir('/bin');
  const apps = entries.filter((e) => e.type !== 'dir' && e.name.endsWith('.js'));
  const sources = await Promise.all(apps.map((e) => sys.fs.readFile(`/bin/${e.name}`).catch(() => '')));
  const rows = apps.map((e, i) => [e.name.slice(0, -3), descriptionOf(sources[i])]);
  sys.table(['COMMAND', 'DESCRIPTION'], rows);
  const builtins = Object.keys(BUILTINS);
  sys.print(`\nThe shell itself runs ${builtins.slice(0, -1).join(', ')} and ${builtins[builtins.length - 1]}. \`help NAME\`, \`NAME --help\` and \`man NAME\` tell more.`);
  return 0;
};

async function describeCommand(name) {
  let source;
  try {
    source = await sys.fs.readFile(`/bin/${name}.js`);
  } catch (e) {
    sys.stderr.write(`help: no command '${name}' in /bin\n`);
    return 1;
  }
  await sys.stdout.write(helpText(name, declaredIn(source)));
  return 0;
}

module.exports.description = 'list commands, or describe one: help NAME';
module.exports.options = {};
module.exports.usage = 'help [NAME]';
