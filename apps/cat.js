// apps/cat.js: copy files, or standard input, to standard output.
// With no arguments, or for an argument '-', cat reads standard input until
// its end (Ctrl-D on the terminal).
'use strict';

module.exports = async function main(argv) {
  const names = argv.length > 1 ? argv.slice(1) : ['-'];
  let status = 0;
  for (const name of names) {
    try {
      if (name === '-') await copyStdin();
      else sys.stdout.write(await sys.fs.readFile(name));
    } catch (e) {
      sys.stderr.write(`cat: ${name}: ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

async function copyStdin() {
  for (let chunk = await sys.stdin.read(); chunk !== null; chunk = await sys.stdin.read()) {
    sys.stdout.write(chunk);
  }
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print files or standard input';
module.exports.options = {};
