// fs/lib/worker/instance.js (/lib/worker/instance in the image): one
// worker's code, alive in an isolate of its own, answering the invoker.
//
// The invoker (apps/invoker.js) starts `worker serve NAME SERVICE SCRIPT
// CONFIG` as a service for each version of each worker's code; that app calls
// serve() here, which
//   1. takes `sys` away from the global object, so the worker's code can
//      reach neither the kernel nor another isolate (only what `env` gives);
//   2. gives the global object the web platform's pieces (/lib/web) and a
//      console whose lines are kept for `worker logs`, tagged with the
//      request they belong to;
//   3. evaluates the script (its module form made a classic script,
//      /lib/worker/module-form) under the startup CPU budget;
//   4. exports SERVICE with ready(), fetch(request), read(id), cancel(id)
//      and action(params) for the invoker to call over RPC.
// Each request runs under a CPU budget the machine's watchdog enforces
// (sys.proc.cpuBudget: Cloudflare's 50 ms); a breach ends the isolate, and
// the invoker, whose call then fails with the reason, answers 503. Bodies
// cross as bytes, 64 KiB per call: a large or endless response is pulled by
// the invoker as its client takes it.
'use strict';

// /lib/worker/module-form is required only by an isolate that must turn a
// module into a classic script itself (one started afresh, reading its
// file): a spare gets the classic script from the invoker, which has the
// converter compiled already.
const toClassicScript = (source) => require('/lib/worker/module-form').toClassicScript(source);
const web = require('/lib/web/index');
const { kBody, unusable, markUsed } = require('/lib/web/body');
const { concatBytes } = require('/lib/http/bytes');
const { DEFAULTS } = require('/lib/worker/limits');

const CHUNK = 64 * 1024; // body bytes per answer
const LOG_LINE = 4096; // characters of one console line kept
const LOG_KEEP = 1000; // lines kept between two answers to the invoker
const KV_KEY_BYTES = 512; // Cloudflare KV's longest key

// `spare`: start without a worker, export that service name with
// become({name, service, scriptPath, classic or source, config}), and wait. The invoker keeps a
// few (apps/invoker.js, "Spares"): everything below that does not depend on
// the worker's code is done before a deploy needs it.
async function serve({ sys, name, service, scriptPath, config, spare = null }) {
  let limits = { ...DEFAULTS };
  let env = {};
  // crypto's random bytes: the machine's, one trap a call (sys.proc.random, as getrandom(2)).
  const randomBytes = sys.proc.random;

  // ---- the console: lines kept for `worker logs`, with their request ------------------------
  const logs = [];
  let logsDropped = 0;
  let current = null; // the request whose code is running, as far as can be told (below)
  const keep = (level) => (...args) => {
    if (logs.length >= LOG_KEEP) {
      logs.shift();
      logsDropped++;
    }
    logs.push([current, level, args.map(formatValue).join(' ').slice(0, LOG_LINE)]);
  };
  const takeLogs = () => {
    const out = logs.splice(0);
    if (logsDropped) out.unshift([null, 'warn', `(${logsDropped} lines dropped: more than ${LOG_KEEP} between two requests)`]);
    logsDropped = 0;
    return out;
  };

  // ---- what the worker's code sees ----------------------------------------------------------
  delete globalThis.sys; // sys.js made it configurable for this; the isolate is never reused by another program
  // fetch() through the guest's TCP stack; each request may make `subrequests`
  // of them (Cloudflare's 50), counted against the request whose code runs.
  // /lib/web/fetch (and the HTTP client under it) is loaded on the first
  // call: most workers never fetch, and a fresh isolate compiles what it loads.
  let outbound = null;
  const fetch = function fetch(input, init = undefined) {
    if (!outbound) {
      outbound = require('/lib/web/fetch').makeFetch({
        tcp: sys.net.tcp,
        subrequestLimit: Infinity,
        onSubrequest: () => {
          const state = open.get(current);
          if (!state) return;
          if (++state.subrequests > limits.subrequests) throw Object.assign(new Error('Too many subrequests.'), { subrequests: true });
        },
      });
    }
    return outbound(input, init);
  };
  web.install(globalThis, { randomBytes, fetch });
  globalThis.console = { log: keep('log'), info: keep('info'), debug: keep('debug'), warn: keep('warn'), error: keep('error') };

  // ---- the worker's code: read, evaluated under the startup budget, and served ---------------
  let failure = null;
  let handler = null;
  let main = null;
  const idle = () => sys.proc.cpuBudget(limits.cpu + 200, { mode: 'idle' });
  let loaded = false;

  // A spare runs the whole request path once, on a handler of its own that
  // is gone before any worker's code arrives: the modules it needs are
  // loaded and V8 has compiled their functions, so the worker's first
  // request does not pay for it (what __warmup does for every app's start).
  async function warmUp() {
    handler = { fetch: async (r) => new Response(`${r.method} ${r.headers.get('a')} ${(await r.arrayBuffer()).byteLength}`, { headers: { 'x-a': '1' } }) };
    const r = await iface.fetch({ id: 'warm-up', method: 'POST', url: 'http://warm.up/', headers: [['a', 'b']], body: new Uint8Array(1) });
    if (r.error) throw new Error(`worker spare: the warm-up failed: ${r.error}`);
    handler = null;
    takeLogs();
  }

  async function load(worker) {
    if (loaded) throw new Error('this isolate has its worker already');
    loaded = true;
    name = String(worker.name);
    limits = { ...DEFAULTS, ...((worker.config && worker.config.limits) || {}) };
    env = makeEnv(sys, worker.config || {});
    scriptFile = `${name}.js:`;
    // The source comes with a spare's become(), as a classic script when
    // the invoker could make it one, or is read from the store.
    const classic = typeof worker.classic === 'string' ? worker.classic : null;
    let source = typeof worker.source === 'string' ? worker.source : null;
    if (source === null && classic === null) {
      try {
        source = await sys.fs.readFile(worker.scriptPath);
      } catch (e) {
        failure = `${worker.scriptPath}: ${e.message}`;
      }
    }
    let namespace = null;
    if (!failure) {
      sys.proc.cpuBudget(limits.startup);
      try {
        namespace = (0, eval)(`${classic === null ? toClassicScript(source) : classic}\n//# sourceURL=${name}.js`);
      } catch (e) {
        failure = `${e && e.name ? e.name : 'Error'}: ${e && e.message !== undefined ? e.message : e}${e && e.stack ? `\n${stackLines(e.stack)}` : ''}`;
      }
      idle();
    }
    handler = namespace && namespace.default;
    main = namespace && typeof namespace.main === 'function' ? namespace.main : null;
    if (!failure && !(handler && typeof handler.fetch === 'function') && !main) {
      failure = 'the script exports neither a default object with fetch(request, env, ctx) nor a main(params) action';
    }
    await sys.services.export(String(worker.service), iface);
    return iface.ready();
  }

  // ---- requests -----------------------------------------------------------------------------
  // One CPU budget covers the requests in flight: each adds its share, and
  // when none is left the idle budget (what a timer may spend between
  // requests) takes over.
  let busy = 0;
  const open = new Map(); // id -> { reader, sent, waitUntil, ended, subrequests }: requests not yet finished

  // A request begins: its share of the CPU budget, and its state.
  function start(id) {
    current = id;
    sys.proc.cpuBudget(limits.cpu, busy++ === 0 ? {} : { mode: 'add' });
    const state = { reader: null, sent: 0, waitUntil: [], ended: false, subrequests: 0 };
    open.set(id, state);
    return state;
  }

  // The `ctx` a handler gets: what it gives waitUntil keeps the request open.
  const contextFor = (state) => ({ waitUntil: (p) => void state.waitUntil.push(Promise.resolve(p)), passThroughOnException: () => {} });

  // Once per request: its handler answered and its body was sent, or it
  // failed, or the invoker gave up on it (cancel).
  async function finish(id, state) {
    if (state.ended) return;
    state.ended = true;
    await Promise.allSettled(state.waitUntil); // ctx.waitUntil: the request's budget (and its subrequests) last until they settle
    open.delete(id);
    if (--busy === 0) idle();
  }

  async function bodyPiece(id, state) {
    const parts = [];
    let n = 0;
    let done = false;
    while (n < CHUNK) {
      const r = await state.reader.read();
      current = id;
      if (r.done) {
        done = true;
        break;
      }
      const bytes = chunkBytes(r.value);
      parts.push(bytes);
      n += bytes.length;
    }
    state.sent += n;
    if (state.sent > limits.response) {
      state.reader.cancel().catch(() => {});
      finish(id, state);
      return { limit: 'response', logs: takeLogs() };
    }
    if (done) finish(id, state);
    return { body: parts.length === 1 ? parts[0] : concatBytes(parts), more: !done, logs: takeLogs() };
  }

  const iface = {
    ready: () => ({ ok: !failure, error: failure, fetch: !!(handler && handler.fetch), action: !!main, logs: takeLogs() }),

    async fetch({ id, method, url, headers, body }) {
      if (failure) return { error: failure, logs: takeLogs() };
      const state = start(id);
      let response;
      try {
        const request = new Request(url, { method, headers, body: body && body.length ? body : null });
        response = await handler.fetch(request, env, contextFor(state));
        current = id;
        if (!(response instanceof Response)) throw new TypeError(`fetch() returned ${response === null ? 'null' : typeof response}, not a Response`);
      } catch (e) {
        finish(id, state);
        return { error: describeError(e), limit: limitOfError(e), logs: takeLogs() };
      }
      const head = { status: response.status, statusText: response.statusText, headers: [...response.headers] };
      // Read from its body record, not `.body`: that getter makes a body
      // made from bytes a stream, and loads the streams' 13 KB to do it.
      const made = response[kBody];
      if (!made) {
        finish(id, state);
        return { ...head, body: null, more: false, logs: takeLogs() };
      }
      // A body made from a string or bytes goes as those bytes, not through
      // its stream (most responses: new Response('hello')); it is used, as a
      // read would leave it.
      if (made.source && !unusable(made) && made.source.length <= CHUNK && made.source.length <= limits.response) {
        markUsed(made);
        finish(id, state);
        return { ...head, body: made.source, more: false, logs: takeLogs() };
      }
      if (state.ended) {
        response.body.cancel().catch(() => {}); // the invoker gave up on it meanwhile
        return { error: 'cancelled', logs: takeLogs() };
      }
      state.reader = response.body.getReader();
      try {
        return { ...head, ...(await bodyPiece(id, state)) };
      } catch (e) {
        finish(id, state);
        return { error: describeError(e), logs: takeLogs() };
      }
    },

    async read(id) {
      const state = open.get(id);
      if (!state || !state.reader || state.ended) return { body: null, more: false, logs: takeLogs() };
      try {
        return await bodyPiece(id, state);
      } catch (e) {
        finish(id, state);
        return { error: describeError(e), logs: takeLogs() };
      }
    },

    // The client went away, or the wall time is up: stop pulling the body.
    cancel(id) {
      const state = open.get(id);
      if (state) {
        if (state.reader) state.reader.cancel().catch(() => {});
        finish(id, state);
      }
      return takeLogs();
    },

    // An OpenWhisk action call: main(params), or a POST of the JSON to fetch.
    async action({ id, params }) {
      if (failure) return { error: failure, logs: takeLogs() };
      const state = start(id);
      try {
        let result;
        if (main) result = await main(params);
        else {
          const request = new Request(`http://${name}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
          const response = await handler.fetch(request, env, contextFor(state));
          result = await response.json();
        }
        current = id;
        return { result: JSON.parse(JSON.stringify(result === undefined ? {} : result)), logs: takeLogs() };
      } catch (e) {
        return { error: describeError(e), limit: limitOfError(e), logs: takeLogs() };
      } finally {
        finish(id, state);
      }
    },

    logs: () => takeLogs(),
  };
  if (spare) {
    await warmUp();
    await sys.services.export(String(spare), { become: (worker) => load(worker) });
  } else {
    await load({ name, service, scriptPath, config });
  }
  await new Promise(() => {}); // serve until the invoker removes this instance
  return 0;
}

// ---- env: configuration values, and KV namespaces over the kv service ---------------------------
function makeEnv(sys, config) {
  const env = {};
  for (const [k, v] of Object.entries(config.vars || {})) env[k] = String(v);
  let kv = null;
  const connect = async () => kv || (kv = await sys.services.connect('kv'));
  for (const [binding, namespace] of Object.entries(config.kv || {})) env[binding] = kvNamespace(connect, String(namespace));
  return env;
}

// Cloudflare's KV API, over the `kv` service's flat map: a key is stored as
// "NAMESPACE:key", so two workers bound to the same namespace share it and
// two namespaces never meet.
function kvNamespace(connect, namespace) {
  const full = (key) => {
    key = String(key);
    if (key === '' || new TextEncoder().encode(key).length > KV_KEY_BYTES) throw new TypeError(`KV key must be 1-${KV_KEY_BYTES} bytes`);
    return `${namespace}:${key}`;
  };
  return {
    async get(key, options) {
      const value = await (await connect()).get(full(key));
      if (value === undefined || value === null) return null;
      const type = typeof options === 'string' ? options : (options && options.type) || 'text';
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
      if (type === 'arrayBuffer') return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const text = typeof value === 'string' ? value : new TextDecoder().decode(bytes);
      if (type === 'json') return JSON.parse(text);
      if (type === 'text') return text;
      throw new TypeError(`KV get: unknown type '${type}' (text, json, arrayBuffer)`);
    },
    async put(key, value) {
      if (typeof value !== 'string' && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) throw new TypeError('KV put: the value must be a string, an ArrayBuffer or a view');
      const stored = typeof value === 'string' ? value : new Uint8Array(ArrayBuffer.isView(value) ? value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) : value.slice(0));
      await (await connect()).put(full(key), stored);
    },
    async delete(key) {
      await (await connect()).delete(full(key));
    },
    async list({ prefix = '', limit = 1000 } = {}) {
      const start = `${namespace}:${prefix}`;
      const names = (await (await connect()).keys()).filter((k) => k.startsWith(start)).map((k) => k.slice(namespace.length + 1)).sort();
      return { keys: names.slice(0, limit).map((n) => ({ name: n })), list_complete: names.length <= limit };
    },
  };
}

function chunkBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError('a response body stream must give Uint8Array chunks');
}

function formatValue(v) {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.stack || `${v.name}: ${v.message}`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch (e) {
    return String(v);
  }
}

// A stack's frames in the worker's own file only (NAME.js, its sourceURL):
// the host's are noise.
let scriptFile = null;
function stackLines(stack) {
  return String(stack).split('\n').filter((l) => /^\s+at /.test(l) && scriptFile && l.includes(scriptFile)).slice(0, 8).join('\n');
}

// The limit a thrown error stands for, if any: an ArrayBuffer or
// WebAssembly allocation past the memory limit (ELIMIT, kernel/app/memory.js),
// or the 51st fetch.
function limitOfError(e) {
  if (e && e.code === 'ELIMIT') return 'memory';
  if (e && e.subrequests) return 'subrequests';
  return null;
}

function describeError(e) {
  if (!(e instanceof Error)) return `Uncaught ${formatValue(e)}`;
  const frames = e.stack ? stackLines(e.stack) : '';
  return `${e.name}: ${e.message}${frames ? `\n${frames}` : ''}`;
}

module.exports = { serve, kvNamespace };
