// fs/lib/shell/test.js (/lib/shell/test in the image): the expression of
// `test` and `[` (POSIX.1-2017 XCU test).
//
// POSIX decides by the number of arguments (0 to 4) first; longer
// expressions are parsed with ! binding tightest, then -a, then -o, and
// ( ) grouping. Files are looked at through `stat(path)` -> {type, size} or null.
'use strict';

const UNARY_FILE = new Set(['-e', '-f', '-d', '-s', '-r', '-w', '-x', '-L', '-h', '-b', '-c', '-p', '-S']);
const UNARY_STRING = new Set(['-n', '-z']);
const BINARY = new Set(['=', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>']);

class TestError extends Error {}

function integer(s) {
  if (!/^\s*[-+]?[0-9]+\s*$/.test(s)) throw new TestError(`${s}: bad number`);
  return Number(s);
}

async function unary(op, arg, stat) {
  if (op === '-n') return arg !== '';
  if (op === '-z') return arg === '';
  const st = await stat(arg);
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
async function expression(args, stat) {
  let pos = 0;
  const peek = () => args[pos];
  async function orExpr() {
    let value = await andExpr();
    while (peek() === '-o') {
      pos++;
      const right = await andExpr();
      value = value || right;
    }
    return value;
  }
  async function andExpr() {
    let value = await notExpr();
    while (peek() === '-a') {
      pos++;
      const right = await notExpr();
      value = value && right;
    }
    return value;
  }
  async function notExpr() {
    if (peek() === '!') {
      pos++;
      return !(await notExpr());
    }
    return primary();
  }
  async function primary() {
    const a = args[pos];
    if (a === undefined) throw new TestError('argument expected');
    if (a === '(') {
      pos++;
      const value = await orExpr();
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
      return unary(a, args[pos - 1], stat);
    }
    pos++;
    return a !== '';
  }
  const value = await orExpr();
  if (pos < args.length) throw new TestError(`${args[pos]}: unexpected operator`);
  return value;
}

// POSIX's rules by the number of arguments.
async function evaluate(args, stat) {
  switch (args.length) {
    case 0:
      return false;
    case 1:
      return args[0] !== '';
    case 2:
      if (args[0] === '!') return args[1] === '';
      if (isUnary(args[0])) return unary(args[0], args[1], stat);
      throw new TestError(`${args[0]}: unary operator expected`);
    case 3:
      if (BINARY.has(args[1])) return binary(args[0], args[1], args[2]);
      if (args[1] === '-a' || args[1] === '-o') return expression(args, stat);
      if (args[0] === '!') return !(await evaluate(args.slice(1), stat));
      if (args[0] === '(' && args[2] === ')') return args[1] !== '';
      throw new TestError(`${args[1]}: binary operator expected`);
    case 4:
      if (args[0] === '!') return !(await evaluate(args.slice(1), stat));
      if (args[0] === '(' && args[3] === ')') return evaluate(args.slice(1, 3), stat);
      return expression(args, stat);
    default:
      return expression(args, stat);
  }
}

// {status: 0 true, 1 false, 2 error; error: the message}.
async function test(args, stat) {
  try {
    return { status: (await evaluate(args, stat)) ? 0 : 1 };
  } catch (e) {
    if (e instanceof TestError) return { status: 2, error: e.message };
    throw e;
  }
}

module.exports = { test };
