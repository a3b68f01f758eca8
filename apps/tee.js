// apps/tee.js: copy standard input to standard output and to files (under
// /tmp): `dmesg | tee /tmp/boot.log`. -a appends instead of overwriting.
'use strict';

module.exports = async function main(argv) {
  const append = argv.includes('-a');
  let files = argv.slice(1).filter((a) => a !== '-a');
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
  const opened = [];
  for (const file of files) opened.push(await sys.fs.open(file, 'a'));
  for (let chunk = await sys.stdin.readBytes(); chunk !== null; chunk = await sys.stdin.readBytes()) {
    await sys.stdout.write(chunk);
    for (const file of opened) await file.write(chunk);
  }
  for (const file of opened) await file.close();
  return status;
};

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'copy standard input to standard output and files';
module.exports.options = { '-a': 'append to the files' };
