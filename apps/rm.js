// apps/rm.js: remove files (only under /tmp: the image is read-only).
// -r removes directories and what they hold; -f ignores missing files. A
// symbolic link is removed itself, never what it names (nor, with -r,
// what a link to a directory holds).
'use strict';

module.exports = async function main(argv) {
  const flags = { recursive: false, force: false };
  const paths = [];
  for (const arg of argv.slice(1)) {
    if (/^-[rRf]+$/.test(arg)) {
      if (/[rR]/.test(arg)) flags.recursive = true;
      if (arg.includes('f')) flags.force = true;
    } else {
      paths.push(arg);
    }
  }
  if (paths.length === 0 && !flags.force) {
    sys.stderr.write('rm: missing operand\n');
    return 1;
  }
  let status = 0;
  for (const path of paths) {
    try {
      await remove(path, flags);
    } catch (e) {
      if (flags.force && e && e.code === 'ENOENT') continue;
      sys.stderr.write(`rm: cannot remove '${path}': ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

// A directory's contents go first, then the directory itself.
async function remove(path, flags) {
  const st = await sys.fs.lstat(path);
  if (st.type === 'dir') {
    if (!flags.recursive) throw Object.assign(new Error(`${path}: Is a directory`), { code: 'EISDIR' });
    for (const entry of await sys.fs.readdir(path)) await remove(`${path.replace(/\/+$/, '')}/${entry.name}`, flags);
  }
  await sys.fs.unlink(path);
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'remove files or directories';
module.exports.options = { '-r': 'remove directories and their contents', '-f': 'ignore missing files' };
module.exports.usage = 'rm [-rf] FILE...';
