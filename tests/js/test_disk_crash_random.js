// The heart of the disk file system's tests: a seeded random workload of
// 1,000 operations on a recording device (tests/js/lib/crash-device.js),
// then a power cut after every single write request it made. For a cut:
// the disk with every unflushed write kept, or with a random subset of
// them kept, one of which is torn at sector granularity. Each
// state must mount, pass fsck, and hold exactly the tree the model held
// after some operation no earlier than the last fsync/sync that returned
// and no later than the one in flight (tests/js/lib/disk-workload.js).
// The cuts are split over several tests so each stays under the runner's
// 10 s; the recording is made once and shared. The default run checks one
// state a cut (all kept at even cuts, a subset with a torn write at odd
// ones); tests/test_disk_crash_slow.py sets DISK_CRASH_FULL for both at
// every cut. Then, at the end of this file, every subset of the writes of
// every epoch (between two FLUSHes), as the ACE sweep does: every crash
// state a volatile cache can leave, whole writes kept or lost in any
// combination (25,065 with format 1 and this seed; every 32nd epoch's in
// the default run).
const { MemoryDevice } = require('/kernel/fs/disk/memory-device');
const { mkfs } = require('/kernel/fs/disk/mkfs');
const { mount } = require('/kernel/fs/disk/file-system');
const { CrashDevice, OverlayDevice, random } = require('/tests/lib/crash-device');
const { Model, perform, randomOp, examine } = require('/tests/lib/disk-workload');
const { ManualClock } = require('/tests/lib/manual-clock');
const { sweep } = require('/tests/lib/crash-sweep');

const OPS = 1000;
const PARTS = 6;
let recording = null;

async function record() {
  if (recording) return recording;
  const blocks = 1024;
  const mem = new MemoryDevice(blocks * 8);
  await mkfs(mem, { blocks, now: 1700000000 });
  const device = new CrashDevice(mem.bytes);
  const clock = new ManualClock(1700000000);
  const fs = await mount(device, { clock: clock.clock, setTimer: clock.timers.after, clearTimer: clock.timers.cancel });
  const model = new Model();
  const rnd = random(15);
  const handles = [];
  let current = 0; // the operation in flight
  const opAtEvent = [0]; // opAtEvent[cut] = operation in flight when event `cut` happened
  device.onEvent = (n) => (opAtEvent[n] = current);
  const dumps = [model.dump()]; // dumps[j] = the tree after j operations
  const acked = []; // [events at return, operations covered] of each fsync/sync
  const kinds = {};
  for (let i = 1; i <= OPS; i++) {
    current = i;
    const op = randomOp(model, rnd, i);
    kinds[op.kind] = (kinds[op.kind] || 0) + 1;
    const failed = await perform(fs, model, op, handles);
    if (failed) throw new Error(`operation ${i} ${JSON.stringify(op)} failed with ${failed}`);
    if (op.kind === 'sync' || op.kind === 'fsync') acked.push([device.events.length, i]);
    dumps.push(model.dump());
    clock.advance(0.25); // the 5 s commit interval fires every 20 operations
    await fs.tail;
  }
  current = OPS + 1; // umount: after the last operation
  await fs.umount();
  const writes = device.events.filter((e) => !e.flush).length;
  dumps.push(dumps[OPS]);
  recording = { device, opAtEvent, dumps, acked, kinds, writes };
  return recording;
}

// The operations a state may show after a cut keeping `cut` events.
function window(rec, cut) {
  let low = 0;
  for (const [events, op] of rec.acked) if (events <= cut) low = op;
  return [low, Math.max(low, rec.opAtEvent[cut])];
}

async function checkState(rec, cut, device, what) {
  let result;
  try {
    result = await examine(device);
  } catch (e) {
    throw new Error(`cut ${cut} (${what}): mount failed: ${e.message}`);
  }
  if (!result.report.clean) throw new Error(`cut ${cut} (${what}): fsck: ${result.report.problems.join('; ')}`);
  const [low, high] = window(rec, cut);
  for (let j = high; j >= low; j--) if (rec.dumps[j] === result.dump) return j;
  throw new Error(`cut ${cut} (${what}): the tree matches no operation in ${low}..${high}:\n${result.dump}\n--- after ${high}:\n${rec.dumps[high]}`);
}

async function checkPart(part) {
  const rec = await record();
  const rnd = random(1000 + part);
  let states = 0;
  const total = rec.device.events.length;
  const wanted = (cut) => Math.floor(((cut - 1) * PARTS) / total) === part;
  await rec.device.eachCut(async (cut, durable, pending) => {
    const full = globalThis.DISK_CRASH_FULL;
    // every unflushed write kept
    if (full || cut % 2 === 0) {
      const dev = new OverlayDevice(durable);
      for (const w of pending) dev.apply(w);
      await checkState(rec, cut, dev, 'all kept');
      states++;
    }
    // a random subset kept, one of them torn (some of its sectors only)
    if (full || cut % 2 === 1) {
      const dev = new OverlayDevice(durable);
      const torn = rnd.int(pending.length);
      pending.forEach((w, i) => {
        if (i === torn) dev.apply(w, () => rnd() < 0.5);
        else if (rnd() < 0.5) dev.apply(w);
      });
      await checkState(rec, cut, dev, `a subset, write ${torn} torn`);
      states++;
    }
  }, wanted);
  return states;
}

test('random workload: 1,000 operations recorded, fsck clean, the tree as the model has it', async () => {
  const rec = await record();
  assert.ok(rec.writes > 1000, `only ${rec.writes} writes`);
  const { dumpTree } = require('/tests/lib/disk-fixtures');
  const fs = await mount(new MemoryDevice(rec.device.current.slice()), {});
  assert.equal(await dumpTree(fs), rec.dumps[OPS]);
});

for (let part = 0; part < PARTS; part++) {
  test(`random workload: power cut after each write, part ${part + 1} of ${PARTS}`, async () => {
    const states = await checkPart(part);
    assert.ok(states > 0);
    globalThis.diskCrashFigures = (globalThis.diskCrashFigures || 0) + states;
  });
}

// Every subset of an epoch's writes, as the ACE sweep checks them
// (tests/js/lib/crash-sweep.js), on this recording: since a commit writes
// its log in one request, no epoch here has more than 12 writes, so every
// crash state is enumerated. The default run sweeps every 32nd epoch; the
// slow run (tests/test_disk_crash_slow.py) every epoch, in SWEEP_PARTS tests.
const SWEEP_PARTS = 4;
globalThis.randomSweep = { epochs: 0, overBound: 0, expected: 0, states: 0, torn: 0, parts: 0 };
for (let part = 0; part < SWEEP_PARTS; part++) {
  test(`random workload: every subset of an epoch's writes, part ${part + 1} of ${SWEEP_PARTS}`, async () => {
    const rec = await record();
    const every = globalThis.DISK_CRASH_FULL ? SWEEP_PARTS : 32 * SWEEP_PARTS;
    const counts = { epochs: 0, overBound: 0, expected: 0, states: 0, torn: 0 };
    // Tears are the cuts' job above (a random subset with one write torn at each cut).
    await sweep(rec, 'random workload', random(500 + part), counts, { tear: false, epochs: (i) => i % every === part });
    assert.ok(counts.epochs > 0);
    assert.equal(counts.states, counts.expected, JSON.stringify(counts));
    for (const k in counts) globalThis.randomSweep[k] += counts[k];
    globalThis.randomSweep.parts++;
  });
}
