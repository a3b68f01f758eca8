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

// A fake sys. `stdin` is the list of chunks read() hands out before null (a
// function in it is called for its chunk, or a promise of one). `procs` and
// `info` may be functions, called for each answer (a machine that changes
// between two samples); `onSleep(ms, n)` may return a promise for the n-th
// sys.sleep to wait on instead of ending at once.
function fakeSys(options = {}) {
  const files = options.files || defaultFiles();
  const rec = { stdout: '', stderr: '', tables: [], sleeps: [], kills: [], modes: [] };
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
  const answer = (value) => (typeof value === 'function' ? value() : value);
  rec.sys = {
    argv: [],
    env: { HOME: '/', PATH: '/bin' },
    cwd: '/',
    pid: 7,
    // Output as text (bytes are decoded as UTF-8); write() is awaitable, as in the runtime.
    stdout: { write: (s) => ((rec.stdout += text(s)), Promise.resolve()), isTTY: options.isTTY ?? false, columns: options.columns ?? 80, rows: options.rows ?? 24 },
    stderr: { write: (s) => ((rec.stderr += text(s)), Promise.resolve()), isTTY: true },
    stdin: {
      read: () => call(() => answer(stdin.length > 0 ? stdin.shift() : null)),
      readBytes: () => call(() => bytesOf(answer(stdin.length > 0 ? stdin.shift() : null))),
      kind: options.stdinKind ?? 'pipe',
      isTTY: options.stdinKind === 'tty' || options.stdinKind === 'channel',
      // The console takes any mode; the REPL client only if it said it can (options.modes).
      setMode: (mode) =>
        call(() => {
          const kind = options.stdinKind;
          if (kind !== 'tty' && !(kind === 'channel' && options.modes)) throw kernelError('ENOTTY', 'stdin');
          rec.modes.push(mode);
          return { raw: false, echo: true, signals: true };
        }),
    },
    print: (...values) => void (rec.stdout += values.map(String).join(' ') + '\n'),
    table: (columns, rows) => void rec.tables.push({ columns, rows }),
    sleep: (ms) => {
      rec.sleeps.push(ms);
      return (options.onSleep && options.onSleep(ms, rec.sleeps.length - 1)) || call(() => undefined);
    },
    tty: { size: () => call(() => ({ columns: options.columns ?? 80, rows: options.rows ?? 24 })) },
    fs: {
      stat: (p) => call(() => (find(p) ? info(norm(p), find(p)) : Promise.reject(kernelError('ENOENT', p)))),
      lstat: (p) => rec.sys.fs.stat(p), // this table has no links
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
      // A file as a byte stream, read in one piece, then null.
      open: (p) =>
        call(() => {
          const node = find(p);
          if (!node) throw kernelError('ENOENT', p);
          if (node.type === 'dir') throw kernelError('EISDIR', p);
          let left = bytesOf(node.text);
          return {
            read: () => call(() => {
              const r = left && left.length ? left : null;
              left = null;
              return r;
            }),
            close: () => call(() => undefined),
          };
        }),
    },
    proc: {
      list: () => call(() => answer(options.procs) || []),
      limits: () => call(() => ({ cpu: 30, heap: 64 << 20, external: 64 << 20, queue: 1024, isolates: 2000, ...options.limits })),
      kill: (pid, signal) =>
        call(() => {
          if (!(options.pids || []).includes(pid)) throw kernelError('ESRCH', `(${pid})`);
          rec.kills.push([pid, signal]);
        }),
    },
    kernel: {
      dmesg: () => call(() => options.dmesg || []),
      devices: () => call(() => options.devices || []),
      info: () => call(() => ({ uptime: 75, v8: '14.4', hostname: 'jsksh', memory: {}, ...answer(options.info) })),
    },
  };
  return rec;
}

// Bytes as the runtime hands them over (UTF-8), and back to text.
function bytesOf(s) {
  if (s === null || s === undefined) return null;
  const out = [];
  for (const ch of String(s)) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}
function text(s) {
  if (!(s instanceof Uint8Array)) return String(s);
  return decodeURIComponent(Array.from(s, (b) => '%' + b.toString(16).padStart(2, '0')).join(''));
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
  assert.equal(r.stdout, "> undefined\n> 'jsksh'\n> 2\n> \n"); // Node's REPL: the last statement's value
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

test('devices -v: then each driver\'s own fields, lists of names joined, structures as JSON', async () => {
  const devices = [
    { slot: 2, name: 'virtio-net', device_id: 1, irq: 7, interrupts: 3, features: ['CSUM'], queues: [], status: 15, offloads: ['tx-csum', 'tso4'], tx_frames: 9, ports: [{ id: 0 }] },
    { slot: 1, name: 'virtio-rng', device_id: 4, irq: 6, interrupts: 1, features: [], queues: [] },
  ];
  const r = await run(['devices', '-v'], { devices });
  assert.equal(r.status, 0);
  assert.ok(r.stdout.endsWith('\nvirtio-net (slot 2):\n  offloads: tx-csum,tso4\n  tx_frames: 9\n  ports: [{"id":0}]\n'), r.stdout);
  assert.ok(!r.stdout.includes('virtio-rng (slot 1)'), 'a driver with nothing more to say gets no section');
  const bad = await run(['devices', 'x'], { devices });
  assert.equal(bad.status, 2);
});

// Two processes as sys.proc.list() describes them (kernel/proc/process-table.js).
const PROCS = [
  { pid: 2, ppid: 1, name: 'sh', argv: ['sh', '-i'], state: 'S', start: 0.123, cpu: 0.256, heap: 1536 * 1024, heap_limit: 64 << 20, external: 0, external_limit: 64 << 20, cpu_limit: 30, in: 41, out: 40, queue: 0, serving: 0, service: false },
  { pid: 5, ppid: 2, name: 'sleep', argv: ['sleep', '30'], state: 'R', start: 3.5, cpu: 0.01, heap: null, heap_limit: 32 << 20, external: 2048, external_limit: 16 << 20, cpu_limit: 5, in: 2, out: 3, queue: 1, serving: 0, service: false },
];

test('ps: a row per isolate with CPU time, memory and messages', async () => {
  const r = await run(['ps'], { procs: PROCS });
  assert.equal(r.status, 0);
  assert.deepEqual(r.tables[0].columns, ['PID', 'PPID', 'STAT', 'START', 'TIME', 'HEAP', 'HLIM', 'EXT', 'MSGIN', 'MSGOUT', 'COMMAND']);
  assert.deepEqual(r.tables[0].rows, [
    [2, 1, 'S', '0.1s', '0.26', '1.5MiB', '64MiB', '0B', 41, 40, 'sh -i'],
    [5, 2, 'R', '3.5s', '0.01', '-', '32MiB', '2.0KiB', 2, 3, 'sleep 30'],
  ]);
});

test('ps -l adds the inbox queue, the CPU limit and the ArrayBuffer limit', async () => {
  for (const flag of ['-l', '--long']) {
    const r = await run(['ps', flag], { procs: PROCS });
    assert.deepEqual(r.tables[0].columns.slice(-4), ['QUEUE', 'CPULIM', 'EXTLIM', 'COMMAND']);
    assert.deepEqual(r.tables[0].rows[1].slice(-4), [1, 5, '16MiB', 'sleep 30']);
  }
});

test('ps PID... shows only those; none alive: the header alone, status 1', async () => {
  let r = await run(['ps', '5'], { procs: PROCS });
  assert.deepEqual(r.tables[0].rows.map((row) => row[0]), [5]);
  assert.equal(r.status, 0);
  r = await run(['ps', '5', '2', '77'], { procs: PROCS });
  assert.deepEqual(r.tables[0].rows.map((row) => row[0]), [2, 5]);
  r = await run(['ps', '99999'], { procs: PROCS });
  assert.deepEqual(r.tables[0].rows, []);
  assert.equal(r.tables[0].columns[0], 'PID');
  assert.equal(r.status, 1);
});

test('ps rejects unknown options and words that are not pids, status 2', async () => {
  let r = await run(['ps', '--bogus'], { procs: PROCS });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "ps: unrecognized option '--bogus'\nusage: ps [-l] [PID...]\nTry 'ps --help' for more information.\n");
  assert.deepEqual(r.tables, []);
  r = await run(['ps', 'sh'], { procs: PROCS });
  assert.equal(r.status, 2);
  assert.ok(r.stderr.startsWith("ps: invalid process id 'sh'"), r.stderr);
});

test('ps drops START on a terminal too narrow for it, and only there', async () => {
  const narrow = await run(['ps'], { procs: PROCS, isTTY: true, columns: 70 });
  assert.ok(!narrow.tables[0].columns.includes('START'));
  assert.deepEqual(narrow.tables[0].rows[0], [2, 1, 'S', '0.26', '1.5MiB', '64MiB', '0B', 41, 40, 'sh -i']);
  assert.ok((await run(['ps'], { procs: PROCS, isTTY: true, columns: 120 })).tables[0].columns.includes('START'));
  assert.ok((await run(['ps'], { procs: PROCS, isTTY: false, columns: 70 })).tables[0].columns.includes('START'));
});

// ---- top --------------------------------------------------------------------

// A machine sampled three times, 2 s apart (top samples once before its first
// frame): between the first two samples sh works harder than eval, between the
// last two eval does, and a process born in between (pid 9) shows its average
// since it started.
function topMachine(extra = []) {
  const sh = { pid: 2, ppid: 1, name: 'sh', argv: ['sh'], state: 'S', start: 0, heap: 3 << 20, external: 0 };
  const ev = { pid: 6, ppid: 2, name: 'eval', argv: ['eval', 'loop()'], state: 'R', start: 8, heap: 1 << 20, external: 1 << 20 };
  const samples = [
    [{ ...sh, cpu: 1.0, in: 100, out: 100 }, { ...ev, cpu: 0.5, in: 10, out: 10 }, ...extra],
    [{ ...sh, cpu: 1.4, in: 110, out: 104 }, { ...ev, cpu: 0.6, in: 30, out: 30 }, ...extra],
    [
      { ...sh, cpu: 1.5, in: 112, out: 106 },
      { ...ev, cpu: 1.0, in: 40, out: 50 },
      { pid: 9, ppid: 2, name: 'ls', argv: ['ls'], state: 'R', start: 13, cpu: 0.1, heap: null, external: 0, in: 3, out: 4 },
      ...extra,
    ],
  ];
  let procCalls = 0;
  let infoCalls = 0;
  return {
    procs: () => samples[Math.min(procCalls++, 2)],
    info: () => ({ uptime: [10, 12, 14][Math.min(infoCalls++, 2)], memory: { heap: 4 << 20, external: 1 << 20, pool: 3 } }),
    limits: { memory: 2 * 1024 ** 3 },
  };
}

const frames = (out) => out.split(/(?=^top - )/m);
const rowsOf = (frame) => frame.split('\n').filter((l) => /^\s*\d+\s/.test(l)).map((l) => l.trim().split(/\s+/));
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

test('top -b -n 2: two plain frames, rows by %CPU over the interval', async () => {
  const r = await run(['top', '-b', '-n', '2', '-d', '0.5'], topMachine());
  assert.equal(r.status, 0);
  assert.deepEqual(r.sleeps, [200, 500], 'a short first interval, then -d');
  assert.ok(!/\x1b/.test(r.stdout), 'no escape sequences in batch mode');
  const [first, second, ...more] = frames(r.stdout);
  assert.equal(more.length, 0);
  for (const frame of [first, second]) {
    assert.ok(frame.includes('Mem: 5.0MiB used of 2.0GiB: heap 4.0MiB, ArrayBuffers 1.0MiB, 3 warm in pool'), frame);
    assert.ok(/^\s+PID\s+S\s+%CPU\s+TIME\s+MSGIN\/s\s+MSGOUT\/s\s+HEAP\s+EXT\s+COMMAND$/m.test(frame), frame);
  }
  assert.ok(/^top - \d\d:\d\d:\d\d up 0 min,  2 isolates: 1 running, 1 sleeping, 0 exited$/m.test(first), first);
  assert.ok(/^top - \d\d:\d\d:\d\d up 0 min,  3 isolates: 2 running, 1 sleeping, 0 exited$/m.test(second), second);
  // Each frame: the differences since the sample before, over the 2 s between them.
  assert.deepEqual(rowsOf(first), [
    ['2', 'S', '20.0', '1.40', '5.0', '2.0', '3.0MiB', '0B', 'sh'],
    ['6', 'R', '5.0', '0.60', '10.0', '10.0', '1.0MiB', '1.0MiB', 'eval', 'loop()'],
  ]);
  assert.ok(first.includes('Msg: 15.0 in/s, 12.0 out/s'), first);
  assert.deepEqual(rowsOf(second), [
    ['6', 'R', '20.0', '1.00', '5.0', '10.0', '1.0MiB', '1.0MiB', 'eval', 'loop()'],
    ['9', 'R', '10.0', '0.10', '3.0', '4.0', '-', '0B', 'ls'], // new: 1 s old
    ['2', 'S', '5.0', '1.50', '1.0', '1.0', '3.0MiB', '0B', 'sh'],
  ]);
});

test('top on a terminal draws over the last frame, cut to the window', async () => {
  const idle = [7, 8, 9, 10].map((pid) => ({ pid, ppid: 2, name: 'sleep', argv: ['sleep', '30', 'x'.repeat(60)], state: 'S', start: 1, cpu: 0, in: 1, out: 1 }));
  const r = await run(['top', '-n', '2'], { ...topMachine(idle), isTTY: true, stdinKind: 'null', columns: 50, rows: 9 });
  assert.equal(r.status, 0);
  assert.ok(r.stdout.startsWith('\x1b[H\x1b[2J'), JSON.stringify(r.stdout.slice(0, 20)));
  const second = r.stdout.indexOf('\x1b[H', 1);
  assert.ok(second > 0 && !r.stdout.startsWith('\x1b[2J', second + 3), 'the second frame redraws in place');
  assert.ok(r.stdout.endsWith('\x1b[J'));
  for (const frame of [r.stdout.slice(0, second), r.stdout.slice(second)]) {
    const lines = frame.replace(ANSI, '').split('\n').slice(0, -1);
    assert.equal(lines.length, 8, 'one line less than the window: the screen never scrolls');
    assert.ok(lines.every((l) => Array.from(l).length <= 50), lines.join('\n'));
    assert.equal(rowsOf(frame.replace(ANSI, '')).length, 3); // 9 rows: 4 for the header, 1 for the names, 1 kept free
  }
});

test('top prints plain frames to the REPL client, even on a terminal', async () => {
  const r = await run(['top', '-n', '1'], { ...topMachine(), isTTY: true, stdinKind: 'channel' });
  assert.ok(!/\x1b/.test(r.stdout) && r.stdout.startsWith('top - '), r.stdout);
});

test('top takes the memory budget from sys.kernel.info(), else from the limits', async () => {
  const machine = topMachine();
  const info = () => ({ ...machine.info(), memory: { heap: 0, external: 0, budget: 1024 ** 3 } });
  let r = await run(['top', '-b', '-n', '1'], { ...machine, info, limits: { memory: 5 } });
  assert.ok(r.stdout.includes('\nMem: 0B used of 1.0GiB: heap 0B, ArrayBuffers 0B\n'), r.stdout);
  r = await run(['top', '-b', '-n', '1'], { ...topMachine(), limits: { memory: undefined } });
  assert.ok(r.stdout.includes('\nMem: 5.0MiB used: heap'), r.stdout);
});

test('top on the console makes the keys raw and quits on the key q, giving line editing back', async () => {
  // Typed while top waits after its first frame; that wait would never end.
  let typeQ;
  const typed = new Promise((resolve) => (typeQ = resolve));
  const onSleep = (ms, n) => {
    if (n !== 1) return null;
    typeQ();
    return new Promise(() => {});
  };
  const stdin = ['x', () => typed.then(() => 'q')];
  const r = await run(['top'], { ...topMachine(), isTTY: true, stdinKind: 'tty', stdin, onSleep });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.split('\x1b[H').length - 1, 1, 'one frame, then q');
  assert.deepEqual(r.modes, [{ raw: true }, {}]);
});

test('top draws in place in a REPL client that takes raw keys', async () => {
  const stdin = [() => new Promise(() => {})]; // no key is typed
  const r = await run(['top', '-n', '1'], { ...topMachine(), isTTY: true, stdinKind: 'channel', modes: true, stdin });
  assert.ok(r.stdout.startsWith('\x1b[H\x1b[2J'), JSON.stringify(r.stdout.slice(0, 20)));
});

test('top option errors: a message and status 2', async () => {
  for (const argv of [['top', '-x'], ['top', '-n', '0'], ['top', '-n'], ['top', '-d', 'soon'], ['top', 'now']]) {
    const r = await run(argv, topMachine());
    assert.equal(r.status, 2, argv.join(' '));
    assert.ok(r.stderr.startsWith('top: ') && r.stderr.includes('usage: top'), r.stderr);
    assert.equal(r.stdout, '');
  }
  assert.equal((await run(['top', '-bn1', '-d0.5'], topMachine())).status, 0);
});

test('free: isolate memory in KiB, bytes or human sizes, the unit in the header', async () => {
  const memory = { heap: 2048 * 1024, heap_limit: 128 * 1024 * 1024, external: 4096, isolates: 3, pool: 2 };
  let r = await run(['free'], { info: { memory } });
  assert.deepEqual(r.tables[0].columns, ['HEAP USED (KiB)', 'HEAP LIMIT (KiB)', 'EXTERNAL (KiB)', 'ISOLATES', 'POOL']);
  assert.deepEqual(r.tables[0].rows, [[2048, 131072, 4, 3, 2]]);
  r = await run(['free', '-b'], { info: { memory } });
  assert.deepEqual(r.tables[0].columns.slice(0, 3), ['HEAP USED (bytes)', 'HEAP LIMIT (bytes)', 'EXTERNAL (bytes)']);
  assert.deepEqual(r.tables[0].rows, [[2048 * 1024, 128 * 1024 * 1024, 4096, 3, 2]]);
  r = await run(['free', '-h'], { info: { memory } });
  assert.deepEqual(r.tables[0].columns.slice(0, 3), ['HEAP USED', 'HEAP LIMIT', 'EXTERNAL']);
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
  assert.ok(one.stdout.startsWith('usage: ls [-l] [-a] [PATH...]\nlist directory contents\n\n  -l  '), one.stdout);
  assert.ok(one.stdout.includes('\n  -a      also names starting with a dot\n'), one.stdout);
  assert.equal(one.status, 0);
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

test('tail prints the last lines of files', async () => {
  assert.equal((await run(['tail', '-n', '2', '/etc/motd'])).stdout, 'two words\nthree\n');
  assert.equal((await run(['tail', '-1', '/etc/motd'])).stdout, 'three\n');
  assert.equal((await run(['tail', '/etc/motd'])).stdout, 'one\ntwo words\nthree\n');
  assert.equal((await run(['tail', '-n', '+2', '/etc/motd'])).stdout, 'two words\nthree\n');
  assert.equal((await run(['tail', '-n0', '/etc/motd'])).stdout, '');
  const files = { ...defaultFiles(), '/t': { type: 'file', text: 'a\nb\nc' }, '/e': { type: 'file', text: '\n\n' } };
  assert.equal((await run(['tail', '-n', '2', '/t'], { files })).stdout, 'b\nc', 'a last line without a newline counts');
  assert.equal((await run(['tail', '-n', '5', '/e'], { files })).stdout, '\n\n');
});

test('tail reads standard input in any chunks, however long', async () => {
  assert.equal((await run(['tail', '-2'], { stdin: ['a\nb', '\nc\n', 'd'] })).stdout, 'c\nd');
  const chunks = [];
  for (let i = 0; i < 500; i++) chunks.push(Array.from({ length: 100 }, (_, j) => `line ${i * 100 + j}`).join('\n') + '\n');
  assert.equal((await run(['tail', '-n', '3'], { stdin: chunks })).stdout, 'line 49997\nline 49998\nline 49999\n');
  const many = (await run(['tail', '-n', '20000'], { stdin: chunks })).stdout;
  assert.ok(many.startsWith('line 30000\n') && many.endsWith('\nline 49999\n'), many.slice(0, 30));
  assert.equal(many.split('\n').length - 1, 20000);
  const rest = (await run(['tail', '-n', '+3'], { stdin: chunks })).stdout;
  assert.ok(rest.startsWith('line 2\nline 3\n') && rest.endsWith('\nline 49999\n'), rest.slice(0, 30));
});

test('tail titles several files; a missing one is an error, the others still print', async () => {
  let r = await run(['tail', '-n', '1', '/etc/motd', '/etc/hostname']);
  assert.equal(r.stdout, '==> /etc/motd <==\nthree\n\n==> /etc/hostname <==\njsksh\n');
  r = await run(['tail', '/nope', '/etc/hostname']);
  assert.equal(r.stderr, "tail: cannot open '/nope' for reading: No such file or directory\n");
  assert.ok(r.stdout.endsWith('==> /etc/hostname <==\njsksh\n'), r.stdout);
  assert.equal(r.status, 1);
  r = await run(['tail', '-n', 'x', '/etc/motd']);
  assert.equal(r.stderr, 'tail: invalid number of lines\n');
  assert.equal(r.status, 1);
  assert.equal((await run(['tail', '-f'])).status, 1);
});

test('true and false', async () => {
  assert.equal((await run(['true'])).status, 0);
  assert.equal((await run(['false'])).status, 1);
});

// ---- file tools: touch, cp, mv, rmdir, stat, du, df, basename, dirname -------
//
// These run against the kernel's own file tree (kernel/fs/vfs.js) over a
// small image, not a table: sys.fs here is a thin async layer over a Vfs, as
// kernel/proc/syscalls.js is, so a copy, a rename or a full /tmp behaves as
// it does on a machine. The Vfs's clock is injected (ftMachine's `tick`).

const { Vfs: FtVfs } = require('/kernel/fs/vfs');

// A Vfs over an image of {path: text}, /tmp limited to tmpSize bytes.
function ftMachine({ tmpSize = 1 << 20, image = { '/etc/motd': 'welcome\n', '/etc/hostname': 'jsksh\n' } } = {}) {
  const entries = new Map();
  const chunks = [];
  let at = 0;
  for (const [path, text] of Object.entries(image)) {
    const data = bytesOf(text);
    entries.set(path, { type: 'file', mode: 0o644, mtime: 1700000000, size: data.length, offset: at });
    chunks.push(data);
    at += data.length;
  }
  const bytes = new Uint8Array(at);
  chunks.reduce((o, c) => (bytes.set(c, o), o + c.length), 0);
  let clock = 1750000000;
  const vfs = new FtVfs({ bytes, entries }, { now: () => clock, tmpSize });
  return { vfs, tick: (s = 1) => (clock += s), now: () => clock, imageSize: at };
}

// sys.fs over a Vfs: paths resolved against the app's cwd, every answer a
// promise, errors the Vfs's KernelErrors (code, message, path), file
// streams read in pieces of at most 4 KiB.
function ftFs(vfs, cwd) {
  const abs = (p) => FtVfs.resolve(cwd(), String(p));
  const call = (fn) => Promise.resolve().then(fn);
  return {
    stat: (p) => call(() => vfs.stat(abs(p))),
    lstat: (p) => call(() => vfs.lstat(abs(p))),
    readlink: (p) => call(() => vfs.readlink(abs(p))),
    symlink: (target, p) => call(() => vfs.symlink(String(target), abs(p))),
    link: (a, b) => call(() => vfs.link(abs(a), abs(b))),
    readdir: (p) => call(() => vfs.readdir(abs(p))),
    readFile: (p) => call(() => vfs.readFile(abs(p))),
    writeFile: (p, data, opts = {}) => call(() => vfs.writeFile(abs(p), String(data), !!opts.append)),
    mkdir: (p) => call(() => vfs.mkdir(abs(p))),
    unlink: (p) => call(() => vfs.unlink(abs(p))),
    rename: (a, b) => call(() => vfs.rename(abs(a), abs(b))),
    rmdir: (p) => call(() => vfs.rmdir(abs(p))),
    utimes: (p, mtime) => call(() => vfs.utimes(abs(p), mtime === undefined || mtime === null ? undefined : Number(mtime))),
    chmod: (p, mode) => call(() => vfs.chmod(abs(p), mode)),
    statfs: (p) => call(() => (p === undefined ? vfs.filesystems() : vfs.statfs(abs(p)))),
    open: (p, flags = 'r') =>
      call(() => {
        const path = abs(p);
        const refuse = () => Promise.reject(Object.assign(new Error('Bad file descriptor'), { code: 'EBADF' }));
        if (flags === 'r') {
          const source = vfs.openRead(path);
          return { read: (max = 4096) => call(() => source.next(Math.min(max, 4096))), write: refuse, close: () => call(() => {}) };
        }
        const sink = vfs.openWrite(path, flags === 'a');
        const check = () => {
          if (sink.error) throw sink.error;
        };
        return {
          read: refuse,
          write: (data) => call(() => (check(), sink.write(typeof data === 'string' ? bytesOf(data) : data), check())),
          close: () => call(check),
        };
      }),
  };
}

// Runs /bin/NAME.js on machine `m` (ftMachine) in `cwd`.
async function ftRun(argv, m, { cwd = '/', stdin } = {}) {
  const rec = fakeSys({ stdin });
  rec.sys.cwd = cwd;
  rec.sys.fs = ftFs(m.vfs, () => rec.sys.cwd);
  globalThis.sys = rec.sys;
  rec.status = await require(`/bin/${argv[0]}.js`)(argv);
  return rec;
}

// Every byte of a file (through the Vfs's byte stream), and bytes written as they are.
function ftBytes(vfs, path) {
  const source = vfs.openRead(path);
  const pieces = [];
  for (let p = source.next(65536); p !== null; p = source.next(65536)) pieces.push(Uint8Array.from(p));
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  pieces.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}
function ftWrite(vfs, path, bytes) {
  const sink = vfs.openWrite(path);
  sink.write(bytes);
  if (sink.error) throw sink.error;
}
// n bytes of every value, 0x80 and 0xff among them: not UTF-8.
function ftBinary(n, seed = 7) {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

// Which names the Vfs has under /tmp, depth first: ['a', 'd/', 'd/x'].
function ftTree(vfs, dir = '/tmp', prefix = '') {
  const names = [];
  for (const e of vfs.readdir(dir)) {
    names.push(prefix + e.name + (e.type === 'dir' ? '/' : ''));
    if (e.type === 'dir') names.push(...ftTree(vfs, `${dir}/${e.name}`, `${prefix}${e.name}/`));
  }
  return names;
}

// -- basename, dirname

test('basename strips directories, trailing slashes and a suffix, as GNU does', async () => {
  const m = ftMachine();
  const cases = [
    [['/usr/lib/libc.so', '.so'], 'libc\n'],
    [['/usr/lib/'], 'lib\n'],
    [['/'], '/\n'],
    [['//'], '/\n'],
    [['name'], 'name\n'],
    [[''], '\n'],
    [['.txt', '.txt'], '.txt\n'], // a suffix that is the whole name stays
    [['a/b.txt', 'xt'], 'b.t\n'],
    [['-a', 'a/b', '/c/d/'], 'b\nd\n'],
    [['-s', '.c', 'x/a.c', 'b.c', 'c.h'], 'a\nb\nc.h\n'],
    [['--suffix=.c', 'a.c'], 'a\n'],
    [['-as.c', 'a.c'], 'a\n'],
    [['-z', '/a/b'], 'b\0'],
    [['--', '-x'], '-x\n'],
  ];
  for (const [args, out] of cases) {
    const r = await ftRun(['basename', ...args], m);
    assert.deepEqual([r.stdout, r.stderr, r.status], [out, '', 0], `basename ${JSON.stringify(args)}`);
  }
});

test('basename and dirname: a missing or extra operand is status 1, an unknown option 2', async () => {
  const m = ftMachine();
  let r = await ftRun(['basename'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['basename: missing operand', 1]);
  assert.ok(r.stderr.includes('usage: basename NAME [SUFFIX]\n   or: basename -a'), r.stderr);
  r = await ftRun(['basename', 'a', 'b', 'c'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status, r.stdout], ["basename: extra operand 'c'", 1, '']);
  r = await ftRun(['basename', '-x', 'a'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status, r.stdout], ["basename: invalid option -- 'x'", 2, '']);
  r = await ftRun(['dirname'], m);
  assert.deepEqual([r.stderr, r.status], ["dirname: missing operand\nusage: dirname [-z] NAME...\nTry 'dirname --help' for more information.\n", 1]);
  r = await ftRun(['dirname', '-q', 'a'], m);
  assert.deepEqual([r.stderr, r.status], ["dirname: invalid option -- 'q'\nusage: dirname [-z] NAME...\nTry 'dirname --help' for more information.\n", 2]);
  r = await ftRun(['dirname', '--bogus', 'a'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["dirname: unrecognized option '--bogus'", 2]);
});

test('dirname removes the last component and the slashes around it', async () => {
  const m = ftMachine();
  const cases = [
    ['/usr/lib/libc.so', '/usr/lib'],
    ['/usr/', '/'],
    ['/usr', '/'],
    ['name', '.'],
    ['name/', '.'],
    ['/', '/'],
    ['//', '/'],
    ['a/b//c/', 'a/b'],
    ['a//b', 'a'],
    ['', '.'],
    ['../x', '..'],
  ];
  for (const [name, out] of cases) {
    const r = await ftRun(['dirname', name], m);
    assert.deepEqual([r.stdout, r.status], [out + '\n', 0], `dirname ${JSON.stringify(name)}`);
  }
  assert.equal((await ftRun(['dirname', '/a/b', 'c/d', 'e'], m)).stdout, '/a\nc\n.\n');
  assert.equal((await ftRun(['dirname', '-z', '/a/b', 'c'], m)).stdout, '/a\0.\0');
});

// -- touch

test('touch makes an empty file, and sets an existing one\'s time to now without touching its bytes', async () => {
  const m = ftMachine();
  let r = await ftRun(['touch', 'new', '/tmp/other'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', '', 0]);
  assert.deepEqual(m.vfs.stat('/tmp/new'), { name: 'new', type: 'file', size: 0, mode: 0o644, mtime: m.now(), nlink: 1, ino: m.vfs.stat('/tmp/new').ino });
  assert.equal(m.vfs.stat('/tmp/other').size, 0);
  m.vfs.writeFile('/tmp/kept', 'contents');
  m.tick(60);
  r = await ftRun(['touch', '/tmp/kept', '/tmp/new'], m);
  assert.equal(r.status, 0);
  assert.equal(m.vfs.stat('/tmp/kept').mtime, m.now());
  assert.equal(m.vfs.stat('/tmp/new').mtime, m.now());
  assert.equal(m.vfs.readFile('/tmp/kept'), 'contents');
  m.vfs.mkdir('/tmp/d');
  m.tick(5);
  assert.equal((await ftRun(['touch', '/tmp/d'], m)).status, 0);
  assert.equal(m.vfs.stat('/tmp/d').mtime, m.now());
});

test('touch -c makes nothing; -d and -r set the time given', async () => {
  const m = ftMachine();
  let r = await ftRun(['touch', '-c', '/tmp/none', '/tmp/no/such'], m);
  assert.deepEqual([r.stderr, r.status], ['', 0]);
  assert.deepEqual(m.vfs.readdir('/tmp'), []);
  await ftRun(['touch', '-d', '@1000000000.5', '/tmp/a'], m);
  assert.equal(m.vfs.stat('/tmp/a').mtime, 1000000000.5);
  await ftRun(['touch', '--date=2001-09-09 01:46:40Z', '/tmp/b'], m);
  assert.equal(m.vfs.stat('/tmp/b').mtime, 1000000000);
  await ftRun(['touch', '-d', '2001-09-09T03:46:40+02:00', '/tmp/c'], m);
  assert.equal(m.vfs.stat('/tmp/c').mtime, 1000000000);
  await ftRun(['touch', '-d', '2001-09-09 01:46', '/tmp/local'], m);
  assert.equal(m.vfs.stat('/tmp/local').mtime, new Date(2001, 8, 9, 1, 46).getTime() / 1000);
  r = await ftRun(['touch', '-r', '/etc/motd', '/tmp/a'], m);
  assert.equal(m.vfs.stat('/tmp/a').mtime, 1700000000);
  r = await ftRun(['touch', '-cm', '-d', '@5', '/tmp/a'], m);
  assert.deepEqual([m.vfs.stat('/tmp/a').mtime, r.status], [5, 0]);
});

test('chmod: octal and symbolic modes, -w as a mode, -v and -c in GNU\'s words', async () => {
  const m = ftMachine();
  const mode = (p) => m.vfs.stat(p).mode;
  m.vfs.writeFile('/tmp/a', 'a');
  m.vfs.writeFile('/tmp/b', 'b');
  let r = await ftRun(['chmod', '600', 'a', 'b'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stdout, r.stderr, r.status, mode('/tmp/a'), mode('/tmp/b')], ['', '', 0, 0o600, 0o600]);
  await ftRun(['chmod', 'u+x,go+r', '/tmp/a'], m);
  assert.equal(mode('/tmp/a'), 0o744);
  await ftRun(['chmod', '-w', '/tmp/a'], m);
  assert.equal(mode('/tmp/a'), 0o544, 'chmod -w FILE: the word is a mode, as in GNU');
  await ftRun(['chmod', 'a=r', '/tmp/a'], m);
  assert.equal(mode('/tmp/a'), 0o444);
  r = await ftRun(['chmod', '-v', '+x', '/tmp/a', '/tmp/b'], m);
  assert.equal(r.stdout, "mode of '/tmp/a' changed from 0444 (r--r--r--) to 0555 (r-xr-xr-x)\nmode of '/tmp/b' changed from 0600 (rw-------) to 0711 (rwx--x--x)\n");
  r = await ftRun(['chmod', '-c', 'u+w', '/tmp/a', '/tmp/b'], m);
  assert.equal(r.stdout, "mode of '/tmp/a' changed from 0555 (r-xr-xr-x) to 0755 (rwxr-xr-x)\n", `-c: only the file that changed: ${r.stdout}`);
  r = await ftRun(['chmod', '-v', '755', '/tmp/a'], m);
  assert.equal(r.stdout, "mode of '/tmp/a' retained as 0755 (rwxr-xr-x)\n");
  await ftRun(['chmod', '--reference=/tmp/b', '/tmp/a'], m);
  assert.equal(mode('/tmp/a'), 0o711);
  m.vfs.symlink('/tmp/b', '/tmp/l');
  await ftRun(['chmod', '640', '/tmp/l'], m);
  assert.deepEqual([mode('/tmp/b'), m.vfs.lstat('/tmp/l').mode], [0o640, 0o777], 'a link named is followed');
  await ftRun(['chmod', '+t', '/tmp'], m);
  assert.equal(mode('/tmp'), 0o1777);
});

test('chmod -R: the directory, then what it holds; links met on the way are left alone', async () => {
  const m = ftMachine();
  const mode = (p) => m.vfs.stat(p).mode;
  m.vfs.mkdir('/tmp/d');
  m.vfs.mkdir('/tmp/d/sub');
  m.vfs.writeFile('/tmp/d/f', 'f');
  m.vfs.writeFile('/tmp/d/sub/g', 'g');
  m.vfs.writeFile('/tmp/outside', 'o');
  m.vfs.symlink('/tmp/outside', '/tmp/d/link');
  const r = await ftRun(['chmod', '-R', '-v', 'go-rwx,a+X', '/tmp/d'], m);
  assert.equal(r.status, 0);
  assert.deepEqual([mode('/tmp/d'), mode('/tmp/d/sub'), mode('/tmp/d/f'), mode('/tmp/d/sub/g'), mode('/tmp/outside')], [0o711, 0o711, 0o600, 0o600, 0o644]);
  assert.equal(r.stdout.split('\n')[0], "mode of '/tmp/d' changed from 0755 (rwxr-xr-x) to 0711 (rwx--x--x)");
  assert.ok(r.stdout.includes("neither symbolic link '/tmp/d/link' nor referent has been changed\n"), r.stdout);
});

test('chmod errors: a bad mode, a missing file, the image, a dangling link, no operand', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'a');
  let r = await ftRun(['chmod', 'u+q', '/tmp/a'], m);
  assert.equal(r.stderr.split('\n')[0], "chmod: invalid mode: 'u+q'");
  assert.ok(r.stderr.endsWith("Try 'chmod --help' for more information.\n"), r.stderr);
  assert.equal(r.status, 1);
  r = await ftRun(['chmod', '644', '/tmp/nope', '/tmp/a', '/etc/motd'], m);
  assert.equal(r.stderr, "chmod: cannot access '/tmp/nope': No such file or directory\nchmod: changing permissions of '/etc/motd': Read-only file system\n");
  assert.equal(r.status, 1);
  r = await ftRun(['chmod', '-f', '600', '/tmp/nope', '/tmp/a'], m);
  assert.deepEqual([r.stderr, r.status, m.vfs.stat('/tmp/a').mode], ['', 1, 0o600], '-f: quiet, the status still says so');
  m.vfs.symlink('/tmp/gone', '/tmp/dangling');
  r = await ftRun(['chmod', '600', '/tmp/dangling'], m);
  assert.deepEqual([r.stderr, r.status], ["chmod: cannot operate on dangling symlink '/tmp/dangling'\n", 1]);
  r = await ftRun(['chmod', '644'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["chmod: missing operand after '644'", 1]);
  r = await ftRun(['chmod'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['chmod: missing operand', 1]);
  r = await ftRun(['chmod', '-Z', '644', '/tmp/a'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["chmod: invalid option -- 'Z'", 2]);
});

test('touch errors: GNU\'s messages, status 1, the other files still touched', async () => {
  const m = ftMachine();
  let r = await ftRun(['touch', '/etc/motd', '/etc/new', '/tmp/no/such', '/tmp/ok', '/etc'], m);
  assert.equal(r.stderr, [
    "touch: cannot touch '/etc/motd': Read-only file system",
    "touch: cannot touch '/etc/new': Read-only file system",
    "touch: cannot touch '/tmp/no/such': No such file or directory",
    "touch: setting times of '/etc': Read-only file system",
    '',
  ].join('\n'));
  assert.equal(r.status, 1);
  assert.equal(m.vfs.stat('/tmp/ok').size, 0);
  assert.equal(m.vfs.stat('/etc/motd').mtime, 1700000000);
  r = await ftRun(['touch', '-d', 'someday', '/tmp/x'], m);
  assert.deepEqual([r.stderr, r.status], ["touch: invalid date format 'someday'\n", 1]);
  r = await ftRun(['touch', '-r', '/nope', '/tmp/x'], m);
  assert.deepEqual([r.stderr, r.status], ["touch: failed to get attributes of '/nope': No such file or directory\n", 1]);
  assert.equal((await ftRun(['touch', '-d', '2001-13-01', '/tmp/x'], m)).status, 1);
  r = await ftRun(['touch', '-a', '/tmp/x'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["touch: invalid option -- 'a'", 2]);
  r = await ftRun(['touch'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['touch: missing file operand', 1]);
  assert.equal(codeOfFt(() => m.vfs.stat('/tmp/x')), 'ENOENT', 'no bad call made a file');
});

function codeOfFt(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

// -- cp

test('cp copies bytes as bytes: 100,000 bytes that are not UTF-8 arrive unchanged', async () => {
  const m = ftMachine();
  const data = ftBinary(100000);
  ftWrite(m.vfs, '/tmp/a', data);
  const r = await ftRun(['cp', '/tmp/a', '/tmp/b'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', '', 0]);
  assert.deepEqual(ftBytes(m.vfs, '/tmp/b'), data);
  assert.deepEqual(ftBytes(m.vfs, '/tmp/a'), data);
  // Over an existing, longer file: the copy is exactly the source.
  ftWrite(m.vfs, '/tmp/c', ftBinary(150000, 9));
  await ftRun(['cp', 'a', 'c'], m, { cwd: '/tmp' });
  assert.deepEqual(ftBytes(m.vfs, '/tmp/c'), data);
  // From the image.
  await ftRun(['cp', '/etc/motd', '/tmp/motd'], m);
  assert.equal(m.vfs.readFile('/tmp/motd'), 'welcome\n');
});

test('cp into a directory, several sources into one, -v says what', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/x', 'x');
  let r = await ftRun(['cp', '-v', '/etc/motd', '/etc/hostname', '/tmp/x', '/tmp/d/'], m);
  assert.deepEqual([r.stderr, r.status], ['', 0]);
  assert.equal(r.stdout, "'/etc/motd' -> '/tmp/d/motd'\n'/etc/hostname' -> '/tmp/d/hostname'\n'/tmp/x' -> '/tmp/d/x'\n");
  assert.deepEqual(ftTree(m.vfs), ['d/', 'd/hostname', 'd/motd', 'd/x', 'x']);
  r = await ftRun(['cp', '/etc/motd', '/tmp/x', '/tmp/nodir'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: target '/tmp/nodir' is not a directory\n", 1]);
  r = await ftRun(['cp', '/etc/motd', '/tmp/x/'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: failed to access '/tmp/x/': Not a directory\n", 1]);
  assert.equal(m.vfs.readFile('/tmp/x'), 'x');
  assert.deepEqual(ftTree(m.vfs), ['d/', 'd/hostname', 'd/motd', 'd/x', 'x']);
});

test('cp -r copies a tree; without -r a directory is left out, status 1', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/src');
  m.vfs.mkdir('/tmp/src/sub');
  m.vfs.mkdir('/tmp/src/empty');
  ftWrite(m.vfs, '/tmp/src/sub/bin', ftBinary(5000));
  m.vfs.writeFile('/tmp/src/t', 'text');
  let r = await ftRun(['cp', '/tmp/src', '/tmp/dst'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: -r not specified; omitting directory '/tmp/src'\n", 1]);
  assert.equal(codeOfFt(() => m.vfs.stat('/tmp/dst')), 'ENOENT');
  r = await ftRun(['cp', '-r', '/tmp/src', '/tmp/dst'], m);
  assert.deepEqual([r.stderr, r.status], ['', 0]);
  assert.deepEqual(ftTree(m.vfs, '/tmp/dst'), ['empty/', 'sub/', 'sub/bin', 't']);
  assert.deepEqual(ftBytes(m.vfs, '/tmp/dst/sub/bin'), ftBinary(5000));
  // Into an existing directory: under the source's name.
  r = await ftRun(['cp', '-R', 'src/', 'dst'], m, { cwd: '/tmp' });
  assert.equal(r.status, 0);
  assert.deepEqual(ftTree(m.vfs, '/tmp/dst/src'), ['empty/', 'sub/', 'sub/bin', 't']);
  // A tree from the image.
  m.vfs.mkdir('/tmp/img');
  assert.equal((await ftRun(['cp', '-r', '/etc', '/tmp/img'], m)).status, 0);
  assert.equal(m.vfs.readFile('/tmp/img/etc/hostname'), 'jsksh\n');
});

test('cp refuses to copy a file onto itself or a directory into itself, and loses nothing', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'precious');
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/f', 'f');
  let r = await ftRun(['cp', '/tmp/a', '/tmp/a'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: '/tmp/a' and '/tmp/a' are the same file\n", 1]);
  r = await ftRun(['cp', 'a', '../tmp/./a'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stderr, r.status], ["cp: 'a' and '../tmp/./a' are the same file\n", 1]);
  r = await ftRun(['cp', '/tmp/a', '/tmp'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: '/tmp/a' and '/tmp/a' are the same file\n", 1]);
  assert.equal(m.vfs.readFile('/tmp/a'), 'precious');
  r = await ftRun(['cp', '-r', '/tmp/d', '/tmp/d'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: cannot copy a directory, '/tmp/d', into itself, '/tmp/d/d'\n", 1]);
  r = await ftRun(['cp', '-r', '/tmp', '/tmp/d/copy'], m);
  assert.equal(r.stderr, "cp: cannot copy a directory, '/tmp', into itself, '/tmp/d/copy'\n");
  assert.deepEqual(ftTree(m.vfs), ['a', 'd/', 'd/f']);
});

test('cp: the wrong kind of destination, the image, a missing source: GNU\'s messages', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/file', 'file');
  m.vfs.mkdir('/tmp/d');
  m.vfs.mkdir('/tmp/d/file');
  m.vfs.mkdir('/tmp/dir');
  const lines = [];
  for (const args of [
    ['/etc/motd', '/etc/copy'],
    ['/tmp/file', '/etc'],
    ['/nope', '/tmp/x'],
    ['/tmp/file', '/tmp/d'],
    ['-r', '/tmp/dir', '/tmp/file'],
    ['-r', '/tmp/dir', '/etc/dir'],
    ['/tmp/file', '/tmp/no/such'],
  ]) {
    const r = await ftRun(['cp', ...args], m);
    assert.equal(r.status, 1, args.join(' '));
    lines.push(r.stderr);
  }
  assert.deepEqual(lines, [
    "cp: cannot create regular file '/etc/copy': Read-only file system\n",
    "cp: cannot create regular file '/etc/file': Read-only file system\n",
    "cp: cannot stat '/nope': No such file or directory\n",
    "cp: cannot overwrite directory '/tmp/d/file' with non-directory\n",
    "cp: cannot overwrite non-directory '/tmp/file' with directory '/tmp/dir'\n",
    "cp: cannot create directory '/etc/dir': Read-only file system\n",
    "cp: cannot create regular file '/tmp/no/such': No such file or directory\n",
  ]);
  assert.equal(m.vfs.readFile('/tmp/file'), 'file');
  assert.deepEqual(ftTree(m.vfs), ['d/', 'd/file/', 'dir/', 'file']);
});

test('cp into a full /tmp: "No space left on device", status 1, the source intact', async () => {
  const m = ftMachine({ tmpSize: 60000 });
  const data = ftBinary(40000);
  ftWrite(m.vfs, '/tmp/a', data);
  const r = await ftRun(['cp', '/tmp/a', '/tmp/b'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: error writing '/tmp/b': No space left on device\n", 1]);
  assert.deepEqual(ftBytes(m.vfs, '/tmp/a'), data);
  // As GNU's cp, what fit is left in the copy: the first 20,000 bytes.
  assert.deepEqual(ftBytes(m.vfs, '/tmp/b'), data.subarray(0, 20000));
  // Copying on goes on to the next source, and says so for each.
  m.vfs.unlink('/tmp/b');
  m.vfs.mkdir('/tmp/d');
  const r2 = await ftRun(['cp', '/tmp/a', '/etc/motd', '/tmp/d'], m);
  assert.equal(r2.stderr, "cp: error writing '/tmp/d/a': No space left on device\ncp: error writing '/tmp/d/motd': No space left on device\n");
});

test('cp -n keeps what is there; -i asks on stderr and reads the answers from stdin', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'new');
  m.vfs.writeFile('/tmp/b', 'old b');
  m.vfs.writeFile('/tmp/c', 'old c');
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/b', 'old d/b');
  m.vfs.writeFile('/tmp/d/c', 'old d/c');
  let r = await ftRun(['cp', '-n', '/tmp/a', '/tmp/b'], m);
  assert.deepEqual([r.stderr, r.status, m.vfs.readFile('/tmp/b')], ['', 0, 'old b']);
  r = await ftRun(['cp', '-i', '/tmp/b', '/tmp/c', '/tmp/d'], m, { stdin: ['n\ny', 'es\n'] });
  assert.equal(r.stderr, "cp: overwrite '/tmp/d/b'? cp: overwrite '/tmp/d/c'? ");
  assert.deepEqual([m.vfs.readFile('/tmp/d/b'), m.vfs.readFile('/tmp/d/c')], ['old d/b', 'old c']);
  r = await ftRun(['cp', '-i', '/tmp/a', '/tmp/b'], m, { stdin: [] }); // no answer: no
  assert.equal(m.vfs.readFile('/tmp/b'), 'old b');
  await ftRun(['cp', '-ni', '/tmp/a', '/tmp/b'], m, { stdin: ['y\n'] }); // the last of -n and -i wins
  assert.equal(m.vfs.readFile('/tmp/b'), 'new');
});

test('cp -p and -a keep the modification time; a plain copy is new', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/f', 'f');
  m.vfs.utimes('/tmp/d/f', 1000);
  m.vfs.utimes('/tmp/d', 2000);
  m.tick(10);
  await ftRun(['cp', '/tmp/d/f', '/tmp/plain'], m);
  assert.equal(m.vfs.stat('/tmp/plain').mtime, m.now());
  await ftRun(['cp', '-p', '/tmp/d/f', '/tmp/kept'], m);
  assert.equal(m.vfs.stat('/tmp/kept').mtime, 1000);
  await ftRun(['cp', '-a', '/tmp/d', '/tmp/e'], m);
  assert.deepEqual([m.vfs.stat('/tmp/e').mtime, m.vfs.stat('/tmp/e/f').mtime], [2000, 1000]);
});

test('cp option and operand errors', async () => {
  const m = ftMachine();
  let r = await ftRun(['cp', '-x', 'a', 'b'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["cp: invalid option -- 'x'", 2]);
  assert.ok(r.stderr.includes('\nusage: cp [-rRainpvf] SOURCE DEST\n   or: cp [-rRainpvf] SOURCE... DIRECTORY\n'), r.stderr);
  r = await ftRun(['cp', '--link', 'a', 'b'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["cp: unrecognized option '--link'", 2]);
  r = await ftRun(['cp'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['cp: missing file operand', 1]);
  r = await ftRun(['cp', '/etc/motd'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["cp: missing destination file operand after '/etc/motd'", 1]);
  assert.deepEqual(m.vfs.readdir('/tmp'), []);
  // Options may follow the operands, as with GNU's getopt.
  m.vfs.mkdir('/tmp/d');
  assert.equal((await ftRun(['cp', '/tmp/d', '/tmp/e', '-r'], m)).status, 0);
});

// -- mv

test('mv renames: a file, into a directory, several into one; -v says what', async () => {
  const m = ftMachine();
  const data = ftBinary(30000);
  ftWrite(m.vfs, '/tmp/a', data);
  m.vfs.writeFile('/tmp/b', 'b');
  m.vfs.mkdir('/tmp/d');
  let r = await ftRun(['mv', '/tmp/a', '/tmp/a2'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', '', 0]);
  assert.deepEqual(ftBytes(m.vfs, '/tmp/a2'), data);
  r = await ftRun(['mv', '-v', 'a2', 'b', 'd'], m, { cwd: '/tmp' });
  assert.equal(r.stdout, "renamed 'a2' -> 'd/a2'\nrenamed 'b' -> 'd/b'\n");
  assert.deepEqual(ftTree(m.vfs), ['d/', 'd/a2', 'd/b']);
  // A directory moves with what it holds.
  r = await ftRun(['mv', '/tmp/d', '/tmp/e'], m);
  assert.deepEqual(ftTree(m.vfs), ['e/', 'e/a2', 'e/b']);
  assert.deepEqual(ftBytes(m.vfs, '/tmp/e/a2'), data);
  // Over a file: replaced, and its bytes given back to /tmp.
  m.vfs.writeFile('/tmp/old', 'x'.repeat(1000));
  const used = m.vfs.statfs('/tmp').used;
  await ftRun(['mv', '/tmp/e/b', '/tmp/old'], m);
  assert.deepEqual([m.vfs.readFile('/tmp/old'), m.vfs.statfs('/tmp').used], ['b', used - 1000]);
});

test('mv a a, a directory into itself, wrong kinds: GNU\'s messages, nothing moves', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'precious');
  m.vfs.mkdir('/tmp/d');
  m.vfs.mkdir('/tmp/d/sub');
  m.vfs.mkdir('/tmp/d/sub/a');
  m.vfs.mkdir('/tmp/full');
  m.vfs.writeFile('/tmp/full/x', 'x');
  m.vfs.mkdir('/tmp/e');
  m.vfs.mkdir('/tmp/e/full');
  m.vfs.writeFile('/tmp/e/full/y', 'y');
  const lines = [];
  for (const [args, cwd] of [
    [['a', 'a']],
    [['a', '/tmp/./a'], '/tmp'],
    [['/tmp/d', '/tmp/d/sub']],
    [['/tmp/d', '/tmp/d']],
    [['/tmp/a', '/tmp/d/sub']],
    [['/tmp/d', '/tmp/a']],
    [['/tmp/full', '/tmp/e']],
    [['/tmp/nope', '/tmp/x']],
  ]) {
    const r = await ftRun(['mv', ...args], m, { cwd: cwd || '/tmp' });
    assert.equal(r.status, 1, args.join(' '));
    lines.push(r.stderr);
  }
  assert.deepEqual(lines, [
    "mv: 'a' and 'a' are the same file\n",
    "mv: 'a' and '/tmp/./a' are the same file\n",
    "mv: cannot move '/tmp/d' to a subdirectory of itself, '/tmp/d/sub/d'\n",
    "mv: cannot move '/tmp/d' to a subdirectory of itself, '/tmp/d/d'\n",
    "mv: cannot overwrite directory '/tmp/d/sub/a' with non-directory\n",
    "mv: cannot overwrite non-directory '/tmp/a' with directory '/tmp/d'\n",
    "mv: cannot move '/tmp/full' to '/tmp/e/full': Directory not empty\n",
    "mv: cannot stat '/tmp/nope': No such file or directory\n",
  ]);
  assert.equal(m.vfs.readFile('/tmp/a'), 'precious');
  assert.deepEqual(ftTree(m.vfs), ['a', 'd/', 'd/sub/', 'd/sub/a/', 'e/', 'e/full/', 'e/full/y', 'full/', 'full/x']);
});

test('mv across file systems copies then removes, as GNU mv; what it cannot do it says, and the source stays', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'a');
  const lines = [];
  for (const args of [['/tmp/a', '/etc/a'], ['/etc/motd', '/tmp/motd'], ['/etc/motd', '/etc/motd2'], ['/tmp/a', '/tmp/nodir/a']]) {
    const r = await ftRun(['mv', ...args], m);
    assert.equal(r.status, 1);
    lines.push(r.stderr);
  }
  assert.deepEqual(lines, [
    "mv: cannot create regular file '/etc/a': Read-only file system\n",
    "mv: cannot remove '/etc/motd': Read-only file system\n", // copied, as GNU's mv leaves it
    "mv: cannot move '/etc/motd' to '/etc/motd2': Read-only file system\n",
    "mv: cannot move '/tmp/a' to '/tmp/nodir/a': No such file or directory\n",
  ]);
  assert.deepEqual(ftTree(m.vfs), ['a', 'motd']);
  assert.equal(m.vfs.readFile('/etc/motd'), 'welcome\n');
  assert.equal(m.vfs.readFile('/tmp/motd'), 'welcome\n');
});

test('mv -n, -i and -f; option and operand errors', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'a');
  m.vfs.writeFile('/tmp/b', 'b');
  let r = await ftRun(['mv', '-n', '/tmp/a', '/tmp/b'], m);
  assert.deepEqual([r.status, m.vfs.readFile('/tmp/a'), m.vfs.readFile('/tmp/b')], [0, 'a', 'b']);
  r = await ftRun(['mv', '-i', '/tmp/a', '/tmp/b'], m, { stdin: ['no\n'] });
  assert.deepEqual([r.stderr, m.vfs.readFile('/tmp/b')], ["mv: overwrite '/tmp/b'? ", 'b']);
  r = await ftRun(['mv', '-if', '/tmp/a', '/tmp/b'], m); // -f last: no question
  assert.deepEqual([r.stderr, m.vfs.readFile('/tmp/b'), ftTree(m.vfs)], ['', 'a', ['b']]);
  r = await ftRun(['mv', '-x', 'a', 'b'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["mv: invalid option -- 'x'", 2]);
  r = await ftRun(['mv', '/tmp/b'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["mv: missing destination file operand after '/tmp/b'", 1]);
  r = await ftRun(['mv', '/tmp/b', '/tmp/c', '/tmp/d'], m);
  assert.deepEqual([r.stderr, r.status], ["mv: target '/tmp/d' is not a directory\n", 1]);
  r = await ftRun(['mv', '/tmp/b', '/tmp/c/'], m);
  assert.deepEqual([r.stderr, r.status], ["mv: cannot move '/tmp/b' to '/tmp/c/': Not a directory\n", 1]);
  assert.deepEqual(ftTree(m.vfs), ['b']);
});

// -- rmdir

test('rmdir removes empty directories only; a full one stays with its contents', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/empty');
  m.vfs.mkdir('/tmp/full');
  m.vfs.writeFile('/tmp/full/keep', 'keep');
  m.vfs.writeFile('/tmp/file', 'file');
  const r = await ftRun(['rmdir', '/tmp/empty', '/tmp/full', '/tmp/file', '/tmp/nope', '/etc'], m);
  assert.equal(r.stderr, [
    "rmdir: failed to remove '/tmp/full': Directory not empty",
    "rmdir: failed to remove '/tmp/file': Not a directory",
    "rmdir: failed to remove '/tmp/nope': No such file or directory",
    "rmdir: failed to remove '/etc': Read-only file system",
    '',
  ].join('\n'));
  assert.equal(r.status, 1);
  assert.deepEqual(ftTree(m.vfs), ['file', 'full/', 'full/keep']);
  assert.equal(m.vfs.readFile('/tmp/full/keep'), 'keep');
});

test('rmdir -p removes the parents named; --ignore-fail-on-non-empty; -v', async () => {
  const m = ftMachine();
  for (const d of ['/tmp/a', '/tmp/a/b', '/tmp/a/b/c', '/tmp/x', '/tmp/x/y', '/tmp/x/z']) m.vfs.mkdir(d);
  let r = await ftRun(['rmdir', '-p', 'a/b/c//'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stderr, r.status, ftTree(m.vfs)], ['', 0, ['x/', 'x/y/', 'x/z/']]);
  r = await ftRun(['rmdir', '-pv', 'x/y'], m, { cwd: '/tmp' });
  assert.equal(r.stdout, "rmdir: removing directory, 'x/y'\nrmdir: removing directory, 'x'\n");
  assert.deepEqual([r.stderr, r.status], ["rmdir: failed to remove directory 'x': Directory not empty\n", 1]);
  r = await ftRun(['rmdir', '-p', '--ignore-fail-on-non-empty', 'x/z'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stderr, r.status, ftTree(m.vfs)], ['', 0, []]);
  m.vfs.mkdir('/tmp/q');
  m.vfs.mkdir('/tmp/q/r');
  r = await ftRun(['rmdir', '--ignore-fail-on-non-empty', '/tmp/q'], m);
  assert.deepEqual([r.stderr, r.status, ftTree(m.vfs)], ['', 0, ['q/', 'q/r/']]);
  r = await ftRun(['rmdir', '-p', '/tmp/q/r'], m); // /tmp itself does not go: the image holds it
  assert.deepEqual([r.stderr, r.status], ["rmdir: failed to remove directory '/tmp': Read-only file system\n", 1]);
  r = await ftRun(['rmdir', '-r', '/tmp'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["rmdir: invalid option -- 'r'", 2]);
  r = await ftRun(['rmdir'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['rmdir: missing operand', 1]);
});

// -- stat

// The moment a stat line shows ('2024-05-01 10:11:12.345678000 +0200'), in seconds since 1970.
function ftStatTime(text) {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{9}) ([+-]\d\d)(\d\d)$/.exec(text);
  assert.ok(m, `not GNU's time layout: ${JSON.stringify(text)}`);
  return Date.parse(`${m[1]}T${m[2]}${m[4]}:${m[5]}`) / 1000 + Number(m[3]) / 1e9;
}

test('stat shows name, size, type, mode and modification time in GNU\'s layout', async () => {
  const m = ftMachine();
  ftWrite(m.vfs, '/tmp/data', ftBinary(1234));
  m.vfs.utimes('/tmp/data', 1700000000.25);
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/x', '');
  const r = await ftRun(['stat', '/tmp/data', '/tmp/d', 'x', '/tmp'], m, { cwd: '/tmp/d' });
  assert.equal(r.status, 0);
  const blocks = r.stdout.split(/\n(?=  File: )/).map((b) => b.split('\n').filter(Boolean));
  assert.deepEqual(blocks.map((b) => b.slice(0, 3)), [
    ['  File: /tmp/data', '  Size: 1234      \tregular file', 'Access: (0644/-rw-r--r--)'],
    ['  File: /tmp/d', '  Size: 1         \tdirectory', 'Access: (0755/drwxr-xr-x)'],
    ['  File: x', '  Size: 0         \tregular empty file', 'Access: (0644/-rw-r--r--)'],
    ['  File: /tmp', '  Size: 2         \tdirectory', 'Access: (1777/drwxrwxrwt)'],
  ]);
  assert.ok(blocks.every((b) => b.length === 4 && b[3].startsWith('Modify: ')), r.stdout);
  assert.ok(/\.250000000 /.test(blocks[0][3]), blocks[0][3]);
  assert.equal(ftStatTime(blocks[0][3].slice(8)), 1700000000.25);
  assert.equal(ftStatTime(blocks[2][3].slice(8)), m.now());
});

test('stat -c FORMAT; a missing file is an error, the others still shown', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a b', 'hello');
  m.vfs.utimes('/tmp/a b', 1234.5);
  let r = await ftRun(['stat', '-c', '%n|%N|%s|%F|%a|%A|%Y|%m|%%|%q', '/tmp/a b', '/etc/motd'], m);
  assert.equal(r.stdout, "/tmp/a b|'/tmp/a b'|5|regular file|644|-rw-r--r--|1234|/tmp|%|?\n/etc/motd|/etc/motd|8|regular file|644|-rw-r--r--|1700000000|/|%|?\n");
  r = await ftRun(['stat', '--format=%s', '/nope', '/tmp/a b'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['5\n', "stat: cannot statx '/nope': No such file or directory\n", 1]);
  r = await ftRun(['stat', '-Z', '/tmp'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status, r.stdout], ["stat: invalid option -- 'Z'", 2, '']);
  r = await ftRun(['stat'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['stat: missing operand', 1]);
});

test('the file tools parse their declared options: long names, -i and -n the last one wins, values of -d', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/f', 'f');
  m.vfs.writeFile('/tmp/old', 'old');
  let r = await ftRun(['cp', '--recursive', '--verbose', '/tmp/d', '/tmp/e'], m);
  assert.deepEqual([r.stdout, r.status], ["'/tmp/d' -> '/tmp/e'\n'/tmp/d/f' -> '/tmp/e/f'\n", 0]);
  r = await ftRun(['cp', '-i', '-n', '/tmp/d/f', '/tmp/old'], m); // -n last: no question, nothing copied
  assert.deepEqual([r.stderr, m.vfs.readFile('/tmp/old')], ['', 'old']);
  r = await ftRun(['mv', '--no-clobber', '/tmp/d/f', '/tmp/old'], m);
  assert.deepEqual([r.status, m.vfs.readFile('/tmp/old')], [0, 'old']);
  r = await ftRun(['mv', '-n', '-f', '/tmp/d/f', '/tmp/old'], m); // -f last: overwritten
  assert.equal(m.vfs.readFile('/tmp/old'), 'f');
  r = await ftRun(['du', '-b', '--max-depth', '0', '/tmp'], m);
  assert.equal(r.stdout, '2\t/tmp\n');
  r = await ftRun(['df', '-h', '-k', '/tmp'], m);
  assert.ok(r.stdout.startsWith('Filesystem     1K-blocks'), r.stdout);
  r = await ftRun(['cp'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.stderr.split('\n').slice(-2)[0], r.status], ['cp: missing file operand', "Try 'cp --help' for more information.", 1]);
});

// -- ln, readlink, and links in ls, stat, rm, cp, mv

test('ln -s makes a symbolic link; ln without -s a hard link; both into a directory', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/a', 'a text');
  let r = await ftRun(['ln', '-s', '/etc/motd', 'motd'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', '', 0]);
  assert.deepEqual([m.vfs.readlink('/tmp/motd'), m.vfs.readFile('/tmp/motd')], ['/etc/motd', 'welcome\n']);
  r = await ftRun(['ln', '-sv', '../a', '/tmp/d/'], m); // TARGET into DIR/: relative to the link's directory
  assert.deepEqual([r.stdout, r.status], ["'/tmp/d/a' -> '../a'\n", 0]);
  assert.equal(m.vfs.readFile('/tmp/d/a'), 'a text');
  r = await ftRun(['ln', '-v', 'a', 'b'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stdout, r.status], ["'b' => 'a'\n", 0]);
  assert.deepEqual([m.vfs.stat('/tmp/b').nlink, m.vfs.stat('/tmp/b').ino], [2, m.vfs.stat('/tmp/a').ino]);
  r = await ftRun(['ln', '-s', '/etc/hostname'], m, { cwd: '/tmp' }); // one operand: here, by its name
  assert.equal(m.vfs.readlink('/tmp/hostname'), '/etc/hostname');
  r = await ftRun(['ln', '/tmp/a', '/tmp/b', '/tmp/d'], m);
  assert.equal(r.stderr, "ln: failed to create hard link '/tmp/d/a' => '/tmp/a': File exists\n", 'd/a is the link made before');
  assert.equal(m.vfs.stat('/tmp/d/b').nlink, 3);
});

test('ln -f replaces a name, -n a link to a directory; ln\'s errors in GNU\'s words', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/a', 'a');
  m.vfs.symlink('d', '/tmp/dl');
  let r = await ftRun(['ln', '-s', 'x', '/tmp/a'], m);
  assert.deepEqual([r.stderr, r.status], ["ln: failed to create symbolic link '/tmp/a': File exists\n", 1]);
  r = await ftRun(['ln', '-sf', 'x', '/tmp/a'], m);
  assert.deepEqual([r.stderr, r.status, m.vfs.readlink('/tmp/a')], ['', 0, 'x']);
  r = await ftRun(['ln', '-s', 'y', '/tmp/dl'], m); // into the directory dl names
  assert.equal(m.vfs.readlink('/tmp/d/y'), 'y');
  r = await ftRun(['ln', '-sfn', 'y', '/tmp/dl'], m); // the link itself replaced
  assert.deepEqual([r.status, m.vfs.readlink('/tmp/dl')], [0, 'y']);
  const cases = [
    [['ln', '-s', 'x', '/etc/x'], "ln: failed to create symbolic link '/etc/x': Read-only file system\n", 1],
    [['ln', '/etc/motd', '/tmp/m'], "ln: failed to create hard link '/tmp/m' => '/etc/motd': Invalid cross-device link\n", 1],
    [['ln', '/tmp/d', '/tmp/d2'], 'ln: /tmp/d: hard link not allowed for directory\n', 1],
    [['ln', '/tmp/nope', '/tmp/n'], "ln: failed to access '/tmp/nope': No such file or directory\n", 1],
    [['ln', '-s', 'p', 'q', '/tmp/a'], "ln: target '/tmp/a' is not a directory\n", 1],
    [['ln'], "ln: missing file operand\nusage: ln [-sfnv] TARGET LINK_NAME\n   or: ln [-sfnv] TARGET\n   or: ln [-sfnv] TARGET... DIRECTORY\nTry 'ln --help' for more information.\n", 1],
  ];
  for (const [argv, stderr, status] of cases) {
    const r2 = await ftRun(argv, m);
    assert.deepEqual([r2.stderr, r2.status], [stderr, status], argv.join(' '));
  }
  r = await ftRun(['ln', '-x', 'a', 'b'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["ln: invalid option -- 'x'", 2]);
});

test('readlink prints a link\'s target as written; -n, -v; not a link: status 1', async () => {
  const m = ftMachine();
  m.vfs.symlink('../etc/motd', '/tmp/l');
  m.vfs.writeFile('/tmp/f', '');
  let r = await ftRun(['readlink', 'l'], m, { cwd: '/tmp' });
  assert.deepEqual([r.stdout, r.status], ['../etc/motd\n', 0]);
  r = await ftRun(['readlink', '-n', '/tmp/l'], m);
  assert.equal(r.stdout, '../etc/motd');
  r = await ftRun(['readlink', '/tmp/f', '/tmp/l'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['../etc/motd\n', '', 1]);
  r = await ftRun(['readlink', '-v', '/tmp/f'], m);
  assert.deepEqual([r.stderr, r.status], ['readlink: /tmp/f: Invalid argument\n', 1]);
});

test('ls shows links: name@, and with -l the l mode and name -> target; a dangling one too', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/inside', 'x');
  m.vfs.symlink('/etc/motd', '/tmp/motd');
  m.vfs.symlink('d', '/tmp/dl');
  m.vfs.symlink('nowhere', '/tmp/gone');
  let r = await ftRun(['ls', '/tmp'], m);
  assert.deepEqual([r.stdout, r.status], ['d/\ndl@\ngone@\nmotd@\n', 0]);
  r = await ftRun(['ls', '-l', '/tmp'], m);
  const lines = r.stdout.split('\n');
  assert.ok(/^lrwxrwxrwx 9 \w{3} .* motd -> \/etc\/motd$/.test(lines[3]), r.stdout);
  assert.ok(/^lrwxrwxrwx 7 .* gone -> nowhere$/.test(lines[2]), r.stdout);
  assert.ok(/^lrwxrwxrwx 1 .* dl -> d$/.test(lines[1]), r.stdout);
  r = await ftRun(['ls', '/tmp/dl'], m); // a link named is followed to its directory...
  assert.equal(r.stdout, 'inside\n');
  r = await ftRun(['ls', '-l', '/tmp/dl'], m); // ...except with -l
  assert.ok(r.stdout.endsWith(' /tmp/dl -> d\n'), r.stdout);
  r = await ftRun(['ls', '/tmp/gone'], m);
  assert.deepEqual([r.stdout, r.status], ['/tmp/gone@\n', 0]);
});

test('stat describes a link itself, -L what it names; %N, %h and %i', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/a', 'hello');
  m.vfs.symlink('a', '/tmp/l');
  m.vfs.link('/tmp/a', '/tmp/b');
  let r = await ftRun(['stat', '/tmp/l'], m);
  assert.ok(r.stdout.startsWith('  File: /tmp/l -> a\n  Size: 1         \tsymbolic link\nAccess: (0777/lrwxrwxrwx)\n'), r.stdout);
  r = await ftRun(['stat', '-L', '-c', '%N %F %s', '/tmp/l'], m);
  assert.equal(r.stdout, '/tmp/l regular file 5\n');
  r = await ftRun(['stat', '-c', '%N|%h', '/tmp/l', '/tmp/a'], m);
  assert.equal(r.stdout, '/tmp/l -> a|1\n/tmp/a|2\n');
  r = await ftRun(['stat', '--format=%i', '/tmp/a', '/tmp/b'], m);
  const [one, two] = r.stdout.trim().split('\n');
  assert.ok(one === two && Number(one) > 0, r.stdout);
});

test('rm removes a link, not what it names, even with -r', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.writeFile('/tmp/d/keep', 'kept');
  m.vfs.symlink('/tmp/d', '/tmp/dl');
  m.vfs.symlink('/nowhere', '/tmp/gone');
  const r = await ftRun(['rm', '-r', '/tmp/dl', '/tmp/gone'], m);
  assert.deepEqual([r.stderr, r.status], ['', 0]);
  assert.deepEqual(ftTree(m.vfs), ['d/', 'd/keep']);
});

test('cp follows a link to copy its target; cp -r copies links as links; a link to the same file is refused', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/src');
  m.vfs.writeFile('/tmp/src/f', 'bytes');
  m.vfs.symlink('f', '/tmp/src/l');
  m.vfs.symlink('..', '/tmp/src/up'); // would copy for ever if followed
  let r = await ftRun(['cp', '/tmp/src/l', '/tmp/copy'], m);
  assert.deepEqual([r.stderr, m.vfs.lstat('/tmp/copy').type, m.vfs.readFile('/tmp/copy')], ['', 'file', 'bytes']);
  r = await ftRun(['cp', '-r', '/tmp/src', '/tmp/dst'], m);
  assert.deepEqual([r.stderr, r.status], ['', 0]);
  assert.deepEqual([m.vfs.readlink('/tmp/dst/l'), m.vfs.readlink('/tmp/dst/up'), m.vfs.readFile('/tmp/dst/l')], ['f', '..', 'bytes']);
  r = await ftRun(['cp', '/tmp/src/f', '/tmp/src/l'], m);
  assert.deepEqual([r.stderr, r.status], ["cp: '/tmp/src/f' and '/tmp/src/l' are the same file\n", 1]);
  assert.equal(m.vfs.readFile('/tmp/src/f'), 'bytes');
});

test('mv moves a link as it is, a dangling one too', async () => {
  const m = ftMachine();
  m.vfs.symlink('nowhere', '/tmp/gone');
  const r = await ftRun(['mv', '/tmp/gone', '/tmp/moved'], m);
  assert.deepEqual([r.stderr, r.status, m.vfs.readlink('/tmp/moved')], ['', 0, 'nowhere']);
});

// -- du

test('du: each directory, deepest first, in KiB rounded up; -s, -a, -b, -c, -d', async () => {
  const m = ftMachine();
  m.vfs.mkdir('/tmp/d');
  m.vfs.mkdir('/tmp/d/sub');
  m.vfs.mkdir('/tmp/d/sub/deeper');
  ftWrite(m.vfs, '/tmp/d/a', ftBinary(1500));
  ftWrite(m.vfs, '/tmp/d/sub/b', ftBinary(3000));
  ftWrite(m.vfs, '/tmp/d/sub/deeper/c', ftBinary(1));
  let r = await ftRun(['du', '/tmp/d'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['1\t/tmp/d/sub/deeper\n3\t/tmp/d/sub\n5\t/tmp/d\n', '', 0]);
  assert.equal((await ftRun(['du', '-s', 'd/'], m, { cwd: '/tmp' })).stdout, '5\td/\n');
  assert.equal((await ftRun(['du'], m, { cwd: '/tmp/d/sub' })).stdout, '1\t./deeper\n3\t.\n');
  assert.equal((await ftRun(['du', '-b', '/tmp/d'], m)).stdout, '1\t/tmp/d/sub/deeper\n3001\t/tmp/d/sub\n4501\t/tmp/d\n');
  assert.equal((await ftRun(['du', '-ab', 'd/'], m, { cwd: '/tmp' })).stdout, '1500\td/a\n3000\td/sub/b\n1\td/sub/deeper/c\n1\td/sub/deeper\n3001\td/sub\n4501\td/\n');
  assert.equal((await ftRun(['du', '-d', '1', '/tmp/d'], m)).stdout, '3\t/tmp/d/sub\n5\t/tmp/d\n');
  assert.equal((await ftRun(['du', '--max-depth=0', '/tmp/d'], m)).stdout, '5\t/tmp/d\n');
  assert.equal((await ftRun(['du', '-sc', '/tmp/d/a', '/tmp/d/sub'], m)).stdout, '2\t/tmp/d/a\n3\t/tmp/d/sub\n5\ttotal\n');
  assert.equal((await ftRun(['du', '-s', '/etc'], m)).stdout, '1\t/etc\n'); // 14 bytes of image files
});

test('du -h: GNU\'s human sizes, rounded up', async () => {
  const m = ftMachine({ tmpSize: 4 << 20 });
  const sizes = [0, 1023, 1024, 1025, 10239, 10240, 1048575, 1048576, 1572864];
  const r0 = [];
  for (const [i, n] of sizes.entries()) {
    ftWrite(m.vfs, `/tmp/f${i}`, new Uint8Array(n));
    r0.push((await ftRun(['du', '-h', `/tmp/f${i}`], m)).stdout.split('\t')[0]);
    m.vfs.unlink(`/tmp/f${i}`);
  }
  assert.deepEqual(r0, ['0', '1023', '1.0K', '1.1K', '10K', '10K', '1.0M', '1.0M', '1.5M']);
});

test('du errors: a missing path, bad options; the other paths still counted', async () => {
  const m = ftMachine();
  m.vfs.writeFile('/tmp/f', 'x'.repeat(2048));
  let r = await ftRun(['du', '/nope', '/tmp/f'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['2\t/tmp/f\n', "du: cannot access '/nope': No such file or directory\n", 1]);
  r = await ftRun(['du', '-x'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status, r.stdout], ["du: invalid option -- 'x'", 2, '']);
  r = await ftRun(['du', '-sa'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['du: cannot both summarize and show all entries', 2]);
  r = await ftRun(['du', '-d', 'x'], m);
  assert.deepEqual([r.stderr, r.status], ["du: invalid maximum depth 'x'\n", 1]);
});

// -- df

test('df: the image on / (full, read-only) and the tmpfs on /tmp with its size', async () => {
  const m = ftMachine({ tmpSize: 64 << 20 });
  ftWrite(m.vfs, '/tmp/a', ftBinary(5000));
  let r = await ftRun(['df'], m);
  assert.deepEqual([r.stderr, r.status], ['', 0]);
  assert.equal(r.stdout, [
    'Filesystem     1K-blocks  Used Available Use% Mounted on',
    'image                  1     1         0 100% /',
    'tmpfs              65536     5     65532   1% /tmp',
    '',
  ].join('\n'));
  r = await ftRun(['df', '-hT'], m);
  assert.equal(r.stdout, [
    'Filesystem     Type   Size  Used Avail Use% Mounted on',
    'image          ustar    14    14     0 100% /',
    'tmpfs          tmpfs   64M  4.9K   64M   1% /tmp',
    '',
  ].join('\n'));
  r = await ftRun(['df', '/tmp/a', 'etc'], m);
  assert.deepEqual(r.stdout.split('\n').slice(1, 3).map((l) => l.split(/ +/)[0]), ['tmpfs', 'image']);
});

test('df: an empty /tmp is 0%; a missing path is an error; bad options', async () => {
  const m = ftMachine({ tmpSize: 1000 });
  let r = await ftRun(['df', '/tmp'], m);
  assert.equal(r.stdout.split('\n')[1], 'tmpfs                  1     0         1   0% /tmp');
  r = await ftRun(['df', '/nope', '/tmp'], m);
  assert.deepEqual([r.stderr, r.status, r.stdout.split('\n').length], ['df: /nope: No such file or directory\n', 1, 3]);
  r = await ftRun(['df', '/nope'], m);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', 'df: /nope: No such file or directory\ndf: no file systems processed\n', 1]);
  r = await ftRun(['df', '-i'], m);
  assert.deepEqual([r.stderr.split('\n')[0], r.status, r.stdout], ["df: invalid option -- 'i'", 2, '']);
});

test('the file tools declare their usage and options for --help, help and man', async () => {
  const { declaredIn } = require('/lib/app-info');
  for (const name of ['touch', 'cp', 'mv', 'rmdir', 'stat', 'du', 'df', 'basename', 'dirname', 'ln', 'readlink']) {
    const source = __sources[`/bin/${name}.js`];
    const declared = declaredIn(source);
    const app = require(`/bin/${name}.js`);
    assert.ok(declared.description && declared.usage.startsWith(name + ' '), name);
    assert.equal(declared.usage, app.usage, `${name}: the literal line is the one the app uses`);
    assert.deepEqual(declared.options, Object.entries(app.options), name);
  }
});

// ---- --help, help, man; sort, uniq, cut, tr, seq, xargs, yes, date, which ----
//
// These run on fakeSys (above). Standard input is given in pieces that cut
// lines, quotes and runs of bytes in two, as a pipe may; `ttSpawner` stands
// in for the kernel's processes (xargs), and `ttRun` lets a test change the
// fake sys before the app runs (a reader that goes away, for yes).

async function ttRun(argv, options = {}, change = null) {
  const rec = fakeSys(options);
  if (change) change(rec.sys, rec);
  globalThis.sys = rec.sys;
  rec.status = await require(`/bin/${argv[0]}.js`)(argv);
  return rec;
}

// Every app in /bin, as the test's require sees the image.
const ttApps = () =>
  Object.keys(__sources)
    .filter((p) => /^\/bin\/[^/]+\.js$/.test(p))
    .map((p) => p.slice(5, -3))
    .sort();

// Splits text into pieces of n characters (n = 1: every character apart).
const ttPieces = (text, n) => Array.from({ length: Math.ceil(text.length / n) }, (_, i) => text.slice(i * n, i * n + n));

// -- --help, help NAME, man NAME

test('every app declares a description and options, and its source says the same as the module', async () => {
  const { declaredIn } = require('/lib/app-info');
  const { declaredBy } = require('/lib/app-help');
  const apps = ttApps();
  assert.ok(apps.length >= 45 && apps.includes('sort') && apps.includes('ls'), apps.join(' '));
  for (const name of apps) {
    const app = require(`/bin/${name}.js`);
    assert.equal(typeof app.description, 'string', `${name}: module.exports.description`);
    assert.ok(app.description.length > 0, name);
    assert.equal(typeof app.options, 'object', `${name}: module.exports.options`);
    // What help and man read from the text is what --help gets from the module.
    assert.deepEqual(declaredIn(__sources[`/bin/${name}.js`]), declaredBy(app), `${name}: a declaration that is not a literal line`);
  }
});

test('NAME --help names the command, its usage and every declared option, for every app', async () => {
  const { declaredBy, helpText } = require('/lib/app-help');
  for (const name of ttApps()) {
    const declared = declaredBy(require(`/bin/${name}.js`));
    const text = helpText(name, declared);
    assert.ok(text.startsWith(`usage: ${name}`), `${name}: ${text}`);
    assert.ok(text.includes(`\n${declared.description}\n`), `${name}: ${text}`);
    for (const [option, meaning] of declared.options) assert.ok(text.includes(`  ${option}`) && text.includes(meaning), `${name} ${option}: ${text}`);
    assert.ok(/\n {2}--help +show this help and exit\n$/.test(text), text);
    // A declared usage is whole command lines, each starting with the name.
    for (const line of declared.usage.split('\n').filter(Boolean)) assert.ok(line.startsWith(name), `${name}: usage line '${line}'`);
  }
});

test('help text: a usage made from the options, or the declared one line by line', () => {
  const { helpText, synopsis } = require('/lib/app-help');
  const declared = { description: 'do things', options: [['-a', 'all'], ['-b', 'brief'], ['--long', 'long form'], ['word', 'a word']], usage: '' };
  assert.deepEqual(synopsis('x', declared), ['x [-ab] [--long]']);
  assert.equal(
    helpText('x', declared),
    'usage: x [-ab] [--long]\ndo things\n\n  -a      all\n  -b      brief\n  --long  long form\n  word    a word\n  --help  show this help and exit\n',
  );
  const two = { description: '', options: [], usage: 'x A\nx B C' };
  assert.equal(helpText('x', two), 'usage: x A\n   or: x B C\n\n  --help  show this help and exit\n');
  assert.equal(helpText('y', { description: 'why', options: [], usage: '' }).split('\n')[0], 'usage: y');
});

test('help NAME prints what NAME --help prints; a missing command is status 1', async () => {
  const { declaredBy, helpText } = require('/lib/app-help');
  const files = { '/': { type: 'dir' }, '/bin': { type: 'dir' } };
  for (const name of ['sort', 'seq', 'kill']) files[`/bin/${name}.js`] = { type: 'file', text: __sources[`/bin/${name}.js`] };
  for (const name of ['sort', 'seq', 'kill']) {
    const r = await ttRun(['help', name], { files });
    assert.equal(r.stdout, helpText(name, declaredBy(require(`/bin/${name}.js`))));
    assert.equal(r.status, 0);
  }
  assert.ok((await ttRun(['help', 'seq'], { files })).stdout.startsWith('usage: seq [-w] [-s SEP] LAST\n   or: seq [-w] [-s SEP] FIRST LAST\n'));
  const r = await ttRun(['help', 'nope'], { files });
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', "help: no command 'nope' in /bin, and no builtin of that name\n", 1]);
  // The list: the programs, then the shell's builtins, as /lib/shell/builtins has them.
  const list = await ttRun(['help'], { files });
  assert.deepEqual(list.tables.map((t) => t.columns), [['COMMAND', 'DESCRIPTION'], ['BUILTIN', 'DESCRIPTION']]);
  assert.deepEqual(list.tables[0].rows.map(([name]) => name), ['kill', 'seq', 'sort']);
  const names = Object.keys(require('/lib/shell/builtins').BUILTINS);
  assert.ok(names.length > 5 && names.includes('cd') && names.includes('history'), names.join(' '));
  assert.deepEqual(list.tables[1].rows.map(([name]) => name).sort(), names.sort());
  assert.ok(list.tables[1].rows.every(([, description]) => description.length > 0));
});

test('man NAME: NAME, SYNOPSIS, DESCRIPTION from the header comment, OPTIONS', async () => {
  const files = { '/': { type: 'dir' }, '/bin': { type: 'dir' }, '/bin/uniq.js': { type: 'file', text: __sources['/bin/uniq.js'] } };
  const r = await ttRun(['man', 'uniq'], { files });
  assert.equal(r.status, 0);
  const page = r.stdout;
  assert.ok(page.startsWith('UNIQ(1)') && page.split('\n')[0].endsWith('UNIQ(1)'), page);
  const sections = page.split('\n').filter((l) => /^[A-Z]/.test(l)).slice(1);
  assert.deepEqual(sections, ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'SEE ALSO']);
  assert.ok(page.includes('\nNAME\n       uniq - report or omit repeated lines\n'), page);
  assert.ok(page.includes('\nSYNOPSIS\n       uniq [-cdu] [INPUT]\n'), page);
  // The header comment's first paragraph, folded, without the file's name.
  assert.ok(page.includes('\nDESCRIPTION\n       Write one line of each run of equal adjacent lines of a file, or of\n'), page);
  assert.ok(!page.includes('apps/uniq.js') && !page.includes('Input is read as bytes'), page);
  assert.ok(page.includes('\n       -c, --count     count: the number of times before each line\n'), page);
  assert.ok(page.split('\n').every((l) => l.length <= 80), 'folded to 80 columns');
});

test('man: no name is status 1, a missing page 16, an option 2', async () => {
  const files = { '/': { type: 'dir' }, '/bin': { type: 'dir' } };
  let r = await ttRun(['man'], { files });
  assert.deepEqual([r.stderr, r.status], ["What manual page do you want?\nFor example, try 'man man'.\n", 1]);
  r = await ttRun(['man', 'nosuch'], { files });
  assert.deepEqual([r.stdout, r.stderr, r.status], ['', 'No manual entry for nosuch\n', 16]);
  r = await ttRun(['man', 'nosuch', 'cd'], { files }); // the pages there are still shown
  assert.deepEqual([r.stdout.split('\n')[0].startsWith('CD(1)'), r.stderr, r.status], [true, 'No manual entry for nosuch\n', 16]);
  r = await ttRun(['man', '-k', 'x'], { files });
  assert.equal(r.status, 2);
});

test('app-info reads bare keys, usage lines with \\n, and the header paragraph', () => {
  const { declaredIn, optionsOf, aboutOf } = require('/lib/app-info');
  const source = [
    '// apps/demo.js: do a demo, as',
    '// demos do.',
    '//',
    '// Not for man.',
    "module.exports.description = 'a \\'demo\\'';",
    "module.exports.options = { '-a': 'all: of it', route: \"the routes\", PORT: 'a port' };",
    "module.exports.usage = 'demo [-a]\\ndemo route';",
  ].join('\n');
  assert.deepEqual(declaredIn(source), {
    description: "a 'demo'",
    options: [['-a', 'all: of it'], ['route', 'the routes'], ['PORT', 'a port']],
    usage: 'demo [-a]\ndemo route',
  });
  assert.deepEqual(optionsOf(source), [['-a', 'all: of it']], 'completion offers only what starts with -');
  assert.equal(aboutOf(source), 'do a demo, as demos do.');
});

// -- every app parses what it declares, and only that (/lib/options)
//
// An app's options for --help, help and man are the ones its command line
// takes: it parses argv with /lib/options from its declaration. These run
// every app in /bin with each option it declares, and with options it does
// not, on a fake machine whose clock never moves (a sleep fails) and which
// has no network, services or spawning: an app that got past its command
// line ends at once, whatever it would do next.

// Apps whose words are never options (docs/apps.md says so too).
const ARGUMENTS_ARE_NOT_OPTIONS = {
  echo: 'prints its words; only leading -n, -e and -E are flags (/lib/echo), as bash\'s echo',
  eval: 'its words are JavaScript: eval -1 is minus one',
  true: 'ignores its arguments, as GNU true does',
  false: 'ignores its arguments, as GNU false does',
};
// A bad command line's status where it is not 2: GNU's for those tools.
const USAGE_STATUS = { head: 1, tail: 1, wc: 1, uname: 1, sha256sum: 1, dd: 1, env: 125 };

// Runs /bin/NAME.js on that machine: {stdout, stderr, status, error}.
async function optionRun(argv) {
  const EXITED = new Error('sys.exit');
  const rec = fakeSys({ onSleep: () => Promise.reject(new Error('the clock does not move here')) });
  rec.sys.exit = (status) => {
    rec.status = status;
    throw EXITED; // sh ends with sys.exit(status)
  };
  globalThis.sys = rec.sys;
  try {
    rec.status = await require(`/bin/${argv[0]}.js`)(argv);
  } catch (e) {
    if (e !== EXITED) rec.error = e;
  }
  return rec;
}

// The words /lib/options uses when it refuses an option.
const REFUSED = /invalid option|unrecognized option|doesn't allow an argument|is ambiguous/;

test('every option an app declares is one its command line takes', async () => {
  const { declaredBy, optionSpec } = require('/lib/app-help');
  let tried = 0;
  for (const name of ttApps()) {
    for (const [key] of declaredBy(require(`/bin/${name}.js`)).options) {
      if (!key.startsWith('-')) continue; // a word it takes (ip's route, udpecho's PORT)
      const spec = optionSpec(key);
      assert.ok(spec, `${name}: '${key}' is not an option /lib/options can read`);
      for (const spelling of spec.spellings) {
        const argv = spec.argument === null ? [name, spelling] : [name, spelling, '1'];
        const r = await optionRun(argv);
        assert.ok(!REFUSED.test(r.stderr), `${argv.join(' ')}: ${r.stderr}`);
        tried++;
      }
    }
  }
  assert.ok(tried > 100, `${tried} spellings tried`);
});

test('every app refuses an option it does not declare, in GNU\'s words, with the Try line', async () => {
  const { declaredBy, optionSpec } = require('/lib/app-help');
  for (const name of ttApps()) {
    if (name in ARGUMENTS_ARE_NOT_OPTIONS) continue;
    const status = USAGE_STATUS[name] ?? 2;
    const tryLine = `Try '${name} --help' for more information.\n`;
    let r = await optionRun([name, '--no-such-option']);
    assert.equal(r.stderr.split('\n')[0], `${name}: unrecognized option '--no-such-option'`, `${name}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`\nusage: ${name}`) && r.stderr.endsWith(tryLine), `${name}: ${r.stderr}`);
    assert.deepEqual([r.status, r.stdout, r.error], [status, '', undefined], name);
    // A letter it does not declare (kill reads -WORD as a signal: kill -9, kill -KILL).
    if (name === 'kill') continue;
    const letters = declaredBy(require(`/bin/${name}.js`)).options.flatMap(([key]) => (optionSpec(key) || { spellings: [] }).spellings);
    const letter = ['Z', 'Q', 'J'].find((l) => !letters.includes(`-${l}`));
    r = await optionRun([name, `-${letter}`]);
    assert.equal(r.stderr.split('\n')[0], `${name}: invalid option -- '${letter}'`, `${name}: ${r.stderr}`);
    assert.ok(r.stderr.endsWith(tryLine), `${name}: ${r.stderr}`);
    assert.deepEqual([r.status, r.stdout], [status, ''], name);
  }
  // What kill does with a word that is no signal.
  const r = await optionRun(['kill', '-Z', '5']);
  assert.deepEqual([r.stderr, r.status], ['kill: Z: invalid signal specification\n', 1]);
});

test('the apps whose words are not options take any word', async () => {
  assert.equal((await optionRun(['echo', '--no-such-option', '-Z'])).stdout, '--no-such-option -Z\n');
  assert.equal((await optionRun(['eval', '-1'])).stdout, '-1\n');
  assert.equal((await optionRun(['true', '--no-such-option'])).status, 0);
  assert.equal((await optionRun(['false', '--no-such-option'])).status, 1);
});

// -- the shell's builtins: --help, help and man from one declaration each

// Runs a command line in a Shell on the fake machine: {out, err, status}.
async function shellRun(line, options = {}) {
  const { Shell } = require('/lib/shell/exec');
  const rec = fakeSys(options);
  globalThis.sys = rec.sys;
  const status = await new Shell({ sys: rec.sys }).runLine(line);
  return { out: rec.stdout, err: rec.stderr, status };
}

test('every builtin has a declaration, and every declaration a builtin; echo declares what /bin/echo does', () => {
  const { BUILTINS } = require('/lib/shell/builtins');
  const { BUILTIN_HELP } = require('/lib/shell/builtin-help');
  const { declaredBy } = require('/lib/app-help');
  assert.deepEqual(Object.keys(BUILTIN_HELP).sort(), Object.keys(BUILTINS).sort());
  for (const [name, declared] of Object.entries(BUILTIN_HELP)) {
    assert.ok(declared.description && declared.usage, name);
    for (const line of declared.usage.split('\n')) assert.ok(line.startsWith(name === '[' ? '[ ' : `${name}`), `${name}: ${line}`);
  }
  assert.deepEqual(declaredBy(BUILTIN_HELP.echo), declaredBy(require('/bin/echo.js')));
});

test('NAME --help, help NAME and man NAME say the same of every builtin', async () => {
  const { BUILTIN_HELP } = require('/lib/shell/builtin-help');
  const { declaredBy, helpText, synopsis } = require('/lib/app-help');
  const files = { '/': { type: 'dir' }, '/bin': { type: 'dir' } };
  for (const name of Object.keys(BUILTIN_HELP)) {
    const text = helpText(name, declaredBy(BUILTIN_HELP[name]));
    const help = await ttRun(['help', name], { files });
    assert.deepEqual([help.stdout, help.status], [text, 0], name);
    const man = await ttRun(['man', name], { files });
    assert.equal(man.status, 0, name);
    assert.ok(man.stdout.includes(`\nSYNOPSIS\n${synopsis(name, declaredBy(BUILTIN_HELP[name])).map((l) => `       ${l}\n`).join('')}`), man.stdout);
    assert.ok(/It\s+is\s+a\s+shell\s+builtin/.test(man.stdout), man.stdout);
    const own = await shellRun(name === '[' ? '[ --help ]' : `${name} --help`);
    if (BUILTIN_HELP[name].helpOption === false) {
      // Every word is an operand: test --help is a test of a non-empty string, as POSIX has it.
      assert.deepEqual(own, { out: '', err: '', status: 0 }, `${name} --help`);
      assert.ok(!text.includes('--help'), text);
    } else {
      assert.deepEqual([own.out, own.err, own.status], [text, '', 0], `${name} --help`);
    }
  }
  assert.ok((await shellRun('history --help')).out.startsWith('usage: history [-c] [N]\nlist the command lines'));
});

test('every option a builtin declares is one it takes', async () => {
  const { BUILTIN_HELP } = require('/lib/shell/builtin-help');
  const { optionSpec } = require('/lib/app-help');
  let tried = 0;
  for (const [name, declared] of Object.entries(BUILTIN_HELP)) {
    for (const key of Object.keys(declared.options)) {
      const spec = key.startsWith('-') && optionSpec(key);
      if (!spec) continue; // a word it takes: DIR, N, ACTION
      const value = spec.argument === null ? '' : spec.argument === 'NAME' ? ' noglob' : ' 1';
      const line = name === '[' ? `[ ${spec.spellings[0]}${value} ]` : `${name} ${spec.spellings[0]}${value}`;
      const r = await shellRun(line);
      assert.ok(!/invalid option|illegal option/i.test(r.err), `${line}: ${r.err}`);
      tried++;
    }
  }
  assert.ok(tried >= 20, `${tried} options tried`);
});

test('the builtin echo prints what /bin/echo prints (both are /lib/echo)', async () => {
  const { shellQuote } = require('/lib/shell/common');
  const cases = [[], ['a', 'b'], ['-n', 'x'], ['-e', 'a\\tb\\x41\\0101'], ['-e', 'stop\\chere'], ['a\\tb'], ['-x', 'y'], ['-nE', '-e', 'q'], ['-', '--']];
  for (const args of cases) {
    const builtin = await shellRun(['echo', ...args.map(shellQuote)].join(' '));
    const program = await run(['echo', ...args]);
    assert.deepEqual([builtin.out, builtin.status], [program.stdout, 0], `echo ${args.join(' ')}`);
  }
  assert.deepEqual(await shellRun('type echo; command -v echo'), { out: 'echo is a shell builtin\necho\n', err: '', status: 0 });
  // The builtins the shell may start as their program instead: each has one, which declares the same.
  const { SAME_AS_PROGRAM, isBuiltin } = require('/lib/shell/builtins');
  const { BUILTIN_HELP } = require('/lib/shell/builtin-help');
  const { declaredBy } = require('/lib/app-help');
  assert.deepEqual([...SAME_AS_PROGRAM], ['echo']);
  for (const name of SAME_AS_PROGRAM) {
    assert.ok(isBuiltin(name) && `/bin/${name}.js` in __sources, name);
    assert.deepEqual(declaredBy(BUILTIN_HELP[name]), declaredBy(require(`/bin/${name}.js`)), name);
  }
});

// -- sort

test('sort: bytes in C-locale order, the last line without its newline still a line', async () => {
  let r = await ttRun(['sort'], { stdin: ['pear\nApple\nbanana\né\n', 'apple\nzebra'] });
  assert.equal(r.stdout, 'Apple\napple\nbanana\npear\nzebra\né\n');
  assert.equal(r.status, 0);
  r = await ttRun(['sort', '-r'], { stdin: ttPieces('b\na\nc\n', 1) });
  assert.equal(r.stdout, 'c\nb\na\n');
  assert.equal((await ttRun(['sort'], { stdin: [] })).stdout, '');
});

test('sort -n: GNU numbers (blanks, -, decimals; not a number is 0), exact beyond a double', async () => {
  const input = '10\n9\n-1\n-0\n0\nabc\n 5\n1.5\n1.50\n-2.5\n100000000000000000001\n100000000000000000000\n';
  const r = await ttRun(['sort', '-n'], { stdin: [input] });
  assert.equal(r.stdout.split('\n').join('|'), '-2.5|-1|-0|0|abc|1.5|1.50| 5|9|10|100000000000000000000|100000000000000000001|');
  assert.equal((await ttRun(['sort', '-rn'], { stdin: ['1\n3\n2\n'] })).stdout, '3\n2\n1\n');
});

test('sort -k and -t: fields, key flags, the last-resort comparison and -s', async () => {
  const input = 'b 2\na 10\nc 1\nB 2\na 2\n';
  assert.equal((await ttRun(['sort', '-k2n'], { stdin: [input] })).stdout.split('\n').join('|'), 'c 1|B 2|a 2|b 2|a 10|');
  assert.equal((await ttRun(['sort', '-s', '-k2,2n'], { stdin: [input] })).stdout.split('\n').join('|'), 'c 1|b 2|B 2|a 2|a 10|');
  // Without -t a field starts with the blanks before it; -b skips them.
  const blanks = 'x  b\ny a\nz  a\n';
  assert.equal((await ttRun(['sort', '-k2'], { stdin: [blanks] })).stdout.split('\n').join('|'), 'z  a|x  b|y a|');
  assert.equal((await ttRun(['sort', '-b', '-k2'], { stdin: [blanks] })).stdout.split('\n').join('|'), 'y a|z  a|x  b|');
  const colons = 'a:2:x\nb:1:y\nc:2:z\nd:1:w\n';
  assert.equal((await ttRun(['sort', '-t:', '-k2,2', '-k1,1r'], { stdin: [colons] })).stdout.split('\n').join('|'), 'd:1:w|b:1:y|c:2:z|a:2:x|');
  assert.equal((await ttRun(['sort', '-t', '.', '-k2n'], { stdin: ['1.5\n1.10\n1.9\n'] })).stdout, '1.5\n1.9\n1.10\n');
  assert.equal((await ttRun(['sort', '-k1.2'], { stdin: ['ab\nabc\nb\n'] })).stdout, 'b\nab\nabc\n');
  // -r reverses the last resort too; -s keeps the input order of equal keys.
  assert.equal((await ttRun(['sort', '-rk1,1'], { stdin: ['2 b\n1 a\n2 a\n1 b\n'] })).stdout.split('\n').join('|'), '2 b|2 a|1 b|1 a|');
  assert.equal((await ttRun(['sort', '-s', '-rk1,1'], { stdin: ['2 b\n1 a\n2 a\n1 b\n'] })).stdout.split('\n').join('|'), '2 b|2 a|1 a|1 b|');
});

test('sort -u keeps the first of equal keys; -f folds case', async () => {
  assert.equal((await ttRun(['sort', '-u'], { stdin: ['b\na\nb\na\n'] })).stdout, 'a\nb\n');
  assert.equal((await ttRun(['sort', '-f'], { stdin: ['a\nB\nb\nA\nc\n'] })).stdout.split('\n').join('|'), 'A|a|B|b|c|');
  assert.equal((await ttRun(['sort', '-u', '-f'], { stdin: ['a\nB\nb\nA\nc\n'] })).stdout.split('\n').join('|'), 'a|B|c|');
  assert.equal((await ttRun(['sort', '-un'], { stdin: ['2\n02\n1\n2.0\n'] })).stdout, '1\n2\n');
});

test('sort reads files and standard input (-), in any pieces', async () => {
  const files = { ...defaultFiles(), '/x': { type: 'file', text: 'delta\nalpha' } };
  const r = await ttRun(['sort', '/x', '-', '/etc/motd'], { files, stdin: ttPieces('charlie\nbravo\n', 3) });
  assert.equal(r.stdout, 'alpha\nbravo\ncharlie\ndelta\none\nthree\ntwo words\n');
  const many = Array.from({ length: 5000 }, (_, i) => `${(i * 7919) % 5000}\n`).join('');
  const sorted = (await ttRun(['sort', '-n'], { stdin: ttPieces(many, 777) })).stdout.split('\n');
  assert.equal(sorted.length, 5001);
  assert.ok(sorted.slice(0, -1).every((line, i) => line === String(i)), sorted.slice(0, 5).join(','));
});

test('sort errors: GNU messages, status 2', async () => {
  const cases = [
    [['sort', '-x'], "sort: invalid option -- 'x'\nusage: sort [-bfnrsu] [-t C] [-k POS1[,POS2]]... [FILE...]\nTry 'sort --help' for more information.\n"],
    [['sort', '--random-sort'], "sort: unrecognized option '--random-sort'\nusage: sort [-bfnrsu] [-t C] [-k POS1[,POS2]]... [FILE...]\nTry 'sort --help' for more information.\n"],
    [['sort', '-k'], "sort: option requires an argument -- 'k'\nusage: sort [-bfnrsu] [-t C] [-k POS1[,POS2]]... [FILE...]\nTry 'sort --help' for more information.\n"],
    [['sort', '-k0'], "sort: field number is zero: invalid field specification '0'\n"],
    [['sort', '-t', 'ab'], "sort: multi-character tab 'ab'\n"],
    [['sort', '/nope'], 'sort: cannot read: /nope: No such file or directory\n'],
  ];
  for (const [argv, stderr] of cases) {
    const r = await ttRun(argv, { stdin: ['b\na\n'] });
    assert.deepEqual([r.stdout, r.stderr, r.status], ['', stderr, 2], argv.join(' '));
  }
  assert.equal((await ttRun(['sort', '-k'])).status, 2);
});

test('the text tools parse their declared options: GNU\'s long names, attached and separate values', async () => {
  const input = 'b 2\na 10\nc 1\n';
  const sorted = (await ttRun(['sort', '--key=2', '--numeric-sort', '--rev'], { stdin: [input] })).stdout;
  assert.equal(sorted, 'a 10\nb 2\nc 1\n');
  assert.equal((await ttRun(['sort', '-t', ' ', '--key', '2,2n'], { stdin: [input] })).stdout, 'c 1\nb 2\na 10\n');
  assert.equal((await ttRun(['uniq', '--count'], { stdin: ['x\nx\n'] })).stdout, '      2 x\n');
  assert.equal((await ttRun(['cut', '--delimiter=:', '--fields', '2'], { stdin: ['a:b\n'] })).stdout, 'b\n');
  let r = await ttRun(['cut', '-f1', '-c1']);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['cut: only one list may be specified', 2]);
  assert.equal((await ttRun(['seq', '--separator=,', '--equal-width', '9', '10'])).stdout, '09,10\n');
  assert.equal((await ttRun(['seq', '1', '-1', '-1'])).stdout, '1\n0\n-1\n', 'operands after the first are operands');
  assert.equal((await ttRun(['date', '--utc', '--date=@0', '+%F'])).stdout, '1970-01-01\n');
  const s = ttSpawner();
  await ttRun(['xargs', '--max-args=1', 'cmd', '-n', '5'], { stdin: ['a b\n'] }, s.change);
  assert.deepEqual(s.ran.map((x) => x.argv), [['cmd', '-n', '5', 'a'], ['cmd', '-n', '5', 'b']], 'options end at the command');
  r = await ttRun(['xargs', '-n', 'x']);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ['xargs: invalid number "x" for -n option', 1]);
});

// -- uniq

test('uniq, -c, -d, -u as GNU prints them; runs cut by the pieces of the input', async () => {
  const input = 'a\na\nb\nc\nc\nc\na\n';
  for (const n of [1, 2, 100]) {
    assert.equal((await ttRun(['uniq'], { stdin: ttPieces(input, n) })).stdout, 'a\nb\nc\na\n');
    assert.equal((await ttRun(['uniq', '-c'], { stdin: ttPieces(input, n) })).stdout, '      2 a\n      1 b\n      3 c\n      1 a\n');
  }
  assert.equal((await ttRun(['uniq', '-d'], { stdin: [input] })).stdout, 'a\nc\n');
  assert.equal((await ttRun(['uniq', '-u'], { stdin: [input] })).stdout, 'b\na\n');
  assert.equal((await ttRun(['uniq', '-cd'], { stdin: [input] })).stdout, '      2 a\n      3 c\n');
  assert.equal((await ttRun(['uniq', '-du'], { stdin: [input] })).stdout, '');
  assert.equal((await ttRun(['uniq', '-c'], { stdin: ['x\nx'] })).stdout, '      2 x\n', 'a last line without its newline');
  assert.equal((await ttRun(['uniq'], { stdin: ['é\né\ne\n'] })).stdout, 'é\ne\n');
});

test('uniq reads a file; errors', async () => {
  const files = { ...defaultFiles(), '/u': { type: 'file', text: 'x\nx\ny\n' } };
  assert.equal((await ttRun(['uniq', '-c', '/u'], { files })).stdout, '      2 x\n      1 y\n');
  let r = await ttRun(['uniq', '/nope']);
  assert.deepEqual([r.stderr, r.status], ['uniq: /nope: No such file or directory\n', 1]);
  r = await ttRun(['uniq', '-z']);
  assert.deepEqual([r.stderr, r.status], ["uniq: invalid option -- 'z'\nusage: uniq [-cdu] [INPUT]\nTry 'uniq --help' for more information.\n", 2]);
  r = await ttRun(['uniq', '/u', '/v'], { files });
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["uniq: extra operand '/v'", 2]);
});

// -- cut

test('cut -f and -d: fields in input order, each once; lines without the delimiter whole, or left out with -s', async () => {
  const input = 'a:b:c:d\nno delim\n:x:\n';
  assert.equal((await ttRun(['cut', '-d:', '-f2'], { stdin: [input] })).stdout, 'b\nno delim\nx\n');
  assert.equal((await ttRun(['cut', '-d', ':', '-f', '3,1'], { stdin: ttPieces(input, 2) })).stdout, 'a:c\nno delim\n:\n');
  assert.equal((await ttRun(['cut', '-d:', '-f2-', '-s'], { stdin: [input] })).stdout, 'b:c:d\nx:\n');
  assert.equal((await ttRun(['cut', '-f2'], { stdin: ['a\tb\tc\n'] })).stdout, 'b\n', 'TAB by default');
  assert.equal((await ttRun(['cut', '-d:', '-f', '-2,4'], { stdin: ['1:2:3:4:5'] })).stdout, '1:2:4\n');
});

test('cut -c and -b: bytes, ranges merged', async () => {
  const input = 'a:b:c:d\nno delim\n:x:\n';
  assert.equal((await ttRun(['cut', '-c2-3,1'], { stdin: [input] })).stdout, 'a:b\nno \n:x:\n');
  assert.equal((await ttRun(['cut', '-c-2,5-'], { stdin: [input] })).stdout, 'a:c:d\nnoelim\n:x\n');
  assert.equal((await ttRun(['cut', '-b', '1-2,2-3'], { stdin: ['abcdef\n'] })).stdout, 'abc\n');
  // Bytes, as GNU counts them: é is two.
  assert.equal((await ttRun(['cut', '-c1-2'], { stdin: ['éa\n'] })).stdout, 'é\n');
});

test('cut errors: GNU messages', async () => {
  const cases = [
    [['cut', '-f0'], 'cut: fields are numbered from 1\n'],
    [['cut'], 'cut: you must specify a list of bytes, characters, or fields\n'],
    [['cut', '-d', 'ab', '-f1'], 'cut: the delimiter must be a single character\n'],
    [['cut', '-c1', '-d:'], 'cut: an input delimiter may be specified only when operating on fields\n'],
    [['cut', '-f', '3-1'], 'cut: invalid decreasing range\n'],
    [['cut', '-f', 'x'], "cut: invalid field value 'x'\n"],
    [['cut', '-q'], "cut: invalid option -- 'q'\n"],
  ];
  for (const [argv, first] of cases) {
    const r = await ttRun(argv, { stdin: ['a\n'] });
    assert.ok(r.stderr.startsWith(first), `${argv.join(' ')}: ${r.stderr}`);
    assert.deepEqual([r.stdout, r.status], ['', 2], argv.join(' '));
  }
  const r = await ttRun(['cut', '-f1', '/nope', '/etc/hostname']);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['jsksh\n', 'cut: /nope: No such file or directory\n', 1]);
});

// -- tr

test('tr translates, deletes and squeezes as GNU tr does', async () => {
  const tr = async (args, input, n = 100) => (await ttRun(['tr', ...args], { stdin: ttPieces(input, n) })).stdout;
  assert.equal(await tr(['a-y', 'b-z'], 'hello world\n'), 'ifmmp xpsme\n');
  assert.equal(await tr(['-s', ' '], 'hello   world\n', 1), 'hello world\n', 'a run cut into pieces is one run');
  assert.equal(await tr(['-d', 'lo'], 'hello world\n'), 'he wrd\n');
  assert.equal(await tr(['-s', 'a-c'], 'aabbccdd\n'), 'abcdd\n');
  assert.equal(await tr(['-cd', '[:alpha:]\\n'], 'hello world 123\n'), 'helloworld\n');
  assert.equal(await tr(['[:lower:]', '[:upper:]'], 'hello\n'), 'HELLO\n');
  assert.equal(await tr(['--', '-a', '_A'], 'a-b\n'), 'A_b\n');
  assert.equal(await tr(['a', '-d'], 'abc\n'), '-bc\n', 'the first SET ends the options: -d is SET2');
  assert.equal(await tr(['--delete', 'b'], 'abc\n'), 'ac\n', 'GNU\'s long names');
  assert.equal(await tr(['abc', 'x'], 'abc\n'), 'xxx\n', 'SET2 padded with its last byte');
  assert.equal(await tr(['-s', 'ab', 'xy'], 'aaabbb\n'), 'xy\n');
  assert.equal(await tr(['-ds', 'l', 'o'], 'hello world\n'), 'heo word\n');
  assert.equal(await tr(['\\t', ':'], 'tab\tx\n'), 'tab:x\n');
  assert.equal(await tr(['A-C', '\\141-\\143'], 'ABC\n'), 'abc\n');
  assert.equal(await tr(['-c', 'a-z\\n', '_'], 'x.y\n'), 'x_y\n');
  assert.equal(await tr(['-cs', 'a-z\\n', '\\n'], 'a  b\n'), 'a\nb\n');
  assert.equal(await tr(['é', 'e'], 'é\n'), 'ee\n', 'bytes: é is two, each becomes e');
});

test('tr errors: GNU messages', async () => {
  // A bad command line: the problem, the declared usage and GNU's pointer to --help.
  const TR_USAGE = 'usage: tr [-cs] SET1 SET2\n   or: tr -s [-c] SET1\n   or: tr -d [-c] SET1\n   or: tr -ds [-c] SET1 SET2\nTry \'tr --help\' for more information.\n';
  const cases = [
    [['tr', 'abc', ''], 'tr: when not truncating set1, string2 must be non-empty\n', 1],
    [['tr', 'z-a', 'x'], "tr: range-endpoints of 'z-a' are in reverse collating sequence order\n", 1],
    [['tr'], 'tr: missing operand\n' + TR_USAGE, 2],
    [['tr', '-d', 'a', 'b'], "tr: extra operand 'b'\n" + TR_USAGE, 2],
    [['tr', 'a'], "tr: missing operand after 'a'\n" + TR_USAGE, 2],
    [['tr', '-x', 'a', 'b'], "tr: invalid option -- 'x'\n" + TR_USAGE, 2],
    [['tr', '[:nope:]', 'x'], "tr: invalid character class 'nope'\n", 1],
  ];
  for (const [argv, stderr, status] of cases) {
    const r = await ttRun(argv, { stdin: ['abc\n'] });
    assert.deepEqual([r.stdout, r.stderr, r.status], ['', stderr, status], argv.join(' '));
  }
});

// -- seq

test('seq: LAST, FIRST LAST, FIRST INCR LAST; decimals counted exactly', async () => {
  const seq = async (...args) => (await ttRun(['seq', ...args])).stdout;
  assert.equal(await seq('3'), '1\n2\n3\n');
  assert.equal(await seq('-2', '1'), '-2\n-1\n0\n1\n');
  assert.equal(await seq('10', '-3', '1'), '10\n7\n4\n1\n');
  assert.equal(await seq('0', '0.1', '0.3'), '0.0\n0.1\n0.2\n0.3\n');
  assert.equal(await seq('1', '0.5', '3'), '1.0\n1.5\n2.0\n2.5\n3.0\n');
  assert.equal(await seq('0.1', '0.1', '0.9999999999999999'), '0.1\n0.2\n0.3\n0.4\n0.5\n0.6\n0.7\n0.8\n0.9\n');
  assert.equal(await seq('1.0', '3'), '1.0\n2.0\n3.0\n');
  assert.equal(await seq('5', '1'), '', 'nothing to count');
  assert.equal(await seq('9007199254740992', '9007199254740994'), '9007199254740992\n9007199254740993\n9007199254740994\n');
  const many = await seq('100000');
  assert.ok(many.startsWith('1\n2\n') && many.endsWith('\n99999\n100000\n') && many.split('\n').length === 100001);
});

test('seq -s and -w', async () => {
  const seq = async (...args) => (await ttRun(['seq', ...args])).stdout;
  assert.equal(await seq('-s,', '5'), '1,2,3,4,5\n');
  assert.equal(await seq('-s', ' : ', '3'), '1 : 2 : 3\n');
  assert.equal(await seq('-w', '8', '11'), '08\n09\n10\n11\n');
  assert.equal(await seq('-w', '-3', '1'), '-3\n-2\n-1\n00\n01\n');
  assert.equal(await seq('-w', '1', '0.5', '10').then((s) => s.split('\n').slice(0, 2).join(',')), '01.0,01.5');
  assert.equal(await seq('-w', '001', '3'), '001\n002\n003\n');
  assert.equal(await seq('-ws:', '9', '10'), '09:10\n');
});

test('seq errors', async () => {
  const cases = [
    [['seq'], 'seq: missing operand\n', 2],
    [['seq', 'x'], "seq: invalid floating point argument: 'x'\n", 1],
    [['seq', '1', '0', '5'], "seq: invalid Zero increment value: '0'\n", 1],
    [['seq', '1', '2', '3', '4'], "seq: extra operand '4'\n", 2],
    [['seq', '-f', '%g', '3'], "seq: invalid option -- 'f'\n", 2],
  ];
  for (const [argv, first, status] of cases) {
    const r = await ttRun(argv);
    assert.ok(r.stderr.startsWith(first) && r.stderr.includes('usage: seq'), `${argv.join(' ')}: ${r.stderr}`);
    assert.deepEqual([r.stdout, r.status], ['', status], argv.join(' '));
  }
});

// -- xargs

// A fake kernel's processes for xargs: `statuses(argv)` says how each ends
// (a number), or throws for a spawn that fails.
function ttSpawner(statuses = () => 0) {
  const ran = [];
  const waits = new Map();
  return {
    ran,
    change: (sys) => {
      sys.proc.spawn = async (argv, opts) => {
        ran.push({ argv, opts });
        const status = statuses(argv);
        const pid = 100 + ran.length;
        waits.set(pid, status);
        return pid;
      };
      sys.proc.wait = async (pid) => waits.get(pid);
    },
  };
}

test('xargs runs echo, or the command given, with words from standard input', async () => {
  let s = ttSpawner();
  let r = await ttRun(['xargs'], { stdin: ['a b\n', ' c\td\n'] }, s.change);
  assert.deepEqual(s.ran.map((x) => x.argv), [['echo', 'a', 'b', 'c', 'd']]);
  assert.deepEqual(s.ran[0].opts, { stdin: 'null' });
  assert.equal(r.status, 0);
  s = ttSpawner();
  r = await ttRun(['xargs', '-n', '3', 'echo', 'x'], { stdin: ttPieces('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n', 1) }, s.change);
  assert.deepEqual(s.ran.map((x) => x.argv.join(' ')), ['echo x 1 2 3', 'echo x 4 5 6', 'echo x 7 8 9', 'echo x 10']);
});

test('xargs: quotes and backslashes keep blanks; -0 takes NUL-ended words', async () => {
  let s = ttSpawner();
  await ttRun(['xargs', 'cmd'], { stdin: ttPieces(`'a b' "c 'd'" e\\ f "" g\\\\h\n`, 2) }, s.change);
  assert.deepEqual(s.ran[0].argv, ['cmd', 'a b', "c 'd'", 'e f', '', 'g\\h']);
  s = ttSpawner();
  await ttRun(['xargs', '-0', '-n1', 'cmd'], { stdin: ['a b\0"c\0', '\nd\0'] }, s.change);
  assert.deepEqual(s.ran.map((x) => x.argv), [['cmd', 'a b'], ['cmd', '"c'], ['cmd', '\nd']]);
  s = ttSpawner();
  const r = await ttRun(['xargs', 'cmd'], { stdin: ["a 'b\nc'\n"] }, s.change);
  assert.equal(r.stderr, 'xargs: unmatched single quote; by default quotes are special to xargs unless you use the -0 option\n');
  assert.deepEqual([r.status, s.ran.length], [1, 0]);
});

test('xargs with no words runs the command once, or with -r not at all; -t shows it', async () => {
  let s = ttSpawner();
  await ttRun(['xargs', 'cmd', 'x'], { stdin: [' \n\n'] }, s.change);
  assert.deepEqual(s.ran.map((x) => x.argv), [['cmd', 'x']]);
  s = ttSpawner();
  await ttRun(['xargs', '-r', 'cmd'], { stdin: [' \n'] }, s.change);
  assert.equal(s.ran.length, 0);
  s = ttSpawner();
  const r = await ttRun(['xargs', '-t', 'cmd'], { stdin: ['a\n'] }, s.change);
  assert.equal(r.stderr, 'cmd a\n');
});

test("xargs exit status follows GNU's rules", async () => {
  const cases = [
    // [statuses(argv), status of xargs, commands run, stderr]
    [(a) => (a[1] === '2' ? 1 : 0), 123, 3, ''],
    [(a) => (a[1] === '2' ? 255 : 0), 124, 2, 'xargs: cmd: exited with status 255; aborting\n'],
    [(a) => (a[1] === '2' ? 143 : 0), 125, 2, 'xargs: cmd: terminated by signal 15\n'],
    [() => { throw kernelError('ENOENT', 'cmd'); }, 127, 1, 'xargs: cmd: No such file or directory\n'],
    [() => { throw Object.assign(new Error('fork: retry: Resource temporarily unavailable'), { code: 'EAGAIN' }); }, 126, 1, 'xargs: cmd: retry: Resource temporarily unavailable\n'],
  ];
  for (const [statuses, status, runs, stderr] of cases) {
    const s = ttSpawner(statuses);
    const r = await ttRun(['xargs', '-n1', 'cmd'], { stdin: ['1 2 3\n'] }, s.change);
    assert.deepEqual([r.status, s.ran.length, r.stderr], [status, runs, stderr], String(statuses));
  }
  let r = await ttRun(['xargs', '-n', '0']);
  assert.deepEqual([r.stderr, r.status], ['xargs: value 0 for -n option should be >= 1\n', 1]);
  r = await ttRun(['xargs', '-p']);
  assert.deepEqual([r.stderr.split('\n')[0], r.status], ["xargs: invalid option -- 'p'", 2]);
});

test('xargs gives a command at most 128 KiB of arguments', async () => {
  const s = ttSpawner();
  const word = 'w'.repeat(1000);
  await ttRun(['xargs', 'cmd'], { stdin: [Array(300).fill(word).join('\n')] }, s.change);
  assert.ok(s.ran.length === 3, `${s.ran.length} commands`);
  assert.equal(s.ran.reduce((n, x) => n + x.argv.length - 1, 0), 300);
  assert.ok(s.ran.every((x) => x.argv.slice(1).join(' ').length < 128 * 1024));
});

// -- yes

test('yes writes its line until the reader goes away, then ends with status 141', async () => {
  let writes = 0;
  let text = '';
  const closeAfter = (n) => (sys) => {
    sys.stdout.write = (data) => {
      if (++writes > n) return Promise.reject(Object.assign(new Error('write error: Broken pipe'), { code: 'EPIPE' }));
      text += new TextDecoderLike().decode(data);
      return Promise.resolve();
    };
  };
  let r = await ttRun(['yes'], {}, closeAfter(3));
  assert.equal(r.status, 141);
  assert.equal(r.stderr, '');
  assert.ok(text.length >= 3 * 16384 && /^(y\n)+$/.test(text), text.slice(0, 10));
  writes = 0;
  text = '';
  r = await ttRun(['yes', 'a', 'b'], {}, closeAfter(1));
  assert.ok(/^(a b\n)+$/.test(text), text.slice(0, 10));
  r = await ttRun(['yes', '-x']);
  assert.deepEqual([r.stderr, r.status], ["yes: invalid option -- 'x'\nusage: yes [STRING...]\nTry 'yes --help' for more information.\n", 2]);
  writes = 0;
  text = '';
  await ttRun(['yes', '--', '-x'], {}, closeAfter(1));
  assert.ok(text.startsWith('-x\n-x\n'), text.slice(0, 10));
});

// The fake sys's text() for a write, as a decoder (the isolate has no TextDecoder).
function TextDecoderLike() {
  this.decode = (data) => text(data);
}

// -- date

test('date -d @SECONDS -u in the default format and with +FORMAT', async () => {
  const date = async (...args) => (await ttRun(['date', '-u', ...args])).stdout;
  assert.equal(await date('-d', '@0'), 'Thu Jan  1 00:00:00 UTC 1970\n');
  const t = '@1709210096'; // 2024-02-29 12:34:56 UTC, a Thursday
  assert.equal(await date('-d', t), 'Thu Feb 29 12:34:56 UTC 2024\n');
  assert.equal(await date('-d', t, '+%Y-%m-%d %H:%M:%S'), '2024-02-29 12:34:56\n');
  assert.equal(await date('-d', t, '+%F %T %D %R %r'), '2024-02-29 12:34:56 02/29/24 12:34 12:34:56 PM\n');
  assert.equal(await date('-d', t, '+%a %A %b %B %h %c'), 'Thu Thursday Feb February Feb Thu Feb 29 12:34:56 2024\n');
  assert.equal(await date('-d', t, '+%j %u %w %U %W %V %G %g %C %y'), '060 4 4 08 09 09 2024 24 20 24\n');
  assert.equal(await date('-d', t, '+%s %N %z %:z %Z %p %P %I %l %k %e'), '1709210096 000000000 +0000 +00:00 UTC PM pm 12 12 12 29\n');
  assert.equal(await date('-d', '@1704157384', '+%e|%-e|%_m|%-m|%0e|%^a|%%|%q|%n|%t|'), ' 2|2| 1|1|02|TUE|%|%q|\n|\t|\n'); // 2024-01-02
  assert.equal(await date('-d', '2024-12-30 01:02', '+%G-W%V-%u %j'), '2025-W01-1 365\n');
  assert.equal(await date('-d', '2021-01-03', '+%G-W%V-%u %U %W'), '2020-W53-7 01 00\n');
});

test('date without -d shows the clock; errors', async () => {
  const before = Math.floor(Date.now() / 1000);
  const shown = Number((await ttRun(['date', '+%s'])).stdout);
  assert.ok(shown >= before && shown <= before + 2, String(shown));
  assert.equal((await ttRun(['date', '-u', '+%Y'])).stdout, `${new Date().getUTCFullYear()}\n`);
  const cases = [
    [['date', '-x'], "date: invalid option -- 'x'\n", 2],
    [['date', '-d', 'soon'], "date: invalid date 'soon'\n", 1],
    [['date', '-d', '2023-02-29'], "date: invalid date '2023-02-29'\n", 1],
    [['date', '0101'], "date: invalid date '0101': the clock cannot be set here\n", 1],
    [['date', '+%Y', '+%m'], "date: extra operand '+%m'\n", 2],
  ];
  for (const [argv, first, status] of cases) {
    const r = await ttRun(argv);
    assert.ok(r.stderr.startsWith(first), `${argv.join(' ')}: ${r.stderr}`);
    assert.deepEqual([r.stdout, r.status], ['', status], argv.join(' '));
  }
});

// -- which

test('which: the file in $PATH, built-ins said to be, status 1 for a missing name', async () => {
  const files = {
    '/': { type: 'dir' },
    '/bin': { type: 'dir' },
    '/bin/ls.js': { type: 'file', text: '' },
    '/opt': { type: 'dir' },
    '/opt/ls.js': { type: 'file', text: '' },
    '/opt/tool.js': { type: 'file', text: '' },
    '/opt/dir.js': { type: 'dir' },
  };
  const which = (argv, PATH = '/bin:/opt') =>
    ttRun(['which', ...argv], { files }, (sys) => {
      sys.env = { PATH };
    });
  let r = await which(['ls', 'tool']);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['/bin/ls.js\n/opt/tool.js\n', '', 0]);
  r = await which(['-a', 'ls']);
  assert.equal(r.stdout, '/bin/ls.js\n/opt/ls.js\n');
  r = await which(['ls'], '/opt:/bin');
  assert.equal(r.stdout, '/opt/ls.js\n');
  r = await which(['cd', 'export']);
  assert.deepEqual([r.stdout, r.status], ['cd: shell built-in\nexport: shell built-in\n', 0]);
  r = await which(['nope', 'ls', 'dir']);
  assert.deepEqual([r.stdout, r.stderr, r.status], ['/bin/ls.js\n', 'which: no nope in (/bin:/opt)\nwhich: no dir in (/bin:/opt)\n', 1]);
  r = await which(['/opt/tool.js', './x']);
  assert.deepEqual([r.stdout, r.status], ['/opt/tool.js\n', 1]);
  r = await which([]);
  assert.deepEqual([r.stderr, r.status], ["which: missing operand\nusage: which [-a] NAME...\nTry 'which --help' for more information.\n", 2]);
});
