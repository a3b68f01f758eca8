// fs/lib/http/connection-reader.js (/lib/http/connection-reader in the
// image): a MessageParser (/lib/http/parse) fed from a connection. next()
// gives the parser's next event, reading the connection only when the
// parser needs more bytes, and gives up at a deadline. The server and the
// client read messages through it; tests give it any object with read().
//
//   const reader = new ConnectionReader(conn, parser, {timers});
//   await reader.next(deadline)   // an event ({type: 'head' | 'data' | 'end' | 'eof'})
//                                 // or throws: an HttpError, the connection's
//                                 // error (ECONNRESET...), or ETIMEDOUT past the deadline
'use strict';

const { deadlinesFor } = require('/lib/http/deadlines');

class ConnectionReader {
  // conn: {read()} giving bytes or null at the end; timers: {setTimeout,
  // clearTimeout, now} (the defaults are the app's), injected for tests.
  constructor(conn, parser, { timers = defaultTimers() } = {}) {
    this.conn = conn;
    this.parser = parser;
    this.timers = timers;
    this.received = 0; // bytes read from the connection, all told
  }

  // deadline: a time from timers.now() (milliseconds) after which waiting
  // for bytes fails with ETIMEDOUT; Infinity waits for ever.
  async next(deadline = Infinity) {
    for (;;) {
      const event = this.parser.next();
      if (event !== null) return event;
      const bytes = await this.read(deadline);
      if (bytes === null) this.parser.finish();
      else {
        this.received += bytes.length;
        this.parser.push(bytes);
      }
    }
  }

  // The connection's next bytes. One read is in flight at most: a read that
  // outlives its deadline is kept, and the next call takes its bytes.
  read(deadline) {
    if (!this.inflight) {
      this.inflight = this.conn.read().then(
        (bytes) => ((this.inflight = null), bytes),
        (e) => {
          this.inflight = null;
          throw e;
        },
      );
    }
    const reading = this.inflight;
    if (deadline === Infinity) return reading;
    if (deadline - this.timers.now() <= 0) return Promise.reject(timedOut());
    // No timer of its own: the readers that share `timers` share one (deadlines.js).
    const deadlines = deadlinesFor(this.timers);
    return new Promise((resolve, reject) => {
      const watch = deadlines.add(deadline, () => reject(timedOut()));
      reading.then(
        (bytes) => {
          deadlines.remove(watch);
          resolve(bytes);
        },
        (e) => {
          deadlines.remove(watch);
          reject(e);
        },
      );
    });
  }

  // Read and drop what the peer still sends until it finishes, `limit`
  // bytes or the deadline: a server's lingering close, so that our close
  // does not turn into an RST that destroys the answer it just sent.
  async discard(deadline, limit = 1 << 20) {
    for (let dropped = 0; dropped <= limit; ) {
      const bytes = await this.read(deadline);
      if (bytes === null) return;
      dropped += bytes.length;
    }
  }
}

const timedOut = () => Object.assign(new Error('timed out waiting for the peer'), { code: 'ETIMEDOUT' });

function defaultTimers() {
  return {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (t) => clearTimeout(t),
    now: () => Date.now(),
  };
}

module.exports = { ConnectionReader, defaultTimers };
