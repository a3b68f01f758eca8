// fs/lib/shell/arith.js (/lib/shell/arith in the image): $(( ... )), the
// shell's arithmetic (POSIX.1-2017 XCU §2.6.4, the C operators on integers).
//
// The text has had its $ expansions done already; names that are left are
// variables, read (and, for = += ..., set) through `vars`: {get(name) ->
// string | undefined, set(name, string)}. Numbers are integers: decimal,
// 0x hex or 0 octal; division truncates, as C does.
'use strict';

class ArithmeticError extends Error {}

// Highest binding last; each level is left-associative.
const BINARY = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];
const ASSIGN = ['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|='];
const TOKEN = /\s*(?:(0[xX][0-9a-fA-F]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(<<=|>>=|\+=|-=|\*=|\/=|%=|&=|\^=|\|=|\|\||&&|==|!=|<=|>=|<<|>>|[-+*/%()<>!~&|^?:=]))/y;

function tokens(text) {
  const out = [];
  TOKEN.lastIndex = 0;
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(text);
    if (!m) throw new ArithmeticError(`arithmetic syntax error: "${text.slice(i).trim()}"`);
    if (m[1] !== undefined) out.push({ num: m[1] });
    else if (m[2] !== undefined) out.push({ name: m[2] });
    else out.push({ op: m[3] });
    i = TOKEN.lastIndex;
  }
  return out;
}

function toNumber(text, what) {
  const s = String(text).trim();
  if (s === '') return 0;
  let m;
  if ((m = /^([-+]?)0[xX]([0-9a-fA-F]+)$/.exec(s))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 16);
  if ((m = /^([-+]?)0([0-7]+)$/.exec(s))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 8);
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  throw new ArithmeticError(`arithmetic: ${what}: bad number "${s}"`);
}

// Evaluates the expression; `vars` is read only when a branch is taken
// (a && b does not evaluate b after a false a).
function evaluate(text, vars) {
  const toks = tokens(text);
  let pos = 0;
  const peek = () => toks[pos];
  const isOp = (op) => toks[pos] && toks[pos].op === op;
  const expect = (op) => {
    if (!isOp(op)) throw new ArithmeticError(`arithmetic syntax error: expected "${op}" in "${text.trim()}"`);
    pos++;
  };
  const value = (name) => toNumber(vars.get(name) ?? '', name);
  const int = (n) => {
    if (!Number.isFinite(n)) throw new ArithmeticError('arithmetic: division by zero');
    return Math.trunc(n) + 0; // + 0: no -0
  };

  // `live`: false in a branch that is skipped (no variable is set there).
  function assignment(live) {
    const t = peek();
    const next = toks[pos + 1];
    if (t && t.name && next && ASSIGN.includes(next.op)) {
      pos += 2;
      const right = assignment(live);
      if (!live) return 0;
      const result = next.op === '=' ? right : apply(next.op.slice(0, -1), value(t.name), right);
      vars.set(t.name, String(result));
      return result;
    }
    return conditional(live);
  }

  function conditional(live) {
    const cond = binary(0, live);
    if (!isOp('?')) return cond;
    pos++;
    const a = assignment(live && cond !== 0);
    expect(':');
    const b = conditional(live && cond === 0);
    return cond !== 0 ? a : b;
  }

  function binary(level, live) {
    if (level === BINARY.length) return unary(live);
    let left = binary(level + 1, live);
    while (peek() && BINARY[level].includes(peek().op)) {
      const op = toks[pos++].op;
      if (op === '&&') left = Number(binary(level + 1, live && left !== 0) !== 0 && left !== 0);
      else if (op === '||') left = Number(binary(level + 1, live && left === 0) !== 0 || left !== 0);
      else left = live ? apply(op, left, binary(level + 1, live)) : (binary(level + 1, live), 0);
    }
    return left;
  }

  function unary(live) {
    const t = peek();
    if (!t) throw new ArithmeticError(`arithmetic syntax error: "${text.trim()}" ends too early`);
    if (t.op === '-' || t.op === '+' || t.op === '!' || t.op === '~') {
      pos++;
      const v = unary(live);
      return t.op === '-' ? -v : t.op === '+' ? v : t.op === '!' ? Number(v === 0) : ~v;
    }
    if (t.op === '(') {
      pos++;
      const v = assignment(live);
      expect(')');
      return v;
    }
    pos++;
    if (t.num !== undefined) return toNumber(t.num, t.num);
    if (t.name !== undefined) return live ? value(t.name) : 0;
    throw new ArithmeticError(`arithmetic syntax error: unexpected "${t.op}" in "${text.trim()}"`);
  }

  function apply(op, a, b) {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/':
      case '%':
        if (b === 0) throw new ArithmeticError('arithmetic: division by zero');
        return op === '/' ? Math.trunc(a / b) : a % b;
      case '<<': return a * 2 ** b;
      case '>>': return Math.floor(a / 2 ** b);
      case '<': return Number(a < b);
      case '<=': return Number(a <= b);
      case '>': return Number(a > b);
      case '>=': return Number(a >= b);
      case '==': return Number(a === b);
      case '!=': return Number(a !== b);
      case '&': return a & b;
      case '|': return a | b;
      case '^': return a ^ b;
      default: throw new ArithmeticError(`arithmetic: unknown operator ${op}`);
    }
  }

  if (toks.length === 0) return 0;
  const result = assignment(true);
  if (pos < toks.length) throw new ArithmeticError(`arithmetic syntax error: unexpected "${toks[pos].op || toks[pos].num || toks[pos].name}" in "${text.trim()}"`);
  return int(result);
}

module.exports = { evaluate, ArithmeticError, toNumber };
