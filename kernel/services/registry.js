// kernel/services/registry.js: named services, and who may call them.
//
// An app publishes an interface with services.export(name, iface); another
// gets it with services.connect(name). The registry is the policy half of
// RPC: it knows the names, grants a connection (machine.connect lets the two
// isolates post to each other; the messages themselves never pass through
// the kernel isolate: docs/architecture.md, "RPC"), starts and stops the
// long-running services of `svc start|stop`, and evicts idle ones when the
// apps' memory passes the machine's budget, least recently used first, as
// Cloudflare evicts idle Workers. An evicted service starts again on its next
// call. The kernel's own services (console, fs, net) are in the same
// namespace, answered by kernel calls.
'use strict';

const machine = require('../arch/machine');
const { KernelError } = require('../lib/errors');
const streams = require('../proc/streams');

const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const START_TIMEOUT_MS = 5000; // a started service must export within this
const MiB = 1024 * 1024;

class ServiceRegistry {
  constructor({ procs, log, timers, kernelServices, holdsSockets = () => false }) {
    this.procs = procs;
    this.holdsSockets = holdsSockets; // pid -> does it hold a network socket?
    this.log = log;
    this.timers = timers;
    this.kernelServices = kernelServices; // name -> { method: (proc, args) => value }
    this.exports = new Map(); // interface name -> { pid, obj, methods, service }
    this.managed = new Map(); // service name -> { name, argv, limits, pid, state, status, restarts, waiting }
    this.evictions = 0;
    procs.onExit.add((proc) => this.exited(proc));
  }

  // A kernel service by name: own properties only ("constructor" is not one).
  kernelService(name) {
    return Object.prototype.hasOwnProperty.call(this.kernelServices, name) ? this.kernelServices[name] : null;
  }

  // ---- the app side -----------------------------------------------------------------
  export(proc, { name, obj, methods }) {
    name = String(name);
    if (!NAME.test(name)) throw new KernelError('EINVAL', '', `services.export: bad service name ${JSON.stringify(name).slice(0, 70)}`);
    if (this.kernelService(name)) throw new KernelError('EEXIST', '', `services.export: ${name} is a kernel service`);
    const held = this.exports.get(name);
    if (held && held.pid !== proc.pid) throw new KernelError('EEXIST', '', `services.export: ${name} is already exported by pid ${held.pid}`);
    if (!Number.isSafeInteger(obj) || !Array.isArray(methods)) throw new KernelError('EINVAL', 'services.export');
    const service = [...this.managed.values()].find((s) => s.pid === proc.pid) || null;
    this.exports.set(name, { pid: proc.pid, obj, methods: methods.map(String), service });
    if (service) {
      service.exported.add(name);
      service.state = 'running';
      for (const w of service.waiting.splice(0)) w();
    }
  }

  async connect(proc, name) {
    name = String(name);
    if (this.kernelService(name)) return { kernel: true, methods: Object.keys(this.kernelService(name)) };
    let entry = this.exports.get(name);
    if (!entry) {
      const service = this.managed.get(name) || [...this.managed.values()].find((s) => s.exported && s.exported.has(name));
      if (!service) throw new KernelError('ENOENT', '', `${name}: no such service`);
      if (service.state === 'stopped') throw new KernelError('ENOENT', '', `${name}: the service is stopped (svc start ${service.name})`);
      if (service.pid === null) this.launch(service, `restarted on demand (was ${service.state})`);
      await this.exportedBy(service, name);
      entry = this.exports.get(name);
    }
    if (machine.connect(proc.pid, entry.pid) < 0) throw new KernelError('ESRCH', '', `${name}: the service process has gone`);
    return { pid: entry.pid, obj: entry.obj, methods: entry.methods };
  }

  // A kernel service's method, with the caller's arguments (plain data).
  callKernel(proc, { name, method, args }) {
    const service = this.kernelService(String(name));
    if (!service || !Object.prototype.hasOwnProperty.call(service, method)) throw new KernelError('ENOSYS', '', `${name}.${method}: no such method`);
    return service[method](proc, Array.isArray(args) ? args : []);
  }

  // ---- svc start | stop | list ------------------------------------------------------
  start(name, argv, limits) {
    name = String(name);
    if (!NAME.test(name)) throw new KernelError('EINVAL', '', `bad service name ${JSON.stringify(name).slice(0, 70)}`);
    if (this.kernelService(name)) throw new KernelError('EEXIST', '', `${name} is a kernel service`);
    let service = this.managed.get(name);
    if (service && service.pid !== null) throw new KernelError('EEXIST', '', `${name} is already running (pid ${service.pid})`);
    if (!service) {
      service = { name, argv: null, limits: null, pid: null, state: 'new', status: null, restarts: 0, started: 0, waiting: [], exported: new Set([name]) };
    }
    service.argv = Array.isArray(argv) && argv.length ? argv.map(String) : [name];
    service.limits = limits && typeof limits === 'object' ? limits : {};
    this.procs.resolveProgram(service.argv[0], '/'); // ENOENT before anything changes
    this.managed.set(name, service);
    return this.launch(service, 'started');
  }

  stop(name) {
    const service = this.managed.get(String(name));
    if (!service) throw new KernelError('ENOENT', '', `${name}: no such service`);
    service.state = 'stopped';
    if (service.pid !== null) this.procs.kill(service.pid, 'TERM');
    this.log.info(`svc: stopped ${service.name}`);
  }

  // Stop a service and forget it: what the invoker does with the instance of
  // a worker's old code, or a deleted worker's. Quiet: it is not an event.
  remove(name) {
    const service = this.managed.get(String(name));
    if (!service) throw new KernelError('ENOENT', '', `${name}: no such service`);
    this.managed.delete(service.name);
    service.state = 'stopped';
    if (service.pid !== null) this.procs.kill(service.pid, 'KILL');
    for (const w of service.waiting.splice(0)) w();
  }

  // A running service takes another name (and the argv that starts it again
  // under that name): the invoker's spare worker isolates, started before any
  // code was deployed, become a worker's (apps/invoker.js, "Spares"). The
  // process exports the new name itself.
  rename(from, to, argv) {
    const service = this.managed.get(String(from));
    if (!service) throw new KernelError('ENOENT', '', `${from}: no such service`);
    to = String(to);
    if (!NAME.test(to)) throw new KernelError('EINVAL', '', `bad service name ${JSON.stringify(to).slice(0, 70)}`);
    if (this.managed.has(to) || this.exports.has(to) || this.kernelService(to)) throw new KernelError('EEXIST', '', `${to}: a service has that name`);
    if (service.pid === null) throw new KernelError('ESRCH', '', `${from}: not running`);
    this.procs.resolveProgram(argv[0], '/');
    for (const name of service.exported) if (this.exports.get(name) && this.exports.get(name).pid === service.pid) this.exports.delete(name);
    this.managed.delete(service.name);
    Object.assign(service, { name: to, argv: argv.map(String), exported: new Set([to]), state: 'starting' });
    this.managed.set(to, service);
    const proc = this.procs.procs.get(service.pid);
    if (proc) proc.argv = service.argv; // what ps shows
  }

  list() {
    const stats = machine.procStat();
    const rows = Object.keys(this.kernelServices).map((name) => ({ name, pid: 0, state: 'kernel', program: '(kernel)', methods: Object.keys(this.kernelServices[name]), restarts: 0, memory: null, idle: null, calls: null }));
    const seen = new Set();
    const row = (name, pid, state, service, methods) => {
      const s = pid !== null ? stats[pid] : null;
      rows.push({
        name,
        pid,
        state,
        program: service ? service.argv.join(' ') : pid !== null && this.procs.procs.get(pid) ? this.procs.procs.get(pid).argv.join(' ') : '-',
        methods,
        restarts: service ? service.restarts : 0,
        memory: s && s.heap !== null ? s.heap + (s.external || 0) : null,
        idle: s ? s.idle : null,
        calls: s ? s.in : null,
      });
    };
    for (const [name, e] of this.exports) {
      seen.add(name);
      row(name, e.pid, e.service ? e.service.state : 'running', e.service, e.methods);
    }
    for (const service of this.managed.values()) {
      if (!seen.has(service.name)) row(service.name, service.pid, service.state, service, []);
    }
    return rows;
  }

  // ---- lifecycle ----------------------------------------------------------------------
  launch(service, why) {
    const logSink = streams.logSink(this.log, () => `${service.name}[${service.pid}]`);
    const proc = this.procs.spawn(null, service.argv, { limits: service.limits, cwd: '/', env: { PATH: '/bin', HOME: '/' } }, {
      stdin: streams.nullSource,
      stdout: logSink,
      stderr: logSink,
      service: true,
    });
    if (service.state !== 'new' && service.state !== 'stopped') service.restarts++;
    service.pid = proc.pid;
    service.state = 'starting';
    service.started = machine.clock();
    this.log.info(`svc: ${why}: ${service.name} (pid ${proc.pid}, ${service.argv.join(' ')})`);
    return proc.pid;
  }

  exportedBy(service, name) {
    if (this.exports.has(name)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = this.timers.after(START_TIMEOUT_MS, () => {
        if (done) return;
        done = true;
        reject(new KernelError('ETIMEDOUT', '', `${name}: the service did not export it within ${START_TIMEOUT_MS / 1000} s`));
      });
      service.waiting.push(() => {
        if (done) return;
        done = true;
        this.timers.cancel(timer);
        if (this.exports.has(name)) resolve();
        else if (service.pid !== null) reject(new KernelError('ENOENT', '', `${name}: the service ${service.name} did not export it`));
        else reject(new KernelError('ENOENT', '', `${name}: the service ${service.name} ${service.reason ? `was killed: ${service.reason}` : `exited (status ${service.status})`} before it exported it`));
      });
    });
  }

  exited(proc) {
    for (const [name, e] of this.exports) if (e.pid === proc.pid) this.exports.delete(name);
    const service = [...this.managed.values()].find((s) => s.pid === proc.pid);
    if (!service) return;
    service.pid = null;
    service.status = proc.status;
    service.reason = proc.reason || null;
    if (service.state === 'evicting') service.state = 'evicted';
    else if (service.state !== 'stopped') {
      service.state = proc.status === 0 ? 'exited' : 'failed';
      this.log.warn(`svc: ${service.name} ${service.state} (status ${proc.status}); it starts again on its next call`);
    }
    // Whoever waits for its interface learns it is not coming.
    for (const w of service.waiting.splice(0)) w();
  }

  // ---- memory pressure ------------------------------------------------------------------
  // The apps use more memory than the machine's budget: stop idle managed
  // services, least recently used first, until the estimate is back under.
  // Returns the bytes freed (an estimate: heap as last sampled + ArrayBuffers).
  // A service holding a socket is never idle in this sense: its clients
  // (an invoker's HTTP connections, httpd's) are not service calls, so its
  // activity cannot show them, and stopping it would drop them; what starts
  // an evicted service again is a call, which those clients never make.
  relieve(used, budget) {
    const stats = machine.procStat();
    const idle = [...this.managed.values()]
      .filter((s) => s.pid !== null && s.state === 'running' && stats[s.pid] && !this.holdsSockets(s.pid))
      .map((s) => ({ service: s, st: stats[s.pid] }))
      .filter(({ st }) => st.serving === 0 && st.queue === 0 && st.state === 'S')
      .sort((a, b) => b.st.idle - a.st.idle);
    let freed = 0;
    for (const { service, st } of idle) {
      if (used - freed <= budget) break;
      const bytes = (st.heap || 0) + (st.external || 0);
      this.log.warn(
        `svc: evicted ${service.name} (pid ${service.pid}, ${(bytes / MiB).toFixed(1)} MiB, idle ${st.idle.toFixed(1)} s): ` +
          `isolate memory ${(used / MiB).toFixed(1)} MiB is over the ${(budget / MiB).toFixed(1)} MiB budget`,
      );
      service.state = 'evicting';
      this.evictions++;
      this.procs.kill(service.pid, 'KILL');
      freed += bytes;
    }
    return freed;
  }
}

module.exports = { ServiceRegistry };
