// fs/lib/echo.js (/lib/echo in the image): what echo prints for its
// arguments. The program (apps/echo.js, /bin/echo.js) and the shell's builtin
// echo (/lib/shell/builtins) both call echoText, so `echo` and `/bin/echo.js`
// cannot differ; the builtin starts no isolate, which is what a loop of
// `echo $f` wants.
//
// It is bash's echo: leading words made only of the letters n, e and E are
// flags (-n: no newline at the end; -e: backslash escapes; -E: none, the
// default), and every other word, from the first that is not a flag, is
// text, joined with spaces. dash's echo takes only -n and always expands
// escapes: docs/shell.md lists that difference.
'use strict';

// The escapes -e understands besides \0NNN, \xHH and \c.
const SIMPLE = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

// The text echo writes for `args` (argv without the command's name).
function echoText(args) {
  let first = 0;
  let newline = true;
  let escapes = false;
  for (; first < args.length && /^-[neE]+$/.test(args[first]); first++) {
    for (const letter of args[first].slice(1)) {
      if (letter === 'n') newline = false;
      else escapes = letter === 'e'; // -E turns escapes off again
    }
  }
  let text = args.slice(first).join(' ');
  if (escapes) {
    const result = unescape(text);
    text = result.text;
    if (result.stop) newline = false;
  }
  return newline ? text + '\n' : text;
}

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

module.exports = { echoText };
