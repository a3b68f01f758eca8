// Unit tests for the quick path of a simple command (fs/lib/shell/exec.js,
// planSimple; docs/performance.md, issue 12): a builtin of plain words and a
// command of assignments alone run without the general path's steps, and
// must give exactly what the general path gives. Each line runs both ways
// (Shell.quickPaths on and off) against a small fake kernel, and the
// output, errors, status and variables are compared, then checked against
// what the general path (and dash, where they agree) says.
const { Shell } = require('/lib/shell/exec');
const { parse } = require('/lib/shell/parse');

// What the walker keeps on a node: its one Symbol-keyed property.
const kept = (node) => node[Object.getOwnPropertySymbols(node)[0]];

// A kernel with only what these lines need: stdout and stderr, `stat` for
// test's -d, and one program, `say`, that prints its arguments ($(...) is
// faked on the Shell: runWays).
function fakeSys() {
  const out = [];
  const err = [];
  const statuses = new Map();
  let nextPid = 100;
  return {
    pid: 7,
    cwd: '/',
    env: { PATH: '/bin', HOME: '/tmp' },
    out: () => out.join(''),
    err: () => err.join(''),
    stdout: { write: (s) => out.push(s) },
    stderr: { write: (s) => err.push(s) },
    stdin: { read: async () => null },
    fs: {
      async stat(path) {
        if (path === '/' || path === '/bin' || path === '/tmp') return { type: 'dir', size: 0 };
        throw Object.assign(new Error(`${path}: No such file or directory`), { code: 'ENOENT' });
      },
      async readdir(path) {
        if (path === '/') return ['bin', 'tmp'];
        return [];
      },
    },
    proc: {
      async spawn(argv) {
        if (argv[0] !== 'say') throw Object.assign(new Error(`/bin/${argv[0]}.js: No such file or directory`), { code: 'ENOENT' });
        out.push(argv.slice(1).join(' ') + '\n');
        const pid = nextPid++;
        statuses.set(pid, 0);
        return pid;
      },
      async wait(pid) {
        return statuses.get(pid);
      },
      async foreground() {},
      async pipe() {
        return 1;
      },
      async closePipe() {},
    },
  };
}

// Runs the line with the quick paths and without; both must give the same
// {status, out, err, vars}, which is returned. $(LIST) gives 'sub' and sets
// $? to 3: enough to see that a value that waits goes the general way.
async function bothWays(text) {
  const results = [];
  for (const quick of [true, false]) {
    const sys = fakeSys();
    const sh = new Shell({ sys });
    sh.quickPaths = quick;
    sh.substitute = async () => {
      sh.substitutionStatus = 3;
      return 'sub';
    };
    await sh.runLine(text);
    const status = await sh.finish();
    results.push({ status, out: sys.out(), err: sys.err(), vars: [...sh.vars].sort() });
  }
  assert.deepEqual(results[0], results[1], `${text}: quick ${JSON.stringify(results[0])}, general ${JSON.stringify(results[1])}`);
  return results[0];
}

async function expectOutputs(cases) {
  for (const [text, out] of cases) {
    const r = await bothWays(text);
    assert.equal(r.out, out, `${text}: ${JSON.stringify(r)}`);
  }
}

test('a builtin of plain words runs the quick way, and gives up where the general path must decide', async () => {
  await expectOutputs([
    ['i=5; [ $i -lt 10 ]; say $?; "[" "$i" = 5 ]; say $?', '0\n0\n'],
    // unset and unquoted: no field, so this is [ -lt 3 ], and -lt is no unary operator
    ['[ $nope -lt 3 ]; say $?', '2\n'],
    ['x="a b"; [ $x = "a b" ]; say $?', '2\n'], // split into two fields: too many arguments
    ['x="a b"; [ "$x" = "a b" ]; say $?', '0\n'],
    ['p="/b*"; [ $p = /bin ]; say $?; set -f; [ $p = "/b*" ]; say $?', '0\n0\n'], // globbed, then not
    ['IFS=-; v=a-b; [ $v = a-b ]; say $?', '2\n'],
    ['set -- a b; [ $# -eq 2 ]; say $?; [ $2 = b ]; say $?', '0\n0\n'],
    ['[ -d /tmp ]; say $?; [ -d /nope ]; say $?', '0\n1\n'], // test waits for stat
    ['test() { say mine $#; }; test 1 -eq 1; unset -f test; test 1 -eq 1; say $?', 'mine 3\n0\n'], // a function hides a builtin
    ['for i in 1 2 3; do [ $i = 2 ] && continue; : $i; [ $i = 3 ] && break; done; say $i', '3\n'],
    ['[ 1 -lt x ]; say $?', '2\n'],
  ]);
  const traced = await bothWays('set -x; [ 1 -lt 2 ]; : a "b c"');
  assert.equal(traced.err, "+ '[' 1 -lt 2 ']'\n+ : a 'b c'\n");
  const unset = await bothWays('set -u; [ $nope = x ]; say never');
  assert.equal(unset.err, 'sh: nope: parameter not set\n');
  assert.equal(unset.status, 2);
  assert.equal((await bothWays("'exit' 3; say never")).status, 3);
});

test('assignments alone run the quick way: every value expanded first, then each set', async () => {
  await expectOutputs([
    // $a is expanded before a is set, on both paths (dash and bash set a first: 2 2, and 8 16)
    ['a=1; a=2 b=$a; say $a $b', '2 1\n'],
    ['i=7; i=$((i + 1)) j=$((i * 2)); say $i $j', '8 14\n'],
    ['n=$((j = 4)) m=$j; say $n $m $j', '4 4 4\n'], // $((...)) sets j as it expands
    ['x=~ y=~/a; say $x $y', '~ ~/a\n'], // (dash: /tmp /tmp/a; here ~ after = stays text)
    ['v=$nope; say "[$v]"', '[]\n'],
    ['s="$HOME" t=${HOME}x u=${nope:-d}; say $s $t $u', '/tmp /tmpx d\n'],
    ['x=$(anything) y=$?; say $x $y', 'sub 0\n'], // a value that waits: the general path
    ['x=$(anything); say $?', '3\n'],
  ]);
  const readonly = await bothWays('readonly r=1; r=2; say never');
  assert.equal(readonly.err, 'sh: r: is read only\n');
  const zero = await bothWays('i=$((1 / 0)); say never');
  assert.equal(zero.err, 'sh: arithmetic: division by zero\n');
  assert.equal(zero.status, 2);
  const unset = await bothWays('set -u; v=$nope; say never');
  assert.equal(unset.err, 'sh: nope: parameter not set\n');
});

test('a command keeps its plan on its node, out of the tree a child shell gets', async () => {
  const sh = new Shell({ sys: fakeSys() });
  sh.substitute = async () => '';
  const tree = parse('i=$((i + 1)); [ $i -lt 9 ]; say $i; x=$(say)');
  await sh.runList(tree);
  const [assign, builtin, program, substitution] = tree.items.map((item) => item.command.commands[0]);
  assert.equal(kept(assign).assigns.length, 1);
  assert.deepEqual([kept(builtin).name, kept(builtin).special], ['[', false]);
  assert.equal(kept(program), null, 'a program: the general path');
  assert.equal(kept(substitution), null, 'a value that waits: the general path');
  assert.ok(!JSON.stringify(tree).includes('"assigns":null'), 'JSON leaves the Symbol out');
  assert.deepEqual(Object.keys(builtin), ['type', 'assigns', 'words', 'redirects']);
});
