// An ACE-style sweep (CrashMonkey's Automatic Crash Explorer): every
// workload of two operations, and of three ending in fsync or sync, drawn
// from a fixed set of 17 over a small starting tree, run on a recording device, with a power cut after every write
// request and at every persistence point (each fsync/sync return, where
// only what was flushed survives). Each crash state must mount, pass fsck,
// and equal the model after some operation no earlier than the last
// acknowledged fsync/sync (tests/js/lib/disk-workload.js). Operations that
// fail on their workload's tree (unlink after unlink) must change nothing.
const { MemoryDevice } = require('/kernel/fs/disk/memory-device');
const { mkfs } = require('/kernel/fs/disk/mkfs');
const { mount } = require('/kernel/fs/disk/file-system');
const { CrashDevice, OverlayDevice, random } = require('/tests/lib/crash-device');
const { Model, perform, examine } = require('/tests/lib/disk-workload');

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

const PARTS = 4;
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

async function check(rec, cut, device, label) {
  let low = 0;
  for (const [events, op] of rec.acked) if (events <= cut) low = op;
  const high = Math.max(low, rec.opAtEvent[cut] || 0);
  let result;
  try {
    result = await examine(device);
  } catch (e) {
    throw new Error(`${label}: mount failed: ${e.message}`);
  }
  if (!result.report.clean) throw new Error(`${label}: fsck: ${result.report.problems.join('; ')}`);
  for (let j = high; j >= low; j--) if (rec.dumps[j] === result.dump) return;
  throw new Error(`${label}: the tree matches no operation in ${low}..${high}:\n${result.dump}`);
}

// Every pair, and every triple whose last operation persists (ACE's own
// rule: a workload ends in fsync or sync, or its crash states are only the
// starting tree).
const workloads = [];
for (const a of OPS) for (const b of OPS) workloads.push([a, b]);
const PERSIST = OPS.filter((o) => o.kind === 'fsync' || o.kind === 'sync');
for (const a of OPS) for (const b of OPS) for (const c of PERSIST) workloads.push([a, b, c]);

for (let part = 0; part < PARTS; part++) {
  test(`ACE: every two-operation workload, crash at each write and persistence point, part ${part + 1} of ${PARTS}`, async () => {
    const rnd = random(77 + part);
    let states = 0;
    for (let w = part; w < workloads.length; w += PARTS) {
      const ops = workloads[w];
      const name = ops.map((o) => `${o.kind} ${o.path || `${o.from} ${o.to}`}`.trim()).join(', ');
      const rec = await runWorkload(ops);
      // Persistence points: each fsync/sync's return, nothing unflushed kept.
      for (const [events] of rec.acked) {
        const { durable } = await stateAt(rec.device, events);
        await check(rec, events, new OverlayDevice(durable), `[${name}] at the return of a sync`);
        states++;
      }
      await rec.device.eachCut(async (cut, durable, pending) => {
        const dev = new OverlayDevice(durable);
        const torn = cut % 2 ? rnd.int(pending.length) : -1;
        pending.forEach((p, i) => {
          if (i === torn) dev.apply(p, () => rnd() < 0.5);
          else if (torn < 0 || rnd() < 0.5) dev.apply(p);
        });
        await check(rec, cut, dev, `[${name}] cut after event ${cut}${torn < 0 ? '' : `, write ${torn} torn`}`);
        states++;
      });
    }
    globalThis.aceStates = (globalThis.aceStates || 0) + states;
  });
}

// The durable image after the first `events` events.
async function stateAt(device, events) {
  let found = null;
  await device.eachCut(
    async (cut, durable, pending) => {
      const copy = durable.slice();
      for (const p of pending) copy.set(p.bytes, p.sector * 512);
      found = { durable: pending.length ? null : copy };
    },
    (cut) => cut === events,
  );
  // A sync ends with a FLUSH, so after it nothing is pending: rebuild by hand.
  if (!found || !found.durable) {
    const image = device.base.slice();
    for (let i = 0; i < events; i++) if (!device.events[i].flush) image.set(device.events[i].bytes, device.events[i].sector * 512);
    return { durable: image };
  }
  return found;
}

test('ACE: the sweep checked thousands of crash states', () => {
  assert.equal(workloads.length, 17 * 17 + 17 * 17 * 2);
  if (globalThis.aceStates !== undefined) assert.ok(globalThis.aceStates > 2000, `only ${globalThis.aceStates} states`);
});
