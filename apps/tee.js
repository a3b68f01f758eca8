// apps/tee.js: copy standard input to standard output and to files (under
// /tmp): `dmesg | tee /tmp/boot.log`. -a appends instead of overwriting.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('tee', module.exports, parsed.error);
  const append = parsed.options.append;
  let files = parsed.operands;
  let status = 0;
  // Start each file empty (unless -a); drop those that cannot be written.
  const writable = [];
  for (const file of files) {
    try {
      if (!append) await sys.fs.writeFile(file, '');
      writable.push(file);
    } catch (e) {
      sys.stderr.write(`tee: ${file}: ${reason(e)}\n`);
      status = 1;
    }
  }
  files = writable;
  // As POSIX tee: a file that fails (a full /tmp: ENOSPC) is reported and
  // dropped; the copy to standard output and the other files goes on.
  let opened = [];
  for (const name of files) opened.push({ name, file: await sys.fs.open(name, 'a') });
  const fail = (entry, e) => {
    sys.stderr.write(`tee: ${entry.name}: ${reason(e)}\n`);
    status = 1;
    opened = opened.filter((o) => o !== entry);
  };
  for (let chunk = await sys.stdin.readBytes(); chunk !== null; chunk = await sys.stdin.readBytes()) {
    await sys.stdout.write(chunk);
    for (const entry of opened) {
      try {
        await entry.file.write(chunk);
      } catch (e) {
        if (!e || !e.code) throw e; // a bug, or the runtime ending the app (a broken pipe)
        fail(entry, e);
      }
    }
  }
  for (const entry of opened) {
    try {
      await entry.file.close();
    } catch (e) {
      if (!e || !e.code) throw e;
      fail(entry, e);
    }
  }
  return status;
};

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'copy standard input to standard output and files';
module.exports.options = { '-a, --append': 'append to the files' };
module.exports.usage = 'tee [-a] [FILE...]';
