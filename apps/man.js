// apps/man.js: show a command's manual page: NAME, SYNOPSIS, DESCRIPTION and
// OPTIONS, written from what the command declares (the lines `help NAME` and
// `NAME --help` show): a program's from its source, with the first paragraph
// of its header comment as DESCRIPTION, a shell builtin's from
// /lib/shell/builtin-help. There is no pager: the page goes to standard
// output.
'use strict';

const { declaredIn, aboutOf } = require('/lib/app-info');
const { declaredBy, manPage } = require('/lib/app-help');
const { BUILTIN_HELP } = require('/lib/shell/builtin-help');
const { parseOptions, usageError } = require('/lib/options');

// man-db's status when a page is missing.
const STATUS_NOT_FOUND = 16;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('man', module.exports, parsed.error);
  const names = parsed.operands;
  if (names.length === 0) {
    sys.stderr.write("What manual page do you want?\nFor example, try 'man man'.\n");
    return 1;
  }
  const width = sys.stdout.isTTY ? sys.stdout.columns : 80;
  let status = 0;
  let shown = 0; // pages written: a blank line goes between two
  for (const name of names) {
    const page = await pageOf(name, width);
    if (page === null) {
      sys.stderr.write(`No manual entry for ${name}\n`);
      status = STATUS_NOT_FOUND;
      continue;
    }
    await sys.stdout.write((shown++ > 0 ? '\n' : '') + page);
  }
  return status;
};

// The page of a program in /bin, else of a builtin, else null. (A name that
// is both, echo, gets the program's page: the builtin prints what it prints.)
async function pageOf(name, width) {
  if (!name.includes('/')) {
    try {
      const source = await sys.fs.readFile(`/bin/${name}.js`);
      return manPage(name, declaredIn(source), aboutOf(source), width);
    } catch (e) {
      if (!(e && e.code)) throw e;
    }
  }
  if (!Object.prototype.hasOwnProperty.call(BUILTIN_HELP, name)) return null;
  const declared = BUILTIN_HELP[name];
  const about = `${declared.about || declared.description}. It is a shell builtin: sh runs it itself, without starting a program (docs/shell.md, "Builtins").`;
  return manPage(name, declaredBy(declared), about.replace(/\.\. /, '. '), width);
}

module.exports.description = 'show the manual page of a command or shell builtin';
module.exports.options = {};
module.exports.usage = 'man NAME...';
