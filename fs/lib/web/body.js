// fs/lib/web/body.js (/lib/web/body in the image): the Fetch standard's
// Body mixin (WHATWG Fetch, "Body mixin" and "extract a body";
// https://fetch.spec.whatwg.org/#body-mixin), which
// Request and Response share: what a body can be made from, the
// Content-Type each kind implies, and reading it once as text, JSON, an
// ArrayBuffer or bytes.
//
// A body is { stream, source, length } (Fetch "bodies", #concept-body): the stream is a
// ReadableStream (/lib/web/readable-stream.js); source keeps the bytes it
// was made from, when it was made from bytes. A body is used once: a second
// read is a TypeError. A body made from bytes (a BytesBody: a string, an
// ArrayBuffer, most bodies) makes its stream only when someone asks for it
// (`.body`, a clone of one made): text(), json() and the like, and a
// worker's answer to the invoker, take the bytes as they are, and a fresh
// isolate that never touches a stream never compiles the 13 KB that
// implement them.
//
// Accepted: null, a string (UTF-8), an ArrayBuffer, a typed array or
// DataView (copied), a URLSearchParams (by its toString), a ReadableStream;
// any other object is a string by String(), as WebIDL's union does. Left
// out: Blob and FormData (neither exists here yet), formData(), blob().
'use strict';

// Streams are required when first needed (above): `streams()` is the module.
let streamsModule = null;
const streams = () => streamsModule || (streamsModule = require('/lib/web/readable-stream'));
const { utf8Encode, utf8Decode } = require('/lib/web/utf8-bytes');
const { concatBytes } = require('/lib/http/bytes');

const kBody = Symbol('body');

const TEXT_TYPE = 'text/plain;charset=UTF-8';
const FORM_TYPE = 'application/x-www-form-urlencoded;charset=UTF-8';

const isSearchParams = (v) => v !== null && typeof v === 'object' && v[Symbol.toStringTag] === 'URLSearchParams';

function copyBytes(view) {
  if (view instanceof ArrayBuffer) return new Uint8Array(view.slice(0));
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

// A body made from bytes: its stream, one chunk then closed, is made on first use.
class BytesBody {
  constructor(bytes) {
    this.source = bytes;
    this.length = bytes.length;
    this.made = null; // the stream, once asked for
    this.used = false; // read (or taken) before any stream was made
  }

  get stream() {
    if (this.made === null) {
      // Read already: the stream is as a read would have left it, closed and disturbed.
      this.made = streams().streamFromBytes(this.used ? new Uint8Array(0) : this.source);
      if (this.used) streams().markDisturbed(this.made);
    }
    return this.made;
  }
}

const bytesBody = (bytes, type) => ({ body: new BytesBody(bytes), type });
// A BytesBody whose stream nobody has asked for: its bytes can be taken as they are.
const streamless = (body) => body instanceof BytesBody && body.made === null;

// Fetch "extract a body" (#concept-bodyinit-extract): { body, type } where type is the Content-Type the
// object implies, or null.
function extractBody(object) {
  if (typeof object === 'string') return bytesBody(utf8Encode(object), TEXT_TYPE);
  if (object instanceof ArrayBuffer || ArrayBuffer.isView(object)) return bytesBody(copyBytes(object), null);
  if (isSearchParams(object)) return bytesBody(utf8Encode(String(object)), FORM_TYPE);
  // Only an object can be a stream: a string or bytes never loads the module.
  if (object !== null && typeof object === 'object' && object instanceof streams().ReadableStream) {
    if (streams().isDisturbed(object) || object.locked) throw new TypeError('the body stream is disturbed or locked');
    return { body: { stream: object, source: null, length: null }, type: null };
  }
  return bytesBody(utf8Encode(String(object)), TEXT_TYPE);
}

// Fetch "disturbed": read from, or taken (a BytesBody with no stream yet says so itself).
const disturbed = (body) => (streamless(body) ? body.used : streams().isDisturbed(body.stream));

// Fetch "unusable" (#body-unusable): a body whose stream has been read from or is locked.
const unusable = (body) => body !== null && (disturbed(body) || (!streamless(body) && body.stream.locked));

// The body is used from now on, with no stream made for it (a worker's
// answer, sent to the invoker as its bytes).
function markUsed(body) {
  if (streamless(body)) body.used = true;
  else streams().markDisturbed(body.stream);
}

// Fetch "fully read" (#body-fully-read): every chunk, each a Uint8Array, joined.
function readAll(stream) {
  const reader = stream.getReader();
  const chunks = [];
  const step = () =>
    reader.read().then(({ value, done }) => {
      if (done) return join(chunks);
      if (!(value instanceof Uint8Array)) {
        const e = new TypeError('a body chunk must be a Uint8Array');
        reader.cancel(e);
        throw e;
      }
      chunks.push(value);
      return step();
    });
  return step();
}

function join(chunks) {
  return chunks.length === 1 ? chunks[0].slice() : concatBytes(chunks);
}

// Fetch "consume body": the bytes of the body, or a TypeError if used already.
function consumeBody(holder) {
  const body = holder[kBody];
  if (unusable(body)) return Promise.reject(new TypeError('body used already'));
  if (body === null) return Promise.resolve(new Uint8Array(0));
  if (streamless(body)) {
    body.used = true;
    return Promise.resolve(body.source.slice());
  }
  return readAll(body.stream);
}

// Puts the mixin's members on Class.prototype; an instance keeps its body
// (or null) under kBody.
function mixinBody(Class) {
  const members = {
    get body() {
      return this[kBody] === null ? null : this[kBody].stream;
    },
    get bodyUsed() {
      return this[kBody] !== null && disturbed(this[kBody]);
    },
    arrayBuffer() {
      return consumeBody(this).then((b) => b.buffer);
    },
    bytes() {
      return consumeBody(this);
    },
    text() {
      return consumeBody(this).then(utf8Decode);
    },
    json() {
      return consumeBody(this).then((b) => JSON.parse(utf8Decode(b)));
    },
  };
  for (const name of Object.keys(Object.getOwnPropertyDescriptors(members))) {
    const desc = Object.getOwnPropertyDescriptor(members, name);
    desc.enumerable = true;
    Object.defineProperty(Class.prototype, name, desc);
  }
  return Class;
}

// Fetch "clone a body" (#concept-body-clone): the stream is teed, one branch each; the branch
// not yet read keeps what the other has read (the buffering).
function cloneBody(holder) {
  const body = holder[kBody];
  if (body === null) return null;
  if (streamless(body)) return new BytesBody(body.source); // the bytes are never written to: both can hold them
  const [mine, theirs] = body.stream.tee();
  holder[kBody] = { stream: mine, source: body.source, length: body.length };
  return { stream: theirs, source: body.source, length: body.length };
}

// A new Request from an old one takes its body (the Request constructor's "create a proxy" step):
// the new stream reads the old, which counts as used from now on.
function takeBody(body) {
  if (streamless(body)) {
    body.used = true;
    return new BytesBody(body.source);
  }
  const reader = body.stream.getReader();
  streams().markDisturbed(body.stream);
  const stream = new (streams().ReadableStream)(
    {
      pull(controller) {
        return reader.read().then(({ value, done }) => (done ? controller.close() : controller.enqueue(value)));
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, source: body.source, length: body.length };
}

module.exports = { kBody, extractBody, mixinBody, cloneBody, takeBody, unusable, markUsed, consumeBody, TEXT_TYPE, FORM_TYPE };
