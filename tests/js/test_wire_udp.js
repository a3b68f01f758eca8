// Unit tests for kernel/net/wire/udp.js (RFC 768): byte vectors both ways with
// the pseudo-header checksum, "no checksum" (0), the 0 -> ffff rule, and a fuzz run.
const udp = require('/kernel/net/wire/udp');
const { ipFromString } = require('/kernel/net/wire/ip-address');
const { WireError, REASONS } = require('/kernel/net/wire/errors');

const { hex, reasonOf, prng, mutate, fuzz } = require('/tests/lib/wire-test');

const ip = ipFromString;
const GUEST_TO_DNS = { src: ip('10.0.2.15'), dst: ip('10.0.2.3') };

// The DNS query "example.com A" (id 0x1234) from the guest to slirp's DNS.
const QUERY = hex('1234 0100 0001 0000 0000 0000 07 6578616d706c65 03 636f6d 00 0001 0001');
const DATAGRAM = hex(`
  c0 00 00 35     # source port 49152, destination port 53
  00 25 45 bb     # length 37, checksum over pseudo-header + header + data
`.concat(Array.from(QUERY, (b) => b.toString(16).padStart(2, '0')).join(' ')));

test('parse: a DNS query datagram, checksum verified against the pseudo-header', () => {
  assert.deepEqual(udp.parse(DATAGRAM, GUEST_TO_DNS), {
    srcPort: 49152,
    dstPort: 53,
    length: 37,
    checksummed: true,
    payload: QUERY,
  });
});

test('emit: the same datagram, byte for byte', () => {
  assert.deepEqual(udp.emit({ srcPort: 49152, dstPort: 53, payload: QUERY }, GUEST_TO_DNS), DATAGRAM);
});

test('parse accepts a parsed ipv4 record as the pseudo-header source', () => {
  const ipv4 = require('/kernel/net/wire/ipv4');
  const packet = ipv4.parse(ipv4.emit({ ...GUEST_TO_DNS, protocol: ipv4.PROTO_UDP, payload: DATAGRAM }));
  assert.equal(udp.parse(packet.payload, packet).dstPort, 53);
});

test('a checksum of 0 means "none" over IPv4, and emit can send it', () => {
  const bytes = udp.emit({ srcPort: 49152, dstPort: 53, payload: QUERY, checksummed: false });
  assert.deepEqual(bytes.subarray(0, 8), hex('c0 00 00 35 00 25 00 00'));
  const record = udp.parse(bytes, GUEST_TO_DNS);
  assert.equal(record.checksummed, false);
  assert.deepEqual(record.payload, QUERY);
  assert.deepEqual(udp.emit(record), bytes); // no ip needed without a checksum
});

test('a computed checksum of 0 is sent as ffff, and verifies', () => {
  // 10.0.2.15:1000 -> 10.0.2.2:2000 with data dc11, chosen so the sum is ffff.
  const addrs = { src: ip('10.0.2.15'), dst: ip('10.0.2.2') };
  const bytes = udp.emit({ srcPort: 1000, dstPort: 2000, payload: hex('dc 11') }, addrs);
  assert.deepEqual(bytes, hex('03 e8 07 d0 00 0a ff ff dc 11'));
  assert.deepEqual(udp.parse(bytes, addrs), { srcPort: 1000, dstPort: 2000, length: 10, checksummed: true, payload: hex('dc 11') });
});

test('payload stops at the length field; extra bytes are ignored', () => {
  const padded = new Uint8Array(DATAGRAM.length + 9);
  padded.set(DATAGRAM);
  assert.deepEqual(udp.parse(padded, GUEST_TO_DNS).payload, QUERY);
});

test('an odd-length payload is checksummed with a zero pad byte', () => {
  const bytes = udp.emit({ srcPort: 7, dstPort: 7, payload: hex('01 02 03') }, GUEST_TO_DNS);
  assert.equal(bytes.length, 11);
  assert.deepEqual(udp.parse(bytes, GUEST_TO_DNS).payload, hex('01 02 03'));
});

test('truncated, bad length and bad checksum', () => {
  for (let n = 0; n < 8; n++) assert.equal(reasonOf(() => udp.parse(DATAGRAM.subarray(0, n), GUEST_TO_DNS)), 'truncated');
  assert.equal(reasonOf(() => udp.parse(DATAGRAM.subarray(0, 36), GUEST_TO_DNS)), 'truncated'); // length says 37
  const edit = (at, value) => {
    const b = DATAGRAM.slice();
    b[at] = value;
    return b;
  };
  assert.equal(reasonOf(() => udp.parse(edit(5, 7), GUEST_TO_DNS)), 'bad-length');
  assert.equal(reasonOf(() => udp.parse(edit(20, 0x99), GUEST_TO_DNS)), 'bad-checksum');
  // The same bytes from another address fail: the pseudo-header is covered.
  assert.equal(reasonOf(() => udp.parse(DATAGRAM, { src: ip('10.0.2.16'), dst: ip('10.0.2.3') })), 'bad-checksum');
  assert.equal(udp.parse(edit(20, 0x99), GUEST_TO_DNS, { verifyChecksum: false }).srcPort, 49152);
  assert.equal(reasonOf(() => udp.parse(DATAGRAM)), 'bad-input'); // no addresses to check against
});

test('emit refuses bad records', () => {
  assert.equal(reasonOf(() => udp.emit({ srcPort: 65536, dstPort: 53 }, GUEST_TO_DNS)), 'bad-record');
  assert.equal(reasonOf(() => udp.emit({ srcPort: 1, dstPort: 53, payload: 'x' }, GUEST_TO_DNS)), 'bad-record');
  assert.equal(reasonOf(() => udp.emit({ srcPort: 1, dstPort: 53, payload: new Uint8Array(65528) }, GUEST_TO_DNS)), 'bad-record');
  assert.equal(reasonOf(() => udp.emit({ srcPort: 1, dstPort: 53 })), 'bad-input');
});

test('fuzz: 2,000 random and mutated datagrams throw only WireError', () => {
  const zero = udp.emit({ srcPort: 68, dstPort: 67, payload: QUERY, checksummed: false });
  fuzz((b) => udp.parse(b, GUEST_TO_DNS), [DATAGRAM, zero]);
  assert.ok(fuzz((b) => udp.parse(b, GUEST_TO_DNS, { verifyChecksum: false }), [DATAGRAM, zero]) > 200);
});
