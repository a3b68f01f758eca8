// fs/lib/worker/module-form.js (/lib/worker/module-form in the image): a
// worker's ES module source, turned into a classic script that mini-racer
// can evaluate (issue 14).
//
// Workers are written as modules (`export default { async fetch(request,
// env, ctx) {...} }`), but mini-racer evaluates classic scripts only: V8's
// module loading needs a host that resolves imports, which it does not have.
// A worker is one file (wrangler bundles a project into one module before it
// uploads it), so its exports are the only module syntax that matters; an
// `import` is refused with a clear error. The transform is textual and
// keeps every line where it was (so a stack trace's line numbers are the
// source's):
//
//   export default EXPR                  __exports.default = EXPR
//   export default function f() {}       __exports.default = function f() {}
//   export default class C {}            __exports.default = class C {}
//   export const a = 1, b = 2            const a = 1, b = 2   (+ __exports.a = a ... at the end)
//   export function f() {} / class C {}  function f() {}      (+ __exports.f = f at the end)
//   export { a, b as c }                 (removed)            (+ __exports.c = b at the end)
//
// and the whole is wrapped as `(function (__exports) { 'use strict'; ...;
// return __exports; })({})`, an expression whose value is the module's
// namespace. ES modules are strict: so is the wrapped code.
//
// To find `export` and `import` only where they are keywords at the start of
// a top-level statement, a small scanner walks the source skipping comments,
// strings, template literals (with their ${} nesting) and regular
// expression literals (told from division by the token before, as
// tokenizers do without a full parse), and tracks brace depth.
'use strict';

class ModuleFormError extends SyntaxError {
  constructor(message, line) {
    super(`${message} (line ${line})`);
    this.name = 'SyntaxError';
    this.line = line;
  }
}

const IDENT = /[A-Za-z_$][\w$]*/y;
// After these a `/` starts a regular expression, not a division.
const REGEX_AFTER_WORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

// Positions of the top-level statement keywords `export` and `import`
// (with their line numbers), found by scanning `src` as a tokenizer would.
function topLevelKeywords(src) {
  const found = [];
  let depth = 0; // { } nesting, counting template ${ } as braces
  const templateDepths = []; // brace depth at which each open template's ${ began
  let line = 1;
  let last = ''; // the previous significant token: a punctuator, or 'word' / 'value'
  let lastWord = '';
  let i = 0;
  const n = src.length;
  let newline = false; // a line ended since the previous token (where ASI may end a statement)
  // `export` can begin a statement after ; { } or a line break (it is a
  // reserved word: no expression goes on with it), never after a dot.
  const atStatementStart = () => last !== '.' && (last === '' || last === ';' || last === '}' || last === '{' || newline);
  while (i < n) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
      newline = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n && src[i] !== c) {
        if (src[i] === '\\') i++;
        else if (src[i] === '\n') throw new ModuleFormError('unterminated string', line);
        i++;
      }
      i++;
      last = 'value';
      newline = false;
      continue;
    }
    if (c === '`' || (c === '}' && templateDepths.length && templateDepths[templateDepths.length - 1] === depth)) {
      // A template literal, or its continuation after a ${ } closes.
      if (c === '}') templateDepths.pop();
      i++;
      for (;;) {
        if (i >= n) throw new ModuleFormError('unterminated template literal', line);
        const t = src[i];
        if (t === '\\') {
          i += 2;
          continue;
        }
        if (t === '\n') line++;
        if (t === '`') {
          i++;
          last = 'value';
          newline = false;
          break;
        }
        if (t === '$' && src[i + 1] === '{') {
          i += 2;
          templateDepths.push(depth);
          last = '{';
          break;
        }
        i++;
      }
      continue;
    }
    if (c === '/') {
      const regex = !(last === 'value' || last === ')' || last === ']' || last === '}' || (last === 'word' && !REGEX_AFTER_WORDS.has(lastWord)));
      if (regex) {
        i++;
        let inClass = false;
        while (i < n) {
          const r = src[i];
          if (r === '\\') {
            i += 2;
            continue;
          }
          if (r === '\n') throw new ModuleFormError('unterminated regular expression', line);
          if (r === '[') inClass = true;
          else if (r === ']') inClass = false;
          else if (r === '/' && !inClass) break;
          i++;
        }
        i++;
        IDENT.lastIndex = i; // flags
        if (IDENT.exec(src)) i = IDENT.lastIndex;
        last = 'value';
        newline = false;
        continue;
      }
      i++;
      last = '/';
      newline = false;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(src);
    if (m) {
      const word = m[0];
      // `import(`, `import.meta` and a property named export are not statements.
      const next = src.slice(IDENT.lastIndex).match(/^\s*(\S)/);
      const follower = next ? next[1] : '';
      if (depth === 0 && (word === 'export' || word === 'import') && atStatementStart() && follower !== '(' && follower !== '.' && follower !== ':') {
        found.push({ word, at: i, line });
      }
      i = IDENT.lastIndex;
      last = 'word';
      lastWord = word;
      newline = false;
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < n && /[\w.]/.test(src[i])) i++;
      last = 'value';
      newline = false;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    last = c;
    newline = false;
    i++;
  }
  return found;
}

// The source as a classic script whose value is the module's namespace:
// { default, ...named exports }.
function toClassicScript(src) {
  const text = String(src);
  const keywords = topLevelKeywords(text);
  const tail = []; // assignments that go after the body, for named exports
  let out = '';
  let from = 0;
  for (const { word, at, line } of keywords) {
    if (word === 'import') throw new ModuleFormError('import is not supported: a worker is one file (bundle it first, as wrangler does)', line);
    out += text.slice(from, at);
    let rest = at + 'export'.length;
    const after = text.slice(rest);
    let m;
    if ((m = /^\s+default\s+(?=(async\s+)?function\b|class\b)/.exec(after))) {
      out += `__exports.default =${' '.repeat(m[0].length - m[0].trimStart().length)}`;
      rest += m[0].length;
    } else if ((m = /^\s+default\b/.exec(after))) {
      out += '__exports.default =';
      rest += m[0].length;
    } else if ((m = /^(\s+)((?:async\s+)?function\s*\*?\s*|class\s+)([A-Za-z_$][\w$]*)/.exec(after))) {
      out += m[1].slice(1);
      rest += m[1].length;
      tail.push([m[3], m[3]]);
    } else if ((m = /^(\s+)(const|let|var)\s+/.exec(after))) {
      out += m[1].slice(1);
      rest += m[1].length;
      for (const name of declaredNames(text, rest + m[0].length - m[1].length, line)) tail.push([name, name]);
    } else if ((m = /^\s*\{([^}]*)\}\s*;?/.exec(after))) {
      for (const spec of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
        const parts = spec.split(/\s+as\s+/);
        if (parts.length > 2 || !parts.every((p) => /^[A-Za-z_$][\w$]*$/.test(p))) throw new ModuleFormError(`cannot export '${spec}'`, line);
        tail.push([parts[parts.length - 1], parts[0]]);
      }
      rest += m[0].length;
    } else if (/^\s*\*/.test(after)) {
      throw new ModuleFormError('export * from another module is not supported: a worker is one file', line);
    } else {
      throw new ModuleFormError('cannot read this export', line);
    }
    from = rest;
  }
  out += text.slice(from);
  const assignments = tail.map(([exported, local]) => `__exports[${JSON.stringify(exported)}] = ${local};`).join(' ');
  return `(function (__exports) { 'use strict'; ${out}\n;${assignments} return __exports; })({})`;
}

// The names a `const a = 1, b = f(x, y)` declares, from just after the
// keyword to the end of the statement: top-level commas only, simple names
// only (a destructuring pattern is refused with its line).
function declaredNames(src, from, line) {
  const names = [];
  let depth = 0;
  let expectName = true;
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (expectName) {
      const m = /^\s*([A-Za-z_$][\w$]*)/.exec(src.slice(i, i + 200));
      if (!m) throw new ModuleFormError('export of a destructuring pattern is not supported: export the names one by one', line);
      names.push(m[1]);
      i += m[0].length;
      expectName = false;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      // Skip a string inside an initializer (templates without ${ } nesting).
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && c === ',') expectName = true;
    else if (depth === 0 && (c === ';' || c === '\n')) {
      if (c === ';') break;
      // A newline ends the statement unless the line plainly goes on (ASI, roughly).
      const rest = src.slice(i + 1).match(/^\s*(\S)/);
      const prev = src.slice(from, i).trimEnd().slice(-1);
      if (!rest || (!'.,+-*/=?:&|([{'.includes(rest[1]) && !',=+-*/?:&|(['.includes(prev))) break;
    }
    i++;
  }
  return names;
}

module.exports = { toClassicScript, topLevelKeywords, ModuleFormError };
