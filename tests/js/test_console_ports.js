// Unit tests for kernel/tty/console-ports.js: which console port carries
// what, input held until its consumer is ready, and what ^C does. The
// console driver is a fake that records writes and PORT_OPENs; the test calls
// the callbacks the module sets on it (onData, onPortName, ...) as the real
// driver would. The terminal is the real Tty; the structured port is a fake
// that records its input.
const { ConsolePorts, SHELL_PORT } = require('/kernel/tty/console-ports');
const { Tty } = require('/kernel/tty/tty');

const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (u8) => String.fromCharCode(...u8);
const settle = async () => {
  for (let i = 0; i < 4; i++) await null;
};

function fakeConsole() {
  const cons = { writes: [], opened: [], rooms: { 0: 1000, 1: 2000 } };
  cons.write = (id, bytes) => cons.writes.push([id, latin1(bytes)]);
  cons.room = (id) => cons.rooms[id];
  cons.openPort = (id, open = true) => cons.opened.push([id, open]);
  return cons;
}

function fakeShellPort(io) {
  return { io, inputs: [], disconnects: 0, cutShort: false, input(b) { this.inputs.push(latin1(b)); }, disconnected() { this.disconnects++; } };
}

// processes: pid -> {state, interactive}; killed records kill(pid, signal).
function setup({ processes = {} } = {}) {
  const cons = fakeConsole();
  const tty = new Tty({ writeBytes: (b) => cons.write(0, b), room: () => cons.room(0) });
  const killed = [];
  const ports = new ConsolePorts({
    console: cons,
    tty,
    findProcess: (pid) => processes[pid],
    kill: (pid, signal) => killed.push([pid, signal]),
  });
  const shell = ports.startShellPort(fakeShellPort);
  return { cons, tty, ports, shell, killed };
}

// The machine's port 1, added and named as the device does it.
function nameShellPort(env, id = 1) {
  env.cons.onPortAdded({ id });
  env.cons.onPortName(id, SHELL_PORT);
}

function reading(tty, pid) {
  const r = { done: false, value: undefined };
  tty.read({ pid }).then((v) => Object.assign(r, { done: true, value: v }));
  return r;
}

// --- port 0: the terminal ---------------------------------------------------------------

test('input for port 0 reaches the tty: echoed on port 0 and read by the foreground process', async () => {
  const env = setup();
  env.tty.setForeground([5]);
  const r = reading(env.tty, 5);
  env.cons.onData(0, ascii('ls\r'));
  await settle();
  assert.deepEqual(r, { done: true, value: 'ls\n' });
  assert.deepEqual(env.cons.writes, [[0, 'ls\r\n']]); // the echo
  assert.deepEqual(env.shell.inputs, []);
});

test('a resize of port 0 sets the terminal size; zeros and other ports change nothing', () => {
  const env = setup();
  env.cons.onResize(0, 132, 43);
  assert.deepEqual([env.tty.columns, env.tty.rows], [132, 43]);
  env.cons.onResize(0, 0, 0);
  env.cons.onResize(1, 100, 30);
  assert.deepEqual([env.tty.columns, env.tty.rows], [132, 43]);
});

// --- the structured port: held until ready ----------------------------------------------

test('input for the structured port before it is ready is held, then delivered in order', () => {
  const env = setup();
  nameShellPort(env);
  env.cons.onData(1, ascii('{"t":"hello"}\n'));
  env.cons.onData(1, ascii('{"t":"run","id":1,'));
  env.cons.onData(1, ascii('"line":"ls"}\n'));
  assert.deepEqual(env.shell.inputs, []);
  env.ports.shellPortReady();
  assert.deepEqual(env.shell.inputs, ['{"t":"hello"}\n', '{"t":"run","id":1,', '"line":"ls"}\n']);
  env.cons.onData(1, ascii('{"t":"status"}\n')); // once ready, input goes straight in
  assert.equal(env.shell.inputs.length, 4);
  assert.equal(env.shell.inputs[3], '{"t":"status"}\n');
});

test('held input is a copy: the driver may reuse its buffer', () => {
  const env = setup();
  nameShellPort(env);
  const buf = ascii('abc');
  env.cons.onData(1, buf);
  buf.set(ascii('xyz'));
  env.ports.shellPortReady();
  assert.deepEqual(env.shell.inputs, ['abc']);
});

test('input that arrives before the port has a name waits for the name, ahead of later input', () => {
  const env = setup();
  env.ports.shellPortReady();
  env.cons.onPortAdded({ id: 1 });
  env.cons.onData(1, ascii('one '));
  env.cons.onData(1, ascii('two '));
  assert.deepEqual(env.shell.inputs, []);
  env.cons.onPortName(1, SHELL_PORT);
  env.cons.onData(1, ascii('three'));
  assert.deepEqual(env.shell.inputs, ['one ', 'two ', 'three']);
});

test('unnamed early input still waits for readiness once the name comes', () => {
  const env = setup();
  env.cons.onData(1, ascii('early'));
  env.cons.onPortName(1, SHELL_PORT);
  env.cons.onData(1, ascii(' named'));
  assert.deepEqual(env.shell.inputs, []);
  env.ports.shellPortReady();
  assert.deepEqual(env.shell.inputs, ['early', ' named']);
});

test('input on a port with another name goes nowhere', () => {
  const env = setup();
  env.ports.shellPortReady();
  env.cons.onData(2, ascii('before'));
  env.cons.onPortName(2, 'org.example.other');
  env.cons.onData(2, ascii('after'));
  assert.deepEqual(env.shell.inputs, []);
  assert.deepEqual(env.cons.writes, []);
});

// --- ports added and removed ----------------------------------------------------------

test('a port the device adds is opened from the guest side', () => {
  const env = setup();
  env.cons.onPortAdded({ id: 0 });
  env.cons.onPortAdded({ id: 1 });
  assert.deepEqual(env.cons.opened, [[0, true], [1, true]]);
});

test('a removed port forgets its name: its input waits until it is named again', () => {
  const env = setup();
  env.ports.shellPortReady();
  nameShellPort(env);
  env.cons.onData(1, ascii('a'));
  env.cons.onPortRemoved({ id: 1 });
  env.cons.onPortAdded({ id: 1 });
  env.cons.onData(1, ascii('b'));
  assert.deepEqual(env.shell.inputs, ['a']);
  env.cons.onPortName(1, SHELL_PORT);
  assert.deepEqual(env.shell.inputs, ['a', 'b']);
  assert.deepEqual(env.cons.opened, [[1, true], [1, true]]);
});

// --- output and drain waiters ---------------------------------------------------------

test('the structured port writes to port 1 and asks port 1 for room', () => {
  const env = setup();
  env.shell.io.write(ascii('{"t":"hello"}\n'));
  assert.deepEqual(env.cons.writes, [[1, '{"t":"hello"}\n']]);
  assert.equal(env.shell.io.room(), 2000);
  assert.equal(env.tty.room(), 1000);
});

test('a drain of port 0 wakes the tty\'s writers; a drain of another port wakes the structured port\'s', () => {
  const env = setup();
  const woke = [];
  env.tty.whenRoom(() => woke.push('tty'));
  env.shell.io.whenRoom(() => woke.push('port a'));
  env.shell.io.whenRoom(() => woke.push('port b'));
  env.cons.onDrain(0);
  assert.deepEqual(woke, ['tty']);
  env.cons.onDrain(1);
  assert.deepEqual(woke, ['tty', 'port a', 'port b']);
  env.cons.onDrain(1); // each waiter is called once
  env.cons.onDrain(0);
  assert.deepEqual(woke, ['tty', 'port a', 'port b']);
});

// --- the structured port's clients ----------------------------------------------------

test('a client leaving the structured port is a disconnect; other ports\' clients are not', () => {
  const env = setup();
  nameShellPort(env);
  env.cons.onHostOpen(0, false);
  env.cons.onHostOpen(1, true);
  assert.equal(env.shell.disconnects, 0);
  env.cons.onHostOpen(1, false);
  assert.equal(env.shell.disconnects, 1);
});

test('a new client after a binary one was cut short gets a newline first; otherwise nothing', () => {
  const env = setup();
  nameShellPort(env);
  env.cons.onHostOpen(1, true);
  assert.deepEqual(env.cons.writes, []);
  env.shell.cutShort = true;
  env.cons.onHostOpen(1, true);
  assert.deepEqual(env.cons.writes, [[1, '\n']]);
});

// --- ^C ------------------------------------------------------------------------------

test('^C on port 0 interrupts the foreground job: INT to programs, an interactive shell redraws', async () => {
  const env = setup({
    processes: {
      1: { state: 'S', interactive: true }, // the shell
      7: { state: 'R', interactive: false }, // a pipeline's two stages
      8: { state: 'R', interactive: false },
      9: { state: 'Z', interactive: false }, // already exited
      20: { state: 'R', interactive: false }, // in the background
    },
  });
  env.tty.setForeground([1, 7, 8, 9, 404]);
  const shellRead = reading(env.tty, 1);
  env.cons.onData(0, Uint8Array.of(0x03));
  await settle();
  assert.deepEqual(env.killed, [[7, 'INT'], [8, 'INT']]);
  assert.deepEqual(shellRead, { done: true, value: '' });
});

test('^C on the structured port is just a byte for it, not an interrupt', () => {
  const env = setup({ processes: { 7: { state: 'R', interactive: false } } });
  env.tty.setForeground([7]);
  nameShellPort(env);
  env.ports.shellPortReady();
  env.cons.onData(1, Uint8Array.of(0x03));
  assert.deepEqual(env.killed, []);
  assert.deepEqual(env.shell.inputs, ['\x03']);
});
