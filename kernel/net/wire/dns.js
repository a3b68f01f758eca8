// kernel/net/wire/dns.js: DNS messages (RFC 1035 §4.1): header, questions and
// resource records, with name compression (§4.1.4), and AAAA from RFC 3596.
//
// Parse/emit only; the interface layer owns state (the resolver's retries and
// cache, the built-in server's zone). Names from the network are hostile
// input: parse checks every pointer and length and throws a DnsError (a
// WireError) with a reason, and reads each name in bounded time, so a whole
// message parses in time linear in its size.
//
// Names are strings without the trailing dot ("example.com"; the root is ".").
// A label byte that is not a printable ASCII character, or is "." or "\",
// is written as in master files (RFC 1035 §5.1): "\." "\\" "\DDD" (decimal).
'use strict';

const { DnsError } = require('./errors');
const { ByteWriter, viewOf } = require('./bytes');
const { readIp } = require('./ip-address');
const { utf8Encode, utf8Decode } = require('../../lib/utf8');

const PORT = 53;
const HEADER_LEN = 12;
const MAX_NAME_LEN = 255; // wire bytes, length octets and root included (§2.3.4)
const MAX_LABEL_LEN = 63;
// An honest name has at most 127 labels, and compressors emit one pointer per
// name; a chain of more hops than this is an attack on our time, not a name.
const MAX_POINTER_HOPS = 127;
const POINTER_LIMIT = 0x4000; // pointers hold 14-bit offsets

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_PTR = 12;
const TYPE_MX = 15;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;
const TYPE_OPT = 41; // EDNS(0), RFC 6891: kept raw
const TYPE_ANY = 255;
const CLASS_IN = 1;
const TYPE_NAMES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 41: 'OPT', 255: 'ANY' };

const OPCODE_QUERY = 0;
const RCODE_NOERROR = 0;
const RCODE_FORMERR = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const RCODE_REFUSED = 5;

const fail = (reason, detail) => new DnsError(reason, `dns: ${detail}`);

// Local versions of the bytes.js checks, so that everything dns.js throws is a DnsError.
function checkBytes(bytes) {
  if (!(bytes instanceof Uint8Array)) throw fail('bad-input', 'expected a Uint8Array');
}
function need(bytes, end, what) {
  if (end > bytes.length) throw fail('truncated', `${what} needs ${end} bytes, message has ${bytes.length}`);
}
function checkUint(value, max, name) {
  if (!Number.isInteger(value) || value < 0 || value > max) throw fail('bad-record', `${name} must be an integer 0..${max}, got ${value}`);
  return value;
}

// --- names -------------------------------------------------------------------

const BACKSLASH = 0x5c;
const DOT = 0x2e;

// One label's bytes as text, escaped so the dotted string is unambiguous.
function labelToString(bytes, start, length) {
  let s = '';
  for (let i = start; i < start + length; i++) {
    const b = bytes[i];
    if (b === DOT || b === BACKSLASH) s += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\' + String(b).padStart(3, '0');
  }
  return s;
}

// Reads the name at `offset`. Returns { name, end }, where end is the offset
// just after the name *where it was written* (after its first pointer, if any).
//
// The loop guard: every pointer must point strictly before the start of the
// run of labels it ends. RFC 1035 §4.1.4 says a pointer refers to a *prior*
// occurrence of a name, so honest messages always obey this, and it makes
// the targets strictly decrease, so no sequence of pointers can cycle.
function readName(bytes, offset) {
  checkBytes(bytes);
  const labels = [];
  let pos = offset;
  let runStart = offset; // where the current run of labels began
  let end = -1;
  let wireLength = 1; // the root label's zero byte
  let hops = 0;
  for (;;) {
    need(bytes, pos + 1, `name at offset ${offset}`);
    const length = bytes[pos];
    if (length === 0) break;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      need(bytes, pos + 2, `compression pointer at offset ${pos}`);
      const target = ((length & 0x3f) << 8) | bytes[pos + 1];
      if (end < 0) end = pos + 2;
      if (target < HEADER_LEN || target >= bytes.length) {
        throw fail('bad-pointer', `pointer at offset ${pos} to ${target}, outside the message body`);
      }
      if (target > pos) throw fail('forward-pointer', `pointer at offset ${pos} to later offset ${target}`);
      if (target >= runStart) {
        throw fail('compression-loop', `pointer at offset ${pos} to ${target} leads back into the name being read`);
      }
      if (++hops > MAX_POINTER_HOPS) throw fail('too-many-pointers', `name at offset ${offset} follows over ${MAX_POINTER_HOPS} pointers`);
      pos = runStart = target;
      continue;
    }
    // 0b01 and 0b10 prefixes are extended label types (RFC 6891 §5), never used.
    if (kind !== 0) throw fail('bad-label', `label type 0x${kind.toString(16)} at offset ${pos}`);
    wireLength += 1 + length;
    if (wireLength > MAX_NAME_LEN) throw fail('name-too-long', `name at offset ${offset} is over ${MAX_NAME_LEN} bytes`);
    need(bytes, pos + 1 + length, `label at offset ${pos}`);
    labels.push(labelToString(bytes, pos + 1, length));
    pos += 1 + length;
  }
  return { name: labels.length ? labels.join('.') : '.', end: end < 0 ? pos + 1 : end };
}

// "www.example.com" -> [Uint8Array "www", "example", "com"], undoing the
// escapes labelToString writes. Throws 'bad-name' for what cannot be sent.
function nameToLabels(name) {
  if (typeof name !== 'string') throw fail('bad-name', `name must be a string, got ${typeof name}`);
  if (name === '' || name === '.') return [];
  const labels = [];
  let label = [];
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    let decimalEscape = false;
    if (c === DOT) {
      if (label.length === 0) throw fail('bad-name', `empty label in ${JSON.stringify(name)}`);
      labels.push(Uint8Array.from(label));
      label = [];
      continue;
    }
    if (c === BACKSLASH) {
      const digits = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        c = Number(digits);
        decimalEscape = true;
        i += 3;
      } else if (i + 1 < name.length) {
        c = name.charCodeAt(++i);
      } else throw fail('bad-name', `trailing backslash in ${JSON.stringify(name)}`);
    }
    // Internationalised names go on the wire as punycode ("xn--"), which is
    // the caller's job; raw non-ASCII is refused rather than guessed at.
    if (c > 0xff || (c > 0x7e && !decimalEscape)) {
      throw fail('bad-name', `non-ASCII character (or \\DDD over 255) in ${JSON.stringify(name)}`);
    }
    label.push(c);
    if (label.length > MAX_LABEL_LEN) throw fail('bad-name', `label longer than ${MAX_LABEL_LEN} bytes in ${JSON.stringify(name)}`);
  }
  if (label.length) labels.push(Uint8Array.from(label)); // no trailing dot
  const wireLength = labels.reduce((n, l) => n + 1 + l.length, 1);
  if (wireLength > MAX_NAME_LEN) throw fail('bad-name', `name over ${MAX_NAME_LEN} bytes: ${JSON.stringify(name)}`);
  return labels;
}

// Writes a name, pointing at an earlier copy of its longest known suffix when
// compression is on. `seen` maps a suffix's wire bytes (as a string key) to
// its offset. Matching is exact, so a question's capitalisation is echoed
// as the client sent it (resolvers that randomise case, "DNS 0x20", check it).
function writeName(w, name, seen) {
  const labels = nameToLabels(name);
  for (let i = 0; i < labels.length; i++) {
    if (seen) {
      const key = labels.slice(i).map((l) => String.fromCharCode(l.length, ...l)).join('');
      const at = seen.get(key);
      if (at !== undefined) {
        w.u16(0xc000 | at);
        return;
      }
      if (w.length < POINTER_LIMIT) seen.set(key, w.length);
    }
    w.u8(labels[i].length);
    w.raw(labels[i]);
  }
  w.u8(0);
}

// --- header ----------------------------------------------------------------

// Header record: { id, qr, opcode, aa, tc, rd, ra, ad, cd, rcode,
//                  qdcount, ancount, nscount, arcount }
// (flags per RFC 1035 §4.1.1; ad and cd from RFC 4035 §3.2). A resolver can
// call this alone to match an id or see TC when the body is damaged.
function parseHeader(bytes) {
  checkBytes(bytes);
  need(bytes, HEADER_LEN, 'header');
  const view = viewOf(bytes);
  const flags = view.getUint16(2);
  return {
    id: view.getUint16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    qdcount: view.getUint16(4),
    ancount: view.getUint16(6),
    nscount: view.getUint16(8),
    arcount: view.getUint16(10),
  };
}

// --- RDATA -------------------------------------------------------------------

// Each decoder reads bytes[start, end) and must consume exactly that range.
function nameInRdata(bytes, at, end, type) {
  const { name, end: after } = readName(bytes, at);
  if (after > end) throw fail('bad-rdata', `${TYPE_NAMES[type]} name runs past its RDATA`);
  return { name, after };
}

function exactly(after, end, type) {
  if (after !== end) throw fail('bad-rdata', `${TYPE_NAMES[type]} RDATA has ${end - after} bytes left over`);
}

const RDATA = {
  [TYPE_A]: (bytes, start, end) => {
    if (end - start !== 4) throw fail('bad-rdata', `A RDATA is ${end - start} bytes, not 4`);
    return readIp(bytes, start);
  },
  [TYPE_AAAA]: (bytes, start, end) => {
    if (end - start !== 16) throw fail('bad-rdata', `AAAA RDATA is ${end - start} bytes, not 16`);
    return bytes.slice(start, end);
  },
  [TYPE_NS]: nameOnly(TYPE_NS),
  [TYPE_CNAME]: nameOnly(TYPE_CNAME),
  [TYPE_PTR]: nameOnly(TYPE_PTR),
  [TYPE_MX]: (bytes, start, end) => {
    if (end - start < 3) throw fail('bad-rdata', 'MX RDATA too short');
    const { name, after } = nameInRdata(bytes, start + 2, end, TYPE_MX);
    exactly(after, end, TYPE_MX);
    return { preference: (bytes[start] << 8) | bytes[start + 1], exchange: name };
  },
  // A sequence of <length><bytes> character-strings (§3.3.14), decoded as
  // UTF-8 (invalid bytes become U+FFFD).
  [TYPE_TXT]: (bytes, start, end) => {
    const strings = [];
    for (let i = start; i < end; ) {
      const length = bytes[i];
      if (i + 1 + length > end) throw fail('bad-rdata', 'TXT string runs past its RDATA');
      strings.push(utf8Decode(bytes, i + 1, i + 1 + length));
      i += 1 + length;
    }
    return strings;
  },
  [TYPE_SOA]: (bytes, start, end) => {
    const mname = nameInRdata(bytes, start, end, TYPE_SOA);
    const rname = nameInRdata(bytes, mname.after, end, TYPE_SOA);
    if (rname.after + 20 !== end) throw fail('bad-rdata', 'SOA RDATA does not end with five 32-bit fields');
    const view = viewOf(bytes);
    const at = rname.after;
    return {
      mname: mname.name,
      rname: rname.name,
      serial: view.getUint32(at),
      refresh: view.getUint32(at + 4),
      retry: view.getUint32(at + 8),
      expire: view.getUint32(at + 12),
      minimum: view.getUint32(at + 16),
    };
  },
};

function nameOnly(type) {
  return (bytes, start, end) => {
    const { name, after } = nameInRdata(bytes, start, end, type);
    exactly(after, end, type);
    return name;
  };
}

// --- messages ----------------------------------------------------------------

function readQuestion(bytes, pos, index) {
  const { name, end } = readName(bytes, pos);
  need(bytes, end + 4, `question ${index}`);
  const view = viewOf(bytes);
  return { question: { name, type: view.getUint16(end), class: view.getUint16(end + 2) }, end: end + 4 };
}

// Resource record: { name, type, class, ttl, data }, where data is
//   A: IPv4 number | AAAA: Uint8Array(16) | NS, CNAME, PTR: name string
//   MX: { preference, exchange } | TXT: [string] | SOA: { mname, rname, serial,
//   refresh, retry, expire, minimum } | any other type (OPT too): raw Uint8Array copy
function readRecord(bytes, pos, where) {
  const { name, end } = readName(bytes, pos);
  need(bytes, end + 10, where);
  const view = viewOf(bytes);
  const type = view.getUint16(end);
  const rdlength = view.getUint16(end + 8);
  const start = end + 10;
  need(bytes, start + rdlength, `${where} RDATA`);
  const decode = RDATA[type];
  const data = decode ? decode(bytes, start, start + rdlength) : bytes.slice(start, start + rdlength);
  return { record: { name, type, class: view.getUint16(end + 2), ttl: view.getUint32(end + 4), data }, end: start + rdlength };
}

// Message record: the header's flags (without the counts) plus the sections:
// { id, qr, opcode, aa, tc, rd, ra, ad, cd, rcode,
//   questions: [{ name, type, class }], answers: [rr], authorities: [rr], additionals: [rr] }
// Throws DnsError; never reads past the end; bytes after the last record are ignored.
function parse(bytes) {
  const { qdcount, ancount, nscount, arcount, ...flags } = parseHeader(bytes);
  const message = { ...flags, questions: [], answers: [], authorities: [], additionals: [] };
  let pos = HEADER_LEN;
  // Each question or record consumes at least 5 bytes, so a count of 65535
  // on a short message fails fast with 'truncated'.
  for (let i = 0; i < qdcount; i++) {
    const { question, end } = readQuestion(bytes, pos, i);
    message.questions.push(question);
    pos = end;
  }
  for (const [section, count] of [['answers', ancount], ['authorities', nscount], ['additionals', arcount]]) {
    for (let i = 0; i < count; i++) {
      const { record, end } = readRecord(bytes, pos, `${section}[${i}]`);
      message[section].push(record);
      pos = end;
    }
  }
  return message;
}

function writeRdata(w, { type, data }, seen) {
  const where = `${TYPE_NAMES[type] || 'type ' + type} data`;
  const bad = (why) => fail('bad-record', `${where} ${why}`);
  switch (type) {
    case TYPE_A:
      w.u32(checkUint(data, 0xffffffff, 'A data'));
      return;
    case TYPE_AAAA:
      if (!(data instanceof Uint8Array) || data.length !== 16) throw bad('must be a Uint8Array(16)');
      w.raw(data);
      return;
    case TYPE_NS:
    case TYPE_CNAME:
    case TYPE_PTR:
      writeName(w, data, seen);
      return;
    case TYPE_MX:
      if (!data || typeof data !== 'object') throw bad('must be { preference, exchange }');
      w.u16(checkUint(data.preference, 0xffff, 'MX preference'));
      writeName(w, data.exchange, seen);
      return;
    case TYPE_TXT: {
      const strings = typeof data === 'string' ? [data] : data;
      if (!Array.isArray(strings)) throw bad('must be a string or an array of strings');
      for (const s of strings) {
        if (typeof s !== 'string') throw bad('must be strings');
        const encoded = new Uint8Array(s.length * 3);
        const n = utf8Encode(s, encoded, 0);
        // A single string longer than 255 bytes is split, as RFC 7208 §3.3 does for SPF.
        for (let i = 0; i === 0 || i < n; i += 255) {
          w.u8(Math.min(255, n - i));
          w.raw(encoded.subarray(i, Math.min(n, i + 255)));
        }
      }
      return;
    }
    case TYPE_SOA:
      if (!data || typeof data !== 'object') throw bad('must be an SOA object');
      writeName(w, data.mname, seen);
      writeName(w, data.rname, seen);
      for (const f of ['serial', 'refresh', 'retry', 'expire', 'minimum']) w.u32(checkUint(data[f], 0xffffffff, `SOA ${f}`));
      return;
    default:
      if (!(data instanceof Uint8Array)) throw bad('must be a Uint8Array (RDATA bytes)');
      w.raw(data);
  }
}

function writeRecord(w, rr, seen) {
  if (!rr || typeof rr !== 'object') throw fail('bad-record', 'resource record must be an object');
  const { name, type, class: klass = CLASS_IN, ttl = 0 } = rr;
  writeName(w, name, seen);
  w.u16(checkUint(type, 0xffff, 'type'));
  w.u16(checkUint(klass, 0xffff, 'class'));
  w.u32(checkUint(ttl, 0xffffffff, 'ttl'));
  const lengthAt = w.length;
  w.u16(0); // RDLENGTH, patched below once the data (maybe compressed) is written
  writeRdata(w, rr, seen);
  const rdlength = w.length - lengthAt - 2;
  if (rdlength > 0xffff) throw fail('bad-record', `RDATA of ${rdlength} bytes`);
  w.setU16(lengthAt, rdlength);
}

// The inverse of parse(); flags default to false/0 and sections to empty.
// opts.compress (default true) points repeated names at earlier copies.
function emit(message, { compress = true } = {}) {
  const {
    id = 0,
    qr = false,
    opcode = OPCODE_QUERY,
    aa = false,
    tc = false,
    rd = false,
    ra = false,
    ad = false,
    cd = false,
    rcode = RCODE_NOERROR,
    questions = [],
    answers = [],
    authorities = [],
    additionals = [],
  } = message;
  checkUint(opcode, 15, 'opcode');
  checkUint(rcode, 15, 'rcode');
  const sections = [questions, answers, authorities, additionals];
  for (const s of sections) {
    if (!Array.isArray(s) || s.length > 0xffff) throw fail('bad-record', 'sections must be arrays of at most 65535 entries');
  }
  const w = new ByteWriter(512);
  w.u16(checkUint(id, 0xffff, 'id'));
  w.u16(
    (qr ? 0x8000 : 0) | (opcode << 11) | (aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (rd ? 0x0100 : 0) |
      (ra ? 0x0080 : 0) | (ad ? 0x0020 : 0) | (cd ? 0x0010 : 0) | rcode,
  );
  for (const s of sections) w.u16(s.length);
  const seen = compress ? new Map() : null;
  for (const q of questions) {
    if (!q || typeof q !== 'object') throw fail('bad-record', 'question must be an object');
    writeName(w, q.name, seen);
    w.u16(checkUint(q.type, 0xffff, 'question type'));
    w.u16(checkUint(q.class ?? CLASS_IN, 0xffff, 'question class'));
  }
  for (const s of sections.slice(1)) for (const rr of s) writeRecord(w, rr, seen);
  return w.finish();
}

// A standard query for one name (what a stub resolver sends). The id has no
// default: a resolver should pick a random one (RFC 5452).
function emitQuery({ id, name, type = TYPE_A, rd = true, class: klass = CLASS_IN }) {
  checkUint(id, 0xffff, 'query id');
  return emit({ id, rd, questions: [{ name, type, class: klass }] });
}

// The response to a parsed query: same id, opcode, questions, rd and cd,
// with the given answers. For the built-in server and for tests.
function emitResponse(query, { answers = [], authorities = [], additionals = [], rcode = RCODE_NOERROR, aa = false, ra = true } = {}) {
  return emit({
    id: query.id,
    qr: true,
    opcode: query.opcode ?? OPCODE_QUERY,
    aa,
    rd: !!query.rd,
    ra,
    cd: !!query.cd,
    rcode,
    questions: query.questions ?? [],
    answers,
    authorities,
    additionals,
  });
}

module.exports = {
  PORT,
  HEADER_LEN,
  TYPE_A,
  TYPE_NS,
  TYPE_CNAME,
  TYPE_SOA,
  TYPE_PTR,
  TYPE_MX,
  TYPE_TXT,
  TYPE_AAAA,
  TYPE_OPT,
  TYPE_ANY,
  TYPE_NAMES,
  CLASS_IN,
  OPCODE_QUERY,
  RCODE_NOERROR,
  RCODE_FORMERR,
  RCODE_SERVFAIL,
  RCODE_NXDOMAIN,
  RCODE_NOTIMP,
  RCODE_REFUSED,
  DnsError,
  parseHeader,
  parse,
  readName,
  nameToLabels,
  emit,
  emitQuery,
  emitResponse,
};
