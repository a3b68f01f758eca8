// An ACE-style sweep (CrashMonkey's Automatic Crash Explorer): every
// workload of two operations, and of three ending in fsync or sync, drawn
// from a fixed set of 17 over a small starting tree, run on a recording
// device, then every disk a power cut anywhere in the recording can leave
// (tests/js/lib/crash-device.js says why this list is exhaustive): for
// each epoch (the writes between two FLUSHes), every subset of its writes
// kept, each checked against every cut of the epoch it could follow; and
// torn writes: in the state with all the epoch's writes kept, each write
// torn at each sector boundary that makes a different disk. The slow run
// (tests/test_disk_crash_slow.py, DISK_CRASH_FULL) tears each kept write
// of every subset. Each state must mount, pass fsck, and equal the model
// after some operation no earlier than the last acknowledged fsync/sync
// and no later than the one in flight at the cut
// (tests/js/lib/disk-workload.js). Operations that fail on their
// workload's tree (unlink after unlink) must change nothing.
//
// The figures (2026-12, format 1, a commit's log in one request): 867
// workloads, 2,141 epochs, none of more than 12 writes (the bound for
// "every subset"), 6,360 subset states and 18,700 torn ones in the default
// run (about 30 s); every kept write torn (the slow run): 32,577 torn
// states. Each part asserts that it
// checked exactly the subsets it computed from its epochs' sizes.
const { MemoryDevice } = require('/kernel/fs/disk/memory-device');
const { mkfs } = require('/kernel/fs/disk/mkfs');
const { mount } = require('/kernel/fs/disk/file-system');
const { CrashDevice, random, subsets, subsetCount, crashState, tears } = require('/tests/lib/crash-device');
const { sweep } = require('/tests/lib/crash-sweep');
const { Model, perform } = require('/tests/lib/disk-workload');

// The starting tree: /A (5000 bytes), /B (100), /D/C (3000), /E (empty).
const SETUP = [
  { kind: 'create', path: '/A' },
  { kind: 'write', path: '/A', offset: 0, length: 5000, seed: 1 },
  { kind: 'create', path: '/B' },
  { kind: 'write', path: '/B', offset: 0, length: 100, seed: 2 },
  { kind: 'mkdir', path: '/D' },
  { kind: 'create', path: '/D/C' },
  { kind: 'write', path: '/D/C', offset: 0, length: 3000, seed: 3 },
  { kind: 'mkdir', path: '/E' },
];

const OPS = [
  { kind: 'create', path: '/D/X' },
  { kind: 'write', path: '/A', offset: 1000, length: 6000, seed: 4 },
  { kind: 'write', path: '/D/C', offset: 0, length: 100, seed: 5 },
  { kind: 'append', path: '/A', length: 3000, seed: 6 },
  { kind: 'append', path: '/B', length: 100, seed: 7 },
  { kind: 'truncate', path: '/A', size: 100 },
  { kind: 'truncate', path: '/B', size: 9000 },
  { kind: 'rename', from: '/A', to: '/D/A2' },
  { kind: 'rename', from: '/B', to: '/A' },
  { kind: 'rename', from: '/D', to: '/E' },
  { kind: 'unlink', path: '/A' },
  { kind: 'unlink', path: '/D/C' },
  { kind: 'mkdir', path: '/E/G' },
  { kind: 'rmdir', path: '/E' },
  { kind: 'link', from: '/A', to: '/E/L' },
  { kind: 'fsync', path: '/A' },
  { kind: 'sync' },
];

const PARTS = 8;
let start = null;

async function startingImage() {
  if (start) return start;
  const mem = new MemoryDevice(256 * 8);
  await mkfs(mem, { blocks: 256, now: 1700000000 });
  const fs = await mount(mem, { clock: () => 1700000000 });
  const model = new Model();
  for (const op of SETUP) if (await perform(fs, model, op)) throw new Error(`setup ${op.kind} failed`);
  await fs.umount();
  start = { image: mem.bytes, model };
  return start;
}

// Runs one workload; returns the recording the checks need.
async function runWorkload(ops) {
  const s = await startingImage();
  const device = new CrashDevice(s.image);
  const fs = await mount(device, { clock: () => 1700000100 });
  const model = s.model.clone();
  const dumps = [model.dump()];
  const acked = [];
  const opAtEvent = [0];
  let current = 0;
  device.onEvent = (n) => (opAtEvent[n] = current);
  for (const op of ops) {
    current++;
    const failed = await perform(fs, model, op);
    if (!failed && (op.kind === 'sync' || op.kind === 'fsync')) acked.push([device.events.length, current]);
    dumps.push(model.dump());
  }
  return { device, dumps, acked, opAtEvent };
}



test('crash states: every subset up to the bound, the near ones and random ones past it, distinct tears', () => {
  assert.deepEqual(subsets(3), [[], [0], [1], [0, 1], [2], [0, 2], [1, 2], [0, 1, 2]]);
  const big = subsets(20, { bound: 12, extra: 64, rnd: random(1) });
  assert.equal(big.length, subsetCount(20, { bound: 12, extra: 64 }));
  assert.equal(big.length, 2 * (1 + 20 + 190) + 64);
  assert.equal(new Set(big.map(String)).size, big.length);
  assert.deepEqual(big[0], []);
  assert.ok(big.some((k) => k.length === 20) && big.some((k) => k.length === 10));
  // Two writes of a block over zeros: the first changes sectors 2 and 5,
  // the second sector 0 only. Tearing the first after sector 3, 4 or 5
  // keeps sector 2 and not 5; the second cannot tear.
  const block = (...sectors) => {
    const b = new Uint8Array(4096);
    for (const s of sectors) b[s * 512] = 1;
    return b;
  };
  const epoch = { durable: new Uint8Array(8192), writes: [{ sector: 0, bytes: block(2, 5) }, { sector: 8, bytes: block(0) }] };
  assert.deepEqual(tears(epoch, [0, 1], 0), [3, 4, 5]);
  assert.deepEqual(tears(epoch, [0, 1], 1), []);
  // Over itself: a second copy of the same block changes nothing, so cannot tear.
  const again = { durable: epoch.durable, writes: [epoch.writes[0], epoch.writes[0]] };
  assert.deepEqual(tears(again, [0, 1], 1), []);
  const torn = crashState(epoch, [0], { index: 0, sectors: 4 }).image();
  assert.deepEqual([torn[2 * 512], torn[5 * 512]], [1, 0]);
});


// Every pair, and every triple whose last operation persists (ACE's own
// rule: a workload ends in fsync or sync, or its crash states are only the
// starting tree).
const workloads = [];
for (const a of OPS) for (const b of OPS) workloads.push([a, b]);
const PERSIST = OPS.filter((o) => o.kind === 'fsync' || o.kind === 'sync');
for (const a of OPS) for (const b of OPS) for (const c of PERSIST) workloads.push([a, b, c]);

globalThis.aceCounts = { workloads: 0, epochs: 0, overBound: 0, expected: 0, states: 0, torn: 0 };

for (let part = 0; part < PARTS; part++) {
  test(`ACE: every two-operation workload, every crash state, part ${part + 1} of ${PARTS}`, async () => {
    const rnd = random(77 + part);
    const counts = { workloads: 0, epochs: 0, overBound: 0, expected: 0, states: 0, torn: 0 };
    for (let w = part; w < workloads.length; w += PARTS) {
      const ops = workloads[w];
      const name = ops.map((o) => `${o.kind} ${o.path || `${o.from} ${o.to}`}`.trim()).join(', ');
      await sweep(await runWorkload(ops), name, rnd, counts);
      counts.workloads++;
    }
    assert.equal(counts.states, counts.expected, `checked ${counts.states} subset states, computed ${counts.expected}`);
    for (const k in counts) globalThis.aceCounts[k] += counts[k];
  });
}

test('ACE: the sweep checked every subset of every epoch', () => {
  const c = globalThis.aceCounts;
  assert.equal(workloads.length, 17 * 17 + 17 * 17 * 2);
  if (c.workloads !== workloads.length) return; // not every part ran (pytest -k)
  assert.equal(c.states, c.expected);
  assert.ok(c.states > 5000 && c.torn > 1000, JSON.stringify(c));
  globalThis.aceFigures = JSON.stringify(c);
});
