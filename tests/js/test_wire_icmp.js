// Unit tests for kernel/net/wire/icmp.js (RFC 792): echo request/reply, port
// unreachable and time exceeded with their quoted packet, both ways, plus a fuzz run.
const icmp = require('/kernel/net/wire/icmp');
const { ipFromString } = require('/kernel/net/wire/ip-address');
const { WireError, REASONS } = require('/kernel/net/wire/errors');

const { hex, reasonOf, prng, mutate, fuzz } = require('/tests/lib/wire-test');

const ip = ipFromString;
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const ECHO_REQUEST = hex(`
  08 00 54 35     # type 8 (echo request), code 0, checksum
  12 34 00 01     # identifier 0x1234, sequence 1
  61 62 63 64 65 66 67 68   # data "abcdefgh"
`);
const ECHO_REPLY = hex('00 00 5c 35 12 34 00 01 61 62 63 64 65 66 67 68');

// A UDP datagram the guest sent to a closed port: 10.0.2.15:40000 -> 10.0.2.2:9999, data "hi!!".
const OFFENDING = hex(`
  45 00 00 20 00 01 40 00 40 11 22 bc 0a 00 02 0f 0a 00 02 02   # IPv4 header
  9c 40 27 0f 00 0c 9a eb                                       # UDP header
  68 69 21 21                                                   # "hi!!" (not quoted)
`);
const QUOTE = OFFENDING.subarray(0, 28); // the IP header + 8 bytes
const PORT_UNREACHABLE = hex('03 03 9e b5 00 00 00 00' + Array.from(QUOTE, (b) => b.toString(16).padStart(2, '0')).join(''));
const TIME_EXCEEDED = hex('0b 00 96 b8 00 00 00 00' + Array.from(QUOTE, (b) => b.toString(16).padStart(2, '0')).join(''));
const QUOTED = {
  src: ip('10.0.2.15'),
  dst: ip('10.0.2.2'),
  protocol: 17,
  srcPort: 40000,
  dstPort: 9999,
  transport: hex('9c 40 27 0f 00 0c 9a eb'),
};

test('parse: echo request and reply', () => {
  assert.deepEqual(icmp.parse(ECHO_REQUEST), { type: 8, code: 0, id: 0x1234, seq: 1, data: ascii('abcdefgh') });
  assert.deepEqual(icmp.parse(ECHO_REPLY), { type: 0, code: 0, id: 0x1234, seq: 1, data: ascii('abcdefgh') });
});

test('emit: echo request and reply, checksum computed', () => {
  assert.deepEqual(icmp.emit({ type: icmp.TYPE_ECHO_REQUEST, id: 0x1234, seq: 1, data: ascii('abcdefgh') }), ECHO_REQUEST);
  assert.deepEqual(icmp.emit({ type: icmp.TYPE_ECHO_REPLY, code: 0, id: 0x1234, seq: 1, data: ascii('abcdefgh') }), ECHO_REPLY);
});

test('an echo reply is the request with the type changed (what the interface sends)', () => {
  const request = icmp.parse(ECHO_REQUEST);
  assert.deepEqual(icmp.emit({ ...request, type: icmp.TYPE_ECHO_REPLY }), ECHO_REPLY);
});

test('parse: port unreachable quotes the offending header and ports', () => {
  assert.deepEqual(icmp.parse(PORT_UNREACHABLE), {
    type: 3,
    code: icmp.CODE_PORT_UNREACHABLE,
    nextHopMtu: 0,
    original: QUOTE,
    quoted: QUOTED,
  });
});

test('emit: port unreachable cuts the original packet to its header + 8 bytes', () => {
  const bytes = icmp.emit({ type: icmp.TYPE_DEST_UNREACHABLE, code: icmp.CODE_PORT_UNREACHABLE, original: OFFENDING });
  assert.deepEqual(bytes, PORT_UNREACHABLE);
});

test('time exceeded both ways', () => {
  assert.deepEqual(icmp.parse(TIME_EXCEEDED), { type: 11, code: icmp.CODE_TTL_EXCEEDED, original: QUOTE, quoted: QUOTED });
  assert.deepEqual(icmp.emit({ type: icmp.TYPE_TIME_EXCEEDED, code: 0, original: OFFENDING }), TIME_EXCEEDED);
});

test('fragmentation needed carries the next-hop MTU (RFC 1191)', () => {
  const bytes = icmp.emit({ type: 3, code: icmp.CODE_FRAGMENTATION_NEEDED, nextHopMtu: 1400, original: QUOTE });
  assert.deepEqual(bytes.subarray(4, 8), hex('00 00 05 78'));
  assert.equal(icmp.parse(bytes).nextHopMtu, 1400);
});

test('a quoted ICMP packet has no ports; its header is in transport', () => {
  const quotedEcho = hex('45 00 00 24 00 02 00 00 01 01 00 00 0a 00 02 0f 08 08 08 08' + '08 00 54 35 12 34 00 01');
  const q = icmp.parse(icmp.emit({ type: 11, code: 0, original: quotedEcho })).quoted;
  assert.equal(q.protocol, 1);
  assert.equal(q.srcPort, null);
  assert.equal(q.dstPort, null);
  assert.deepEqual(q.transport, hex('08 00 54 35 12 34 00 01'));
});

test('other types keep the rest-of-header word and the data', () => {
  const record = { type: 13, code: 0, restOfHeader: 0x12340001, data: new Uint8Array(12) }; // timestamp request
  const bytes = icmp.emit(record);
  assert.deepEqual(bytes.subarray(0, 8), hex('0d 00 e0 ca 12 34 00 01')); // ~(0x0d00 + 0x1234 + 0x0001)
  assert.deepEqual(icmp.parse(bytes), record);
});

test('truncated, bad checksum, and a bad quote', () => {
  for (let n = 0; n < 8; n++) assert.equal(reasonOf(() => icmp.parse(ECHO_REQUEST.subarray(0, n))), 'truncated');
  const corrupt = ECHO_REQUEST.slice();
  corrupt[9] ^= 1;
  assert.equal(reasonOf(() => icmp.parse(corrupt)), 'bad-checksum');
  assert.equal(icmp.parse(corrupt, { verifyChecksum: false }).data[1], 0x63);
  // An error message whose quote is too short for an IP header.
  const short = icmp.emit({ type: 3, code: 3, original: QUOTE }).subarray(0, 8 + 12);
  assert.equal(reasonOf(() => icmp.parse(short, { verifyChecksum: false })), 'truncated');
  // An IPv6 header quoted in ICMPv4 is nonsense.
  const v6 = icmp.emit({ type: 3, code: 3, original: QUOTE });
  assert.equal(reasonOf(() => icmp.parse(v6.map((b, i) => (i === 8 ? 0x65 : b)), { verifyChecksum: false })), 'bad-version');
});

test('emit refuses bad records', () => {
  assert.equal(reasonOf(() => icmp.emit({ type: 8, id: 70000, seq: 1 })), 'bad-record');
  assert.equal(reasonOf(() => icmp.emit({ type: 3, code: 3 })), 'bad-record'); // no original
  assert.equal(reasonOf(() => icmp.emit({ type: 11, code: 0, original: hex('60 00 00 00') })), 'bad-record');
  assert.equal(reasonOf(() => icmp.emit({ type: 256 })), 'bad-record');
});

test('fuzz: 2,000 random and mutated messages throw only WireError', () => {
  const seeds = [ECHO_REQUEST, PORT_UNREACHABLE, TIME_EXCEEDED];
  fuzz((b) => icmp.parse(b), seeds);
  assert.ok(fuzz((b) => icmp.parse(b, { verifyChecksum: false }), seeds) > 200);
});
