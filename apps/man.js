// apps/man.js: show a command's manual page: NAME, SYNOPSIS, DESCRIPTION and
// OPTIONS, written from what the app declares (the lines `help NAME` and
// `NAME --help` show) and the first paragraph of its header comment. There
// is no pager: the page goes to standard output.
'use strict';

const { declaredIn, aboutOf } = require('/lib/app-info');
const { manPage } = require('/lib/app-help');

// man-db's status when a page is missing.
const STATUS_NOT_FOUND = 16;

module.exports = async function main(argv) {
  const names = argv.slice(1);
  const bad = names.find((arg) => arg.startsWith('-'));
  if (bad !== undefined) {
    sys.stderr.write(`man: invalid option -- '${bad.slice(1, 2) || '-'}'\nusage: man NAME...\n`);
    return 2;
  }
  if (names.length === 0) {
    sys.stderr.write("What manual page do you want?\nFor example, try 'man man'.\n");
    return 1;
  }
  let status = 0;
  for (const [i, name] of names.entries()) {
    let source;
    try {
      if (name.includes('/')) throw new Error('not a command name');
      source = await sys.fs.readFile(`/bin/${name}.js`);
    } catch (e) {
      sys.stderr.write(`No manual entry for ${name}\n`);
      status = STATUS_NOT_FOUND;
      continue;
    }
    const width = sys.stdout.isTTY ? sys.stdout.columns : 80;
    await sys.stdout.write((i > 0 ? '\n' : '') + manPage(name, declaredIn(source), aboutOf(source), width));
  }
  return status;
};

module.exports.description = 'show the manual page of a command';
module.exports.options = {};
module.exports.usage = 'man NAME...';
