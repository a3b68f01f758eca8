// kernel/net/wire/dhcp.js: DHCP messages (RFC 2131 §2, options from RFC 2132):
// the fixed BOOTP header (RFC 951), the magic cookie, and the options we use.
//
// Parse/emit only; the interface layer owns state (the DHCP client's
// INIT/SELECTING/REQUESTING/BOUND machine, timers, xid choice). Layout, RFC 2131 Figure 1:
//   0 op | 1 htype | 2 hlen | 3 hops | 4-7 xid | 8-9 secs | 10-11 flags (bit 15: broadcast)
//   12 ciaddr | 16 yiaddr | 20 siaddr | 24 giaddr | 28-43 chaddr | 44-107 sname | 108-235 file
//   236-239 magic cookie 99.130.83.99 | 240.. options: code(1) length(1) data, or pad(0) / end(255)
'use strict';

const { WireError } = require('./errors');
const { checkBytes, need, checkUint, checkByteArray, ByteWriter, viewOf } = require('./bytes');
const { readIp } = require('./ip-address');
const { HEX } = require('./mac-address');
const { utf8Encode, utf8Decode } = require('../../lib/utf8');

const SERVER_PORT = 67;
const CLIENT_PORT = 68;
const OP_BOOTREQUEST = 1;
const OP_BOOTREPLY = 2;
const HTYPE_ETHERNET = 1;
const MAGIC_COOKIE = 0x63825363; // 99.130.83.99
const FLAG_BROADCAST = 0x8000;
const OPTIONS_OFFSET = 240;
const MIN_MESSAGE_LEN = 300; // BOOTP's size, which some servers still insist on (RFC 1542 §2.1)

// Message types, option 53 (RFC 2132 §9.6).
const DISCOVER = 1;
const OFFER = 2;
const REQUEST = 3;
const DECLINE = 4;
const ACK = 5;
const NAK = 6;
const RELEASE = 7;
const INFORM = 8;
const MESSAGE_TYPE_NAMES = { 1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM' };
// Which BOOTP op each message type travels in (RFC 2131 Table 2).
const REPLY_TYPES = new Set([OFFER, ACK, NAK]);

const OPT_PAD = 0;
const OPT_END = 255;

// --- the options we decode -------------------------------------------------

// Each kind knows how to decode option data to a value and encode it back.
// `data` is the option's bytes; decoders throw 'bad-option' on a wrong length.
function badOption(code, why) {
  return new WireError('bad-option', `dhcp: option ${code} ${why}`);
}
const KINDS = {
  u8: {
    decode(data, code) {
      if (data.length !== 1) throw badOption(code, `must be 1 byte, is ${data.length}`);
      return data[0];
    },
    encode: (v, name) => Uint8Array.of(checkUint(v, 255, name, 'dhcp')),
  },
  u32: {
    decode(data, code) {
      if (data.length !== 4) throw badOption(code, `must be 4 bytes, is ${data.length}`);
      return viewOf(data).getUint32(0);
    },
    encode(v, name) {
      const out = new Uint8Array(4);
      viewOf(out).setUint32(0, checkUint(v, 0xffffffff, name, 'dhcp'));
      return out;
    },
  },
  ip: {
    decode: (data, code) => KINDS.u32.decode(data, code),
    encode: (v, name) => KINDS.u32.encode(v, name),
  },
  ips: {
    decode(data, code) {
      if (data.length === 0 || data.length % 4 !== 0) throw badOption(code, `must be a non-empty multiple of 4 bytes, is ${data.length}`);
      const ips = [];
      for (let i = 0; i < data.length; i += 4) ips.push(readIp(data, i));
      return ips;
    },
    encode(list, name) {
      if (!Array.isArray(list) || list.length === 0) throw new WireError('bad-record', `dhcp: ${name} must be a non-empty array`);
      const out = new Uint8Array(4 * list.length);
      list.forEach((ip, i) => viewOf(out).setUint32(4 * i, checkUint(ip, 0xffffffff, name, 'dhcp')));
      return out;
    },
  },
  codes: {
    decode: (data) => Array.from(data),
    encode(list, name) {
      if (!Array.isArray(list)) throw new WireError('bad-record', `dhcp: ${name} must be an array`);
      return Uint8Array.from(list, (c) => checkUint(c, 255, name, 'dhcp'));
    },
  },
  bytes: {
    decode: (data) => data.slice(),
    encode: (v, name) => checkByteArray(v, name, 'dhcp'),
  },
  string: {
    decode: (data) => utf8Decode(data, 0, data.length),
    encode(s, name) {
      if (typeof s !== 'string') throw new WireError('bad-record', `dhcp: ${name} must be a string`);
      const out = new Uint8Array(s.length * 3);
      return out.slice(0, utf8Encode(s, out, 0));
    },
  },
};

// [code, record field, kind], in the order emit() writes them: the message
// type first, as every client does and some servers expect.
const KNOWN_OPTIONS = [
  [53, 'messageType', 'u8'],
  [61, 'clientId', 'bytes'],
  [50, 'requestedIp', 'ip'],
  [54, 'serverId', 'ip'],
  [51, 'leaseTime', 'u32'], // seconds
  [58, 'renewalTime', 'u32'], // T1, seconds
  [59, 'rebindingTime', 'u32'], // T2, seconds
  [1, 'subnetMask', 'ip'],
  [3, 'routers', 'ips'],
  [6, 'dnsServers', 'ips'],
  [12, 'hostname', 'string'],
  [15, 'domainName', 'string'],
  [55, 'parameterRequestList', 'codes'],
];
const KNOWN_BY_CODE = new Map(KNOWN_OPTIONS.map((o) => [o[0], o]));

// --- parse -----------------------------------------------------------------

// Walks the options area: [{code, data}] in wire order, pad and end left out.
// Linear: each step moves forward by at least one byte.
function readOptions(bytes, start) {
  const options = [];
  let i = start;
  while (i < bytes.length) {
    const code = bytes[i];
    if (code === OPT_END) break;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= bytes.length) throw new WireError('option-overrun', `dhcp: option ${code} at offset ${i} has no length byte`);
    const length = bytes[i + 1];
    if (i + 2 + length > bytes.length) {
      throw new WireError('option-overrun', `dhcp: option ${code} at offset ${i} claims ${length} bytes, only ${bytes.length - i - 2} remain`);
    }
    options.push({ code, data: bytes.subarray(i + 2, i + 2 + length) });
    i += 2 + length;
  }
  // A missing end option is tolerated: the message ends anyway.
  return options;
}

// A NUL-terminated ASCII field such as sname or file.
function readCString(bytes, start, length) {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return utf8Decode(bytes, start, end);
}

function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Record:
//   { op, htype, hlen, hops, xid, secs, broadcast, ciaddr, yiaddr, siaddr, giaddr,
//     chaddr, sname, file, options, ...decoded options }
// Addresses are unsigned 32-bit numbers. chaddr is the first hlen bytes of the
// chaddr field as colon hex: for Ethernet, the MAC string. options is every
// option as {code, data} in wire order (data a view into `bytes`); the known
// ones are also decoded into the fields named in KNOWN_OPTIONS, present only
// when the option is. An option that appears more than once is concatenated
// before decoding (RFC 3396). Option overload (52) is not followed: sname and
// file are read as the plain strings they almost always are.
function parse(bytes) {
  checkBytes(bytes, 'dhcp');
  need(bytes, OPTIONS_OFFSET, 'dhcp fixed header and cookie');
  const view = viewOf(bytes);
  const op = bytes[0];
  if (op !== OP_BOOTREQUEST && op !== OP_BOOTREPLY) throw new WireError('bad-field', `dhcp: op ${op}`);
  const hlen = bytes[2];
  if (hlen > 16) throw new WireError('bad-field', `dhcp: hlen ${hlen} > 16`);
  if (view.getUint32(236) !== MAGIC_COOKIE) {
    throw new WireError('bad-cookie', `dhcp: magic cookie 0x${view.getUint32(236).toString(16)}`);
  }
  const chaddr = [];
  for (let i = 0; i < hlen; i++) chaddr.push(HEX[bytes[28 + i]]);
  const record = {
    op,
    htype: bytes[1],
    hlen,
    hops: bytes[3],
    xid: view.getUint32(4),
    secs: view.getUint16(8),
    broadcast: (view.getUint16(10) & FLAG_BROADCAST) !== 0,
    ciaddr: view.getUint32(12),
    yiaddr: view.getUint32(16),
    siaddr: view.getUint32(20),
    giaddr: view.getUint32(24),
    chaddr: chaddr.join(':'),
    sname: readCString(bytes, 44, 64),
    file: readCString(bytes, 108, 128),
    options: readOptions(bytes, OPTIONS_OFFSET),
  };
  const partsByCode = new Map();
  for (const { code, data } of record.options) {
    if (!partsByCode.has(code)) partsByCode.set(code, []);
    partsByCode.get(code).push(data);
  }
  for (const [code, field, kind] of KNOWN_OPTIONS) {
    if (partsByCode.has(code)) record[field] = KINDS[kind].decode(concat(partsByCode.get(code)), code);
  }
  return record;
}

// --- emit ------------------------------------------------------------------

function writeCString(out, offset, length, s, name) {
  const encoded = KINDS.string.encode(s, name);
  if (encoded.length >= length) throw new WireError('bad-record', `dhcp: ${name} longer than ${length - 1} bytes`);
  out.set(encoded, offset);
}

function chaddrBytes(chaddr) {
  if (typeof chaddr !== 'string' || !/^([0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){0,15})?$/.test(chaddr)) {
    throw new WireError('bad-record', `dhcp: chaddr must be colon hex like a MAC, got ${JSON.stringify(chaddr)}`);
  }
  return chaddr === '' ? new Uint8Array(0) : Uint8Array.from(chaddr.split(':'), (h) => parseInt(h, 16));
}

function writeOption(w, code, data) {
  if (data.length > 255) throw new WireError('bad-record', `dhcp: option ${code} is ${data.length} bytes, over 255`);
  w.u8(code);
  w.u8(data.length);
  w.raw(data);
}

// Builds a message from a record shaped like parse()'s. Only messageType, xid
// and chaddr are needed; op defaults from the message type (BOOTREPLY for
// OFFER/ACK/NAK), htype to Ethernet, everything else to zero/empty. Known
// options come from their fields; entries of record.options with other codes
// are appended as they are. The result is padded to 300 bytes.
//   client: emit({ messageType: DISCOVER, xid, chaddr: mac, parameterRequestList: [1, 3, 6, 51] })
//   server: emit({ messageType: OFFER, xid, chaddr, yiaddr, serverId, leaseTime, subnetMask, routers })
function emit(record) {
  const what = 'dhcp';
  const {
    messageType,
    xid,
    chaddr,
    op = REPLY_TYPES.has(messageType) ? OP_BOOTREPLY : OP_BOOTREQUEST,
    htype = HTYPE_ETHERNET,
    hops = 0,
    secs = 0,
    broadcast = false,
    ciaddr = 0,
    yiaddr = 0,
    siaddr = 0,
    giaddr = 0,
    sname = '',
    file = '',
    options = [],
  } = record;
  const hw = chaddrBytes(chaddr);
  const header = new Uint8Array(OPTIONS_OFFSET);
  const view = viewOf(header);
  header[0] = checkUint(op, 255, 'op', what);
  header[1] = checkUint(htype, 255, 'htype', what);
  header[2] = hw.length;
  header[3] = checkUint(hops, 255, 'hops', what);
  view.setUint32(4, checkUint(xid, 0xffffffff, 'xid', what));
  view.setUint16(8, checkUint(secs, 0xffff, 'secs', what));
  view.setUint16(10, broadcast ? FLAG_BROADCAST : 0);
  view.setUint32(12, checkUint(ciaddr, 0xffffffff, 'ciaddr', what));
  view.setUint32(16, checkUint(yiaddr, 0xffffffff, 'yiaddr', what));
  view.setUint32(20, checkUint(siaddr, 0xffffffff, 'siaddr', what));
  view.setUint32(24, checkUint(giaddr, 0xffffffff, 'giaddr', what));
  header.set(hw, 28);
  writeCString(header, 44, 64, sname, 'sname');
  writeCString(header, 108, 128, file, 'file');
  view.setUint32(236, MAGIC_COOKIE);

  const w = new ByteWriter(MIN_MESSAGE_LEN + 64);
  w.raw(header);
  for (const [code, field, kind] of KNOWN_OPTIONS) {
    if (record[field] !== undefined) writeOption(w, code, KINDS[kind].encode(record[field], field));
  }
  if (!Array.isArray(options)) throw new WireError('bad-record', 'dhcp: options must be an array of {code, data}');
  for (const { code, data } of options) {
    checkUint(code, 254, 'option code', what);
    if (!KNOWN_BY_CODE.has(code) && code !== OPT_PAD) writeOption(w, code, checkByteArray(data, 'option data', what));
  }
  w.u8(OPT_END);
  while (w.length < MIN_MESSAGE_LEN) w.u8(OPT_PAD);
  return w.finish();
}

module.exports = {
  SERVER_PORT,
  CLIENT_PORT,
  OP_BOOTREQUEST,
  OP_BOOTREPLY,
  MAGIC_COOKIE,
  DISCOVER,
  OFFER,
  REQUEST,
  DECLINE,
  ACK,
  NAK,
  RELEASE,
  INFORM,
  MESSAGE_TYPE_NAMES,
  KNOWN_OPTIONS,
  parse,
  emit,
};
