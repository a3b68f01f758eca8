// Unit tests for kernel/net/wire/ipv4.js (RFC 791 §3.1): byte vectors both
// ways (plain, with options, a fragment), validation reasons, and a fuzz run.
const ipv4 = require('/kernel/net/wire/ipv4');
const { ipFromString } = require('/kernel/net/wire/ip-address');
const { WireError, REASONS } = require('/kernel/net/wire/errors');

const { hex, reasonOf, prng, mutate, fuzz } = require('/tests/lib/wire-test');

const ip = ipFromString;
const pattern = (n) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const concat = (a, b) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

// The header often used to teach the checksum: UDP, 192.168.0.1 -> 192.168.0.199,
// DF, TTL 64, total length 115, checksum b861.
const PLAIN_HEADER = hex(`
  45 00 00 73     # version 4, IHL 5; DSCP/ECN 0; total length 115
  00 00 40 00     # id 0; flags DF, offset 0
  40 11 b8 61     # TTL 64, protocol UDP, checksum
  c0 a8 00 01     # 192.168.0.1
  c0 a8 00 c7     # 192.168.0.199
`);
const PLAIN = concat(PLAIN_HEADER, pattern(95));
const PLAIN_RECORD = {
  dscp: 0,
  ecn: 0,
  id: 0,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: ipv4.PROTO_UDP,
  src: ip('192.168.0.1'),
  dst: ip('192.168.0.199'),
  options: new Uint8Array(0),
  payload: pattern(95),
};

// An IGMPv2 report to 224.0.0.22 carrying the Router Alert option (RFC 2113),
// so IHL is 6; TTL 1, id abcd.
const WITH_OPTIONS = hex(`
  46 00 00 20  ab cd 00 00  01 02 8c e5  0a 00 02 0f  e0 00 00 16
  94 04 00 00                 # option: Router Alert, length 4, value 0
  16 00 09 e9 e0 00 00 16     # IGMPv2 membership report (the payload)
`);
const WITH_OPTIONS_RECORD = {
  dscp: 0,
  ecn: 0,
  id: 0xabcd,
  dontFragment: false,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 1,
  protocol: 2,
  src: ip('10.0.2.15'),
  dst: ip('224.0.0.22'),
  options: hex('94 04 00 00'),
  payload: hex('16 00 09 e9 e0 00 00 16'),
};

// The second fragment of a large UDP datagram: MF set, offset field 185 = 1480 bytes.
const FRAGMENT_HEADER = hex('45 00 05 dc  1c 46 20 b9  40 11 20 02  0a 00 02 0f  0a 00 02 02');

test('constants', () => {
  assert.equal(ipv4.PROTO_ICMP, 1);
  assert.equal(ipv4.PROTO_TCP, 6);
  assert.equal(ipv4.PROTO_UDP, 17);
});

test('parse: the classic b861 header', () => {
  assert.deepEqual(ipv4.parse(PLAIN), PLAIN_RECORD);
});

test('emit: the classic b861 header, checksum computed', () => {
  const bytes = ipv4.emit({ src: ip('192.168.0.1'), dst: ip('192.168.0.199'), protocol: 17, dontFragment: true, payload: pattern(95) });
  assert.deepEqual(bytes, PLAIN);
});

test('parse: options are skipped using IHL and returned raw', () => {
  const packet = ipv4.parse(WITH_OPTIONS);
  assert.deepEqual(packet, WITH_OPTIONS_RECORD);
});

test('emit: with options', () => {
  assert.deepEqual(ipv4.emit(WITH_OPTIONS_RECORD), WITH_OPTIONS);
});

test('emit pads options to a 32-bit boundary with End of Option List', () => {
  const bytes = ipv4.emit({ src: 1, dst: 2, protocol: 17, options: hex('01 01 01') }); // three NOPs
  assert.equal(bytes[0], 0x46);
  assert.deepEqual(bytes.subarray(20, 24), hex('01 01 01 00'));
  assert.deepEqual(ipv4.parse(bytes).options, hex('01 01 01 00'));
});

test('parse: a fragment, offset in bytes (field 185 x 8 = 1480)', () => {
  const packet = ipv4.parse(concat(FRAGMENT_HEADER, new Uint8Array(1480)));
  assert.equal(packet.moreFragments, true);
  assert.equal(packet.dontFragment, false);
  assert.equal(packet.fragmentOffset, 1480);
  assert.equal(packet.id, 0x1c46);
  assert.equal(packet.payload.length, 1480);
});

test('emit: a fragment', () => {
  const bytes = ipv4.emit({
    src: ip('10.0.2.15'), dst: ip('10.0.2.2'), protocol: 17, id: 0x1c46,
    moreFragments: true, fragmentOffset: 1480, payload: new Uint8Array(1480),
  });
  assert.deepEqual(bytes.subarray(0, 20), FRAGMENT_HEADER);
});

test('DSCP and ECN share the second byte', () => {
  const bytes = ipv4.emit({ src: 1, dst: 2, protocol: 6, dscp: 46, ecn: 1 }); // EF, ECT(1)
  assert.equal(bytes[1], 0xb9);
  const p = ipv4.parse(bytes);
  assert.equal(p.dscp, 46);
  assert.equal(p.ecn, 1);
});

test('payload stops at total length: Ethernet padding is ignored', () => {
  const header = ipv4.emit({ src: 1, dst: 2, protocol: 17, payload: pattern(8) });
  const padded = new Uint8Array(46); // a minimum-size Ethernet payload
  padded.set(header);
  assert.deepEqual(ipv4.parse(padded).payload, pattern(8));
});

test('emit then parse gives the record back', () => {
  const record = { ...WITH_OPTIONS_RECORD, dscp: 10, ecn: 2, dontFragment: true, moreFragments: true, fragmentOffset: 65528, ttl: 255 };
  assert.deepEqual(ipv4.parse(ipv4.emit(record)), record);
});

test('truncated: fewer than 20 bytes, or fewer than IHL*4 or total length', () => {
  for (let n = 0; n < 20; n++) assert.equal(reasonOf(() => ipv4.parse(PLAIN.subarray(0, n))), 'truncated');
  assert.equal(reasonOf(() => ipv4.parse(WITH_OPTIONS.subarray(0, 22))), 'truncated'); // IHL 6 needs 24
  assert.equal(reasonOf(() => ipv4.parse(PLAIN.subarray(0, 114))), 'truncated'); // total length 115
});

test('bad version, IHL, total length and checksum each have their reason', () => {
  const edit = (at, value) => {
    const b = PLAIN.slice();
    b[at] = value;
    return b;
  };
  assert.equal(reasonOf(() => ipv4.parse(edit(0, 0x65))), 'bad-version');
  assert.equal(reasonOf(() => ipv4.parse(edit(0, 0x44))), 'bad-header-length');
  assert.equal(reasonOf(() => ipv4.parse(edit(0, 0x40))), 'bad-header-length');
  assert.equal(reasonOf(() => ipv4.parse(edit(3, 19))), 'bad-length'); // total length 19 < 20
  assert.equal(reasonOf(() => ipv4.parse(edit(8, 0x3f))), 'bad-checksum'); // TTL changed, checksum not
  assert.equal(reasonOf(() => ipv4.parse(edit(11, 0x62))), 'bad-checksum');
  assert.equal(ipv4.parse(edit(8, 0x3f), { verifyChecksum: false }).ttl, 0x3f);
  assert.equal(reasonOf(() => ipv4.parse('45000014')), 'bad-input');
});

test('emit refuses bad records', () => {
  const ok = { src: 1, dst: 2, protocol: 17 };
  assert.equal(reasonOf(() => ipv4.emit({ ...ok, fragmentOffset: 100 })), 'bad-record'); // not a multiple of 8
  assert.equal(reasonOf(() => ipv4.emit({ ...ok, options: new Uint8Array(41) })), 'bad-record');
  assert.equal(reasonOf(() => ipv4.emit({ ...ok, payload: new Uint8Array(65516) })), 'bad-record');
  assert.equal(reasonOf(() => ipv4.emit({ ...ok, src: 2 ** 32 })), 'bad-record');
  assert.equal(reasonOf(() => ipv4.emit({ ...ok, ttl: 256 })), 'bad-record');
  assert.equal(reasonOf(() => ipv4.emit({ src: 1, dst: 2 })), 'bad-record'); // no protocol
  assert.equal(ipv4.emit({ ...ok, payload: new Uint8Array(65515) }).length, 65535);
});

test('fuzz: 2,000 random and mutated packets throw only WireError', () => {
  const seeds = [PLAIN, WITH_OPTIONS, concat(FRAGMENT_HEADER, new Uint8Array(1480))];
  assert.ok(fuzz((b) => ipv4.parse(b), seeds) > 20);
  // Without the checksum most mutations get past it and reach the other checks.
  assert.ok(fuzz((b) => ipv4.parse(b, { verifyChecksum: false }), seeds) > 200);
});
