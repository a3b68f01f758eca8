// Unit tests for kernel/net/wire/checksum.js (RFC 1071, RFC 768 pseudo-header)
// and the address helpers in ip-address.js and mac-address.js.
const ck = require('/kernel/net/wire/checksum');
const ipa = require('/kernel/net/wire/ip-address');
const maca = require('/kernel/net/wire/mac-address');
const { WireError } = require('/kernel/net/wire/errors');

const { hex, reasonOf } = require('/tests/lib/wire-test');

// --- checksum --------------------------------------------------------------

test('RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d', () => {
  const bytes = hex('00 01 f2 03 f4 f5 f6 f7');
  assert.equal(ck.sum(bytes), 0xddf2);
  assert.equal(ck.checksum(bytes), 0x220d);
});

test('the sum can be built incrementally over even-length pieces', () => {
  const bytes = hex('00 01 f2 03 f4 f5 f6 f7');
  const s = ck.sum(bytes, 4, 8, ck.sum(bytes, 0, 4));
  assert.equal(s, 0xddf2);
  assert.equal(ck.finish(s), 0x220d);
  assert.equal(ck.add(ck.sum(bytes, 0, 6), 0xf6f7), 0xddf2);
});

test('an odd tail byte is summed as the high byte of a zero-padded word', () => {
  assert.equal(ck.sum(hex('12 34 56')), 0x1234 + 0x5600);
  assert.equal(ck.checksum(hex('ff')), 0x00ff);
});

test('data that includes its own checksum sums to ffff and verifies as 0', () => {
  const bytes = hex('00 01 f2 03 f4 f5 f6 f7 22 0d');
  assert.equal(ck.sum(bytes), 0xffff);
  assert.equal(ck.checksum(bytes), 0);
});

test('the IPv4 header checksum of the well-known 192.168.0.1 -> 192.168.0.199 header is b861', () => {
  const header = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
  assert.equal(ck.checksum(header), 0xb861);
});

test('the end-around carry folds repeatedly', () => {
  assert.equal(ck.sum(hex('ff ff ff ff ff ff')), 0xffff);
  assert.equal(ck.sum(new Uint8Array(0)), 0);
  assert.equal(ck.finish(0), 0xffff);
});

test('the pseudo-header sum equals summing the 12 bytes RFC 768 describes', () => {
  // src 10.0.2.15, dst 10.0.2.3, zero, protocol 17, UDP length 37
  const pseudo = hex('0a00020f 0a000203 00 11 0025');
  assert.equal(ck.pseudoHeaderSum(0x0a00020f, 0x0a000203, 17, 37), ck.sum(pseudo));
  assert.equal(ck.pseudoHeaderSum(0xffffffff, 0xffffffff, 17, 0xffff), ck.sum(hex('ffffffff ffffffff 00 11 ffff')));
});

test('sum handles 64 KiB of 0xff without losing carries', () => {
  const big = new Uint8Array(65536).fill(0xff);
  assert.equal(ck.sum(big), 0xffff);
  assert.equal(ck.checksum(big), 0);
});

// --- IPv4 addresses ----------------------------------------------------------

test('IPv4 addresses are unsigned 32-bit numbers', () => {
  assert.equal(ipa.ipFromString('10.0.2.15'), 0x0a00020f);
  assert.equal(ipa.ipFromString('255.255.255.255'), 0xffffffff);
  assert.equal(ipa.ipFromString('192.168.0.1') > 0, true);
  assert.equal(ipa.ipToString(0xc0a80001), '192.168.0.1');
  assert.equal(ipa.ipToString(0), '0.0.0.0');
  assert.equal(ipa.ipToString(ipa.IP_BROADCAST), '255.255.255.255');
});

test('ipFromString refuses anything but a strict dotted quad', () => {
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1..2.3', 42, null]) {
    assert.equal(reasonOf(() => ipa.ipFromString(bad)), 'bad-address', `accepted ${JSON.stringify(bad)}`);
  }
});

test('readIp and writeIp use network byte order and check lengths', () => {
  const b = new Uint8Array(6);
  ipa.writeIp(b, 1, 0xc0a800c7);
  assert.deepEqual(b, hex('00 c0 a8 00 c7 00'));
  assert.equal(ipa.readIp(b, 1), 0xc0a800c7);
  assert.equal(reasonOf(() => ipa.readIp(b, 3)), 'truncated');
});

test('masks, prefixes and subnets', () => {
  assert.equal(ipa.maskFromPrefix(24), 0xffffff00);
  assert.equal(ipa.maskFromPrefix(0), 0);
  assert.equal(ipa.maskFromPrefix(32), 0xffffffff);
  assert.equal(ipa.prefixFromMask(0xffffff00), 24);
  assert.equal(ipa.prefixFromMask(0), 0);
  assert.equal(ipa.prefixFromMask(0xffffffff), 32);
  assert.equal(ipa.prefixFromMask(0xff00ff00), -1);
  const net = ipa.ipFromString('10.0.2.0');
  assert.ok(ipa.inSubnet(ipa.ipFromString('10.0.2.15'), net, 0xffffff00));
  assert.ok(!ipa.inSubnet(ipa.ipFromString('10.0.3.15'), net, 0xffffff00));
  assert.ok(ipa.inSubnet(ipa.ipFromString('200.1.1.1'), 0, 0)); // the default route
});

test('IPv6 text forms (RFC 5952) both ways', () => {
  const cases = [
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001'], // one zero group is not compressed
    ['2001:db8::1:0:0:1', '20010db8000000000001000000000001'], // the first of equal runs
  ];
  for (const [text, bytes] of cases) {
    assert.equal(ipa.ipv6ToString(hex(bytes)), text);
    assert.deepEqual(ipa.ipv6FromString(text), hex(bytes));
  }
  assert.deepEqual(ipa.ipv6FromString('2001:DB8:0:0:0:0:0:1'), hex('20010db8000000000000000000000001'));
  for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '12345::', 'g::', '1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8']) {
    assert.equal(reasonOf(() => ipa.ipv6FromString(bad)), 'bad-address', `accepted ${bad}`);
  }
});

// --- MAC addresses -----------------------------------------------------------

test('MAC addresses are lower-case colon strings', () => {
  assert.equal(maca.macToString(hex('52 54 00 12 34 56')), '52:54:00:12:34:56');
  assert.equal(maca.macToString(hex('00 AA BB CC DD EE FF'), 1), 'aa:bb:cc:dd:ee:ff');
  assert.deepEqual(maca.macFromString('52:54:00:12:34:56'), hex('52 54 00 12 34 56'));
  assert.deepEqual(maca.macFromString('AA:bb:CC:dd:EE:ff'), hex('aa bb cc dd ee ff'));
  assert.ok(maca.isMulticastMac(maca.MAC_BROADCAST));
  assert.ok(maca.isMulticastMac('01:00:5e:00:00:16'));
  assert.ok(!maca.isMulticastMac('52:54:00:12:34:56'));
});

test('macFromString and macToString refuse bad input', () => {
  for (const bad of ['52:54:00:12:34', '52-54-00-12-34-56', '525400123456', '52:54:00:12:34:5g', '', undefined]) {
    assert.equal(reasonOf(() => maca.macFromString(bad)), 'bad-address', `accepted ${bad}`);
  }
  assert.equal(reasonOf(() => maca.macToString(new Uint8Array(5))), 'truncated');
});
