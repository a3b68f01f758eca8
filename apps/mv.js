// apps/mv.js: move (rename) files and directories, as GNU coreutils' mv does.
//
//   mv [-finv] SOURCE DEST          SOURCE becomes DEST (or goes into it, a directory)
//   mv [-finv] SOURCE... DIRECTORY
//
// A move is one rename in the file system (sys.fs.rename): nothing is
// copied, whatever the size, and a directory moves with what it holds.
// Between two file systems (/tmp and a disk on /home) a rename is EXDEV, and
// mv does what GNU's does: it copies (/lib/copy, as cp -a: a directory with
// what it holds, times kept, links as links), and removes the source only
// once the whole copy has arrived, so a failed copy (a full disk) loses
// nothing. From the read-only image it copies, then cannot remove: it says
// so, as GNU's mv does for a source it may not remove. Bad input changes
// nothing: a name
// moved onto itself, a directory into itself, a directory over a file or a
// file over a directory, or over a directory that is not empty.
'use strict';

const { reason, statOrNull, join, lastName, absolute, askYes, destination, removeTree } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');
const { Copier } = require('/lib/copy');

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
      if (e.code === 'EXDEV') return this.moveAcross(source, dest);
      if (e.code === 'EINVAL') return this.fail(`cannot move '${source}' to a subdirectory of itself, '${dest}'`);
      return this.fail(`cannot move '${source}' to '${dest}': ${reason(e)}`);
    }
    if (this.opts.verbose) await sys.stdout.write(`renamed '${source}' -> '${dest}'\n`);
    return undefined;
  }

  // Across file systems: copy all of it (cp -a), then remove the source.
  async moveAcross(source, dest) {
    const copier = new Copier({ recursive: true, preserve: true, verbose: false, interactive: false, noClobber: false }, 'mv');
    await copier.copy(source, dest, true);
    if (copier.status !== 0) {
      this.status = 1; // what went wrong was said; the source stays
      return undefined;
    }
    try {
      await removeTree(source);
    } catch (e) {
      if (!(e && e.code)) throw e;
      return this.fail(`cannot remove '${source}': ${reason(e)}`);
    }
    if (this.opts.verbose) await sys.stdout.write(`copied '${source}' -> '${dest}'\nremoved '${source}'\n`);
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
