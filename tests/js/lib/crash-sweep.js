// tests/js/lib/crash-sweep.js: every crash state of a recorded workload,
// checked. A recording (tests/js/lib/crash-device.js's CrashDevice, with the
// workload's model) is split at its FLUSHes into epochs; each epoch's
// subsets of kept writes (every one up to BOUND writes) and the torn writes
// that make a different disk are built and checked: each must mount, pass
// fsck, and hold the tree the model held after some operation no earlier
// than the last fsync/sync that returned before the cut and no later than
// the one in flight at it (docs/disk.md, "Crash testing").
//
// A recording is {device, dumps, acked, opAtEvent}: dumps[j] the model's
// tree after j operations, acked [[events at return, operation]] of each
// fsync/sync, opAtEvent[n] the operation in flight at event n.
'use strict';

const { subsets, subsetCount, crashState, tears } = require('/tests/lib/crash-device');
const { examine } = require('/tests/lib/disk-workload');

// The operations a state may show after a cut keeping `cut` events:
// none before the last fsync/sync that returned, none after the one in
// flight.
function window(rec, cut) {
  let low = 0;
  for (const [events, op] of rec.acked) if (events <= cut) low = op;
  return [low, Math.max(low, rec.opAtEvent[cut] || 0)];
}

// Checks one crash state of `epoch`: it kept the writes `kept`, so it can
// follow any cut from its latest kept write (or the epoch's start) to the
// epoch's last, and must fit each of those cuts' windows.
async function check(rec, epoch, kept, device, label) {
  let result;
  try {
    result = await examine(device);
  } catch (e) {
    throw new Error(`${label}: mount failed: ${e.message}`);
  }
  if (!result.report.clean) throw new Error(`${label}: fsck: ${result.report.problems.join('; ')}`);
  const first = kept.length ? epoch.writes[kept[kept.length - 1]].cut : epoch.start;
  let seen = '';
  for (let cut = first; cut <= epoch.last; cut++) {
    const [low, high] = window(rec, cut);
    if (`${low},${high}` === seen) continue;
    seen = `${low},${high}`;
    let found = false;
    for (let j = high; j >= low && !found; j--) found = rec.dumps[j] === result.dump;
    if (!found) throw new Error(`${label}, cut after event ${cut}: the tree matches no operation in ${low}..${high}:\n${result.dump}`);
  }
}

const BOUND = 12; // every subset of an epoch of up to 12 writes (4,096 states)
const EXTRA = 64; // past it: within 2 writes of none or all kept, and 64 more (none yet)

// Every crash state of one recorded workload; adds to `counts`.
// `full`: tear each kept write of every subset (else only of the all-kept
// one); `tear`: false for none; `epochs(i)`: which epochs to sweep.
async function sweep(rec, name, rnd, counts, { full = globalThis.DISK_CRASH_FULL, tear = true, epochs = () => true } = {}) {
  let index = -1;
  for (const epoch of rec.device.epochs()) {
    index++;
    if (!epochs(index)) continue;
    const n = epoch.writes.length;
    counts.epochs++;
    if (n > BOUND) counts.overBound++;
    counts.expected += subsetCount(n, { bound: BOUND, extra: EXTRA });
    for (const kept of subsets(n, { bound: BOUND, extra: EXTRA, rnd })) {
      const label = `[${name}] epoch from event ${epoch.start}, writes [${kept}] of ${n} kept`;
      await check(rec, epoch, kept, crashState(epoch, kept), label);
      counts.states++;
      if (!tear || (!full && kept.length !== n)) continue;
      for (let i = 0; i < kept.length; i++) {
        for (const sectors of tears(epoch, kept, i)) {
          await check(rec, epoch, kept, crashState(epoch, kept, { index: i, sectors }), `${label}, write ${kept[i]} torn after sector ${sectors}`);
          counts.torn++;
        }
      }
    }
  }
}

module.exports = { window, check, sweep, BOUND, EXTRA };
