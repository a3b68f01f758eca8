// Unit tests for kernel/net/wire/ethernet.js: byte vectors both ways, short
// frames, and a fuzz run that may only ever produce WireError.
const eth = require('/kernel/net/wire/ethernet');
const { WireError, REASONS } = require('/kernel/net/wire/errors');

const wire = require('/tests/lib/wire-test');

const { hex, reasonOf } = wire;
const fuzz = (parse, seeds, runs) => wire.fuzz(parse, seeds, runs, { seed: 0x5eed, maxLength: 200 });

// A broadcast ARP request from the guest (52:54:00:12:34:56), as on the wire.
const ARP_FRAME = hex(`
  ff ff ff ff ff ff        # destination: broadcast
  52 54 00 12 34 56        # source
  08 06                    # EtherType ARP
  0001 0800 06 04 0001 525400123456 0a00020f 000000000000 0a000202
`);

test('parse: a broadcast ARP frame', () => {
  const frame = eth.parse(ARP_FRAME);
  assert.deepEqual(frame, {
    dst: 'ff:ff:ff:ff:ff:ff',
    src: '52:54:00:12:34:56',
    ethertype: eth.ETHERTYPE_ARP,
    payload: ARP_FRAME.subarray(14),
  });
  assert.equal(frame.payload.length, 28);
});

test('emit: header then payload, byte for byte', () => {
  const bytes = eth.emit({
    dst: eth.MAC_BROADCAST,
    src: '52:54:00:12:34:56',
    ethertype: eth.ETHERTYPE_ARP,
    payload: ARP_FRAME.subarray(14),
  });
  assert.deepEqual(bytes, ARP_FRAME);
});

test('emit: an IPv4 frame to a unicast MAC given in upper case', () => {
  const bytes = eth.emit({ dst: '52:55:0A:00:02:02', src: '52:54:00:12:34:56', ethertype: eth.ETHERTYPE_IPV4, payload: hex('45') });
  assert.deepEqual(bytes, hex('52550a000202 525400123456 0800 45'));
  assert.equal(eth.parse(bytes).dst, '52:55:0a:00:02:02');
});

test('constants', () => {
  assert.equal(eth.ETHERTYPE_IPV4, 0x0800);
  assert.equal(eth.ETHERTYPE_ARP, 0x0806);
  assert.equal(eth.ETHERTYPE_IPV6, 0x86dd);
  assert.equal(eth.HEADER_LEN, 14);
});

test('a header-only frame has an empty payload; anything shorter is truncated', () => {
  assert.equal(eth.parse(ARP_FRAME.subarray(0, 14)).payload.length, 0);
  for (let n = 0; n < 14; n++) assert.equal(reasonOf(() => eth.parse(ARP_FRAME.subarray(0, n))), 'truncated');
});

test('the payload is a view into the frame, not a copy', () => {
  const copy = ARP_FRAME.slice();
  const { payload } = eth.parse(copy);
  copy[14] = 0x99;
  assert.equal(payload[0], 0x99);
});

test('parse refuses what is not a Uint8Array', () => {
  assert.equal(reasonOf(() => eth.parse([1, 2, 3])), 'bad-input');
  assert.equal(reasonOf(() => eth.parse(undefined)), 'bad-input');
  assert.equal(reasonOf(() => eth.parse(new ArrayBuffer(20))), 'bad-input');
});

test('emit refuses bad records with bad-record or bad-address', () => {
  assert.equal(reasonOf(() => eth.emit({ dst: 'nope', src: '52:54:00:12:34:56', ethertype: 0x800 })), 'bad-address');
  assert.equal(reasonOf(() => eth.emit({ dst: eth.MAC_BROADCAST, src: eth.MAC_BROADCAST, ethertype: 0x10000 })), 'bad-record');
  assert.equal(reasonOf(() => eth.emit({ dst: eth.MAC_BROADCAST, src: eth.MAC_BROADCAST, ethertype: 1, payload: [1] })), 'bad-record');
});

test('fuzz: 2,000 random and mutated frames throw only WireError', () => {
  const parsed = fuzz(eth.parse, [ARP_FRAME, eth.emit({ dst: eth.MAC_BROADCAST, src: eth.MAC_BROADCAST, ethertype: 0x800 })]);
  assert.ok(parsed > 100, `only ${parsed} parsed`);
});
