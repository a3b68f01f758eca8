// Unit tests for fs/lib/shell/warm-up.js, and for apps/sh.js's use of it:
// a session shell that waits for a line warms its interpreter in a scratch
// shell, in slices, with nothing a person could see (no output, no program,
// no variable of theirs), and stops as soon as the line is there.
const { warmUp, TURNS } = require('/lib/shell/warm-up');

// A kernel that records what is asked of it. sleep(ms) is answered at once,
// except a sleep of `idleMs`, which waits for idle() (the second that passes
// while nobody types). session.next hands out `lines` one at a time, each
// when the test calls give(); spawning anything fails the test.
function fakeSys({ lines = [] } = {}) {
  const calls = [];
  const out = [];
  let giveNext = null;
  let idle = null;
  const sys = {
    pid: 7,
    cwd: '/',
    env: { HOME: '/tmp' },
    calls,
    out: () => out.join(''),
    stdout: { isTTY: false, write: (s) => out.push(s) },
    stderr: { isTTY: false, write: (s) => out.push(s) },
    stdin: { isTTY: false, read: async () => null, setCompleter() {} },
    fs: {},
    proc: {
      spawn() {
        throw new Error('the warm-up started a program');
      },
    },
    sleep(ms) {
      calls.push(['sleep', ms]);
      if (ms === 0) return Promise.resolve();
      return new Promise((resolve) => (idle = resolve));
    },
    call(name) {
      calls.push([name]);
      if (name !== 'session.next') return new Promise(() => {});
      return new Promise((resolve) => (giveNext = () => resolve({ line: lines.shift(), interactive: true })));
    },
    idle: () => idle(),
    give: () => giveNext(),
    slices: () => calls.filter((c) => c[0] === 'sleep' && c[1] === 0).length,
  };
  return sys;
}

// Lets every promise that can settle now settle.
async function settle(rounds = 50) {
  for (let i = 0; i < rounds; i++) await null;
}

test('sh --session warms up after a second without a line, and stops when the line comes', async () => {
  const sys = fakeSys({ lines: ['printf "[%s|%s]\\n" "$i" "$n"', 'exit 4'] });
  const ended = runSession(sys);
  await settle();
  assert.deepEqual(sys.calls, [['session.next'], ['sleep', 1000]], 'waiting: a timer for the second, nothing else');
  sys.idle(); // the second went by
  await settle(8);
  const before = sys.slices();
  assert.ok(before > 0, 'slices ran');
  sys.give(); // the line
  await settle();
  assert.ok(sys.slices() <= before + 1, 'at most the slice under way when it came');
  assert.equal(sys.out(), '[|]\n', "the scratch shell's variables are its own, its output goes nowhere");
  sys.give(); // exit 4
  assert.equal(await ended, 4);
  assert.ok(!sys.calls.some((c) => c[0] !== 'sleep' && c[0] !== 'session.next'), 'no other kernel call');
});

test('warmUp goes on from where it stopped, once done never again', async () => {
  const sys = fakeSys();
  let waiting = 3;
  assert.equal(await warmUp(() => waiting-- > 0, sys), false, 'stopped before the end');
  assert.equal(sys.slices(), 3, 'one pause after each slice');
  assert.equal(await warmUp(() => true, sys), true, 'done');
  // A slice is 300 turns or 6, and TURNS in all: about TURNS / 150 slices.
  const pauses = sys.slices();
  assert.ok(pauses > TURNS / 300 && pauses < TURNS / 100, `${pauses} pauses`);
  assert.equal(sys.out(), '', 'what the scratch shell writes goes nowhere');
  assert.ok(sys.calls.every((c) => c[0] === 'sleep'), 'no kernel call but the pauses');
  assert.equal(await warmUp(() => true, sys), true, 'once done, never again');
  assert.equal(sys.slices(), pauses);
});

// Runs apps/sh.js as `sh --session` over the fake kernel; its exit status.
async function runSession(sys) {
  globalThis.sys = sys;
  const exit = {};
  sys.exit = (status) => {
    throw Object.assign(exit, { status });
  };
  try {
    return await require('/bin/sh')(['sh', '--session']);
  } catch (e) {
    if (e !== exit) throw e;
    return exit.status;
  }
}
