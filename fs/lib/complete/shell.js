// fs/lib/complete/shell.js: completion for command lines, answered by the
// session shell (apps/sh.js) for the REPL client (docs/protocol.md).
//
// What completes depends on where the cursor is, as in bash:
//   command position    the commands in /bin and the shell's builtins
//   after `eval `        JavaScript, from this isolate (/lib/complete/javascript)
//   a word starting -    the options the command's app declares (/lib/app-info)
//   a word starting $    variables
//   anywhere else        paths in the file tree, relative to the shell's cwd
'use strict';

const { completeJavaScript } = require('/lib/complete/javascript');
const { descriptionOf, optionsOf } = require('/lib/app-info');

const BUILTINS = {
  cd: 'change the directory',
  pwd: 'print the directory',
  exit: 'leave the shell',
  export: 'export variables',
  unset: 'remove variables',
  jobs: 'list the background jobs',
  fg: 'bring a job to the foreground',
  bg: 'say a job already runs in the background',
  wait: 'wait for background jobs to end',
  ulimit: 'show or tighten the limits of commands',
  ':': 'do nothing, successfully',
  break: 'leave a loop',
  continue: 'go round a loop again',
  return: 'leave a function',
  shift: 'drop the first positional parameters',
  set: 'set options or the positional parameters',
  local: "make a variable the function's own",
  trap: 'run a command on a signal or at exit',
  '.': "run a file's commands in this shell",
  source: "run a file's commands in this shell",
  read: 'read a line into variables',
  printf: 'print formatted text',
  test: 'check files, strings and numbers',
  '[': 'check files, strings and numbers',
  command: 'run a command, not a function; or say what it is',
  type: 'say what a command name is',
  exec: 'run a command in place of the shell, or redirect the shell',
  readonly: 'make variables unchangeable',
  getopts: 'parse options in a script',
  history: 'list the command lines this shell has read',
  echo: 'print arguments',
};
const OPERATORS = new Set([';', '&', '|', '(', ')']);

// Where the cursor is: the word it ends (its start and text, unquoted), and
// the words of the simple command before it. Quotes and backslashes are
// followed, so `ls 'my fi` completes the word `my fi`.
function scan(line) {
  let words = [];
  let word = null; // {start, text}
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word.text += line[++i];
      else word.text += c;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word) words.push(word.text);
      word = null;
    } else if (OPERATORS.has(c) || c === '<' || c === '>') {
      if (word) words.push(word.text);
      word = null;
      if (OPERATORS.has(c)) words = []; // a new command starts
      else words.push(c); // a redirection: the next word is a path
    } else {
      if (!word) word = { start: i, text: '' };
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\' && i + 1 < line.length) word.text += line[++i];
      else word.text += c;
    }
  }
  return { words, word: word || { start: line.length, text: '' }, quoted: quote };
}

// Completions for `line` with the cursor at `cursor`: {start, end, items}.
// `shell` is the session's Shell (its cwd and variables); `sys` the app API.
async function completeShell(line, cursor, { shell, sys, cache = new Map() }) {
  const before = line.slice(0, cursor);
  const { words, word, quoted } = scan(before);
  const reply = (items, start = word.start) => ({ start, end: cursor, items });

  if (words[0] === 'eval' && words.length >= 1) {
    // JavaScript from the first argument on: offsets are the line's.
    const from = evalStart(before);
    const js = completeJavaScript(before.slice(from), cursor - from);
    return reply(js.items, from + js.start);
  }
  if (word.text.startsWith('$') && !quoted) {
    const partial = word.text.slice(1);
    const names = [...shell.vars.keys(), '?', '$', '#'].filter((n) => n.startsWith(partial)).sort();
    return reply(names.map((n) => ({ text: '$' + n, kind: 'variable' })));
  }
  const redirect = words.length && (words[words.length - 1] === '<' || words[words.length - 1] === '>');
  if (words.length === 0 && !word.text.includes('/')) return reply(await commands(word.text, sys, cache));
  if (word.text.startsWith('-') && !redirect && words.length) {
    const items = await options(words[0], word.text, sys, cache);
    if (items.length) return reply(items);
  }
  return reply(await paths(word.text, shell.cwd, sys, quoted));
}

// Where the JavaScript of `eval ...` begins (after `eval` and its blanks).
function evalStart(before) {
  const m = /(^|[;&|(]\s*)eval\s+/.exec(before);
  return m ? m.index + m[0].length : before.length;
}

async function commands(partial, sys, cache) {
  // name -> item: a builtin that is also a program (echo) is offered once, with the program's description.
  const items = new Map(
    Object.keys(BUILTINS)
      .filter((n) => n.startsWith(partial))
      .map((n) => [n, { text: n, kind: 'command', meta: BUILTINS[n] }]),
  );
  let entries = [];
  try {
    entries = await sys.fs.readdir('/bin');
  } catch (e) {
    /* no /bin: builtins only */
  }
  for (const e of entries) {
    const name = e.name.replace(/\.js$/, '');
    if (e.type === 'dir' || !e.name.endsWith('.js') || !name.startsWith(partial)) continue;
    const info = await appInfo(name, sys, cache);
    items.set(name, { text: name, kind: 'command', meta: info ? info.description : '' });
  }
  return [...items.values()].sort((a, b) => (a.text < b.text ? -1 : 1));
}

async function options(command, partial, sys, cache) {
  const info = await appInfo(command, sys, cache);
  if (!info) return [];
  return info.options.filter(([opt]) => opt.startsWith(partial)).map(([opt, meaning]) => ({ text: opt, kind: 'option', meta: meaning }));
}

// {description, options} of /bin/NAME.js, read once per shell: the image is read-only.
async function appInfo(name, sys, cache) {
  if (!/^[\w.-]+$/.test(name)) return null;
  if (!cache.has(name)) {
    cache.set(
      name,
      sys.fs.readFile(`/bin/${name}.js`).then(
        (source) => ({ description: descriptionOf(source), options: optionsOf(source) }),
        () => null,
      ),
    );
  }
  return cache.get(name);
}

// Names in the directory part of `partial` that start with its last part.
// Directories end in '/', so Tab keeps going down the tree; dot files show
// only when the part typed starts with a dot. Blanks are escaped unless the
// word is in quotes (then the item starts with the quote it replaces).
async function paths(partial, cwd, sys, quoted) {
  const slash = partial.lastIndexOf('/');
  const dir = slash >= 0 ? partial.slice(0, slash + 1) : '';
  const base = partial.slice(slash + 1);
  const home = dir.startsWith('~/') ? '/' + dir.slice(2) : dir;
  const where = home.startsWith('/') ? home || '/' : `${cwd.replace(/\/$/, '')}/${home}`;
  let entries;
  try {
    entries = await sys.fs.readdir(where);
  } catch (e) {
    return [];
  }
  const escape = (s) => (quoted ? s : s.replace(/([\s'"\\$`&|;<>()*?])/g, '\\$1'));
  return entries
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => ({ text: (quoted || '') + escape(dir + e.name) + (e.type === 'dir' ? '/' : ''), kind: e.type === 'dir' ? 'dir' : 'file' }));
}

module.exports = { completeShell, scan, BUILTINS };
