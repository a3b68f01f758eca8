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
// sh.substitute(list) -> text (runs $(...)), sh.cwd and sh.sys.fs.{readdir, stat}.
'use strict';

const { evaluate, ArithmeticError } = require('/lib/shell/arith');

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
// Segments: {text, quoted, split} or {fieldBreak: true} ("$@" between two
// parameters). `inQuotes`: the word is inside "..." (a ${X:-word} in quotes).

async function segmentsOf(word, sh, inQuotes = false) {
  const out = [];
  for (const part of word.parts) {
    const quoted = inQuotes || Boolean(part.quoted);
    if (part.type === 'text') out.push({ text: part.value, quoted: inQuotes || part.quoted, split: false });
    else if (part.type === 'tilde') out.push({ text: sh.valueOf('HOME') || '/', quoted: true, split: false });
    else if (part.type === 'command') out.push({ text: await sh.substitute(part.list), quoted, split: !quoted });
    else if (part.type === 'arith') out.push({ text: await arithmetic(part, sh), quoted, split: !quoted });
    else if (part.type === 'param') out.push(...(await paramSegments(part, sh, quoted)));
  }
  return out;
}

async function arithmetic(part, sh) {
  const text = await expandWord(part.expr, sh);
  try {
    return String(evaluate(text, { get: (name) => sh.valueOf(name), set: (name, value) => sh.setVariable(name, value) }));
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

async function paramSegments(part, sh, quoted) {
  const { name, op } = part;
  if ((name === '@' || name === '*') && !op) return positionalSegments(name, sh, quoted);
  const value = name === '@' || name === '*' ? sh.positionalArgs().join(' ') : sh.valueOf(name);
  const isSet = value !== undefined && (name !== '@' && name !== '*' ? true : sh.positionalArgs().length > 0);
  const text = (s) => [{ text: s, quoted, split: !quoted }];
  const unsetError = () => {
    if (sh.options.nounset && !isSet && !/^[@*#?$!-]$/.test(name)) {
      throw new ExpansionError(`sh: ${name}: parameter not set`, { fatal: true, status: 2 });
    }
  };
  if (!op) {
    unsetError();
    return text(value ?? '');
  }
  if (op === 'length') {
    unsetError();
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
      sh.setVariable(name, await expandWord(part.arg, sh));
      return text(sh.valueOf(name));
    case ':?':
    case '?': {
      if (!empty) return text(value);
      const message = await expandWord(part.arg, sh);
      throw new ExpansionError(`sh: ${name}: ${message || (isSet ? 'parameter null' : 'parameter not set')}`, { fatal: true, status: 2 });
    }
    case ':+':
    case '+':
      return empty ? [] : segmentsOf(part.arg, sh, quoted);
    default: {
      // % %% # ##: remove the smallest or largest suffix or prefix matching the pattern.
      unsetError();
      const regex = patternRegex(await patternChars(part.arg, sh));
      return text(trim(value ?? '', regex, op));
    }
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

function splitFields(segments, ifs) {
  // "$@" with no parameters is no field, even with the "" a quote leaves.
  if (segments.some((seg) => seg.nothing) && segments.every((seg) => seg.nothing || (seg.text === '' && !seg.fieldBreak))) return [];
  const white = new Set([...ifs].filter((c) => c === ' ' || c === '\t' || c === '\n'));
  const other = new Set([...ifs].filter((c) => !white.has(c)));
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

// ---------------------------------------------------------------------------
// Patterns (§2.13): * ? [...] in unquoted text; quoted characters are literal.

// The word as a list of {c, quoted} characters, without splitting.
async function patternChars(word, sh) {
  const chars = [];
  for (const seg of await segmentsOf(word, sh)) {
    if (seg.fieldBreak) chars.push({ c: ' ', quoted: true });
    else if (!seg.nothing) for (const c of seg.text) chars.push({ c, quoted: seg.quoted });
  }
  return chars;
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
async function matchPattern(text, word, sh) {
  return patternRegex(await patternChars(word, sh)).test(text);
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

// ---------------------------------------------------------------------------
// The entry points.

// The words as the list of arguments they become: expansion, field
// splitting, pathname expansion (unless set -f) and quote removal.
async function expandFields(words, sh) {
  const out = [];
  const ifs = ifsOf(sh);
  for (const word of Array.isArray(words) ? words : [words]) {
    const fields = splitFields(await segmentsOf(word, sh), ifs);
    for (const pieces of fields) {
      const magic = !sh.options.noglob && pieces.some((p) => !p.quoted && /[*?[]/.test(p.text));
      let matches = null;
      if (magic) {
        const chars = [];
        for (const { text, quoted } of pieces) for (const c of text) chars.push({ c, quoted });
        if (hasMagic(chars)) matches = await glob(chars, sh);
      }
      if (matches) out.push(...matches);
      else out.push(pieces.map((p) => p.text).join(''));
    }
  }
  return out;
}

// The word as one string, without field splitting or globbing: for
// assignments, redirection targets, `case` words and here-documents.
async function expandWord(word, sh) {
  let text = '';
  for (const seg of await segmentsOf(word, sh)) {
    if (seg.fieldBreak) text += ' ';
    else if (!seg.nothing) text += seg.text;
  }
  return text;
}

module.exports = { expandFields, expandWord, matchPattern, patternRegex, patternChars, splitFields, ExpansionError, DEFAULT_IFS };
