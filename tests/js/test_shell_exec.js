// Unit tests for fs/lib/shell/exec.js (the Shell) and apps/sh.js (its loop),
// driven by a fake `sys` that records every kernel call and plays the kernel:
// commands in /bin exit with a status we choose, only /tmp is writable.
// A command that is RUNS keeps running until the test ends it (sys.end).
// A command that is a function runs when it is spawned: (argv, options, io)
// -> status, where io.write and io.read go where its streams say (a pipe
// holds what was written to it, so a pipeline runs stage by stage). `sh`
// (childShell) is a real Shell on a view of the same fake kernel.
const { Shell, resolvePath, commandText, SUBSHELL_VARIABLE } = require('/lib/shell/exec');
const { parse } = require('/lib/shell/parse');

const RUNS = Symbol('runs');

function kernelError(code, message) {
  return Object.assign(new Error(message), { code });
}

// commands: name -> exit status, or (argv, options) => status.
// dirs / files: the paths fs.stat knows.
function fakeSys({ commands = {}, dirs = ['/', '/tmp', '/bin', '/etc'], files = ['/etc/motd'], input = [] } = {}) {
  const pipes = new Map(); // id -> what was written to it
  // Where a process's output goes, by its spawn stream.
  const route = (stream, fd, text) => {
    if (stream === 'null') return;
    if (stream && stream.pipe !== undefined) pipes.set(stream.pipe, (pipes.get(stream.pipe) || '') + text);
    else if (stream && stream.file) written[stream.file] = (written[stream.file] || '') + text;
    else ((stream && stream.inherit) || fd) === 2 ? err.push(text) : out.push(text);
  };
  const source = (stream) => {
    if (stream && stream.pipe !== undefined) return pipes.get(stream.pipe) || '';
    if (stream && stream.file) return written[stream.file] || '';
    return '';
  };
  const calls = [];
  const out = [];
  const err = [];
  const written = {};
  const exitStatus = new Map();
  const running = new Map(); // pid -> resolve of its exit status
  let nextPid = 100;
  let nextPipe = 1;
  const sys = {
    pid: 7,
    cwd: '/',
    env: { PATH: '/bin', HOME: '/tmp' },
    calls,
    written,
    out: () => out.join(''),
    err: () => err.join(''),
    // Ends a RUNS process with this status (as an exit or a kill would).
    end(pid, status) {
      running.get(pid)(status);
      running.delete(pid);
    },
    running: () => [...running.keys()],
    stdout: { isTTY: true, write: (s) => out.push(s) },
    stderr: { isTTY: true, write: (s) => err.push(s) },
    stdin: {
      isTTY: true,
      read: async () => (input.length > 0 ? input.shift() : null),
      completer: null, // what sh offers the console's Tab (kernel/tty/tty.js)
      setCompleter(c) {
        this.completer = c;
      },
    },
    fs: {
      async stat(path) {
        calls.push(['stat', path]);
        if (dirs.includes(path)) return { name: path, type: 'dir', size: 0 };
        if (files.includes(path)) return { name: path, type: 'file', size: 5 };
        if (path in written) return { name: path, type: 'file', size: written[path].length };
        throw kernelError('ENOENT', `${path}: No such file or directory`);
      },
      async writeFile(path, text, { append } = {}) {
        calls.push(['writeFile', path, text, { append }]);
        if (!path.startsWith('/tmp/')) throw kernelError('EROFS', `${path}: Read-only file system`);
        written[path] = (append ? written[path] || '' : '') + text;
      },
      async readFile(path) {
        calls.push(['readFile', path]);
        if (path in written) return written[path];
        throw kernelError('ENOENT', `${path}: No such file or directory`);
      },
      async unlink(path) {
        calls.push(['unlink', path]);
        delete written[path];
      },
      async readdir(path) {
        const names = [...dirs, ...files, ...Object.keys(written)].filter((p) => p !== path && p.startsWith(path === '/' ? '/' : path + '/') && !p.slice(path.length + 1).includes('/'));
        if (!dirs.includes(path)) throw kernelError('ENOENT', `${path}: No such file or directory`);
        return names.map((p) => ({ name: p.slice(p.lastIndexOf('/') + 1) }));
      },
    },
    proc: {
      async pipe() {
        calls.push(['pipe', nextPipe]);
        return nextPipe++;
      },
      async closePipe(id) {
        calls.push(['closePipe', id]);
      },
      async spawn(argv, options) {
        calls.push(['spawn', argv, options]);
        for (const stream of [options.stdin, options.stdout, options.stderr]) {
          if (stream && stream.file && stream !== options.stdin && !stream.file.startsWith('/tmp/')) {
            throw kernelError('EROFS', `${stream.file}: Read-only file system`);
          }
        }
        if (!(argv[0] in commands)) throw kernelError('ENOENT', `/bin/${argv[0]}.js: No such file or directory`);
        const pid = nextPid++;
        const c = commands[argv[0]];
        const io = { write: (text) => route(options.stdout, 1, text), error: (text) => route(options.stderr, 2, text), read: () => source(options.stdin), pid };
        const status = typeof c === 'function' ? await c(argv, options, io, sys) : c;
        exitStatus.set(pid, status === RUNS ? new Promise((resolve) => running.set(pid, resolve)) : status);
        return pid;
      },
      async wait(pid) {
        calls.push(['wait', pid]);
        return exitStatus.get(pid);
      },
      async foreground(pids) {
        calls.push(['foreground', pids]);
      },
    },
  };
  return sys;
}

// `say` stands for a program that prints its arguments: echo is a builtin (it is run, not spawned).
const ok = { true: 0, false: 1, ls: 0, grep: 0, wc: 0, echo: 0, say: 0, cat: 0, sleep: 130 };

// `sh`: --collect (the end of a $(...)), or -c with the parent's state
// (a child shell), run by a real Shell whose streams are the spawn's.
async function childShell(argv, options, io, sys) {
  if (argv[1] === '--collect') {
    const text = io.read();
    if (text.length > Number(argv[3])) return 3;
    await sys.fs.writeFile(`${argv[2]}.0`, text);
    return 0;
  }
  let input = io.read();
  // What the child spawns with 'inherit' gets the child's own streams.
  const own = [options.stdin, options.stdout, options.stderr];
  const mine = (stream, fd) => (stream === 'inherit' ? own[fd] : stream && stream.inherit !== undefined ? own[stream.inherit] : stream);
  const view = {
    ...sys,
    proc: {
      ...sys.proc,
      spawn: (childArgv, o) => sys.proc.spawn(childArgv, { ...o, stdin: mine(o.stdin, 0), stdout: mine(o.stdout, 1), stderr: mine(o.stderr, 2) }),
    },
    pid: io.pid,
    cwd: options.cwd,
    env: options.env,
    stdout: { write: async (text) => io.write(text) },
    stderr: { write: async (text) => io.error(text) },
    stdin: {
      read: async () => {
        const text = input;
        input = null;
        return text === '' ? null : text;
      },
    },
  };
  const child = new Shell({ sys: view, argv0: argv[3] || 'sh', args: argv.slice(4) });
  if (options.env[SUBSHELL_VARIABLE]) await child.runNode(child.adoptState(options.env[SUBSHELL_VARIABLE]));
  else await child.runLine(argv[2]);
  return child.finish();
}

// Programs that do something: echo and printf-less output, cat, wc -l, and the child shell.
const real = {
  ...ok,
  sh: childShell,
  echo: (argv, options, io) => {
    io.write(argv.slice(1).join(' ') + '\n');
    return 0;
  },
  say: (argv, options, io) => {
    io.write(argv.slice(1).join(' ') + '\n');
    return 0;
  },
  cat: (argv, options, io, sys) => {
    io.write(argv.length > 1 ? argv.slice(1).map((f) => sys.written[f] || '').join('') : io.read());
    return 0;
  },
  wc: (argv, options, io) => {
    io.write(`${io.read().split('\n').length - 1}\n`);
    return 0;
  },
  big: (argv, options, io) => {
    io.write('x'.repeat(Number(argv[1])));
    return 0;
  },
};

// Runs shell text with `real` programs; returns {status, out, err, sh}.
async function run(text, { env, files, dirs, args } = {}) {
  const sys = fakeSys({ commands: real, files, dirs });
  if (env) Object.assign(sys.env, env);
  const sh = new Shell({ sys, args });
  await sh.runLine(text);
  const status = await sh.finish();
  return { status, out: sys.out(), err: sys.err(), sh, sys };
}
const spawned = (sys) => sys.calls.filter((c) => c[0] === 'spawn').map((c) => c[1].join(' '));
const kinds = (sys) => sys.calls.map((c) => c[0]);

test('a command is spawned with inherited streams, cwd and env, then waited for', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('ls -l /bin'), 0);
  assert.deepEqual(sys.calls, [
    ['spawn', ['ls', '-l', '/bin'], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', cwd: '/', env: { PATH: '/bin', HOME: '/tmp' } }],
    ['foreground', [100]],
    ['wait', 100],
    ['foreground', [7]],
  ]);
});

test('a pipeline wires pipe i from stage i to stage i+1; the status is the last stage', async () => {
  const sys = fakeSys({ commands: { ls: 0, grep: 1, wc: 3 } });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('ls | grep x | wc -l'), 3);
  // The shell lets go of its ends once the stages hold theirs (or a reader would never see end of file).
  assert.deepEqual(kinds(sys), ['pipe', 'pipe', 'spawn', 'spawn', 'spawn', 'closePipe', 'closePipe', 'foreground', 'wait', 'wait', 'wait', 'foreground']);
  const streams = sys.calls.filter((c) => c[0] === 'spawn').map((c) => [c[2].stdin, c[2].stdout]);
  assert.deepEqual(streams, [
    ['inherit', { pipe: 1 }],
    [{ pipe: 1 }, { pipe: 2 }],
    [{ pipe: 2 }, 'inherit'],
  ]);
  assert.deepEqual(sys.calls.find((c) => c[0] === 'foreground'), ['foreground', [100, 101, 102]]);
});

test('&& and || short-circuit on the status', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('false && say no; true && say yes1; false || say yes2; true || say no');
  assert.deepEqual(spawned(sys), ['false', 'true', 'say yes1', 'false', 'say yes2', 'true']);
});

test('a || b && c runs c after b succeeds', async () => {
  const sys = fakeSys({ commands: ok });
  await new Shell({ sys }).runLine('false || true && say c');
  assert.deepEqual(spawned(sys), ['false', 'true', 'say c']);
});

test('$? is the last status; ! negates it', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('false; say $?; true; say $?');
  assert.deepEqual(spawned(sys).filter((s) => s.startsWith('say')), ['say 1', 'say 0']);
  assert.equal(await sh.runLine('! false'), 0);
  assert.equal(await sh.runLine('! true'), 1);
});

test('command not found prints a message and is status 127', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('nosuch arg'), 127);
  assert.equal(sys.err(), 'sh: nosuch: command not found\n');
  assert.ok(!kinds(sys).includes('foreground'), 'nothing to put in the foreground');
  await sh.runLine('say $?');
  assert.deepEqual(spawned(sys).pop(), 'say 127');
});

test('a stage that cannot start gives the next stage no input', async () => {
  const sys = fakeSys({ commands: ok });
  assert.equal(await new Shell({ sys }).runLine('nosuch | cat'), 0);
  const cat = sys.calls.find((c) => c[0] === 'spawn' && c[1][0] === 'cat');
  assert.equal(cat[2].stdin, 'null');
  assert.equal(sys.err(), 'sh: nosuch: command not found\n');
});

test('cd changes the directory for pwd, children and the prompt', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(sh.prompt(), 'jsksh:/$ ');
  assert.equal(await sh.runLine('cd tmp'), 0);
  assert.equal(sh.prompt(), 'jsksh:/tmp$ ');
  await sh.runLine('pwd; ls');
  assert.equal(sys.out(), '/tmp\n');
  assert.equal(sys.calls.find((c) => c[0] === 'spawn')[2].cwd, '/tmp');
  await sh.runLine('cd ..');
  assert.equal(sh.cwd, '/');
  await sh.runLine('cd /etc; cd');
  assert.equal(sh.cwd, '/');
  await sh.runLine('cd /etc; cd -');
  assert.equal(sh.cwd, '/');
});

test('cd to a missing path or a file fails with status 1', async () => {
  const sys = fakeSys();
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('cd /x'), 1);
  assert.equal(await sh.runLine('cd /etc/motd'), 1);
  assert.equal(sys.err(), 'sh: cd: /x: No such file or directory\nsh: cd: /etc/motd: Not a directory\n');
  assert.equal(sh.cwd, '/');
});

test('redirections become spawn streams with absolute paths', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('cd /tmp; cat < in > out; say hi >> /tmp/log 2>&1; ls 2>err');
  const opts = sys.calls.filter((c) => c[0] === 'spawn').map((c) => [c[2].stdin, c[2].stdout, c[2].stderr]);
  assert.deepEqual(opts, [
    [{ file: '/tmp/in' }, { file: '/tmp/out', append: false }, 'inherit'],
    ['inherit', { file: '/tmp/log', append: true }, { file: '/tmp/log', append: true }],
    ['inherit', 'inherit', { file: '/tmp/err', append: false }],
  ]);
});

test('>&2 and 2>&1 onto an inherited stream name the stream of that number', async () => {
  const sys = fakeSys({ commands: ok });
  await new Shell({ sys }).runLine('say oops >&2; ls 2>&1');
  const opts = sys.calls.filter((c) => c[0] === 'spawn').map((c) => [c[2].stdout, c[2].stderr]);
  assert.deepEqual(opts, [
    [{ inherit: 2 }, 'inherit'],
    ['inherit', { inherit: 1 }],
  ]);
});

test('a redirection overrides the pipe it replaces', async () => {
  const sys = fakeSys({ commands: ok });
  await new Shell({ sys }).runLine('ls > /tmp/x | wc');
  const first = sys.calls.find((c) => c[0] === 'spawn');
  assert.deepEqual(first[2].stdout, { file: '/tmp/x', append: false });
});

test('a read-only redirection target is reported and is status 1', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('ls > /x'), 1);
  assert.equal(sys.err(), 'sh: /x: Read-only file system\n');
});

test('builtin output follows redirections; the file is opened first', async () => {
  const sys = fakeSys();
  const sh = new Shell({ sys });
  await sh.runLine('cd /tmp; pwd > here; pwd >> here');
  assert.equal(sys.written['/tmp/here'], '/tmp\n/tmp\n');
  assert.equal(sys.out(), '');
  assert.equal(await sh.runLine('cd / > /etc/x'), 1); // fails before cd runs
  assert.equal(sh.cwd, '/tmp');
  assert.equal(sys.err(), 'sh: /etc/x: Read-only file system\n');
  await sh.runLine('> /tmp/here');
  assert.equal(sys.written['/tmp/here'], '');
});

test('a builtin inside a pipeline runs in a child shell whose stdout is the pipe', async () => {
  const sys = fakeSys({ commands: real });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('cd /tmp; pwd | cat'), 0);
  assert.equal(sys.out(), '/tmp\n');
  const child = sys.calls.find((c) => c[0] === 'spawn');
  assert.deepEqual(child[1], ['sh', '-c', 'pwd', 'sh']);
  assert.deepEqual(child[2].stdout, { pipe: 1 });
  assert.equal(child[2].cwd, '/tmp');
  assert.equal(JSON.parse(child[2].env[SUBSHELL_VARIABLE]).node.words[0].parts[0].value, 'pwd');
});

test('assignments set shell variables; export puts them in children env', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('A=1 B="x y"; say $A "$B"');
  assert.deepEqual(sys.calls[0][1], ['say', '1', 'x y']);
  assert.equal(sys.calls[0][2].env.A, undefined); // not exported
  await sh.runLine('export A; export C=$B; ls');
  assert.deepEqual(sys.calls[sys.calls.length - 4][2].env, { PATH: '/bin', HOME: '/tmp', A: '1', C: 'x y' });
  assert.equal(await sh.runLine('export 1x=2'), 1);
});

test('NAME=value before a command is for that command only', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('D=4 ls; say $D');
  assert.equal(sys.calls[0][2].env.D, '4');
  assert.deepEqual(spawned(sys)[1], 'say');
});

test('export with no arguments lists, quoted to be read back', async () => {
  const sys = fakeSys();
  await new Shell({ sys, env: { Q: "it's" } }).runLine('export');
  assert.equal(sys.out(), "export Q='it'\\''s'\n");
});

test('exit stops the line and sets the exit code', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('exit 3; echo never'), 3);
  assert.equal(sh.exitCode, 3);
  assert.deepEqual(spawned(sys), []);
  const sh2 = new Shell({ sys });
  await sh2.runLine('false; exit');
  assert.equal(sh2.exitCode, 1);
  const sh3 = new Shell({ sys });
  await sh3.runLine('exit 257');
  assert.equal(sh3.exitCode, 1);
  const sh4 = new Shell({ sys });
  await sh4.runLine('exit x');
  assert.equal(sh4.exitCode, 2);
});

test('Ctrl-C (status 130) abandons the rest of the line', async () => {
  const sys = fakeSys({ commands: ok });
  assert.equal(await new Shell({ sys }).runLine('sleep 10; echo a || echo b'), 130);
  assert.deepEqual(spawned(sys), ['sleep 10']);
});

test('a syntax error is printed and is status 2', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('ls | | wc'), 2);
  assert.equal(sys.err(), "sh: syntax error near unexpected token `|'\n");
  assert.deepEqual(spawned(sys), []);
});

test('the foreground goes back to the shell even if wait fails', async () => {
  const sys = fakeSys({ commands: ok });
  sys.proc.wait = async () => {
    throw new Error('boom');
  };
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('ls'), 1);
  assert.deepEqual(sys.calls[sys.calls.length - 1], ['foreground', [7]]);
  assert.equal(sys.err(), 'sh: boom\n');
});

test('resolvePath handles ., .. and extra slashes', () => {
  assert.equal(resolvePath('/tmp', 'a/./b//../c'), '/tmp/a/c');
  assert.equal(resolvePath('/tmp', '../../..'), '/');
  assert.equal(resolvePath('/tmp', '/etc/'), '/etc');
});

// --- apps/sh.js, the loop ---

// sh ends with sys.exit(status), which in the runtime unwinds the app: here it returns the status.
async function runSh(argv, sys) {
  globalThis.sys = sys;
  const exit = {};
  sys.exit = (status) => {
    throw Object.assign(exit, { status });
  };
  try {
    return await require('/bin/sh')(argv);
  } catch (e) {
    if (e !== exit) throw e;
    return exit.status;
  } finally {
    delete globalThis.sys;
  }
}

test('sh: prompts, runs lines, exits with the last status at end of input', async () => {
  const sys = fakeSys({ commands: ok, input: ['false\n', 'cd /tmp\n'] });
  assert.equal(await runSh(['sh'], sys), 0);
  assert.equal(sys.out(), 'jsksh:/$ jsksh:/$ jsksh:/tmp$ \n');
  assert.deepEqual(spawned(sys), ['false']);
});

test('sh at a terminal offers the console a completer for Tab; not at a pipe', async () => {
  const sys = fakeSys({ commands: ok, input: [] });
  await runSh(['sh'], sys);
  globalThis.sys = sys; // as in an app, where sys is always there
  const items = await sys.stdin.completer.complete('expo', 4).finally(() => delete globalThis.sys);
  assert.ok(items.items.some((i) => i.text === 'export'), JSON.stringify(items)); // a builtin: the fake has no /bin
  const piped = fakeSys({ commands: ok, input: [] });
  piped.stdin.isTTY = false;
  await runSh(['sh'], piped);
  assert.equal(piped.stdin.completer, null);
});

test('sh: exit N ends the loop with N', async () => {
  const sys = fakeSys({ commands: ok, input: ['exit 4\n', 'ls\n'] });
  assert.equal(await runSh(['sh'], sys), 4);
  assert.deepEqual(spawned(sys), []);
});

test('sh: an open quote continues with the > prompt', async () => {
  const sys = fakeSys({ commands: ok, input: ['say "a\n', 'b"\n'] });
  await runSh(['sh'], sys);
  assert.deepEqual(sys.calls[0][1], ['say', 'a\nb']);
  assert.equal(sys.out(), 'jsksh:/$ > jsksh:/$ \n');
});

test('sh: input in arbitrary chunks is split into lines', async () => {
  const sys = fakeSys({ commands: ok, input: ['ls; sa', 'y 1\nwc\nca', 't'] });
  await runSh(['sh'], sys);
  assert.deepEqual(spawned(sys), ['ls', 'say 1', 'wc', 'cat']);
});

test('sh: PS1="" turns the prompt off', async () => {
  const sys = fakeSys({ commands: ok, input: ['ls\n'] });
  sys.env.PS1 = '';
  await runSh(['sh'], sys);
  assert.equal(sys.out(), '');
});

test('sh -c runs one line without a prompt and returns its status', async () => {
  const sys = fakeSys({ commands: ok });
  assert.equal(await runSh(['sh', '-c', 'true && false', 'me', 'x'], sys), 1);
  assert.equal(sys.out(), '');
  assert.equal(await runSh(['sh', '-c', 'echo $0 $1 $#; exit 5'], fakeSys({ commands: ok })), 5);
});

test('sh: an empty read (Ctrl-C at the prompt) drops a half-typed command', async () => {
  const sys = fakeSys({ commands: ok, input: ['echo "a\n', '', 'ls\n'] });
  assert.equal(await runSh(['sh'], sys), 0);
  assert.deepEqual(spawned(sys), ['ls']);
  assert.equal(sys.out(), 'jsksh:/$ > jsksh:/$ jsksh:/$ \n');
});

// --- background jobs ---

// Lets the promise callbacks of the fake kernel's replies run.
async function settle() {
  for (let i = 0; i < 20; i++) await null;
}

const jobCommands = { ...ok, sleep: RUNS, cat: RUNS, yes: RUNS, kill: 0, sh: RUNS };

test('& starts a job and goes on at once: stdin null, not the foreground, status 0', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('false; sleep 10 & ls'), 0);
  assert.deepEqual(spawned(sys), ['false', 'sleep 10', 'ls']);
  const sleep = sys.calls.find((c) => c[0] === 'spawn' && c[1][0] === 'sleep');
  assert.deepEqual([sleep[2].stdin, sleep[2].stdout, sleep[2].stderr], ['null', 'inherit', 'inherit']);
  const foregrounds = sys.calls.filter((c) => c[0] === 'foreground').map((c) => c[1]);
  assert.deepEqual(foregrounds, [[100], [7], [102], [7]]); // false, then ls: never the sleep
  assert.equal(sys.err(), '', 'a non-interactive shell does not announce jobs');
  assert.deepEqual(sys.running(), [101]);
});

test('an interactive shell prints [N] PID on stderr; $! is the last stage of the last job', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys, interactive: true });
  await sh.runLine('sleep 10 &');
  await sh.runLine('yes | cat > /tmp/y &');
  assert.equal(sys.err(), '[1] 100\n[2] 102\n');
  await sh.runLine('say $!');
  assert.deepEqual(spawned(sys).pop(), 'say 102');
  const [yes, cat] = sys.calls.filter((c) => c[0] === 'spawn' && (c[1][0] === 'yes' || c[1][0] === 'cat'));
  assert.equal(yes[2].stdin, 'null');
  assert.deepEqual(cat[2].stdin, { pipe: 1 }, 'only the first stage reads nothing');
  assert.deepEqual(cat[2].stdout, { file: '/tmp/y', append: false });
});

test('jobs lists running jobs with + and -, then each ended job once', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('sleep 10 & sleep 20 & sleep 30 &');
  sys.end(101, 0);
  await settle();
  await sh.runLine('jobs');
  assert.equal(
    sys.out(),
    '[1]   Running                 sleep 10 &\n' + '[2]-  Done                    sleep 20\n' + '[3]+  Running                 sleep 30 &\n',
  );
  await sh.runLine('jobs -l');
  assert.ok(sys.out().endsWith('[1]-   100 Running                 sleep 10 &\n' + '[3]+   102 Running                 sleep 30 &\n'), sys.out());
  await sh.runLine('jobs -p %1');
  assert.ok(sys.out().endsWith('\n100\n'));
});

test('jobs says how a job ended: Exit N, Terminated, Killed, Interrupt', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('sleep 1 & sleep 2 & sleep 3 & sleep 4 &');
  [3, 143, 137, 130].forEach((status, i) => sys.end(100 + i, status));
  await settle();
  await sh.runLine('jobs');
  const states = sys.out().split('\n').filter(Boolean).map((line) => line.slice(5, 29).trim());
  assert.deepEqual(states, ['Exit 3', 'Terminated', 'Killed', 'Interrupt']);
});

test('jobs -l shows every process of a pipeline job', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('yes | cat &');
  await sh.runLine('jobs -l');
  assert.equal(sys.out(), '[1]+   100 Running                 yes\n' + '       101                         | cat &\n');
});

test('an interactive shell reports ended jobs once; a non-interactive one never', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys, interactive: true });
  await sh.runLine('sleep 1 & sleep 2 &');
  await sh.reportFinishedJobs();
  assert.equal(sys.err(), '[1] 100\n[2] 101\n', 'nothing has ended yet');
  sys.end(100, 0);
  sys.end(101, 3);
  await settle();
  await sh.reportFinishedJobs();
  await sh.reportFinishedJobs();
  assert.equal(sys.err(), '[1] 100\n[2] 101\n[1]-  Done                    sleep 1\n[2]+  Exit 3                  sleep 2\n');
  assert.deepEqual(sh.jobs, []);

  const quiet = fakeSys({ commands: jobCommands });
  const sh2 = new Shell({ sys: quiet });
  await sh2.runLine('sleep 1 &');
  quiet.end(100, 0);
  await settle();
  await sh2.reportFinishedJobs();
  assert.equal(quiet.err(), '');
  assert.equal(sh2.jobs.length, 1, 'still there for jobs and wait');
});

test('fg prints the command, makes the job the foreground, and returns its status', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('yes | cat &');
  const line = sh.runLine('fg');
  await settle();
  assert.equal(sys.out(), 'yes | cat\n', 'printed before it waits');
  assert.deepEqual(sys.calls[sys.calls.length - 1], ['foreground', [100, 101]]);
  sys.end(100, 141);
  sys.end(101, 130); // Ctrl-C: the kernel interrupts the foreground job
  assert.equal(await line, 130);
  assert.deepEqual(sys.calls[sys.calls.length - 1], ['foreground', [7]]);
  assert.deepEqual(sh.jobs, [], 'a job that ended in the foreground is not reported');
});

test('fg and bg without a job, and fg of an ended job, fail with status 1', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('fg'), 1);
  assert.equal(await sh.runLine('fg %3'), 1);
  assert.equal(await sh.runLine('bg'), 1);
  await sh.runLine('sleep 1 &');
  sys.end(100, 0);
  await settle();
  assert.equal(await sh.runLine('fg'), 1);
  assert.equal(
    sys.err(),
    'sh: fg: current: no such job\nsh: fg: %3: no such job\nsh: bg: current: no such job\nsh: fg: job has terminated\n',
  );
});

test('bg says that jobs cannot be stopped', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('sleep 1 &');
  assert.equal(await sh.runLine('bg %1'), 0);
  assert.ok(/already in background.*cannot be stopped/.test(sys.err()), sys.err());
});

test('job specs: %N, %%, %+, %-, %prefix, %?text, ambiguity', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('sleep 10 & cat /etc/motd & sleep 30 &');
  const number = (spec) => (sh.findJob(spec).job || {}).number;
  assert.deepEqual(['%2', '%%', '%+', '%', '%-', '%cat', '%?motd', '%?30'].map(number), [2, 3, 3, 3, 2, 2, 2, 3]);
  assert.equal(sh.findJob('%sleep').error, 'sleep: ambiguous job spec');
  assert.equal(sh.findJob('%9').error, '%9: no such job');
  assert.equal(sh.findJob('%nope').error, '%nope: no such job');
});

test('kill %N becomes kill PIDS; an unknown job is reported and nothing is spawned', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('sleep 10 & yes | cat &');
  assert.equal(await sh.runLine('kill -9 %2 %1'), 0);
  assert.deepEqual(spawned(sys).pop(), 'kill -9 101 102 100');
  const before = spawned(sys).length;
  assert.equal(await sh.runLine('kill %9'), 1);
  assert.equal(spawned(sys).length, before);
  assert.equal(sys.err(), 'sh: kill: %9: no such job\n');
  await sh.runLine('kill %9 55');
  assert.deepEqual(spawned(sys).pop(), 'kill 55');
});

test('wait: all jobs (status 0), a job or a pid (its status), an unknown pid (127)', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys });
  await sh.runLine('sleep 1 & sleep 2 &');
  const all = sh.runLine('wait');
  sys.end(100, 4);
  await settle();
  assert.equal(sh.status, 0, 'still waiting for job 2');
  sys.end(101, 5);
  assert.equal(await all, 0);
  assert.equal(await sh.runLine('wait %1'), 4);
  assert.equal(await sh.runLine('wait 101'), 5);
  assert.equal(await sh.runLine('wait %1 101 %2'), 5);
  assert.equal(await sh.runLine('wait 999'), 127);
  assert.equal(await sh.runLine('wait %7'), 127);
  assert.equal(sys.err(), 'sh: wait: pid 999 is not a child of this shell\nsh: wait: %7: no such job\n');
});

test('Ctrl-C ends a wait with 130; the job goes on running', async () => {
  const sys = fakeSys({ commands: jobCommands });
  let press;
  const watchInterrupt = () => ({ interrupted: new Promise((resolve) => (press = resolve)), stop() {} });
  const sh = new Shell({ sys, watchInterrupt });
  await sh.runLine('sleep 30 &');
  const line = sh.runLine('wait; echo never');
  await settle();
  press();
  assert.equal(await line, 130);
  assert.deepEqual(spawned(sys), ['sleep 30']);
  assert.deepEqual(sys.running(), [100]);
  assert.equal(sh.jobs[0].state(), 'Running');
});

test('a list or a builtin in the background runs in a subshell, sh -c', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys, argv0: 'me', args: ['a'] });
  await sh.runLine("sleep 1 && echo 'done now' > /tmp/x &");
  await sh.runLine('cd /tmp &');
  const subshells = sys.calls.filter((c) => c[0] === 'spawn');
  assert.deepEqual(subshells[0][1], ['sh', '-c', "sleep 1 && echo 'done now' > /tmp/x", 'me', 'a']);
  assert.equal(subshells[0][2].stdin, 'null');
  assert.deepEqual(subshells[1][1], ['sh', '-c', 'cd /tmp', 'me', 'a']);
  assert.equal(sh.cwd, '/', 'cd in a subshell leaves this shell where it was');
  assert.equal(sh.lastBackgroundPid, 101);
});

test('a command that cannot start makes no job; the status of & is still 0', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys, interactive: true });
  assert.equal(await sh.runLine('nosuch &'), 0);
  assert.equal(sys.err(), 'sh: nosuch: command not found\n');
  assert.deepEqual(sh.jobs, []);
});

test('job numbers continue from the newest job and start again at 1', async () => {
  const sys = fakeSys({ commands: jobCommands });
  const sh = new Shell({ sys, interactive: true });
  await sh.runLine('sleep 1 & sleep 2 &');
  sys.end(101, 0);
  await settle();
  await sh.reportFinishedJobs();
  await sh.runLine('sleep 3 &');
  sys.end(100, 0);
  sys.end(102, 0);
  await settle();
  await sh.reportFinishedJobs();
  await sh.runLine('sleep 4 &');
  assert.deepEqual(
    sys.err().split('\n').filter((l) => l.startsWith('[') && !l.includes('Done')),
    ['[1] 100', '[2] 101', '[2] 102', '[1] 103'],
  );
});

test('commandText writes a command back as it can be read again', () => {
  const text = (line) => commandText(parse(line).items[0].command);
  assert.equal(text("A=1 echo  'a b' \"$X\"  2>&1 >/tmp/f"), "A=1 echo 'a b' \"$X\" 2>&1 > /tmp/f");
  assert.equal(text('! a | b 2>/dev/null && c || d < /x'), '! a | b 2> /dev/null && c || d < /x');
});

test('sh: an interactive shell reports ended jobs before its prompt', async () => {
  const sys = fakeSys({ commands: { ...jobCommands, sleep: 0 }, input: ['sleep 1 &\n', 'ls\n'] });
  await runSh(['sh'], sys);
  assert.equal(sys.err(), '[1] 100\n[1]+  Done                    sleep 1\n');
});

test('sh: Ctrl-C during wait ends it; a line typed meanwhile runs afterwards', async () => {
  // `say $?` is typed while wait waits, then Ctrl-C (an empty read).
  const sys = fakeSys({ commands: jobCommands, input: ['sleep 30 &\n', 'wait\n', 'say $?\n', ''] });
  await runSh(['sh'], sys);
  assert.deepEqual(spawned(sys), ['sleep 30', 'say 130']);
  assert.deepEqual(sys.running(), [100], 'the job was not interrupted');
});

// --- the language: compound commands, functions, expansions, builtins ---

test('for, while, until with break and continue', async () => {
  assert.equal((await run('for i in a b c; do echo $i; done')).out, 'a\nb\nc\n');
  assert.equal((await run('i=0; while [ $i -lt 3 ]; do echo $i; i=$((i + 1)); done')).out, '0\n1\n2\n');
  assert.equal((await run('i=0; until [ $i -ge 2 ]; do i=$((i+1)); echo u$i; done')).out, 'u1\nu2\n');
  assert.equal((await run('for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done')).out, '1\n3\n');
  assert.equal((await run('for i in 1 2; do for j in a b; do [ $j = b ] && continue 2; echo $i$j; done; done')).out, '1a\n2a\n');
  assert.equal((await run('for i in 1 2; do for j in a b; do break 2; done; done; echo $i$j')).out, '1a\n');
});

test('the status of a loop is its last command, or 0 if the body never ran', async () => {
  assert.equal((await run('for i in 1; do false; done')).status, 1);
  assert.equal((await run('false; for i in; do :; done')).status, 0);
  assert.equal((await run('while false; do :; done')).status, 0);
});

test('if, elif, else', async () => {
  const r = await run('for x in 1 2 3; do if [ $x = 1 ]; then echo one; elif [ $x = 2 ]; then echo two; else echo other; fi; done');
  assert.equal(r.out, 'one\ntwo\nother\n');
  assert.equal((await run('if false; then :; fi')).status, 0);
});

test('case picks the first matching arm', async () => {
  const r = await run('for f in a.txt b.md c; do case $f in *.txt|*.doc) echo text;; *.md) echo markdown;; *) echo other;; esac; done');
  assert.equal(r.out, 'text\nmarkdown\nother\n');
});

test('{ } runs in this shell; ( ) keeps its changes to itself', async () => {
  const r = await run('x=1; { x=2; cd /tmp; }; echo $x; pwd; (x=3; cd /etc; exit 4); echo $? $x; pwd');
  assert.equal(r.out, '2\n/tmp\n4 2\n/tmp\n');
});

test('redirections on a compound command reach builtins and programs inside', async () => {
  const r = await run('{ echo a; pwd; printf "%s\\n" b; } > /tmp/out; for i in 1 2; do echo $i; done >> /tmp/out; cat < /tmp/out');
  assert.equal(r.out, 'a\n/\nb\n1\n2\n');
  assert.equal(r.sys.written['/tmp/out'], 'a\n/\nb\n1\n2\n');
});

test('a loop in a pipeline runs in a child shell', async () => {
  const r = await run('for i in 1 2 3; do echo $i; done | wc');
  assert.equal(r.out, '3\n');
  assert.equal((await run('printf "a\\nb\\n" | while read l; do echo "<$l>"; done')).out, '<a>\n<b>\n');
});

test('functions: arguments, $#, "$@", return, local, recursion', async () => {
  const r = await run('f() { echo $# "$1" "${2}"; return 3; }; f "a b" c; echo $?');
  assert.equal(r.out, '2 a b c\n3\n');
  const s = await run('x=outer; g() { local x=inner; echo $x; }; g; echo $x');
  assert.equal(s.out, 'inner\nouter\n');
  const fact = await run('fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1 - 1))) )); fi; }; fact 5');
  assert.equal(fact.out, '120\n');
  const args = await run('f() { for a; do echo "[$a]"; done; shift; echo $#; }; f "x y" z');
  assert.equal(args.out, '[x y]\n[z]\n1\n');
});

test('deep recursion in a function stops with a message', async () => {
  const r = await run('f() { f; }; f; echo never');
  assert.ok(/functions nested too deeply/.test(r.err), r.err);
  assert.equal(r.status, 2);
  assert.equal(r.out, '');
});

test('break outside a loop says so and does nothing', async () => {
  const r = await run('break; echo after');
  assert.equal(r.out, 'after\n');
  assert.equal(r.err, 'sh: break: only meaningful in a loop\n');
});

test('command substitution: output, trailing newlines, status, nesting', async () => {
  assert.equal((await run('echo "[$(echo a; echo b)]"')).out, '[a\nb]\n');
  assert.equal((await run('x=$(false); echo $?')).out, '1\n');
  assert.equal((await run('echo $(echo $(echo deep))')).out, 'deep\n');
  assert.equal((await run('cd /tmp; echo `pwd`')).out, '/tmp\n');
  const r = await run('echo $(big 20000000); echo next');
  assert.ok(/output larger than/.test(r.err), r.err);
  assert.equal(r.out, 'next\n');
  assert.deepEqual(Object.keys(r.sys.written).filter((f) => f.startsWith('/tmp/.sh-')), [], 'no temporary file is left');
});

test('$((...)) arithmetic with variables by name', async () => {
  assert.equal((await run('a=6 b=4; echo $((a * b - 2)) $((a / b)) $((a % b)) $(( (a + b) * 2 )) $((a > b)) $((a == 6 && b != 4))')).out, '22 1 2 20 1 0\n');
  const r = await run('echo $((1 / 0)); echo never');
  assert.ok(/division by zero/.test(r.err));
  assert.equal(r.status, 2);
});

test('here-documents feed programs and builtins', async () => {
  assert.equal((await run('N=x; cat <<EOF\nhi $N\nEOF\n')).out, 'hi x\n');
  assert.equal((await run("cat <<'EOF'\nhi $N\nEOF\n")).out, 'hi $N\n');
  assert.equal((await run('read a b <<EOF\none two three\nEOF\necho "$b"')).out, 'two three\n');
});

test('read: fields, -r, end of input', async () => {
  const r = await run('printf "a b\\\\ c\\nd\\n" > /tmp/in; { read x y; read -r z; read w; echo $?; } < /tmp/in; echo "$x|$y|$z|$w"');
  assert.equal(r.out, '1\na|b c|d|\n');
});

test('printf: conversions, widths, escapes, the format used again', async () => {
  assert.equal((await run('printf "%s-%d|%5s|%-3s|%03d|%x|%o|%c|%%\\n" a 42 r l 7 255 8 xyz')).out, 'a-42|    r|l  |007|ff|10|x|%\n');
  assert.equal((await run('printf "%s=%s\\n" a 1 b 2 c')).out, 'a=1\nb=2\nc=\n');
  const bad = await run('printf "%d\\n" x');
  assert.equal(bad.status, 1);
  assert.ok(/invalid number/.test(bad.err));
});

test('test and [: files, strings, integers, ! -a -o', async () => {
  const t = async (expr) => (await run(`[ ${expr} ]`)).status;
  assert.deepEqual(await Promise.all(['-e /etc/motd', '-f /etc/motd', '-d /etc', '-d /etc/motd', '-e /nope', '-s /etc/motd'].map(t)), [0, 0, 0, 1, 1, 0]);
  assert.deepEqual(await Promise.all(['a = a', 'a != a', '-n ""', '-z ""', '2 -lt 10', '2 -gt 10', '! 1 -eq 1', '1 = 1 -a 2 = 3', '1 = 1 -o 2 = 3', 'x'].map(t)), [0, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
  const r = await run('[ 1 -lt x ]');
  assert.equal(r.status, 2);
  assert.ok(/bad number/.test(r.err));
  assert.equal((await run('test a = a -a')).status, 2);
});

test('set -e stops at a failure, but not in a condition', async () => {
  const r = await run('set -e; if false; then :; fi; false || echo ok; ! true; echo still; false; echo never');
  assert.equal(r.out, 'ok\nstill\n');
  assert.equal(r.status, 1);
});

test('set -u makes an unset variable an error; set -x traces; set -- sets $@', async () => {
  const u = await run('set -u; echo ${X:-fine}; echo $X; echo never');
  assert.equal(u.out, 'fine\n');
  assert.ok(/X: parameter not set/.test(u.err));
  const x = await run('set -x; echo "a b" c');
  assert.equal(x.err, "+ echo 'a b' c\n");
  assert.equal((await run('set -- p q "r s"; echo $# "$3"; shift 2; echo $1')).out, '3 r s\nr s\n');
});

test('trap on EXIT runs when the shell ends', async () => {
  const r = await run('trap "echo bye" EXIT; echo hi; exit 3');
  assert.equal(r.out, 'hi\nbye\n');
  assert.equal(r.status, 3);
});

test('. runs a file in this shell; return leaves it', async () => {
  const sys = fakeSys({ commands: real });
  sys.written['/tmp/lib.sh'] = 'x=from-file\nhelper() { echo helped $1; }\nreturn 5\necho never\n';
  const sh = new Shell({ sys });
  await sh.runLine('. /tmp/lib.sh; echo $? $x; helper me');
  assert.equal(sys.out(), '5 from-file\nhelped me\n');
});

test('command, type, unset -f, exec', async () => {
  const r = await run('pwd() { echo fn; }; pwd; command pwd; type pwd cd if ls nosuch; unset -f pwd; pwd', { files: ['/bin/ls.js'] });
  assert.equal(r.out, 'fn\n/\npwd is a shell function\ncd is a shell builtin\nif is a shell keyword\nls is /bin/ls.js\nnosuch: not found\n/\n');
  const e = await run('exec > /tmp/log; echo a; pwd; exec echo replaced; echo never');
  assert.equal(e.sys.written['/tmp/log'], 'a\n/\nreplaced\n');
  assert.equal(e.status, 0);
});

test('globbing against the file tree', async () => {
  const r = await run('cd /tmp; echo x > b.txt; echo y > a.txt; echo *.txt; echo *.none; echo "*.txt"', { dirs: ['/', '/tmp'] });
  assert.equal(r.out, 'a.txt b.txt\n*.none\n*.txt\n');
});

test('a syntax error in a script stops it there, after what came before ran', async () => {
  const r = await run('echo one\nif true; then\n  echo two\ndone\necho three\n');
  assert.equal(r.out, 'one\n');
  assert.equal(r.err, "sh: line 4: syntax error near unexpected token `done'\n");
  assert.equal(r.status, 2);
  const open = await run('echo one\nwhile true; do\n  echo loop\n');
  assert.equal(open.out, 'one\n');
  assert.equal(open.err, 'sh: syntax error: unexpected end of file\n');
});

test('a function or loop in the background runs in a child shell that knows the functions', async () => {
  const sys = fakeSys({ commands: { ...real } });
  const sh = new Shell({ sys });
  await sh.runLine('f() { echo in-f $1; }; f bg > /tmp/o & wait; cat /tmp/o');
  assert.equal(sys.out(), 'in-f bg\n');
});

test('sh: an unfinished if continues with the > prompt', async () => {
  const sys = fakeSys({ commands: real, input: ['if true\n', 'then echo yes\n', 'fi\n'] });
  await runSh(['sh'], sys);
  assert.equal(sys.out(), 'jsksh:/$ > > yes\njsksh:/$ \n');
});

test('a large output goes to a file in pieces (a kernel call of a megabyte is slow)', async () => {
  const r = await run('s=0123456789abcdef; i=0; while [ $i -lt 16 ]; do s=$s$s; i=$((i + 1)); done; printf "%s" "$s" > /tmp/big');
  assert.equal(r.sys.written['/tmp/big'].length, 16 << 16);
  const writes = r.sys.calls.filter((c) => c[0] === 'writeFile' && c[1] === '/tmp/big');
  assert.ok(writes.every((c) => c[2].length <= 64 * 1024), 'no piece over 64 KiB');
});

test('Ctrl-C that reaches the shell ends a loop of builtins, and a read', async () => {
  const sys = fakeSys({ commands: real });
  // The Ctrl-C comes in with the kernel's messages, which an app takes only
  // when it waits: here, at the loop's third pause (the kernel call it makes now and then).
  let sleeps = 0;
  let press;
  const pressed = new Promise((resolve) => (press = resolve));
  sys.sleep = async () => {
    if (++sleeps === 3) press();
  };
  const sh = new Shell({ sys, watchInterrupt: () => ({ interrupted: pressed, stop() {} }) });
  assert.equal(await sh.runLine('while :; do x=1; done; echo never'), 130);
  assert.equal(sys.out(), '');
  assert.equal(sleeps, 3, 'the loop ended at the pause that let the Ctrl-C in');
  const reader = new Shell({ sys: fakeSys({ commands: real }), readInput: async () => '' });
  assert.equal(await reader.runLine('read x; echo never'), 130);
});

test('a trap on EXIT set in ( ) runs when the subshell ends', async () => {
  assert.equal((await run('(trap "echo sub-exit" EXIT; echo in; exit 2); echo after $?')).out, 'in\nsub-exit\nafter 2\n');
});

// --- the walk without promises (/lib/shell/maybe-async) ---

test('a list of builtins runs without a promise; one with a program returns one', () => {
  const sys = fakeSys({ commands: real });
  const sh = new Shell({ sys });
  const ran = sh.runList(parse('i=0; while [ $i -lt 50 ]; do i=$((i + 1)); done; case $i in 5*) x=yes;; esac'));
  assert.equal(ran, 0, 'a status, not a promise');
  assert.equal(sh.vars.get('i'), '50');
  assert.equal(sh.vars.get('x'), 'yes');
  assert.deepEqual(sys.calls, [], 'no kernel call at all');
  const later = sh.runList(parse('[ $i -gt 1 ] && say big'));
  assert.ok(later instanceof Promise, 'say is a program: the walk had to wait');
  return later.then((status) => {
    assert.equal(status, 0);
    assert.equal(sys.out(), 'big\n');
  });
});

test('a turn that must wait in the middle goes on where it stopped, in order', async () => {
  // $p is a pattern in one turn only (it is globbed against /bin), and echo
  // is spawned: the rest of that turn runs after the promises, the other
  // turns without one. The output is what running each step in order gives.
  const r = await run('for p in 1 "/b*" 3; do x=$p; : before; echo $x; i=$((i + 1)); done; echo "$i turns"', { env: { i: '0' } });
  assert.equal(r.out, '1\n/bin\n3\n3 turns\n');
  assert.equal(r.status, 0);
});

test('a word that is one parameter expands as the general path does', async () => {
  const r = await run(`x='a  b'; set -- $x; echo $#; y='/b*'; set -- $y; echo $1; set -f; set -- $y; echo $1; set +f
e=''; set -- $e; echo $#; set -- "$e"; echo $#; IFS=:; z='p:q'; set -- $z; echo $# $2`);
  assert.equal(r.out, '2\n/bin\n/b*\n0\n1\n2 q\n');
});

test('test and [ look a file up only when asked, and say the same after the wait', async () => {
  const r = await run('i=0; while [ -d /tmp ] && [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i; [ -f /nope ] || echo no; [ -f /etc/motd -a -d /etc ] && echo both');
  assert.equal(r.out, '3\nno\nboth\n');
  const stats = r.sys.calls.filter((c) => c[0] === 'stat').map((c) => c[1]);
  assert.deepEqual(stats, ['/tmp', '/tmp', '/tmp', '/tmp', '/nope', '/etc/motd', '/etc']);
  const bad = await run('[ 1 -lt x ]; echo $?');
  assert.equal(bad.err, 'sh: [: x: bad number\n');
  assert.equal(bad.out, '2\n');
});

test('set -e, set -x and errors in a loop of builtins', async () => {
  const e = await run('set -e; i=0; while [ $i -lt 10 ]; do i=$((i + 1)); [ $i -lt 3 ]; done; echo never');
  assert.equal(e.status, 1);
  assert.equal(e.out, '');
  assert.equal(e.sh.vars.get('i'), '3');
  const x = await run('set -x; for v in a "b c"; do w=$v; done');
  assert.equal(x.err, "+ w=a\n+ w='b c'\n");
  const zero = await run('i=0; while :; do i=$((i + 1)); [ $i -eq 4 ] && j=$((1 / 0)); done; echo never');
  assert.equal(zero.err, 'sh: arithmetic: division by zero\n');
  assert.equal(zero.status, 2);
  assert.equal(zero.out, '');
  const nested = await run('for a in 1 2 3; do for b in 1 2 3; do [ $b = 2 ] && continue; [ $a = 2 ] && break 2; echo $a$b; done; done; echo $?');
  assert.equal(nested.out, '11\n13\n0\n');
});

test('a loop of builtins pauses for the kernel now and then, nested or not', async () => {
  const sys = fakeSys({ commands: real });
  let sleeps = 0;
  sys.sleep = async () => sleeps++;
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('i=0; while [ $i -lt 20 ]; do j=0; while [ $j -lt 1000 ]; do j=$((j + 1)); done; i=$((i + 1)); done'), 0);
  assert.equal(sh.vars.get('i'), '20');
  assert.equal(sleeps, 4, 'every 5000 turns of any loop (20,020 turns here)');
});

test('functions called at once nest as deep as before without overflowing the stack', async () => {
  const r = await run('f() { if [ $1 -gt 0 ]; then f $(( $1 - 1 )); else echo bottom; fi; }; f 999; echo $?');
  assert.equal(r.out, 'bottom\n0\n');
  assert.equal(r.err, '');
});

// --- history ---

test('history: the lines typed at the terminal, numbered as bash prints them', async () => {
  const typed = ['echo a\n', 'echo a\n', '   \n', 'for i in 1\n', 'do :; done\n', 'history\n', 'history 2\n', 'history | wc\n', 'history x\n', 'history 1 2\n', 'history -z\n', 'history -c\n', 'history\n'];
  const sys = fakeSys({ commands: real, input: typed });
  Object.assign(sys.env, { PS1: '', PS2: '' });
  await runSh(['sh'], sys);
  assert.equal(
    sys.out(),
    [
      'a\na\n',
      // A repeated line and a blank one are not kept; a command over two lines is one entry.
      '    1  echo a\n    2  for i in 1\ndo :; done\n    3  history\n',
      '    3  history\n    4  history 2\n',
      '6\n', // in a pipeline: a child shell, which was given the list
      '    1  history\n', // -c empties it and numbering starts again
    ].join(''),
  );
  assert.equal(sys.err(), 'sh: history: x: numeric argument required\nsh: history: too many arguments\nsh: history: -z: invalid option\nhistory: usage: history [-c] [N]\n');
});

test('history: a script, sh -c and input from a pipe keep none', async () => {
  assert.equal((await run('echo a; history; history 1')).out, 'a\n');
  const piped = fakeSys({ commands: real, input: ['echo b\n', 'history\n'] });
  piped.stdin.isTTY = false;
  piped.env.PS1 = '';
  await runSh(['sh'], piped);
  assert.equal(piped.out(), 'b\n');
});

test('history --help answers as a program does; only a child that may run history gets the list', async () => {
  const r = await run('history --help');
  assert.ok(r.out.startsWith('usage: history [-c] [N]\nlist the command lines this shell has read'), r.out);
  assert.ok(r.out.includes('  -c') && r.out.includes('forget them all'), r.out);
  assert.equal(r.status, 0);
  const sys = fakeSys({ commands: { ...ok, sh: 0 } });
  const sh = new Shell({ sys });
  sh.history = new (require('/lib/shell/history').History)();
  for (let i = 0; i < 1100; i++) sh.history.add(`echo ${i}`);
  assert.deepEqual(sh.history.last(2), [
    { number: 1099, line: 'echo 1098' },
    { number: 1100, line: 'echo 1099' },
  ]);
  await sh.runLine('pwd | cat; history 3 | cat');
  const states = sys.calls.filter((c) => c[0] === 'spawn' && c[1][0] === 'sh').map((c) => JSON.parse(c[2].env[SUBSHELL_VARIABLE]));
  assert.equal(states.length, 2);
  assert.equal(states[0].history, undefined, 'pwd | cat: no list');
  assert.equal(states[1].history.first, 101, 'at most 1000 lines (bash\'s HISTSIZE), numbered on');
  assert.equal(states[1].history.lines.length, 1000);
});

test('echo alone runs in the shell; as a pipeline stage or in $(...) it is the echo program, not a child shell', async () => {
  const sys = fakeSys({ commands: ok });
  await runSh(['sh', '-c', 'echo here; echo a | wc; x=$(echo b); f() { echo c; }; f | wc'], sys);
  // echo here: no spawn. echo a | wc: the program and wc. $(echo b): the
  // program (and the collector of $(...)'s output). A function in a
  // pipeline still needs a shell: a child sh runs it.
  const all = spawned(sys);
  assert.deepEqual(all.slice(0, 3), ['echo a', 'wc', 'echo b'], JSON.stringify(all));
  assert.ok(!all.some((s) => /^sh -c echo/.test(s)), `no child shell for echo: ${JSON.stringify(all)}`);
  assert.ok(all.includes('sh -c f sh'), `a function's stage runs in a child shell: ${JSON.stringify(all)}`);
  assert.ok(!all.includes('echo here'), 'echo alone is the builtin');
});
