// apps/wc.js: count lines, words and bytes (UTF-8) of files or standard input.
// -l, -w, -c choose the counts; with several files a total line follows.
'use strict';

const ORDER = ['l', 'w', 'c']; // lines, words, bytes: always printed in this order

module.exports = async function main(argv) {
  const chosen = new Set();
  const names = [];
  for (const arg of argv.slice(1)) {
    if (/^-[lwc]+$/.test(arg)) for (const letter of arg.slice(1)) chosen.add(letter);
    else if (arg.startsWith('-') && arg !== '-') return usage(arg);
    else names.push(arg);
  }
  const show = chosen.size > 0 ? ORDER.filter((l) => chosen.has(l)) : ORDER;
  const inputs = names.length > 0 ? names : ['-'];

  let status = 0;
  const results = [];
  for (const name of inputs) {
    try {
      const text = name === '-' ? await readStdin() : await sys.fs.readFile(name);
      results.push({ name: names.length > 0 ? name : '', ...count(text) });
    } catch (e) {
      sys.stderr.write(`wc: ${name}: ${reason(e)}\n`);
      status = 1;
    }
  }
  if (results.length > 1) {
    const total = { name: 'total', l: 0, w: 0, c: 0 };
    for (const r of results) ORDER.forEach((l) => (total[l] += r[l]));
    results.push(total);
  }
  // Right-align the numbers in columns as wide as the widest number.
  const single = show.length === 1 && results.length === 1;
  const width = single ? 0 : Math.max(...results.flatMap((r) => show.map((l) => String(r[l]).length)));
  for (const r of results) {
    const numbers = show.map((l) => String(r[l]).padStart(width)).join(' ');
    sys.stdout.write(r.name ? `${numbers} ${r.name}\n` : `${numbers}\n`);
  }
  return status;
};

function count(text) {
  const lines = (text.match(/\n/g) || []).length;
  const words = (text.match(/\S+/g) || []).length;
  return { l: lines, w: words, c: utf8Length(text) };
}

// Bytes in UTF-8 (there is no TextEncoder here): 1 to 4 per code point.
function utf8Length(text) {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0);
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

async function readStdin() {
  let text = '';
  for (let chunk = await sys.stdin.read(); chunk !== null; chunk = await sys.stdin.read()) text += chunk;
  return text;
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

function usage(arg) {
  sys.stderr.write(`wc: invalid option '${arg}'\nusage: wc [-lwc] [FILE...]\n`);
  return 1;
}

module.exports.description = 'count lines, words and bytes';
module.exports.options = { '-l': 'lines', '-w': 'words', '-c': 'bytes' };
