// apps/mkdir.js: make directories (only under /tmp: the image is read-only).
// -p makes missing parents too, and is quiet about directories that exist.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('mkdir', module.exports, parsed.error);
  const parents = parsed.options.parents;
  const paths = parsed.operands;
  if (paths.length === 0) {
    sys.stderr.write('mkdir: missing operand\n');
    return 1;
  }
  let status = 0;
  for (const path of paths) {
    try {
      if (parents) await makeWithParents(path);
      else await sys.fs.mkdir(path);
    } catch (e) {
      sys.stderr.write(`mkdir: cannot create directory '${path}': ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

// /tmp/a/b/c: make /tmp/a, then /tmp/a/b, then /tmp/a/b/c, skipping those there.
async function makeWithParents(path) {
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (prefix === '' || parts[i - 1] === '') continue;
    const st = await sys.fs.stat(prefix).catch(() => null);
    if (st === null) await sys.fs.mkdir(prefix);
    else if (st.type !== 'dir') throw Object.assign(new Error(`${prefix}: Not a directory`), { code: 'ENOTDIR' });
  }
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'make directories';
module.exports.options = { '-p, --parents': 'make parents as needed; no error if present' };
module.exports.usage = 'mkdir [-p] DIR...';
