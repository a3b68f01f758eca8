// apps/ln.js: make links between files, as GNU coreutils' ln does: with -s
// a symbolic link, a name that holds the path TARGET (which need not
// exist; a relative TARGET is taken from the link's own directory, not from
// where ln runs), without it a hard link, one more name for the file TARGET.
//
//   ln [-sfnv] TARGET LINK_NAME     LINK_NAME links to TARGET
//   ln [-sfnv] TARGET               a link in the current directory, named as TARGET
//   ln [-sfnv] TARGET... DIRECTORY  links in DIRECTORY, named as each TARGET
//
// Links can be made only in /tmp (the image is read-only: EROFS). A hard
// link joins two names of the same file system, so one to a file of the
// image is "Invalid cross-device link"; a directory has no hard links. -f
// removes a LINK_NAME that is there first; -n takes a LINK_NAME that is a
// symbolic link to a directory as the link to replace, not as the
// directory to make links in.
'use strict';

const { reason, statOrNull, join, lastName } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

const lstatOrNull = (path) => sys.fs.lstat(path).catch(() => null);

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('ln', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (operands.length === 0) return usageError('ln', module.exports, 'missing file operand', 1);

  // Where each link goes: LINK_NAME, or DIRECTORY/NAME.
  let links;
  if (operands.length === 1) {
    links = [[operands[0], lastName(operands[0])]];
  } else {
    const dest = operands.pop();
    const intoDir = await isDirectory(dest, options['no-dereference']);
    if (!intoDir && operands.length > 1) {
      sys.stderr.write(`ln: target '${dest}' is not a directory\n`);
      return 1;
    }
    links = operands.map((target) => [target, intoDir ? join(dest, lastName(target)) : dest]);
  }

  let status = 0;
  for (const [target, linkName] of links) {
    if (!(await makeLink(target, linkName, options))) status = 1;
  }
  return status;
};

// DEST is a directory to make the links in: a directory, or a link to one
// unless -n says to take the link itself.
async function isDirectory(dest, noDereference) {
  const own = await lstatOrNull(dest);
  if (own === null) return false;
  if (own.type === 'symlink' && noDereference) return false;
  const st = own.type === 'symlink' ? await statOrNull(dest) : own;
  return st !== null && st.type === 'dir';
}

// One link; false after saying why it could not be made.
async function makeLink(target, linkName, options) {
  const fail = (message) => {
    sys.stderr.write(`ln: ${message}\n`);
    return false;
  };
  const symbolic = options.symbolic;
  if (!symbolic) {
    // A hard link names the file itself: it must be there, and not be a directory.
    const source = await lstatOrNull(target);
    if (source === null) return fail(`failed to access '${target}': No such file or directory`);
    if (source.type === 'dir') return fail(`${target}: hard link not allowed for directory`);
  }
  const what = symbolic ? `symbolic link '${linkName}'` : `hard link '${linkName}' => '${target}'`;
  const existing = await lstatOrNull(linkName);
  if (existing !== null && options.force) {
    if (existing.type === 'dir') return fail(`${linkName}: cannot overwrite directory`);
    if (!symbolic && (await sameFile(target, linkName))) return fail(`'${target}' and '${linkName}' are the same file`);
    try {
      await sys.fs.unlink(linkName);
    } catch (e) {
      return fail(`cannot remove '${linkName}': ${reason(e)}`);
    }
  }
  try {
    if (symbolic) await sys.fs.symlink(target, linkName);
    else await sys.fs.link(target, linkName);
  } catch (e) {
    if (!(e && e.code)) throw e;
    return fail(`failed to create ${what}: ${reason(e)}`);
  }
  if (options.verbose) await sys.stdout.write(symbolic ? `'${linkName}' -> '${target}'\n` : `'${linkName}' => '${target}'\n`);
  return true;
}

// Two names of one file (one inode): -f must not remove the only name of what it links.
async function sameFile(a, b) {
  const [sa, sb] = [await lstatOrNull(a), await lstatOrNull(b)];
  return sa !== null && sb !== null && sa.ino !== undefined && sa.ino === sb.ino;
}

module.exports.description = 'make links between files';
module.exports.options = {
  '-s, --symbolic': 'make symbolic links instead of hard links',
  '-f, --force': 'remove existing destination files',
  '-n, --no-dereference': 'a LINK_NAME that links to a directory is replaced, not entered',
  '-v, --verbose': 'print the name of each link made',
};
module.exports.usage = 'ln [-sfnv] TARGET LINK_NAME\nln [-sfnv] TARGET\nln [-sfnv] TARGET... DIRECTORY';
