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
// REPL allows top-level await, or in parentheses, as Node tries `{ a: 1 }`);
// 'incomplete' if it only lacks its end, as Node's REPL decides (its
// "recoverable" errors): it compiles once what is open is closed (brackets,
// a template and its `${`, a comment, a string continued with a backslash)
// and, for an input that stops where more must follow (after an operator,
// `if (x)`, `a.`, `try {}`), once one more piece does; 'invalid' for any
// other syntax error. Compiling runs nothing. V8 wraps the body in a function
// of its own, so its messages ("Unexpected token '}'") cannot tell a missing
// end from a mistake: closing it ourselves can. `indent` is what the next
// line starts with.
const MORE = ['', ' 0', ' {}', ' x', ' catch {}', ' while (0)'];
function isCompleteJavaScript(code) {
  if (code.trim() === '' || compiles(code) || compiles(`(${code}\n)`)) return { status: 'complete', indent: '' };
  const closers = closersOf(code);
  if (closers === null) return { status: 'invalid', indent: '' };
  for (const more of MORE) {
    const whole = code + more + closers;
    if (compiles(whole) || compiles(`(${whole}\n)`)) return { status: 'incomplete', indent: indentAfter(code) };
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

// After these a '/' starts a regular expression, not a division (ECMA-262
// §12: the lexical goal follows the previous token).
const BEFORE_REGEX = /(?:^|[(,=:[!&|?{};+\-*%<>~^]|\b(?:return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await))\s*$/;
const PAIRS = { '(': ')', '[': ']', '{': '}' };

// What closes everything left open at the end of `code`, innermost first:
// brackets, a template (and the `${` expressions inside it, which may hold
// templates of their own), a block comment, a string whose line ends in a
// backslash. null if `code` has a mistake no ending can fix: a bracket that
// closes one it does not match, a string or regular expression cut by a
// newline.
function closersOf(code) {
  const open = []; // closers; '`' marks a template, '}`' (above it) a ${ expression in it
  let i = 0;
  const n = code.length;
  for (;;) {
    const inTemplate = open[open.length - 1] === '`';
    if (inTemplate) {
      // template text: until its end or the next ${
      for (; i < n; i++) {
        const c = code[i];
        if (c === '\\') i++;
        else if (c === '`') break;
        else if (c === '$' && code[i + 1] === '{') break;
      }
      if (i >= n) return closing(open);
      if (code[i] === '`') open.pop();
      else {
        open.push('}`');
        i++;
      }
      i++;
      continue;
    }
    if (i >= n) return closing(open);
    const c = code[i];
    if (c === '/' && code[i + 1] === '/') {
      while (i < n && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return '*/' + closing(open);
      i = end + 2;
    } else if (c === '"' || c === "'") {
      for (i++; i < n && code[i] !== c; i++) {
        if (code[i] === '\\') {
          if (i + 1 >= n) return '\n' + c + closing(open); // a line continued: more of the string follows
          i++;
        } else if (code[i] === '\n') return null; // a string cannot span lines
      }
      if (i >= n) return null; // an unterminated string is a mistake, as in Node
      i++;
    } else if (c === '`') {
      open.push('`');
      i++;
    } else if (c === '/' && BEFORE_REGEX.test(code.slice(0, i))) {
      let inClass = false;
      for (i++; i < n; i++) {
        const r = code[i];
        if (r === '\\') i++;
        else if (r === '\n') return null;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
      }
      if (i >= n) return null;
      i++;
    } else if (PAIRS[c]) {
      open.push(PAIRS[c]);
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      const top = open.pop(); // after a ${ expression's '}', the template's text goes on
      if (top !== c && !(top === '}`' && c === '}')) return null;
      i++;
    } else {
      i++;
    }
  }
}

// The closers of what is open, innermost first, after a newline (which ends a
// line comment the input may stop in).
function closing(open) {
  return '\n' + open
    .slice()
    .reverse()
    .map((c) => (c === '}`' ? '}' : c))
    .join('');
}

// The last line's indentation, two spaces deeper after an opening bracket.
function indentAfter(code) {
  const last = code.split('\n').pop();
  const indent = /^\s*/.exec(last)[0];
  return /[([{]\s*$/.test(last) ? indent + '  ' : indent;
}

module.exports = { completeJavaScript, isCompleteJavaScript, propertiesOf };
