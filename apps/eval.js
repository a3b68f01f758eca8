// apps/eval.js: evaluate JavaScript and print the result as Node's REPL does.
// `eval CODE...` runs its arguments once; with no arguments it is a REPL over
// standard input: multi-line input, `_` for the last value, dot commands.
//
// Code runs through indirect eval, `(0, eval)(code)`, so it sees this
// isolate's globals (sys, console, setTimeout) but none of this module's
// variables, and its `var`s and functions become globals for the next line.
'use strict';

const { inspect, formatError } = require('/lib/inspect');
const { completeJavaScript, isCompleteJavaScript } = require('/lib/complete/javascript');

module.exports = async function main(argv) {
  if (argv.length > 1) return evalOnce(argv.slice(1).join(' '));
  return repl();
};

async function evalOnce(code) {
  try {
    print(await evaluate(code, '[eval]'));
    return 0;
  } catch (e) {
    reportError(e);
    return 1;
  }
}

// ---- Evaluating -----------------------------------------------------------

// Run the code; a promise result is awaited, so `eval sys.kernel.info()`
// prints the info rather than Promise { <pending> }.
async function evaluate(code, name) {
  const value = run(code, name);
  return value instanceof Promise ? await value : value;
}

// `name` (REPL1, [eval]) is what stack traces call the code. Like Node's REPL,
// input that looks like { a: 1 } is tried as an object literal first, and code
// using `await` is run again inside an async function.
function run(code, name) {
  const evalAs = (source) => (0, eval)(`${source}\n//# sourceURL=${name}`);
  if (/^\s*\{/.test(code) && /\}\s*$/.test(code)) {
    try {
      return evalAs(`(${code}\n)`);
    } catch (e) {
      if (!isParseError(e, name)) throw e;
    }
  }
  try {
    return evalAs(code);
  } catch (e) {
    // V8 says "await is only valid..." or, for `f(await x)`, "missing ) after argument list".
    if (!isParseError(e, name) || !(/await is only valid/.test(e.message) || /\bawait\b/.test(code))) throw e;
  }
  const versions = asyncVersions(code);
  for (const version of versions.slice(0, -1)) {
    try {
      return evalAs(version);
    } catch (e) {
      if (!isParseError(e, name)) throw e;
    }
  }
  return evalAs(versions[versions.length - 1]);
}

// Top-level await: the code becomes the body of an async function, tried
// first as an expression (its value is printed), then as statements. In
// `var x = await f()` the `var` is dropped, so that the assignment (sloppy
// mode) makes a global x that the next line still sees.
function asyncVersions(code) {
  const statements = `(async () => {${code}\n})()`;
  const declaration = /^\s*var\s+([\s\S]*)$/.exec(code);
  if (declaration) return [`(async () => { void (${declaration[1]}\n); })()`, statements];
  // `await 0; 7` is worth 7, as in Node's REPL: the last statement is returned.
  const cut = lastStatement(code);
  const last = cut > 0 && code.slice(cut).trim() ? `(async () => {${code.slice(0, cut)}; return (${code.slice(cut)}\n);})()` : null;
  return [`(async () => (${code}\n))()`, last || statements, ...(last ? [statements] : [])];
}

// Where the last top-level statement starts: after the last ';' outside
// brackets, strings, templates and comments (0: there is only one).
function lastStatement(code) {
  let depth = 0;
  let cut = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < code.length && code[i] !== c; i++) if (code[i] === '\\') i++;
    } else if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      i = code.indexOf('*/', i + 2);
      if (i < 0) return 0;
      i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ';' && depth === 0 && code.slice(i + 1).trim()) cut = i + 1;
  }
  return cut;
}

// Did eval reject the code before running any of it? A SyntaxError thrown
// while running (by JSON.parse, say) has a stack frame in the code itself.
function isParseError(e, name) {
  return e instanceof SyntaxError && !stackOf(e).includes(`${name}:`);
}


function stackOf(e) {
  try {
    return typeof e.stack === 'string' ? e.stack : '';
  } catch (err) {
    return '';
  }
}

// ---- Printing -------------------------------------------------------------

function print(value) {
  sys.stdout.write(inspect(value, { colors: sys.stdout.isTTY === true }) + '\n');
}

// `Uncaught ` and the error, as Node's REPL writes it, on stderr.
function reportError(e) {
  trimStack(e);
  const text = formatError(e);
  const looksLikeError = /^\[?([A-Z][a-z0-9_]*)*Error/.test(text);
  sys.stderr.write(`Uncaught${!looksLikeError && text.includes('\n') ? ':\n' : ' '}${text}\n`);
}

// Keep only the stack frames of the user's code, as Node's REPL does: cut
// at the outermost frame of the evaluated code itself ("at eval (REPL2:1:1)")
// and drop everything below it (this app, the runtime). What is left is the
// chain of the user's functions: "at f (REPL1:1:21)".
function trimStack(e) {
  const stack = stackOf(e);
  const lines = stack.split('\n');
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  if (first === -1) return;
  const ours = /(REPL\d+|\[eval\]):\d+:\d+\)?$/;
  const topLevel = /^\s+at (eval \()?(REPL\d+|\[eval\]):\d+:\d+\)?$/;
  let cut = -1;
  for (let i = first; i < lines.length; i++) if (topLevel.test(lines[i])) cut = i;
  if (cut === -1) {
    // No top-level frame (a callback, say): keep down to the last frame of ours.
    cut = first;
    for (let i = first; i < lines.length; i++) if (ours.test(lines[i])) cut = i + 1;
  }
  const kept = lines.slice(0, cut).map((line) => line.replace(/^(\s+at )eval \((.*)\)$/, '$1$2'));
  try {
    e.stack = kept.join('\n');
  } catch (err) {
    // a frozen error keeps its full stack
  }
}

// ---- The REPL -------------------------------------------------------------

const HELP = [
  ['.break', 'Forget the lines typed so far of an unfinished input'],
  ['.clear', 'Alias for .break'],
  ['.exit', 'Exit the REPL (also: exit, or Ctrl-D)'],
  ['.help', 'Print this help message'],
  ['.load FILE', 'Evaluate a JavaScript file in this session'],
];

// With the REPL client on the other end (stdin.kind 'channel'), the prompt
// travels with the request for input, and the client asks this isolate to
// complete names and to tell whether an input is finished. Elsewhere (the
// console, a pipe) the prompt is printed before each line, as Node does.
async function repl() {
  const state = { buffer: '', count: 0 }; // buffer: an unfinished input
  const toClient = sys.stdin.kind === 'channel';
  const promptText = () => (state.buffer === '' ? '> ' : '... ');
  const nextLine = lineReader(() => (toClient ? { prompt: promptText(), language: 'javascript' } : undefined));
  if (toClient) {
    sys.stdin.setCompleter({
      complete: (line, cursor) => completeJavaScript(line, cursor),
      isComplete: (code) => isCompleteJavaScript(state.buffer + code),
    });
  }
  for (;;) {
    if (!toClient) sys.stdout.write(promptText());
    const line = await nextLine();
    if (line === null) {
      sys.stdout.write('\n'); // Ctrl-D: leave the cursor on a fresh line
      return 0;
    }
    const command = line.trim();
    if (state.buffer === '' && (command === 'exit' || command === '.exit')) return 0;
    if (isDotCommand(command)) {
      const done = await dotCommand(command, state);
      if (done === 'exit') return 0;
      if (done !== 'code') continue;
    }
    if (state.buffer === '' && command === '') continue;
    await evalLine(state.buffer + line, state);
  }
}

// An input is evaluated once it is finished, as one unit; until then its
// lines wait in state.buffer (a '... ' prompt). Finished means what the
// client is told when it asks (is-complete, /lib/complete/javascript), so
// the REPL and the client's continuation prompt always agree.
async function evalLine(code, state) {
  if (isCompleteJavaScript(code).status === 'incomplete') {
    state.buffer = code + '\n';
    return;
  }
  const name = `REPL${state.count + 1}`;
  try {
    const value = await evaluate(prepare(code), name);
    globalThis._ = value;
    print(value);
  } catch (e) {
    globalThis._error = e;
    reportError(e);
  }
  state.buffer = '';
  state.count++;
}

// Each input is its own eval, whose `let` and `const` would vanish with it;
// a leading declaration becomes a `var` so that the next line still sees it.
function prepare(code) {
  return code.replace(/^(\s*)(let|const)(\s+)(?=[A-Za-z_$[{])/, '$1var$3');
}

// Node's rule: '.name' is a command, '..' or '.5' is not.
const isDotCommand = (text) => text[0] === '.' && text[1] !== '.' && Number.isNaN(parseFloat(text));
const KEYWORDS = new Set(['.exit', '.break', '.clear', '.help', '.load']);

// 'exit', 'ok', or 'code': inside an unfinished input a line such as
// `.charAt(0))` that names no command is more of the input (Node does the same).
async function dotCommand(text, state) {
  const [command, ...args] = text.split(/\s+/);
  if (!KEYWORDS.has(command) && state.buffer !== '') return 'code';
  if (command === '.exit') return 'exit';
  if (command === '.break' || command === '.clear') {
    state.buffer = '';
  } else if (command === '.help') {
    const width = Math.max(...HELP.map(([name]) => name.length)) + 3;
    for (const [name, what] of HELP) sys.stdout.write(`${name.padEnd(width)}${what}\n`);
    sys.stdout.write('\nPress Ctrl-D to exit the REPL\n');
  } else if (command === '.load' && args.length > 0) {
    await load(args.join(' '), state);
  } else {
    sys.stderr.write('Invalid REPL keyword\n');
  }
  return 'ok';
}

async function load(path, state) {
  let source;
  try {
    source = await sys.fs.readFile(path);
  } catch (e) {
    sys.stderr.write(`Failed to load: ${e.message}\n`);
    return;
  }
  state.buffer = '';
  await evalLine(source, state);
}

// Standard input arrives in chunks (a line at a time from the terminal, any
// size from a pipe); this hands out one line at a time, without its '\n', and
// null at the end of the input.
function lineReader(readOptions = () => undefined) {
  let pending = '';
  let ended = false;
  return async function nextLine() {
    for (;;) {
      const newline = pending.indexOf('\n');
      if (newline !== -1) {
        const line = pending.slice(0, newline).replace(/\r$/, '');
        pending = pending.slice(newline + 1);
        return line;
      }
      if (ended) {
        const last = pending;
        pending = '';
        return last === '' ? null : last;
      }
      const chunk = await sys.stdin.read(readOptions());
      if (chunk === null) ended = true;
      else pending += chunk;
    }
  };
}

module.exports.description = 'evaluate JavaScript; with no arguments, a REPL';
module.exports.options = {};
module.exports.usage = 'eval [CODE...]';
