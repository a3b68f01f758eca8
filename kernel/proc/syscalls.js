// kernel/proc/syscalls.js: the kernel calls an app can make (docs/apps.md).
//
// Each handler takes the calling process and its arguments (plain JSON) and
// returns a value or a promise; a KernelError becomes the app's rejected
// promise. This table is the whole surface an app can reach, with two more
// that the structured port's session adds (kernel/services/session.js):
// session.next (the session shell asks for its next line) and ask.reply.
// The svc.* calls are the service registry's (kernel/services/registry.js).
'use strict';

const machine = require('../arch/machine');
const { KernelError } = require('../lib/errors');
const { WithBytes } = require('./with-bytes');
const { Vfs } = require('../fs/vfs');
const streams = require('./streams');
const timers = require('../time/timers');
const { Pinger } = require('../net/icmp-echo');
const { ipToString } = require('../net/wire/ip-address');
const { AppSockets } = require('../net/app-sockets');
const { AppTcp } = require('../net/app-tcp');
const { Resolver } = require('../net/resolver');
const { ServiceRegistry } = require('../services/registry');
const { parseMode } = require('../tty/termios');

const MAX_SLEEP_MS = 2 ** 31 - 1;
const POWER_UNMOUNT_MS = 10000; // the longest poweroff waits for the disks to unmount
const SETTLE_RETRY_MS = 5; // stdout.settle looks again after this while a disk's sink is full

// A call that answers nothing: undefined at once, or once a disk's promise settles.
const nothing = (v) => (v && typeof v.then === 'function' ? v.then(() => undefined) : undefined);

// Runs a file stream's pump until the pipe is empty (a disk's sink may be
// full of writes in flight: then again a little later), waits for a disk's
// writes to be made, and throws the error the file refused bytes with, if
// any. /tmp and a disk refuse bytes as the pump hands them over
// (docs/disk.md), so this is when they say so; and the bytes are in the
// file before the app's exit is heard, as they are in /tmp.
async function settleOutput(stream) {
  if (stream.kind !== 'file' || !stream.pump) return undefined;
  for (;;) {
    streams.settle(stream);
    if (stream.pump.empty || stream.error()) break;
    await new Promise((resolve) => timers.after(SETTLE_RETRY_MS, resolve));
  }
  if (stream.idle) await stream.idle();
  const error = stream.error();
  if (error) throw error;
  return undefined;
}

function install(kernel) {
  const { procs, vfs, tty, log } = kernel;
  const path = (proc, p) => {
    if (typeof p !== 'string' || p === '') throw new KernelError('ENOENT', String(p));
    return Vfs.resolve(proc.cwd, p);
  };
  const child = (proc, pid) => {
    const p = procs.procs.get(Number(pid));
    if (!p) throw new KernelError('ESRCH', `(${pid})`);
    return p;
  };

  // The terminal behind a stream, or ENOTTY (a pipe, a file: ioctl(2)'s answer).
  const terminalOf = (proc, stream) => {
    if (!stream || !stream.terminal) throw new KernelError('ENOTTY', '', 'Inappropriate ioctl for device: not a terminal');
    return stream.terminal;
  };

  const netInterface = () => {
    if (!kernel.iface) throw new KernelError('ENETDOWN', 'eth0');
    return kernel.iface;
  };

  const storage = () => {
    if (!kernel.storage) throw new KernelError('ENODEV', null, 'no disks');
    return kernel.storage;
  };

  // poweroff(8) and reboot(8), and the host's power button (Machine.shutdown:
  // a machine message {t: 'shutdown', status}). Disks first: synced and
  // unmounted, so the next boot has nothing to replay (bounded: a disk that
  // does not answer does not keep the power on). A `reboot` call's reply
  // waits for them: it has not returned while the old kernel still runs.
  const powerDown = (reboot, status) => {
    const unmounted = kernel.storage ? kernel.storage.unmountAll() : Promise.resolve();
    const bounded = new Promise((resolve) => timers.after(POWER_UNMOUNT_MS, resolve));
    return Promise.race([unmounted, bounded]).then(() => {
      log.emerg(reboot ? 'reboot: Restarting system' : 'reboot: Power down');
      // Let the reply and the log reach the console before the machine stops.
      timers.after(0, () => machine.power(reboot, reboot ? 0 : status));
    });
  };
  procs.onMachineMessage.add((msg) => {
    if (msg && msg.t === 'shutdown') powerDown(false, Number(msg.status) | 0);
  });

  const sockets = new AppSockets({ iface: netInterface });
  procs.onExit.add((proc) => sockets.closeAll(proc));

  // The stub resolver (kernel/net/resolver.js), made on first use: it asks
  // the name servers of the interface's lease, after /etc/hosts.
  let resolver = null;
  const theResolver = () => {
    const iface = netInterface();
    if (!resolver) {
      resolver = new Resolver({
        openSocket: () => Object.assign(iface.udp.createSocket(), { owner: 'kernel (resolver)' }),
        servers: () => iface.dns,
        clock: machine.clock,
        timers,
        random: Math.random,
        hosts: () => vfs.readFile('/etc/hosts'),
        log: (t) => log.info(t),
      });
    }
    return resolver;
  };
  // TCP for apps (kernel/net/app-tcp.js): names resolve as net.lookup's do.
  const tcpSockets = new AppTcp({ iface: netInterface, lookup: (name) => lookup(name) });
  // Does a process hold a socket: serve (or talk to) clients no service call shows? (registry.relieve)
  kernel.holdsSockets = (pid) => tcpSockets.holds(pid) || sockets.holds(pid);
  procs.onExit.add((proc) => tcpSockets.closeAll(proc));
  // A `trace` that is interrupted or killed leaves no tracer running.
  let tracing = 0;
  procs.onExit.add((proc) => {
    if (proc.pid === tracing) {
      tracing = 0;
      machine.traceStop();
    }
  });

  // Resolver errors keep their code (NXDOMAIN, ETIMEDOUT, ...) for the app.
  const resolverFailure = (e) => {
    throw Object.assign(new KernelError(e.code || 'EINVAL', '', e.message), e.rcode ? { rcode: e.rcode } : {});
  };
  // A name or dotted quad -> an address (u32).
  const lookup = (name) =>
    theResolver()
      .lookup(String(name))
      .catch((e) => {
        // The messages of glibc's getaddrinfo (EAI_NONAME, EAI_AGAIN), as ping prints them.
        const noName = e.code === 'NXDOMAIN' || e.code === 'ENODATA' || e.code === 'EINVAL';
        const again = e.code === 'ENOSERVER' || e.code === 'ETIMEDOUT' || e.code === 'SERVFAIL';
        const why = noName ? 'Name or service not known' : again ? 'Temporary failure in name resolution' : e.message;
        throw new KernelError(e.code || 'EINVAL', String(name), `${name}: ${why}`);
      });

  Object.assign(procs.handlers, {
    'fs.readdir': (proc, a) => vfs.readdir(path(proc, a.path)),
    'fs.stat': (proc, a) => vfs.stat(path(proc, a.path)),
    // Links (docs/apps.md): lstat and readlink read a link itself; symlink's
    // target is stored as given, not resolved against the caller's cwd.
    'fs.lstat': (proc, a) => vfs.lstat(path(proc, a.path)),
    'fs.readlink': (proc, a) => vfs.readlink(path(proc, a.path)),
    'fs.symlink': (proc, a) => {
      if (typeof a.target !== 'string') throw new KernelError('EINVAL', 'symlink target');
      return nothing(vfs.symlink(a.target, path(proc, a.path)));
    },
    'fs.link': (proc, a) => nothing(vfs.link(path(proc, a.existing), path(proc, a.path))),
    'fs.read': (proc, a) => vfs.readFile(path(proc, a.path)),
    'fs.write': (proc, a) => nothing(vfs.writeFile(path(proc, a.path), String(a.data ?? ''), !!a.append)),
    'fs.mkdir': (proc, a) => nothing(vfs.mkdir(path(proc, a.path))),
    // A file as a byte stream: the app gets a pipe a kernel pump fills from
    // the file ('r') or empties into it ('w', 'a'); docs/apps.md, "Files".
    'fs.open': (proc, a) => {
      const p = path(proc, a.path);
      const flags = a.flags === undefined ? 'r' : a.flags;
      if (flags !== 'r' && flags !== 'w' && flags !== 'a') throw new KernelError('EINVAL', `flags ${String(flags).slice(0, 8)}`);
      const opened = flags === 'r' ? streams.fileSource(vfs, p) : streams.fileSink(vfs, p, flags === 'a');
      const adopt = (stream) => {
        if (proc.state === 'Z') return void streams.abandon([stream]); // gone while a disk opened it
        streams.adopt(proc.pid, [stream]);
        stream.ownerPid = proc.pid;
        if (!proc.files) proc.files = new Map();
        proc.files.set(stream.pipe, stream);
        return { pipe: stream.pipe };
      };
      return typeof opened.then === 'function' ? opened.then(adopt) : adopt(opened);
    },
    // fsync(2): {pipe} an open file's writes so far, {path} a file's; either
    // way the disk's whole transaction is committed (docs/disk.md). The
    // image and /tmp have nothing to make durable: at once.
    'fs.fsync': (proc, a) => {
      if (a.pipe !== undefined) {
        const stream = proc.files && proc.files.get(Number(a.pipe));
        if (!stream) throw new KernelError('EBADF', `pipe ${a.pipe}`);
        streams.settle(stream); // what the app wrote is handed to the file first
        return stream.fsync ? stream.fsync().then(() => undefined) : undefined;
      }
      return nothing(vfs.fsync(path(proc, a.path)));
    },
    // sync(2): every mounted disk's changes durable.
    'fs.sync': () => nothing(vfs.sync()),
    // The mount table ({source, mount, type, options} each), as /proc/mounts.
    'fs.mounts': () => vfs.mountTable(),
    // The app has let go of its end: what it wrote is in the file now, or the
    // error that stopped it (ENOSPC) is the reply.
    'fs.close': (proc, a) => {
      const stream = proc.files && proc.files.get(Number(a.pipe));
      if (!stream) throw new KernelError('EBADF', `pipe ${a.pipe}`);
      proc.files.delete(Number(a.pipe));
      if (stream.release) stream.release(); // a disk file read: its open ends
      streams.settle(stream);
      if (stream.finish) return stream.finish().then(() => undefined); // a disk: its writes done and flushed, or EIO
      const error = stream.error && stream.error();
      if (error) throw error;
    },
    // An app about to exit with stdout in a file (kernel/app/life.js,
    // closeStdout): what it wrote is handed to the file now, or the error
    // that refused it (ENOSPC) is the reply.
    'stdout.settle': (proc) => settleOutput(proc.stdout),
    'fs.unlink': (proc, a) => nothing(vfs.unlink(path(proc, a.path))),
    'fs.rename': (proc, a) => nothing(vfs.rename(path(proc, a.from), path(proc, a.to))),
    'fs.rmdir': (proc, a) => nothing(vfs.rmdir(path(proc, a.path))),
    // mtime: seconds since 1970; absent or null: now.
    'fs.utimes': (proc, a) => nothing(vfs.utimes(path(proc, a.path), a.mtime === undefined || a.mtime === null ? undefined : Number(a.mtime))),
    // chmod(2): mode is the permission bits, a number up to 0o7777.
    'fs.chmod': (proc, a) => {
      const mode = Number(a.mode);
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new KernelError('EINVAL', `mode ${String(a.mode).slice(0, 16)}`);
      return nothing(vfs.chmod(path(proc, a.path), mode));
    },
    // The file system a path is on; no path: every one (what df lists).
    'fs.statfs': (proc, a) => (a.path === undefined || a.path === null ? vfs.filesystems() : vfs.statfs(path(proc, a.path))),

    'proc.list': () => procs.list(),
    'proc.spawn': (proc, a) => {
      const child = procs.spawnCall(proc, a.argv, a); // a promise when a disk is mounted
      return typeof child.then === 'function' ? child.then((c) => c.pid) : child.pid;
    },
    'proc.pipe': (proc) => procs.newPipe(proc),
    'proc.wait': (proc, a) => procs.wait(proc, Number(a.pid)),
    'proc.kill': (proc, a) => void procs.kill(child(proc, a.pid).pid, a.signal || 'TERM'),
    'proc.foreground': (proc, a) => {
      if (!Array.isArray(a.pids)) throw new KernelError('EINVAL', 'foreground');
      if (proc.stdin.kind === 'tty') tty.setForeground(a.pids.map(Number));
    },

    // A prompt goes where the input is asked for: to the client of the
    // structured port (with the input request), else to the process's stdout.
    'stdin.read': (proc, a) => {
      if (!proc.stdin.read) throw new KernelError('EINVAL', 'stdin', 'stdin is a pipe: read it with the READ trap');
      if (proc.stdin.kind !== 'channel' && typeof a.prompt === 'string' && a.prompt) proc.stdout.write(a.prompt);
      return proc.stdin.read(a, proc);
    },
    // sys.table(): drawn by the structured port's client, or text for the app to write.
    'out.table': (proc, a) => procs.table(proc, Number(a.fd), a.columns, a.rows),
    'timer.sleep': (proc, a) =>
      new Promise((resolve) => timers.after(Math.min(MAX_SLEEP_MS, Math.max(0, Number(a.ms) || 0)), resolve)),
    'tty.size': (proc) => procs.windowSize(proc),
    // The terminal's mode (kernel/tty/termios.js): of the terminal stdin reads.
    'tty.getMode': (proc) => terminalOf(proc, proc.stdin).getMode(),
    'tty.setMode': (proc, a) => terminalOf(proc, proc.stdin).setMode(proc, parseMode(a)),
    // {t: 'resize', columns, rows} to the caller whenever the window it writes to changes.
    'tty.watchSize': (proc) => terminalOf(proc, proc.stdout.terminal ? proc.stdout : proc.stdin).watchSize(proc),

    'dev.list': () => kernel.devices.map((d) => d.describe()),
    // The disk's recent requests as its device half traced them (blktrace): {name, slot, trace}, or ENODEV.
    'dev.trace': () => {
      const disk = kernel.disks && kernel.disks.vda;
      if (!disk) throw new KernelError('ENODEV', null, 'no disk (boot with jsksh --disk FILE)');
      return { name: 'vda', slot: disk.slot, trace: machine.deviceTrace(disk.slot) || [] };
    },

    // The machine's tracer (docs/tracing.md): `trace` starts it, runs its
    // command, stops it and reads what it recorded (JSON bytes, as the
    // machine made them: the kernel does not parse them).
    'trace.start': (proc, a) => {
      const r = machine.traceStart(Math.max(0, Number(a.events) || 0));
      if (r === -16) throw new KernelError('EBUSY', null, 'the machine is already tracing (another trace, or jsksh --trace)');
      if (r < 0) throw new KernelError('EINVAL', null, 'the tracer refused to start');
      tracing = proc.pid;
      return { pid: proc.pid };
    },
    'trace.stop': () => {
      tracing = 0;
      machine.traceStop();
      return {};
    },
    'trace.read': () => {
      const bytes = machine.traceRead();
      return new WithBytes({ size: bytes.length }, bytes);
    },

    // The network (kernel/net/): what `ip`, `ping` and `netstat` show.
    'net.info': () => {
      const iface = netInterface();
      return { name: 'eth0', ...iface.describe(), dhcp: kernel.dhcp ? kernel.dhcp.describe() : null };
    },
    'net.stats': () => {
      const iface = netInterface();
      return { ...iface.stats(), sockets: iface.udp.list(), dns: resolver ? { ...resolver.stats(), servers: iface.dns.map(ipToString) } : null };
    },
    'net.ping': async (proc, a) => {
      const iface = netInterface();
      const dst = await lookup(a.host);
      const pinger = new Pinger(iface);
      const size = Math.max(0, Math.min(1472, Number(a.size ?? 56) | 0));
      const data = new Uint8Array(size).map((_, i) => i & 0xff);
      const done = () => pinger.close();
      return pinger.ping(dst, { seq: Number(a.seq) | 0, data, timeoutMs: Math.min(10000, Number(a.timeoutMs) || 1000) }).then(
        (r) => (done(), r),
        (e) => {
          done();
          throw new KernelError(e.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ENETUNREACH', String(a.host));
        },
      );
    },
    'net.lookup': (proc, a) => lookup(a.name).then(ipToString),
    'net.resolve': (proc, a) => theResolver().query(String(a.name), a.type === undefined ? 'A' : a.type).catch(resolverFailure),

    // UDP sockets (kernel/net/app-sockets.js): descriptors owned by the caller.
    'net.udp.open': (proc, a) => sockets.open(proc, a),
    'net.udp.recv': (proc, a) => sockets.receive(proc, a),
    'net.udp.send': (proc, a, bytes) => sockets.send(proc, a, bytes),
    'net.udp.close': (proc, a) => void sockets.close(proc, a),
    // TCP (kernel/net/app-tcp.js): a connection's bytes go through two pipes, rx and tx.
    'net.tcp.connect': (proc, a) => tcpSockets.connect(proc, a),
    'net.tcp.listen': (proc, a) => tcpSockets.listen(proc, a),
    'net.tcp.accept': (proc, a) => tcpSockets.accept(proc, a),
    'net.tcp.result': (proc, a) => tcpSockets.result(proc, a),
    'net.tcp.nodelay': (proc, a) => void tcpSockets.setNoDelay(proc, a),
    'net.tcp.info': (proc, a) => tcpSockets.describe(proc, a),
    'net.tcp.close': (proc, a) => void tcpSockets.close(proc, a),

    'log.read': () => log.entries(),
    'sys.info': () => {
      const stats = machine.procStat();
      const host = machine.hostInfo();
      const sum = (k) => Object.values(stats).reduce((n, s) => n + (s[k] || 0), 0);
      return {
        uptime: machine.clock(),
        v8: kernel.bootinfo.v8,
        hostname: kernel.hostname,
        processes: procs.alive(),
        memory: {
          heap: sum('heap'),
          heap_limit: sum('heap_limit'),
          external: sum('external'),
          isolates: host.isolates,
          pool: host.pool,
          rss: host.rss,
          used: host.memory ? host.memory.used : null, // heap + ArrayBuffers, as the budget counts them
          budget: host.memory ? host.memory.budget : null,
        },
      };
    },
    // The limits this process runs under (what `ulimit -a` shows).
    'proc.limits': (proc) => ({
      ...procs.limits,
      ...(proc.service ? { cpu: null } : {}), // a service's total CPU is not limited (process-table.js)
      ...proc.limits,
      isolates: proc.ownQuota ? proc.ownQuota.max : procs.limits.isolates,
    }),

    'sys.power': (proc, a) => powerDown(a.action === 'reboot', Number(a.status) | 0),

    // The disks' file systems (kernel/fs/disks.js): mount(8), umount(8), mkfs, fsck.
    'fs.mount': (proc, a) => storage().mount(String(a.source ?? ''), a.point === undefined ? undefined : path(proc, a.point)),
    'fs.umount': (proc, a) => nothing(storage().umount(String(a.target ?? '').startsWith('/dev/') ? String(a.target) : path(proc, a.target))),
    'fs.mkfs': (proc, a) => storage().mkfs(String(a.source ?? '')),
    'fs.fsck': (proc, a) => storage().fsck(String(a.source ?? ''), !!a.repair),
  });
}

// The kernel's own services, in the same namespace as the apps' (services.connect('fs')):
// each method is a kernel call above, with positional arguments.
function kernelServices(kernel) {
  const h = kernel.procs.handlers;
  return {
    console: {
      write: (proc, [text]) => void kernel.tty.write(String(text ?? '')),
      size: (proc) => h['tty.size'](proc, {}),
    },
    fs: {
      readdir: (proc, [path]) => h['fs.readdir'](proc, { path }),
      stat: (proc, [path]) => h['fs.stat'](proc, { path }),
      lstat: (proc, [path]) => h['fs.lstat'](proc, { path }),
      readlink: (proc, [path]) => h['fs.readlink'](proc, { path }),
      symlink: (proc, [target, path]) => h['fs.symlink'](proc, { target, path }),
      link: (proc, [existing, path]) => h['fs.link'](proc, { existing, path }),
      readFile: (proc, [path]) => h['fs.read'](proc, { path }),
      writeFile: (proc, [path, data, opts]) => h['fs.write'](proc, { path, data: String(data ?? ''), append: !!(opts && opts.append) }),
      mkdir: (proc, [path]) => h['fs.mkdir'](proc, { path }),
      unlink: (proc, [path]) => h['fs.unlink'](proc, { path }),
      rename: (proc, [from, to]) => h['fs.rename'](proc, { from, to }),
      rmdir: (proc, [path]) => h['fs.rmdir'](proc, { path }),
      utimes: (proc, [path, mtime]) => h['fs.utimes'](proc, { path, mtime }),
      chmod: (proc, [path, mode]) => h['fs.chmod'](proc, { path, mode }),
      statfs: (proc, [path]) => h['fs.statfs'](proc, { path }),
      fsync: (proc, [path]) => h['fs.fsync'](proc, { path }),
      sync: (proc) => h['fs.sync'](proc, {}),
    },
    net: {
      info: (proc) => h['net.info'](proc, {}),
      stats: (proc) => h['net.stats'](proc, {}),
      lookup: (proc, [name]) => h['net.lookup'](proc, { name }),
      resolve: (proc, [name, type]) => h['net.resolve'](proc, { name, type }),
    },
  };
}

// Named services between apps: the registry, and the calls that reach it.
function installServices(kernel) {
  const { procs, log } = kernel;
  const registry = new ServiceRegistry({
    procs,
    log,
    timers,
    kernelServices: kernelServices(kernel),
    holdsSockets: (pid) => (kernel.holdsSockets ? kernel.holdsSockets(pid) : false),
  });
  kernel.services = registry;
  procs.relieveMemory = (used, budget) => registry.relieve(used, budget);
  Object.assign(procs.handlers, {
    'svc.export': (proc, a) => void registry.export(proc, a),
    'svc.connect': (proc, a) => registry.connect(proc, a.name),
    'svc.kernel': (proc, a) => registry.callKernel(proc, a),
    'svc.list': () => registry.list(),
    'svc.start': (proc, a) => registry.start(a.name, a.argv, a.limits),
    'svc.stop': (proc, a) => void registry.stop(a.name),
    'svc.remove': (proc, a) => void registry.remove(a.name),
    'svc.rename': (proc, a) => void registry.rename(a.from, a.to, Array.isArray(a.argv) ? a.argv : []),
  });
}

module.exports = { install, installServices };
