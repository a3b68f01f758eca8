// Unit tests for fs/lib/trace/: the timeline and summary of the machine's
// trace (timeline.js) and its Perfetto JSON (perfetto.js), over literal
// events in the tracer's wire form (jsksh/native/tracer.py).
const t = require('/lib/trace/timeline');
const { toTraceEvents } = require('/lib/trace/perfetto');

// [time, dur, kind, track, name, size, detail]
const EVENTS = [
  [10.0, 0.0001, 'trap', 'kernel', 'SPAWN', 3578, 'pid 3'],
  [10.004, 0.001, 'post', 'pid 3 echo', '__wake', 0, ''],
  [10.005, 0.00001, 'trap', 'pid 3 echo', 'WRITE', 3, 'pipe 1'],
  [10.006, 0.00003, 'trap', 'pid 2 trace', 'RECV', 0, '1 frame'],
  [10.0061, 0, 'msg', 'pid 3 echo', '-> kernel', 21, 'exit'],
  [10.0062, 0, 'msg', 'kernel', '-> pid 2', 42, 'reply'],
  [10.007, 0, 'kick', 'virtio-console.port1.tx', 'QueueNotify', 0, '1 available'],
  [10.0071, 0, 'avail', 'virtio-console.port1.tx', 'head 0', 3, '1 descriptors, 3 B out, 0 B room'],
  [10.008, 0, 'used', 'virtio-console.port1.tx', 'head 0', 0, '0 B written'],
  [10.009, 0.00002, 'trap', 'kernel', 'WRITE', 0, ''],
  [10.0095, 0.001, 'post', 'pool', '__wake', 0, ''],
];
const TRACE = { version: 1, started: 10.0, stopped: 10.01, capacity: 64, dropped: 0, events: EVENTS };

test('a trace of a command keeps the kernel, the devices and the chosen pids', () => {
  const shown = t.selectEvents(TRACE, (pid) => pid >= 3);
  assert.deepEqual(
    shown.map((e) => `${e.track}:${e.name}`),
    ['kernel:SPAWN', 'pid 3 echo:__wake', 'pid 3 echo:WRITE', 'pid 3 echo:-> kernel', 'virtio-console.port1.tx:QueueNotify', 'virtio-console.port1.tx:head 0', 'virtio-console.port1.tx:head 0', 'kernel:WRITE'],
  );
});

test("the kernel's message to a pid belongs to that pid", () => {
  const shown = t.selectEvents(TRACE, (pid) => pid === 2);
  assert.deepEqual(shown.filter((e) => e.kind === 'msg').map((e) => e.detail), ['reply']);
});

test('a line gives the time since the start, who, the kind, what, the bytes and the duration', () => {
  const [spawn, , , , msg] = t.selectEvents(TRACE, () => true);
  assert.equal(t.formatLine(spawn, 10.0), '  0.000000 kernel                   trap  SPAWN  pid 3  (3578 B)  <0.100 ms>');
  assert.equal(t.formatLine(msg, 10.0), '  0.006100 pid 3 echo               msg   -> kernel  exit  (21 B)');
});

test('the summary groups by kind and name, in the order a request meets them', () => {
  const groups = t.summarize(t.selectEvents(TRACE, (pid) => pid >= 3));
  assert.deepEqual(
    groups.map((g) => [g.kind, g.name, g.count]),
    [
      ['trap', 'SPAWN', 1],
      ['trap', 'WRITE', 2],
      ['post', '__wake', 1],
      ['msg', 'exit', 1],
      ['kick', 'virtio-console.port1.tx', 1],
      ['avail', 'virtio-console.port1.tx', 1],
      ['used', 'virtio-console.port1.tx', 1],
    ],
  );
  const write = groups.find((g) => g.name === 'WRITE');
  assert.equal(write.bytes, 3);
  assert.equal(Math.round(write.total * 1e6), 30);
  assert.equal(Math.round(write.p50 * 1e6), 15); // the median of 10 us and 20 us
});

test('the summary as text is a table with a header, numbers right-aligned', () => {
  const lines = t.summaryText(t.summarize(t.selectEvents(TRACE, (pid) => pid >= 3)));
  assert.equal(lines[0], 'KIND   NAME                     COUNT  TOTAL ms  P50 us  BYTES');
  assert.equal(lines[1], 'trap   SPAWN                        1     0.100     100   3578');
  assert.equal(lines[5], 'kick   virtio-console.port1.tx      1         -       -      -');
});

test('the footer says what was lost when the ring was full', () => {
  assert.equal(t.footer(TRACE, 8), '8 events shown of 11 recorded in 10.000 ms');
  assert.equal(
    t.footer({ ...TRACE, dropped: 5 }, 8),
    '8 events shown of 11 recorded in 10.000 ms; 5 dropped: the ring (64 events) was full',
  );
});

test('Perfetto JSON: one process for isolates and one for devices, a named track each', () => {
  const json = toTraceEvents(TRACE);
  assert.equal(json.displayTimeUnit, 'ms');
  const names = json.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.pid, e.args.name]);
  assert.deepEqual(names, [
    [1, 'kernel'],
    [1, 'pid 3 echo'],
    [1, 'pid 2 trace'],
    [2, 'virtio-console.port1.tx'],
    [1, 'pool'],
  ]);
});

test('Perfetto JSON: a crossing with a duration is a complete event, in microseconds', () => {
  const json = toTraceEvents(TRACE);
  const spawn = json.traceEvents.find((e) => e.name === 'SPAWN');
  assert.deepEqual(spawn, { name: 'SPAWN', cat: 'trap', ph: 'X', ts: 10000000, dur: 100, pid: 1, tid: 1, args: { detail: 'pid 3', bytes: 3578 } });
  const kick = json.traceEvents.find((e) => e.name === 'QueueNotify');
  assert.deepEqual(kick, { name: 'QueueNotify', cat: 'kick', ph: 'i', s: 't', ts: 10007000, pid: 2, tid: 4, args: { detail: '1 available' } });
});

test('an app the command sent a message to is shown too: the other side of an RPC', () => {
  const trace = {
    ...TRACE,
    events: [
      [1.0, 0, 'msg', 'pid 9 client', '-> pid 4', 60, 'call'],
      [1.1, 0.0001, 'trap', 'pid 4 kv', 'RECV', 0, '1 frame'],
      [1.2, 0, 'msg', 'pid 4 kv', '-> pid 9', 30, 'reply'],
      [1.3, 0.0001, 'trap', 'pid 5 other', 'RECV', 0, '1 frame'],
    ],
  };
  assert.deepEqual(
    t.selectEvents(trace, (pid) => pid >= 9).map((e) => e.track),
    ['pid 9 client', 'pid 4 kv', 'pid 4 kv'],
  );
});
