// Unit tests for fs/lib/shell/parse.js and fs/lib/shell/expand.js: the tree
// for a line, expansion against an environment, and syntax errors with their
// messages.
const { parse, commands, isComplete, inputStatus, ShellSyntaxError } = require('/lib/shell/parse');
const expand = require('/lib/shell/expand');

const ENV = { HOME: '/home/me', X: 'a  b', EMPTY: '', '?': '3', N: 'n' };

// The one simple command of a line.
function command(line) {
  const list = parse(line);
  assert.equal(list.items.length, 1);
  const pipeline = list.items[0].command;
  assert.equal(pipeline.type, 'pipeline');
  assert.equal(pipeline.commands.length, 1);
  return pipeline.commands[0];
}

// What expansion needs of the shell, over a plain object of variables (or
// a function name -> value) and a file tree {dir: [names]} for globbing.
function fakeShell(env, { files = {}, positional = [], substitute = async () => '' } = {}) {
  const vars = typeof env === 'function' ? null : { ...env };
  const sh = {
    vars,
    valueOf: (name) => (vars ? (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined) : env(name)),
    positionalArgs: () => positional,
    setVariable: (name, value) => (vars[name] = value),
    options: {},
    substitute,
    cwd: '/d',
    sys: {
      fs: {
        async readdir(path) {
          if (!(path in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
          return files[path].map((name) => ({ name }));
        },
        async stat(path) {
          const dir = path.slice(0, path.lastIndexOf('/')) || '/';
          if (path in files) return { type: 'dir' };
          if ((files[dir] || []).includes(path.slice(path.lastIndexOf('/') + 1))) return { type: 'file' };
          throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        },
      },
    },
  };
  sh.arithmeticVariables = { get: (name) => sh.valueOf(name), set: (name, value) => sh.setVariable(name, value) };
  return sh;
}

const expandFields = (word, env) => expand.expandFields([word], fakeShell(env));
const expandWord = (word, env) => expand.expandWord(word, fakeShell(env));

// The arguments a line's command gets, expanded against ENV.
async function args(line, env = ENV, options = {}) {
  return expand.expandFields(command(line).words, fakeShell(env, options));
}

// A compact picture of an and-or tree: "(a && b) || c".
function shape(node) {
  if (node.type === 'pipeline') return node.commands.map((c) => c.words.map((w) => w.raw).join(' ')).join(' | ');
  return `(${shape(node.left)} ${node.type === 'and' ? '&&' : '||'} ${shape(node.right)})`;
}

function syntaxError(line) {
  try {
    parse(line);
  } catch (e) {
    assert.ok(e instanceof ShellSyntaxError, `not a ShellSyntaxError: ${e}`);
    return e;
  }
  throw new Error(`no syntax error for ${JSON.stringify(line)}`);
}

test('an empty or blank line, or a comment, is an empty list', () => {
  assert.deepEqual(parse(''), { type: 'list', items: [] });
  assert.deepEqual(parse('   \t\n'), { type: 'list', items: [] });
  assert.deepEqual(parse('# just a comment'), { type: 'list', items: [] });
});

test('a simple command is words with parts', () => {
  assert.deepEqual(command('echo hi'), {
    type: 'command',
    assigns: [],
    words: [
      { type: 'word', parts: [{ type: 'text', value: 'echo', quoted: false }], raw: 'echo' },
      { type: 'word', parts: [{ type: 'text', value: 'hi', quoted: false }], raw: 'hi' },
    ],
    redirects: [],
  });
});

test('blanks separate words; quotes and escapes keep them together', async () => {
  assert.deepEqual(await args('  echo   a\tb  '), ['echo', 'a', 'b']);
  assert.deepEqual(await args(`echo 'a  b' "c  d" e\\ f`), ['echo', 'a  b', 'c  d', 'e f']);
  assert.deepEqual(await args(`echo a'b'"c"d`), ['echo', 'abcd']);
});

test('single quotes are literal', async () => {
  assert.deepEqual(await args(`echo '$X \\n "q" #x'`), ['echo', '$X \\n "q" #x']);
});

test('double quotes expand $ and honour only \\" \\\\ \\$ escapes', async () => {
  assert.deepEqual(await args('echo "$X-${N}x \\" \\\\ \\$N \\n"'), ['echo', 'a  b-nx " \\ $N \\n']);
});

test('backslash outside quotes escapes any character', async () => {
  assert.deepEqual(await args('echo \\$X \\; \\| \\\\ \\\''), ['echo', '$X', ';', '|', '\\', "'"]);
});

test('empty quotes are an empty argument', async () => {
  assert.deepEqual(await args(`echo '' "" x`), ['echo', '', '', 'x']);
});

test('$? $NAME ${NAME}, unset names are empty, a lone $ stays', async () => {
  assert.deepEqual(await args('echo $? ${N}s $N.txt $NOPE "$NOPE" 5$ $'), ['echo', '3', 'ns', 'n.txt', '', '5$', '$']);
});

test('expansion happens at run time against the env given', async () => {
  const word = command('echo $?').words[1];
  assert.equal(await expandWord(word, { '?': '0' }), '0');
  assert.equal(await expandWord(word, (name) => (name === '?' ? '127' : undefined)), '127');
});

test('unquoted expansions are split into fields, quoted ones are not', async () => {
  assert.deepEqual(await args('echo $X "$X" x$X $EMPTY "$EMPTY"'), ['echo', 'a', 'b', 'a  b', 'xa', 'b', '']);
  assert.deepEqual(await args('echo $X', { X: '  lead trail  ' }), ['echo', 'lead', 'trail']);
});

test('an env object is read by own properties only', async () => {
  assert.deepEqual(await args('echo $constructor $toString'), ['echo']);
});

test('~ expands to $HOME at the start of a word only', async () => {
  assert.deepEqual(await args('cd ~ ~/x a~ "~"'), ['cd', '/home/me', '/home/me/x', 'a~', '~']);
});

test('NAME=value before a command is an assignment', async () => {
  const c = command('A=1 B=$N"x y" cmd C=3');
  assert.deepEqual(await Promise.all(c.assigns.map(async (a) => [a.name, await expandWord(a.value, ENV)])), [['A', '1'], ['B', 'nx y']]);
  assert.deepEqual(c.words.map((w) => w.raw), ['cmd', 'C=3']);
  assert.deepEqual(await expandWord(command('A=').assigns[0].value, ENV), '');
  assert.equal(command("'A'=1").assigns.length, 0); // a quoted name is not an assignment
});

test('; separates commands, & marks background', () => {
  const list = parse('a; b & c');
  assert.deepEqual(list.items.map((i) => [shape(i.command), i.background]), [['a', false], ['b', true], ['c', false]]);
  assert.deepEqual(parse('a;').items.length, 1);
  assert.equal(parse('a &').items[0].background, true);
});

test('newlines separate commands too', () => {
  assert.deepEqual(parse('a\n\nb\n').items.map((i) => shape(i.command)), ['a', 'b']);
});

test('&& and || are left-associative with equal precedence', () => {
  assert.equal(shape(parse('a && b || c').items[0].command), '((a && b) || c)');
  assert.equal(shape(parse('a || b && c').items[0].command), '((a || b) && c)');
  assert.equal(shape(parse('a | b && c | d').items[0].command), '(a | b && c | d)');
});

test('&& binds tighter than ; and &', () => {
  const list = parse('a && b; c || d &');
  assert.deepEqual(list.items.map((i) => [shape(i.command), i.background]), [['(a && b)', false], ['(c || d)', true]]);
});

test('pipes make a pipeline; ! negates it', () => {
  const p = parse('ls -l | grep x | wc').items[0].command;
  assert.deepEqual(p.commands.map((c) => c.words[0].raw), ['ls', 'grep', 'wc']);
  assert.equal(p.negate, false);
  assert.equal(parse('! a | b').items[0].command.negate, true);
});

test('a line may continue after |, && and || onto the next', () => {
  assert.equal(shape(parse('a |\n b &&\n\n c').items[0].command), '(a | b && c)');
});

test('redirections, with default and explicit descriptors', () => {
  const c = command('sort < in.txt > "out file" 2>> err 2>&1 x');
  assert.deepEqual(c.words.map((w) => w.raw), ['sort', 'x']);
  assert.deepEqual(c.redirects.map((r) => [r.op, r.fd, r.target.raw.replace(/"/g, '')]), [
    ['<', 0, 'in.txt'],
    ['>', 1, 'out file'],
    ['>>', 2, 'err'],
    ['>&', 2, '1'],
  ]);
});

test('redirections need no blanks, and a quoted or spaced digit is a word', () => {
  assert.deepEqual(command('echo hi>/tmp/x').redirects.map((r) => r.target.raw), ['/tmp/x']);
  assert.deepEqual(command('echo 2 >x').words.map((w) => w.raw), ['echo', '2']);
  assert.deepEqual(command('echo "2">x').words.map((w) => w.raw), ['echo', '"2"']);
});

test('a redirection alone is a command', () => {
  const c = command('> /tmp/empty');
  assert.deepEqual([c.words.length, c.redirects[0].op], [0, '>']);
});

test('# starts a comment only at the start of a word', async () => {
  assert.deepEqual(await args('echo a#b # c d'), ['echo', 'a#b']);
  assert.deepEqual(await args('echo "#"x \\#y'), ['echo', '#x', '#y']);
});

test('backslash-newline joins lines', async () => {
  assert.deepEqual(await args('echo ab\\\ncd \\\n ef'), ['echo', 'abcd', 'ef']);
});

test('syntax errors name the unexpected token', () => {
  assert.equal(syntaxError('| a').message, "sh: syntax error near unexpected token `|'");
  assert.equal(syntaxError('a || || b').message, "sh: syntax error near unexpected token `||'");
  assert.equal(syntaxError('a ; ; b').message, "sh: syntax error near unexpected token `;'");
  assert.equal(syntaxError('a ;; b').message, "sh: syntax error near unexpected token `;;'");
  assert.equal(syntaxError('echo >').message, "sh: syntax error near unexpected token `newline'");
  assert.equal(syntaxError('echo > | x').message, "sh: syntax error near unexpected token `|'");
  assert.equal(syntaxError('a )').message, "sh: syntax error near unexpected token `)'");
  assert.equal(syntaxError('echo a; fi').message, "sh: syntax error near unexpected token `fi'");
  assert.equal(syntaxError('()').message, "sh: syntax error near unexpected token `)'");
  assert.equal(syntaxError('& a').message, "sh: syntax error near unexpected token `&'");
});

test('unterminated quotes say so and are incomplete input', () => {
  const single = syntaxError("echo 'abc");
  assert.equal(single.message, "sh: unterminated quote: missing closing '");
  assert.equal(single.incomplete, true);
  assert.equal(syntaxError('echo "abc').message, 'sh: unterminated quote: missing closing "');
});

test('a trailing operator is incomplete input, other errors are not', () => {
  assert.equal(syntaxError('a |').incomplete, true);
  assert.equal(syntaxError('a &&').message, 'sh: syntax error: unexpected end of file');
  assert.equal(isComplete('a ||\n'), false);
  assert.equal(isComplete('echo "a\n'), false);
  assert.equal(isComplete('echo a\\\n'), false);
  assert.equal(isComplete('echo "a\nb"\n'), true);
  assert.equal(isComplete('| a\n'), true); // an error, but more input will not fix it
  assert.equal(isComplete('ls\n'), true);
  assert.deepEqual(['a |', '| a', 'ls'].map(inputStatus), ['incomplete', 'invalid', 'complete']);
});

// --- compound commands (§2.9.4) ---

// A compact picture of any command: what tests compare.
function pic(node) {
  switch (node.type) {
    case 'list':
      return node.items.map((i) => pic(i.command) + (i.background ? ' &' : '')).join('; ');
    case 'and':
    case 'or':
      return `${pic(node.left)} ${node.type === 'and' ? '&&' : '||'} ${pic(node.right)}`;
    case 'pipeline':
      return (node.negate ? '! ' : '') + node.commands.map(pic).join(' | ');
    case 'command':
      return [...node.assigns.map((a) => `${a.name}=${a.value.raw}`), ...node.words.map((w) => w.raw)].join(' ') + redirs(node);
    case 'group':
      return `{ ${pic(node.body)} }` + redirs(node);
    case 'subshell':
      return `( ${pic(node.body)} )` + redirs(node);
    case 'if':
      return `if[${node.clauses.map((c) => `${pic(c.cond)} ? ${pic(c.body)}`).join(' : ')}${node.otherwise ? ` else ${pic(node.otherwise)}` : ''}]` + redirs(node);
    case 'while':
      return `${node.until ? 'until' : 'while'}[${pic(node.cond)} do ${pic(node.body)}]` + redirs(node);
    case 'for':
      return `for[${node.name}${node.words ? ' in ' + node.words.map((w) => w.raw).join(' ') : ''} do ${pic(node.body)}]` + redirs(node);
    case 'case':
      return `case[${node.word.raw}: ${node.arms.map((a) => `${a.patterns.map((p) => p.raw).join('|')}) ${pic(a.body)}`).join(' ;; ')}]` + redirs(node);
    case 'function':
      return `fn ${node.name} ${pic(node.body)}`;
    default:
      return `?${node.type}`;
  }
}

function redirs(node) {
  return node.redirects.map((r) => ` ${r.fd}${r.op}${r.target.raw}`).join('');
}

const P = (text) => pic(parse(text));

// run() fails, at once or through the promise it returns (expansion is
// maybe-async: /lib/shell/maybe-async).
async function rejects(run, pattern) {
  try {
    await run();
  } catch (e) {
    assert.ok(pattern.test(e.message), `${e.message} does not match ${pattern}`);
    return;
  }
  throw new Error(`no error; expected ${pattern}`);
}

test('if, elif, else, fi', () => {
  assert.equal(P('if a; then b; fi'), 'if[a ? b]');
  assert.equal(P('if a\nthen b\nelif c; then d\nelse e; f\nfi'), 'if[a ? b : c ? d else e; f]');
  assert.equal(P('if a && ! b; then :; fi > out'), 'if[a && ! b ? :] 1>out');
});

test('while and until loops', () => {
  assert.equal(P('while a; do b; c; done'), 'while[a do b; c]');
  assert.equal(P('until a\ndo\nb\ndone'), 'until[a do b]');
  assert.equal(P('while read x; do echo $x; done < f | wc'), 'while[read x do echo $x] 0<f | wc');
});

test('for loops, with and without in', () => {
  assert.equal(P('for i in 1 2 "3 4"; do echo $i; done'), 'for[i in 1 2 "3 4" do echo $i]');
  assert.equal(P('for i\ndo echo $i; done'), 'for[i do echo $i]');
  assert.equal(P('for i in; do echo; done'), 'for[i in  do echo]');
  assert.equal(P('for i; do :; done'), 'for[i do :]');
});

test('case with patterns, alternatives and an empty arm', () => {
  assert.equal(P('case $x in a|b) echo ab;; (c*) echo c;; *) ;; esac'), 'case[$x: a|b) echo ab ;; c*) echo c ;; *) ]');
  assert.equal(P('case x in\n  x)\n    echo 1\n    ;;\nesac'), 'case[x: x) echo 1]');
  assert.equal(P('case x in x) echo 1; esac'), 'case[x: x) echo 1]');
  assert.equal(P('case x in esac'), 'case[x: ]');
});

test('groups and subshells, with redirections and in pipelines', () => {
  assert.equal(P('{ a; b; } 2>&1 | c'), '{ a; b } 2>&1 | c');
  assert.equal(P('(cd /tmp; ls) > f &'), '( cd /tmp; ls ) 1>f &');
  assert.equal(P('( (a) )'), '( ( a ) )');
});

test('reserved words only where a command starts', () => {
  assert.equal(P('echo if then fi done { }'), 'echo if then fi done { }');
  assert.equal(P('"if" a'), '"if" a');
  assert.equal(P('{ echo }; }'), '{ echo } }');
});

test('function definitions', () => {
  const f = parse('greet() { echo hi $1; }').items[0].command.commands[0];
  assert.equal(f.type, 'function');
  assert.equal(f.name, 'greet');
  assert.equal(f.raw, 'greet() { echo hi $1; }');
  assert.equal(P('f ()\n{\n  a\n}'), 'fn f { a }');
  assert.equal(P('f() ( a ) > x'), 'fn f ( a ) 1>x');
  assert.equal(syntaxError('f() echo').message, "sh: syntax error near unexpected token `echo'");
});

test('an unfinished construct is incomplete input', () => {
  for (const text of ['if a; then', 'if a; then b', 'if a; then b; else', 'while a; do', 'for i in 1 2', 'for i in 1 2; do echo', 'case x in', 'case x in a) b;;', '{ a;', '( a', 'f() {', 'echo $(ls', 'cat <<EOF\nabc', 'echo ${x']) {
    const e = syntaxError(text);
    assert.equal(e.incomplete, true, `${JSON.stringify(text)}: ${e.message}`);
    assert.equal(inputStatus(text + '\n'), 'incomplete', text);
  }
  assert.equal(inputStatus('if a; then b; fi\n'), 'complete');
  assert.equal(inputStatus('if a; then fi\n'), 'invalid');
  assert.equal(inputStatus('done\n'), 'invalid');
});

test('a syntax error in a text of several lines names the line', () => {
  assert.equal(syntaxError('echo a\nif b; then\n  c\ndone\n').message, "sh: line 4: syntax error near unexpected token `done'");
  assert.equal(syntaxError('for 1x in a; do b; done').message, "sh: syntax error: bad for loop variable `1x'");
});

test('commands() gives one complete command at a time, so a later error comes later', () => {
  const it = commands('echo a\nif b\nthen c\nfi\nfi\n');
  assert.equal(pic(it.next().value), 'echo a');
  assert.equal(pic(it.next().value), 'if[b ? c]');
  assert.throws(() => it.next(), /unexpected token `fi'/);
});

test('nesting too deep is a syntax error, not a crash', () => {
  assert.ok(/nested too deep/.test(syntaxError('{ '.repeat(300) + 'a;' + ' }'.repeat(300)).message));
  assert.ok(/nested too deep/.test(syntaxError('echo ' + '$('.repeat(3000) + 'x' + ')'.repeat(3000)).message));
});

// --- expansions in the tree (§2.6) ---

test('$(...) and backquotes hold a parsed list', () => {
  const w = command('echo $(a | b; c) `d \\`e\\``').words;
  assert.equal(w[1].parts[0].type, 'command');
  assert.equal(pic(w[1].parts[0].list), 'a | b; c');
  assert.equal(pic(w[2].parts[0].list), 'd `e`');
  assert.equal(pic(command('echo "$(case x in x) echo y;; esac)"').words[1].parts[1].list), 'case[x: x) echo y]');
});

test('${...} forms and $((...))', () => {
  const parts = command('echo ${X:-a b} ${#X} ${X%%.*} ${10} $((1 + $Y))').words.slice(1).map((w) => w.parts[0]);
  assert.deepEqual(parts.map((p) => [p.type, p.name, p.op]), [
    ['param', 'X', ':-'],
    ['param', 'X', 'length'],
    ['param', 'X', '%%'],
    ['param', '10', undefined],
    ['arith', undefined, undefined],
  ]);
  assert.equal(parts[0].arg.raw, 'a b');
  assert.equal(syntaxError('echo ${A!b}').message, 'sh: ${A!b}: bad substitution');
});

test('here-documents: text up to the end word, expanded unless it is quoted', async () => {
  const list = parse('cat <<EOF; echo after\nhello $N\n  EOF\nEOF\ncat <<-"E"\n\tliteral $N\n\tE\n');
  assert.equal(pic(list), 'cat 0<<EOF; echo after; cat 0<<-"E"');
  const [first, second] = [list.items[0].command.commands[0], list.items[2].command.commands[0]];
  assert.equal(await expandWord(first.redirects[0].body, ENV), 'hello n\n  EOF\n');
  assert.equal(await expandWord(second.redirects[0].body, ENV), 'literal $N\n');
  assert.ok(/here-document ended by end of file \(wanted `EOF'\)/.test(syntaxError('cat <<EOF\nabc\n').message));
});

test('here-documents in final text (a script, sh -c): the end of the text ends one, with a warning', async () => {
  const warnings = [];
  const lists = [...commands('echo a\ncat <<EOF\nabc\nlast', { final: true, warn: (w) => warnings.push(w) })];
  assert.equal(lists.length, 2);
  const cat = lists[1].items[0].command.commands[0];
  assert.equal(await expandWord(cat.redirects[0].body, ENV), 'abc\nlast');
  assert.deepEqual(warnings, ["sh: warning: here-document at line 2 delimited by end-of-file (wanted `EOF')"]);
  // Without `final` (more lines may come) it stays incomplete, for PS2 and is-complete.
  assert.equal(inputStatus('cat <<EOF\nabc'), 'incomplete');
});

// --- expansion (expand.js) ---

test('parameter expansion: defaults, alternatives, length, trimming', async () => {
  const env = { X: 'file.tar.gz', E: '', P: '/a/b/c' };
  assert.deepEqual(await args('echo ${U:-d} ${E:-d} ${E-d} ${X:+alt} ${U:+alt} ${#X}', env), ['echo', 'd', 'd', 'alt', '11']);
  assert.deepEqual(await args('echo ${X%.*} ${X%%.*} ${X#*.} ${X##*.} ${P##*/} ${P%/*}', env), ['echo', 'file.tar', 'file', 'tar.gz', 'gz', 'c', '/a/b']);
  assert.deepEqual(await args('echo ${X%"*"} ${U:-"a  b"} "${U:-a  b}"', env), ['echo', 'file.tar.gz', 'a  b', 'a  b']);
});

test('${X:=d} assigns; ${X:?msg} fails', async () => {
  const sh = fakeShell({});
  assert.deepEqual(await expand.expandFields(command('echo ${N:=new} $N').words, sh), ['echo', 'new', 'new']);
  await rejects(() => expand.expandFields(command('echo ${U:?is missing}').words, sh), /U: is missing/);
});

test('$@ and $* with field splitting', async () => {
  const opts = { positional: ['a b', 'c'] };
  assert.deepEqual(await args('f "$@"', {}, opts), ['f', 'a b', 'c']);
  assert.deepEqual(await args('f $@', {}, opts), ['f', 'a', 'b', 'c']);
  assert.deepEqual(await args('f "$*"', {}, opts), ['f', 'a b c']);
  assert.deepEqual(await args('f "x$@y"', {}, opts), ['f', 'xa b', 'cy']);
  assert.deepEqual(await args('f "$@"', {}, { positional: [] }), ['f']);
});

test('IFS splitting: blanks collapse, other characters delimit each field', async () => {
  assert.deepEqual(await args('f $V', { V: 'a:b::c:', IFS: ':' }), ['f', 'a', 'b', '', 'c']);
  assert.deepEqual(await args('f $V', { V: ' a , b ', IFS: ' ,' }), ['f', 'a', 'b']);
  assert.deepEqual(await args('f $V', { V: 'a b', IFS: '' }), ['f', 'a b']);
});

test('command substitution and arithmetic', async () => {
  const sh = fakeShell({ N: '4' }, { substitute: async (list) => `[${pic(list)}]` });
  assert.deepEqual(await expand.expandFields(command('echo $(ls -l) "$(a)" $((N * 2 + 1)) $((7 / 2)) $((-7 % 3)) $((1 < 2 && 0 || 3))').words, sh), [
    'echo', '[ls', '-l]', '[a]', '9', '3', '-1', '1',
  ]);
  await rejects(() => expand.expandFields(command('echo $((x = 5, 1)) ').words, sh), /arithmetic syntax error/);
  await rejects(() => expand.expandFields(command('echo $((1 / 0))').words, sh), /division by zero/);
  assert.deepEqual(await expand.expandFields(command('echo $((i += 2)) $((i))').words, sh), ['echo', '2', '2']);
});

test('arithmetic of one operator (computed without the descent) gives what the descent gives', async () => {
  const { evaluate } = require('/lib/shell/arith');
  const reads = [];
  const values = { i: '41', blank: '', padded: ' 7 ', zero: '0', a: 'abc', b: 'def' };
  const vars = { get: (name) => (reads.push(name), values[name]), set: () => assert.ok(false, 'nothing is set') };
  const cases = [
    ['i + 1', 42], ['i+1', 42], ['1 + i', 42], ['unset + 1', 1], ['blank + 1', 1], ['padded * 2', 14],
    ['7 % 3', 1], ['-7 % 3', -1], ['7 / 2', 3], ['3 < 5', 1], ['3 >= 5', 0], ['i == 41', 1], ['8 >> 1', 4],
    ['1 << 4', 16], ['6 & 3', 2], ['6 | 3', 7], ['6 ^ 3', 5], ['0x10 + 010', 24],
  ];
  for (const [text, value] of cases) assert.equal(evaluate(text, vars), value, text);
  assert.throws(() => evaluate('i / zero', vars), /division by zero/);
  reads.length = 0;
  assert.throws(() => evaluate('a - b', vars), /a: bad number "abc"/); // the left operand first
  assert.deepEqual(reads, ['a']);
  // && and || may skip their right side: the descent, which does not read b after a 0.
  reads.length = 0;
  assert.equal(evaluate('zero && b', vars), 0);
  assert.equal(evaluate('i || b', vars), 1);
  assert.deepEqual(reads, ['zero', 'i']);
  assert.throws(() => evaluate('1 +', vars), /ends too early/);
  assert.throws(() => evaluate('i = ', vars), /ends too early/);
});

test('globbing: sorted matches, dotfiles hidden, quoted characters literal, no match left as is', async () => {
  const files = { '/d': ['b.txt', 'a.txt', '.h.txt', 'c.md', 'sub'], '/d/sub': ['x.txt'], '/': ['d'] };
  assert.deepEqual(await args('ls *.txt', {}, { files }), ['ls', 'a.txt', 'b.txt']);
  assert.deepEqual(await args('ls ?.* [ab].txt [!a]*.txt', {}, { files }), ['ls', 'a.txt', 'b.txt', 'c.md', 'a.txt', 'b.txt', 'b.txt']);
  assert.deepEqual(await args('ls "*.txt" \\*.txt *.none .*', {}, { files }), ['ls', '*.txt', '*.txt', '*.none', '.h.txt']);
  assert.deepEqual(await args('ls */*.txt /d/s*/x.txt', {}, { files }), ['ls', 'sub/x.txt', '/d/sub/x.txt']);
  assert.deepEqual(await args('ls $P', { P: '*.md' }, { files }), ['ls', 'c.md']);
});

test('case patterns match whole words', async () => {
  const sh = fakeShell({ X: 'a*' });
  const pattern = (text) => command(`: ${text}`).words[1];
  assert.equal(await expand.matchPattern('abc', pattern('a*'), sh), true);
  assert.equal(await expand.matchPattern('xabc', pattern('a*'), sh), false);
  assert.equal(await expand.matchPattern('a*', pattern('"a*"'), sh), true);
  assert.equal(await expand.matchPattern('ab', pattern('"a*"'), sh), false);
  assert.equal(await expand.matchPattern('q', pattern('[[:alpha:]]'), sh), true);
  assert.equal(await expand.matchPattern('ab', pattern('$X'), sh), true);
});

test('a [ without its ] is not a pattern: `[ $x = 1 ]` never reads the directory', async () => {
  const sh = fakeShell({ X: '1' });
  sh.sys.fs.readdir = async () => {
    throw new Error('readdir called');
  };
  assert.deepEqual(await expand.expandFields(command('[ $X = 1 ] a[b').words, sh), ['[', '1', '=', '1', ']', 'a[b']);
});

// ---- eval takes JavaScript (docs/shell.md, "eval and JavaScript") ----

test('eval: the rest of the line is one unexpanded JavaScript argument', () => {
  const args = (line) => parse(line).items[0].command.commands[0].words.slice(1).map((w) => w.parts.map((p) => p.value).join(''));
  assert.deepEqual(args('eval Math.PI * 2'), ['Math.PI * 2']);
  assert.deepEqual(args('eval [1,2,3].map(x => x*2)'), ['[1,2,3].map(x => x*2)']);
  assert.deepEqual(args('eval $HOME + 1'), ['$HOME + 1']); // no expansion
  assert.deepEqual(args('eval x = [1, 2]; x.length'), ['x = [1, 2]; x.length']); // ; inside the JavaScript
  // not JavaScript as a whole: it ends at the last operator before which it is
  const list = parse('eval 6*7; echo done');
  assert.equal(list.items.length, 2);
  assert.deepEqual(args('eval 6*7; echo done'), ['6*7']);
  assert.equal(parse('eval 1+1 > /tmp/f').items[0].command.commands[0].redirects.length, 1);
  // a quote first: shell words, as before, so pipes and redirections work
  assert.deepEqual(args("eval '6 * 7' x"), ['6 * 7', 'x']);
  assert.equal(parse("eval '1+1' | wc -c").items[0].command.commands.length, 2);
  assert.deepEqual(args('eval'), []);
  assert.deepEqual(args('eval --help; echo x'), ['--help']); // the program's help, then shell
  assert.deepEqual(args('eval --helpful'), ['--helpful']);
  assert.deepEqual(args('echo eval 1 * 2').length, 4); // only in command position
});

test('eval: unfinished JavaScript goes on over the next lines, and says it is incomplete', () => {
  assert.equal(inputStatus('eval function f(x) {'), 'incomplete');
  assert.equal(inputStatus('eval function f(x) {\n  return x }'), 'complete');
  const list = parse('eval function f(x) {\n  return x }\necho after');
  assert.equal(list.items.length, 2);
  assert.equal(list.items[0].command.commands[0].words[1].raw, 'function f(x) {\n  return x }');
  assert.equal(inputStatus('eval `a ${'), 'incomplete');
});
