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

const TRAILING_SPACE = /\s*$/y;

function tokens(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    TRAILING_SPACE.lastIndex = i;
    if (TRAILING_SPACE.test(text)) break;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(text);
    if (!m) throw new ArithmeticError(`arithmetic syntax error: "${text.slice(i).trim()}"`);
    if (m[1] !== undefined) out.push({ num: m[1], value: toNumber(m[1], m[1]) });
    else if (m[2] !== undefined) out.push({ name: m[2] });
    else out.push({ op: m[3] });
    i = TOKEN.lastIndex;
  }
  return out;
}

// A loop evaluates the same text again and again ($((i + 1))): what its
// tokens are is kept (they are never changed), for up to TOKENS_KEPT texts:
// {toks, binary}. binary is set when the text is one operator between two
// operands, each a name or a number, as a loop's counter usually is
// (i + 1, n * 2, i < 10; not && or ||, which may skip their right side).
const TOKENS_KEPT = 256;
const tokensKept = new Map();

function keptOf(text) {
  let kept = tokensKept.get(text);
  if (kept === undefined) {
    const toks = tokens(text);
    kept = { toks, binary: oneOperator(toks) ? toks[1].op : null };
    if (tokensKept.size >= TOKENS_KEPT) tokensKept.clear();
    tokensKept.set(text, kept);
  }
  return kept;
}

function oneOperator(toks) {
  if (toks.length !== 3 || toks[0].op !== undefined || toks[2].op !== undefined) return false;
  const { op } = toks[1];
  return op !== undefined && LEVEL.has(op) && op !== '&&' && op !== '||';
}

function toNumber(text, what) {
  const s = String(text).trim();
  if (s === '') return 0;
  if (isPlainDecimal(s)) return Number(s); // most values: 42, 10000
  let m;
  if ((m = /^([-+]?)0[xX]([0-9a-fA-F]+)$/.exec(s))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 16);
  if ((m = /^([-+]?)0([0-7]+)$/.exec(s))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 8);
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  throw new ArithmeticError(`arithmetic: ${what}: bad number "${s}"`);
}

// Digits only, not starting with 0 (that would be octal), or "0".
function isPlainDecimal(s) {
  if (s.length > 15 || (s.charCodeAt(0) === 48 && s.length > 1)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// Each binary operator's level in BINARY.
const LEVEL = new Map(BINARY.flatMap((ops, level) => ops.map((op) => [op, level])));
const ASSIGNS = new Set(ASSIGN);

// Evaluates the expression; `vars` is read only when a branch is taken
// (a && b does not evaluate b after a false a).
function evaluate(text, vars) {
  const { toks, binary } = keptOf(text);
  if (toks.length === 0) return 0;
  let result;
  if (binary !== null) {
    // One operator: what the descent below computes for it (the left
    // operand, the right, then the operator), without its dozen calls at
    // every turn of a loop (docs/performance.md, issue 12).
    result = apply(binary, operand(toks[0], vars), operand(toks[2], vars));
  } else {
    const e = new Evaluation(text, toks, vars);
    result = e.assignment(true);
    if (e.pos < toks.length) throw new ArithmeticError(`arithmetic syntax error: unexpected "${toks[e.pos].op || toks[e.pos].num || toks[e.pos].name}" in "${text.trim()}"`);
  }
  if (!Number.isFinite(result)) throw new ArithmeticError('arithmetic: division by zero');
  return Math.trunc(result) + 0; // + 0: no -0
}

// A number token's value, or a name's (read now).
function operand(t, vars) {
  return t.num !== undefined ? t.value : toNumber(vars.get(t.name) ?? '', t.name);
}

// One evaluation, a recursive descent over the tokens that computes as it
// goes. `live`: false in a branch that is skipped (no variable is set there,
// none is read).
class Evaluation {
  constructor(text, toks, vars) {
    this.text = text;
    this.toks = toks;
    this.vars = vars;
    this.pos = 0;
  }

  isOp(op) {
    const t = this.toks[this.pos];
    return t !== undefined && t.op === op;
  }

  expect(op) {
    if (!this.isOp(op)) throw new ArithmeticError(`arithmetic syntax error: expected "${op}" in "${this.text.trim()}"`);
    this.pos++;
  }

  value(name) {
    return toNumber(this.vars.get(name) ?? '', name);
  }

  assignment(live) {
    const t = this.toks[this.pos];
    const next = this.toks[this.pos + 1];
    if (t && t.name && next && ASSIGNS.has(next.op)) {
      this.pos += 2;
      const right = this.assignment(live);
      if (!live) return 0;
      const result = next.op === '=' ? right : apply(next.op.slice(0, -1), this.value(t.name), right);
      this.vars.set(t.name, String(result));
      return result;
    }
    return this.conditional(live);
  }

  conditional(live) {
    const cond = this.binary(0, live);
    if (!this.isOp('?')) return cond;
    this.pos++;
    const a = this.assignment(live && cond !== 0);
    this.expect(':');
    const b = this.conditional(live && cond === 0);
    return cond !== 0 ? a : b;
  }

  // Binary operators of BINARY's `level` or higher, left-associative
  // (precedence climbing: the same grammar as one function per level).
  binary(level, live) {
    let left = this.unary(live);
    for (;;) {
      const t = this.toks[this.pos];
      const at = t === undefined || t.op === undefined ? undefined : LEVEL.get(t.op);
      if (at === undefined || at < level) return left;
      this.pos++;
      const { op } = t;
      if (op === '&&') left = Number(this.binary(at + 1, live && left !== 0) !== 0 && left !== 0);
      else if (op === '||') left = Number(this.binary(at + 1, live && left === 0) !== 0 || left !== 0);
      else {
        const right = this.binary(at + 1, live);
        left = live ? apply(op, left, right) : 0;
      }
    }
  }

  unary(live) {
    const t = this.toks[this.pos];
    if (!t) throw new ArithmeticError(`arithmetic syntax error: "${this.text.trim()}" ends too early`);
    if (t.op === '-' || t.op === '+' || t.op === '!' || t.op === '~') {
      this.pos++;
      const v = this.unary(live);
      return t.op === '-' ? -v : t.op === '+' ? v : t.op === '!' ? Number(v === 0) : ~v;
    }
    if (t.op === '(') {
      this.pos++;
      const v = this.assignment(live);
      this.expect(')');
      return v;
    }
    this.pos++;
    if (t.num !== undefined) return t.value;
    if (t.name !== undefined) return live ? this.value(t.name) : 0;
    throw new ArithmeticError(`arithmetic syntax error: unexpected "${t.op}" in "${this.text.trim()}"`);
  }
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

module.exports = { evaluate, ArithmeticError, toNumber };
