// Unit tests for kernel/net/wire/arp.js (RFC 826, Ethernet + IPv4): byte
// vectors both ways, unsupported and truncated packets, and a fuzz run.
const arp = require('/kernel/net/wire/arp');
const { ipFromString } = require('/kernel/net/wire/ip-address');
const { WireError, REASONS } = require('/kernel/net/wire/errors');

const { hex, reasonOf, prng, mutate, fuzz } = require('/tests/lib/wire-test');

// The guest (10.0.2.15) asks who has the gateway 10.0.2.2, and slirp answers.
const REQUEST = hex(`
  0001 0800 06 04          # Ethernet, IPv4, hlen 6, plen 4
  0001                     # op: request
  52 54 00 12 34 56  0a 00 02 0f   # sender MAC, sender IP 10.0.2.15
  00 00 00 00 00 00  0a 00 02 02   # target MAC unknown, target IP 10.0.2.2
`);
const REPLY = hex(`
  0001 0800 06 04 0002
  52 55 0a 00 02 02  0a 00 02 02   # sender: the gateway
  52 54 00 12 34 56  0a 00 02 0f   # target: the guest
`);
const REQUEST_RECORD = {
  op: arp.OP_REQUEST,
  senderMac: '52:54:00:12:34:56',
  senderIp: ipFromString('10.0.2.15'),
  targetMac: '00:00:00:00:00:00',
  targetIp: ipFromString('10.0.2.2'),
};
const REPLY_RECORD = {
  op: arp.OP_REPLY,
  senderMac: '52:55:0a:00:02:02',
  senderIp: ipFromString('10.0.2.2'),
  targetMac: '52:54:00:12:34:56',
  targetIp: ipFromString('10.0.2.15'),
};

test('parse: a request and a reply', () => {
  assert.deepEqual(arp.parse(REQUEST), REQUEST_RECORD);
  assert.deepEqual(arp.parse(REPLY), REPLY_RECORD);
  assert.equal(arp.parse(REQUEST).senderIp, 0x0a00020f);
});

test('emit: a request and a reply, byte for byte', () => {
  assert.deepEqual(arp.emit(REQUEST_RECORD), REQUEST);
  assert.deepEqual(arp.emit(REPLY_RECORD), REPLY);
});

test('Ethernet padding after the 28 bytes is ignored', () => {
  const padded = new Uint8Array(46);
  padded.set(REPLY);
  assert.deepEqual(arp.parse(padded), REPLY_RECORD);
});

test('truncated packets', () => {
  for (let n = 0; n < 28; n++) assert.equal(reasonOf(() => arp.parse(REQUEST.subarray(0, n))), 'truncated', `length ${n}`);
});

test('other hardware or protocol types are unsupported; unknown ops are bad fields', () => {
  const edit = (at, value) => {
    const b = REQUEST.slice();
    b[at] = value;
    return b;
  };
  assert.equal(reasonOf(() => arp.parse(edit(1, 6))), 'unsupported'); // htype IEEE 802
  assert.equal(reasonOf(() => arp.parse(edit(2, 0x86))), 'unsupported'); // ptype 0x8600
  assert.equal(reasonOf(() => arp.parse(edit(4, 8))), 'unsupported'); // hlen 8
  assert.equal(reasonOf(() => arp.parse(edit(5, 16))), 'unsupported'); // plen 16
  assert.equal(reasonOf(() => arp.parse(edit(7, 3))), 'bad-field'); // RARP request
  assert.equal(reasonOf(() => arp.parse(edit(7, 0))), 'bad-field');
});

test('emit refuses bad records', () => {
  assert.equal(reasonOf(() => arp.emit({ ...REQUEST_RECORD, op: 3 })), 'bad-record');
  assert.equal(reasonOf(() => arp.emit({ ...REQUEST_RECORD, senderIp: '10.0.2.15' })), 'bad-record');
  assert.equal(reasonOf(() => arp.emit({ ...REQUEST_RECORD, targetIp: -1 })), 'bad-record');
  assert.equal(reasonOf(() => arp.emit({ ...REQUEST_RECORD, senderMac: undefined })), 'bad-address');
});

test('fuzz: 2,000 random and mutated packets throw only WireError', () => {
  const parsed = fuzz(arp.parse, [REQUEST, REPLY]);
  assert.ok(parsed > 100, `only ${parsed} parsed`);
});
