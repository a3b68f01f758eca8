// fs/lib/shell/parse.js (/lib/shell/parse in the image): the shell's parser.
//
// It turns a command line into a tree (the AST below) and never runs anything:
// /lib/shell/exec.js walks the tree. Words keep their quoting as a list of
// parts, and $VAR is expanded only when the command runs (expandWord,
// expandFields), because `false; echo $?` must see the status of `false`.
//
// Reference: POSIX.1-2017 Shell Command Language (XCU §2): §2.2 quoting,
// §2.3 token recognition, §2.6 word expansions (§2.6.2 parameters,
// §2.6.5 field splitting), §2.7 redirection, §2.9 commands, §2.10 grammar.
//
// The AST:
//   List     {type: 'list', items: Item[]}                 '' parses to items []
//   Item     {type: 'item', command: AndOr, background}     background: ended by '&'
//   AndOr    Pipeline | {type: 'and' | 'or', left: AndOr, right: Pipeline}
//            left-associative and of equal precedence: a || b && c is (a || b) && c
//   Pipeline {type: 'pipeline', commands: Command[], negate}    negate: '! a | b'
//   Command  {type: 'command', assigns: Assign[], words: Word[], redirects: Redirect[]}
//   Assign   {name, value: Word}                            NAME=value before the command
//   Redirect {type: 'redirect', op: '<' | '>' | '>>' | '<&' | '>&', fd, target: Word}
//            fd defaults to 0 for '<', '<&' and 1 otherwise ('2>' sets it)
//   Word     {type: 'word', parts: Part[], raw}             raw: the source text
//   Part     {type: 'text', value, quoted}   quoted: came from '...', "..." or \x
//            {type: 'param', name, quoted}   $NAME ${NAME} $? $$ $! $# $0-$9
//            {type: 'tilde'}                 a leading unquoted ~ ($HOME)
'use strict';

class ShellSyntaxError extends Error {
  // incomplete: more input could fix it (an open quote, a trailing '|'), so
  // an interactive shell should read another line instead of complaining.
  constructor(message, { pos = -1, incomplete = false } = {}) {
    super(message);
    this.name = 'ShellSyntaxError';
    this.pos = pos;
    this.incomplete = incomplete;
  }
}

// ---------------------------------------------------------------------------
// Tokens (§2.3): {type: 'word', parts, raw, pos}, {type: 'io_number', value, pos}
// for the 2 in "2>", {type: 'op', value, pos} and {type: 'eof', pos}.
// An unquoted newline is the operator 'newline': it separates commands like ';'.

// Longest first, so that '&&' is not read as two '&'.
const OPERATORS = ['&&', '||', ';;', '>>', '>&', '<&', '<<', ';', '&', '|', '<', '>', '(', ')'];
const OPERATOR_START = new Set(';&|<>()');
const SPECIAL_PARAMS = new Set('?$#!0123456789'); // $! is the last background job's pid
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

function isBlank(c) {
  return c === ' ' || c === '\t';
}

function endsWord(c) {
  return c === undefined || isBlank(c) || c === '\n' || OPERATOR_START.has(c);
}

function unexpectedEnd(pos) {
  return new ShellSyntaxError('sh: syntax error: unexpected end of file', { pos, incomplete: true });
}

function tokenize(src) {
  const tokens = [];
  let i = 0;
  for (;;) {
    while (isBlank(src[i])) i++;
    if (i >= src.length) break;
    const c = src[i];
    if (c === '#') {
      i = skipComment(src, i); // '#' starts a comment only where a word could start
    } else if (c === '\n') {
      tokens.push({ type: 'op', value: 'newline', pos: i++ });
    } else if (c === '\\' && src[i + 1] === '\n') {
      i = lineContinuation(src, i);
    } else if (OPERATOR_START.has(c)) {
      const op = readOperator(src, i);
      tokens.push(op);
      i += op.value.length;
    } else {
      const word = readWord(src, i);
      tokens.push(asIoNumber(word, src[word.end]) || word.token);
      i = word.end;
    }
  }
  tokens.push({ type: 'eof', pos: src.length });
  return tokens;
}

function skipComment(src, i) {
  while (i < src.length && src[i] !== '\n') i++;
  return i;
}

// Backslash-newline joins two lines (§2.2.1). At the very end of the input it
// means "the line goes on": ask for more.
function lineContinuation(src, i) {
  if (i + 2 >= src.length) throw unexpectedEnd(i);
  return i + 2;
}

function readOperator(src, i) {
  const value = OPERATORS.find((op) => src.startsWith(op, i));
  if (value === '<<') throw new ShellSyntaxError('sh: here-documents (<<) are not supported', { pos: i });
  return { type: 'op', value, pos: i };
}

// "2>file": a word of digits right before '<' or '>' names the descriptor (§2.10.1 rule 2).
function asIoNumber(word, next) {
  const parts = word.token.parts;
  const digitsOnly = parts.length === 1 && !parts[0].quoted && /^[0-9]+$/.test(parts[0].value || '');
  if (digitsOnly && parts[0].type === 'text' && (next === '<' || next === '>')) {
    return { type: 'io_number', value: Number(parts[0].value), pos: word.token.pos };
  }
  return null;
}

// One word: runs of plain characters, quotes, escapes and $expansions with no
// blank or operator between them ("a"'b'c$X is one word of four parts).
function readWord(src, start) {
  const parts = [];
  const addText = (value, quoted) => {
    const last = parts[parts.length - 1];
    if (last && last.type === 'text' && last.quoted === quoted) last.value += value;
    else parts.push({ type: 'text', value, quoted });
  };
  let i = start;
  if (src[i] === '~' && (src[i + 1] === '/' || endsWord(src[i + 1]))) {
    parts.push({ type: 'tilde' }); // §2.6.1, only the plain "~" and "~/..." forms
    i++;
  }
  while (!endsWord(src[i])) {
    const c = src[i];
    if (c === '\\') {
      if (src[i + 1] === '\n') i = lineContinuation(src, i);
      else if (i + 1 >= src.length) {
        addText('\\', false); // a lone backslash at the very end stays itself
        i++;
      } else {
        addText(src[i + 1], true); // §2.2.1: the next character loses its meaning
        i += 2;
      }
    } else if (c === "'") {
      i = readSingleQuoted(src, i, addText);
    } else if (c === '"') {
      i = readDoubleQuoted(src, i, parts, addText);
    } else if (c === '$') {
      i = readDollar(src, i, false, parts, addText);
    } else if (c === '`') {
      throw new ShellSyntaxError('sh: command substitution (`...`) is not supported', { pos: i });
    } else {
      addText(c, false);
      i++;
    }
  }
  return { token: { type: 'word', parts, raw: src.slice(start, i), pos: start }, end: i };
}

function unterminatedQuote(quote, pos) {
  return new ShellSyntaxError(`sh: unterminated quote: missing closing ${quote}`, { pos, incomplete: true });
}

// '...' (§2.2.2): everything up to the next ' is literal, backslashes included.
function readSingleQuoted(src, i, addText) {
  const close = src.indexOf("'", i + 1);
  if (close === -1) throw unterminatedQuote("'", i);
  addText(src.slice(i + 1, close), true);
  return close + 1;
}

// "..." (§2.2.3): $ still expands; a backslash escapes only $ ` " \ and newline.
function readDoubleQuoted(src, i, parts, addText) {
  const open = i++;
  addText('', true); // "" alone is still an (empty) argument
  for (;;) {
    if (i >= src.length) throw unterminatedQuote('"', open);
    const c = src[i];
    if (c === '"') return i + 1;
    if (c === '\\' && i + 1 < src.length && '$`"\\\n'.includes(src[i + 1])) {
      if (src[i + 1] !== '\n') addText(src[i + 1], true);
      i += 2;
    } else if (c === '$') {
      i = readDollar(src, i, true, parts, addText);
    } else if (c === '`') {
      throw new ShellSyntaxError('sh: command substitution (`...`) is not supported', { pos: i });
    } else {
      addText(c, true);
      i++;
    }
  }
}

// $NAME, ${NAME}, $? and friends (§2.6.2). A '$' that starts none of these is
// just a dollar sign, as in "costs 5$".
function readDollar(src, i, quoted, parts, addText) {
  const next = src[i + 1];
  if (next === '(') {
    throw new ShellSyntaxError('sh: command substitution $(...) is not supported', { pos: i });
  }
  if (next === '{') {
    const close = src.indexOf('}', i + 2);
    if (close === -1) throw new ShellSyntaxError("sh: bad substitution: missing '}'", { pos: i });
    const name = src.slice(i + 2, close);
    if (!isName(name) && !(name.length === 1 && SPECIAL_PARAMS.has(name))) {
      throw new ShellSyntaxError(`sh: \${${name}}: bad substitution`, { pos: i });
    }
    parts.push({ type: 'param', name, quoted });
    return close + 1;
  }
  if (next !== undefined && SPECIAL_PARAMS.has(next)) {
    parts.push({ type: 'param', name: next, quoted });
    return i + 2;
  }
  if (next !== undefined && NAME_START.test(next)) {
    let end = i + 2;
    while (end < src.length && NAME_CHAR.test(src[end])) end++;
    parts.push({ type: 'param', name: src.slice(i + 1, end), quoted });
    return end;
  }
  addText('$', quoted);
  return i + 1;
}

function isName(s) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

// ---------------------------------------------------------------------------
// The grammar (§2.10.2, the parts we support), one function per rule:
//   list     := linebreak (and_or (separator and_or)* separator?)?
//   and_or   := pipeline (('&&' | '||') linebreak pipeline)*
//   pipeline := '!'? command ('|' linebreak command)*
//   command  := (ASSIGNMENT_WORD | redirect)* (WORD | redirect)*     (at least one)
//   redirect := IO_NUMBER? ('<' | '>' | '>>' | '<&' | '>&') WORD
//   separator := ';' linebreak | '&' linebreak | newline+
const REDIRECT_OPS = new Set(['<', '>', '>>', '<&', '>&']);

class Parser {
  constructor(tokens) {
    this.tokens = tokens;
    this.i = 0;
  }

  peek() {
    return this.tokens[this.i];
  }

  next() {
    return this.tokens[this.i++];
  }

  isOp(value) {
    const t = this.peek();
    return t.type === 'op' && t.value === value;
  }

  skipNewlines() {
    while (this.isOp('newline')) this.i++;
  }

  // bash's wording, so the messages look familiar.
  unexpected(token) {
    if (token.type === 'eof') return unexpectedEnd(token.pos);
    const shown = token.type === 'op' ? token.value : token.type === 'io_number' ? String(token.value) : token.raw;
    return new ShellSyntaxError(`sh: syntax error near unexpected token \`${shown}'`, { pos: token.pos });
  }

  parseList() {
    const items = [];
    this.skipNewlines();
    while (this.peek().type !== 'eof') {
      const command = this.parseAndOr();
      let background = false;
      if (this.isOp(';') || this.isOp('&')) {
        background = this.next().value === '&';
      } else if (!this.isOp('newline') && this.peek().type !== 'eof') {
        throw this.unexpected(this.peek());
      }
      items.push({ type: 'item', command, background });
      this.skipNewlines();
    }
    return { type: 'list', items };
  }

  parseAndOr() {
    let left = this.parsePipeline();
    while (this.isOp('&&') || this.isOp('||')) {
      const type = this.next().value === '&&' ? 'and' : 'or';
      this.skipNewlines(); // "a &&" at the end of a line continues on the next
      left = { type, left, right: this.parsePipeline() };
    }
    return left;
  }

  parsePipeline() {
    let negate = false;
    const first = this.peek();
    if (first.type === 'word' && first.raw === '!') {
      negate = true;
      this.i++;
    }
    const commands = [this.parseCommand()];
    while (this.isOp('|')) {
      this.i++;
      this.skipNewlines();
      commands.push(this.parseCommand());
    }
    return { type: 'pipeline', commands, negate };
  }

  parseCommand() {
    const command = { type: 'command', assigns: [], words: [], redirects: [] };
    for (;;) {
      const t = this.peek();
      if (t.type === 'word') {
        this.i++;
        const assign = command.words.length === 0 ? asAssignment(t) : null;
        if (assign) command.assigns.push(assign);
        else command.words.push(wordNode(t));
      } else if (t.type === 'io_number' || (t.type === 'op' && REDIRECT_OPS.has(t.value))) {
        command.redirects.push(this.parseRedirect());
      } else {
        break;
      }
    }
    const empty = command.words.length + command.assigns.length + command.redirects.length === 0;
    if (empty) throw this.unexpected(this.peek());
    return command;
  }

  parseRedirect() {
    let fd = null;
    if (this.peek().type === 'io_number') fd = this.next().value;
    const opToken = this.next();
    if (opToken.type !== 'op' || !REDIRECT_OPS.has(opToken.value)) throw this.unexpected(opToken);
    const op = opToken.value;
    const target = this.peek();
    if (target.type !== 'word') {
      // bash says "newline" here, whether the line ended or a newline followed.
      if (target.type === 'eof') throw new ShellSyntaxError("sh: syntax error near unexpected token `newline'", { pos: target.pos });
      throw this.unexpected(target);
    }
    this.i++;
    if (fd === null) fd = op === '<' || op === '<&' ? 0 : 1;
    return { type: 'redirect', op, fd, target: wordNode(target) };
  }
}

function wordNode(token) {
  return { type: 'word', parts: token.parts, raw: token.raw };
}

// NAME=value (§2.9.1): the name and '=' must be plain, unquoted text.
function asAssignment(token) {
  const first = token.parts[0];
  if (!first || first.type !== 'text' || first.quoted) return null;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.value);
  if (!m) return null;
  const rest = first.value.slice(m[0].length);
  const parts = (rest ? [{ type: 'text', value: rest, quoted: false }] : []).concat(token.parts.slice(1));
  return { name: m[1], value: { type: 'word', parts, raw: token.raw.slice(m[0].length) } };
}

function parse(line) {
  return new Parser(tokenize(String(line))).parseList();
}

// 'incomplete' if the text ends inside a quote, after a trailing '|', '&&',
// '||' or a backslash-newline: an interactive shell then reads another line
// (PS2). 'invalid' for any other syntax error (running it reports the
// error), else 'complete'. The REPL client's is-complete asks this.
function inputStatus(text) {
  try {
    parse(text);
    return 'complete';
  } catch (e) {
    if (e instanceof ShellSyntaxError) return e.incomplete ? 'incomplete' : 'invalid';
    throw e;
  }
}

// Whether the shell runs the text now rather than read another line.
const isComplete = (text) => inputStatus(text) !== 'incomplete';

// ---------------------------------------------------------------------------
// Expansion, at run time. `env` is either a function name -> string|undefined
// or a plain object; an unset variable expands to ''.

function lookupIn(env, name) {
  const value = typeof env === 'function' ? env(name) : Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
  return value === undefined || value === null ? '' : String(value);
}

function partValue(part, env) {
  if (part.type === 'text') return part.value;
  if (part.type === 'param') return lookupIn(env, part.name);
  return lookupIn(env, 'HOME') || '/'; // tilde
}

// The word as one string, without field splitting: for redirection targets,
// assignment values and anything else that is one word by nature.
function expandWord(word, env) {
  return word.parts.map((part) => partValue(part, env)).join('');
}

// The word as the list of arguments it becomes (§2.6.5): the value of an
// unquoted $VAR is split at blanks and newlines, so X="a b"; ls $X passes two
// arguments, "$X" passes one, and an empty unquoted $X passes none.
function expandFields(word, env) {
  const fields = [];
  let current = '';
  let started = false; // does `current` hold a field (maybe empty, like "")?
  const endField = () => {
    if (started) fields.push(current);
    current = '';
    started = false;
  };
  for (const part of word.parts) {
    const value = partValue(part, env);
    if (part.type !== 'param' || part.quoted) {
      current += value;
      started = true;
      continue;
    }
    const pieces = value.split(/[ \t\n]+/);
    pieces.forEach((piece, k) => {
      if (k > 0) endField(); // a run of blanks separates fields
      if (piece !== '') {
        current += piece;
        started = true;
      }
    });
  }
  endField();
  return fields;
}

module.exports = { parse, tokenize, isComplete, inputStatus, expandWord, expandFields, ShellSyntaxError };
