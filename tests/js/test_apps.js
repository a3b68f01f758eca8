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
  assert.equal(r.stderr, "ps: unknown option '--bogus'\nusage: ps [-l] [PID...]\n");
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

test('top on the console quits on a line q', async () => {
  // Typed while top waits after its first frame; that wait would never end.
  let typeQ;
  const typed = new Promise((resolve) => (typeQ = resolve));
  const onSleep = (ms, n) => {
    if (n !== 1) return null;
    typeQ();
    return new Promise(() => {});
  };
  const stdin = ['x\n', () => typed.then(() => 'q\n')];
  const r = await run(['top'], { ...topMachine(), isTTY: true, stdinKind: 'tty', stdin, onSleep });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.split('\x1b[H').length - 1, 1, 'one frame, then q');
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
