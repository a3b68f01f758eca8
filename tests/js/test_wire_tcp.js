// Unit tests for kernel/net/wire/tcp.js (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018):
// byte vectors both ways, every malformed case with its reason, the checksum
// (no "0 means none" in TCP), and a fuzz run.
//
// The LINUX_* vectors are real segments from Linux 6.18, captured on a TAP
// device in a network namespace (no checksum offload on TAP without
// IFF_VNET_HDR, so the kernel filled in every checksum): Linux at 10.0.2.2
// talking to a scripted peer playing the guest, 10.0.2.15. Each is the TCP
// part of the frame; the addresses below give the pseudo-header. The
// vectors emit() writes from hand-made records (the option layouts, the zero
// checksum, the round trip) were decoded by scapy 2.8, which agreed on every
// field, option and checksum.
const tcp = require('/kernel/net/wire/tcp');
const ck = require('/kernel/net/wire/checksum');
const { ipFromString } = require('/kernel/net/wire/ip-address');

const { hex, reasonOf, fuzz } = require('/tests/lib/wire-test');

const ip = ipFromString;
const HOST_TO_GUEST = { src: ip('10.0.2.2'), dst: ip('10.0.2.15') };
const GUEST_TO_HOST = { src: ip('10.0.2.15'), dst: ip('10.0.2.2') };
const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const FLAGS = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false };
const flags = (names) => ({ ...FLAGS, ...Object.fromEntries(names.split(' ').map((n) => [n, true])) });
const OPTIONS = { mss: null, windowScale: null, sackPermitted: false, sackBlocks: [], timestamps: null, unknown: [] };
const EMPTY = new Uint8Array(0);

// `curl 10.0.2.15` from Linux: its SYN. The options are Linux's usual five in
// its usual layout: MSS, SACK-permitted folded into the timestamps' padding,
// timestamps, NOP, window scale (40 bytes of header: data offset 10).
const LINUX_SYN = hex(`
  9c 40 00 50     # source port 40000, destination port 80
  71 a4 d5 be     # sequence number 1906628030 (the ISN)
  00 00 00 00     # acknowledgment number (no ACK flag)
  a0 02 fa f0     # data offset 10; flags SYN; window 64240
  72 48 00 00     # checksum; urgent pointer 0
  02 04 05 b4     # MSS 1460
  04 02 08 0a     # SACK-permitted; timestamps, length 10:
  bb f6 22 c9     #   TSval 3153470153
  00 00 00 00     #   TSecr 0
  01 03 03 0a     # NOP; window scale, shift 10
`);
const LINUX_SYN_RECORD = {
  srcPort: 40000,
  dstPort: 80,
  seq: 1906628030,
  ack: 0,
  flags: flags('syn'),
  window: 64240,
  urgentPointer: 0,
  options: { ...OPTIONS, mss: 1460, windowScale: 10, sackPermitted: true, timestamps: { tsVal: 3153470153, tsEcr: 0 } },
  payload: EMPTY,
};

// Linux as a server (port 80) answering the guest's SYN from port 49152 (ISN 1000).
const LINUX_SYN_ACK = hex(`
  00 50 c0 00  ff 3d c3 0b  00 00 03 e9     # 80 -> 49152, seq 4282237707, ack 1001
  a0 12 fe 88  cd 9a 00 00                  # offset 10, SYN ACK, window 65160; checksum
  02 04 05 b4  04 02 08 0a  67 20 72 2d  00 00 03 e8  01 03 03 0a
`);
const LINUX_SYN_ACK_RECORD = {
  srcPort: 80,
  dstPort: 49152,
  seq: 4282237707,
  ack: 1001,
  flags: flags('syn ack'),
  window: 65160,
  urgentPointer: 0,
  options: { ...OPTIONS, mss: 1460, windowScale: 10, sackPermitted: true, timestamps: { tsVal: 1730179629, tsEcr: 1000 } },
  payload: EMPTY,
};

// The same connection: the server's answer, PSH|ACK with 25 bytes of data.
// Once established, Linux sends timestamps alone, two NOPs in front.
const RESPONSE = ascii('HTTP/1.0 200 OK\r\n\r\nhello\n');
const LINUX_DATA = hex(`
  00 50 c0 00  ff 3d c3 0c  00 00 03 fb     # seq 4282237708, ack 1019
  80 18 00 40  54 34 00 00                  # offset 8, PSH ACK, window 64 (<< 10 = 65536)
  01 01 08 0a  67 20 72 61  00 00 03 ea     # NOP NOP timestamps 1730179681, 1002
  48 54 54 50 2f 31 2e 30 20 32 30 30 20 4f 4b 0d 0a 0d 0a 68 65 6c 6c 6f 0a
`);
const ESTABLISHED_OPTIONS = { ...OPTIONS, timestamps: { tsVal: 1730179681, tsEcr: 1002 } };
const LINUX_DATA_RECORD = {
  srcPort: 80,
  dstPort: 49152,
  seq: 4282237708,
  ack: 1019,
  flags: flags('psh ack'),
  window: 64,
  urgentPointer: 0,
  options: ESTABLISHED_OPTIONS,
  payload: RESPONSE,
};

// ... and its FIN|ACK after the 25 bytes.
const LINUX_FIN = hex(`
  00 50 c0 00  ff 3d c3 25  00 00 03 fb  80 11 00 40  fa 50 00 00
  01 01 08 0a  67 20 72 61  00 00 03 ea
`);
const LINUX_FIN_RECORD = { ...LINUX_DATA_RECORD, seq: 4282237733, flags: flags('fin ack'), payload: EMPTY };

// A SYN to a closed port (81) from the guest's port 49153, ISN 5000: Linux's
// RST|ACK, seq 0 and ack 5001 (RFC 9293 §3.10.7.1), no options.
const LINUX_RST = hex(`
  00 51 c0 01  00 00 00 00  00 00 13 89     # 81 -> 49153, seq 0, ack 5001
  50 14 00 00  c3 e4 00 00                  # offset 5, RST ACK, window 0
`);
const LINUX_RST_RECORD = {
  srcPort: 81,
  dstPort: 49153,
  seq: 0,
  ack: 5001,
  flags: flags('rst ack'),
  window: 0,
  urgentPointer: 0,
  options: OPTIONS,
  payload: EMPTY,
};

// The guest sent Linux (port 8080) 100 bytes at 20101 and 100 at 20301 while
// 20001.. was missing: Linux's duplicate ACK reports both blocks, the one
// that arrived last first (RFC 2018 §4).
const LINUX_SACK = hex(`
  1f 90 c0 02  06 98 7c 20  00 00 4e 21     # 8080 -> 49154, seq 110656544, ack 20001
  d0 10 00 40  62 87 00 00                  # offset 13, ACK, window 64
  01 01 08 0a  b8 1a f8 f8  00 00 07 d1     # NOP NOP timestamps 3088775416, 2001
  01 01 05 12                               # NOP NOP SACK, length 18: two blocks
  00 00 4f 4d  00 00 4f b1                  #   [20301, 20401)
  00 00 4e 85  00 00 4e e9                  #   [20101, 20201)
`);
const LINUX_SACK_RECORD = {
  srcPort: 8080,
  dstPort: 49154,
  seq: 110656544,
  ack: 20001,
  flags: flags('ack'),
  window: 64,
  urgentPointer: 0,
  options: {
    ...OPTIONS,
    timestamps: { tsVal: 3088775416, tsEcr: 2001 },
    sackBlocks: [{ left: 20301, right: 20401 }, { left: 20101, right: 20201 }],
  },
  payload: EMPTY,
};

// A Linux client asking for a TCP Fast Open cookie (RFC 7413, kind 34,
// length 2): we do not speak TFO, so the option is kept as unknown. Linux
// pads it to a word with two NOPs after it.
const LINUX_TFO_SYN = hex(`
  9c 45 00 50  d2 6a 10 45  00 00 00 00  b0 02 fa f0  7c 65 00 00   # offset 11, SYN
  02 04 05 b4  04 02 08 0a  4d 1d b9 2c  00 00 00 00  01 03 03 0a
  22 02 01 01                               # Fast Open cookie request; NOP NOP
`);
const LINUX_TFO_SYN_RECORD = {
  ...LINUX_SYN_RECORD,
  srcPort: 40005,
  seq: 3530166341,
  options: { ...LINUX_SYN_RECORD.options, timestamps: { tsVal: 1293793580, tsEcr: 0 }, unknown: [{ kind: 34, bytes: EMPTY }] },
};

const LINUX = [
  ['SYN', LINUX_SYN, LINUX_SYN_RECORD],
  ['SYN-ACK', LINUX_SYN_ACK, LINUX_SYN_ACK_RECORD],
  ['PSH|ACK with data', LINUX_DATA, LINUX_DATA_RECORD],
  ['FIN|ACK', LINUX_FIN, LINUX_FIN_RECORD],
  ['RST|ACK', LINUX_RST, LINUX_RST_RECORD],
  ['ACK with two SACK blocks', LINUX_SACK, LINUX_SACK_RECORD],
  ['SYN with an unknown option', LINUX_TFO_SYN, LINUX_TFO_SYN_RECORD],
];

// Builds a segment with raw option bytes (padded to a word with zeros) and a
// correct checksum, so a malformed option is the only thing wrong with it.
function withOptions(optionBytes, payload = EMPTY, addrs = GUEST_TO_HOST) {
  const headerLength = 20 + ((optionBytes.length + 3) & ~3);
  const out = new Uint8Array(headerLength + payload.length);
  out.set(hex('c0 00 00 50  00 00 03 e8  00 00 00 00  00 02 fa f0  00 00 00 00')); // 49152 -> 80, SYN, seq 1000
  out[12] = (headerLength / 4) << 4;
  out.set(optionBytes, 20);
  out.set(payload, headerLength);
  return fixChecksum(out, addrs);
}
function fixChecksum(segment, addrs = GUEST_TO_HOST) {
  const out = segment.slice();
  out[16] = out[17] = 0;
  const value = ck.finish(ck.sum(out, 0, out.length, ck.pseudoHeaderSum(addrs.src, addrs.dst, 6, out.length)));
  out[16] = value >> 8;
  out[17] = value & 0xff;
  return out;
}

// --- real segments, both ways ------------------------------------------------

test('constants', () => {
  assert.equal(tcp.HEADER_LEN, 20);
  assert.equal(tcp.PROTO_TCP, 6);
  assert.deepEqual(tcp.FLAG_BITS, { fin: 1, syn: 2, rst: 4, psh: 8, ack: 16, urg: 32, ece: 64, cwr: 128 });
});

for (const [name, bytes, record] of LINUX) {
  test(`parse: Linux's ${name}`, () => {
    assert.deepEqual(tcp.parse(bytes, HOST_TO_GUEST), record);
  });
  test(`emit: Linux's ${name}, byte for byte with its checksum`, () => {
    assert.deepEqual(tcp.emit(record, HOST_TO_GUEST), bytes);
  });
}

// Headroom (tcp.emit's third argument, as the TCP table sends): the segment
// is the same bytes, with room in front where ipv4.emit and ethernet.emit
// (inPlace) write their headers, so the whole frame is built in one buffer
// and equals the frame the copying path builds.
test('emit with headroom: the same segment, and a frame built in place equals the copied one', () => {
  const ipv4 = require('/kernel/net/wire/ipv4');
  const ethernet = require('/kernel/net/wire/ethernet');
  const room = ethernet.HEADER_LEN + ipv4.HEADER_LEN;
  const segment = tcp.emit(LINUX_DATA_RECORD, HOST_TO_GUEST, { headroom: room });
  assert.deepEqual(segment, LINUX_DATA);
  assert.equal(segment.byteOffset, room);
  const ipRecord = { ...HOST_TO_GUEST, protocol: ipv4.PROTO_TCP, dontFragment: true, id: 7 };
  const link = { dst: '52:54:00:12:34:56', src: '52:55:0a:00:02:02', ethertype: ethernet.ETHERTYPE_IPV4 };
  const packet = ipv4.emit({ ...ipRecord, payload: segment }, { inPlace: true });
  const frame = ethernet.emit({ ...link, payload: packet }, { inPlace: true });
  assert.equal(frame.buffer, segment.buffer, 'no copy: one buffer from TCP to Ethernet');
  assert.equal(frame.byteOffset, 0);
  const copied = ethernet.emit({ ...link, payload: ipv4.emit({ ...ipRecord, payload: LINUX_DATA }) });
  assert.deepEqual(frame, copied);
  // No room in front: refused, not written over someone else's bytes.
  assert.equal(reasonOf(() => ipv4.emit({ ...ipRecord, payload: LINUX_DATA }, { inPlace: true })), 'bad-record');
  assert.equal(reasonOf(() => ethernet.emit({ ...link, payload: tcp.emit(LINUX_DATA_RECORD, HOST_TO_GUEST, { headroom: 13 }) }, { inPlace: true })), 'bad-record');
});

test('parse takes a parsed ipv4 record as the pseudo-header source', () => {
  const ipv4 = require('/kernel/net/wire/ipv4');
  const packet = ipv4.parse(ipv4.emit({ ...HOST_TO_GUEST, protocol: ipv4.PROTO_TCP, dontFragment: true, payload: LINUX_SYN }));
  assert.deepEqual(tcp.parse(packet.payload, packet), LINUX_SYN_RECORD);
});

test('emit: a minimal record is a bare 20-byte header; flags and options may be partial', () => {
  const bytes = tcp.emit({ srcPort: 49152, dstPort: 80, seq: 1000, flags: { syn: true }, window: 64240 }, GUEST_TO_HOST);
  assert.deepEqual(bytes, hex('c0 00 00 50  00 00 03 e8  00 00 00 00  50 02 fa f0  d8 a8 00 00'));
  assert.deepEqual(tcp.parse(bytes, GUEST_TO_HOST), {
    srcPort: 49152, dstPort: 80, seq: 1000, ack: 0, flags: flags('syn'), window: 64240, urgentPointer: 0, options: OPTIONS, payload: EMPTY,
  });
});

// --- option layout --------------------------------------------------------------

test('emit lays out each option combination as Linux does', () => {
  const layout = (options) => tcp.emit({ srcPort: 1, dstPort: 2, options }, GUEST_TO_HOST).subarray(20);
  const ts = { tsVal: 0x01020304, tsEcr: 0x05060708 };
  // SACK-permitted without timestamps takes a word of its own, NOPs first.
  assert.deepEqual(layout({ mss: 1460, sackPermitted: true, windowScale: 7 }), hex('02 04 05 b4  01 01 04 02  01 03 03 07'));
  // Timestamps without SACK-permitted: two NOPs where SACK-permitted would be.
  assert.deepEqual(layout({ mss: 536, timestamps: ts }), hex('02 04 02 18  01 01 08 0a  01 02 03 04  05 06 07 08'));
  // SACK blocks beside timestamps (at most 3 fit: 12 + 2 + 2 + 24 = 40).
  const three = [{ left: 1, right: 2 }, { left: 3, right: 4 }, { left: 5, right: 6 }];
  assert.deepEqual(layout({ timestamps: ts, sackBlocks: three }), hex(`
    01 01 08 0a  01 02 03 04  05 06 07 08
    01 01 05 1a  00 00 00 01  00 00 00 02  00 00 00 03  00 00 00 04  00 00 00 05  00 00 00 06
  `));
  // Four blocks without timestamps: 36 bytes.
  const four = [...three, { left: 0xfffffff0, right: 0x10 }]; // a block may wrap past 2^32
  const bytes = layout({ sackBlocks: four });
  assert.equal(bytes.length, 36);
  assert.deepEqual(bytes.subarray(0, 4), hex('01 01 05 22'));
  assert.deepEqual(bytes.subarray(28), hex('ff ff ff f0  00 00 00 10'));
  // Unknown options go last, each NOP-padded to a word.
  assert.deepEqual(layout({ windowScale: 0, unknown: [{ kind: 30, bytes: hex('01 02 03') }, { kind: 254, bytes: hex('f9 89') }] }), hex(`
    01 03 03 00  1e 05 01 02 03 01 01 01  fe 04 f9 89
  `));
});

test('parse: every known option, in any order, with EOL and zero padding', () => {
  const bytes = withOptions(hex(`
    01 03 03 0e                 # NOP, window scale 14
    08 0a 00 00 00 07 00 00 00 09   # timestamps 7, 9, not aligned
    04 02                       # SACK-permitted
    02 04 ff ff                 # MSS 65535
    00 ff ee                    # EOL: the rest is padding, whatever it holds
  `));
  assert.equal(bytes[12] >> 4, 11);
  assert.deepEqual(tcp.parse(bytes, GUEST_TO_HOST).options, {
    ...OPTIONS, mss: 65535, windowScale: 14, sackPermitted: true, timestamps: { tsVal: 7, tsEcr: 9 },
  });
});

test('parse keeps a window scale over 14 as sent (RFC 7323 §2.3 clamping is the socket\'s)', () => {
  assert.equal(tcp.parse(withOptions(hex('03 03 ff 00')), GUEST_TO_HOST).options.windowScale, 255);
});

test('parse: unknown options are kept as { kind, bytes } and skipped by their length', () => {
  const bytes = withOptions(hex('13 12 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  02 04 05 b4')); // MD5 (19), then MSS
  const options = tcp.parse(bytes, GUEST_TO_HOST).options;
  assert.equal(options.mss, 1460);
  assert.deepEqual(options.unknown, [{ kind: 19, bytes: hex('00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f') }]);
});

test('parse: an option seen twice, the later one wins (as in Linux)', () => {
  assert.equal(tcp.parse(withOptions(hex('02 04 05 b4  02 04 02 18')), GUEST_TO_HOST).options.mss, 536);
});

test('parse: MSS and window scale outside a SYN are still read; the socket ignores them', () => {
  const bytes = tcp.emit({ srcPort: 1, dstPort: 2, flags: { ack: true }, options: { mss: 1000, windowScale: 3 } }, GUEST_TO_HOST);
  const seg = tcp.parse(bytes, GUEST_TO_HOST);
  assert.equal(seg.options.mss, 1000);
  assert.equal(seg.options.windowScale, 3);
});

// --- flags, reserved bits, payload -----------------------------------------------

test('all eight flags both ways, and the reserved bits are ignored', () => {
  for (const [name, bit] of Object.entries(tcp.FLAG_BITS)) {
    const bytes = tcp.emit({ srcPort: 1, dstPort: 2, flags: { [name]: true } }, GUEST_TO_HOST);
    assert.equal(bytes[13], bit);
    assert.deepEqual(tcp.parse(bytes, GUEST_TO_HOST).flags, flags(name));
  }
  const all = tcp.emit({ srcPort: 1, dstPort: 2, flags: flags('fin syn rst psh ack urg ece cwr') }, GUEST_TO_HOST);
  assert.equal(all[13], 0xff);
  // Reserved bits (byte 12, low nibble; once the ECN nonce's NS bit): ignored
  // on parse, zero on emit (RFC 9293 §3.1).
  const reserved = fixChecksum(LINUX_RST.map((b, i) => (i === 12 ? 0x5f : b)), HOST_TO_GUEST);
  const record = tcp.parse(reserved, HOST_TO_GUEST);
  assert.deepEqual(record, LINUX_RST_RECORD);
  assert.deepEqual(tcp.emit(record, HOST_TO_GUEST), LINUX_RST);
});

test('the urgent pointer both ways', () => {
  const bytes = tcp.emit({ srcPort: 1, dstPort: 2, flags: { urg: true, ack: true }, urgentPointer: 0x1234, payload: hex('aa') }, GUEST_TO_HOST);
  assert.deepEqual(bytes.subarray(18, 20), hex('12 34'));
  assert.equal(tcp.parse(bytes, GUEST_TO_HOST).urgentPointer, 0x1234);
});

test('the payload is everything after the header (TCP has no length field)', () => {
  const seg = tcp.parse(LINUX_DATA, HOST_TO_GUEST);
  assert.equal(seg.payload.length, 25);
  assert.equal(seg.payload.buffer, LINUX_DATA.buffer); // a view, not a copy
  const odd = tcp.emit({ srcPort: 7, dstPort: 7, payload: hex('01 02 03') }, GUEST_TO_HOST);
  assert.equal(odd.length, 23);
  assert.deepEqual(tcp.parse(odd, GUEST_TO_HOST).payload, hex('01 02 03')); // summed with a zero pad byte
});

test('sequenceLength counts SYN and FIN as one each (SEG.LEN, RFC 9293 §3.4)', () => {
  assert.equal(tcp.sequenceLength(LINUX_SYN_RECORD), 1);
  assert.equal(tcp.sequenceLength(LINUX_DATA_RECORD), 25);
  assert.equal(tcp.sequenceLength(LINUX_FIN_RECORD), 1);
  assert.equal(tcp.sequenceLength(LINUX_RST_RECORD), 0);
  assert.equal(tcp.sequenceLength({ flags: flags('syn fin'), payload: hex('00 01') }), 4);
});

test('flagsString prints flags as tcpdump does', () => {
  assert.equal(tcp.flagsString(flags('syn')), 'S');
  assert.equal(tcp.flagsString(flags('syn ack')), 'S.');
  assert.equal(tcp.flagsString(flags('fin psh ack')), 'FP.');
  assert.equal(tcp.flagsString(flags('syn ack ece')), 'S.E');
  assert.equal(tcp.flagsString(flags('syn ece cwr')), 'SEW');
  assert.equal(tcp.flagsString(FLAGS), 'none');
});

// --- the checksum ---------------------------------------------------------------

test('bad checksum: a flipped bit, or the right bytes from other addresses', () => {
  const corrupt = LINUX_DATA.slice();
  corrupt[40] ^= 0x20; // 'T' -> 't' in the data
  assert.equal(reasonOf(() => tcp.parse(corrupt, HOST_TO_GUEST)), 'bad-checksum');
  // The pseudo-header is covered: the same segment from 10.0.2.3 fails.
  assert.equal(reasonOf(() => tcp.parse(LINUX_SYN, { src: ip('10.0.2.3'), dst: ip('10.0.2.15') })), 'bad-checksum');
  // Swapped addresses sum the same (addition commutes): the checksum cannot tell.
  assert.equal(tcp.parse(LINUX_SYN, GUEST_TO_HOST).seq, 1906628030);
  assert.deepEqual(tcp.parse(corrupt, HOST_TO_GUEST, { verifyChecksum: false }).payload[0], 0x48);
  assert.equal(reasonOf(() => tcp.parse(LINUX_SYN)), 'bad-input'); // no addresses to check against
  assert.equal(tcp.parse(LINUX_SYN, undefined, { verifyChecksum: false }).dstPort, 80);
});

test('a checksum of 0 is an ordinary value in TCP: sent as 0, and 0 and ffff both verify', () => {
  // 10.0.2.15:1000 -> 10.0.2.2:2000, ACK, with the data 8a 08 chosen so the sum is ffff.
  const record = { srcPort: 1000, dstPort: 2000, seq: 1, ack: 1, flags: flags('ack'), window: 512, urgentPointer: 0, options: OPTIONS, payload: hex('8a 08') };
  const bytes = tcp.emit(record, GUEST_TO_HOST);
  // Unlike UDP (RFC 768), no 0 -> ffff: 0 has no "no checksum" meaning in TCP.
  assert.deepEqual(bytes, hex('03 e8 07 d0  00 00 00 01  00 00 00 01  50 10 02 00  00 00 00 00  8a 08'));
  assert.deepEqual(tcp.parse(bytes, GUEST_TO_HOST), record);
  // ffff is the other ones' complement zero (RFC 1624 §3): it verifies too.
  const negativeZero = bytes.slice();
  negativeZero[16] = negativeZero[17] = 0xff;
  assert.deepEqual(tcp.parse(negativeZero, GUEST_TO_HOST), record);
  // But 0 in place of a checksum that is not 0 is just wrong: there is no opting out.
  const zeroed = LINUX_RST.slice();
  zeroed[16] = zeroed[17] = 0;
  assert.equal(reasonOf(() => tcp.parse(zeroed, HOST_TO_GUEST)), 'bad-checksum');
});

// --- malformed segments -----------------------------------------------------------

test('truncated: fewer than 20 bytes', () => {
  for (let n = 0; n < 20; n++) assert.equal(reasonOf(() => tcp.parse(LINUX_SYN.subarray(0, n), HOST_TO_GUEST)), 'truncated');
});

test('bad data offset: under 5 words, or past the end of the segment', () => {
  for (const offset of [0, 1, 4]) {
    const bytes = fixChecksum(LINUX_RST.map((b, i) => (i === 12 ? offset << 4 : b)), HOST_TO_GUEST);
    assert.equal(reasonOf(() => tcp.parse(bytes, HOST_TO_GUEST)), 'bad-data-offset');
  }
  // Data offset 10 (40 bytes) with only 39 present: the SYN cut short.
  assert.equal(reasonOf(() => tcp.parse(LINUX_SYN.subarray(0, 39), HOST_TO_GUEST)), 'bad-data-offset');
  const fifteen = fixChecksum(LINUX_SYN.map((b, i) => (i === 12 ? 0xf0 : b)), HOST_TO_GUEST);
  assert.equal(reasonOf(() => tcp.parse(fifteen, HOST_TO_GUEST)), 'bad-data-offset');
  // Checked before the checksum, which the corruption may also have broken.
  assert.equal(reasonOf(() => tcp.parse(LINUX_RST.map((b, i) => (i === 12 ? 0x40 : b)), HOST_TO_GUEST)), 'bad-data-offset');
});

test('bad option length: 0 or 1, for known and unknown kinds alike', () => {
  for (const option of ['02 00 00 00', '02 01 00 00', '08 01', '22 00', '01 01 22 01', '04 00']) {
    assert.equal(reasonOf(() => tcp.parse(withOptions(hex(option)), GUEST_TO_HOST)), 'bad-option-length', option);
  }
});

test('option overrun: a length past the header, or no room for the length byte', () => {
  const cases = [
    '08 0a 00 00', // timestamps need 10 bytes, the header has 4
    '01 01 01 02', // a kind in the last byte with no length after it
    '02 04 05 b4  22 07 00 00', // an unknown option 1 byte too long
    '01 01 05 12 00 00 00 01 00 00 00 02', // SACK of two blocks, room for one
  ];
  for (const option of cases) assert.equal(reasonOf(() => tcp.parse(withOptions(hex(option)), GUEST_TO_HOST)), 'option-overrun', option);
  // An option may not run into the data: its length is checked against the header, not the segment.
  assert.equal(reasonOf(() => tcp.parse(withOptions(hex('01 01 02 04'), hex('05 b4')), GUEST_TO_HOST)), 'option-overrun');
});

test('bad option: a known kind with the wrong length', () => {
  const cases = [
    '02 03 05 00', // MSS, length 3
    '02 05 05 b4 00 00 00 00', // MSS, length 5
    '03 04 07 00', // window scale, length 4
    '03 02 00 00', // window scale, length 2
    '04 03 00 00', // SACK-permitted, length 3
    '08 08 00 00 00 00 00 00', // timestamps, length 8
    '08 0b 00 00 00 00 00 00 00 00 00 00', // timestamps, length 11
    '05 02 00 00', // SACK with no blocks
    '05 09 00 00 00 01 00 00 00 02 00 00', // SACK, not 2 + 8n
    '05 0b 00 00 00 01 00 00 00 02 00 00 00', // SACK, 2 + 9
  ];
  for (const option of cases) assert.equal(reasonOf(() => tcp.parse(withOptions(hex(option)), GUEST_TO_HOST)), 'bad-option', option);
  // Four blocks (length 34) are the most that fit, and are fine.
  const four = withOptions(hex(`05 22 ${'00 00 00 01 00 00 00 02 '.repeat(4)}`));
  assert.equal(tcp.parse(four, GUEST_TO_HOST).options.sackBlocks.length, 4);
});

test('options are read only up to the data offset; the data may look like anything', () => {
  const bytes = withOptions(hex('02 04 05 b4'), hex('02 00 08 ff'));
  const seg = tcp.parse(bytes, GUEST_TO_HOST);
  assert.equal(seg.options.mss, 1460);
  assert.deepEqual(seg.payload, hex('02 00 08 ff'));
});

test('emit refuses bad records', () => {
  const bad = (record, addrs = GUEST_TO_HOST) => reasonOf(() => tcp.emit({ srcPort: 1, dstPort: 2, ...record }, addrs));
  assert.equal(bad({ srcPort: 65536 }), 'bad-record');
  assert.equal(bad({ seq: 2 ** 32 }), 'bad-record');
  assert.equal(bad({ ack: -1 }), 'bad-record');
  assert.equal(bad({ window: 65536 }), 'bad-record');
  assert.equal(bad({ flags: { nope: true } }), 'bad-record');
  assert.equal(bad({ flags: null }), 'bad-record');
  assert.equal(bad({ payload: 'data' }), 'bad-record');
  assert.equal(bad({ options: { mss: 70000 } }), 'bad-record');
  assert.equal(bad({ options: { windowScale: 256 } }), 'bad-record');
  assert.equal(bad({ options: { timestamps: { tsVal: 1 } } }), 'bad-record');
  assert.equal(bad({ options: { sackBlocks: [{ left: 1 }] } }), 'bad-record');
  assert.equal(bad({ options: { sackBlocks: Array(5).fill({ left: 1, right: 2 }) } }), 'bad-record');
  // Four blocks fit alone, not beside timestamps (12 + 36 = 48 > 40).
  const four = Array(4).fill({ left: 1, right: 2 });
  assert.equal(bad({ options: { sackBlocks: four } }), null);
  assert.equal(bad({ options: { sackBlocks: four, timestamps: { tsVal: 1, tsEcr: 2 } } }), 'bad-record');
  assert.equal(bad({ options: { unknown: [{ kind: 2, bytes: hex('05 b4') }] } }), 'bad-record'); // MSS is not unknown
  assert.equal(bad({ options: { unknown: [{ kind: 1 }] } }), 'bad-record');
  assert.equal(bad({ options: { unknown: [{ kind: 99, bytes: new Uint8Array(39) }] } }), 'bad-record');
  assert.equal(bad({ payload: new Uint8Array(65516) }), 'bad-record'); // 20 + 65516 > 65535
  assert.equal(bad({}, null), 'bad-input'); // the checksum needs the addresses
});

test('emit then parse gives the record back', () => {
  const record = {
    srcPort: 65535,
    dstPort: 1,
    seq: 0xffffffff,
    ack: 0x80000000,
    flags: flags('ack urg ece'),
    window: 65535,
    urgentPointer: 3,
    options: { ...OPTIONS, timestamps: { tsVal: 0xffffffff, tsEcr: 1 }, sackBlocks: [{ left: 10, right: 20 }, { left: 30, right: 40 }, { left: 50, right: 60 }] },
    payload: ascii('abcdefg'),
  };
  assert.deepEqual(tcp.parse(tcp.emit(record, GUEST_TO_HOST), GUEST_TO_HOST), record);
});

// --- fuzz ---------------------------------------------------------------------------

test('fuzz: 4,000 random and mutated segments throw only WireError', () => {
  const seeds = LINUX.map(([, bytes]) => bytes);
  fuzz((b) => tcp.parse(b, HOST_TO_GUEST), seeds, 2000, { maxLength: 80 });
  // Without the checksum most mutations reach the option parser.
  assert.ok(fuzz((b) => tcp.parse(b, HOST_TO_GUEST, { verifyChecksum: false }), seeds, 2000, { seed: 0x7c9, maxLength: 80 }) > 200);
});

test('fuzz: mutated options, checksums fixed, throw only option reasons or parse', () => {
  const { prng, mutate } = require('/tests/lib/wire-test');
  const { WireError } = require('/kernel/net/wire/errors');
  const rand = prng(0x5ac);
  const optionSeeds = [LINUX_SYN, LINUX_SACK, LINUX_TFO_SYN].map((b) => b.subarray(20, (b[12] >> 4) * 4));
  const seen = {};
  for (let i = 0; i < 2000; i++) {
    const options = mutate(rand, optionSeeds[rand(optionSeeds.length)], [0, 1, 2, 3, 4, 5, 8, 10, 0x22, 0xff]).subarray(0, 40);
    try {
      tcp.parse(withOptions(options), GUEST_TO_HOST);
      seen.parsed = (seen.parsed || 0) + 1;
    } catch (e) {
      if (!(e instanceof WireError) || !['option-overrun', 'bad-option-length', 'bad-option'].includes(e.reason)) throw e;
      seen[e.reason] = (seen[e.reason] || 0) + 1;
    }
  }
  for (const key of ['parsed', 'option-overrun', 'bad-option-length', 'bad-option']) assert.ok(seen[key] > 20, `${key}: ${JSON.stringify(seen)}`);
});
