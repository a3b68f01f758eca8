// fs/lib/shell/expand.js (/lib/shell/expand in the image): word expansion,
// done when a command runs (POSIX.1-2017 XCU §2.6).
//
// A word (/lib/shell/parse) becomes segments of text, each marked with
// where it came from: `quoted` text is literal for globbing, `split` text
// (an unquoted expansion's result) is cut into fields at $IFS. Then
// §2.6.5 field splitting, §2.6.6 pathname expansion and §2.6.7 quote
// removal turn the segments into arguments. The order is POSIX's: tilde,
// parameters, command substitution and arithmetic left to right, then
// splitting, then globbing.
//
// The shell is passed in as `sh`; this file uses only: sh.valueOf(name),
// sh.positionalArgs(), sh.setVariable(name, value), sh.options.nounset,
// sh.arithmeticVariables (/lib/shell/arith's vars), sh.substitute(list) ->
// text (runs $(...)), sh.cwd and sh.sys.fs.{readdir, stat}.
//
// The functions here are maybe-async (/lib/shell/maybe-async): a word
// without $(...) whose fields need no globbing expands without waiting, and
// the result is then a value, not a promise. What never changes is worked out
// once per word and kept on its node (compiled()).
'use strict';

const { evaluate, ArithmeticError } = require('/lib/shell/arith');
const { isPromise, then } = require('/lib/shell/maybe-async');

// An expansion that cannot be done (${X:?}, set -u, $((1/0))): the command
// is not run. `fatal`: a non-interactive shell exits (POSIX §2.8.1).
class ExpansionError extends Error {
  constructor(message, { fatal = false, status = 1 } = {}) {
    super(message);
    this.fatal = fatal;
    this.status = status;
  }
}

const DEFAULT_IFS = ' \t\n';

function ifsOf(sh) {
  const v = sh.valueOf('IFS');
  return v === undefined ? DEFAULT_IFS : v;
}

// ---------------------------------------------------------------------------
// What a word's node keeps about itself (the parse tree does not change once
// made): under a Symbol key, so JSON.stringify (the tree sent to a child
// shell) leaves it out. For a word that is only text (no expansion): text,
// what it expands to as one string; literal, its one field when there is
// nothing to glob (`-lt`, `]`, `'a b'`), else null; chars, its characters
// as a pattern; regex, that pattern made when first used (case patterns,
// ${X%.txt}). All null for other words. For a word that is one parameter
// ($i, "$x", ${name}; not $@ or $*): parameter, its name, and quoted. For a
// word that is one $((...)) of literal text ($((i+1))): arith, that text.
const COMPILED = Symbol('compiled');

function compiled(word) {
  let c = word[COMPILED];
  if (c === undefined) {
    c = { text: null, literal: null, chars: null, regex: null, parameter: null, quoted: false, arith: null };
    const only = word.parts[0];
    if (word.parts.length === 1 && only.type === 'param' && !only.op && only.name !== '@' && only.name !== '*') {
      c.parameter = only.name;
      c.quoted = Boolean(only.quoted);
    }
    if (word.parts.length === 1 && only.type === 'arith') c.arith = compiled(only.expr).text;
    if (word.parts.every((part) => part.type === 'text')) {
      const chars = [];
      for (const part of word.parts) for (const ch of part.value) chars.push({ c: ch, quoted: Boolean(part.quoted) });
      c.text = chars.map((x) => x.c).join('');
      c.chars = chars;
      // An unquoted empty word gives no field (splitFields); a pattern must be globbed.
      const fieldless = chars.length === 0 && !word.parts.some((part) => part.quoted);
      if (!fieldless && !hasMagic(chars)) c.literal = c.text;
    }
    word[COMPILED] = c;
  }
  return c;
}

// ---------------------------------------------------------------------------
// Segments: {text, quoted, split} or {fieldBreak: true} ("$@" between two
// parameters). `inQuotes`: the word is inside "..." (a ${X:-word} in quotes).

function segmentsOf(word, sh, inQuotes = false) {
  return segmentsFrom(word, sh, inQuotes, 0, []);
}

// The segments of word.parts[k...] added to `out`; after a part that had to
// wait ($(...)), the rest go on from its promise.
function segmentsFrom(word, sh, inQuotes, k, out) {
  const { parts } = word;
  for (; k < parts.length; k++) {
    const part = parts[k];
    const quoted = inQuotes || Boolean(part.quoted);
    let got;
    if (part.type === 'text') out.push({ text: part.value, quoted, split: false });
    else if (part.type === 'tilde') out.push({ text: sh.valueOf('HOME') || '/', quoted: true, split: false });
    else if (part.type === 'command') got = segmentsAfter(sh.substitute(part.list), quoted);
    else if (part.type === 'arith') {
      const text = arithmetic(part, sh);
      if (isPromise(text)) got = segmentsAfter(text, quoted);
      else out.push({ text, quoted, split: !quoted });
    } else if (part.type === 'param') got = paramSegments(part, sh, quoted);
    if (got === undefined) continue;
    if (isPromise(got)) return segmentsFromAfter(got, word, sh, inQuotes, k + 1, out);
    for (const seg of got) out.push(seg);
  }
  return out;
}

// (The promise's continuations are functions of their own: a function that
// makes a closure pays for its context at every call, also when it does not
// make it: /lib/shell/maybe-async.)
function segmentsFromAfter(got, word, sh, inQuotes, next, out) {
  return got.then((segments) => {
    for (const seg of segments) out.push(seg);
    return segmentsFrom(word, sh, inQuotes, next, out);
  });
}

// The segments of a text that had to wait for.
function segmentsAfter(promise, quoted) {
  return promise.then((text) => textSegments(text, quoted));
}

// The text of an expansion's result, as the segments of a word.
function textSegments(text, quoted) {
  return [{ text, quoted, split: !quoted }];
}

function arithmetic(part, sh) {
  const text = expandWord(part.expr, sh);
  if (isPromise(text)) return calculateAfter(text, sh);
  return calculate(text, sh);
}

function calculateAfter(text, sh) {
  return text.then((t) => calculate(t, sh));
}

function calculate(text, sh) {
  try {
    return String(evaluate(text, sh.arithmeticVariables));
  } catch (e) {
    if (e instanceof ArithmeticError) throw new ExpansionError(`sh: ${e.message}`, { fatal: true, status: 2 });
    throw e;
  }
}

// $@ and $* give one segment per positional parameter.
function positionalSegments(name, sh, quoted) {
  const args = sh.positionalArgs();
  if (quoted && name === '*') {
    const ifs = ifsOf(sh);
    return [{ text: args.join(ifs === '' ? '' : ifs[0]), quoted: true, split: false }];
  }
  const out = [];
  args.forEach((arg, k) => {
    if (k > 0) out.push({ fieldBreak: true });
    out.push({ text: arg, quoted, split: !quoted });
  });
  if (quoted && args.length === 0) out.push({ nothing: true }); // "$@" with no parameters is no field at all
  return out;
}

function paramSegments(part, sh, quoted) {
  const { name, op } = part;
  if ((name === '@' || name === '*') && !op) return positionalSegments(name, sh, quoted);
  const value = name === '@' || name === '*' ? sh.positionalArgs().join(' ') : sh.valueOf(name);
  const isSet = value !== undefined && (name !== '@' && name !== '*' ? true : sh.positionalArgs().length > 0);
  if (!op) {
    if (!isSet) unsetError(sh, name);
    return textSegments(value ?? '', quoted);
  }
  return operatorSegments(part, sh, quoted, value, isSet);
}

// ${NAME:-word} and the other operators (§2.6.2), of a value already read.
function operatorSegments(part, sh, quoted, value, isSet) {
  const { name, op } = part;
  const text = (s) => textSegments(s, quoted);
  if (op === 'length') {
    if (!isSet) unsetError(sh, name);
    return text(String((value ?? '').length));
  }
  const colon = op.startsWith(':');
  const empty = !isSet || (colon && value === '');
  switch (op) {
    case ':-':
    case '-':
      return empty ? segmentsOf(part.arg, sh, quoted) : text(value);
    case ':=':
    case '=':
      if (!empty) return text(value);
      if (!/^[A-Za-z_]/.test(name)) throw new ExpansionError(`sh: \${${name}${op}...}: cannot assign in this way`, { fatal: true, status: 2 });
      return then(expandWord(part.arg, sh), (assigned) => {
        sh.setVariable(name, assigned);
        return text(sh.valueOf(name));
      });
    case ':?':
    case '?':
      if (!empty) return text(value);
      return then(expandWord(part.arg, sh), (message) => {
        throw new ExpansionError(`sh: ${name}: ${message || (isSet ? 'parameter null' : 'parameter not set')}`, { fatal: true, status: 2 });
      });
    case ':+':
    case '+':
      return empty ? [] : segmentsOf(part.arg, sh, quoted);
    default: {
      // % %% # ##: remove the smallest or largest suffix or prefix matching the pattern.
      if (!isSet) unsetError(sh, name);
      return then(patternOf(part.arg, sh), (regex) => text(trim(value ?? '', regex, op)));
    }
  }
}

// set -u: an unset parameter is an error (not $@, $*, $#, ...).
function unsetError(sh, name) {
  if (sh.options.nounset && !/^[@*#?$!-]$/.test(name)) {
    throw new ExpansionError(`sh: ${name}: parameter not set`, { fatal: true, status: 2 });
  }
}

function trim(value, regex, op) {
  const matches = (s) => regex.test(s);
  if (op === '#' || op === '##') {
    const ends = op === '#' ? range(0, value.length) : range(value.length, 0);
    for (const end of ends) if (matches(value.slice(0, end))) return value.slice(end);
  } else {
    const starts = op === '%' ? range(value.length, 0) : range(0, value.length);
    for (const start of starts) if (matches(value.slice(start))) return value.slice(0, start);
  }
  return value;
}

function range(from, to) {
  const out = [];
  if (from <= to) for (let i = from; i <= to; i++) out.push(i);
  else for (let i = from; i >= to; i--) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------
// Field splitting (§2.6.5). A field is a list of pieces {text, quoted}.

// The IFS characters in two sets: white space (which collapses) and the
// others. Kept for the last IFS seen: it seldom changes.
let lastIfs = null;
let lastDelimiters = null;

function delimiters(ifs) {
  if (ifs !== lastIfs) {
    const white = new Set([...ifs].filter((c) => c === ' ' || c === '\t' || c === '\n'));
    const other = new Set([...ifs].filter((c) => !white.has(c)));
    lastIfs = ifs;
    lastDelimiters = { white, other };
  }
  return lastDelimiters;
}

function splitFields(segments, ifs) {
  if (segments.length === 1) {
    const fields = oneSegmentFields(segments[0], ifs);
    if (fields !== null) return fields;
  }
  // "$@" with no parameters is no field, even with the "" a quote leaves.
  if (segments.some((seg) => seg.nothing) && segments.every((seg) => seg.nothing || (seg.text === '' && !seg.fieldBreak))) return [];
  const { white, other } = delimiters(ifs);
  const fields = [];
  let pieces = [];
  let started = false; // the current field exists (maybe empty, like "")
  let afterOther = false; // the last delimiter was a non-blank IFS character
  let atStart = true; // nothing yet in this word
  const endField = () => {
    fields.push(pieces);
    pieces = [];
    started = false;
  };
  for (const seg of segments) {
    if (seg.nothing) continue;
    if (seg.fieldBreak) {
      if (started) endField();
      continue;
    }
    if (!seg.split) {
      pieces.push({ text: seg.text, quoted: seg.quoted });
      if (seg.quoted || seg.text !== '') started = true;
      atStart = false;
      afterOther = false;
      continue;
    }
    let run = '';
    for (const c of seg.text) {
      if (white.has(c) || other.has(c)) {
        if (run) pieces.push({ text: run, quoted: false });
        run = '';
        if (other.has(c)) {
          if (started) endField();
          else if (afterOther || atStart) fields.push([]); // "a::b" and ":a" have an empty field
          afterOther = true;
        } else if (started) {
          endField();
          afterOther = false;
        }
        atStart = false;
      } else {
        run += c;
        started = true;
        atStart = false;
        afterOther = false;
      }
    }
    if (run) pieces.push({ text: run, quoted: false });
  }
  if (started) endField();
  return fields;
}

// The fields of a word that is one segment without a delimiter in it (`$i`
// being 42, "$x"), as splitFields would make them; null for anything else.
function oneSegmentFields(seg, ifs) {
  if (seg.nothing || seg.fieldBreak) return null;
  const { text } = seg;
  if (seg.split) {
    for (let i = 0; i < text.length; i++) if (ifs.includes(text[i])) return null;
  }
  if (text === '' && !seg.quoted) return [];
  return [[{ text, quoted: seg.quoted }]];
}

// ---------------------------------------------------------------------------
// Patterns (§2.13): * ? [...] in unquoted text; quoted characters are literal.

// The word as a list of {c, quoted} characters, without splitting.
function patternChars(word, sh) {
  return then(segmentsOf(word, sh), (segments) => {
    const chars = [];
    for (const seg of segments) {
      if (seg.fieldBreak) chars.push({ c: ' ', quoted: true });
      else if (!seg.nothing) for (const c of seg.text) chars.push({ c, quoted: seg.quoted });
    }
    return chars;
  });
}

// The word as a RegExp: made once for literal text, else at each expansion.
function patternOf(word, sh) {
  const c = compiled(word);
  if (c.chars === null) return then(patternChars(word, sh), patternRegex);
  if (c.regex === null) c.regex = patternRegex(c.chars);
  return c.regex;
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/;
const CLASSES = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~',
};

function escapeChar(c) {
  return REGEX_SPECIAL.test(c) ? '\\' + c : c;
}

// A whole-string RegExp for the pattern.
function patternRegex(chars) {
  let src = '';
  for (let i = 0; i < chars.length; i++) {
    const { c, quoted } = chars[i];
    if (quoted) src += escapeChar(c);
    else if (c === '*') src += '[\\s\\S]*';
    else if (c === '?') src += '[\\s\\S]';
    else if (c === '[') {
      const bracket = readBracket(chars, i);
      if (bracket) {
        src += bracket.source;
        i = bracket.end;
      } else src += '\\[';
    } else src += escapeChar(c);
  }
  return new RegExp(`^${src}$`);
}

// [abc], [a-z], [!x] or [^x], [[:alpha:]]; null if there is no closing ']'.
function readBracket(chars, start) {
  let i = start + 1;
  let negate = false;
  if (chars[i] && !chars[i].quoted && (chars[i].c === '!' || chars[i].c === '^')) {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < chars.length; i++) {
    const { c, quoted } = chars[i];
    if (c === ']' && !quoted && !first) return { source: `[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '[' && !quoted && chars[i + 1] && chars[i + 1].c === ':') {
      const rest = chars.slice(i + 2).map((x) => x.c).join('');
      const m = /^([a-z]+):\]/.exec(rest);
      if (m && CLASSES[m[1]]) {
        body += CLASSES[m[1]];
        i += 2 + m[0].length - 1;
        continue;
      }
    }
    if (c === '-' && !quoted && body !== '' && chars[i + 1] && chars[i + 1].c !== ']') body += '-';
    else body += c === '\\' || c === ']' || c === '[' || c === '^' || c === '-' ? '\\' + c : c;
  }
  return null;
}

// Is there a pattern character? A '[' counts only if a ']' closes it, so
// `[ $x = 1 ]` is not looked up in the directory.
function hasMagic(chars) {
  return chars.some(({ c, quoted }, i) => !quoted && (c === '*' || c === '?' || (c === '[' && readBracket(chars, i) !== null)));
}

// Does `text` match the pattern word? (case, and [[ ]]-less tests)
function matchPattern(text, word, sh) {
  const regex = patternOf(word, sh);
  if (isPromise(regex)) return matchAfter(regex, text);
  return regex.test(text);
}

function matchAfter(regex, text) {
  return regex.then((r) => r.test(text));
}

// ---------------------------------------------------------------------------
// Pathname expansion (§2.6.6): against the file tree through sys.fs.readdir;
// the names sorted; a pattern that matches nothing stays as it is.

async function glob(chars, sh) {
  const components = [];
  let current = [];
  for (const ch of chars) {
    if (ch.c === '/') {
      components.push(current);
      current = [];
    } else current.push(ch);
  }
  components.push(current);
  const absolute = components[0].length === 0 && chars.length > 0 && chars[0].c === '/';
  let paths = [absolute ? '/' : ''];
  const start = absolute ? 1 : 0;
  const { fs } = sh.sys;
  const full = (p) => (p.startsWith('/') ? p : `${sh.cwd === '/' ? '' : sh.cwd}/${p}`);
  let globbed = false;
  for (let k = start; k < components.length; k++) {
    const component = components[k];
    const last = k === components.length - 1;
    const join = (p, name) => (p === '' ? name : p.endsWith('/') ? p + name : `${p}/${name}`);
    if (!hasMagic(component)) {
      const name = component.map((x) => x.c).join('');
      paths = paths.map((p) => (last && name === '' ? p + '/' : join(p, name)));
      continue;
    }
    globbed = true;
    const regex = patternRegex(component);
    const dotOk = component.length > 0 && component[0].c === '.';
    const next = [];
    for (const p of paths) {
      let entries;
      try {
        entries = await fs.readdir(p === '' ? sh.cwd : full(p));
      } catch (e) {
        continue; // not a directory, or gone: no matches here
      }
      const names = entries.map((e) => (typeof e === 'string' ? e : e.name)).filter((n) => (dotOk || !n.startsWith('.')) && regex.test(n));
      for (const name of names.sort(compareNames)) {
        if (!last && !(await isDir(fs, full(join(p, name))))) continue;
        next.push(join(p, name));
      }
    }
    paths = next;
    if (paths.length === 0) break;
  }
  if (!globbed) return null;
  // A literal name after the last pattern (*/x) must exist.
  const lastComponent = components[components.length - 1];
  if (!hasMagic(lastComponent) && paths.length) {
    const kept = [];
    for (const p of paths) if (await exists(fs, full(p.replace(/\/$/, '') || '/'))) kept.push(p);
    paths = kept;
  }
  return paths.length ? paths.sort(compareNames) : null;
}

function compareNames(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function isDir(fs, path) {
  try {
    return (await fs.stat(path)).type === 'dir';
  } catch (e) {
    return false;
  }
}

async function exists(fs, path) {
  try {
    await fs.stat(path);
    return true;
  } catch (e) {
    return false;
  }
}

// Does expanding the word never wait (no $(...) in it, at any depth)? Then
// expandWord gives a string, never a promise.
function neverWaits(word) {
  for (const part of word.parts) {
    if (part.type === 'command') return false;
    if (part.type === 'arith' && !neverWaits(part.expr)) return false;
    if (part.type === 'param' && part.arg && !neverWaits(part.arg)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// The entry points.

// The words as the list of arguments they become: expansion, field
// splitting, pathname expansion (unless set -f) and quote removal.
function expandFields(words, sh) {
  const list = Array.isArray(words) ? words : [words];
  return fieldsFrom(list, 0, sh, []);
}

// One word's fields, added to `out` (a command's argv). Returns undefined,
// or a promise when it had to wait.
function addWordFields(word, sh, out) {
  const c = compiled(word);
  if (c.literal !== null) {
    out.push(c.literal);
    return undefined;
  }
  const ifs = ifsOf(sh);
  if (c.parameter !== null && parameterField(c, sh, ifs, out)) return undefined;
  const segments = segmentsOf(word, sh);
  if (isPromise(segments)) return addFieldsAfter(segments, sh, ifs, out);
  return addFields(segments, sh, ifs, out);
}

function addFieldsAfter(segments, sh, ifs, out) {
  return segments.then((s) => addFields(s, sh, ifs, out));
}

// A word that is one parameter, as addFields would expand it, without
// making its segments and fields (a loop's `[ $i -lt 10 ]` does this at
// every turn): true if done, false when the value must be split or globbed.
function parameterField(c, sh, ifs, out) {
  const value = sh.valueOf(c.parameter);
  if (value === undefined) unsetError(sh, c.parameter);
  const text = value ?? '';
  if (c.quoted) {
    out.push(text);
    return true;
  }
  if (text === '') return true; // an unquoted empty value is no field
  if (splitsOrGlobs(text, ifs, !sh.options.noglob)) return false;
  out.push(text);
  return true;
}

// Has the text an IFS character, or (when globbing) one of * ? [ ? One look
// at each character: the value of a loop's counter is tested at every turn.
function splitsOrGlobs(text, ifs, globbing) {
  const usual = ifs === DEFAULT_IFS;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (globbing && (c === 42 || c === 63 || c === 91)) return true; // * ? [
    if (usual ? c === 32 || c === 9 || c === 10 : ifs.includes(text[i])) return true;
  }
  return false;
}

// The quick path of a simple command (/lib/shell/exec, runSimple): words
// that are each literal text or one parameter. plainWords says, once per
// command, whether all its words are so; plainFields gives their fields, as
// expandFields would, or null when a value must be split or globbed (the
// general path then does it). Nothing here changes the shell, so giving up
// half-way leaves nothing to undo.
function plainWords(words) {
  for (const word of words) {
    const c = compiled(word);
    if (c.literal === null && c.parameter === null) return false;
  }
  return true;
}

// The word's one field when it is literal text without a pattern, else null.
function literalOf(word) {
  return compiled(word).literal;
}

function plainFields(words, sh) {
  const out = [];
  let ifs = null;
  for (let k = 0; k < words.length; k++) {
    const c = words[k][COMPILED];
    if (c.literal !== null) out.push(c.literal);
    else {
      if (ifs === null) ifs = ifsOf(sh);
      if (!parameterField(c, sh, ifs, out)) return null;
    }
  }
  return out;
}

// The fields of list[k...] added to `out`; after a word that had to wait,
// the rest go on from its promise.
function fieldsFrom(list, k, sh, out) {
  for (; k < list.length; k++) {
    const added = addWordFields(list[k], sh, out);
    if (isPromise(added)) return fieldsFromAfter(added, list, k + 1, sh, out);
  }
  return out;
}

function fieldsFromAfter(added, list, next, sh, out) {
  return added.then(() => fieldsFrom(list, next, sh, out));
}

// Splits one word's segments into fields and adds them to `out`, each
// globbed if it is a pattern: a promise only when one had to be globbed.
function addFields(segments, sh, ifs, out) {
  return addFieldsFrom(splitFields(segments, ifs), 0, sh, out);
}

function addFieldsFrom(fields, i, sh, out) {
  for (; i < fields.length; i++) {
    const pieces = fields[i];
    const chars = !sh.options.noglob && mayBePattern(pieces) ? piecesChars(pieces) : null;
    if (chars && hasMagic(chars)) return globbedFrom(chars, fields, i, sh, out);
    out.push(pieces.length === 1 ? pieces[0].text : pieces.map((p) => p.text).join(''));
  }
  return undefined;
}

// Field i globbed (its matches, or itself if none), then the fields after it.
function globbedFrom(chars, fields, i, sh, out) {
  return glob(chars, sh).then((matches) => {
    if (matches) for (const m of matches) out.push(m);
    else out.push(fields[i].map((p) => p.text).join(''));
    return addFieldsFrom(fields, i + 1, sh, out);
  });
}

// Is there an unquoted * ? or [ in the field (a pattern, if hasMagic agrees)?
function mayBePattern(pieces) {
  for (const p of pieces) if (!p.quoted && GLOB_CHARACTER.test(p.text)) return true;
  return false;
}
const GLOB_CHARACTER = /[*?[]/;

function piecesChars(pieces) {
  const chars = [];
  for (const { text, quoted } of pieces) for (const c of text) chars.push({ c, quoted });
  return chars;
}

// The word as one string, without field splitting or globbing: for
// assignments, redirection targets, `case` words and here-documents.
function expandWord(word, sh) {
  const c = compiled(word);
  if (c.text !== null) return c.text;
  // Two words a loop expands at every turn (i=$((i+1)), x=$y), without
  // segments: what segmentsOf and joinSegments would make of them.
  if (c.arith !== null) return calculate(c.arith, sh);
  if (c.parameter !== null) return parameterText(c.parameter, sh);
  const segments = segmentsOf(word, sh);
  return isPromise(segments) ? segments.then(joinSegments) : joinSegments(segments);
}

// A parameter's value as one string (paramSegments without an operator).
function parameterText(name, sh) {
  const value = sh.valueOf(name);
  if (value === undefined) {
    unsetError(sh, name);
    return '';
  }
  return value;
}

function joinSegments(segments) {
  if (segments.length === 1 && !segments[0].fieldBreak && !segments[0].nothing) return segments[0].text;
  let text = '';
  for (const seg of segments) {
    if (seg.fieldBreak) text += ' ';
    else if (!seg.nothing) text += seg.text;
  }
  return text;
}

module.exports = { expandFields, addWordFields, expandWord, plainWords, plainFields, literalOf, neverWaits, matchPattern, patternRegex, patternChars, splitFields, ExpansionError, DEFAULT_IFS };
