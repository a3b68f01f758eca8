// apps/head.js: print the first lines (10 unless -n N or -N) of files or of
// standard input. From standard input it stops reading once it has enough.
'use strict';

module.exports = async function main(argv) {
  let count = 10;
  const files = [];
  const args = argv.slice(1);
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '-n') {
      count = parseCount(args.shift());
    } else if (/^-n\d+$/.test(arg) || /^-\d+$/.test(arg)) {
      count = parseCount(arg.replace(/^-n?/, ''));
    } else if (arg.startsWith('-') && arg !== '-') {
      sys.stderr.write(`head: invalid option '${arg}'\nusage: head [-n N] [FILE...]\n`);
      return 1;
    } else {
      files.push(arg);
    }
    if (Number.isNaN(count)) {
      sys.stderr.write('head: invalid number of lines\n');
      return 1;
    }
  }
  if (files.length === 0) files.push('-');

  let status = 0;
  for (const [i, file] of files.entries()) {
    if (files.length > 1) sys.stdout.write(`${i > 0 ? '\n' : ''}==> ${file === '-' ? 'standard input' : file} <==\n`);
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

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print the first lines of files';
module.exports.options = { '-n': 'number of lines (default 10)' };
