// fs/lib/web/readable-stream.js (/lib/web/readable-stream in the image): a
// small ReadableStream (WHATWG Streams, https://streams.spec.whatwg.org/#rs), the subset Workers code uses for
// a Request's or a Response's body: an underlying source's start, pull and
// cancel; the controller's enqueue, close, error and desiredSize; a default
// reader (read, releaseLock, cancel, closed); locked; cancel; async iteration
// (for await ... of); tee(); and ReadableStream.from(iterable).
//
// Left out: byte streams and BYOB readers, pipeTo/pipeThrough (no
// WritableStream or TransformStream yet), and queuing strategies other than
// a count of chunks (highWaterMark, default 1; a size() function is honoured).
//
// Pull-based (Streams, ReadableStreamDefaultControllerCallPullIfNeeded): the
// source's pull() runs only while the queue is under its high-water mark or a
// reader waits, and never twice at once. An error reaches every waiting read.
'use strict';

const kState = Symbol('stream state');

// The stream's internal slots, kept under one symbol so body.js can ask
// whether a stream is disturbed without a public API for it.
function newState() {
  return {
    state: 'readable', // 'readable' | 'closed' | 'errored'
    storedError: undefined,
    disturbed: false,
    reader: null,
    queue: [], // [{ chunk, size }]
    queueSize: 0,
    highWaterMark: 1,
    size: () => 1,
    started: false,
    pulling: false,
    pullAgain: false,
    closeRequested: false,
    source: {},
    controller: null,
  };
}

class ReadableStreamDefaultController {
  constructor(key) {
    if (key !== kState) throw new TypeError('Illegal constructor');
  }

  get desiredSize() {
    const s = this[kState];
    if (s.state === 'errored') return null;
    if (s.state === 'closed') return 0;
    return s.highWaterMark - s.queueSize;
  }

  enqueue(chunk) {
    const s = this[kState];
    if (s.closeRequested || s.state !== 'readable') throw new TypeError('cannot enqueue: the stream is closing or closed');
    const waiting = s.reader && s.reader[kState].readRequests.shift();
    if (waiting) waiting.resolve({ value: chunk, done: false });
    else {
      let size;
      try {
        size = Number(s.size(chunk));
        if (!(size >= 0) || size === Infinity) throw new RangeError('a chunk size must be a finite number >= 0');
      } catch (e) {
        errorStream(s, e);
        throw e;
      }
      s.queue.push({ chunk, size });
      s.queueSize += size;
    }
    callPullIfNeeded(s);
  }

  close() {
    const s = this[kState];
    if (s.closeRequested || s.state !== 'readable') throw new TypeError('cannot close: the stream is closing or closed');
    s.closeRequested = true;
    if (s.queue.length === 0) closeStream(s);
  }

  error(e) {
    errorStream(this[kState], e);
  }
}

class ReadableStream {
  constructor(underlyingSource, strategy) {
    const s = (this[kState] = newState());
    s.stream = this;
    if (underlyingSource === null) throw new TypeError('the underlying source cannot be null');
    const source = underlyingSource === undefined ? {} : underlyingSource;
    if (source.type !== undefined) throw new RangeError('byte streams (type "bytes") are not supported');
    strategy = strategy || {};
    if (strategy.highWaterMark !== undefined) {
      const hwm = Number(strategy.highWaterMark);
      if (Number.isNaN(hwm) || hwm < 0) throw new RangeError('highWaterMark must be a number >= 0');
      s.highWaterMark = hwm;
    }
    if (strategy.size !== undefined) s.size = strategy.size;
    s.source = source;
    const controller = new ReadableStreamDefaultController(kState);
    controller[kState] = s;
    s.controller = controller;
    // Streams, SetUpReadableStreamDefaultController: start runs now; the first
    // pull waits until whatever it returned has settled.
    const started = typeof source.start === 'function' ? source.start.call(source, controller) : undefined;
    Promise.resolve(started).then(
      () => {
        s.started = true;
        callPullIfNeeded(s);
      },
      (e) => errorStream(s, e),
    );
  }

  get locked() {
    return this[kState].reader !== null;
  }

  cancel(reason) {
    if (this.locked) return Promise.reject(new TypeError('cannot cancel a locked stream'));
    return cancelStream(this[kState], reason);
  }

  getReader(options) {
    if (options && options.mode !== undefined) throw new RangeError('only default readers are supported');
    return new ReadableStreamDefaultReader(this);
  }

  // Streams, tee() and ReadableStreamDefaultTee: two branches that each see every chunk. The faster reader
  // pulls from the original; the slower branch queues what it has not read.
  tee() {
    const reader = this.getReader();
    let reading = false;
    let canceled = [false, false];
    let reasons = [undefined, undefined];
    let cancelDone;
    const cancelPromise = new Promise((resolve) => (cancelDone = resolve));
    const branches = [];
    const pull = () => {
      if (reading) return Promise.resolve();
      reading = true;
      return reader.read().then(
        ({ value, done }) => {
          reading = false;
          branches.forEach((b, i) => {
            if (canceled[i]) return;
            if (done) b[kState].controller.close();
            else b[kState].controller.enqueue(value);
          });
          if (done) cancelDone(); // a branch canceled alone is done now too
        },
        () => {
          reading = false;
        },
      );
    };
    const cancel = (i) => (reason) => {
      canceled[i] = true;
      reasons[i] = reason;
      if (canceled[1 - i]) reader.cancel(reasons).then(cancelDone, cancelDone);
      return cancelPromise;
    };
    for (const i of [0, 1]) branches.push(new ReadableStream({ pull, cancel: cancel(i) }, { highWaterMark: 0 }));
    reader.closed.catch((e) => {
      branches.forEach((b) => errorStream(b[kState], e));
      cancelDone();
    });
    return branches;
  }

  values(options) {
    const preventCancel = Boolean(options && options.preventCancel);
    const reader = this.getReader();
    let finished = false;
    const it = Object.create(AsyncIteratorPrototype);
    it.next = () => {
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return reader.read().then(
        (r) => {
          if (r.done) {
            finished = true;
            reader.releaseLock();
          }
          return r;
        },
        (e) => {
          finished = true;
          reader.releaseLock();
          throw e;
        },
      );
    };
    // Leaving a for-await loop early (break, throw) cancels the stream.
    it.return = (value) => {
      if (finished) return Promise.resolve({ value, done: true });
      finished = true;
      const done = preventCancel ? Promise.resolve() : reader.cancel(value);
      return done.then(() => {
        reader.releaseLock();
        return { value, done: true };
      });
    };
    return it;
  }

  [Symbol.asyncIterator](options) {
    return this.values(options);
  }

  get [Symbol.toStringTag]() {
    return 'ReadableStream';
  }

  // Streams, ReadableStream.from(): a stream of what an iterable (sync or async) yields.
  static from(iterable) {
    const method = iterable != null && (iterable[Symbol.asyncIterator] || iterable[Symbol.iterator]);
    if (typeof method !== 'function') throw new TypeError('ReadableStream.from needs an iterable');
    const iterator = method.call(iterable);
    return new ReadableStream(
      {
        pull(controller) {
          return Promise.resolve(iterator.next()).then((r) => {
            if (r.done) controller.close();
            else return Promise.resolve(r.value).then((v) => controller.enqueue(v));
          });
        },
        cancel(reason) {
          if (typeof iterator.return === 'function') return Promise.resolve(iterator.return(reason)).then(() => undefined);
        },
      },
      { highWaterMark: 0 },
    );
  }
}

// %AsyncIteratorPrototype%: generator object -> its function's prototype ->
// %AsyncGeneratorPrototype% -> it. Gives the iterator [Symbol.asyncIterator]().
const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})())));

class ReadableStreamDefaultReader {
  constructor(stream) {
    if (!(stream instanceof ReadableStream)) throw new TypeError('a reader needs a ReadableStream');
    const s = stream[kState];
    if (s.reader) throw new TypeError('the stream is locked to another reader');
    const r = (this[kState] = { stream: s, readRequests: [], closed: null, settleClosed: null });
    s.reader = this;
    r.closed = new Promise((resolve, reject) => (r.settleClosed = { resolve, reject }));
    r.closed.catch(() => {}); // nobody need watch closed
    if (s.state === 'closed') r.settleClosed.resolve();
    else if (s.state === 'errored') r.settleClosed.reject(s.storedError);
  }

  get closed() {
    return this[kState].closed;
  }

  read() {
    const r = this[kState];
    const s = r.stream;
    if (!s) return Promise.reject(new TypeError('the reader has been released'));
    s.disturbed = true;
    if (s.state === 'closed') return Promise.resolve({ value: undefined, done: true });
    if (s.state === 'errored') return Promise.reject(s.storedError);
    if (s.queue.length > 0) {
      const { chunk, size } = s.queue.shift();
      s.queueSize -= size;
      if (s.queue.length === 0) s.queueSize = 0; // no rounding drift
      if (s.closeRequested && s.queue.length === 0) closeStream(s);
      else callPullIfNeeded(s);
      return Promise.resolve({ value: chunk, done: false });
    }
    const p = new Promise((resolve, reject) => r.readRequests.push({ resolve, reject }));
    callPullIfNeeded(s);
    return p;
  }

  // Reads still waiting fail with a TypeError (the current spec's choice).
  releaseLock() {
    const r = this[kState];
    const s = r.stream;
    if (!s) return;
    const e = new TypeError('the reader was released');
    for (const req of r.readRequests.splice(0)) req.reject(e);
    if (s.state === 'readable') r.settleClosed.reject(e);
    else {
      r.closed = Promise.reject(e);
      r.closed.catch(() => {});
    }
    s.reader = null;
    r.stream = null;
  }

  cancel(reason) {
    const s = this[kState].stream;
    if (!s) return Promise.reject(new TypeError('the reader has been released'));
    return cancelStream(s, reason);
  }
}

function callPullIfNeeded(s) {
  if (!shouldCallPull(s)) return;
  if (s.pulling) {
    s.pullAgain = true;
    return;
  }
  s.pulling = true;
  let result;
  try {
    result = typeof s.source.pull === 'function' ? s.source.pull.call(s.source, s.controller) : undefined;
  } catch (e) {
    result = Promise.reject(e);
  }
  Promise.resolve(result).then(
    () => {
      s.pulling = false;
      if (s.pullAgain) {
        s.pullAgain = false;
        callPullIfNeeded(s);
      }
    },
    (e) => errorStream(s, e),
  );
}

function shouldCallPull(s) {
  if (!s.started || s.state !== 'readable' || s.closeRequested) return false;
  if (s.reader && s.reader[kState].readRequests.length > 0) return true;
  return s.highWaterMark - s.queueSize > 0;
}

function closeStream(s) {
  if (s.state !== 'readable') return;
  s.state = 'closed';
  const r = s.reader && s.reader[kState];
  if (!r) return;
  for (const req of r.readRequests.splice(0)) req.resolve({ value: undefined, done: true });
  r.settleClosed.resolve();
}

function errorStream(s, e) {
  if (s.state !== 'readable') return;
  s.state = 'errored';
  s.storedError = e;
  s.queue = [];
  s.queueSize = 0;
  const r = s.reader && s.reader[kState];
  if (!r) return;
  for (const req of r.readRequests.splice(0)) req.reject(e);
  r.settleClosed.reject(e);
}

// Streams, ReadableStreamCancel: the queue goes, the source hears why.
function cancelStream(s, reason) {
  s.disturbed = true;
  if (s.state === 'closed') return Promise.resolve();
  if (s.state === 'errored') return Promise.reject(s.storedError);
  s.queue = [];
  s.queueSize = 0;
  closeStream(s);
  let result;
  try {
    result = typeof s.source.cancel === 'function' ? s.source.cancel.call(s.source, reason) : undefined;
  } catch (e) {
    return Promise.reject(e);
  }
  return Promise.resolve(result).then(() => undefined);
}

// A stream of one chunk, `bytes` (a Uint8Array), then closed: a body from bytes.
function streamFromBytes(bytes) {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

const isDisturbed = (stream) => stream[kState].disturbed;
// A Request made from another takes its body: the old one reads as used at once.
const markDisturbed = (stream) => {
  stream[kState].disturbed = true;
};
const isReadableStream = (v) => v instanceof ReadableStream;

module.exports = { ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController, streamFromBytes, isDisturbed, markDisturbed, isReadableStream };
