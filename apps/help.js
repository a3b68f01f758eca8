// apps/help.js: list the commands in /bin with a line about each, or with
// `help NAME`, describe one command and its options. An app cannot require
// another app, so help reads each one's source and finds the line
// `module.exports.description = '...'` (and the options object) in the text.
'use strict';

module.exports = async function main(argv) {
  if (argv.length > 1) return describeCommand(argv[1]);
  const entries = await sys.fs.readdir('/bin');
  const apps = entries.filter((e) => e.type !== 'dir' && e.name.endsWith('.js'));
  const sources = await Promise.all(apps.map((e) => sys.fs.readFile(`/bin/${e.name}`).catch(() => '')));
  const rows = apps.map((e, i) => [e.name.slice(0, -3), descriptionOf(sources[i])]);
  sys.table(['COMMAND', 'DESCRIPTION'], rows);
  sys.print('\nThe shell itself runs cd, pwd, exit, export and unset. `help NAME` tells more.');
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
  sys.print(`${name}: ${descriptionOf(source) || '(no description)'}`);
  const options = optionsOf(source);
  if (options.length > 0) sys.table(['OPTION', 'MEANING'], options);
  return 0;
}

// The string in `module.exports.description = '...'`, quotes of any kind.
function descriptionOf(source) {
  const match = /^module\.exports\.description\s*=\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/m.exec(source);
  return match ? match[2].replace(/\\(.)/g, '$1') : '';
}

// The '-x': 'meaning' pairs of `module.exports.options = { ... }`.
function optionsOf(source) {
  const block = /^module\.exports\.options\s*=\s*\{([^}]*)\}/m.exec(source);
  if (!block) return [];
  const pairs = [];
  const pair = /(['"])(-[^'"]*)\1\s*:\s*(['"])((?:\\.|(?!\3)[^\\])*)\3/g;
  for (let m = pair.exec(block[1]); m !== null; m = pair.exec(block[1])) pairs.push([m[2], m[4]]);
  return pairs;
}

module.exports.description = 'list commands, or describe one: help NAME';
module.exports.options = {};
