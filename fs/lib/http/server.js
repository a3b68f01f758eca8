// fs/lib/http/server.js (/lib/http/server in the image): an HTTP/1.1
// server over sys.net.tcp. Each connection is read with /lib/http/parse
// and answered one request at a time, so pipelined requests are answered in
// order (RFC 9112 §9.3.2); it stays open between requests (keep-alive,
// §9.3) unless a side says Connection: close, the request is HTTP/1.0
// without keep-alive, or a body could not be delimited.
//
//   const { createServer } = require('/lib/http/server');
//   const server = createServer(async (req, res) => {
//     res.setHeader('Content-Type', 'text/plain');
//     await res.end(`you asked for ${req.path}\n`);
//   });
//   await server.listen(8080);
//
// req: method, target, path, query, version, headers (lower-case names),
// rawHeaders, remoteAddress, remotePort; await req.read() (the body's next
// bytes, or null), req.bytes(), req.text(). res: statusCode,
// setHeader/getHeader/removeHeader, writeHead(status, headers), await
// res.write(data), await res.end(data); a body written without a
// Content-Length goes chunked (HTTP/1.1) or until close (HTTP/1.0). HEAD
// gets the headers a GET would, and no body.
'use strict';

const { MessageParser } = require('/lib/http/parse');
const { responseHead, chunk, lastChunk } = require('/lib/http/serialize');
const { reasonOf } = require('/lib/http/errors');
const { bodyBytes, concatBytes, utf8Text } = require('/lib/http/bytes');
const { ConnectionReader, defaultTimers } = require('/lib/http/connection-reader');

const DEFAULTS = {
  headerTimeout: 10000, // ms for a connection's first request head (slowloris)
  idleTimeout: 5000, // ms a kept-alive connection waits for its next request
  bodyTimeout: 30000, // ms between pieces of a request body
  drainLimit: 65536, // unread request body a server reads and drops to keep the connection
  maxConnections: 256, // connections served at once; the next gets 503 and the close
  limits: {}, // the parser's (parse.js DEFAULT_LIMITS), e.g. {body: 1 << 20}
};

function createServer(handler, options = {}) {
  return new Server(handler, options);
}

class Server {
  constructor(handler, options) {
    if (typeof handler !== 'function') throw new TypeError('createServer(handler): handler is a function (req, res)');
    this.handler = handler;
    this.options = { ...DEFAULTS, ...options };
    this.timers = options.timers || defaultTimers();
    this.listener = null;
    this.port = null;
    this.connections = new Set();
    this.refused = 0; // connections turned away over maxConnections
    // onError(error, req): a handler threw (the client got a 500 or a cut connection).
    this.onError = options.onError || ((e) => sys.stderr.write(`http: ${e && e.stack ? e.stack : e}\n`));
  }

  async listen(port = 0, { backlog } = {}) {
    // noDelay: a response's tail should not wait for the peer's delayed ACK (set by the kernel on each connection).
    this.listener = await sys.net.tcp.listen(port, backlog === undefined ? { noDelay: true } : { backlog, noDelay: true });
    this.port = this.listener.port;
    this.accepting = this.acceptLoop();
    return this;
  }

  // Accept until the listener closes. A failed accept is reported and the
  // loop goes on: a listener that stopped accepting would leave every later
  // connection waiting in its queue with nothing said.
  async acceptLoop() {
    for (;;) {
      let conn;
      try {
        conn = await this.listener.accept();
      } catch (e) {
        this.onError(e, { method: 'accept', target: String(this.port) });
        if (this.listener.closed) return;
        continue;
      }
      if (conn === null) return;
      if (this.connections.size >= this.options.maxConnections) this.refuse(conn);
      else this.serveConnection(conn);
    }
  }

  // Over maxConnections: 503 with Retry-After at once, without reading the
  // request (RFC 9110 §15.6.4), then the close. The limit bounds what a
  // flood of connections (slowloris among them, until its headerTimeout)
  // can take from the machine; those beyond it cost one write, not a
  // reader and a handler. The linger is short: they are the surplus.
  async refuse(conn) {
    this.refused++;
    const reader = new ConnectionReader(conn, new MessageParser('request', this.options.limits), { timers: this.timers });
    try {
      await sendError(conn, 503, 'too many connections, try again', { 'Retry-After': '1' });
    } catch (e) {
      // gone already
    }
    await lingeringClose(conn, reader, this.timers, 500);
  }

  // Stop listening; connections finish the request they are on.
  async close() {
    if (this.listener) await this.listener.close();
    for (const conn of this.connections) conn.closing = true;
  }

  // One connection, to its end: read a request, answer it, and again.
  // `conn` is a sys.net.tcp connection or anything with read, write, close.
  async serveConnection(conn) {
    const { options, timers } = this;
    const state = { closing: false };
    this.connections.add(state);
    const reader = new ConnectionReader(conn, new MessageParser('request', options.limits), { timers });
    try {
      for (let served = 0; !state.closing; served++) {
        const before = reader.received;
        let event;
        try {
          event = await reader.next(timers.now() + (served === 0 ? options.headerTimeout : options.idleTimeout));
        } catch (e) {
          // A malformed head gets its status; a head that never finished, 408.
          if (e.name === 'HttpError') await sendError(conn, e.status, e.message);
          else if (e.code === 'ETIMEDOUT' && reader.received > before) await sendError(conn, 408, 'the request took too long');
          break;
        }
        if (event.type === 'eof') break;
        const keepAlive = await this.answer(conn, reader, event.head);
        if (!keepAlive) break;
      }
    } catch (e) {
      // The connection failed (ECONNRESET, EPIPE): nothing to answer.
    } finally {
      this.connections.delete(state);
      await lingeringClose(conn, reader, timers);
    }
  }

  // One request: the handler's answer, then the rest of its body read so the
  // next request can be parsed. Whether the connection goes on.
  async answer(conn, reader, head) {
    const req = new IncomingRequest(head, reader, conn, this.options, this.timers);
    const res = new ServerResponse(conn, req);
    const expect = (head.headers.expect || '').toLowerCase();
    if (expect && head.version === '1.1') {
      // RFC 9110 §10.1.1: answer 100-continue at once (curl waits a second
      // otherwise); any other expectation is 417.
      if (expect !== '100-continue') {
        await res.fail(417, `cannot meet the expectation ${head.headers.expect}`);
        return false;
      }
      if (!req.complete) await conn.write(responseHead({ status: 100 }));
    }
    try {
      await this.handler(req, res);
    } catch (e) {
      if (e && e.name === 'HttpError') {
        // The body broke a limit or the grammar while the handler read it.
        if (!res.headersSent) await res.fail(e.status, e.message);
        return false;
      }
      this.onError(e, req);
      if (res.headersSent) return false; // cut: the client sees a short body
      await res.fail(500, 'the handler failed');
      return false;
    }
    if (!res.finished) await res.end();
    if (!res.keepAlive) return false;
    return req.drain(this.options.drainLimit);
  }
}

// A request as the handler sees it.
class IncomingRequest {
  constructor(head, reader, conn, options, timers) {
    this.method = head.method;
    this.target = head.target;
    const q = head.target.indexOf('?');
    this.path = q < 0 ? head.target : head.target.slice(0, q);
    this.query = q < 0 ? '' : head.target.slice(q + 1);
    this.version = head.version;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.trailers = null;
    this.remoteAddress = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.head = head;
    this.reader = reader;
    this.options = options;
    this.timers = timers;
    this.bodyRead = 0;
    // A request without a body is complete as it is; the parser still has its 'end' to give.
    this.complete = !head.chunked && !head.contentLength;
    this.ended = false;
  }

  // The body's next bytes, or null at its end.
  async read() {
    if (this.ended) return null;
    const event = await this.reader.next(this.timers.now() + this.options.bodyTimeout);
    if (event.type === 'data') {
      this.bodyRead += event.bytes.length;
      return event.bytes;
    }
    if (event.type === 'end') {
      this.ended = true;
      this.complete = true;
      this.trailers = event.trailers;
      return null;
    }
    throw Object.assign(new Error('the connection ended inside a request'), { code: 'ECONNRESET' });
  }

  async bytes() {
    const chunks = [];
    for (let b = await this.read(); b !== null; b = await this.read()) chunks.push(b);
    return concatBytes(chunks);
  }

  async text() {
    return utf8Text(await this.bytes());
  }

  // Read and drop what the handler left of the body, up to `limit` bytes:
  // true if the connection can take the next request.
  async drain(limit) {
    let dropped = 0;
    for (let b = await this.read(); b !== null; b = await this.read()) {
      dropped += b.length;
      if (dropped > limit) return false;
    }
    return true;
  }
}

// The answer to one request.
class ServerResponse {
  constructor(conn, req) {
    this.conn = conn;
    this.req = req;
    this.statusCode = 200;
    this.reason = undefined;
    this.fields = new Map(); // lower-case name -> [name, value]
    this.headersSent = false;
    this.finished = false;
    this.chunked = false;
    this.bytesSent = 0; // body bytes, for the log
    this.keepAlive = wantsKeepAlive(req);
    this.noBody = req.method === 'HEAD';
  }

  setHeader(name, value) {
    if (this.headersSent) throw new Error('headers already sent');
    this.fields.set(String(name).toLowerCase(), [String(name), value]);
    return this;
  }

  getHeader(name) {
    const field = this.fields.get(String(name).toLowerCase());
    return field ? field[1] : undefined;
  }

  removeHeader(name) {
    this.fields.delete(String(name).toLowerCase());
  }

  writeHead(status, headers = {}) {
    this.statusCode = status;
    for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers)) this.setHeader(name, value);
    return this;
  }

  // A piece of the body; the head goes with the first piece.
  async write(data) {
    if (this.finished) throw Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
    const bytes = bodyBytes(data);
    const parts = this.headersSent ? [] : [this.head(null)];
    if (bytes.length && this.hasBody()) {
      parts.push(this.chunked ? chunk(bytes) : bytes);
      this.bytesSent += bytes.length;
    }
    if (parts.length) await this.conn.write(parts.length === 1 ? parts[0] : concatBytes(parts));
  }

  // The last piece (optional) and the end of the response. Given the whole
  // body at once, the response says its Content-Length.
  async end(data) {
    if (this.finished) return;
    const bytes = bodyBytes(data);
    const parts = [];
    if (!this.headersSent) parts.push(this.head(bytes.length));
    if (this.hasBody()) {
      if (bytes.length) parts.push(this.chunked ? chunk(bytes) : bytes);
      if (this.chunked) parts.push(lastChunk());
      this.bytesSent += bytes.length;
    }
    this.finished = true;
    if (parts.length) await this.conn.write(parts.length === 1 ? parts[0] : concatBytes(parts));
    if (!this.keepAlive && !this.chunked && this.getHeader('content-length') === undefined) await this.conn.end();
  }

  hasBody() {
    const s = this.statusCode;
    return !this.noBody && !(s >= 100 && s < 200) && s !== 204 && s !== 304;
  }

  // The head, framing decided (RFC 9112 §6): the Content-Length given, or
  // the whole body's length at end(), or chunked for HTTP/1.1, or (HTTP/1.0)
  // the body runs to the close.
  head(wholeLength) {
    this.headersSent = true;
    const connection = String(this.getHeader('connection') || '').toLowerCase();
    if (connection.split(',').some((t) => t.trim() === 'close')) this.keepAlive = false;
    const bodyless = !this.hasBody() && !this.noBody;
    if (this.getHeader('content-length') === undefined && this.getHeader('transfer-encoding') === undefined && !bodyless) {
      if (wholeLength !== null) this.setHeaderLate('Content-Length', String(wholeLength));
      else if (this.req.version === '1.1' && !this.noBody) {
        this.setHeaderLate('Transfer-Encoding', 'chunked');
        this.chunked = true;
      } else if (!this.noBody) this.keepAlive = false; // HTTP/1.0: the close ends the body
    } else if (/chunked/i.test(String(this.getHeader('transfer-encoding') || ''))) this.chunked = !this.noBody;
    if (!this.fields.has('date')) this.setHeaderLate('Date', new Date().toUTCString());
    if (!this.keepAlive) this.setHeaderLate('Connection', 'close');
    else if (this.req.version === '1.0') this.setHeaderLate('Connection', 'keep-alive');
    return responseHead({ status: this.statusCode, reason: this.reason, headers: [...this.fields.values()] });
  }

  setHeaderLate(name, value) {
    this.fields.set(name.toLowerCase(), [name, value]);
  }

  // An error answer that closes the connection.
  async fail(status, message) {
    this.keepAlive = false;
    this.statusCode = status;
    this.fields.clear();
    this.setHeader('Content-Type', 'text/plain; charset=utf-8');
    await this.end(`${status} ${reasonOf(status)}: ${message}\n`);
  }
}

// §9.3: HTTP/1.1 stays open unless Connection: close; HTTP/1.0 only with Connection: keep-alive.
function wantsKeepAlive(req) {
  const tokens = String(req.headers.connection || '')
    .toLowerCase()
    .split(',')
    .map((t) => t.trim());
  if (tokens.includes('close')) return false;
  return req.version === '1.1' || tokens.includes('keep-alive');
}

// Our FIN after what we wrote, then what the peer still sends is read and
// dropped for a moment (nginx's lingering close): closing with unread bytes
// would send an RST (RFC 1122 §4.2.2.13), and a peer that gets an RST may
// throw away the answer it has not read yet.
async function lingeringClose(conn, reader, timers, linger = 2000) {
  try {
    await conn.end();
    await reader.discard(timers.now() + linger);
  } catch (e) {
    // reset, or timed out: close anyway
  }
  await conn.close().catch(() => {});
}

// The answer to a request the parser refused (or that timed out), then the close.
async function sendError(conn, status, message, extra = {}) {
  const body = bodyBytes(`${status} ${reasonOf(status)}: ${message}\n`);
  const head = responseHead({
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, Date: new Date().toUTCString(), ...extra, Connection: 'close' },
  });
  await conn.write(concatBytes([head, body]));
}

module.exports = { createServer, Server, IncomingRequest, ServerResponse };
