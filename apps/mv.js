// apps/mv.js: move (rename) files and directories, as GNU coreutils' mv does.
//
//   mv [-finv] SOURCE DEST          SOURCE becomes DEST (or goes into it, a directory)
//   mv [-finv] SOURCE... DIRECTORY
//
// A move is one rename in the file system (sys.fs.rename): nothing is
// copied, whatever the size, and a directory moves with what it holds.
// Unlike GNU's mv, jsksh's does not copy between file systems: the only
// writable one is /tmp, so such a move could never remove its source (or
// make its destination) anyway; it fails at once with "Invalid cross-device
// link" and changes nothing. Bad input changes nothing either: a name
// moved onto itself, a directory into itself, a directory over a file or a
// file over a directory, or over a directory that is not empty.
'use strict';

const { reason, statOrNull, join, lastName, absolute, askYes, destination } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('mv', module.exports, parsed.error);
  const opts = { interactive: false, noClobber: false, verbose: parsed.options.verbose };
  // -f, -i and -n: the last one given wins, as in GNU's mv.
  for (const [name] of parsed.given) {
    if (name !== 'verbose') [opts.interactive, opts.noClobber] = [name === 'interactive', name === 'no-clobber'];
  }
  const operands = parsed.operands;
  const { target, intoDir, status } = await destination('mv', module.exports, operands);
  if (status !== undefined) return status;
  const mover = new Mover(opts);
  for (const source of operands) {
    await mover.move(source, intoDir ? join(target, lastName(source)) : target);
  }
  return mover.status;
};

class Mover {
  constructor(opts) {
    this.opts = opts;
    this.status = 0;
    this.input = ''; // what was read of standard input and not yet answered (-i)
  }

  fail(message) {
    sys.stderr.write(`mv: ${message}\n`);
    this.status = 1;
  }

  async move(source, dest) {
    let st;
    try {
      st = await sys.fs.lstat(source); // a link moves as itself
    } catch (e) {
      return this.fail(`cannot stat '${source}': ${reason(e)}`);
    }
    const from = absolute(source);
    const to = absolute(dest);
    if (from === to) return this.fail(`'${source}' and '${dest}' are the same file`);
    if (st.type === 'dir' && (to.startsWith(from + '/') || from === '/')) {
      return this.fail(`cannot move '${source}' to a subdirectory of itself, '${dest}'`);
    }
    const destStat = await statOrNull(dest);
    if (destStat !== null) {
      if (destStat.type === 'dir' && st.type !== 'dir') return this.fail(`cannot overwrite directory '${dest}' with non-directory`);
      if (destStat.type !== 'dir' && st.type === 'dir') return this.fail(`cannot overwrite non-directory '${dest}' with directory '${source}'`);
      if (this.opts.noClobber) return undefined;
      if (this.opts.interactive && !(await this.ask(`mv: overwrite '${dest}'? `))) return undefined;
    } else if (dest.endsWith('/') && st.type !== 'dir') {
      return this.fail(`cannot move '${source}' to '${dest}': Not a directory`);
    }
    try {
      await sys.fs.rename(source, dest);
    } catch (e) {
      if (!(e && e.code)) throw e;
      if (e.code === 'EINVAL') return this.fail(`cannot move '${source}' to a subdirectory of itself, '${dest}'`);
      return this.fail(`cannot move '${source}' to '${dest}': ${reason(e)}`);
    }
    if (this.opts.verbose) await sys.stdout.write(`renamed '${source}' -> '${dest}'\n`);
    return undefined;
  }

  // -i: the question on stderr, a line of standard input as the answer (y or Y: yes).
  ask(question) {
    return askYes(question, this);
  }
}

module.exports.description = 'move (rename) files and directories';
module.exports.options = {
  '-f, --force': 'overwrite without asking (the default)',
  '-i, --interactive': 'ask before overwriting',
  '-n, --no-clobber': 'never overwrite',
  '-v, --verbose': 'say what is moved',
};
module.exports.usage = 'mv [-finv] SOURCE DEST\nmv [-finv] SOURCE... DIRECTORY';
