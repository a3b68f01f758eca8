// apps/head.js: print the first lines (10 unless -n N or -N) of files or of
// standard input, or with -c N the first N bytes. From standard input it
// stops reading once it has enough.
//
// -c copies bytes as they are (readBytes, fs.open), never decoding them, and
// awaits each write (back-pressure). Having its N bytes it returns without
// reading further: exiting closes standard input, so a writer upstream gets
// a broken pipe, as in Unix. N takes GNU's suffixes (/lib/size-suffix):
// b = 512, K, M, G = powers of 1024, kB, MB, GB = powers of 1000.
'use strict';

const { parseSize } = require('/lib/size-suffix');
const { parseOptions, usageError } = require('/lib/options');

const READ_MAX = 1 << 20; // -c: the most bytes one read asks for

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports, { countOption: 'lines' });
  if (parsed.error) return usageError('head', module.exports, parsed.error, 1);
  const files = parsed.operands;
  let count = 10;
  let bytes = null; // -c N: the byte count (the last of -n and -c wins)
  for (const [name, value] of parsed.given) {
    if (name === 'lines') {
      count = parseCount(value);
      bytes = null;
      if (Number.isNaN(count)) {
        sys.stderr.write('head: invalid number of lines\n');
        return 1;
      }
    } else {
      bytes = parseSize(value);
      if (Number.isNaN(bytes)) {
        sys.stderr.write(`head: invalid number of bytes: '${value}'\n`);
        return 1;
      }
    }
  }
  if (files.length === 0) files.push('-');
  if (bytes !== null) return headBytes(files, bytes);

  let status = 0;
  for (const [i, file] of files.entries()) {
    if (files.length > 1) sys.stdout.write(header(file, i));
    try {
      sys.stdout.write(file === '-' ? await stdinHead(count) : firstLines(await sys.fs.readFile(file), count));
    } catch (e) {
      sys.stderr.write(`head: cannot open '${file}' for reading: ${reason(e)}\n`);
      status = 1;
    }
  }
  return status;
};

const parseCount = (text) => (/^\d+$/.test(text || '') ? Number(text) : NaN);

const header = (file, i) => `${i > 0 ? '\n' : ''}==> ${file === '-' ? 'standard input' : file} <==\n`;

// The text up to and including the count-th newline.
function firstLines(text, count) {
  let end = 0;
  for (let n = 0; n < count; n++) {
    const newline = text.indexOf('\n', end);
    if (newline === -1) return text;
    end = newline + 1;
  }
  return text.slice(0, end);
}

async function stdinHead(count) {
  let text = '';
  while ((text.match(/\n/g) || []).length < count) {
    const chunk = await sys.stdin.read();
    if (chunk === null) break;
    text += chunk;
  }
  return firstLines(text, count);
}

// head -c: the first `count` bytes of each file. Errors are GNU's: the
// file cannot be opened, a read fails, or standard output fails. Only
// kernel errors (those with a code) are reported; anything else goes on.
async function headBytes(files, count) {
  let status = 0;
  let headers = 0; // as GNU: a header once the file is open, a blank line before all but the first
  for (const file of files) {
    try {
      let input;
      try {
        input = file === '-' ? { read: (max) => sys.stdin.readBytes(max), close: async () => {} } : await sys.fs.open(file, 'r');
      } catch (e) {
        if (!(e && e.code)) throw e;
        await sys.stderr.write(`head: cannot open '${file}' for reading: ${reason(e)}\n`);
        status = 1;
        continue;
      }
      try {
        if (files.length > 1) await output(header(file, headers++));
        await copyBytes(input, count);
      } finally {
        await input.close();
      }
    } catch (e) {
      if (!(e && e.code)) throw e;
      if (!e.writing) {
        await sys.stderr.write(`head: error reading '${file}': ${reason(e)}\n`);
        status = 1;
        continue;
      }
      if (e.code === 'EPIPE') return 141; // the reader is gone: quietly, as SIGPIPE ends a Unix head
      await sys.stderr.write(`head: error writing 'standard output': ${reason(e)}\n`);
      return 1;
    }
  }
  return status;
}

// Copies up to `count` bytes from input to standard output; reads no more
// than it needs.
async function copyBytes(input, count) {
  let left = count;
  while (left > 0) {
    const chunk = await input.read(Math.min(left, READ_MAX));
    if (chunk === null) break;
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    await output(part);
    left -= part.length;
  }
}

// Writes to standard output and waits until the kernel has the bytes; a
// failure is marked as a write's, not a read's.
async function output(data) {
  try {
    await sys.stdout.write(data);
  } catch (e) {
    if (e && e.code) e.writing = true;
    throw e;
  }
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print the first lines, or bytes, of files';
module.exports.options = {
  '-n, --lines=N': 'print the first N lines (default 10; -N is the same)',
  '-c, --bytes=N': 'print the first N bytes (K, M, G: powers of 1024)',
};
module.exports.usage = 'head [-n N] [-c N] [FILE...]';
