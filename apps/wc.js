// apps/wc.js: count lines, words and bytes of files or standard input, as a byte stream.
// -l, -w, -c choose the counts; with several files a total line follows.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const ORDER = ['l', 'w', 'c']; // lines, words, bytes: always printed in this order

// The counts, by the options that choose them.
const CHOSEN_BY = { l: 'lines', w: 'words', c: 'bytes' };

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('wc', module.exports, parsed.error, 1);
  const { options, operands: names } = parsed;
  const chosen = ORDER.filter((l) => options[CHOSEN_BY[l]]);
  const show = chosen.length > 0 ? chosen : ORDER;
  const inputs = names.length > 0 ? names : ['-'];

  let status = 0;
  const results = [];
  for (const name of inputs) {
    try {
      const counts = name === '-' ? await countStream(sys.stdin.readBytes, show) : await countFile(name, show);
      results.push({ name: names.length > 0 ? name : '', ...counts });
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

// Counts a byte stream as it arrives: bytes, newlines, and words (runs of
// bytes that are not ASCII white space, as wc does in the C locale).
// Only what was asked for is scanned: `wc -c` looks at no byte.
async function countStream(read, show) {
  const counts = { l: 0, w: 0, c: 0 };
  const words = show.includes('w');
  const lines = show.includes('l');
  let inWord = false;
  for (let chunk = await read(); chunk !== null; chunk = await read()) {
    counts.c += chunk.length;
    if (lines) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) counts.l++;
    if (words) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        const space = b === 32 || (b >= 9 && b <= 13);
        if (!space && !inWord) counts.w++;
        inWord = !space;
      }
    }
  }
  return counts;
}

async function countFile(name, show) {
  const file = await sys.fs.open(name, 'r');
  try {
    return await countStream((max) => file.read(max), show);
  } finally {
    await file.close();
  }
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'count lines, words and bytes';
module.exports.options = { '-l, --lines': 'lines', '-w, --words': 'words', '-c, --bytes': 'bytes' };
module.exports.usage = 'wc [-lwc] [FILE...]';
