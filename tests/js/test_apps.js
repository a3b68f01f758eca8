// Unit tests for the apps in apps/ (loaded as /bin/NAME.js): each runs its
// main() against a fake `sys` that records what the app writes and answers
// kernel calls from small tables, so we check output and exit status without
// booting a machine. Apps read the global `sys` when they run.

const ERRORS = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ESRCH: 'No such process',
};
const kernelError = (code, subject) => Object.assign(new Error(`${subject}: ${ERRORS[code]}`), { code });

const NOW_S = Math.floor(Date.now() / 1000);

// The files a fake machine has: path -> {type, text, mode, mtime}.
function defaultFiles() {
  return {
    '/': { type: 'dir' },
    '/etc': { type: 'dir', mode: 0o755, mtime: NOW_S - 60 },
    '/etc/hostname': { type: 'file', text: 'jsksh\n', mode: 0o644, mtime: NOW_S - 60 },
    '/etc/motd': { type: 'file', text: 'one\ntwo words\nthree\n', mode: 0o444, mtime: NOW_S - 3600 },
    '/etc/.hidden': { type: 'file', text: '', mode: 0o644, mtime: NOW_S },
    '/d': { type: 'dir', mode: 0o755, mtime: NOW_S },
    '/d/alpha': { type: 'file', text: 'a' },
    '/d/beta': { type: 'file', text: 'b' },
    '/d/delta': { type: 'file', text: 'd' },
    '/d/epsilon': { type: 'file', text: 'e' },
    '/d/gamma': { type: 'file', text: 'g' },
    '/d/sub': { type: 'dir' },
  };
}

// A fake sys. `stdin` is the list of chunks read() hands out before null.
function fakeSys(options = {}) {
  const files = options.files || defaultFiles();
  const rec = { stdout: '', stderr: '', tables: [], sleeps: [], kills: [] };
  const stdin = [...(options.stdin || [])];
  const norm = (p) => ('/' + p.split('/').filter((x) => x && x !== '.').join('/')).replace(/\/[^/]+\/\.\.$/, '') || '/';
  const find = (p) => files[norm(p)];
  const info = (path, node) => ({
    name: path === '/' ? '/' : path.split('/').pop(),
    type: node.type,
    size: node.type === 'dir' ? 0 : node.text.length,
    mode: node.mode ?? (node.type === 'dir' ? 0o755 : 0o644),
    mtime: node.mtime ?? NOW_S,
  });
  const call = async (fn) => fn(); // every kernel call answers asynchronously
  rec.sys = {
    argv: [],
    env: { HOME: '/', PATH: '/bin' },
    cwd: '/',
    pid: 7,
    stdout: { write: (s) => void (rec.stdout += s), isTTY: options.isTTY ?? false, columns: options.columns ?? 80 },
    stderr: { write: (s) => void (rec.stderr += s), isTTY: true },
    stdin: { read: () => call(() => (stdin.length > 0 ? stdin.shift() : null)) },
    print: (...values) => void (rec.stdout += values.map(String).join(' ') + '\n'),
    table: (columns, rows) => void rec.tables.push({ columns, rows }),
    sleep: (ms) => call(() => void rec.sleeps.push(ms)),
    fs: {
      stat: (p) => call(() => (find(p) ? info(norm(p), find(p)) : Promise.reject(kernelError('ENOENT', p)))),
      readdir: (p) =>
        call(() => {
          const dir = find(p);
          if (!dir) throw kernelError('ENOENT', p);
          if (dir.type !== 'dir') throw kernelError('ENOTDIR', p);
          const prefix = norm(p) === '/' ? '/' : norm(p) + '/';
          return Object.keys(files)
            .filter((k) => k.startsWith(prefix) && k !== prefix && !k.slice(prefix.length).includes('/'))
            .sort()
            .map((k) => info(k, files[k]));
        }),
      readFile: (p) =>
        call(() => {
          const node = find(p);
          if (!node) throw kernelError('ENOENT', p);
          if (node.type === 'dir') throw kernelError('EISDIR', p);
          return node.text;
        }),
    },
    proc: {
      list: () => call(() => options.procs || []),
      kill: (pid, signal) =>
        call(() => {
          if (!(options.pids || []).includes(pid)) throw kernelError('ESRCH', `(${pid})`);
          rec.kills.push([pid, signal]);
        }),
    },
    kernel: {
      dmesg: () => call(() => options.dmesg || []),
      devices: () => call(() => options.devices || []),
      info: () => call(() => ({ uptime: 75, v8: '14.4', hostname: 'jsksh', memory: {}, ...options.info })),
    },
  };
  return rec;
}

// Run /bin/NAME.js with these arguments; returns the record and the status.
async function run(argv, options) {
  const rec = fakeSys(options);
  globalThis.sys = rec.sys;
  rec.status = await require(`/bin/${argv[0]}.js`)(argv);
  return rec;
}

// ---- echo -----------------------------------------------------------------

test('echo prints its arguments and a newline', async () => {
  const r = await run(['echo', 'hello', 'world']);
  assert.equal(r.stdout, 'hello world\n');
  assert.equal(r.status, 0);
});

test('echo -n and -e', async () => {
  assert.equal((await run(['echo', '-n', 'x'])).stdout, 'x');
  assert.equal((await run(['echo', '-e', 'a\\tb\\x41\\0101'])).stdout, 'a\tbAA\n');
  assert.equal((await run(['echo', '-e', 'stop\\chere'])).stdout, 'stop');
  assert.equal((await run(['echo', 'a\\tb'])).stdout, 'a\\tb\n');
  assert.equal((await run(['echo', '-x', 'y'])).stdout, '-x y\n');
});

// ---- ls -------------------------------------------------------------------

test('ls lays names out in columns; directories end in /', async () => {
  const r = await run(['ls', '/d'], { columns: 30, isTTY: true });
  assert.equal(r.stdout, 'alpha  delta    gamma\nbeta   epsilon  sub/\n');
  assert.equal(r.status, 0);
});

test('ls into a pipe writes one name a line', async () => {
  const r = await run(['ls', '/d'], { isTTY: false });
  assert.equal(r.stdout, 'alpha\nbeta\ndelta\nepsilon\ngamma\nsub/\n');
});

test('ls -a shows dot files, . and ..', async () => {
  const r = await run(['ls', '-a', '/etc'], { isTTY: true });
  assert.equal(r.stdout, './  ../  .hidden  hostname  motd\n');
  assert.equal((await run(['ls', '/etc'], { isTTY: true })).stdout, 'hostname  motd\n');
});

test('ls -l: mode, size, time, name', async () => {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const when = (s) => {
    const d = new Date(s * 1000);
    const two = (n) => String(n).padStart(2, '0');
    return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${two(d.getHours())}:${two(d.getMinutes())}`;
  };
  const r = await run(['ls', '-l', '/etc']);
  assert.equal(r.stdout, `-rw-r--r--  6 ${when(NOW_S - 60)} hostname\n-r--r--r-- 20 ${when(NOW_S - 3600)} motd\n`);
  const old = await run(['ls', '-l', '/'], { files: { '/': { type: 'dir' }, '/x': { type: 'dir', mode: 0o1777, mtime: 0 } } });
  assert.ok(/^drwxrwxrwt 0 (Jan  1  1970|Dec 31  1969) x\/\n$/.test(old.stdout), JSON.stringify(old.stdout));
});

test('ls of a missing path says so on stderr, status 2', async () => {
  const r = await run(['ls', 'nope', '/etc'], { isTTY: true });
  assert.equal(r.stderr, "ls: cannot access 'nope': No such file or directory\n");
  assert.equal(r.stdout, '/etc:\nhostname  motd\n');
  assert.equal(r.status, 2);
});

test('ls of several directories titles each', async () => {
  const r = await run(['ls', '/etc', '/d/sub', '/etc/motd'], { isTTY: true });
  assert.equal(r.stdout, '/etc/motd\n\n/etc:\nhostname  motd\n\n/d/sub:\n');
});

// ---- cat ------------------------------------------------------------------

test('cat prints files', async () => {
  const r = await run(['cat', '/etc/hostname', '/etc/motd']);
  assert.equal(r.stdout, 'jsksh\none\ntwo words\nthree\n');
  assert.equal(r.status, 0);
});

test('cat of a missing file: message and status 1, the others still printed', async () => {
  const r = await run(['cat', 'x', '/etc/hostname']);
  assert.equal(r.stderr, 'cat: x: No such file or directory\n');
  assert.equal(r.stdout, 'jsksh\n');
  assert.equal(r.status, 1);
  assert.equal((await run(['cat', '/etc'])).stderr, 'cat: /etc: Is a directory\n');
});

test('cat copies standard input with no arguments or -', async () => {
  assert.equal((await run(['cat'], { stdin: ['a\n', 'b'] })).stdout, 'a\nb');
  assert.equal((await run(['cat', '/etc/hostname', '-'], { stdin: ['in\n'] })).stdout, 'jsksh\nin\n');
});

// ---- eval -----------------------------------------------------------------

test('eval prints values like Node', async () => {
  const cases = [
    [['6*7'], '42\n'],
    [["'hi'"], "'hi'\n"],
    [['undefined'], 'undefined\n'],
    [['1', '+', '2'], '3\n'],
    [['[1,', '2]'], '[ 1, 2 ]\n'],
    [['{a: 1}'], '{ a: 1 }\n'], // an object literal, not a block
    [['Promise.resolve(5)'], '5\n'], // awaited
    [['await', 'Promise.resolve(7)'], '7\n'], // top-level await
    [['typeof', 'sys.fs.readFile'], "'function'\n"], // globals are visible
  ];
  for (const [args, expected] of cases) {
    const r = await run(['eval', ...args]);
    assert.equal(r.stdout, expected, `eval ${args.join(' ')}: ${JSON.stringify(r.stdout)}`);
    assert.equal(r.status, 0);
  }
});

test('eval reports a thrown error on stderr, status 1', async () => {
  const r = await run(['eval', 'throw new Error("boom")']);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Uncaught Error: boom\n'); // the frames of eval and the runtime are trimmed
  assert.equal(r.status, 1);
  const syntax = await run(['eval', 'a b']);
  assert.equal(syntax.stderr, "Uncaught SyntaxError: Unexpected identifier 'b'\n");
  assert.equal((await run(['eval', 'throw 5'])).stderr, 'Uncaught 5\n');
  assert.equal((await run(['eval', 'Promise.reject(new RangeError("r"))'])).stderr.split('\n')[0], 'Uncaught RangeError: r');
});

test('eval with no arguments is a REPL: multi-line input, _, errors continue', async () => {
  const r = await run(['eval'], {
    stdin: ['function replAdd(a, b) {\n', '  return a + b\n', '}\n', 'replAdd(2, 3)\n', '_ * 2\n', 'nope\n', '.exit\n'],
  });
  assert.equal(r.stdout, '> ... ... undefined\n> 5\n> 10\n> > ');
  assert.equal(r.stderr, 'Uncaught ReferenceError: nope is not defined\n');
  assert.equal(r.status, 0);
});

test('the REPL keeps let and const for the next line, and ends at end of input', async () => {
  const r = await run(['eval'], { stdin: ['let replX = 5\n', 'const replY = { x: replX }\n', 'replY\n'] });
  assert.equal(r.stdout, '> undefined\n> undefined\n> { x: 5 }\n> \n');
});

test('the REPL awaits at top level, and keeps what it declares', async () => {
  const r = await run(['eval'], { stdin: ['const replInfo = await sys.kernel.info()\n', 'replInfo.hostname\n', 'await 1; 2\n'] });
  assert.equal(r.stdout, "> undefined\n> 'jsksh'\n> undefined\n> \n");
  assert.equal(r.stderr, '');
});

test('the REPL reads input in any chunks, and knows its dot commands', async () => {
  const r = await run(['eval'], { stdin: ['[1,\n2', ']\n.hel', 'p\n.nope\nexit\n'] });
  assert.ok(r.stdout.startsWith('> ... [ 1, 2 ]\n> .break'), r.stdout);
  assert.ok(r.stdout.includes('.exit'), r.stdout);
  assert.equal(r.stderr, 'Invalid REPL keyword\n');
  assert.equal(r.status, 0);
});

test('the REPL shows the stack of errors thrown inside functions', async () => {
  const r = await run(['eval'], { stdin: ['function replThrow() { throw new TypeError("t") }\n', 'replThrow()\n'] });
  assert.ok(/^Uncaught TypeError: t\n    at replThrow \(REPL1:1:\d+\)\n$/.test(r.stderr), r.stderr);
});

// ---- kill -----------------------------------------------------------------

test('kill sends TERM by default, or the signal named', async () => {
  let r = await run(['kill', '5'], { pids: [5] });
  assert.deepEqual(r.kills, [[5, 'TERM']]);
  r = await run(['kill', '-9', '5', '6'], { pids: [5, 6] });
  assert.deepEqual(r.kills, [[5, 'KILL'], [6, 'KILL']]);
  r = await run(['kill', '-s', 'int', '5'], { pids: [5] });
  assert.deepEqual(r.kills, [[5, 'INT']]);
  assert.equal(r.status, 0);
});

test('kill argument errors', async () => {
  let r = await run(['kill']);
  assert.equal(r.stderr, 'kill: usage: kill [-s SIG | -SIG] PID...\n');
  assert.equal(r.status, 2);
  r = await run(['kill', 'abc']);
  assert.equal(r.stderr, 'kill: abc: arguments must be process or job IDs\n');
  assert.equal(r.status, 1);
  r = await run(['kill', '-FOO', '1']);
  assert.equal(r.stderr, 'kill: FOO: invalid signal specification\n');
  assert.equal(r.status, 1);
  r = await run(['kill', '123']);
  assert.equal(r.stderr, 'kill: (123) - No such process\n');
  assert.equal(r.status, 1);
});

// ---- sleep ----------------------------------------------------------------

test('sleep waits the seconds given, fractions and units too', async () => {
  assert.deepEqual((await run(['sleep', '0.5'])).sleeps, [500]);
  assert.deepEqual((await run(['sleep', '1m', '2'])).sleeps, [62000]);
});

test('sleep rejects what is not a time', async () => {
  const r = await run(['sleep', 'x']);
  assert.equal(r.stderr, "sleep: invalid time interval 'x'\n");
  assert.equal(r.status, 1);
  assert.deepEqual(r.sleeps, []);
  assert.equal((await run(['sleep'])).stderr, 'sleep: missing operand\n');
});

// ---- dmesg, devices, ps, free, help ----------------------------------------

test('dmesg: seconds with six decimals, right-aligned in twelve', async () => {
  const r = await run(['dmesg'], { dmesg: [{ time: 0.123456, level: 'info', text: 'hello' }, { time: 12.5, level: 'info', text: 'x' }] });
  assert.equal(r.stdout, '[    0.123456] hello\n[   12.500000] x\n');
});

test('devices: a table of devices, then one of their queues', async () => {
  const devices = [
    {
      slot: 0,
      name: 'virtio-console',
      device_id: 3,
      irq: 5,
      interrupts: 12,
      features: ['VERSION_1', 'MULTIPORT'],
      queues: [{ index: 0, name: 'rx0', size: 64, avail_idx: 64, used_idx: 3 }],
    },
  ];
  const r = await run(['devices'], { devices });
  assert.deepEqual(r.tables[0], {
    columns: ['SLOT', 'NAME', 'ID', 'IRQ', 'INTERRUPTS', 'FEATURES'],
    rows: [[0, 'virtio-console', 3, 5, 12, 'VERSION_1,MULTIPORT']],
  });
  assert.deepEqual(r.tables[1].rows, [['virtio-console', 0, 'rx0', 64, 64, 3]]);
});

test('ps: a table with CPU time and memory', async () => {
  const procs = [{ pid: 2, ppid: 1, name: 'sh', argv: ['sh', '-i'], state: 'S', start: 0.123, cpu: 0.256, heap: 1536 * 1024, heap_limit: 64 * 1024 * 1024, external: 0 }];
  const r = await run(['ps'], { procs });
  assert.deepEqual(r.tables[0].columns, ['PID', 'PPID', 'STAT', 'START', 'TIME', 'HEAP', 'LIMIT', 'EXT', 'COMMAND']);
  assert.deepEqual(r.tables[0].rows, [[2, 1, 'S', '0.1s', '0.26', '1.5MiB', '64MiB', '0B', 'sh -i']]);
});

test('free: isolate memory in KiB, or human sizes with -h', async () => {
  const memory = { heap: 2048 * 1024, heap_limit: 128 * 1024 * 1024, external: 4096, isolates: 3, pool: 2 };
  let r = await run(['free'], { info: { memory } });
  assert.deepEqual(r.tables[0].rows, [[2048, 131072, 4, 3, 2]]);
  r = await run(['free', '-h'], { info: { memory } });
  assert.deepEqual(r.tables[0].rows, [['2.0Mi', '128Mi', '4.0Ki', 3, 2]]);
});

test('help lists /bin with each command description', async () => {
  const files = { '/': { type: 'dir' }, '/bin': { type: 'dir' } };
  for (const name of ['echo', 'ls', 'true']) files[`/bin/${name}.js`] = { type: 'file', text: __sources[`/bin/${name}.js`] };
  const r = await run(['help'], { files });
  assert.deepEqual(r.tables[0], {
    columns: ['COMMAND', 'DESCRIPTION'],
    rows: [['echo', 'print arguments'], ['ls', 'list directory contents'], ['true', 'do nothing, successfully']],
  });
  const one = await run(['help', 'ls'], { files });
  assert.equal(one.stdout, 'ls: list directory contents\n');
  assert.deepEqual(one.tables[0].rows[0], ['-l', 'long listing: mode, size, time']);
});

// ---- text tools -----------------------------------------------------------

test('wc counts lines, words and bytes', async () => {
  assert.equal((await run(['wc', '/etc/motd'])).stdout, ' 3  4 20 /etc/motd\n');
  assert.equal((await run(['wc', '-l'], { stdin: ['a\nb\n'] })).stdout, '2\n');
  assert.equal((await run(['wc', '-c'], { stdin: ['é€😀'] })).stdout, '9\n');
});

test('grep filters lines; status 1 when nothing matches', async () => {
  let r = await run(['grep', 'o', '/etc/motd']);
  assert.equal(r.stdout, 'one\ntwo words\n');
  assert.equal(r.status, 0);
  r = await run(['grep', '-vn', 'o'], { stdin: ['one\nthr', 'ee\n'] });
  assert.equal(r.stdout, '2:three\n');
  r = await run(['grep', 'zzz', '/etc/motd']);
  assert.equal(r.status, 1);
  r = await run(['grep', '(', '/etc/motd']);
  assert.equal(r.status, 2);
});

test('head prints the first lines', async () => {
  assert.equal((await run(['head', '-n', '2', '/etc/motd'])).stdout, 'one\ntwo words\n');
  assert.equal((await run(['head', '-1'], { stdin: ['a\nb\n', 'c\n'] })).stdout, 'a\n');
});

test('true and false', async () => {
  assert.equal((await run(['true'])).status, 0);
  assert.equal((await run(['false'])).status, 1);
});
