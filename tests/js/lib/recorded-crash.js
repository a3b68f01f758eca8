// tests/js/lib/recorded-crash.js: every crash state of a real guest's
// recorded disk writes, checked by the file system library itself.
// tests/e2e/test_disk_recorded_crash.py records a machine's writes and
// flushes (jsksh/disk/recorder.py) and loads them here, in an isolate made
// by tests/js/runner.py:
//   __recBase    ArrayBuffer: the image before the first event
//   __recData    ArrayBuffer: every write's bytes, one after another
//   __recEvents  [[sector, offset, length] for a write | null for a FLUSH]
//   __recFiles   how many numbered files the guest's workload wrote
// and runs the one test below, which leaves its figures in __recFigures.
//
// The states are tests/js/lib/crash-device.js's: for each epoch (writes
// between two FLUSHes), every subset of its writes kept when it has at
// most BOUND of them (else those within 2 writes of none or all kept, and
// EXTRA random ones), and in each of those states each kept write torn
// at each sector boundary that makes a different disk: in every state of
// an epoch of at most TEAR_BOUND writes, and in larger ones with the
// others all kept, or none (tearing in every state of an epoch of 8 to 10
// writes would be 179,232 more states, 12 minutes).
// Each state must mount (replaying the log), pass fsck, show every file
// holding its own bytes (whole or a first part: the create and the writes
// are operations of their own) and the state file one whole number, and
// keep everything the epoch's durable state (none of its writes kept)
// holds: no whole file lost, no older state number.
'use strict';

const { mount } = require('/kernel/fs/disk/file-system');
const { fsck } = require('/kernel/fs/disk/fsck');
const { utf8Decode } = require('/kernel/lib/utf8');
const { CrashDevice, random, subsets, subsetCount, crashState, tears } = require('/tests/lib/crash-device');

const BOUND = 12;
const EXTRA = 64;
const TEAR_BOUND = 4;

const content = (k) => `file ${k}:` + 'abcdefgh'.repeat((k * 389) % 1100);

// Mounts a state and reads what the workload wrote: {whole: the numbered
// files holding all their bytes, state: the state file's number or -1}.
async function look(device, label) {
  let fs;
  try {
    fs = await mount(device, {});
  } catch (e) {
    throw new Error(`${label}: mount failed: ${e.message}`);
  }
  const whole = new Set();
  let state = -1;
  const root = (await fs.readdir('/')).map((e) => e.name);
  if (root.includes('w')) {
    for (const { name } of await fs.readdir('/w')) {
      const st = await fs.stat(`/w/${name}`);
      const data = utf8Decode(await fs.read(`/w/${name}`, 0, st.size), 0, st.size);
      if (name === 'state' || name === 'state.new') {
        // written as it is created, then renamed over `state` whole
        if (!/^\d+$/.test(data) && !(name === 'state.new' && data === '')) throw new Error(`${label}: /w/${name} holds ${JSON.stringify(data.slice(0, 40))}`);
        if (name === 'state') state = Number(data);
        continue;
      }
      const k = Number(name.slice(1));
      if (!/^f\d+$/.test(name) || !content(k).startsWith(data)) throw new Error(`${label}: /w/${name}: ${data.length} bytes not its own`);
      if (data === content(k)) whole.add(k);
    }
  }
  await fs.umount();
  const report = await fsck(device);
  if (!report.clean) throw new Error(`${label}: fsck: ${report.problems.join('; ')}`);
  return { whole, state };
}

function recording() {
  const base = new Uint8Array(globalThis.__recBase);
  const data = new Uint8Array(globalThis.__recData);
  const device = new CrashDevice(base);
  for (const e of globalThis.__recEvents) {
    if (e === null) device.events.push({ flush: true });
    else device.events.push({ sector: e[0], bytes: data.subarray(e[1], e[1] + e[2]) });
  }
  return device;
}

test('every crash state of the recorded writes', async () => {
  const device = recording();
  const rnd = random(15);
  const c = { events: device.events.length, epochs: 0, largest: 0, overBound: 0, expected: 0, states: 0, torn: 0 };
  for (const epoch of device.epochs()) {
    const n = epoch.writes.length;
    c.epochs++;
    c.largest = Math.max(c.largest, n);
    if (n > BOUND) c.overBound++;
    c.expected += subsetCount(n, { bound: BOUND, extra: EXTRA });
    let durable = null;
    for (const kept of subsets(n, { bound: BOUND, extra: EXTRA, rnd })) {
      const label = `epoch from event ${epoch.start}, writes [${kept}] of ${n} kept`;
      const seen = await look(crashState(epoch, kept), label);
      if (!durable) durable = seen; // subsets() lists none-kept first
      const lost = [...durable.whole].filter((k) => !seen.whole.has(k));
      if (lost.length || seen.state < durable.state) throw new Error(`${label}: durable files lost: [${lost}], state ${seen.state} < ${durable.state}`);
      c.states++;
      if (n > TEAR_BOUND && kept.length !== n && kept.length !== 1) continue;
      for (let i = 0; i < kept.length; i++) {
        for (const sectors of tears(epoch, kept, i)) {
          const torn = await look(crashState(epoch, kept, { index: i, sectors }), `${label}, write ${kept[i]} torn after sector ${sectors}`);
          if ([...durable.whole].some((k) => !torn.whole.has(k)) || torn.state < durable.state) throw new Error(`${label}, write ${kept[i]} torn: durable files lost`);
          c.torn++;
        }
      }
    }
  }
  // The whole recording (its last event is the unmount's FLUSH): every file.
  const end = await look(crashState([...device.epochs()].pop(), []), 'the end');
  for (let k = 0; k < globalThis.__recFiles; k++) assert.ok(end.whole.has(k), `file ${k} missing at the end`);
  assert.equal(c.states, c.expected, `checked ${c.states} subset states, computed ${c.expected}`);
  globalThis.__recFigures = JSON.stringify(c);
});
