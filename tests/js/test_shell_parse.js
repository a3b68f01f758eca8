// Unit tests for fs/lib/shell/parse.js: the tree for a line, expansion against
// an environment, and syntax errors with their messages.
const { parse, isComplete, inputStatus, expandWord, expandFields, ShellSyntaxError } = require('/lib/shell/parse');

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

// The arguments a line's command gets, expanded against ENV.
function args(line, env = ENV) {
  return command(line).words.flatMap((w) => expandFields(w, env));
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

test('blanks separate words; quotes and escapes keep them together', () => {
  assert.deepEqual(args('  echo   a\tb  '), ['echo', 'a', 'b']);
  assert.deepEqual(args(`echo 'a  b' "c  d" e\\ f`), ['echo', 'a  b', 'c  d', 'e f']);
  assert.deepEqual(args(`echo a'b'"c"d`), ['echo', 'abcd']);
});

test('single quotes are literal', () => {
  assert.deepEqual(args(`echo '$X \\n "q" #x'`), ['echo', '$X \\n "q" #x']);
});

test('double quotes expand $ and honour only \\" \\\\ \\$ escapes', () => {
  assert.deepEqual(args('echo "$X-${N}x \\" \\\\ \\$N \\n"'), ['echo', 'a  b-nx " \\ $N \\n']);
});

test('backslash outside quotes escapes any character', () => {
  assert.deepEqual(args('echo \\$X \\; \\| \\\\ \\\''), ['echo', '$X', ';', '|', '\\', "'"]);
});

test('empty quotes are an empty argument', () => {
  assert.deepEqual(args(`echo '' "" x`), ['echo', '', '', 'x']);
});

test('$? $NAME ${NAME}, unset names are empty, a lone $ stays', () => {
  assert.deepEqual(args('echo $? ${N}s $N.txt $NOPE "$NOPE" 5$ $'), ['echo', '3', 'ns', 'n.txt', '', '5$', '$']);
});

test('expansion happens at run time against the env given', () => {
  const word = command('echo $?').words[1];
  assert.equal(expandWord(word, { '?': '0' }), '0');
  assert.equal(expandWord(word, (name) => (name === '?' ? '127' : undefined)), '127');
});

test('unquoted expansions are split into fields, quoted ones are not', () => {
  assert.deepEqual(args('echo $X "$X" x$X $EMPTY "$EMPTY"'), ['echo', 'a', 'b', 'a  b', 'xa', 'b', '']);
  assert.deepEqual(args('echo $X', { X: '  lead trail  ' }), ['echo', 'lead', 'trail']);
});

test('an env object is read by own properties only', () => {
  assert.deepEqual(args('echo $constructor $toString'), ['echo']);
});

test('~ expands to $HOME at the start of a word only', () => {
  assert.deepEqual(args('cd ~ ~/x a~ "~"'), ['cd', '/home/me', '/home/me/x', 'a~', '~']);
});

test('NAME=value before a command is an assignment', () => {
  const c = command('A=1 B=$N"x y" cmd C=3');
  assert.deepEqual(c.assigns.map((a) => [a.name, expandWord(a.value, ENV)]), [['A', '1'], ['B', 'nx y']]);
  assert.deepEqual(c.words.map((w) => w.raw), ['cmd', 'C=3']);
  assert.deepEqual(command('A=').assigns.map((a) => [a.name, expandWord(a.value, ENV)]), [['A', '']]);
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
  assert.deepEqual(c.redirects.map((r) => [r.op, r.fd, expandWord(r.target, ENV)]), [
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

test('# starts a comment only at the start of a word', () => {
  assert.deepEqual(args('echo a#b # c d'), ['echo', 'a#b']);
  assert.deepEqual(args('echo "#"x \\#y'), ['echo', '#x', '#y']);
});

test('backslash-newline joins lines', () => {
  assert.deepEqual(args('echo ab\\\ncd \\\n ef'), ['echo', 'abcd', 'ef']);
});

test('syntax errors name the unexpected token', () => {
  assert.equal(syntaxError('| a').message, "sh: syntax error near unexpected token `|'");
  assert.equal(syntaxError('a || || b').message, "sh: syntax error near unexpected token `||'");
  assert.equal(syntaxError('a ; ; b').message, "sh: syntax error near unexpected token `;'");
  assert.equal(syntaxError('a ;; b').message, "sh: syntax error near unexpected token `;;'");
  assert.equal(syntaxError('echo >').message, "sh: syntax error near unexpected token `newline'");
  assert.equal(syntaxError('echo > | x').message, "sh: syntax error near unexpected token `|'");
  assert.equal(syntaxError('(a)').message, "sh: syntax error near unexpected token `('");
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

test('unsupported syntax is an error, not silently literal', () => {
  assert.ok(/command substitution/.test(syntaxError('echo $(ls)').message));
  assert.ok(/command substitution/.test(syntaxError('echo `ls`').message));
  assert.ok(/here-documents/.test(syntaxError('cat <<EOF').message));
  assert.equal(syntaxError('echo ${A-b}').message, 'sh: ${A-b}: bad substitution');
});
