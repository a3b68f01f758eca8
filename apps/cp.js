// apps/cp.js: copy files and directories, as GNU coreutils' cp does.
//
//   cp [-rRainpvf] SOURCE DEST        SOURCE to DEST (into it if DEST is a directory)
//   cp [-rRainpvf] SOURCE... DIRECTORY
//
// The copying is /lib/copy's (shared with mv across file systems): bytes
// as bytes, to /tmp or a disk on /home (the image is read-only). Bad input
// loses nothing: a file is never copied onto itself, nor a directory into
// itself, and a directory only with -r; a full file system stops the copy
// with GNU's "error writing 'DEST': No space left on device". A symbolic
// link is followed, as GNU's cp does without -P; with -r (and -a) it is
// copied as a link.
//
// -p keeps the modification time (jsksh has no owners, and every file has
// the same mode); -a is -r with -p. -f changes nothing here: it lets GNU's
// cp remove a destination it cannot open, and every file jsksh can write
// to, it can open.
'use strict';

const { join, lastName, destination } = require('/lib/file-tools');
const { Copier } = require('/lib/copy');
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('cp', module.exports, parsed.error);
  const { options } = parsed;
  const opts = {
    recursive: options.recursive || options.archive,
    preserve: options.p || options.archive,
    verbose: options.verbose,
    interactive: false,
    noClobber: false,
  };
  // -i and -n: the last one given wins, as in GNU's cp.
  for (const [name] of parsed.given) {
    if (name === 'interactive' || name === 'no-clobber') [opts.interactive, opts.noClobber] = [name === 'interactive', name === 'no-clobber'];
  }
  const operands = parsed.operands;
  const { target, intoDir, status } = await destination('cp', module.exports, operands);
  if (status !== undefined) return status;

  const copier = new Copier(opts);
  for (const source of operands) {
    await copier.copy(source, intoDir ? join(target, lastName(source)) : target, true);
  }
  return copier.status;
};

module.exports.description = 'copy files and directories';
module.exports.options = {
  '-r, -R, --recursive': 'copy directories and what they hold',
  '-a, --archive': 'as -r -p',
  '-i, --interactive': 'ask before overwriting a file',
  '-n, --no-clobber': 'never overwrite a file',
  '-p': 'keep the modification time',
  '-v, --verbose': 'say what is copied',
  '-f, --force': 'accepted; nothing to do in jsksh',
};
module.exports.usage = 'cp [-rRainpvf] SOURCE DEST\ncp [-rRainpvf] SOURCE... DIRECTORY';
