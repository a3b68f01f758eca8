// apps/echo.js: print the arguments, separated by spaces, and a newline.
// -n leaves out the newline; -e understands backslash escapes (\n, \t, \e,
// \x41, \0101, and \c, which stops the output), as bash's echo does.
'use strict';

module.exports = async function main(argv) {
  const args = argv.slice(1);
  let newline = true;
  let escapes = false;
  // Leading words made only of n, e and E letters are flags; anything else is text.
  while (args.length > 0 && /^-[neE]+$/.test(args[0])) {
    for (const letter of args.shift().slice(1)) {
      if (letter === 'n') newline = false;
      else escapes = letter === 'e'; // -E turns escapes off again
    }
  }
  let text = args.join(' ');
  if (escapes) {
    const result = unescape(text);
    text = result.text;
    if (result.stop) newline = false;
  }
  sys.stdout.write(newline ? text + '\n' : text);
  return 0;
};

const SIMPLE = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

// Expand backslash escapes; \c ends the output there (and drops the newline).
function unescape(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\' || i + 1 >= text.length) {
      out += text[i];
      continue;
    }
    const c = text[++i];
    if (c === 'c') return { text: out, stop: true };
    if (c in SIMPLE) {
      out += SIMPLE[c];
    } else if (c === 'x' && /[0-9a-fA-F]/.test(text[i + 1] || '')) {
      const hex = text.slice(i + 1).match(/^[0-9a-fA-F]{1,2}/)[0];
      out += String.fromCharCode(parseInt(hex, 16));
      i += hex.length;
    } else if (c === '0') {
      const octal = text.slice(i + 1).match(/^[0-7]{0,3}/)[0];
      out += String.fromCharCode(parseInt(octal || '0', 8) & 0xff);
      i += octal.length;
    } else {
      out += '\\' + c; // not an escape: keep it as written
    }
  }
  return { text: out, stop: false };
}

module.exports.description = 'print arguments';
module.exports.options = { '-n': 'no trailing newline', '-e': 'interpret backslash escapes' };
module.exports.usage = 'echo [-neE] [STRING...]';
