// Unit tests for kernel/tty/tty.js, the terminal on the console port: output
// post-processing (termios ONLCR: LF becomes CR LF, but never after a CR that
// is already there, even one that ended the previous chunk), input through
// the line discipline to the foreground job's reads only, Ctrl-C and Ctrl-D,
// and the room()/whenRoom()/drained() handshake that keeps the console's
// pump from dropping bytes. The console is a fake: writeBytes records each
// write as it arrived, so the tests see chunk boundaries too.
const { Tty } = require('/kernel/tty/tty');
const { utf8Encode } = require('/kernel/lib/utf8');

const bytes = (...b) => Uint8Array.from(b);
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (u8) => String.fromCharCode(...u8);
function utf8(s) {
  const out = new Uint8Array(s.length * 3);
  return out.slice(0, utf8Encode(s, out, 0));
}

function setup({ room } = {}) {
  const writes = []; // each writeBytes call, copied
  const env = { writes, interrupts: 0 };
  env.tty = new Tty({
    writeBytes: (b) => writes.push(Uint8Array.from(b)),
    onInterrupt: () => env.interrupts++,
    room,
  });
  // Everything written so far, as one string of byte values.
  env.screen = () => writes.map(latin1).join('');
  env.clear = () => void writes.splice(0);
  return env;
}

// A process as the tty sees one, and a read whose result the test can look at.
const proc = (pid) => ({ pid });
function reading(tty, p) {
  const r = { done: false, value: undefined };
  tty.read(p).then((v) => Object.assign(r, { done: true, value: v }));
  return r;
}
// Lets promise callbacks run.
const settle = async () => {
  for (let i = 0; i < 4; i++) await null;
};

// --- output: ONLCR ------------------------------------------------------------

test('writeOutput turns each LF into CR LF', () => {
  const env = setup();
  env.tty.writeOutput(ascii('one\ntwo\n\nthree'));
  assert.equal(env.screen(), 'one\r\ntwo\r\n\r\nthree');
});

test('writeOutput adds nothing to an LF that already has its CR', () => {
  const env = setup();
  env.tty.writeOutput(ascii('a\r\nb\r\n'));
  assert.equal(env.screen(), 'a\r\nb\r\n');
  env.tty.writeOutput(ascii('\r\r\n\n'));
  assert.equal(env.screen(), 'a\r\nb\r\n\r\r\n\r\n');
});

test('writeOutput with no LF passes the bytes through as they are', () => {
  const env = setup();
  const data = bytes(0x61, 0x0d, 0x00, 0xff, 0x1b, 0x5b, 0x41);
  env.tty.writeOutput(data);
  assert.deepEqual(env.writes, [data]);
});

test('a CR that ended the previous chunk counts: no CR is added to an LF that starts the next', () => {
  const env = setup();
  env.tty.writeOutput(ascii('x\r'));
  env.tty.writeOutput(ascii('\ny'));
  assert.equal(env.screen(), 'x\r\ny');
  assert.deepEqual(env.writes.map(latin1), ['x\r', '\ny']);
});

test('an LF that starts a chunk after anything but a CR gets its CR', () => {
  const env = setup();
  env.tty.writeOutput(ascii('a\n'));
  env.tty.writeOutput(ascii('\nb'));
  env.tty.writeOutput(ascii('c'));
  env.tty.writeOutput(ascii('\n'));
  assert.deepEqual(env.writes.map(latin1), ['a\r\n', '\r\nb', 'c', '\r\n']);
});

test('an empty chunk between the CR and the LF changes nothing', () => {
  const env = setup();
  env.tty.writeOutput(ascii('x\r'));
  env.tty.writeOutput(new Uint8Array(0));
  env.tty.writeOutput(ascii('\n'));
  assert.equal(env.screen(), 'x\r\n');
});

test('the very first LF on a fresh terminal gets a CR', () => {
  const env = setup();
  env.tty.writeOutput(ascii('\n'));
  assert.equal(env.screen(), '\r\n');
});

test('every split of CR LF text between two chunks gives the same screen', () => {
  const text = ascii('a\r\nb\nc\r\r\n\n');
  const expected = 'a\r\nb\r\nc\r\r\n\r\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const env = setup();
    env.tty.writeOutput(text.subarray(0, cut));
    env.tty.writeOutput(text.subarray(cut));
    assert.equal(env.screen(), expected, `cut at ${cut}`);
  }
});

test('write(text) is UTF-8 with LF as CR LF, and leaves CR LF alone', () => {
  const env = setup();
  env.tty.write('é\n€ 😀\r\nend');
  assert.deepEqual(env.writes, [utf8('é\r\n€ 😀\r\nend')]);
  env.clear();
  env.tty.write('');
  assert.deepEqual(env.writes, []); // nothing written for no text
  env.tty.write(42);
  assert.equal(env.screen(), '42');
});

test('text the terminal itself wrote ending in CR counts for the next program output', () => {
  const env = setup();
  env.tty.write('progress 50%\r');
  env.tty.writeOutput(ascii('\ndone\n'));
  assert.equal(env.screen(), 'progress 50%\r\ndone\r\n');
});

// --- input: the line discipline, foreground readers ------------------------------

test('a typed line is echoed and read by the foreground process', async () => {
  const env = setup();
  const sh = proc(1);
  env.tty.setForeground([1]);
  const r = reading(env.tty, sh);
  env.tty.input(utf8('ls -l'));
  await settle();
  assert.equal(r.done, false); // not before Enter
  env.tty.input(bytes(0x0d));
  await settle();
  assert.deepEqual(r, { done: true, value: 'ls -l\n' });
  assert.equal(env.screen(), 'ls -l\r\n');
});

test('lines typed ahead wait for reads, in order', async () => {
  const env = setup();
  env.tty.setForeground([1]);
  env.tty.input(utf8('one\rtwo\r'));
  const a = reading(env.tty, proc(1));
  const b = reading(env.tty, proc(1));
  const c = reading(env.tty, proc(1));
  await settle();
  assert.deepEqual([a.value, b.value, c.done], ['one\n', 'two\n', false]);
});

test('Ctrl-C flushes the lines typed ahead and not yet read (ISIG without NOFLSH)', async () => {
  const env = setup();
  env.tty.setForeground([1]);
  env.tty.input(utf8("echo 'open\rif true\r\x03"));
  assert.equal(env.interrupts, 1);
  env.tty.input(utf8('after\r'));
  const a = reading(env.tty, proc(1));
  await settle();
  assert.deepEqual(a, { done: true, value: 'after\n' });
});

test('a background reader waits; the foreground one gets the line', async () => {
  const env = setup();
  const bg = reading(env.tty, proc(7)); // first in line, but not in the foreground
  const fg = reading(env.tty, proc(1));
  env.tty.setForeground([1]);
  env.tty.input(utf8('hi\r'));
  await settle();
  assert.deepEqual(fg, { done: true, value: 'hi\n' });
  assert.equal(bg.done, false);
  // Nobody in the foreground is reading: the next line waits for one.
  env.tty.input(utf8('later\r'));
  await settle();
  assert.equal(bg.done, false);
  env.tty.setForeground([7]); // `fg` brings job 7 forward: it gets the waiting line
  await settle();
  assert.deepEqual(bg, { done: true, value: 'later\n' });
});

test('with several foreground processes, lines go to readers in the order they asked', async () => {
  const env = setup();
  env.tty.setForeground([3, 4]);
  const r4 = reading(env.tty, proc(4));
  const r3 = reading(env.tty, proc(3));
  env.tty.input(utf8('first\rsecond\r'));
  await settle();
  assert.deepEqual([r4.value, r3.value], ['first\n', 'second\n']);
});

test('wakeReaders gives those processes an empty read, and only them', async () => {
  const env = setup();
  env.tty.setForeground([1]);
  const sh = reading(env.tty, proc(1));
  const other = reading(env.tty, proc(2));
  env.tty.wakeReaders(new Set([1]));
  await settle();
  assert.deepEqual(sh, { done: true, value: '' });
  assert.equal(other.done, false);
  // The woken read is gone: the next line goes to the next read.
  const again = reading(env.tty, proc(1));
  env.tty.input(utf8('x\r'));
  await settle();
  assert.equal(again.value, 'x\n');
});

test('dropReader forgets a read: its process gets no line', async () => {
  const env = setup();
  env.tty.setForeground([1, 2]);
  const p1 = proc(1);
  const gone = reading(env.tty, p1);
  const stays = reading(env.tty, proc(2));
  env.tty.dropReader(p1);
  env.tty.input(utf8('for two\r'));
  await settle();
  assert.equal(gone.done, false);
  assert.deepEqual(stays, { done: true, value: 'for two\n' });
});

test('Ctrl-C calls the interrupt callback once, echoes ^C and delivers no line', async () => {
  const env = setup();
  env.tty.setForeground([1]);
  const r = reading(env.tty, proc(1));
  env.tty.input(utf8('sleep 10'));
  env.tty.input(bytes(0x03));
  await settle();
  assert.equal(env.interrupts, 1);
  assert.equal(r.done, false);
  assert.ok(env.screen().endsWith('^C\r\n'), JSON.stringify(env.screen()));
  // The half-typed line was thrown away.
  env.tty.input(utf8('ok\r'));
  await settle();
  assert.equal(r.value, 'ok\n');
});

test('Ctrl-D on an empty line is end of file: the read resolves null', async () => {
  const env = setup();
  env.tty.setForeground([1]);
  const r = reading(env.tty, proc(1));
  env.tty.input(bytes(0x04));
  await settle();
  assert.deepEqual(r, { done: true, value: null });
  assert.equal(env.interrupts, 0);
});

test('Ctrl-D after some text delivers the text without a newline, a second one is end of file', async () => {
  const env = setup();
  env.tty.setForeground([1]);
  env.tty.input(utf8('abc'));
  env.tty.input(bytes(0x04));
  env.tty.input(bytes(0x04));
  const a = reading(env.tty, proc(1));
  const b = reading(env.tty, proc(1));
  await settle();
  assert.deepEqual([a.value, b.value], ['abc', null]);
});

// --- room, whenRoom, drained ----------------------------------------------------

test('room() is what the console says; Infinity when it says nothing', () => {
  let free = 4096;
  assert.equal(setup({ room: () => free }).tty.room(), 4096);
  const env = setup({ room: () => free });
  free = 0;
  assert.equal(env.tty.room(), 0);
  assert.equal(setup().tty.room(), Infinity);
});

test('drained() calls each whenRoom waiter once', () => {
  const env = setup();
  const calls = [];
  env.tty.whenRoom(() => calls.push('a'));
  env.tty.whenRoom(() => calls.push('b'));
  assert.deepEqual(calls, []); // nothing until the console drains
  env.tty.drained();
  assert.deepEqual(calls, ['a', 'b']);
  env.tty.drained();
  assert.deepEqual(calls, ['a', 'b']); // not twice
});

test('a waiter that asks again from inside drained() waits for the next drain', () => {
  const env = setup();
  let calls = 0;
  const waiter = () => {
    calls++;
    if (calls < 3) env.tty.whenRoom(waiter);
  };
  env.tty.whenRoom(waiter);
  env.tty.drained();
  assert.equal(calls, 1);
  env.tty.drained();
  assert.equal(calls, 2);
  env.tty.drained();
  env.tty.drained();
  assert.equal(calls, 3);
});

// --- line editing: history per program, Tab answered by the reader ----------------
// The tty asks through kernel/proc/ask.js; here its messages are recorded and
// time is a manual clock, so the one-second timeout happens when told to.
const { Asks } = require('/kernel/proc/ask');
const { ManualClock } = require('/tests/lib/manual-clock');

function editing() {
  const clock = new ManualClock();
  const sent = []; // [pid, message]
  const asks = new Asks({ send: (pid, text) => sent.push([pid, JSON.parse(text)]), timers: clock.timers });
  const writes = [];
  const tty = new Tty({ writeBytes: (b) => writes.push(Uint8Array.from(b)), onInterrupt: () => {}, asks });
  const screen = () => writes.map(latin1).join(''); // the echo here is ASCII
  return { tty, clock, sent, asks, writes, clear: () => void writes.splice(0), screen };
}
const named = (pid, name) => ({ pid, name, state: 'R' });
const answering = (tty, p) => {
  const r = { done: false, value: undefined };
  tty.read(p, { answers: true }).then((v) => Object.assign(r, { done: true, value: v }));
  return r;
};

test('Up recalls the lines the same program read before, not another program\'s', async () => {
  const env = editing();
  const sh = named(1, 'sh');
  const repl = named(2, 'eval');
  env.tty.setForeground([1]);
  reading(env.tty, sh);
  env.tty.input(utf8('echo one\r'));
  reading(env.tty, sh);
  env.tty.input(utf8('echo two\r'));
  // eval runs in the foreground and reads: its history is empty.
  env.tty.setForeground([2]);
  const r = reading(env.tty, repl);
  env.clear();
  env.tty.input(utf8('\x1b[A'));
  assert.equal(env.screen(), '\x07');
  env.tty.input(utf8('1+1\r'));
  await settle();
  assert.equal(r.value, '1+1\n');
  // Back to the shell: Up Up gives its first line, Enter reads it again.
  env.tty.setForeground([1]);
  const again = reading(env.tty, sh);
  env.clear();
  env.tty.input(utf8('\x1b[A\x1b[A\r'));
  await settle();
  assert.equal(again.value, 'echo one\n');
  assert.equal(env.screen(), 'echo one\r\n'); // one chunk, one redraw
});

test('the histories are per program name and live as long as the tty (a reboot makes a new one)', async () => {
  const env = editing();
  env.tty.setForeground([1, 3]);
  reading(env.tty, named(1, 'sh'));
  env.tty.input(utf8('ls\r'));
  // Another process of the same program (a new shell after exit) gets the same history.
  reading(env.tty, named(3, 'sh'));
  env.clear();
  env.tty.input(utf8('\x1b[A'));
  assert.equal(env.screen(), 'ls');
  assert.deepEqual([...env.tty.histories.keys()], ['sh']);
});

test('Tab with a reader that answers asks it, with the line and the cursor, and inserts the answer', async () => {
  const env = editing();
  const sh = named(1, 'sh');
  env.tty.setForeground([1]);
  const r = answering(env.tty, sh);
  env.tty.input(utf8('ec\t'));
  assert.deepEqual(env.sent, [[1, { t: 'ask', ref: 1, kind: 'complete', args: { line: 'ec', cursor: 2 } }]]);
  env.asks.answer(sh, { ref: 1, value: { start: 0, end: 2, items: [{ text: 'echo', kind: 'command' }] } });
  await settle();
  assert.equal(env.screen(), 'echo ');
  env.tty.input(utf8('hi\r'));
  await settle();
  assert.equal(r.value, 'echo hi\n');
});

test('no answer within a second rings the bell, keeps the line, and what was typed meanwhile follows', async () => {
  const env = editing();
  const sh = named(1, 'sh');
  env.tty.setForeground([1]);
  const r = answering(env.tty, sh);
  env.tty.input(utf8('ec\t'));
  env.tty.input(utf8('ho\r'));
  env.clock.advance(0.999);
  await settle();
  assert.equal(env.screen(), 'ec');
  env.clock.advance(0.002);
  await settle();
  assert.equal(env.screen(), 'ec\x07ho\r\n');
  assert.equal(r.value, 'echo\n');
  // A late answer changes nothing.
  env.asks.answer(sh, { ref: 1, value: { start: 0, end: 2, items: ['echo'] } });
  await settle();
  assert.equal(env.screen(), 'ec\x07ho\r\n');
});

test('an answer from another process, or a malformed one, is ignored with the bell', async () => {
  const env = editing();
  const sh = named(1, 'sh');
  env.tty.setForeground([1]);
  answering(env.tty, sh);
  env.tty.input(utf8('ec\t'));
  env.asks.answer(named(9, 'evil'), { ref: 1, value: { start: 0, end: 2, items: ['rm -rf /'] } });
  await settle();
  assert.equal(env.screen(), 'ec');
  env.asks.answer(sh, { ref: 1, value: { start: 0, end: 2, items: 'echo' } });
  await settle();
  assert.equal(env.screen(), 'ec\x07');
});

test('a reader that does not answer gets a literal tab, and is not asked', async () => {
  const env = editing();
  env.tty.setForeground([1]);
  const r = reading(env.tty, named(1, 'cat'));
  env.tty.input(utf8('a\tb\r'));
  await settle();
  assert.equal(r.value, 'a\tb\n');
  assert.deepEqual(env.sent, []);
  // Nobody reading (typed ahead): a tab too.
  env.tty.input(utf8('\t\r'));
  assert.deepEqual(env.tty.lines, ['\t\n']);
  assert.deepEqual(env.sent, []);
});

test('a second Tab lists the candidates and draws the prompt the program printed, and the line, again', async () => {
  const env = editing();
  const sh = named(1, 'sh');
  env.tty.setForeground([1]);
  env.tty.columns = 40;
  env.tty.writeOutput(ascii('done\njsksh:/$ ')); // the prompt: output since the last newline
  answering(env.tty, sh);
  env.tty.input(utf8('l\t'));
  env.asks.answer(sh, { ref: 1, value: { start: 0, end: 1, items: [{ text: 'less', kind: 'command' }, { text: 'ls', kind: 'command' }] } });
  await settle();
  env.clear();
  env.tty.input(utf8('\t'));
  assert.equal(env.screen(), '\r\nless  ls\r\njsksh:/$ l');
  assert.equal(env.sent.length, 1); // the list needed no second question
});

test('the prompt is forgotten once a line is entered; a long output line is no prompt', () => {
  const env = editing();
  env.tty.writeOutput(ascii('$ '));
  env.tty.input(utf8('x\x0c'));
  assert.ok(env.screen().endsWith('\x1b[H\x1b[2J$ x'), JSON.stringify(env.screen()));
  env.tty.input(utf8('\r'));
  env.clear();
  env.tty.input(utf8('\x0c'));
  assert.equal(env.screen(), '\x1b[H\x1b[2J');
  env.tty.writeOutput(new Uint8Array(600).fill(0x61));
  env.clear();
  env.tty.input(utf8('\x0c'));
  assert.equal(env.screen(), '\x1b[H\x1b[2J');
});
