// fs/lib/shell/test.js (/lib/shell/test in the image): the expression of
// `test` and `[` (POSIX.1-2017 XCU test).
//
// POSIX decides by the number of arguments (0 to 4) first; longer
// expressions are parsed with ! binding tightest, then -a, then -o, and
// ( ) grouping. Files are looked at through `stat(path)` -> {type, size} or
// null, or a promise of it (a kernel call).
//
// The expression is evaluated without waiting (test is what a shell loop
// runs each turn: /lib/shell/maybe-async says why that matters): a file not
// looked at yet stops the evaluation (NeedsFile), and it starts again once
// the file's status is known. Evaluating changes nothing, so starting again
// gives what one evaluation that waited would have given.
'use strict';

const { isPromise } = require('/lib/shell/maybe-async');

const UNARY_FILE = new Set(['-e', '-f', '-d', '-s', '-r', '-w', '-x', '-L', '-h', '-b', '-c', '-p', '-S']);
const UNARY_STRING = new Set(['-n', '-z']);
const BINARY = new Set(['=', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>']);

class TestError extends Error {}

// A file operand whose status is not known yet (see the header).
class NeedsFile {
  constructor(path) {
    this.path = path;
  }
}

// The operand of -lt and the rest: digits (the usual case, looked at
// character by character: a loop's test runs this twice a turn), or an
// integer with a sign and blanks around it.
function integer(s) {
  let digits = s.length > 0;
  for (let i = 0; digits && i < s.length; i++) {
    const c = s.charCodeAt(i);
    digits = c >= 48 && c <= 57;
  }
  if (!digits && !/^\s*[-+]?[0-9]+\s*$/.test(s)) throw new TestError(`${s}: bad number`);
  return Number(s);
}

// What stat gave for the file, if it was looked at already (see the header).
function fileStatus(known, path) {
  if (known === null || !known.has(path)) throw new NeedsFile(path);
  return known.get(path);
}

function unary(op, arg, known) {
  if (op === '-n') return arg !== '';
  if (op === '-z') return arg === '';
  const st = fileStatus(known, arg);
  if (st === null) return false;
  switch (op) {
    case '-f':
      return st.type === 'file';
    case '-d':
      return st.type === 'dir';
    case '-s':
      return (st.size || 0) > 0;
    case '-L':
    case '-h':
      return st.type === 'link';
    case '-b':
    case '-c':
      return st.type === 'device';
    case '-p':
    case '-S':
      return false;
    case '-w':
      return st.writable !== false && (arg.startsWith('/tmp') || st.writable === true);
    case '-x':
      return st.type === 'dir' || /\.js$/.test(arg);
    default:
      return true; // -e, -r: it exists (everything here is readable)
  }
}

function binary(left, op, right) {
  switch (op) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '-eq':
      return integer(left) === integer(right);
    case '-ne':
      return integer(left) !== integer(right);
    case '-lt':
      return integer(left) < integer(right);
    case '-le':
      return integer(left) <= integer(right);
    case '-gt':
      return integer(left) > integer(right);
    default:
      return integer(left) >= integer(right);
  }
}

const isUnary = (op) => UNARY_FILE.has(op) || UNARY_STRING.has(op);

// The general grammar, for five arguments or more (or inside parentheses).
function expression(args, known) {
  let pos = 0;
  const peek = () => args[pos];
  function orExpr() {
    let value = andExpr();
    while (peek() === '-o') {
      pos++;
      const right = andExpr();
      value = value || right;
    }
    return value;
  }
  function andExpr() {
    let value = notExpr();
    while (peek() === '-a') {
      pos++;
      const right = notExpr();
      value = value && right;
    }
    return value;
  }
  function notExpr() {
    if (peek() === '!') {
      pos++;
      return !(notExpr());
    }
    return primary();
  }
  function primary() {
    const a = args[pos];
    if (a === undefined) throw new TestError('argument expected');
    if (a === '(') {
      pos++;
      const value = orExpr();
      if (args[pos] !== ')') throw new TestError("missing ')'");
      pos++;
      return value;
    }
    if (BINARY.has(args[pos + 1]) && args[pos + 2] !== undefined) {
      pos += 3;
      return binary(a, args[pos - 2], args[pos - 1]);
    }
    if (isUnary(a) && args[pos + 1] !== undefined) {
      pos += 2;
      return unary(a, args[pos - 1], known);
    }
    pos++;
    return a !== '';
  }
  const value = orExpr();
  if (pos < args.length) throw new TestError(`${args[pos]}: unexpected operator`);
  return value;
}

// POSIX's rules by the number of arguments.
function evaluate(args, known) {
  switch (args.length) {
    case 0:
      return false;
    case 1:
      return args[0] !== '';
    case 2:
      if (args[0] === '!') return args[1] === '';
      if (isUnary(args[0])) return unary(args[0], args[1], known);
      throw new TestError(`${args[0]}: unary operator expected`);
    case 3:
      if (BINARY.has(args[1])) return binary(args[0], args[1], args[2]);
      if (args[1] === '-a' || args[1] === '-o') return expression(args, known);
      if (args[0] === '!') return !evaluate(args.slice(1), known);
      if (args[0] === '(' && args[2] === ')') return args[1] !== '';
      throw new TestError(`${args[1]}: binary operator expected`);
    case 4:
      if (args[0] === '!') return !evaluate(args.slice(1), known);
      if (args[0] === '(' && args[3] === ')') return evaluate(args.slice(1, 3), known);
      return expression(args, known);
    default:
      return expression(args, known);
  }
}

// {status: 0 true, 1 false, 2 error; error: the message}, or a promise of
// it when a file had to be looked at through stat.
function test(args, stat, known = null) {
  // known: path -> what stat gave, once a file was needed.
  try {
    return evaluate(args, known) ? TRUE : FALSE;
  } catch (e) {
    if (e instanceof TestError) return { status: 2, error: e.message };
    if (!(e instanceof NeedsFile)) throw e;
    const files = known || new Map();
    const learnt = (value) => {
      files.set(e.path, value);
      return test(args, stat, files);
    };
    const st = stat(e.path);
    return isPromise(st) ? st.then(learnt) : learnt(st);
  }
}

const TRUE = Object.freeze({ status: 0 });
const FALSE = Object.freeze({ status: 1 });

module.exports = { test };
