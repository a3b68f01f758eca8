// kernel/tty/console-ports.js: which console port carries what, input held
// until its consumer is ready, and what ^C does.
//
// The virtio console driver (kernel/drivers/virtio/console.js) reports its
// ports through callbacks; this module sets them. Port 0 is the terminal
// (kernel/tty/tty.js). The port named org.jsksh.shell.0 is the structured
// channel (kernel/services/shell-port.js); its input waits until init says the
// network is ready, as the console's shell does. Every dependency is passed
// in (the driver, the tty, how to find and signal a process, the shell port's
// factory), so tests drive it with a fake console (tests/js/test_console_ports.js).
'use strict';

const TTY_PORT = 0; // the console, hvc0
const SHELL_PORT = 'org.jsksh.shell.0'; // the structured port, known by its name
const SHELL_PORT_ID = 1; // where the structured port's output goes: the machine offers it as port 1
const LF = 10;

class ConsolePorts {
  // console: the driver (write, room, openPort, and the on* callbacks set here).
  // tty: the terminal on port 0; its ^C comes here.
  // findProcess(pid): {state, interactive} or nothing; kill(pid, signal).
  constructor({ console: cons, tty, findProcess, kill }) {
    this.cons = cons;
    this.tty = tty;
    this.findProcess = findProcess;
    this.kill = kill;
    this.names = new Map(); // port id -> name, once PORT_NAME has said it
    this.early = new Map(); // port id -> bytes that arrived before the port's name
    this.shellPort = null;
    this.held = []; // input for the structured port until it is ready; then null
    this.roomWaiters = []; // the structured port's pumps, waiting for room
    this.onTerminalOpen = null; // set by init: called when a terminal opens port 0

    tty.onInterrupt = () => this.interrupt();
    cons.onPortAdded = (port) => cons.openPort(port.id);
    cons.onPortRemoved = (port) => this.portRemoved(port.id);
    cons.onPortName = (id, name) => this.portNamed(id, name);
    cons.onData = (id, bytes) => this.data(id, bytes);
    cons.onHostOpen = (id, open) => this.hostOpen(id, open);
    cons.onResize = (id, cols, rows) => {
      if (id === TTY_PORT && cols && rows) tty.resize(cols, rows);
    };
    if (cons.cols && cons.rows) tty.resize(cons.cols, cons.rows); // what the device said at probe (F_SIZE)
    cons.onDrain = (id) => {
      if (id === TTY_PORT) tty.drained();
      else for (const fn of this.roomWaiters.splice(0)) fn();
    };
  }

  // The structured port's half: make(io) builds it (a ShellPort) over io =
  // {write, room, whenRoom}. Its input is still held until shellPortReady().
  startShellPort(make) {
    this.shellPort = make({
      write: (bytes) => this.cons.write(SHELL_PORT_ID, bytes),
      room: () => this.cons.room(SHELL_PORT_ID),
      whenRoom: (fn) => this.roomWaiters.push(fn),
    });
    return this.shellPort;
  }

  // The network is ready (or init stopped waiting): what the structured
  // port's client sent so far goes in, in order, and later input goes straight.
  shellPortReady() {
    const held = this.held;
    this.held = null;
    for (const bytes of held) this.shellPort.input(bytes);
  }

  // Input from the host side of port `id`.
  data(id, bytes) {
    if (id === TTY_PORT) this.tty.input(bytes);
    else if (!this.names.has(id)) this.early.set(id, [...(this.early.get(id) || []), bytes.slice()]);
    else if (this.names.get(id) === SHELL_PORT) {
      // Commands on the structured port wait for the network as the console's shell does.
      if (this.held) this.held.push(bytes.slice());
      else this.shellPort.input(bytes);
    }
  }

  // PORT_NAME: the port is known now, and what came before its name is routed.
  portNamed(id, name) {
    this.names.set(id, name);
    const early = this.early.get(id) || [];
    this.early.delete(id);
    for (const bytes of early) this.data(id, bytes);
  }

  // DEVICE_REMOVE: the port is gone. If it is added again the device names
  // it again, and until then its input waits as a new port's does. (jsksh's
  // machine never removes a port.)
  portRemoved(id) {
    this.names.delete(id);
    this.early.delete(id);
  }

  // Whether a terminal has the console open on the host's side now (a
  // client attached to its socket, or `jsksh --raw`): PORT_OPEN (virtio 1.2
  // §5.3.6.2.1). A device without MULTIPORT sends none and counts as open.
  terminalOpen() {
    const port = this.cons.ports && this.cons.ports[TTY_PORT];
    return Boolean(port && port.hostOpen);
  }

  // A client that goes away takes its settings with it (the session stays).
  // A terminal opening the console is told to whoever asked (init: getty's
  // carrier detect, so the console's shell starts when someone is there).
  hostOpen(id, open) {
    if (id === TTY_PORT) {
      if (open && this.onTerminalOpen) this.onTerminalOpen();
      return;
    }
    if (this.names.get(id) !== SHELL_PORT || !this.shellPort) return;
    if (!open) this.shellPort.disconnected();
    // A new client may first get the tail of raw output that was on its way
    // to a binary client that left (a serial port keeps no boundaries): a
    // newline ends that tail, so the client, which skips what is not a
    // message until our hello, starts clean (docs/protocol.md, "Bytes").
    else if (this.shellPort.cutShort) this.cons.write(id, new Uint8Array([LF]));
  }

  // Ctrl-C: stop the foreground job. An interactive shell survives it (it
  // redraws its prompt, as bash does); anything else exits with status 130.
  interrupt() {
    const shells = new Set();
    for (const pid of [...this.tty.foreground]) {
      const p = this.findProcess(pid);
      if (!p || p.state === 'Z') continue;
      if (p.interactive) shells.add(pid);
      else this.kill(pid, 'INT');
    }
    this.tty.wakeReaders(shells);
  }
}

module.exports = { ConsolePorts, TTY_PORT, SHELL_PORT, SHELL_PORT_ID };
