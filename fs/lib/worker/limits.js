// fs/lib/worker/limits.js (/lib/worker/limits in the image): what a worker
// may use per request, with Cloudflare Workers' defaults, and how each
// limit, when hit, is answered (the status and body Cloudflare gives).
//
// The invoker (apps/invoker.js) reads a worker's limits from its deploy
// (`PUT /workers/NAME?cpu=10ms&memory=64M`), its instance
// (/lib/worker/instance) enforces the ones that live inside the isolate
// (CPU through the machine's watchdog, subrequests, response size), and the
// invoker the ones outside it (request size, wall time). docs/workers.md,
// "Limits", has the table.
'use strict';

const MiB = 1024 * 1024;

// name -> [default, unit, what it bounds]
const LIMITS = {
  cpu: [50, 'ms', 'CPU time per request (Cloudflare: 50 ms on the free plan, by default on paid)'],
  memory: [128 * MiB, 'bytes', 'heap, and separately ArrayBuffer and WebAssembly memory, of the isolate (Cloudflare: 128 MiB)'],
  subrequests: [50, 'count', 'outbound fetch() calls per request, redirects included (Cloudflare: 50)'],
  request: [8 * MiB, 'bytes', 'request body (Cloudflare: 100 MB; here the invoker holds it whole)'],
  response: [64 * MiB, 'bytes', 'response body (Cloudflare: none; here a response that never ends must end)'],
  wall: [30000, 'ms', 'wall time to the end of the response (Cloudflare: none while the client waits)'],
  startup: [400, 'ms', 'CPU time to evaluate the script (Cloudflare: 400 ms)'],
};

const DEFAULTS = Object.fromEntries(Object.entries(LIMITS).map(([k, [v]]) => [k, v]));

// "50ms", "2s", "64M", "1048576" -> a number in the limit's unit, or an Error.
function parseLimit(name, text) {
  if (!Object.prototype.hasOwnProperty.call(LIMITS, name)) return new Error(`unknown limit '${name}' (one of ${Object.keys(LIMITS).join(', ')})`);
  const unit = LIMITS[name][1];
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(String(text).trim());
  if (!m) return new Error(`limit ${name}: not a number: '${String(text).slice(0, 40)}'`);
  const n = Number(m[1]);
  const suffix = m[2].toLowerCase();
  let value;
  if (unit === 'ms') value = { '': 1, ms: 1, s: 1000 }[suffix] === undefined ? NaN : n * { '': 1, ms: 1, s: 1000 }[suffix];
  else if (unit === 'bytes') value = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: MiB, mb: MiB, mib: MiB, g: 1024 * MiB }[suffix] * n;
  else value = suffix === '' && Number.isInteger(n) ? n : NaN;
  if (!Number.isFinite(value) || value <= 0) return new Error(`limit ${name}: bad value '${String(text).slice(0, 40)}'`);
  return Math.round(value);
}

// What the invoker answers when a request ends on a limit or a fault:
// [status, body]. Cloudflare's own pages say "error code: NNNN"; 1101 is
// "Worker threw exception", 1102 "Worker exceeded resource limits".
const ANSWERS = {
  cpu: [503, 'error code: 1102\nWorker exceeded CPU time limit.\n'],
  memory: [503, 'error code: 1102\nWorker exceeded memory limit.\n'],
  wall: [503, 'error code: 1102\nWorker exceeded wall time limit.\n'],
  response: [502, 'error code: 1102\nWorker response exceeded the response size limit.\n'],
  request: [413, 'error code: 413\nRequest body exceeds the worker\'s request size limit.\n'],
  exception: [500, 'error code: 1101\nWorker threw exception.\n'],
  subrequests: [500, 'error code: 1101\nWorker threw exception: Too many subrequests.\n'],
  crashed: [502, 'error code: 1102\nWorker isolate ended unexpectedly.\n'],
  startup: [503, 'error code: 1102\nWorker exceeded startup CPU time limit.\n'],
};

// The machine's reason for ending an isolate (jsksh/native/limits.py's
// messages: "CPU time limit exceeded (50 ms budget)", "heap limit exceeded
// (128 MiB)", "ArrayBuffer limit exceeded") -> the limit's name.
function limitOfReason(reason) {
  const r = String(reason || '');
  if (/CPU time limit/.test(r)) return 'cpu';
  if (/heap limit|ArrayBuffer limit|ELIMIT|memory/i.test(r)) return 'memory';
  return 'crashed';
}

// What `worker logs` says of a limit hit, with the worker's own setting.
function limitWords(limit, limits) {
  switch (limit) {
    case 'cpu':
      return `exceeded CPU time limit (${limits.cpu} ms)`;
    case 'memory':
      return `exceeded memory limit (${Math.round(limits.memory / 1048576)} MiB)`;
    case 'wall':
      return `exceeded wall time limit (${limits.wall} ms)`;
    case 'request':
      return `request body over the limit (${limits.request} bytes)`;
    case 'response':
      return `response body over the limit (${limits.response} bytes)`;
    case 'subrequests':
      return `exceeded subrequest limit (${limits.subrequests})`;
    case 'exception':
      return 'threw an exception';
    default:
      return 'the isolate ended';
  }
}

module.exports = { LIMITS, DEFAULTS, parseLimit, ANSWERS, limitOfReason, limitWords };
