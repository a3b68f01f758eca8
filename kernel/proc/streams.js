// kernel/proc/streams.js: where a process's stdin comes from and stdout goes.
//
// Every output stream is a pipe (docs/abi.md §3): the app writes bytes into
// it with its own WRITE trap, and whatever is at the other end reads them:
// another app, or one of the kernel's pumps (kernel/proc/pipes.js) into the
// console, a file in /tmp or the kernel log. Input is a pipe too when it
// comes from another app or a file; the terminal and the structured port's
// client are read line by line, with a prompt, through the stdin.read call.
//
// A stream object says what it is (`kind`, `isTTY`), which pipe the app
// gets (`pipe`: 0 for none), and lets the kernel write to it itself
// (`write(text)`: a prompt, "NAME: killed: ..."). A stream that is a
// terminal (the console, the structured port's session) names it in
// `terminal`: the tty.* calls change its mode (kernel/tty/termios.js).
// Streams made for one spawn are `adopt`ed by its process: the kernel then
// lets go of the end it held while it set them up, so end of file comes
// when the process goes.
'use strict';

const pipes = require('./pipes');
const { utf8Decode } = require('../lib/utf8');
const machine = require('../arch/machine');

const { READ_END, WRITE_END } = machine;

const nullStream = (which) => ({ kind: 'null', isTTY: false, pipe: 0, end: which, write() {}, read: () => Promise.resolve(null) });
const nullSink = nullStream(WRITE_END);
const nullSource = nullStream(READ_END);

// A pipe the kernel keeps open for writing for ever (the console's, the
// structured port's): many processes write into it, and it never ends.
// `sink` is where its pump puts the bytes (see pipes.drain).
function sharedOutput(kind, sink, extra = {}) {
  const id = pipes.open(); // the kernel keeps both ends: the write end so that it never ends
  const pump = pipes.drain(id, { ...sink, end() {} });
  return { kind, isTTY: kind === 'tty', pipe: id, end: WRITE_END, pump, write: (text) => pipes.writeAll(id, text), ...extra };
}

// An app's pipe (sys.proc.pipe), as stdout or stdin of another process.
function pipeStream(id, end) {
  return { kind: 'pipe', isTTY: false, pipe: id, end, write: (text) => pipes.writeAll(id, text) };
}

// A file in the tree as stdout (`> FILE`, `>> FILE`): the file is opened
// now, so a bad path fails the spawn; a pump appends what the app writes.
// Past the tmpfs size the pump stops with ENOSPC: the app's next write fails
// with it, and the kernel says so on the process's stderr. A device that
// answers later (a disk, kernel/fs/block-device.js) may fail after write()
// returned (its onError), say when it has room again (whenRoom), and be
// waited for at close (finish: its writes done and flushed).
//
// A file on a mounted disk opens later (vfs.openWrite returns a promise):
// so does the stream then, and it has `fsync` (its writes so far done, then
// the disk synced).
function fileSink(vfs, path, append, onError = () => {}) {
  const file = vfs.openWrite(path, append);
  if (typeof file.then === 'function') return file.then((f) => sinkStream(f, onError));
  return sinkStream(file, onError);
}

function sinkStream(file, onError) {
  const id = pipes.open();
  let failed = false;
  const fail = () => {
    if (failed) return;
    failed = true;
    machine.pipeClose(id, 0, READ_END | ((file.error.errno || 28) << 8)); // ENOSPC (or the device's errno) for the writers
    onError(file.error);
  };
  if ('onError' in file) file.onError = fail;
  const pump = pipes.drain(id, {
    room: () => (file.error ? 0 : file.room()),
    write(bytes) {
      file.write(bytes);
      if (file.error) fail();
    },
    whenRoom: (fn) => (file.whenRoom ? file.whenRoom(fn) : undefined),
    end: () => (file.end ? file.end() : undefined),
  });
  const finish = file.finish ? () => file.finish() : null;
  const fsync = file.fsync ? () => file.fsync() : null;
  const idle = file.idle ? () => file.idle() : null; // a disk's writes taken so far are done
  return { kind: 'file', isTTY: false, pipe: id, end: WRITE_END, pump, write: (text) => pipes.writeAll(id, text), owned: WRITE_END, error: () => file.error, finish, fsync, idle };
}

// A file as stdin (`< FILE`, or sys.fs.open): a pump writes its bytes into
// the pipe as fast as the reader takes them. On a mounted disk the source
// comes later (a promise), and so does the stream.
function fileSource(vfs, path) {
  const source = vfs.openRead(path); // fails now (ENOENT) rather than at the first read
  if (typeof source.then === 'function') return source.then(sourceStream);
  return sourceStream(source);
}

function sourceStream(source) {
  const id = pipes.open();
  pipes.fill(id, source);
  // release(): a disk file's open ends (kernel/fs/disk-mount.js); its owner calls it.
  const release = source.release ? () => source.release() : null;
  return { kind: 'file', isTTY: false, pipe: id, end: READ_END, write() {}, owned: READ_END, release };
}

// A daemon's output (a `svc start` service): each line goes to the kernel
// log as "NAME[PID]: line", as journald keeps a service's stdout.
function logSink(log, label) {
  let partial = '';
  const put = (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop().slice(0, 4096);
    for (const line of lines) log.info(`${label()}: ${line.slice(0, 1024)}`);
  };
  const id = pipes.open();
  const pump = pipes.drain(id, {
    room: () => Infinity,
    write: (bytes) => put(utf8Decode(bytes, 0, bytes.length)),
    whenRoom() {},
    end: () => partial && put('\n'),
  });
  return { kind: 'log', isTTY: false, pipe: id, end: WRITE_END, pump, write: (text) => pipes.writeAll(id, text), owned: WRITE_END };
}

// The terminal as stdin: lines from the line discipline, asked for one read at a time.
function ttySource(tty, proc) {
  // args: the read's request (answers: the reader completes lines on Tab, tty.js)
  return { kind: 'tty', isTTY: true, pipe: 0, end: READ_END, read: (args) => tty.read(proc, args), write() {}, terminal: tty };
}

// Gives process `pid` its reference to each of its streams' pipes, then lets
// go of the ends the kernel held while it set up streams made for this spawn.
function adopt(pid, list) {
  for (const s of list) if (s.pipe) pipes.attach(s.pipe, pid, s.end);
  for (const s of new Set(list)) {
    if (s.owned) {
      machine.pipeClose(s.pipe, 0, s.owned);
      s.owned = 0;
    }
  }
}

// A spawn that failed: streams made for it are let go of.
function abandon(list) {
  for (const s of new Set(list)) {
    if (s.owned) pipes.close(s.pipe);
    if (s.release) s.release();
  }
}

// Runs a file's or the log's pump dry now: what a process wrote to a file
// is in the file by the time its parent hears it has exited.
function settle(stream) {
  if (stream.pump && stream.kind !== 'tty' && stream.kind !== 'channel') stream.pump.run({ all: true });
}

module.exports = { nullSink, nullSource, sharedOutput, pipeStream, fileSink, fileSource, logSink, ttySource, adopt, abandon, settle };
