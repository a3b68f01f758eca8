// kernel/init.js: bring the machine up, then run the shell on the console.
//
// The order is the order of a small Unix boot: interrupts, devices (probe
// every virtio-mmio slot, bind a driver by device id), the console and the
// early log, the file tree, the process table, then the first process:
// `sh` on the console, started again whenever it exits, like getty.
'use strict';

const machine = require('./arch/machine');
const irq = require('./arch/irq');
const { DmaArena } = require('./arch/dma');
const log = require('./log');
const { KernelError } = require('./lib/errors');
const panic = require('./panic');
const timers = require('./time/timers');
const { MmioTransport } = require('./drivers/virtio/mmio-transport');
const { VirtioConsole } = require('./drivers/virtio/console');
const { VirtioRng } = require('./drivers/virtio/rng');
const { VirtioNet } = require('./drivers/virtio/net');
const { VirtioBlk } = require('./drivers/virtio/blk');
const { blockDeviceNode } = require('./fs/block-device');
const { Disks } = require('./fs/disks');
const { Interface } = require('./net/interface');
const { DhcpClient } = require('./net/dhcp-client');
const { ipToString, ipFromString } = require('./net/wire/ip-address');
const { Vfs } = require('./fs/vfs');
const { zeroStream, urandom, parseSize } = require('./fs/byte-devices');
const { Tty } = require('./tty/tty');
const { ConsolePorts, TTY_PORT } = require('./tty/console-ports');
const { ProcessTable } = require('./proc/process-table');
const syscalls = require('./proc/syscalls');
const { ShellPort } = require('./services/shell-port');

const IRQ_TIMER = 0;
const IRQ_IPC = 1;
const DEVICE_NAMES = { 1: 'net', 2: 'block', 3: 'console', 4: 'rng' };
const DHCP_WAIT_MS = 3000; // how long the shell waits for an address (net.wait=MS on the command line)

const kernel = { devices: [], bootinfo: null, hostname: 'jsksh' };

function parseCmdline(cmdline) {
  const out = {};
  for (const word of String(cmdline || '').split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    out[eq < 0 ? word : word.slice(0, eq)] = eq < 0 ? true : word.slice(eq + 1);
  }
  return out;
}

// Every device the kernel has a driver for, with what `devices` shows.
function describeDevice(slot, irqLine, transport, driver) {
  return () => ({
    slot,
    irq: irqLine,
    interrupts: irq.count(irqLine),
    device_id: transport.deviceId,
    status: transport.status(),
    ...driver.describe(),
    machine: machine.deviceInfo(slot), // the device half: its counters and backend
  });
}

function probeDevices(bootinfo, dma) {
  const found = {};
  for (const { slot, irq: line } of bootinfo.devices) {
    const transport = new MmioTransport(machine, slot);
    let id;
    try {
      id = transport.probe().deviceId;
    } catch (e) {
      log.warn(`virtio-mmio: slot ${slot}: ${e.message}`);
      continue;
    }
    const name = DEVICE_NAMES[id] || `device ${id}`;
    log.info(`virtio-mmio: slot ${slot}: virtio-${name} (device id ${id}) at irq ${line}`);
    let driver = null;
    const devlog = (text) => log.info(text);
    if (id === 3) driver = new VirtioConsole(transport, dma, devlog);
    else if (id === 4) driver = new VirtioRng(transport, dma, devlog);
    else if (id === 1) driver = new VirtioNet(transport, dma, devlog);
    else if (id === 2) driver = new VirtioBlk(transport, dma, devlog);
    if (!driver) {
      log.warn(`virtio-mmio: slot ${slot}: no driver for device id ${id}`);
      continue;
    }
    irq.register(line, `virtio-${name}`, () => driver.handleInterrupt());
    driver.start();
    kernel.devices.push({ describe: describeDevice(slot, line, transport, driver) });
    found[name] = driver;
    driver.slot = slot;
  }
  return found;
}

function start(bootinfo) {
  const t0 = machine.clock();
  kernel.bootinfo = bootinfo;
  const options = parseCmdline(bootinfo.cmdline);
  irq.install(panic);
  irq.register(IRQ_TIMER, 'timer', timers.onInterrupt);
  log.info(`jsksh version ${bootinfo.version} (V8 ${bootinfo.v8}) boot #${bootinfo.boot}`);
  log.info(`Command line: ${bootinfo.cmdline || '(none)'}`);
  const dma = new DmaArena(globalThis.__arena);
  log.info(`DMA arena: ${dma.stats().size >> 10} KiB at physical 0x0`);

  const devs = probeDevices(bootinfo, dma);
  const cons = devs.console;
  if (!cons) throw new Error('no console device');
  // The disk, if the machine has one (jsksh --disk): /dev/vda for apps, and
  // kernel.disks.vda, the driver itself, for the kernel (a file system).
  kernel.disks = {};
  if (devs.block) {
    kernel.disks.vda = devs.block;
    log.info(`virtio-blk: vda: ${devs.block.summary()}`);
  }

  // The terminal on port 0 and the structured channel on the named port;
  // what routes their input and what ^C does is kernel/tty/console-ports.js.
  let procs = null;
  const tty = new Tty({
    writeBytes: (bytes) => cons.write(TTY_PORT, bytes),
    room: () => cons.room(TTY_PORT),
    notify: (pid, msg) => machine.ipcSend(pid, JSON.stringify(msg)), // a resize, to the apps watching
  });
  const ports = new ConsolePorts({
    console: cons,
    tty,
    findProcess: (pid) => procs && procs.procs.get(pid),
    kill: (pid, signal) => procs.kill(pid, signal),
  });
  log.attachConsole((text) => tty.write(text));

  // With a cable plugged in, the shell waits (a bounded time) for an address,
  // as systemd's network-online.target does, so its first command has a network.
  const networkReady = devs.net ? startNetwork(devs.net, options) : Promise.resolve();
  if (devs.rng) {
    devs.rng.read(32).then((seed) => {
      urandom.seed(seed);
      log.info(`random: crng init done (${seed.length} bytes from virtio-rng)`);
    });
  }

  // Files and processes.
  const vfs = new Vfs(globalThis.__bootImage, {
    tmpSize: options['tmpfs.size'] ? parseSize(options['tmpfs.size']) : undefined,
    devices: {
      // Endless zeros, and endless random bytes (ChaCha20 keyed from virtio-rng, as Linux's urandom).
      '/dev/zero': { mode: 0o666, read: () => '', write: () => {}, stream: () => zeroStream },
      '/dev/urandom': { mode: 0o666, read: () => '', write: () => {}, stream: () => (max) => urandom.bytes(max) },
      // The disk as bytes, sector 0 first (kernel/fs/block-device.js).
      ...(kernel.disks.vda ? { '/dev/vda': blockDeviceNode(kernel.disks.vda, '/dev/vda') } : {}),
      // The mount table, as Linux's /proc/mounts: "SOURCE MOUNT TYPE OPTIONS 0 0".
      mounts: {
        mode: 0o444,
        read: () => vfs.mountTable().map((m) => `${m.source} ${m.mount} ${m.type} ${m.options} 0 0\n`).join(''),
        write: () => {
          throw new KernelError('EACCES', '/proc/mounts');
        },
      },
      'sysrq-trigger': {
        read: () => '',
        // Writing "c" crashes the kernel on purpose, as on Linux: the way to
        // see (and test) a kernel panic. At once, inside the write, as
        // Linux's sysrq_handle_crash: a panic left for a timer lost the race
        // with a batch shell that read end of input and powered off first.
        write: (data) => {
          if (String(data).trim() === 'c') panic(new Error('sysrq triggered crash'));
        },
      },
      // Writing a line to /dev/kmsg logs it, as on Linux: how a program (or
      // `echo hello > /dev/kmsg`) puts a message in dmesg.
      '/dev/kmsg': {
        mode: 0o222,
        read: () => '',
        write: (data) => {
          for (const line of String(data).split('\n')) if (line.trim()) log.info(line.slice(0, 1024));
        },
      },
    },
  });
  log.info(`VFS: mounted root (ustar image, ${globalThis.__bootImage.entries.size} entries, read-only); tmpfs on /tmp`);
  try {
    kernel.hostname = vfs.readFile('/etc/hostname').trim() || 'jsksh';
  } catch (e) {
    /* keep the default */
  }
  // The machine's limits (jsksh --limit NAME=VALUE); proc.max= on the command line caps isolates too.
  const limits = { ...(bootinfo.limits || {}) };
  if (options['proc.max']) limits.isolates = Number(options['proc.max']);
  procs = new ProcessTable({ vfs, tty, log, limits });
  // The disks' file systems (kernel/fs/disks.js): checked now, the first one
  // mounted at /home before any shell starts; the commit timer is the kernel's.
  const storage = new Disks({ vfs, log, drivers: kernel.disks, timers, clock: () => Date.now() / 1000 });
  const disksReady = storage.boot().catch((e) => log.err(`disks: ${e.message}`));
  Object.assign(kernel, { procs, vfs, tty, log, storage });
  syscalls.install(kernel);
  syscalls.installServices(kernel);
  // One welcome, on the raw console and in the REPL (the structured port's
  // hello): the version line, then /etc/motd, which an administrator edits.
  const readMotd = () => {
    let motd = '';
    try {
      motd = vfs.readFile('/etc/motd');
    } catch (e) {
      // no /etc/motd: the version line alone
    }
    return `Welcome to jsksh ${bootinfo.version}, a small machine that boots a JavaScript kernel on V8 ${bootinfo.v8}.\n${motd}`;
  };
  ports.startShellPort((io) => new ShellPort({
    ...io, // write, room, whenRoom: the structured port's bytes
    procs,
    bootinfo,
    log,
    motd: readMotd,
    status: () => ({
      uptime: machine.clock(),
      isolates: procs.alive(),
      address: kernel.iface ? kernel.iface.describe().address : null,
      hostname: kernel.hostname,
    }),
  }));

  irq.register(IRQ_IPC, 'ipc', () => {
    for (const [pid, text, attachment] of machine.ipcRecv()) procs.onMessage(pid, text, attachment);
  });

  // The console's shell starts once the boot is done and a terminal has the
  // console open, as getty waits for a line's carrier: a machine that no
  // terminal ever opens (`jsksh run`, the REPL, which use the structured
  // port) runs no shell it does not need, and its first command does not
  // share the CPU with one starting. Once started, it stays and is respawned,
  // whether or not a terminal is attached. The boot log and the welcome are
  // kept in the console's scrollback, which a terminal gets when it attaches.
  let booted = false;
  let consoleShell = false;
  const startConsoleShell = (why) => {
    if (consoleShell) return;
    consoleShell = true;
    log.info(`Run /bin/sh as init process (${why})`);
    tty.write(`\n${readMotd()}\n`);
    log.quiet();
    startShell(procs, tty);
  };
  ports.onTerminalOpen = () => booted && startConsoleShell('a terminal opened the console');
  Promise.all([networkReady, disksReady]).then(() => {
    ports.shellPortReady(); // what the structured port's client sent while we waited goes in now
    booted = true;
    startServices(kernel.services, options.svc);
    const took = `boot took ${((machine.clock() - t0) * 1000).toFixed(1)} ms`;
    if (ports.terminalOpen()) startConsoleShell(took);
    else log.info(`init: ${took}; the console's shell starts when a terminal opens it`);
  });
}

// `svc=a,b` on the command line (jsksh --service NAME): services that start
// once the network is up, as systemd's units wanted by multi-user.target.
// One that cannot start is logged, and the boot goes on.
function startServices(registry, spec) {
  if (!spec || spec === true) return;
  for (const name of String(spec).split(',').filter(Boolean)) {
    try {
      registry.start(name, [name], {});
    } catch (e) {
      log.warn(`init: service ${name}: ${e.message}`);
    }
  }
}

// `ip=` on the kernel command line, in Linux's format
// (Documentation/admin-guide/nfs/nfsroot.rst):
//   ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1
// Only CLIENT, GATEWAY, NETMASK and the DNS fields are used. `ip=dhcp` (the
// default) asks DHCP; `ip=off` or `ip=none` leaves the interface unconfigured.
// Returns null for DHCP, 'off', or { address, prefixLength, gateway, dns }.
function staticAddress(spec) {
  if (spec === undefined || spec === true || spec === 'dhcp' || spec === 'on' || spec === 'any') return null;
  if (spec === 'off' || spec === 'none') return 'off';
  const f = String(spec).split(':');
  const address = ipFromString(f[0]);
  const mask = f[3] ? ipFromString(f[3]) : 0xffffff00;
  const prefixLength = Math.clz32(~mask >>> 0); // the leading one bits
  if ((prefixLength ? (0xffffffff << (32 - prefixLength)) >>> 0 : 0) !== mask) throw new Error(`bad netmask ${f[3]}`);
  return {
    address,
    prefixLength,
    gateway: f[2] ? ipFromString(f[2]) : 0,
    dns: [f[7], f[8]].filter(Boolean).map(ipFromString),
  };
}

// "net: 10.0.2.15/24 gw 10.0.2.2 dns 10.0.2.3": the boot log's line for an address.
function addressLine({ address, prefixLength, gateway, dns }) {
  const gw = gateway ? ipToString(gateway) : '-';
  return `net: ${ipToString(address)}/${prefixLength} gw ${gw} dns ${dns.map(ipToString).join(',') || '-'}`;
}

// The NIC, the interface over it (kernel/net/), and an address: static from
// `ip=`, or from DHCP. Returns a promise that settles when the interface has
// an address, or after net.wait=MS (default 3 s), or at once when the link is
// down or there is nothing to wait for; DHCP goes on trying in the background.
function startNetwork(nic, options) {
  const link = nic.link;
  const waitMs = Number(options['net.wait'] ?? DHCP_WAIT_MS);
  log.info(`virtio-net: MAC ${nic.macString()}, link ${link ? 'up' : 'down'}`);
  // TCP's secrets (ISNs, ephemeral ports: RFC 6528, RFC 6056) are keyed from
  // the kernel's urandom, drawn when the first connection needs them.
  const iface = new Interface({ nic, clock: machine.turnClock, timers, log: (t) => log.warn(t), random: (n) => urandom.bytes(n) });
  nic.onFrame = (frame, checked) => iface.receive(frame, checked); // never throws: drops are counted by reason
  kernel.iface = iface; // before DHCP: the kernel calls work with a static address too
  let fixed;
  try {
    fixed = staticAddress(options.ip);
  } catch (e) {
    log.err(`net: ip=${options.ip}: ${e.message}; using DHCP`);
    fixed = null;
  }
  if (fixed === 'off') {
    log.info('net: ip=off, interface left unconfigured');
    return Promise.resolve();
  }
  if (fixed) {
    iface.configure(fixed);
    log.warn(`${addressLine(fixed)} (static, from ip=)`);
    return Promise.resolve();
  }
  let settle;
  const ready = new Promise((resolve) => (settle = resolve));
  const dhcp = new DhcpClient({
    iface,
    random: Math.random,
    log: (t) => log.info(t),
    onBound: (b) => {
      log.warn(`${addressLine(b)} lease ${b.lease} s (DHCP ${b.renewed ? 'renewed' : `took ${Math.round(b.elapsedMs)} ms`})`);
      settle();
    },
    onLost: (why) => log.warn(`net: address lost (${why})`),
  });
  kernel.dhcp = dhcp;
  dhcp.start();
  if (!link) {
    log.info('net: link down, not waiting for DHCP');
    settle();
  } else {
    timers.after(waitMs, () => {
      if (!kernel.dhcp.describe().address) log.warn(`net: no DHCP answer after ${waitMs} ms; going on without an address`);
      settle();
    });
  }
  return ready;
}

function startShell(procs, tty) {
  let shell;
  try {
    shell = procs.spawn(null, ['sh'], { cwd: '/', env: { PATH: '/bin', HOME: '/', TERM: 'vt100' } }, {
      tty: true,
      interactive: true,
    });
  } catch (e) {
    log.err(`init: cannot start sh: ${e.message}`);
    return;
  }
  tty.setForeground([shell.pid]);
  const respawn = (proc) => {
    if (proc !== shell) return;
    procs.onExit.delete(respawn);
    tty.write('\n');
    timers.after(100, () => startShell(procs, tty));
  };
  procs.onExit.add(respawn);
}

module.exports = { start, kernel };
