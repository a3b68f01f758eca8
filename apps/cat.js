// apps/cat.js: copy files, or standard input, to standard output, as bytes.
// With no arguments, or for an argument '-', cat reads standard input until
// its end (Ctrl-D on the terminal).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  // cat has no options of its own (GNU's -n, -A... are not here): '-x' is refused, '--' ends them.
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('cat', module.exports, parsed.error);
  const names = parsed.operands.length > 0 ? parsed.operands : ['-'];
  let status = 0;
  for (const name of names) {
    try {
      if (name === '-') await copy(sys.stdin.readBytes);
      else await copyFile(name);
    } catch (e) {
      // Only the kernel's errors (with a code) are cat's to report: the runtime's
      // end of the app (its reader went away, SIGPIPE's quiet 141) goes on up.
      if (!(e && e.code)) throw e;
      if (e.writeError) {
        // Output is gone (a full /tmp): like GNU cat, say so once and stop.
        sys.stderr.write(`cat: write error: ${reason(e)}\n`);
        return 1;
      }
      sys.stderr.write(`cat: ${name}: ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

// Bytes as they come, each write awaited: cat goes at the pace of whoever
// reads its output, however much there is.
async function copy(read) {
  for (let chunk = await read(); chunk !== null; chunk = await read()) {
    try {
      await sys.stdout.write(chunk);
    } catch (e) {
      if (e && e.code) e.writeError = true;
      throw e;
    }
  }
}

async function copyFile(name) {
  const file = await sys.fs.open(name, 'r');
  try {
    await copy((max) => file.read(max));
  } finally {
    await file.close();
  }
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print files or standard input';
module.exports.options = {};
module.exports.usage = 'cat [FILE...]';
