// fs/lib/http/parse.js (/lib/http/parse in the image): the HTTP/1.1 message
// parser, bytes in, events out, no I/O (RFC 9112 §§2-7). The server
// (/lib/http/server) and the client (/lib/http/client) feed it what their
// connection reads; tests feed it literal bytes.
//
//   const p = new MessageParser('request');   // or 'response'
//   p.push(bytes);                            // what arrived (any split)
//   p.next()  -> {type: 'head', head}         the start line and header fields
//             -> {type: 'data', bytes}        a piece of the body (decoded from chunked)
//             -> {type: 'end', trailers}      the message is complete; the next may follow
//             -> {type: 'eof'}                the input ended between messages
//             -> null                         more input is needed
//   p.finish()                                the input has ended (the peer's FIN)
//
// A message that breaks the grammar or a limit throws an HttpError whose
// `status` is the answer a server gives it: 400 (malformed), 413 (body too
// large), 414 (request line too long), 431 (header fields too large), 501
// (a transfer coding we do not know), 505 (not HTTP/1.x). Messages follow
// one another in one byte stream (keep-alive and pipelining, §9.3), so after
// 'end' the parser starts over on the bytes it holds.
'use strict';

const { binaryText } = require('/lib/binary-text');
const { HttpError } = require('/lib/http/errors');

const DEFAULT_LIMITS = {
  requestLine: 8192, // the request line or status line, bytes: 414 for a request
  headerLine: 8192, // one field line: 431
  headerBytes: 65536, // the whole header section (and a trailer section): 431
  headerCount: 100, // field lines: 431
  chunkLine: 1024, // a chunk-size line with its extensions: 400
  body: Infinity, // body bytes: 413
};

// RFC 9110 §5.6.2: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A field value (§5.5): visible characters, obs-text, SP and HTAB; never CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;

// RFC 9112 §6.3: statuses whose responses never have a body.
const bodyless = (status) => (status >= 100 && status < 200) || status === 204 || status === 304;

class MessageParser {
  // kind: 'request' (a server's parser) or 'response' (a client's).
  constructor(kind, limits = {}) {
    if (kind !== 'request' && kind !== 'response') throw new TypeError(`kind must be 'request' or 'response', not ${kind}`);
    this.kind = kind;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.buf = new Uint8Array(0);
    this.pos = 0; // bytes of buf already consumed
    this.ended = false; // finish() was called
    this.state = 'head';
    this.remaining = 0; // body-length and chunk-data: bytes still to come
    this.bodyBytes = 0;
    // A client says which request each response answers (a HEAD's has no body, §6.3).
    this.methods = [];
  }

  // A client calls this once per request it sends, in order.
  expectResponseTo(method) {
    this.methods.push(String(method).toUpperCase());
  }

  push(bytes) {
    if (this.ended) throw new Error('push after finish');
    if (bytes.length === 0) return;
    const held = this.buf.length - this.pos;
    const next = new Uint8Array(held + bytes.length);
    next.set(this.buf.subarray(this.pos), 0);
    next.set(bytes, held);
    this.buf = next;
    this.pos = 0;
  }

  finish() {
    this.ended = true;
  }

  // Bytes held and not yet parsed (what a server hands on after an Upgrade, say).
  get buffered() {
    return this.buf.length - this.pos;
  }

  next() {
    try {
      return this.step();
    } catch (e) {
      if (e instanceof HttpError) this.state = 'failed';
      throw e;
    }
  }

  step() {
    switch (this.state) {
      case 'head':
        return this.readHead();
      case 'body-length':
        return this.readLength();
      case 'body-close':
        return this.readUntilClose();
      case 'chunk-size':
        return this.readChunkSize();
      case 'chunk-data':
        return this.readChunkData();
      case 'chunk-data-end':
        return this.readChunkDataEnd();
      case 'trailers':
        return this.readTrailers();
      case 'failed':
        throw new HttpError(400, 'the stream is past a malformed message');
      default:
        throw new Error(`bad parser state ${this.state}`);
    }
  }

  // ---- the start line and the header section (§2.1, §3, §4, §5) ----

  readHead() {
    // §2.2: a server SHOULD ignore at least one empty line before a request line.
    while (this.kind === 'request' && this.startsWithEmptyLine()) {}
    const end = this.findEmptyLine(this.pos);
    if (end === null) {
      if (this.ended) {
        if (this.buf.length === this.pos) return { type: 'eof' };
        return this.fail(400, 'the connection ended inside a message head');
      }
      this.checkIncompleteHead();
      return null;
    }
    const lines = splitLines(this.buf.subarray(this.pos, end.start));
    this.pos = end.next;
    const head = this.kind === 'request' ? this.parseRequestLine(lines[0]) : this.parseStatusLine(lines[0]);
    const { headers, rawHeaders } = this.parseFields(lines.slice(1));
    head.headers = headers;
    head.rawHeaders = rawHeaders;
    this.frame(head);
    return { type: 'head', head };
  }

  startsWithEmptyLine() {
    const b = this.buf;
    const p = this.pos;
    if (p < b.length && b[p] === 0x0a) {
      this.pos = p + 1;
      return true;
    }
    if (p + 1 < b.length && b[p] === 0x0d && b[p + 1] === 0x0a) {
      this.pos = p + 2;
      return true;
    }
    return false;
  }

  // The end of the head: an empty line (CRLF CRLF, or bare LFs, which §2.2
  // lets a recipient accept). {start, next}: where the empty line begins
  // and the first byte after it; null if it has not arrived.
  findEmptyLine(from) {
    const b = this.buf;
    for (let i = from; i < b.length; i++) {
      if (b[i] !== 0x0a) continue;
      // i ends a line; is the next line empty?
      if (i + 1 < b.length && b[i + 1] === 0x0a) return { start: i + 1, next: i + 2 };
      if (i + 2 < b.length && b[i + 1] === 0x0d && b[i + 2] === 0x0a) return { start: i + 1, next: i + 3 };
    }
    return null;
  }

  // A head still arriving may already break a limit: then say so now, not
  // after the peer has sent megabytes of it.
  checkIncompleteHead() {
    const { requestLine, headerLine, headerBytes } = this.limits;
    const b = this.buf;
    let lineStart = this.pos;
    let first = true;
    for (let i = this.pos; i <= b.length; i++) {
      if (i < b.length && b[i] !== 0x0a) continue;
      const length = i - lineStart;
      if (first && length > requestLine) this.fail(this.kind === 'request' ? 414 : 400, 'the start line is too long');
      if (!first && length > headerLine) this.fail(431, 'a header field line is too long');
      first = false;
      lineStart = i + 1;
    }
    if (b.length - this.pos > headerBytes) this.fail(431, 'the header section is too large');
  }

  // §3: method SP request-target SP HTTP-version.
  parseRequestLine(line) {
    if (line.length > this.limits.requestLine) this.fail(414, 'the request line is too long');
    const parts = line.split(' ');
    if (parts.length !== 3) this.fail(400, 'a request line is: METHOD TARGET HTTP/1.1');
    const [method, target, version] = parts;
    if (!TOKEN.test(method)) this.fail(400, `bad method ${JSON.stringify(method)}`);
    if (target === '' || /[\x00-\x20\x7f]/.test(target)) this.fail(400, 'bad request target');
    return { method, target, ...this.parseVersion(version) };
  }

  // §4: HTTP-version SP status-code SP [reason-phrase].
  parseStatusLine(line) {
    if (line.length > this.limits.requestLine) this.fail(400, 'the status line is too long');
    const m = /^(\S+) (\d{3})(?: (.*))?$/.exec(line);
    if (!m) this.fail(400, `bad status line ${JSON.stringify(line.slice(0, 80))}`);
    return { ...this.parseVersion(m[1]), status: Number(m[2]), reason: m[3] || '' };
  }

  parseVersion(text) {
    const m = VERSION.exec(text);
    if (!m) this.fail(400, `bad HTTP version ${JSON.stringify(text.slice(0, 20))}`);
    if (m[1] !== '1') this.fail(505, `HTTP/${m[1]}.${m[2]} is not supported`);
    return { version: `1.${m[2]}` };
  }

  // §5: field-name ":" OWS field-value OWS, one per line. Headers as an
  // object of lower-case names (repeated fields joined with ", ", §5.3)
  // and as the [name, value] pairs received.
  parseFields(lines, trailers = false) {
    const { headerLine, headerCount } = this.limits;
    if (lines.length > headerCount) this.fail(431, `more than ${headerCount} header fields`);
    const headers = Object.create(null);
    const rawHeaders = [];
    for (const line of lines) {
      if (line.length > headerLine) this.fail(431, 'a header field line is too long');
      // §5.2: obs-fold (a line starting with SP or HTAB) is rejected with 400.
      if (line[0] === ' ' || line[0] === '\t') this.fail(400, 'obsolete line folding');
      const colon = line.indexOf(':');
      const name = colon < 0 ? '' : line.slice(0, colon);
      // §5.1: no whitespace between the name and the colon (400).
      if (!TOKEN.test(name)) this.fail(400, `bad header field ${JSON.stringify(line.slice(0, 40))}`);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (!FIELD_VALUE.test(value)) this.fail(400, `bad value in header field ${name}`);
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
      rawHeaders.push([name, value]);
    }
    if (!trailers && this.kind === 'request') this.checkHost(rawHeaders);
    return { headers, rawHeaders };
  }

  // §3.2: a request without Host, or with more than one, is answered 400
  // (HTTP/1.0 may leave it out).
  checkHost(rawHeaders) {
    const hosts = rawHeaders.filter(([name]) => name.toLowerCase() === 'host').length;
    if (hosts > 1) this.fail(400, 'more than one Host header field');
    this.hostCount = hosts;
  }

  // ---- framing: how long the body is (§6) ----

  frame(head) {
    const h = head.headers;
    this.bodyBytes = 0;
    if (this.kind === 'request' && head.version === '1.1' && this.hostCount === 0) this.fail(400, 'no Host header field');
    if (this.kind === 'response') {
      const method = this.methods.shift();
      if (method === 'HEAD' || bodyless(head.status) || (method === 'CONNECT' && head.status < 300)) return this.bodyOf(head, 0);
    }
    const te = h['transfer-encoding'];
    const cl = h['content-length'];
    if (te !== undefined) {
      // §6.1: both is a request smuggling attempt (or a broken proxy): 400.
      // In a response Transfer-Encoding wins, and the connection must close.
      if (cl !== undefined) {
        if (this.kind === 'request') this.fail(400, 'both Content-Length and Transfer-Encoding');
        delete h['content-length'];
        head.mustClose = true;
      }
      const codings = te.split(',').map((c) => c.trim().toLowerCase());
      if (codings[codings.length - 1] === 'chunked') {
        if (codings.slice(0, -1).includes('chunked')) this.fail(400, 'chunked applied twice');
        if (codings.length > 1) this.fail(501, `transfer coding ${codings[0]} is not supported`);
        head.chunked = true;
        this.state = 'chunk-size';
        return undefined;
      }
      // §6.3: a request whose last coding is not chunked cannot be framed;
      // a response is read until the connection closes.
      if (this.kind === 'request') this.fail(codings.every((c) => c === 'gzip' || c === 'deflate' || c === 'compress') ? 501 : 400, `transfer coding ${te} without chunked`);
      head.mustClose = true;
      this.state = 'body-close';
      return undefined;
    }
    if (cl !== undefined) {
      // §6.3 (5): a list of identical values may be taken as one; anything else is 400.
      const values = cl.split(',').map((v) => v.trim());
      if (!values.every((v) => /^\d+$/.test(v) && v === values[0])) this.fail(400, `bad Content-Length ${JSON.stringify(cl)}`);
      const length = Number(values[0]);
      if (!Number.isSafeInteger(length)) this.fail(400, 'Content-Length is too large');
      if (length > this.limits.body) this.fail(413, `the body is larger than ${this.limits.body} bytes`);
      head.contentLength = length;
      return this.bodyOf(head, length);
    }
    // §6.3 (6, 8): a request without either has no body; a response is read until close.
    if (this.kind === 'request') return this.bodyOf(head, 0);
    head.mustClose = true;
    this.state = 'body-close';
    return undefined;
  }

  bodyOf(head, length) {
    this.remaining = length;
    this.state = 'body-length';
    return undefined;
  }

  readLength() {
    if (this.remaining === 0) return this.messageEnd(Object.create(null));
    const available = this.buf.length - this.pos;
    if (available === 0) {
      if (this.ended) this.fail(400, `the connection ended ${this.remaining} bytes before the end of the body`);
      return null;
    }
    const n = Math.min(available, this.remaining);
    this.remaining -= n;
    return this.data(n);
  }

  readUntilClose() {
    const available = this.buf.length - this.pos;
    if (available > 0) return this.data(available);
    return this.ended ? this.messageEnd(Object.create(null)) : null;
  }

  // ---- chunked (§7.1) ----

  // chunk-size [chunk-ext] CRLF; the extensions are ignored (§7.1.1).
  readChunkSize() {
    const line = this.takeLine(this.limits.chunkLine, 400, 'a chunk-size line is too long');
    if (line === null) return this.needMore('inside a chunked body');
    const m = /^([0-9A-Fa-f]+)[ \t]*(;.*)?$/.exec(line);
    if (!m) this.fail(400, `bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
    const digits = m[1].replace(/^0+(?=.)/, '');
    if (digits.length > 13) this.fail(400, 'chunk size too large'); // beyond 2^52: no safe integer
    const size = parseInt(digits, 16);
    if (size === 0) {
      this.state = 'trailers';
      return this.step();
    }
    this.checkBody(size);
    this.remaining = size;
    this.state = 'chunk-data';
    return this.step();
  }

  readChunkData() {
    const available = this.buf.length - this.pos;
    if (available === 0) return this.needMore('inside a chunk');
    const n = Math.min(available, this.remaining);
    this.remaining -= n;
    if (this.remaining === 0) this.state = 'chunk-data-end';
    return this.data(n, false);
  }

  readChunkDataEnd() {
    const line = this.takeLine(2, 400, 'chunk data is longer than its size');
    if (line === null) return this.needMore('inside a chunk');
    if (line !== '') this.fail(400, 'chunk data is longer than its size');
    this.state = 'chunk-size';
    return this.step();
  }

  // trailer-section CRLF (§7.1.2): fields as in the head, kept apart from it.
  readTrailers() {
    const end = this.buf[this.pos] === 0x0a || (this.buf[this.pos] === 0x0d && this.buf[this.pos + 1] === 0x0a)
      ? { start: this.pos, next: this.pos + (this.buf[this.pos] === 0x0a ? 1 : 2) }
      : this.findEmptyLine(this.pos);
    if (end === null || end.next > this.buf.length) {
      if (this.buf.length - this.pos > this.limits.headerBytes) this.fail(431, 'the trailer section is too large');
      return this.needMore('inside the trailer section');
    }
    const lines = end.start === this.pos ? [] : splitLines(this.buf.subarray(this.pos, end.start));
    this.pos = end.next;
    return this.messageEnd(this.parseFields(lines, true).headers);
  }

  // ---- small helpers ----

  data(n, counts = true) {
    if (counts) this.checkBody(n);
    const bytes = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return { type: 'data', bytes };
  }

  checkBody(n) {
    this.bodyBytes += n;
    if (this.bodyBytes > this.limits.body) this.fail(413, `the body is larger than ${this.limits.body} bytes`);
  }

  messageEnd(trailers) {
    this.state = 'head';
    return { type: 'end', trailers };
  }

  needMore(where) {
    if (this.ended) this.fail(400, `the connection ended ${where}`);
    return null;
  }

  // One line (CRLF or LF ended) as latin1 text without its end, or null if
  // it has not all arrived; longer than `limit`: fail with `status`.
  takeLine(limit, status, why) {
    const b = this.buf;
    for (let i = this.pos; i < b.length; i++) {
      if (b[i] !== 0x0a) {
        if (i - this.pos > limit) this.fail(status, why);
        continue;
      }
      const line = lineText(b.subarray(this.pos, i));
      this.pos = i + 1;
      return line;
    }
    if (b.length - this.pos > limit) this.fail(status, why);
    return null;
  }

  fail(status, message) {
    throw new HttpError(status, message);
  }
}

// The lines of a head (LF or CRLF ended) as latin1 strings. A CR anywhere
// but before LF is malformed (§2.2: bare CR is invalid).
function splitLines(bytes) {
  const lines = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    lines.push(lineText(bytes.subarray(start, i)));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(lineText(bytes.subarray(start)));
  return lines;
}

function lineText(bytes) {
  const n = bytes.length && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  const text = binaryText(bytes.subarray(0, n));
  if (text.includes('\r')) throw new HttpError(400, 'a bare CR in a line');
  if (text.includes('\0')) throw new HttpError(400, 'a NUL in a line');
  return text;
}

module.exports = { MessageParser, DEFAULT_LIMITS, TOKEN };
