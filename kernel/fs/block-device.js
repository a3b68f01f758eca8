// kernel/fs/block-device.js: /dev/vda, a disk driver as a byte device node.
//
// The node gives the VFS what its byte streams need (kernel/fs/vfs.js
// openRead, openWrite; the pumps are kernel/proc/pipes.js): `stream` for
// reading, a source whose next(max) returns a promise of the next bytes,
// and `sink` for writing, which takes bytes as the drain pump hands them
// over. Both go through the driver's async API (read, write, flush;
// kernel/drivers/virtio/blk.js), so the node fits any disk with that API.
//
// As on Linux, the node is the whole disk from byte 0: a reader gets every
// sector in order, then end of file; a writer writes from sector 0 on.
// Reads are whole requests of up to 64 KiB, taken ahead of the reader only
// as far as the pipe's window lets them (so `dd count=1` reads a little
// more of the disk than it prints). A write that ends inside a sector keeps
// the rest of that sector (read, patch, write), as the page cache would.
// Closing a node written to flushes the device's cache (there is no fsync
// call for apps yet): when the close returns, the bytes are durable, and a
// write the device failed (IOERR) fails the writes after it with EIO and
// makes the close throw it. Past the disk's end a write fails with ENOSPC.
'use strict';

const { KernelError } = require('../lib/errors');

const SECTOR = 512;
const CHUNK = 64 * 1024; // bytes per request
const WRITE_AHEAD = 1024 * 1024; // bytes of writes the node keeps in flight before it says it is full

function blockDeviceNode(disk, name) {
  return {
    mode: 0o660,
    size: disk.capacity * SECTOR,
    blockDevice: true,
    read: () => {
      throw new KernelError('EINVAL', name, `${name}: a block device is read as bytes (dd if=${name})`);
    },
    write: () => {
      throw new KernelError('EINVAL', name, `${name}: a block device is written as bytes (dd of=${name})`);
    },
    stream: () => reader(disk, name),
    sink: () => writer(disk, name),
  };
}

// The bytes of the disk from sector 0, one request at a time.
function reader(disk) {
  let at = 0; // the next byte to read
  return (max) => {
    const end = disk.capacity * SECTOR;
    if (at >= end) return null;
    const n = Math.max(SECTOR, Math.floor(Math.min(max, CHUNK, end - at) / SECTOR) * SECTOR);
    const sector = at / SECTOR;
    at += n;
    return disk.read(sector, n / SECTOR);
  };
}

// A byte sink (vfs.openWrite's shape, plus whenRoom, end and finish for a
// device that answers later): bytes are cut into whole sectors and written
// in requests of up to 64 KiB, at most WRITE_AHEAD bytes in flight.
function writer(disk, name) {
  let at = 0; // the disk byte the next whole sector goes to
  let carry = new Uint8Array(0); // bytes of a sector not complete yet
  let inFlight = 0;
  let ended = false;
  let wroteAny = false;
  let roomWaiter = null;
  let settle = null;
  const finished = new Promise((resolve, reject) => (settle = { resolve, reject }));
  finished.catch(() => {}); // nobody may ask (a redirection, not fs.open): not an unhandled rejection

  const sink = {
    error: null,
    onError: null, // set by the stream (kernel/proc/streams.js): a write failed after write() returned
    room: () => (sink.error ? 0 : Math.max(0, WRITE_AHEAD - inFlight)),
    whenRoom(fn) {
      roomWaiter = fn;
    },
    write(bytes) {
      if (sink.error) return;
      const all = carry.length ? concat(carry, bytes) : bytes;
      const whole = all.length - (all.length % SECTOR);
      for (let off = 0; off < whole && !sink.error; off += CHUNK) {
        issue(all.subarray(off, Math.min(whole, off + CHUNK)));
      }
      carry = all.slice(whole);
      if (sink.error) done(); // past the end: nothing more will be taken
    },
    end() {
      ended = true;
      done();
    },
    // Resolves once everything written is on the disk and flushed; rejects with the first error.
    finish: () => finished,
  };

  function issue(piece) {
    if (at + piece.length > disk.capacity * SECTOR) return fail(new KernelError('ENOSPC', name));
    const sector = at / SECTOR;
    at += piece.length;
    inFlight += piece.length;
    wroteAny = true;
    disk.write(sector, piece.slice()).then(
      () => {
        inFlight -= piece.length;
        wake();
        done();
      },
      (e) => {
        inFlight -= piece.length;
        fail(e);
        done();
      },
    );
  }

  function fail(e) {
    if (sink.error) return;
    // The app hears "/dev/vda: Input/output error", as from a Linux disk; the
    // request that failed is in the device's trace (blktrace).
    const code = e && e.code === 'ENOSPC' ? 'ENOSPC' : 'EIO';
    sink.error = Object.assign(new KernelError(code, name), { errno: code === 'ENOSPC' ? 28 : 5 });
    if (sink.onError) sink.onError(sink.error);
    wake();
  }

  function wake() {
    const fn = roomWaiter;
    roomWaiter = null;
    if (fn) fn();
  }

  // At end of input: the last partial sector (read, patch, write), then a
  // flush. After an error, as soon as nothing is in flight: the pipe's read
  // end is closed then (kernel/proc/streams.js), so no end of input comes.
  let closing = false;
  function done() {
    if (inFlight > 0 || closing) return;
    if (sink.error) return settle.reject(sink.error);
    if (!ended) return;
    if (carry.length) {
      const tail = carry;
      carry = new Uint8Array(0);
      if (at + SECTOR > disk.capacity * SECTOR) {
        fail(new KernelError('ENOSPC', name));
        return settle.reject(sink.error);
      }
      closing = true;
      disk.read(at / SECTOR, 1).then(
        (sectorBytes) => {
          sectorBytes.set(tail);
          closing = false;
          issue(sectorBytes);
        },
        (e) => {
          closing = false;
          fail(e);
          done();
        },
      );
      return;
    }
    closing = true;
    (wroteAny ? disk.flush() : Promise.resolve()).then(
      () => settle.resolve(),
      (e) => {
        fail(e);
        settle.reject(sink.error);
      },
    );
  }
  return sink;
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

module.exports = { blockDeviceNode };
