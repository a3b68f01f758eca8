// apps/help.js: list the commands in /bin and the shell's builtins, with a
// line about each; or with `help NAME`, describe one: the same text as
// `NAME --help`, from what it declares (an app's source through
// /lib/app-info, a builtin's entry in /lib/shell/builtin-help; /lib/app-help
// writes both). A name that is both, echo, is the builtin the shell runs,
// which declares what /bin/echo.js does.
'use strict';

const { descriptionOf, declaredIn } = require('/lib/app-info');
const { declaredBy, helpText } = require('/lib/app-help');
const { BUILTIN_HELP } = require('/lib/shell/builtin-help');
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('help', module.exports, parsed.error);
  if (parsed.operands.length > 1) return usageError('help', module.exports, `extra operand '${parsed.operands[1]}'`);
  if (parsed.operands.length === 1) return describe(parsed.operands[0]);
  const entries = await sys.fs.readdir('/bin');
  const apps = entries.filter((e) => e.type !== 'dir' && e.name.endsWith('.js'));
  const sources = await Promise.all(apps.map((e) => sys.fs.readFile(`/bin/${e.name}`).catch(() => '')));
  sys.table(['COMMAND', 'DESCRIPTION'], apps.map((e, i) => [e.name.slice(0, -3), descriptionOf(sources[i])]));
  sys.print('');
  sys.table(['BUILTIN', 'DESCRIPTION'], Object.entries(BUILTIN_HELP).map(([name, declared]) => [name, declared.description]));
  sys.print('\nThe shell runs its builtins itself, before it looks in /bin. `help NAME`, `NAME --help` and `man NAME` tell more.');
  return 0;
};

// One command's help: a builtin's, else the program's in /bin.
async function describe(name) {
  if (Object.prototype.hasOwnProperty.call(BUILTIN_HELP, name)) {
    await sys.stdout.write(helpText(name, declaredBy(BUILTIN_HELP[name])));
    return 0;
  }
  let source;
  try {
    if (name.includes('/')) throw new Error('not a command name');
    source = await sys.fs.readFile(`/bin/${name}.js`);
  } catch (e) {
    sys.stderr.write(`help: no command '${name}' in /bin, and no builtin of that name\n`);
    return 1;
  }
  await sys.stdout.write(helpText(name, declaredIn(source)));
  return 0;
}

module.exports.description = 'list commands and builtins, or describe one: help NAME';
module.exports.options = {};
module.exports.usage = 'help [NAME]';
