// apps/invoker.js: code that arrives over the network runs in a fresh
// isolate (issue 14; docs/workers.md). A Workers-style invoker:
//
//   svc start invoker            (or jsksh --service invoker)
//   curl -T hello.js http://MACHINE/workers/hello      deploy
//   curl http://MACHINE/hello/                          call its fetch
//
// It serves HTTP on port 80 (/lib/http/server) and the `invoker` service
// (deploy, list, logs, remove, source) that the `worker` app uses. Each
// version of each worker's code runs in an isolate of its own: a service
// "w.NAME.HASH7" the kernel's registry starts (`worker serve`, which runs
// /lib/worker/instance) and may evict when memory is short, and that the
// next request starts again. A deploy starts the new version at once and
// answers only once its code has evaluated (a syntax error or a throw at
// import is the deploy's 400, and the old version goes on serving); the
// old version's isolate goes when its last request has. Requests run under
// Cloudflare's limits (/lib/worker/limits): the instance arms the CPU
// budget, the machine's watchdog ends an isolate that passes it, and the
// call here then fails with the reason, which is answered (503) and logged.
// Every script is kept by its hash (/lib/worker/script-store).
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { createServer } = require('/lib/http/server');
const { route, nameError } = require('/lib/worker/routes');
const { ScriptStore } = require('/lib/worker/script-store');
const { onDisk } = require('/lib/on-disk');
const { DEFAULTS, LIMITS, parseLimit, ANSWERS, limitOfReason, limitWords } = require('/lib/worker/limits');
const { formatLog } = require('/lib/worker/log-lines');
const { deadlinesFor } = require('/lib/http/deadlines');
const { defaultTimers } = require('/lib/http/connection-reader');
const { concatBytes } = require('/lib/http/bytes');
const { TextEncoder, TextDecoder } = require('/lib/web/encoding');
const { URLSearchParams } = require('/lib/web/url');
const { toClassicScript } = require('/lib/worker/module-form');

const SPARES = 8; // isolates kept ready for the next deploys (below, "Spares"; --spares)
const STARTING = 4; // fresh isolates started at once (below, startSlot)
const REFILL_DELAY_MS = 20; // after a deploy that left few spares, when to start more
const QUIET_MS = 30; // without a deploy for this long, the spares are topped up
const MAX_SCRIPT = 10 * 1024 * 1024; // Cloudflare's largest worker (paid plan), after compression
const LOG_KEEP = 1000; // lines of `worker logs` kept per worker
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'content-length']);


module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('invoker', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (operands.length) return usageError('invoker', module.exports, `extra operand '${operands[0]}'`);
  const port = options.port === null ? 80 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError('invoker', module.exports, `bad port '${options.port}'`);

  // Scripts are kept on the disk when /home is one (they survive a reboot), else in /tmp.
  const dir = options.dir || ((await onDisk(sys.fs)) ? '/home/invoker' : '/tmp/invoker');
  const spares = options.spares === null ? SPARES : Number(options.spares);
  if (!Number.isInteger(spares) || spares < 0 || spares > 256) return usageError('invoker', module.exports, `bad number of spares '${options.spares}' (0-256)`);
  const invoker = new Invoker(new ScriptStore(sys.fs, dir), spares);
  try {
    await invoker.store.init();
  } catch (e) {
    sys.stderr.write(`invoker: ${dir}: ${e.message}\n`);
    return 1;
  }
  const server = createServer((req, res) => invoker.http(req, res), {
    limits: { body: Math.max(MAX_SCRIPT, DEFAULTS.request) },
    maxConnections: 1024,
    onError: (e, req) => {
      if (!e || !e.cut) sys.stderr.write(`invoker: ${req.method} ${req.target}: ${e && e.message}\n`);
    },
  });
  try {
    await server.listen(port);
  } catch (e) {
    sys.stderr.write(`invoker: port ${port}: ${e.message}\n`);
    return 1;
  }
  await sys.services.export('invoker', {
    deploy: (name, source, config) => invoker.deploy(name, toBytes(source), config || {}),
    list: () => invoker.list(),
    logs: (name) => invoker.logsOf(name),
    remove: (name) => invoker.remove(name),
    source: (name) => invoker.source(name),
    history: () => invoker.store.history(),
  });
  invoker.refill();
  sys.stderr.write(`invoker: serving workers on port ${server.port}\n`);
  return 0; // the listener and the exported service keep it running
};

class Invoker {
  constructor(store, spares = SPARES) {
    this.store = store;
    this.workers = new Map(); // name -> { name, hash, size, deployed, config, instance, requests, errors, logs, busy }
    this.nextRequest = 1;
    this.deploying = new Map(); // name -> the last deploy of it still going (deploy())
    // Wall-time limits share one timer (a setTimeout each is a kernel call a request).
    this.timers = defaultTimers();
    this.deadlines = deadlinesFor(this.timers);
    this.spares = []; // [{service, proxy}]: ready to become a worker
    this.sparesStarting = 0;
    this.sparesWanted = spares;
    this.sparesLow = Math.ceil(spares / 4); // this few left (ready or starting): start more now
    this.nextSpare = 1;
    this.refillTimer = null;
    this.lastDeploy = 0; // performance.now() of the last deploy that took a spare
    this.startingNow = 0;
    this.startQueue = [];
  }

  // ---- HTTP -------------------------------------------------------------------------------
  async http(req, res) {
    const r = route(req.method, req.path, req.headers.host, (n) => this.workers.has(n));
    switch (r.kind) {
      case 'invoke':
        return this.invoke(this.workers.get(r.name), req, res);
      case 'action':
        return this.httpAction(r.name, req, res);
      case 'list':
        return json(res, 200, this.list());
      case 'deploy':
        return this.httpDeploy(r.name, req, res);
      case 'source': {
        const w = this.workers.get(r.name);
        if (!w) return text(res, 404, `no worker named '${r.name}'\n`);
        res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
        res.setHeader('X-Worker-Hash', w.hash);
        return res.end(await this.source(r.name));
      }
      case 'remove':
        if (!this.workers.has(r.name)) return text(res, 404, `no worker named '${r.name}'\n`);
        return json(res, 200, await this.remove(r.name));
      case 'logs':
        if (!this.workers.has(r.name)) return text(res, 404, `no worker named '${r.name}'\n`);
        return text(res, 200, this.logsOf(r.name).map(formatLog).join(''));
      default:
        if (r.allow) res.setHeader('Allow', r.allow);
        return text(res, r.status, `${r.message}\n`);
    }
  }

  async httpDeploy(name, req, res) {
    let config;
    try {
      config = configFromQuery(req.query);
    } catch (e) {
      return text(res, 400, `${e.message}\n`);
    }
    const body = await req.bytes();
    const r = await this.deploy(name, body, config);
    if (r.error) return text(res, r.status, `${r.error}\n`);
    return json(res, r.created ? 201 : 200, r);
  }

  // ---- deploy, remove, list ----------------------------------------------------------------
  // Serialized per name, deployed yet or not: two deploys of one worker
  // never race (the loser's isolate would be left running, routed to by no one).
  deploy(name, bytes, config) {
    const key = String(name);
    const prev = this.deploying.get(key) || Promise.resolve();
    const next = prev.then(() => this.deployNow(key, bytes, config));
    const settled = next.catch(() => {});
    this.deploying.set(key, settled);
    settled.then(() => {
      if (this.deploying.get(key) === settled) this.deploying.delete(key);
    });
    return next;
  }

  async deployNow(name, bytes, config) {
    const bad = nameError(String(name));
    if (bad) return { status: 400, error: bad };
    if (!bytes || !bytes.length) return { status: 400, error: 'empty script: send the worker\'s JavaScript as the body' };
    if (bytes.length > MAX_SCRIPT) return { status: 413, error: `script of ${bytes.length} bytes: at most ${MAX_SCRIPT}` };
    let settings;
    try {
      settings = checkConfig(config);
    } catch (e) {
      return { status: 400, error: e.message };
    }
    let source;
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (e) {
      return { status: 400, error: 'the script is not valid UTF-8' };
    }
    const hash = this.store.hashOf(bytes);
    // Kept while the isolate starts: a spare is handed the source itself, and
    // an isolate started afresh, which reads the file, starts once it is kept.
    const kept = this.store.keep(hash, source);
    kept.catch(() => {});
    const old = this.workers.get(name);
    const version = shortHash(hash, settings);
    if (old && old.instance && old.instance.version === version) {
      return { name, hash, size: bytes.length, deployed: old.deployed, created: false, unchanged: true };
    }
    const instance = await this.startInstance(name, version, hash, source, settings, kept);
    try {
      await kept;
    } catch (e) {
      if (!instance.error) removeService(instance.service);
      return { status: 507, error: `the script could not be kept: ${e.message}` };
    }
    if (instance.error) return { status: 400, error: `${name}: ${instance.error}` };
    const deployed = new Date().toISOString();
    const w = old || { name, requests: 0, errors: 0, logs: [] };
    if (old && old.instance) this.retire(old.instance);
    Object.assign(w, { hash, size: bytes.length, deployed, config: settings, instance });
    this.workers.set(name, w);
    this.log(w, null, 'deploy', `deployed ${hash.slice(0, 12)} (${bytes.length} bytes) as ${instance.service}`);
    // The log is written in order, but the answer does not wait for it.
    this.store.record({ time: deployed, op: 'deploy', name, hash, size: bytes.length, config: settings }).catch((e) => sys.stderr.write(`invoker: deploys.log: ${e.message}\n`));
    this.refillSoon();
    return { name, hash, size: bytes.length, deployed, created: !old };
  }

  // ---- Spares ---------------------------------------------------------------------------------
  // Cloudflare starts a worker's isolate while the TLS handshake is still
  // going; here a few isolates are started before any deploy asks, each
  // with the instance's globals, console and fetch in place but no worker
  // code (`worker spare SERVICE`). A deploy renames one (svc.rename: the
  // registry then knows it by the worker's service name, and restarts it
  // with the worker's argv) and hands it the script; a spare never ran
  // anyone's code, so each version still gets a fresh isolate of its own.
  //
  // When spares are started matters as much as having them. Starting one
  // costs about 10 ms of CPU, and the machine has one CPU: started as each
  // deploy takes one, it shares the CPU with the next deploy and its first
  // request, and in a run of back-to-back deploys every one of them pays.
  // So the spares are topped up in batches, as a pool with low and high
  // water marks is: once deploys pause (QUIET_MS), or, in a run that goes
  // on, once only sparesLow are left. Then most deploys of a run find the
  // CPU to themselves, and a few share it with a batch (docs/performance.md,
  // "Cold requests": p50 and p99 with each policy).
  refill() {
    while (this.spares.length + this.sparesStarting < this.sparesWanted) {
      this.sparesStarting++;
      const service = `w.spare.${this.nextSpare++}`;
      this.startSpare(service)
        .then((spare) => this.spares.push(spare), (e) => sys.stderr.write(`invoker: spare ${service}: ${e.message}\n`))
        .finally(() => this.sparesStarting--);
    }
  }

  // After a deploy took a spare: top up soon if few are left, else once deploys pause.
  refillSoon() {
    this.lastDeploy = performance.now();
    if (this.refillTimer || !this.sparesWanted) return;
    const low = this.spares.length + this.sparesStarting <= this.sparesLow;
    const wait = (ms) => {
      this.refillTimer = setTimeout(() => {
        this.refillTimer = null;
        const quiet = performance.now() - this.lastDeploy;
        if (this.spares.length + this.sparesStarting > this.sparesLow && quiet < QUIET_MS) wait(QUIET_MS - quiet);
        else this.refill();
      }, ms);
    };
    wait(low ? REFILL_DELAY_MS : QUIET_MS);
  }

  async startSpare(service) {
    const limits = { heap: DEFAULTS.memory, external: DEFAULTS.memory };
    await sys.call('svc.start', { name: service, argv: ['worker', 'spare', service], limits });
    return { service, proxy: await sys.services.connect(service) };
  }

  // A spare becomes this version's instance; null if none is ready (or it
  // had gone), to start one afresh.
  async fromSpare(name, service, argv, hash, source, settings) {
    if (settings.limits.memory !== DEFAULTS.memory) return null; // a spare's heap limit is set at its start
    const spare = this.spares.shift();
    if (!spare) return null;
    try {
      await sys.call('svc.rename', { from: spare.service, to: service, argv });
    } catch (e) {
      await removeService(spare.service);
      return null;
    }
    try {
      // The connection to its new name is asked for at once: the registry
      // answers it as soon as the spare exports that name.
      const connecting = sys.services.connect(service);
      connecting.catch(() => {});
      const ready = await spare.proxy.become({ name, service, scriptPath: this.store.path(hash), ...classicOrSource(source), config: settings });
      if (!ready.ok) throw new Error(ready.error);
      return { proxy: await connecting };
    } catch (e) {
      await removeService(service);
      return { error: e.reason ? `killed: ${e.reason}` : e.message };
    }
  }

  // A fresh isolate for this version: a spare, or one started now; its code
  // evaluated, ready().
  async startInstance(name, version, hash, source, settings, kept = Promise.resolve()) {
    const service = `w.${name}.${version}`;
    const memory = settings.limits.memory;
    const argv = ['worker', 'serve', name, service, this.store.path(hash), JSON.stringify(settings)];
    const spare = await this.fromSpare(name, service, argv, hash, source, settings);
    if (spare && spare.error) return { error: spare.error };
    if (spare) return { service, version, proxy: spare.proxy, busy: 0, retired: false };
    await kept.catch(() => {}); // it reads the script from the store (a failure is the deploy's 507)
    await this.startSlot();
    try {
      try {
        await sys.call('svc.start', { name: service, argv, limits: { heap: memory, external: memory } });
      } catch (e) {
        if (e.code !== 'EEXIST') return { error: e.message };
      }
      let proxy;
      let ready;
      try {
        proxy = await sys.services.connect(service);
        ready = await proxy.ready();
      } catch (e) {
        await removeService(service);
        return { error: (e.reason ? `killed: ${e.reason}` : e.message).replace(/^.*?: the service \S+ /, '') };
      }
      if (!ready.ok) {
        await removeService(service);
        return { error: ready.error };
      }
      return { service, version, proxy, busy: 0, retired: false };
    } finally {
      this.endSlot();
    }
  }

  // At most STARTING isolates start at once; more deploys wait here. A
  // burst of 200 started together would have every one wait for all the
  // others (two CPUs, one kernel), past the registry's 5 s for a service
  // to export, and the kernel's time would go to spawns while the
  // invoker's own connections waited for their reads.
  startSlot() {
    if (this.startingNow < STARTING) {
      this.startingNow++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.startQueue.push(resolve));
  }

  endSlot() {
    const next = this.startQueue.shift();
    if (next) next();
    else this.startingNow--;
  }

  // An old version goes once its last request has.
  retire(instance) {
    instance.retired = true;
    if (instance.busy === 0) removeService(instance.service);
  }

  // A request on `instance` is over.
  release(instance) {
    if (--instance.busy === 0 && instance.retired) removeService(instance.service);
  }

  // The worker deployed as `name`, or ENOENT (what the `invoker` service's callers get).
  named(name) {
    const w = this.workers.get(name);
    if (!w) throw Object.assign(new Error(`no worker named '${name}'`), { code: 'ENOENT' });
    return w;
  }

  async remove(name) {
    const w = this.named(name);
    this.workers.delete(name);
    if (w.instance) this.retire(w.instance);
    await this.store.record({ time: new Date().toISOString(), op: 'remove', name, hash: w.hash });
    return { name, hash: w.hash, removed: true };
  }

  list() {
    return [...this.workers.values()].map((w) => ({
      name: w.name,
      hash: w.hash,
      size: w.size,
      deployed: w.deployed,
      requests: w.requests,
      errors: w.errors,
      service: w.instance.service,
      limits: w.config.limits,
    }));
  }

  async source(name) {
    return sys.fs.readFile(this.store.path(this.named(name).hash));
  }

  logsOf(name) {
    return this.named(name).logs.slice();
  }

  log(w, id, level, message) {
    if (w.logs.length >= LOG_KEEP) w.logs.shift();
    w.logs.push({ time: new Date().toISOString(), id, level, message });
  }

  keepLogs(w, lines) {
    for (const [id, level, message] of lines || []) this.log(w, id, level, message);
  }

  // ---- a request ---------------------------------------------------------------------------
  async invoke(w, req, res) {
    const id = this.requestId();
    const instance = w.instance;
    const limits = w.config.limits;
    w.requests++;
    instance.busy++;
    res.setHeader('X-Request-Id', id);
    // The wall-time limit: a request whose worker never answers (or whose
    // body never ends) is given up when it passes, whatever the worker does.
    let timedOut = false;
    let giveUp;
    const wallTime = new Promise((resolve) => (giveUp = resolve));
    const wall = this.deadlines.add(this.timers.now() + limits.wall, () => {
      timedOut = true;
      giveUp({ wall: true });
      instance.proxy.cancel(id).then((lines) => this.keepLogs(w, lines), () => {});
    });
    const call = (promise) => Promise.race([promise, wallTime]);
    try {
      const body = await readBody(req, limits.request);
      if (body === null) return this.refuse(w, id, res, 'request', `request body over ${limits.request} bytes`);
      const url = `http://${req.headers.host || 'localhost'}${req.target}`;
      const headers = req.rawHeaders.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase()));
      let r;
      try {
        r = await call(instance.proxy.fetch({ id, method: req.method, url, headers, body }));
      } catch (e) {
        return this.instanceEnded(w, id, res, e);
      }
      if (timedOut) return this.refuse(w, id, res, 'wall', `no answer within ${limits.wall} ms`);
      this.keepLogs(w, r.logs);
      if (r.error !== undefined || r.limit) return this.refuse(w, id, res, r.limit || 'exception', r.error);
      const head = {};
      for (const [n, v] of r.headers) if (!HOP_BY_HOP.has(n)) head[n] = n in head ? `${head[n]}, ${v}` : v;
      if (!r.more) head['content-length'] = String(r.body ? r.body.length : 0);
      res.writeHead(r.status, head);
      if (r.body && r.body.length && req.method !== 'HEAD') await res.write(r.body);
      while (r.more) {
        try {
          r = await call(instance.proxy.read(id));
        } catch (e) {
          return this.instanceEnded(w, id, res, e);
        }
        if (timedOut) return this.cut(w, id, 'wall', `the response did not end within ${limits.wall} ms`);
        this.keepLogs(w, r.logs);
        if (r.error !== undefined || r.limit) return this.cut(w, id, r.limit || 'exception', r.error || `over ${limits.response} bytes`);
        if (r.body && r.body.length && req.method !== 'HEAD') await res.write(r.body);
      }
      await res.end();
    } finally {
      this.deadlines.remove(wall);
      this.release(instance);
    }
  }

  // The worker's isolate ended during the call: a limit the machine
  // enforced (CPU, heap), or a fault. The registry starts it again on the
  // next request.
  instanceEnded(w, id, res, e) {
    const reason = e.reason || e.message;
    const limit = limitOfReason(reason);
    if (res.headersSent) return this.cut(w, id, limit, reason);
    return this.refuse(w, id, res, limit, reason);
  }

  // A request that ends on a limit or a fault, before its head was sent:
  // Cloudflare's status and page, and a line in `worker logs`.
  refuse(w, id, res, limit, detail) {
    const [status, body] = ANSWERS[limit] || ANSWERS.exception;
    w.errors++;
    this.log(w, id, limit === 'exception' ? 'exception' : 'limit', `${limitWords(limit, w.config.limits)}${detail ? `: ${detail}` : ''} (answered ${status})`);
    return text(res, status, body);
  }

  // ... and after it: the connection is cut, so the client sees a short body.
  cut(w, id, limit, detail) {
    w.errors++;
    this.log(w, id, 'limit', `${limitWords(limit, w.config.limits)}${detail ? `: ${detail}` : ''} (response cut)`);
    throw Object.assign(new Error(`request ${id}: ${limit}`), { cut: true });
  }

  async httpAction(name, req, res) {
    const w = this.workers.get(name);
    if (!w) return json(res, 404, { error: `The requested resource does not exist: action '${name}'` });
    let params;
    try {
      const body = await req.bytes();
      params = body.length ? JSON.parse(new TextDecoder().decode(body)) : {};
    } catch (e) {
      return json(res, 400, { error: `The request content was malformed: ${e.message}` });
    }
    const id = this.requestId();
    const instance = w.instance;
    w.requests++;
    instance.busy++;
    res.setHeader('X-Request-Id', id);
    try {
      let r;
      try {
        r = await instance.proxy.action({ id, params });
      } catch (e) {
        const limit = limitOfReason(e.reason || e.message);
        w.errors++;
        this.log(w, id, 'limit', `${limitWords(limit, w.config.limits)}: ${e.reason || e.message}`);
        return json(res, 502, { error: `The action did not produce a valid response: ${limitWords(limit, w.config.limits)}`, activationId: id });
      }
      this.keepLogs(w, r.logs);
      if (r.error !== undefined) {
        w.errors++;
        this.log(w, id, 'exception', r.error);
        return json(res, 502, { error: r.error, activationId: id });
      }
      // blocking=true&result=true gives the result alone (wsk action invoke -r); blocking=true, the activation.
      const query = new URLSearchParams(req.query);
      if (query.get('result') === 'true' || query.get('blocking') !== 'true') return json(res, 200, r.result);
      return json(res, 200, { activationId: id, name, response: { status: 'success', success: true, result: r.result } });
    } finally {
      this.release(instance);
    }
  }

  // A request id as Cloudflare's cf-ray: 16 hex digits.
  requestId() {
    const n = this.nextRequest++;
    return (n.toString(16).padStart(8, '0') + Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')).slice(-16);
  }
}

// ---- settings ---------------------------------------------------------------------------------
// `PUT /workers/NAME?var.GREETING=hi&kv.STORE=notes&cpu=10ms&memory=64M`:
// var.X an env value, kv.X a KV namespace binding, a limit by its name.
function configFromQuery(query) {
  const config = { vars: {}, kv: {}, limits: {} };
  for (const [key, value] of new URLSearchParams(query)) {
    if (key.startsWith('var.')) config.vars[key.slice(4)] = value;
    else if (key.startsWith('kv.')) config.kv[key.slice(3)] = value;
    else if (Object.prototype.hasOwnProperty.call(LIMITS, key)) config.limits[key] = value;
    else throw new Error(`unknown setting '${key.slice(0, 40)}': var.NAME=VALUE, kv.BINDING=NAMESPACE, or a limit (${Object.keys(LIMITS).join(', ')})`);
  }
  return config;
}

// The settings as kept and handed to the instance, every limit a number.
function checkConfig(config) {
  const binding = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
  const vars = {};
  const kv = {};
  for (const [k, v] of Object.entries(config.vars || {})) {
    if (!binding.test(k)) throw new Error(`bad binding name '${String(k).slice(0, 40)}'`);
    vars[k] = String(v);
  }
  for (const [k, v] of Object.entries(config.kv || {})) {
    if (!binding.test(k)) throw new Error(`bad binding name '${String(k).slice(0, 40)}'`);
    if (k in vars) throw new Error(`'${k}' is bound twice`);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(String(v))) throw new Error(`bad KV namespace '${String(v).slice(0, 40)}'`);
    kv[k] = String(v);
  }
  const limits = { ...DEFAULTS };
  for (const [k, v] of Object.entries(config.limits || {})) {
    const n = typeof v === 'number' ? v : parseLimit(k, v);
    if (n instanceof Error) throw n;
    if (!Object.prototype.hasOwnProperty.call(LIMITS, k) || !(n > 0)) throw new Error(`bad limit ${k}`);
    limits[k] = n;
  }
  return { vars, kv, limits };
}

// The version's name: the script's hash and its settings, 7 hex digits.
function shortHash(hash, settings) {
  let h = 0x811c9dc5; // FNV-1a over both, enough to tell versions of one worker apart
  for (const c of hash + JSON.stringify(settings)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (hash.slice(0, 3) + h.toString(16).padStart(8, '0')).slice(0, 7);
}

// The body, or null once it passes `max` (the rest is left for the server to drain or cut).
async function readBody(req, max) {
  const parts = [];
  let n = 0;
  for (let piece; (piece = await req.read()) !== null; ) {
    n += piece.length;
    if (n > max) return null;
    parts.push(piece);
  }
  return parts.length === 1 ? parts[0] : concatBytes(parts);
}

// Stopping or forgetting an isolate that is gone already is no error.
function removeService(name) {
  return sys.call('svc.remove', { name }).catch(() => {});
}

// What a spare is handed: the classic script made here, so that no spare
// compiles the converter; a source it cannot convert goes as it is, and
// the spare's own conversion reports why, as an isolate started afresh does.
// So does a large one: converting it is work for the worker's own isolate,
// under its startup CPU budget, not for the thread every worker's requests
// go through.
const CONVERT_HERE = 64 * 1024; // characters: well under a millisecond here
function classicOrSource(source) {
  if (source.length > CONVERT_HERE) return { source };
  try {
    return { classic: toClassicScript(source) };
  } catch (e) {
    return { source };
  }
}

function toBytes(source) {
  return typeof source === 'string' ? new TextEncoder().encode(source) : source;
}

function text(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  return res.end(body);
}

function json(res, status, value) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  return res.end(`${JSON.stringify(value)}\n`);
}

module.exports.description = 'serve Workers-style code that arrives over HTTP, each worker in isolates of its own';
module.exports.options = {
  '-p, --port=PORT': 'listen on PORT (default 80)',
  '--dir=DIR': 'where scripts are kept by hash (default /home/invoker on a disk, else /tmp/invoker)',
  '--spares=N': 'isolates kept started, ready for the next deploys (default 8; 0: none)',
};
module.exports.usage = 'invoker [-p PORT] [--dir=DIR] [--spares=N]';
