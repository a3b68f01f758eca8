// fs/lib/http/client.js (/lib/http/client in the image): an HTTP/1.1
// client over sys.net.tcp: one request on a connection of its own, the
// response read with the same parser the server uses (/lib/http/parse).
// Names are resolved by the kernel's resolver (sys.net.lookup).
//
//   const { request } = require('/lib/http/client');
//   const r = await request({ url: 'http://10.0.2.2:8000/a', method: 'POST', headers: {'X-A': '1'}, body: 'hi' });
//   r.status, r.reason, r.headers['content-type'], r.body (a Uint8Array)
//
// send(...) takes the same and returns once the head has arrived, with the
// body still to read (await r.read() until null), for a body too large to
// hold. A body may also be an async iterable of byte chunks (fetch()'s
// stream bodies, /lib/web/fetch): sent as it comes, with the chunked
// transfer coding (RFC 9112 §7.1) unless the caller gave a Content-Length.
// Errors carry a `code`: EPROTO for an https: or malformed URL,
// the resolver's code for a name it cannot find (with `during: 'resolve'`),
// ECONNREFUSED / ETIMEDOUT / ENETUNREACH from connect (`during: 'connect'`),
// HTTP_PARSE for a reply that breaks RFC 9112, ETIMEDOUT for `timeout`.
'use strict';

const { MessageParser } = require('/lib/http/parse');
const { requestHead, chunk, lastChunk } = require('/lib/http/serialize');
const { bodyBytes, concatBytes, latin1Text } = require('/lib/http/bytes');
const { ConnectionReader, defaultTimers } = require('/lib/http/connection-reader');

// http://host[:port]/path?query -> {host, port, target, authority}. Other
// schemes are refused with EPROTO (curl's "Protocol not supported").
function parseUrl(url) {
  let m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^#]*)/.exec(url);
  if (!m) m = /^()([^/?#:]+(?::\d+)?)([^#]*)$/.exec(url); // curl takes "host/path" as http
  if (!m) throw Object.assign(new Error(`URL rejected: Bad URL ${url}`), { code: 'EINVAL' });
  const scheme = (m[1] || 'http').toLowerCase();
  if (scheme !== 'http') throw Object.assign(new Error(`Protocol "${scheme}" not supported`), { code: 'EPROTO', scheme });
  const hostPort = /^(?:[^@]*@)?(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(m[2]);
  if (!hostPort || hostPort[1] === '') throw Object.assign(new Error(`URL rejected: No host part in the URL`), { code: 'EINVAL' });
  const port = hostPort[2] ? Number(hostPort[2]) : 80;
  if (!(port > 0 && port < 65536)) throw Object.assign(new Error(`URL rejected: Port number was not a decimal number between 0 and 65535`), { code: 'EINVAL' });
  const host = hostPort[1];
  let target = m[3] || '/';
  if (target[0] === '?') target = `/${target}`;
  target = target.replace(/[\x00-\x20\x7f-\uffff]/g, (c) => encodeURIComponent(c));
  return { scheme, host, port, target, authority: port === 80 ? host : `${host}:${port}` };
}

// Where a Location header points, from the URL that answered (RFC 3986 §5.2, the common cases).
function resolveUrl(base, location) {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location)) return location;
  const u = parseUrl(base);
  const origin = `http://${u.authority}`;
  if (location.startsWith('//')) return `http:${location}`;
  if (location.startsWith('/')) return origin + location;
  const path = u.target.split('?')[0];
  return origin + path.slice(0, path.lastIndexOf('/') + 1) + location;
}

// The request head's fields: ours first (Host, User-Agent, Accept, the
// body's length), a caller's header of the same name replacing ours; a
// caller's header with an empty value removes it, as curl's -H 'Name:'.
function requestFields(u, headers, body, userAgent) {
  const fields = new Map();
  const set = (name, value) => fields.set(name.toLowerCase(), [name, value]);
  set('Host', u.authority);
  set('User-Agent', userAgent);
  set('Accept', '*/*');
  if (body !== null) set('Content-Length', String(body.length));
  for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers || {})) {
    if (value === '' || value === null || value === undefined) fields.delete(String(name).toLowerCase());
    else set(String(name), String(value));
  }
  return [...fields.values()];
}

// Sends one request; resolves with the response once its head is in.
async function send(options) {
  const { method = 'GET', url, headers, timeout = Infinity, userAgent = 'jsksh-http/1', onEvent = () => {} } = options;
  const timers = options.timers || defaultTimers();
  const deadline = timeout === Infinity ? Infinity : timers.now() + timeout;
  const u = parseUrl(url);
  const bodyChunks = isChunkSource(options.body) ? options.body : null;
  const body = options.body === undefined || options.body === null || bodyChunks ? null : bodyBytes(options.body);
  let address;
  try {
    address = options.address || (await (options.lookup || ((h) => sys.net.lookup(h)))(u.host.replace(/^\[|\]$/g, '')));
  } catch (e) {
    throw Object.assign(e, { during: 'resolve' });
  }
  onEvent('trying', { address, port: u.port });
  let conn;
  try {
    const connect = options.connect || ((a, p) => sys.net.tcp.connect(a, p, { noDelay: true }));
    conn = await withDeadline(connect(address, u.port), deadline, timers);
  } catch (e) {
    throw Object.assign(e, { during: 'connect', address, port: u.port });
  }
  onEvent('connected', { address, port: u.port, host: u.host });
  const fields = requestFields(u, headers, body, userAgent);
  // A body of unknown length goes chunked, unless the caller's Content-Length says how long it is.
  const chunked = bodyChunks !== null && !fields.some(([name]) => name.toLowerCase() === 'content-length');
  if (chunked) fields.push(['Transfer-Encoding', 'chunked']);
  const head = requestHead({ method, target: u.target, headers: fields });
  onEvent('request', { text: latin1Text(head) });
  const parser = new MessageParser('response');
  parser.expectResponseTo(method);
  const reader = new ConnectionReader(conn, parser, { timers });
  try {
    if (bodyChunks) await writeChunks(conn, head, bodyChunks, chunked);
    else await conn.write(body && body.length ? concatBytes([head, body]) : head);
    let event;
    // 1xx answers (100 Continue) come before the real one (RFC 9110 §15.2).
    for (;;) {
      event = await next(reader, deadline);
      if (event.type === 'eof') throw Object.assign(new Error('Empty reply from server'), { code: 'EMPTY_REPLY' });
      if (event.type !== 'head' || event.head.status >= 200 || event.head.status < 100) break;
      onEvent('response', { head: event.head });
      await next(reader, deadline); // its 'end'
      parser.expectResponseTo(method);
    }
    onEvent('response', { head: event.head });
    return new Response(event.head, reader, conn, deadline, u);
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
}

// A body given as chunks: an async iterable that is not a string or bytes.
const isChunkSource = (body) =>
  body !== null && typeof body === 'object' && !ArrayBuffer.isView(body) && typeof body[Symbol.asyncIterator] === 'function';

// The head, then each chunk as it comes (framed when chunked), then the last chunk.
async function writeChunks(conn, head, chunks, chunked) {
  await conn.write(head);
  for await (const piece of chunks) {
    const bytes = bodyBytes(piece);
    if (bytes.length > 0) await conn.write(chunked ? chunk(bytes) : bytes);
  }
  if (chunked) await conn.write(lastChunk());
}

// One request, the whole body read: {status, reason, version, headers, rawHeaders, body}.
async function request(options) {
  const response = await send(options);
  const body = await response.bytes();
  const { status, reason, version, headers, rawHeaders } = response;
  return { status, reason, version, headers, rawHeaders, body, trailers: response.trailers };
}

class Response {
  constructor(head, reader, conn, deadline, url) {
    this.status = head.status;
    this.reason = head.reason;
    this.version = head.version;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.url = url;
    this.reader = reader;
    this.conn = conn;
    this.deadline = deadline;
    this.trailers = null;
    this.done = false;
  }

  // The body's next bytes, or null at its end (the connection is closed then).
  async read() {
    if (this.done) return null;
    let event;
    try {
      event = await next(this.reader, this.deadline);
    } catch (e) {
      await this.close();
      throw e;
    }
    if (event.type === 'data') return event.bytes;
    this.trailers = event.trailers || null;
    await this.close();
    return null;
  }

  async bytes() {
    const chunks = [];
    for (let b = await this.read(); b !== null; b = await this.read()) chunks.push(b);
    return concatBytes(chunks);
  }

  async close() {
    if (this.done) return;
    this.done = true;
    await this.conn.close().catch(() => {});
  }
}

// The reader's next event; a reply the parser refuses is HTTP_PARSE (curl's "Weird server reply").
async function next(reader, deadline) {
  try {
    return await reader.next(deadline);
  } catch (e) {
    if (e.name === 'HttpError') throw Object.assign(new Error(e.message), { code: e.message.includes('connection ended') ? 'PARTIAL' : 'HTTP_PARSE' });
    throw e;
  }
}

function withDeadline(promise, deadline, timers) {
  if (deadline === Infinity) return promise;
  return new Promise((resolve, reject) => {
    const t = timers.setTimeout(() => reject(Object.assign(new Error('Connection timed out'), { code: 'ETIMEDOUT' })), Math.max(0, deadline - timers.now()));
    promise.then(
      (v) => (timers.clearTimeout(t), resolve(v)),
      (e) => (timers.clearTimeout(t), reject(e)),
    );
  });
}

module.exports = { request, send, parseUrl, resolveUrl, requestFields };
