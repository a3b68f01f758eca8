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

const { reason, usageError, statOrNull, join, lastName, absolute, askYes } = require('/lib/file-tools');

const LETTERS = { f: 'force', i: 'interactive', n: 'noClobber', v: 'verbose' };
const LONG = { force: 'force', interactive: 'interactive', 'no-clobber': 'noClobber', verbose: 'verbose' };

module.exports = async function main(argv) {
  const opts = { interactive: false, noClobber: false, verbose: false };
  const operands = [];
  const args = argv.slice(1);
  while (args.length > 0) {
    const arg = args.shift();
    let names;
    if (arg === '--') {
      operands.push(...args.splice(0));
      continue;
    } else if (arg.startsWith('--')) {
      if (!LONG[arg.slice(2)]) return usage(`unrecognized option '${arg}'`);
      names = [LONG[arg.slice(2)]];
    } else if (arg.startsWith('-') && arg !== '-') {
      names = [];
      for (const letter of arg.slice(1)) {
        if (!LETTERS[letter]) return usage(`invalid option -- '${letter}'`);
        names.push(LETTERS[letter]);
      }
    } else {
      operands.push(arg);
      continue;
    }
    // -f, -i and -n: the last one given wins, as in GNU's mv.
    for (const name of names) {
      if (name === 'verbose') opts.verbose = true;
      else {
        opts.interactive = name === 'interactive';
        opts.noClobber = name === 'noClobber';
      }
    }
  }
  if (operands.length === 0) return operandError('missing file operand');
  if (operands.length === 1) return operandError(`missing destination file operand after '${operands[0]}'`);

  const target = operands.pop();
  const targetStat = await statOrNull(target);
  const intoDir = targetStat !== null && targetStat.type === 'dir';
  if (operands.length > 1 && !intoDir) {
    sys.stderr.write(`mv: target '${target}' is not a directory\n`);
    return 1;
  }
  if (!intoDir && target.endsWith('/') && targetStat !== null) {
    sys.stderr.write(`mv: failed to access '${target}': Not a directory\n`);
    return 1;
  }
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
      st = await sys.fs.stat(source);
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

// A bad command line (status 2), or a wrong number of operands (1, as GNU's).
const usage = (problem) => usageError('mv', module.exports.usage, problem);
const operandError = (problem) => usageError('mv', module.exports.usage, problem, 1);

module.exports.description = 'move (rename) files and directories';
module.exports.options = {
  '-f': 'overwrite without asking (the default)',
  '-i': 'ask before overwriting',
  '-n': 'never overwrite',
  '-v': 'say what is moved',
};
module.exports.usage = 'mv [-finv] SOURCE DEST\nmv [-finv] SOURCE... DIRECTORY';
