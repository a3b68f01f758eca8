// fs/lib/shell/parse.js (/lib/shell/parse in the image): the shell's parser.
//
// It turns shell text into a tree (the AST below) and never runs anything:
// /lib/shell/exec walks the tree and /lib/shell/expand expands its words,
// at run time, because `false; echo $?` must see the status of `false`.
// The lexer is lazy: the parser pulls one token at a time, so `$( ... )`
// can parse its command in place, here-documents are read when their line
// ends, and a script can be run one command at a time (commands()).
//
// Reference: POSIX.1-2017 Shell Command Language (XCU §2): §2.2 quoting,
// §2.3 token recognition, §2.4 reserved words, §2.6 word expansions, §2.7
// redirection (§2.7.4 here-documents), §2.9 commands (§2.9.4 compound
// commands, §2.9.5 functions), §2.10 the grammar.
//
// The AST:
//   List     {type: 'list', items: Item[]}                 '' parses to items []
//   Item     {type: 'item', command: AndOr, background}     background: ended by '&'
//   AndOr    Pipeline | {type: 'and' | 'or', left: AndOr, right: Pipeline}
//            left-associative and of equal precedence: a || b && c is (a || b) && c
//   Pipeline {type: 'pipeline', commands: Command[], negate}    negate: '! a | b'
//   Command  {type: 'command', assigns: Assign[], words: Word[], redirects: Redirect[]}
//          | {type: 'group', body: List, redirects, raw}            { ...; }
//          | {type: 'subshell', body: List, redirects, raw}         ( ... )
//          | {type: 'if', clauses: [{cond: List, body: List}], otherwise: List | null, redirects, raw}
//          | {type: 'while', until: bool, cond: List, body: List, redirects, raw}
//          | {type: 'for', name, words: Word[] | null, body: List, redirects, raw}   null: "$@"
//          | {type: 'case', word: Word, arms: [{patterns: Word[], body: List}], redirects, raw}
//          | {type: 'function', name, body: Command, raw}           name() compound-command
//            raw: the source text, for `jobs` and `type`
//   Assign   {name, value: Word}                            NAME=value before the command
//   Redirect {type: 'redirect', op, fd, target: Word, body?: Word}
//            op: '<' '>' '>>' '>|' '<>' '<&' '>&' '<<' '<<-'; fd defaults to 0 for
//            '<', '<>', '<&', '<<', '<<-' and 1 otherwise ('2>' sets it).
//            A here-document's text is `body` (its parts quoted if the end word was)
//   Word     {type: 'word', parts: Part[], raw}             raw: the source text
//   Part     {type: 'text', value, quoted}   quoted: came from '...', "..." or \x
//            {type: 'param', name, quoted, op?, arg?: Word}   $NAME ${NAME} $? $$ $! $# $@ $* $- $0-$9
//                                            op: ':-' '-' ':=' '=' ':?' '?' ':+' '+' '%' '%%' '#' '##' 'length'
//            {type: 'command', list: List, quoted}          $( ... ) and ` ... `
//            {type: 'arith', expr: Word, quoted}            $(( ... ))
//            {type: 'tilde'}                 a leading unquoted ~ ($HOME)
'use strict';

const { isCompleteJavaScript } = require('/lib/complete/javascript');

class ShellSyntaxError extends Error {
  // incomplete: more input could fix it (an open quote, a trailing '|', an
  // `if` without its `fi`), so an interactive shell should read another line
  // instead of complaining.
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
const OPERATORS = ['<<-', '&&', '||', ';;', '>>', '>&', '<&', '<<', '<>', '>|', ';', '&', '|', '<', '>', '(', ')'];
const OPERATOR_START = new Set(';&|<>()');
const SPECIAL_PARAMS = new Set('?$#!@*-0123456789'); // $! is the last background job's pid
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
// §2.4; '!', '{' and '}' are reserved words too, recognised where a command starts.
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'case', 'esac', 'while', 'until', 'for', '{', '}', '!', 'in']);
const PARAM_OPS = [':-', ':=', ':?', ':+', '%%', '##', '-', '=', '?', '+', '%', '#'];

function isBlank(c) {
  return c === ' ' || c === '\t';
}

function endsWord(c) {
  return c === undefined || isBlank(c) || c === '\n' || OPERATOR_START.has(c);
}

function isName(s) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

function unexpectedEnd(pos) {
  return new ShellSyntaxError('sh: syntax error: unexpected end of file', { pos, incomplete: true });
}

function unterminatedQuote(quote, pos) {
  return new ShellSyntaxError(`sh: unterminated quote: missing closing ${quote}`, { pos, incomplete: true });
}

class Lexer {
  // final: the text is all there will be (a script, sh -c, a run), so a
  // here-document without its end word ends at the end of the text, as in
  // dash and bash, with warn(message) told; otherwise more lines may come
  // (is-complete, the prompt's PS2) and it is incomplete.
  constructor(src, start = 0, { final = false, warn = () => {} } = {}) {
    this.src = src;
    this.i = start;
    this.heredocs = []; // here-documents whose text starts after the next newline
    this.final = final;
    this.warn = warn;
  }

  next() {
    const src = this.src;
    for (;;) {
      while (isBlank(src[this.i])) this.i++;
      const i = this.i;
      if (i >= src.length) {
        if (this.heredocs.length) throw this.missingHeredocEnd(this.heredocs[0]);
        return { type: 'eof', pos: src.length, end: src.length };
      }
      const c = src[i];
      if (c === '#') {
        while (this.i < src.length && src[this.i] !== '\n') this.i++; // '#' starts a comment only where a word could
      } else if (c === '\n') {
        this.i++;
        if (this.heredocs.length) this.readHeredocs();
        return { type: 'op', value: 'newline', pos: i, end: i + 1 };
      } else if (c === '\\' && src[i + 1] === '\n') {
        this.i = lineContinuation(src, i);
      } else if (OPERATOR_START.has(c)) {
        const value = OPERATORS.find((op) => src.startsWith(op, i));
        this.i += value.length;
        return { type: 'op', value, pos: i, end: this.i };
      } else {
        const word = readWord(src, i);
        this.i = word.end;
        return Object.assign(asIoNumber(word, src[word.end]) || word.token, { end: word.end });
      }
    }
  }

  // §2.7.4: the lines after the one holding `<<WORD` are the document, up to
  // a line that is WORD (with leading tabs removed for `<<-`).
  readHeredocs() {
    const src = this.src;
    for (const doc of this.heredocs.splice(0)) {
      const start = this.i;
      let body = null;
      let at = start;
      while (at < src.length || at === start) {
        let nl = src.indexOf('\n', at);
        if (nl === -1) nl = src.length;
        let line = src.slice(at, nl);
        if (doc.strip) line = line.replace(/^\t+/, '');
        if (line === doc.delimiter) {
          body = { start, end: at, after: Math.min(nl + 1, src.length) };
          break;
        }
        if (nl >= src.length) break;
        at = nl + 1;
      }
      if (body === null) {
        if (!this.final) throw this.missingHeredocEnd(doc);
        const line = src.slice(0, doc.pos).split('\n').length;
        this.warn(`sh: warning: here-document at line ${line} delimited by end-of-file (wanted \`${doc.delimiter}')`);
        body = { start, end: src.length, after: src.length };
      }
      let text = src.slice(body.start, body.end);
      if (doc.strip) text = text.replace(/^\t+/gm, '');
      doc.redirect.body = doc.quoted ? { type: 'word', parts: [{ type: 'text', value: text, quoted: true }], raw: text } : heredocWord(text);
      this.i = body.after;
    }
  }

  missingHeredocEnd(doc) {
    return new ShellSyntaxError(`sh: here-document ended by end of file (wanted \`${doc.delimiter}')`, { pos: this.src.length, incomplete: true });
  }
}

// Backslash-newline joins two lines (§2.2.1). At the very end of the input it
// means "the line goes on": ask for more.
function lineContinuation(src, i) {
  if (i + 2 >= src.length) throw unexpectedEnd(i);
  return i + 2;
}

// "2>file": a word of digits right before '<' or '>' names the descriptor (§2.10.1 rule 2).
function asIoNumber(word, next) {
  const parts = word.token.parts;
  const digitsOnly = parts.length === 1 && parts[0].type === 'text' && !parts[0].quoted && /^[0-9]+$/.test(parts[0].value);
  if (digitsOnly && (next === '<' || next === '>')) {
    return { type: 'io_number', value: Number(parts[0].value), pos: word.token.pos };
  }
  return null;
}

// Collects a word's parts: adjacent text of the same quoting is merged.
function partList() {
  const parts = [];
  const addText = (value, quoted) => {
    const last = parts[parts.length - 1];
    if (last && last.type === 'text' && last.quoted === quoted) last.value += value;
    else parts.push({ type: 'text', value, quoted });
  };
  return { parts, addText };
}

// One word: runs of plain characters, quotes, escapes and $expansions with no
// blank or operator between them ("a"'b'c$X is one word of four parts).
// `stop`: a character that ends the word as well (the '}' of ${X:-word}).
function readWord(src, start, stop = null) {
  const { parts, addText } = partList();
  let i = start;
  const ends = stop ? (c) => c === undefined || c === stop : endsWord;
  if (src[i] === '~' && (src[i + 1] === '/' || ends(src[i + 1]) || (stop && endsWord(src[i + 1])))) {
    parts.push({ type: 'tilde' }); // §2.6.1, only the plain "~" and "~/..." forms
    i++;
  }
  while (!ends(src[i])) {
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
      const close = src.indexOf("'", i + 1);
      if (close === -1) throw unterminatedQuote("'", i);
      addText(src.slice(i + 1, close), true); // §2.2.2: all literal, backslashes too
      i = close + 1;
    } else if (c === '"') {
      i = readDoubleQuoted(src, i, parts, addText);
    } else if (c === '$') {
      i = readDollar(src, i, false, parts, addText);
    } else if (c === '`') {
      i = readBackquote(src, i, false, parts);
    } else {
      addText(c, false);
      i++;
    }
  }
  return { token: { type: 'word', parts, raw: src.slice(start, i), pos: start }, end: i };
}

// "..." (§2.2.3): $ and ` still expand; a backslash escapes only $ ` " \ and newline.
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
      i = readBackquote(src, i, true, parts);
    } else {
      addText(c, true);
      i++;
    }
  }
}

// Text in which $ and ` expand but quotes mean nothing: an unquoted
// here-document's body, and the inside of $(( )). A backslash escapes $ ` \ and newline.
function expandingText(text, quoted) {
  const { parts, addText } = partList();
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && '$`\\\n'.includes(text[i + 1])) {
      if (text[i + 1] !== '\n') addText(text[i + 1], true);
      i += 2;
    } else if (c === '$') {
      i = readDollar(text, i, quoted, parts, addText);
    } else if (c === '`') {
      i = readBackquote(text, i, quoted, parts);
    } else {
      addText(c, quoted);
      i++;
    }
  }
  return parts;
}

function heredocWord(text) {
  return { type: 'word', parts: expandingText(text, true), raw: text };
}

// $NAME, ${...}, $(...), $((...)), $? and friends (§2.6.2-4). A '$' that
// starts none of these is just a dollar sign, as in "costs 5$".
function readDollar(src, i, quoted, parts, addText) {
  const next = src[i + 1];
  if (next === '(' && src[i + 2] === '(') {
    const end = arithmeticEnd(src, i + 3);
    if (end !== -1) {
      const text = src.slice(i + 3, end);
      parts.push({ type: 'arith', expr: { type: 'word', parts: expandingText(text, true), raw: text }, quoted });
      return end + 2;
    }
  }
  if (next === '(') {
    const parser = new Parser(src, i + 2);
    const list = parser.parseCompoundList(new Set(), ')');
    const close = parser.next();
    if (close.type === 'eof') throw unexpectedEnd(close.pos);
    if (!(close.type === 'op' && close.value === ')')) throw parser.unexpected(close);
    parts.push({ type: 'command', list, quoted, raw: src.slice(i, close.pos + 1) });
    return close.pos + 1;
  }
  if (next === '{') return readBraced(src, i, quoted, parts);
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

// Where the '))' that closes $(( is, or -1 (then it is $( ( ... ) ), a subshell).
function arithmeticEnd(src, i) {
  let depth = 0;
  for (; i < src.length; i++) {
    if (src[i] === '(') depth++;
    else if (src[i] === ')') {
      if (depth === 0) return src[i + 1] === ')' ? i : -1;
      depth--;
    }
  }
  return -1;
}

// ${NAME}, ${#NAME}, ${NAME OP WORD} (§2.6.2).
function readBraced(src, i, quoted, parts) {
  const start = i;
  i += 2;
  const bad = () => {
    const close = src.indexOf('}', start);
    if (close === -1) return new ShellSyntaxError("sh: bad substitution: missing '}'", { pos: start, incomplete: true });
    return new ShellSyntaxError(`sh: ${close === -1 ? src.slice(start) : src.slice(start, close + 1)}: bad substitution`, { pos: start });
  };
  let length = false;
  if (src[i] === '#' && src[i + 1] !== '}' && (NAME_START.test(src[i + 1] || '') || SPECIAL_PARAMS.has(src[i + 1]))) {
    length = true;
    i++;
  }
  let name;
  if (src[i] !== undefined && NAME_START.test(src[i])) {
    let end = i + 1;
    while (end < src.length && NAME_CHAR.test(src[end])) end++;
    name = src.slice(i, end);
    i = end;
  } else if (/[0-9]/.test(src[i] || '')) {
    let end = i + 1;
    while (/[0-9]/.test(src[end] || '')) end++;
    name = String(Number(src.slice(i, end))); // ${10}
    i = end;
  } else if (src[i] !== undefined && SPECIAL_PARAMS.has(src[i])) {
    name = src[i++];
  } else {
    if (i >= src.length) throw new ShellSyntaxError("sh: bad substitution: missing '}'", { pos: start, incomplete: true });
    throw bad();
  }
  if (src[i] === '}') {
    parts.push(length ? { type: 'param', name, quoted, op: 'length' } : { type: 'param', name, quoted });
    return i + 1;
  }
  if (i >= src.length) throw new ShellSyntaxError("sh: bad substitution: missing '}'", { pos: start, incomplete: true });
  const op = length ? null : PARAM_OPS.find((o) => src.startsWith(o, i));
  if (!op) throw bad();
  i += op.length;
  const word = readWord(src, i, '}');
  if (src[word.end] !== '}') throw new ShellSyntaxError("sh: bad substitution: missing '}'", { pos: start, incomplete: true });
  const arg = { type: 'word', parts: word.token.parts, raw: word.token.raw };
  parts.push({ type: 'param', name, quoted, op, arg });
  return word.end + 1;
}

// `...` (§2.6.3): the old form. Inside, a backslash escapes only $ ` \ (and "
// within double quotes); what is left is parsed as a command list.
function readBackquote(src, i, quoted, parts) {
  let text = '';
  let j = i + 1;
  for (;;) {
    if (j >= src.length) throw unterminatedQuote('`', i);
    const c = src[j];
    if (c === '`') break;
    if (c === '\\' && j + 1 < src.length && ('$`\\'.includes(src[j + 1]) || (quoted && src[j + 1] === '"'))) {
      text += src[j + 1];
      j += 2;
    } else {
      text += c;
      j++;
    }
  }
  const parser = new Parser(text);
  const list = parser.parseCompoundList(new Set(), null);
  if (parser.peek().type !== 'eof') throw parser.unexpected(parser.peek());
  parts.push({ type: 'command', list, quoted, raw: src.slice(i, j + 1) });
  return j + 1;
}

// ---------------------------------------------------------------------------
// The grammar (§2.10.2), one method per rule:
//   program       := linebreak (complete_command newline_list)* complete_command? linebreak
//   list          := and_or (separator and_or)* separator?       (ends before a closing word)
//   and_or        := pipeline (('&&' | '||') linebreak pipeline)*
//   pipeline      := '!'? command ('|' linebreak command)*
//   command       := simple_command | compound_command redirect* | function_definition
//   compound      := '{' list '}' | '(' list ')' | if | while | until | for | case
//   if            := 'if' list 'then' list ('elif' list 'then' list)* ('else' list)? 'fi'
//   while/until   := ('while' | 'until') list 'do' list 'done'
//   for           := 'for' NAME (linebreak 'in' WORD* (';' | newline))? linebreak 'do' list 'done'
//   case          := 'case' WORD linebreak 'in' linebreak (pattern ')' list? ';;' linebreak)* 'esac'
//   pattern       := '('? WORD ('|' WORD)*
//   function_def  := NAME '(' ')' linebreak compound_command redirect*
//   simple        := (ASSIGNMENT_WORD | redirect)* (WORD | redirect)*     (at least one)
//   redirect      := IO_NUMBER? REDIRECT_OP WORD
//   separator     := ';' linebreak | '&' linebreak | newline+
const REDIRECT_OPS = new Set(['<', '>', '>>', '>|', '<>', '<&', '>&', '<<', '<<-']);
const MAX_NESTING = 200; // compound commands inside one another: the parser's recursion

class Parser {
  constructor(src, start = 0, lexerOptions = {}) {
    this.src = String(src);
    this.lexer = new Lexer(this.src, start, lexerOptions);
    this.token = null; // the one token of lookahead
    this.lastEnd = start; // where the last token taken ends
    this.depth = 0;
  }

  peek() {
    if (this.token === null) this.token = this.lexer.next();
    return this.token;
  }

  next() {
    const t = this.peek();
    this.token = null;
    this.lastEnd = t.end;
    return t;
  }

  isOp(value) {
    const t = this.peek();
    return t.type === 'op' && t.value === value;
  }

  // A reserved word: an unquoted word that is exactly `value`, where the
  // grammar looks for one (§2.4: in command position, and `in`, `do`, `esac` where they belong).
  isWord(value) {
    const t = this.peek();
    return t.type === 'word' && t.raw === value && t.parts.length === 1 && t.parts[0].type === 'text' && !t.parts[0].quoted;
  }

  expectWord(value) {
    if (!this.isWord(value)) throw this.unexpected(this.peek());
    return this.next();
  }

  skipNewlines() {
    while (this.isOp('newline')) this.next();
  }

  lineOf(pos) {
    let line = 1;
    for (let i = 0; i < pos && i < this.src.length; i++) if (this.src[i] === '\n') line++;
    return line;
  }

  // bash's wording, with the line when the text has more than one.
  unexpected(token) {
    if (token.type === 'eof') return unexpectedEnd(token.pos);
    const shown = token.type === 'op' ? token.value : token.type === 'io_number' ? String(token.value) : token.raw;
    const multiline = this.src.replace(/\n+$/, '').includes('\n');
    const where = multiline ? `line ${this.lineOf(token.pos)}: ` : '';
    return new ShellSyntaxError(`sh: ${where}syntax error near unexpected token \`${shown}'`, { pos: token.pos });
  }

  // The whole text as one List.
  parseProgram() {
    const list = this.parseCompoundList(new Set(), null);
    if (this.peek().type !== 'eof') throw this.unexpected(this.peek());
    return list;
  }

  // The next complete command (the and-or lists up to a newline), or null
  // at the end: what a script runs before it parses more (§2.10.2 program).
  parseNextCommand() {
    this.skipNewlines();
    if (this.peek().type === 'eof') return null;
    const items = [];
    for (;;) {
      const command = this.parseAndOr();
      let background = false;
      if (this.isOp(';') || this.isOp('&')) background = this.next().value === '&';
      else if (!this.isOp('newline') && this.peek().type !== 'eof') throw this.unexpected(this.peek());
      items.push({ type: 'item', command, background });
      if (this.isOp('newline') || this.peek().type === 'eof') break;
    }
    return { type: 'list', items };
  }

  // A list that ends before one of the reserved words in `closers` (in
  // command position), before the operator `closeOp` (')' or ';;'), or at the end.
  parseCompoundList(closers, closeOp) {
    const items = [];
    this.skipNewlines();
    while (!this.atListEnd(closers, closeOp)) {
      const command = this.parseAndOr();
      let background = false;
      if (this.isOp(';') || this.isOp('&')) {
        background = this.next().value === '&';
      } else if (!this.isOp('newline') && !this.atListEnd(closers, closeOp)) {
        throw this.unexpected(this.peek());
      }
      items.push({ type: 'item', command, background });
      this.skipNewlines();
    }
    return { type: 'list', items };
  }

  atListEnd(closers, closeOp) {
    const t = this.peek();
    if (t.type === 'eof') return true;
    if (t.type === 'op') return t.value === closeOp || (t.value === ';;' && closeOp === ';;') || (t.value === ')' && closeOp !== null);
    return t.type === 'word' && [...closers].some((w) => this.isWord(w));
  }

  // A list that must end with one of `closers`: the end of the text is "incomplete".
  parseBody(closers) {
    const list = this.parseCompoundList(new Set(closers), null);
    const t = this.peek();
    if (t.type === 'eof') throw unexpectedEnd(t.pos);
    if (!closers.some((w) => this.isWord(w))) throw this.unexpected(t);
    if (list.items.length === 0) throw this.unexpected(t); // `if a; then fi`: a list needs a command
    return list;
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
    if (this.isWord('!')) {
      negate = true;
      this.next();
    }
    const commands = [this.parseCommand()];
    while (this.isOp('|')) {
      this.next();
      this.skipNewlines();
      commands.push(this.parseCommand());
    }
    return { type: 'pipeline', commands, negate };
  }

  parseCommand() {
    const t = this.peek();
    if (t.type === 'word' && !t.parts.some((p) => p.quoted) && RESERVED.has(t.raw) && this.isWord(t.raw)) {
      const compound = { '{': 'parseGroup', if: 'parseIf', while: 'parseWhile', until: 'parseWhile', for: 'parseFor', case: 'parseCase' }[t.raw];
      if (!compound) throw this.unexpected(t); // `fi`, `done`, `then`... where a command should be
      return this.withRedirects(() => this[compound]());
    }
    if (this.isOp('(')) return this.withRedirects(() => this.parseSubshell());
    return this.parseSimple();
  }

  // A compound command, its source text, and the redirections after it.
  withRedirects(parse) {
    if (++this.depth > MAX_NESTING) throw new ShellSyntaxError(`sh: commands nested too deep (over ${MAX_NESTING})`, { pos: this.peek().pos });
    const start = this.peek().pos;
    const node = parse();
    this.depth--;
    node.raw = this.src.slice(start, this.lastEnd);
    node.redirects = [];
    while (this.peek().type === 'io_number' || (this.peek().type === 'op' && REDIRECT_OPS.has(this.peek().value))) {
      node.redirects.push(this.parseRedirect());
    }
    return node;
  }

  parseGroup() {
    this.expectWord('{');
    const body = this.parseBody(['}']);
    this.expectWord('}');
    return { type: 'group', body };
  }

  parseSubshell() {
    this.next(); // (
    const body = this.parseCompoundList(new Set(), ')');
    if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
    if (!this.isOp(')')) throw this.unexpected(this.peek());
    if (body.items.length === 0) throw this.unexpected(this.peek());
    this.next();
    return { type: 'subshell', body };
  }

  parseIf() {
    this.expectWord('if');
    const clauses = [];
    let otherwise = null;
    for (;;) {
      const cond = this.parseBody(['then']);
      this.expectWord('then');
      const body = this.parseBody(['elif', 'else', 'fi']);
      clauses.push({ cond, body });
      if (this.isWord('elif')) {
        this.next();
        continue;
      }
      if (this.isWord('else')) {
        this.next();
        otherwise = this.parseBody(['fi']);
      }
      this.expectWord('fi');
      return { type: 'if', clauses, otherwise };
    }
  }

  parseWhile() {
    const until = this.next().raw === 'until';
    const cond = this.parseBody(['do']);
    const body = this.parseDoGroup();
    return { type: 'while', until, cond, body };
  }

  parseDoGroup() {
    this.expectWord('do');
    const body = this.parseBody(['done']);
    this.expectWord('done');
    return body;
  }

  parseFor() {
    this.expectWord('for');
    const nameToken = this.next();
    if (nameToken.type === 'eof') throw unexpectedEnd(nameToken.pos);
    if (nameToken.type !== 'word' || !isName(nameToken.raw)) {
      throw new ShellSyntaxError(`sh: syntax error: bad for loop variable \`${nameToken.raw || nameToken.value}'`, { pos: nameToken.pos });
    }
    let words = null;
    this.skipNewlines();
    if (this.isWord('in')) {
      this.next();
      words = [];
      while (this.peek().type === 'word') words.push(wordNode(this.next()));
      if (this.isOp(';') || this.isOp('newline')) this.next();
      else if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
      else throw this.unexpected(this.peek());
    } else if (this.isOp(';')) {
      this.next();
    }
    this.skipNewlines();
    if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
    const body = this.parseDoGroup();
    return { type: 'for', name: nameToken.raw, words, body };
  }

  parseCase() {
    this.expectWord('case');
    const wordToken = this.next();
    if (wordToken.type === 'eof') throw unexpectedEnd(wordToken.pos);
    if (wordToken.type !== 'word') throw this.unexpected(wordToken);
    this.skipNewlines();
    if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
    this.expectWord('in');
    const arms = [];
    for (;;) {
      this.skipNewlines();
      if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
      if (this.isWord('esac')) break;
      if (this.isOp('(')) this.next();
      const patterns = [];
      for (;;) {
        const p = this.next();
        if (p.type === 'eof') throw unexpectedEnd(p.pos);
        if (p.type !== 'word') throw this.unexpected(p);
        patterns.push(wordNode(p));
        if (this.isOp('|')) this.next();
        else break;
      }
      if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
      if (!this.isOp(')')) throw this.unexpected(this.peek());
      this.next();
      const body = this.parseCompoundList(new Set(['esac']), ';;');
      arms.push({ patterns, body });
      if (this.isOp(';;')) this.next();
      else if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
      else if (!this.isWord('esac')) throw this.unexpected(this.peek());
    }
    this.expectWord('esac');
    return { type: 'case', word: wordNode(wordToken), arms };
  }

  parseSimple() {
    const command = { type: 'command', assigns: [], words: [], redirects: [] };
    for (;;) {
      const t = this.peek();
      if (t.type === 'word') {
        this.next();
        const assign = command.words.length === 0 ? asAssignment(t) : null;
        if (assign) command.assigns.push(assign);
        else command.words.push(wordNode(t));
        if (command.words.length === 1 && command.assigns.length === 0 && this.isPlain(t, 'eval')) {
          const js = this.javaScriptAfter(t);
          if (js) command.words.push(js); // then only redirections or the end of the command
        }
        // NAME ( ) compound-command: a function definition (§2.9.5).
        if (command.words.length === 1 && command.assigns.length === 0 && command.redirects.length === 0 && this.isOp('(')) {
          return this.parseFunction(t);
        }
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

  // Is `token` the unquoted word `value`, wherever it is?
  isPlain(token, value) {
    return token.raw === value && token.parts.length === 1 && token.parts[0].type === 'text' && !token.parts[0].quoted;
  }

  // `eval` takes JavaScript as Runtime.JS's did (docs/shell.md, "eval and
  // JavaScript"): unless what follows starts with a quote (then it is shell
  // words, as before: `eval 'x' | wc -l`), the rest of the line is one
  // argument, unexpanded (or, if that is no JavaScript, up to the last shell
  // operator before which it is), and the JavaScript may go on over more
  // lines while it is unfinished (as the eval REPL decides: /lib/complete/javascript).
  // Returns the argument's word, or null for the usual shell parsing.
  javaScriptAfter(evalToken) {
    const src = this.src;
    let at = evalToken.end;
    if (!isBlank(src[at])) return null;
    while (isBlank(src[at])) at++;
    const c = src[at];
    if (c === undefined || c === '\n' || c === "'" || c === '"' || c === '#' || ';&|<>()'.includes(c)) return null;
    // `eval --help` asks for eval's help, as every program's --help does.
    if (/^--help(?=$|[ \t\n;&|<>()])/.test(src.slice(at, at + 7))) return null;
    let end = src.indexOf('\n', at);
    if (end < 0) end = src.length;
    let js = src.slice(at, end);
    if (isCompleteJavaScript(js).status === 'invalid') {
      // Not JavaScript as a whole: it ends at the last ; | & < or > before
      // which it is (`eval 6*7; echo done`), and the shell goes on from there.
      for (let cut = js.length - 1; cut > 0; cut--) {
        if (!';|&<>'.includes(js[cut])) continue;
        const head = js.slice(0, cut).trimEnd();
        if (head && isCompleteJavaScript(head).status === 'complete') {
          js = head;
          end = at + cut;
          break;
        }
      }
    }
    while (isCompleteJavaScript(js).status === 'incomplete') {
      if (end >= src.length) throw new ShellSyntaxError('sh: eval: the JavaScript is unfinished', { pos: src.length, incomplete: true });
      let next = src.indexOf('\n', end + 1);
      if (next < 0) next = src.length;
      js = src.slice(at, next);
      end = next;
    }
    this.token = null; // the lookahead was read from where the JavaScript now is
    this.lexer.i = end;
    this.lastEnd = end;
    return { type: 'word', parts: [{ type: 'text', value: js, quoted: true }], raw: js };
  }

  parseFunction(nameToken) {
    if (!isName(nameToken.raw) || RESERVED.has(nameToken.raw)) throw this.unexpected(this.peek());
    this.next(); // (
    if (this.peek().type === 'eof') throw unexpectedEnd(this.peek().pos);
    if (!this.isOp(')')) throw this.unexpected(this.peek());
    this.next();
    this.skipNewlines();
    const t = this.peek();
    if (t.type === 'eof') throw unexpectedEnd(t.pos);
    const compound = t.type === 'word' && ['{', 'if', 'while', 'until', 'for', 'case'].includes(t.raw) && this.isWord(t.raw);
    if (!compound && !this.isOp('(')) throw this.unexpected(t);
    const body = this.parseCommand();
    const raw = `${nameToken.raw}() ${body.raw}`;
    return { type: 'function', name: nameToken.raw, body, raw };
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
    this.next();
    if (fd === null) fd = ['<', '<>', '<&', '<<', '<<-'].includes(op) ? 0 : 1;
    const redirect = { type: 'redirect', op, fd, target: wordNode(target) };
    if (op === '<<' || op === '<<-') {
      // The end word is used as it is written, without its quotes; quoting
      // any of it means the text is taken literally (§2.7.4).
      const delimiter = target.parts.map((p) => (p.type === 'text' ? p.value : p.type === 'tilde' ? '~' : '')).join('');
      const quoted = target.parts.some((p) => p.quoted);
      this.lexer.heredocs.push({ redirect, delimiter: quoted ? delimiter : target.raw, quoted, strip: op === '<<-', pos: this.lastEnd });
    }
    return redirect;
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

function parse(text) {
  return tooDeep(() => new Parser(String(text)).parseProgram());
}

// Nesting deep enough to exhaust the stack ($( $( $( ... ) ) )) is a syntax error, not a crash.
function tooDeep(run) {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) throw new ShellSyntaxError('sh: syntax error: nested too deep', { pos: 0 });
    throw e;
  }
}

// The text's complete commands one at a time, each parsed only when the one
// before it has run: how sh reads a script, so a syntax error on line 9
// stops the script there, after lines 1 to 8 have run.
function* commands(text, { final = false, warn } = {}) {
  const parser = new Parser(String(text), 0, { final, warn });
  for (;;) {
    const list = tooDeep(() => parser.parseNextCommand());
    if (list === null) return;
    yield list;
  }
}

// 'incomplete' if the text ends inside a quote, after a trailing '|', '&&',
// '||' or a backslash-newline, inside an unfinished `if`, loop, `case`,
// group or here-document: an interactive shell then reads another line
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

module.exports = { parse, commands, isComplete, inputStatus, isName, ShellSyntaxError, RESERVED };
