// apps/yes.js: print a line (its arguments, or 'y') again and again until its
// reader goes away, as GNU yes does.
//
// Lines go out many at a time, each write awaited: yes runs at its reader's
// pace, and once the reader has gone (`yes | head -3`) the next write finds
// the pipe closed and yes ends (status 141, as SIGPIPE ends a Unix yes).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const WRITE_MIN = 1 << 14; // at least this many bytes a write

// The status of a program ended by SIGPIPE.
const STATUS_BROKEN_PIPE = 141;

module.exports = async function main(argv) {
  // yes takes no options: a word that looks like one is refused, as GNU's getopt
  // does, unless it comes after '--'.
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('yes', module.exports, parsed.error);
  const args = parsed.operands;
  const line = (args.length > 0 ? args.join(' ') : 'y') + '\n';
  const block = encode(line.repeat(Math.max(1, Math.ceil(WRITE_MIN / line.length))));
  for (;;) {
    try {
      await sys.stdout.write(block);
    } catch (e) {
      if (e && e.code === 'EPIPE') return STATUS_BROKEN_PIPE;
      if (!(e && e.code)) throw e;
      sys.stderr.write(`yes: standard output: ${reason(e)}\n`);
      return 1;
    }
  }
};

// A string's UTF-8 bytes.
function encode(text) {
  const binary = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// 'No space left on device' from '/tmp/f: No space left on device'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print a line again and again, until its reader goes away';
module.exports.options = {};
module.exports.usage = 'yes [STRING...]';
