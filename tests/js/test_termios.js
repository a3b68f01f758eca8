// Unit tests for kernel/tty/termios.js, a terminal's mode and window, and for
// the console's tty in each mode (kernel/tty/tty.js): setMode sets the whole
// mode with termios' defaults, the mode has an owner whose exit puts the
// terminal back to canonical, a raw read takes every key waiting, unedited,
// and a resize is told to the processes watching. The console is a fake that
// records what was written back to it.
const { Termios, parseMode, CANONICAL } = require('/kernel/tty/termios');
const { Tty } = require('/kernel/tty/tty');

const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (u8) => String.fromCharCode(...u8);
const settle = async () => {
  for (let i = 0; i < 4; i++) await null;
};

function setup() {
  const writes = [];
  const sent = [];
  const env = { writes, sent, interrupts: 0 };
  env.tty = new Tty({
    writeBytes: (b) => writes.push(latin1(b)),
    onInterrupt: () => env.interrupts++,
    notify: (pid, msg) => sent.push([pid, msg]),
  });
  env.screen = () => writes.join('');
  env.tty.setForeground([5]);
  return env;
}

const proc = (pid) => ({ pid, name: 'edit' });
function reading(tty, p) {
  const r = { done: false, value: undefined };
  tty.read(p).then((v) => Object.assign(r, { done: true, value: v }));
  return r;
}

// --- parseMode: tcsetattr sets the whole mode -------------------------------------------

test('a mode not given is the canonical one; raw alone means no echo and Ctrl-C still interrupts', () => {
  assert.deepEqual(parseMode({}), CANONICAL);
  assert.deepEqual(parseMode(undefined), { raw: false, echo: true, signals: true });
  assert.deepEqual(parseMode({ raw: true }), { raw: true, echo: false, signals: true });
  assert.deepEqual(parseMode({ raw: true, echo: true, signals: false }), { raw: true, echo: true, signals: false });
  assert.deepEqual(parseMode({ echo: false }), { raw: false, echo: false, signals: true });
});

test('an unknown setting or a value that is not a boolean is EINVAL', () => {
  assert.throws(() => parseMode({ raw: 1 }), /raw must be true or false/);
  assert.throws(() => parseMode({ icanon: false }), /unknown setting 'icanon'/);
  try {
    parseMode({ echo: 'no' });
  } catch (e) {
    assert.equal(e.code, 'EINVAL');
  }
});

// --- Termios: owner and restore -----------------------------------------------------------

test('setMode returns the mode it replaced and applies only a change', () => {
  const applied = [];
  const t = new Termios({ apply: (mode) => applied.push(mode) });
  assert.deepEqual(t.setMode(parseMode({ raw: true }), 7), CANONICAL);
  assert.deepEqual(t.setMode(parseMode({ raw: true }), 7), { raw: true, echo: false, signals: true });
  assert.deepEqual(applied, [{ raw: true, echo: false, signals: true }]);
  assert.equal(t.owner, 7);
});

test('the owner exiting puts the terminal back to canonical; another process exiting does not', () => {
  const applied = [];
  const t = new Termios({ apply: (mode) => applied.push(mode) });
  t.setMode(parseMode({ raw: true, signals: false }), 7);
  t.processExited(8);
  assert.ok(t.isRaw());
  t.processExited(7);
  assert.deepEqual(t.getMode(), CANONICAL);
  assert.equal(t.owner, 0);
  assert.deepEqual(applied[applied.length - 1], CANONICAL);
});

test('an owner that sets the canonical mode again gives it up: its exit later changes nothing', () => {
  const applied = [];
  const t = new Termios({ apply: (mode) => applied.push(mode) });
  t.setMode(parseMode({ raw: true }), 7);
  t.setMode(parseMode({}), 7);
  t.setMode(parseMode({ raw: true }), 9); // the next program's
  t.processExited(7);
  assert.ok(t.isRaw(), 'the mode is 9\'s now');
  assert.equal(applied.length, 3);
});

test('watchers hear of a resize once per change, and not after they exit', () => {
  const sent = [];
  const t = new Termios({ send: (pid, msg) => sent.push([pid, msg]) });
  assert.deepEqual(t.watchSize(3), { columns: 80, rows: 24 });
  t.resize(100, 30);
  t.resize(100, 30);
  t.resize(0, 30); // not a size
  t.processExited(3);
  t.resize(120, 40);
  assert.deepEqual(sent, [[3, { t: 'resize', columns: 100, rows: 30 }]]);
  assert.deepEqual(t.size(), { columns: 120, rows: 40 });
});

// --- the console's tty in raw mode --------------------------------------------------------

test('raw: a read gets the keys as they come, escape sequences and all, with no echo', async () => {
  const env = setup();
  env.tty.setMode(proc(5), parseMode({ raw: true }));
  const r = reading(env.tty, proc(5));
  env.tty.input(ascii('\x1b[Ax'));
  await settle();
  assert.deepEqual(r, { done: true, value: '\x1b[Ax' });
  assert.equal(env.screen(), '', 'no echo');
});

test('raw: keys typed before the read are all in it, in one piece', async () => {
  const env = setup();
  env.tty.setMode(proc(5), parseMode({ raw: true }));
  env.tty.input(ascii('ab'));
  env.tty.input(ascii('\x7f'));
  env.tty.input(ascii('\r'));
  const r = reading(env.tty, proc(5));
  await settle();
  assert.equal(r.value, 'ab\x7f\r');
});

test('raw: Ctrl-C still interrupts with signals on; with signals off it is a byte', async () => {
  const env = setup();
  env.tty.setMode(proc(5), parseMode({ raw: true }));
  env.tty.input(ascii('\x03'));
  assert.equal(env.interrupts, 1);
  env.tty.setMode(proc(5), parseMode({ raw: true, signals: false }));
  const r = reading(env.tty, proc(5));
  env.tty.input(ascii('\x03q'));
  await settle();
  assert.equal(env.interrupts, 1);
  assert.equal(r.value, '\x03q');
});

test('going raw hands over a half-typed line as input', async () => {
  const env = setup();
  env.tty.input(ascii('to'));
  env.tty.setMode(proc(5), parseMode({ raw: true }));
  const r = reading(env.tty, proc(5));
  await settle();
  assert.equal(r.value, 'to');
});

test('the raw process exiting gives the terminal back its line editing', async () => {
  const env = setup();
  env.tty.setMode(proc(5), parseMode({ raw: true }));
  env.tty.processExited(proc(5));
  assert.deepEqual(env.tty.getMode(), CANONICAL);
  env.tty.setForeground([6]);
  const r = reading(env.tty, proc(6));
  env.tty.input(ascii('lx\x7fs\r'));
  await settle();
  assert.equal(r.value, 'ls\n', 'Backspace edited the line');
  assert.equal(env.screen(), 'ls\r\n', 'and echoed as edited');
});

test('canonical with echo off (a password): the line is edited and read, nothing is shown', async () => {
  const env = setup();
  env.tty.setMode(proc(5), parseMode({ echo: false }));
  const r = reading(env.tty, proc(5));
  env.tty.input(ascii('pw\r'));
  await settle();
  assert.equal(r.value, 'pw\n');
  assert.equal(env.screen(), '');
});

test('the console resizing tells the watching process, and the size is the new one', () => {
  const env = setup();
  env.tty.watchSize(proc(5));
  env.tty.resize(132, 43);
  assert.deepEqual(env.sent, [[5, { t: 'resize', columns: 132, rows: 43 }]]);
  assert.deepEqual(env.tty.size(), { columns: 132, rows: 43 });
  assert.equal(env.tty.columns, 132);
});
