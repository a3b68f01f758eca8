// Unit tests for fs/lib/shell/exec.js (the Shell) and apps/sh.js (its loop),
// driven by a fake `sys` that records every kernel call and plays the kernel:
// commands in /bin exit with a status we choose, only /tmp is writable.
const { Shell, resolvePath } = require('/lib/shell/exec');

function kernelError(code, message) {
  return Object.assign(new Error(message), { code });
}

// commands: name -> exit status, or (argv, options) => status.
// dirs / files: the paths fs.stat knows.
function fakeSys({ commands = {}, dirs = ['/', '/tmp', '/bin', '/etc'], files = ['/etc/motd'], input = [] } = {}) {
  const calls = [];
  const out = [];
  const err = [];
  const written = {};
  const exitStatus = new Map();
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
    stdout: { isTTY: true, write: (s) => out.push(s) },
    stderr: { isTTY: true, write: (s) => err.push(s) },
    stdin: {
      isTTY: true,
      read: async () => (input.length > 0 ? input.shift() : null),
    },
    fs: {
      async stat(path) {
        calls.push(['stat', path]);
        if (dirs.includes(path)) return { name: path, type: 'dir', size: 0 };
        if (files.includes(path)) return { name: path, type: 'file', size: 5 };
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
    },
    proc: {
      async pipe() {
        calls.push(['pipe', nextPipe]);
        return nextPipe++;
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
        exitStatus.set(pid, typeof c === 'function' ? c(argv, options) : c);
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

const ok = { true: 0, false: 1, ls: 0, grep: 0, wc: 0, echo: 0, cat: 0, sleep: 130 };
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
  assert.deepEqual(kinds(sys), ['pipe', 'pipe', 'spawn', 'spawn', 'spawn', 'foreground', 'wait', 'wait', 'wait', 'foreground']);
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
  await sh.runLine('false && echo no; true && echo yes1; false || echo yes2; true || echo no');
  assert.deepEqual(spawned(sys), ['false', 'true', 'echo yes1', 'false', 'echo yes2', 'true']);
});

test('a || b && c runs c after b succeeds', async () => {
  const sys = fakeSys({ commands: ok });
  await new Shell({ sys }).runLine('false || true && echo c');
  assert.deepEqual(spawned(sys), ['false', 'true', 'echo c']);
});

test('$? is the last status; ! negates it', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('false; echo $?; true; echo $?');
  assert.deepEqual(spawned(sys).filter((s) => s.startsWith('echo')), ['echo 1', 'echo 0']);
  assert.equal(await sh.runLine('! false'), 0);
  assert.equal(await sh.runLine('! true'), 1);
});

test('command not found prints a message and is status 127', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  assert.equal(await sh.runLine('nosuch arg'), 127);
  assert.equal(sys.err(), 'sh: nosuch: command not found\n');
  assert.ok(!kinds(sys).includes('foreground'), 'nothing to put in the foreground');
  await sh.runLine('echo $?');
  assert.deepEqual(spawned(sys).pop(), 'echo 127');
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
  await sh.runLine('cd /tmp; cat < in > out; echo hi >> /tmp/log 2>&1; ls 2>err');
  const opts = sys.calls.filter((c) => c[0] === 'spawn').map((c) => [c[2].stdin, c[2].stdout, c[2].stderr]);
  assert.deepEqual(opts, [
    [{ file: '/tmp/in' }, { file: '/tmp/out', append: false }, 'inherit'],
    ['inherit', { file: '/tmp/log', append: true }, { file: '/tmp/log', append: true }],
    ['inherit', 'inherit', { file: '/tmp/err', append: false }],
  ]);
});

test('>&2 and 2>&1 onto an inherited stream name the stream of that number', async () => {
  const sys = fakeSys({ commands: ok });
  await new Shell({ sys }).runLine('echo oops >&2; ls 2>&1');
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

test('a builtin inside a pipeline is refused for now', async () => {
  const sys = fakeSys({ commands: ok });
  assert.equal(await new Shell({ sys }).runLine('pwd | wc'), 1);
  assert.ok(/builtin/.test(sys.err()));
  assert.deepEqual(spawned(sys), []);
});

test('assignments set shell variables; export puts them in children env', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('A=1 B="x y"; echo $A "$B"');
  assert.deepEqual(sys.calls[0][1], ['echo', '1', 'x y']);
  assert.equal(sys.calls[0][2].env.A, undefined); // not exported
  await sh.runLine('export A; export C=$B; ls');
  assert.deepEqual(sys.calls[sys.calls.length - 4][2].env, { PATH: '/bin', HOME: '/tmp', A: '1', C: 'x y' });
  assert.equal(await sh.runLine('export 1x=2'), 1);
});

test('NAME=value before a command is for that command only', async () => {
  const sys = fakeSys({ commands: ok });
  const sh = new Shell({ sys });
  await sh.runLine('D=4 ls; echo $D');
  assert.equal(sys.calls[0][2].env.D, '4');
  assert.deepEqual(spawned(sys)[1], 'echo');
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

test('background jobs are refused, the rest of the line runs', async () => {
  const sys = fakeSys({ commands: ok });
  await new Shell({ sys }).runLine('sleep 1 & ls');
  assert.deepEqual(spawned(sys), ['ls']);
  assert.equal(sys.err(), 'sh: background jobs are not supported yet\n');
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

async function runSh(argv, sys) {
  globalThis.sys = sys;
  try {
    return await require('/bin/sh')(argv);
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

test('sh: exit N ends the loop with N', async () => {
  const sys = fakeSys({ commands: ok, input: ['exit 4\n', 'ls\n'] });
  assert.equal(await runSh(['sh'], sys), 4);
  assert.deepEqual(spawned(sys), []);
});

test('sh: an open quote continues with the > prompt', async () => {
  const sys = fakeSys({ commands: ok, input: ['echo "a\n', 'b"\n'] });
  await runSh(['sh'], sys);
  assert.deepEqual(sys.calls[0][1], ['echo', 'a\nb']);
  assert.equal(sys.out(), 'jsksh:/$ > jsksh:/$ \n');
});

test('sh: input in arbitrary chunks is split into lines', async () => {
  const sys = fakeSys({ commands: ok, input: ['ls; ec', 'ho 1\nwc\nca', 't'] });
  await runSh(['sh'], sys);
  assert.deepEqual(spawned(sys), ['ls', 'echo 1', 'wc', 'cat']);
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
