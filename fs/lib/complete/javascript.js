// fs/lib/complete/javascript.js: completion and "is this input complete?"
// for JavaScript, answered from inside the isolate that will run the code.
//
// The REPL client asks the guest (docs/protocol.md): `eval Math.` at the
// shell prompt is answered by the session shell's isolate, and input typed
// into the eval REPL by the eval app's own isolate, so names the user has
// defined there complete too. Like Node's REPL, completing `a.b.c.x` looks up
// the chain a.b.c (identifiers only: nothing is called but getters) and lists
// the properties of what it finds, its prototypes' included.
'use strict';

const KEYWORDS = [
  'async', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'let',
  'new', 'null', 'return', 'static', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'undefined',
  'var', 'void', 'while', 'with', 'yield',
];
const MAX_ITEMS = 500;

// Completions at `cursor` in `code`: {start, end, items: [{text, kind}]}, where
// start..end is the partial name the items replace. `names` are extra global
// names (declarations the caller has seen).
function completeJavaScript(code, cursor = code.length, names = []) {
  const before = code.slice(0, cursor);
  const member = /([A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*)\s*\??\.\s*([A-Za-z_$][\w$]*)?$/.exec(before);
  if (member && !precededByDigitOrQuote(before, member.index)) {
    const partial = member[2] || '';
    const start = cursor - partial.length;
    const target = lookupChain(member[1].split(/\s*\??\.\s*/));
    if (target === undefined || target === null) return { start, end: cursor, items: [] };
    return { start, end: cursor, items: matching(propertiesOf(target), partial, 'property') };
  }
  const word = /[A-Za-z_$][\w$]*$/.exec(before);
  const partial = word ? word[0] : '';
  const start = cursor - partial.length;
  // After a dot that is not a chain of names (1., 'a'.), or inside a word: nothing.
  if (start > 0 && /[\w$'"`.]/.test(before[start - 1])) return { start, end: cursor, items: [] };
  const globals = new Set([...Object.getOwnPropertyNames(globalThis), ...names]);
  for (const hidden of ['__sys', '__sysPage', '__wake']) globals.delete(hidden);
  const items = [...matching([...globals], partial, 'global'), ...matching(KEYWORDS, partial, 'keyword')];
  return { start, end: cursor, items: items.slice(0, MAX_ITEMS) };
}

// `1.` and `'a'.` are a number and a string, not a chain of names.
function precededByDigitOrQuote(text, index) {
  return index > 0 && /[\d'"`\]\)]/.test(text[index - 1]);
}

// globalThis.a.b.c, or undefined if any link is missing or throws.
function lookupChain(path) {
  let value;
  try {
    value = path[0] in globalThis ? globalThis[path[0]] : (0, eval)(path[0]); // a `let` at top level is not on globalThis
    for (const name of path.slice(1)) {
      if (value === undefined || value === null) return undefined;
      value = value[name];
    }
  } catch (e) {
    return undefined;
  }
  return value;
}

// Own property names first, then each prototype's, each name once.
function propertiesOf(value) {
  const seen = new Set();
  const names = [];
  let obj = typeof value === 'object' || typeof value === 'function' ? value : Object(value);
  for (let depth = 0; obj && depth < 20; depth++, obj = Object.getPrototypeOf(obj)) {
    for (const name of Object.getOwnPropertyNames(obj)) {
      if (!seen.has(name) && /^[A-Za-z_$][\w$]*$/.test(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  return names;
}

function matching(names, partial, kind) {
  const out = [];
  for (const name of names) {
    if (name.startsWith(partial) && !(partial === '' && name.startsWith('_'))) out.push({ text: name, kind });
    if (out.length >= MAX_ITEMS) break;
  }
  return out.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
}

// ---- is the input complete? ---------------------------------------------------------
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

// 'complete' if `code` compiles (as the body of an async function, since the
// REPL allows top-level await); 'incomplete' if it only lacks its end: it
// compiles once its open brackets, template or comment are closed (or, for a
// line ending in an operator or `if (x)`, once one more operand follows);
// 'invalid' for any other syntax error. Compiling runs nothing. V8 wraps the
// body in a function of its own, so its messages ("Unexpected token '}'")
// cannot tell a missing end from a mistake: closing it ourselves can.
// `indent` is what the next line starts with.
function isCompleteJavaScript(code) {
  if (code.trim() === '' || compiles(code) || compiles(`(${code}\n)`)) return { status: 'complete', indent: '' };
  const closers = closersOf(code);
  if (closers === null) return { status: 'invalid', indent: '' };
  for (const ending of [closers, ` 0${closers}`, ` {}${closers}`]) {
    if (compiles(code + ending)) return { status: 'incomplete', indent: indentAfter(code) };
  }
  return { status: 'invalid', indent: '' };
}

function compiles(body) {
  try {
    new AsyncFunction(body);
    return true;
  } catch (e) {
    return false;
  }
}

// What closes every bracket, template and comment left open, innermost
// first; null if a bracket closes one it does not match.
function closersOf(code) {
  const open = [];
  const PAIRS = { '(': ')', '[': ']', '{': '}' };
  let quote = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      else if (c === '\n' && quote !== '`') return null; // a string cannot span lines
    } else if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return '*/' + open.reverse().join('');
      i = end + 1;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (PAIRS[c]) {
      open.push(PAIRS[c]);
    } else if (c === ')' || c === ']' || c === '}') {
      if (open.pop() !== c) return null;
    }
  }
  if (quote === '`') return '`' + open.reverse().join('');
  if (quote) return null; // an unterminated string is a mistake, as in Node
  return '\n' + open.reverse().join('');
}

// The last line's indentation, two spaces deeper after an opening bracket.
function indentAfter(code) {
  const last = code.split('\n').pop();
  const indent = /^\s*/.exec(last)[0];
  return /[([{]\s*$/.test(last) ? indent + '  ' : indent;
}

module.exports = { completeJavaScript, isCompleteJavaScript, propertiesOf };
