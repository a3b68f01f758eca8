// apps/bench.js: what a protection boundary costs here (the Jiny/OSv experiment).
//
//   bench            all of the below
//   bench syscall    100,000 writes to /dev/null through the kernel vs a call in this isolate
//   bench rpc        RPC round trips to another app isolate vs a local call; pipelined calls/s
//   bench spawn [N]  N isolates (default 200) started at once, each evaluating a small
//                    function: once with the warm pool as it is (cold: most isolates are
//                    made on demand), then again once the pool has grown to the burst
//
// Times come from performance.now(), which apps see at 100 us resolution and
// frozen while code runs (docs/apps.md, "Clocks"): every figure is an
// interval between events, over many operations, so resolution costs < 1%.
// Round-trip "p50" is the median of per-batch means (batches of 50 calls).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const WRITES = 100000;
const LOCAL_CALLS = 10000000;
const RPC_CALLS = 5000;
const BATCH = 50;
const PIPELINED = 20000;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usageError('bench', module.exports, parsed.error);
  if (parsed.options.serve) return serve();
  const [what = 'all', arg] = parsed.operands;
  const runs = { syscall, rpc, spawn: () => spawn(Number(arg) || 200) };
  if (what !== 'all' && !runs[what]) return usageError('bench', module.exports, `unknown benchmark '${what}'`);
  for (const [name, run] of Object.entries(runs)) if (what === 'all' || what === name) await run();
  return 0;
};

// The event clock only moves between events: end this one to read the time.
const now = async () => (await sys.sleep(0), performance.now());

// A call inside this isolate, doing what the device does with the bytes.
const nullDevice = {
  bytes: 0,
  write(s) {
    this.bytes += s.length;
  },
};

// Local calls, in rounds of a million (each round ends with one event).
async function localCall(total) {
  const t0 = await now();
  for (let done = 0; done < total; done += 1000000) {
    for (let i = 0; i < 1000000; i++) nullDevice.write('x');
    await sys.sleep(0);
  }
  return ((performance.now() - t0) * 1000) / total; // us per call
}

async function syscall() {
  const t0 = await now();
  for (let i = 0; i < WRITES; i++) await sys.fs.writeFile('/dev/null', 'x');
  const kernel = ((performance.now() - t0) * 1000) / WRITES;
  const local = await localCall(LOCAL_CALLS);
  sys.print(`write to /dev/null through the kernel   ${kernel.toFixed(2)} us   (${WRITES} writes, each awaited)`);
  sys.print(`function call in this isolate            ${(local * 1000).toFixed(2)} ns`);
  sys.print(`ratio kernel/local                       ${Math.round(kernel / local)}x`);
}

async function rpc() {
  const pid = await sys.proc.spawn(['bench', '--serve'], { stdin: 'null', stdout: 'null' });
  try {
    const peer = await connect('bench-peer');
    for (let i = 0; i < 200; i++) await peer.echo(i); // warm up both isolates
    const means = [];
    for (let b = 0; b < RPC_CALLS / BATCH; b++) {
      const t0 = performance.now();
      for (let i = 0; i < BATCH; i++) await peer.echo(i);
      means.push(((performance.now() - t0) * 1000) / BATCH);
    }
    means.sort((a, b) => a - b);
    const p50 = means[Math.floor(means.length / 2)];
    const local = await localCall(LOCAL_CALLS);
    const t0 = await now();
    const calls = [];
    for (let i = 0; i < PIPELINED; i++) calls.push(peer.echo(i));
    await Promise.all(calls);
    const rate = PIPELINED / ((performance.now() - t0) / 1000);
    sys.print(`RPC round trip to another isolate        p50 ${p50.toFixed(1)} us   (${RPC_CALLS} calls, batch means)`);
    sys.print(`function call in this isolate            ${(local * 1000).toFixed(2)} ns`);
    sys.print(`ratio rpc/local                          ${Math.round(p50 / local)}x`);
    sys.print(`pipelined RPC                            ${Math.round(rate)} calls/s   (${PIPELINED} in flight)`);
  } finally {
    await sys.proc.kill(pid).catch(() => {});
  }
}

// The FaaS experiment: each isolate gets a small function's source and
// answers with its result (the exit status says whether it was right).
const JOB = '/tmp/bench-job.js';
const JOB_SOURCE = 'const fib = (k) => (k < 2 ? k : fib(k - 1) + fib(k - 2));\nmodule.exports = () => (fib(15) === 610 ? 0 : 1);\n';

async function spawn(n) {
  await sys.fs.writeFile(JOB, JOB_SOURCE);
  const burst = async (label) => {
    const t0 = await now();
    const pids = await Promise.all(Array.from({ length: n }, () => sys.proc.spawn([JOB], { stdin: 'null', stdout: 'null' })));
    const statuses = await Promise.all(pids.map((pid) => sys.proc.wait(pid)));
    const ms = performance.now() - t0;
    const ok = statuses.filter((s) => s === 0).length;
    sys.print(`${n} isolates started at once, ${label}   ${ms.toFixed(1)} ms   (${ok} answered correctly)`);
  };
  await burst('cold pool');
  await sys.sleep(Math.max(1000, n * 6)); // the pool refills to the burst's size
  await burst('warm pool');
  await sys.fs.unlink(JOB).catch(() => {});
}

// --serve: the other end of `bench rpc`.
async function serve() {
  await sys.services.export('bench-peer', { echo: (x) => x });
  await new Promise(() => {});
}

async function connect(name) {
  for (let i = 0; ; i++) {
    try {
      return await sys.services.connect(name);
    } catch (e) {
      if (i > 200) throw e;
      await sys.sleep(5);
    }
  }
}

module.exports.description = 'measure the cost of crossing a protection boundary';
module.exports.options = { '--serve': 'be the other end of bench rpc (bench starts it so)' };
module.exports.usage = 'bench [syscall | rpc | spawn [N] | all]';
