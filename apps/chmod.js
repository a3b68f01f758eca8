// apps/chmod.js: change each FILE's permission bits to MODE, as GNU
// coreutils' chmod does. MODE is octal (644, 1777) or symbolic: clauses
// of who (u, g, o, a), an operator (+, -, =) and permissions (r, w, x;
// X: x only for a directory or a file someone may execute already; s
// set-ID, t sticky; or u, g, o to copy that class's), joined by commas:
// u+x, go-w, a=r, +x, u=rwx,g=rx,o=. Without who, a clause is for all
// (jsksh has no umask). A mode that starts with '-' (chmod -w FILE) is a
// mode, not an option, as in GNU's.
//
//   chmod [-Rcfv] MODE[,MODE]... FILE...
//   chmod [-Rcfv] --reference=RFILE FILE...
//
// /tmp and the disk on /home keep modes (the disk's change goes through
// its log, atomic as every operation there); the image is read-only. A
// symbolic link named on the command line is followed; one met by -R is
// left alone, as GNU's chmod -R leaves it.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { reason, join } = require('/lib/file-tools');
const { compileMode, adjustMode, modeText, octal } = require('/lib/file-mode');

module.exports = async function main(argv) {
  const { modes, rest } = leadingModes(argv.slice(1));
  const parsed = parseOptions(rest, module.exports);
  if (parsed.error) return usageError('chmod', module.exports, parsed.error);
  const { options, operands } = parsed;
  const say = { verbose: options.verbose, changes: options.changes, quiet: options.silent };

  let changes;
  let mode = null; // as given
  if (options.reference !== null) {
    try {
      const mode = (await sys.fs.stat(options.reference)).mode;
      changes = compileMode(mode.toString(8));
    } catch (e) {
      if (!(e && e.code)) throw e;
      sys.stderr.write(`chmod: failed to get attributes of '${options.reference}': ${reason(e)}\n`);
      return 1;
    }
  } else {
    mode = modes.length ? modes.join(',') : operands.shift();
    if (mode === undefined) return usageError('chmod', module.exports, 'missing operand', 1);
    changes = compileMode(mode);
    if (changes === null) return usageError('chmod', module.exports, `invalid mode: '${mode}'`, 1);
  }
  if (operands.length === 0) return usageError('chmod', module.exports, mode === null ? 'missing operand' : `missing operand after '${mode}'`, 1);

  let ok = true;
  for (const file of operands) ok = (await change(file, changes, options.recursive, say, true)) && ok;
  return ok ? 0 : 1;
};

// GNU's chmod reads '-w', '-x,u+r' and the like as MODE: the words before
// '--' that start with '-', are no option it declares and are a mode.
function leadingModes(args) {
  const declared = new Set(['-R', '-c', '-f', '-v']);
  const modes = [];
  const rest = [];
  let ended = false;
  for (const word of args) {
    if (word === '--') ended = true;
    if (!ended && /^-[^-]/.test(word) && !declared.has(word) && compileMode(word) !== null) modes.push(word);
    else rest.push(word);
  }
  return { modes, rest };
}

// Changes one file (and, with -R, what a directory holds); false if
// anything failed. `named`: it was on the command line (a link there is
// followed; one met inside a directory is left as it is).
async function change(file, changes, recursive, say, named) {
  let st;
  try {
    st = named ? await sys.fs.stat(file) : await sys.fs.lstat(file);
  } catch (e) {
    if (!(e && e.code)) throw e;
    const dangling = e.code === 'ENOENT' && named && (await sys.fs.lstat(file).then((l) => l.type === 'symlink', () => false));
    if (!say.quiet) sys.stderr.write(dangling ? `chmod: cannot operate on dangling symlink '${file}'\n` : `chmod: cannot access '${file}': ${reason(e)}\n`);
    return false;
  }
  if (st.type === 'symlink') {
    if (say.verbose) sys.print(`neither symbolic link '${file}' nor referent has been changed`);
    return true;
  }
  const before = st.mode & 0o7777;
  const after = adjustMode(before, st.type === 'dir', changes);
  let ok = true;
  try {
    await sys.fs.chmod(file, after); // also when it is the same, as GNU's: the image says EROFS
    if (say.verbose || (say.changes && after !== before)) {
      sys.print(after === before ? `mode of '${file}' retained as ${octal(before)} (${modeText(before)})` : `mode of '${file}' changed from ${octal(before)} (${modeText(before)}) to ${octal(after)} (${modeText(after)})`);
    }
  } catch (e) {
    if (!(e && e.code)) throw e;
    if (!say.quiet) sys.stderr.write(`chmod: changing permissions of '${file}': ${reason(e)}\n`);
    if (say.verbose) sys.print(`failed to change mode of '${file}' from ${octal(before)} (${modeText(before)}) to ${octal(after)} (${modeText(after)})`);
    ok = false;
  }
  if (recursive && st.type === 'dir') {
    let entries;
    try {
      entries = await sys.fs.readdir(file);
    } catch (e) {
      if (!(e && e.code)) throw e;
      if (!say.quiet) sys.stderr.write(`chmod: cannot read directory '${file}': ${reason(e)}\n`);
      return false;
    }
    for (const entry of entries) ok = (await change(join(file, entry.name), changes, true, say, false)) && ok;
  }
  return ok;
}

module.exports.description = "change files' permission bits";
module.exports.options = {
  '-R, --recursive': 'change directories and what they hold, recursively',
  '-c, --changes': 'like -v, but only for files whose mode changed',
  '-f, --silent, --quiet': 'leave out most error messages',
  '-v, --verbose': 'say what was done for every file',
  '--reference=RFILE': "use RFILE's mode instead of MODE",
};
module.exports.usage = 'chmod [-Rcfv] MODE[,MODE]... FILE...\nchmod [-Rcfv] OCTAL-MODE FILE...\nchmod [-Rcfv] --reference=RFILE FILE...';
