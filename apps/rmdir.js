// apps/rmdir.js: remove empty directories, as GNU coreutils' rmdir does.
//
//   rmdir [-pv] [--ignore-fail-on-non-empty] DIRECTORY...
//
// Only an empty directory goes: one that holds anything stays, with "failed
// to remove 'X': Directory not empty" (rm -r removes what it holds). -p
// then removes each parent named in the argument (rmdir -p a/b/c: a/b/c,
// a/b, a), stopping at the first that will not go.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('rmdir', module.exports, parsed.error);
  const { options, operands: dirs } = parsed;
  const opts = { parents: options.parents, verbose: options.verbose, ignoreNonEmpty: options['ignore-fail-on-non-empty'] };
  if (dirs.length === 0) return usageError('rmdir', module.exports, 'missing operand', 1);
  let status = 0;
  for (const dir of dirs) {
    const done = await remove(dir, opts, 'failed to remove');
    if (done === 'failed') status = 1;
    if (done !== 'removed' || !opts.parents) continue;
    // a/b/c -> a/b -> a: each parent the argument names, until one stays.
    let rest = dir.replace(/\/+$/, '');
    for (;;) {
      const slash = rest.lastIndexOf('/');
      if (slash <= 0) break;
      rest = rest.slice(0, slash).replace(/\/+$/, '');
      if (rest === '') break;
      const parent = await remove(rest, opts, 'failed to remove directory');
      if (parent === 'failed') status = 1;
      if (parent !== 'removed') break;
    }
  }
  return status;
};

// Removes one directory: 'removed', 'failed' (with GNU's message), or
// 'ignored' (not empty, and --ignore-fail-on-non-empty).
async function remove(dir, opts, failed) {
  if (opts.verbose) await sys.stdout.write(`rmdir: removing directory, '${dir}'\n`);
  try {
    await sys.fs.rmdir(dir);
    return 'removed';
  } catch (e) {
    if (!(e && e.code)) throw e;
    if (opts.ignoreNonEmpty && e.code === 'ENOTEMPTY') return 'ignored';
    sys.stderr.write(`rmdir: ${failed} '${dir}': ${reason(e)}\n`);
    return 'failed';
  }
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'remove empty directories';
module.exports.options = {
  '-p, --parents': 'remove the parents named too (a/b/c, a/b, a)',
  '-v, --verbose': 'say what is removed',
  '--ignore-fail-on-non-empty': 'say nothing of directories that are not empty',
};
module.exports.usage = 'rmdir [-pv] [--ignore-fail-on-non-empty] DIRECTORY...';
