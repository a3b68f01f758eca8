// Unit tests for kernel/net/wire/dhcp.js (RFC 2131 §2, RFC 2132): a DISCOVER,
// an OFFER and a REQUEST as literal bytes both ways, option edge cases
// (pad, missing end, repeats, overruns), and a fuzz run.
const dhcp = require('/kernel/net/wire/dhcp');
const { ipFromString } = require('/kernel/net/wire/ip-address');
const { WireError, REASONS } = require('/kernel/net/wire/errors');

const { hex, reasonOf, prng, mutate, fuzz } = require('/tests/lib/wire-test');

const ip = ipFromString;
const zeros = (n) => ' 00'.repeat(n);
const MAC = '52:54:00:12:34:56';

// The fixed 240 bytes: op htype hlen hops | xid | secs flags | 4 addresses | chaddr | sname | file | cookie
const fixed = ({ op, flags, yiaddr = '00000000', siaddr = '00000000' }) => `
  ${op} 01 06 00       # op, htype Ethernet, hlen 6, hops
  39 03 f3 26          # xid
  00 00 ${flags}       # secs, flags
  00000000 ${yiaddr} ${siaddr} 00000000   # ciaddr yiaddr siaddr giaddr
  52 54 00 12 34 56 ${zeros(10)}          # chaddr: the MAC, padded to 16
  ${zeros(64)}         # sname
  ${zeros(128)}        # file
  63 82 53 63          # magic cookie 99.130.83.99
`;

const DISCOVER = hex(`${fixed({ op: '01', flags: '80 00' })}
  35 01 01                     # 53 message type: DISCOVER
  3d 07 01 52 54 00 12 34 56   # 61 client id: htype 1 + MAC
  0c 05 6a 73 6b 73 68         # 12 hostname "jsksh"
  37 04 01 03 06 33            # 55 parameter request list: mask, router, DNS, lease
  ff ${zeros(34)}              # end, then pad to 300 bytes
`);
const DISCOVER_RECORD = {
  messageType: dhcp.DISCOVER,
  xid: 0x3903f326,
  chaddr: MAC,
  broadcast: true,
  clientId: hex('01 52 54 00 12 34 56'),
  hostname: 'jsksh',
  parameterRequestList: [1, 3, 6, 51],
};

// slirp's answer: 10.0.2.15 for a day, gateway 10.0.2.2, DNS 10.0.2.3.
const OFFER = hex(`${fixed({ op: '02', flags: '00 00', yiaddr: '0a00020f', siaddr: '0a000202' })}
  35 01 02               # 53 message type: OFFER
  36 04 0a 00 02 02      # 54 server identifier
  33 04 00 01 51 80      # 51 lease time: 86400 s
  01 04 ff ff ff 00      # 1 subnet mask
  03 04 0a 00 02 02      # 3 router
  06 04 0a 00 02 03      # 6 DNS server
  ff ${zeros(26)}
`);
const OFFER_RECORD = {
  messageType: dhcp.OFFER,
  xid: 0x3903f326,
  chaddr: MAC,
  yiaddr: ip('10.0.2.15'),
  siaddr: ip('10.0.2.2'),
  serverId: ip('10.0.2.2'),
  leaseTime: 86400,
  subnetMask: ip('255.255.255.0'),
  routers: [ip('10.0.2.2')],
  dnsServers: [ip('10.0.2.3')],
};

// A REQUEST as another client might write it: an option we do not decode
// (57, maximum message size), pad bytes between options, no padding to 300.
const REQUEST = hex(`${fixed({ op: '01', flags: '00 00' })}
  35 01 03               # 53 message type: REQUEST
  32 04 0a 00 02 0f      # 50 requested IP
  36 04 0a 00 02 02      # 54 server identifier
  39 02 05 dc            # 57 maximum DHCP message size: 1500
  00 00                  # pad
  37 03 01 03 06         # 55 parameter request list
  ff
`);

const header = (over) => ({
  op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x3903f326, secs: 0, broadcast: false,
  ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0, chaddr: MAC, sname: '', file: '', ...over,
});

test('constants', () => {
  assert.deepEqual([dhcp.DISCOVER, dhcp.OFFER, dhcp.REQUEST, dhcp.DECLINE, dhcp.ACK, dhcp.NAK, dhcp.RELEASE], [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(dhcp.MAGIC_COOKIE, 0x63825363);
  assert.equal(dhcp.SERVER_PORT, 67);
  assert.equal(dhcp.CLIENT_PORT, 68);
});

test('emit: a client DISCOVER, byte for byte', () => {
  assert.equal(DISCOVER.length, 300);
  assert.deepEqual(dhcp.emit(DISCOVER_RECORD), DISCOVER);
});

test('parse: the DISCOVER', () => {
  assert.deepEqual(dhcp.parse(DISCOVER), {
    ...header({ broadcast: true }),
    options: [
      { code: 53, data: hex('01') },
      { code: 61, data: hex('01 52 54 00 12 34 56') },
      { code: 12, data: hex('6a 73 6b 73 68') },
      { code: 55, data: hex('01 03 06 33') },
    ],
    messageType: 1,
    clientId: hex('01 52 54 00 12 34 56'),
    hostname: 'jsksh',
    parameterRequestList: [1, 3, 6, 51],
  });
});

test('emit: a server OFFER, byte for byte (op BOOTREPLY from the message type)', () => {
  assert.deepEqual(dhcp.emit(OFFER_RECORD), OFFER);
});

test('parse: the OFFER', () => {
  const offer = dhcp.parse(OFFER);
  const { options, ...rest } = offer;
  assert.deepEqual(rest, { ...header({ op: 2 }), ...OFFER_RECORD });
  assert.deepEqual(options.map((o) => o.code), [53, 54, 51, 1, 3, 6]);
});

test('parse: a REQUEST with pad, an unknown option, and no padding to 300', () => {
  const request = dhcp.parse(REQUEST);
  assert.equal(request.messageType, dhcp.REQUEST);
  assert.equal(request.requestedIp, ip('10.0.2.15'));
  assert.equal(request.serverId, ip('10.0.2.2'));
  assert.deepEqual(request.parameterRequestList, [1, 3, 6]);
  assert.deepEqual(request.options[3], { code: 57, data: hex('05 dc') });
  assert.equal(request.maxMessageSize, undefined);
});

test('emit: unknown options from record.options go after the known ones', () => {
  const bytes = dhcp.emit(dhcp.parse(REQUEST));
  assert.deepEqual(bytes.subarray(240, 240 + 25), hex('35 01 03  32 04 0a00020f  36 04 0a000202  37 03 01 03 06  39 02 05 dc  ff'));
  assert.equal(bytes.length, 300);
});

test('an ACK with every option we know survives emit and parse', () => {
  const ack = {
    messageType: dhcp.ACK, xid: 1, chaddr: MAC, yiaddr: ip('10.0.2.15'), serverId: ip('10.0.2.2'),
    leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150, subnetMask: ip('255.255.255.0'),
    routers: [ip('10.0.2.2')], dnsServers: [ip('10.0.2.3'), ip('1.1.1.1')], hostname: 'guest',
    domainName: 'example.org', requestedIp: ip('10.0.2.15'), clientId: hex('01 52 54 00 12 34 56'),
    parameterRequestList: [1, 3], broadcast: true, secs: 3, ciaddr: ip('10.0.2.15'), giaddr: ip('10.0.2.1'),
    sname: 'server', file: 'boot.img',
  };
  const { options, ...parsed } = dhcp.parse(dhcp.emit(ack));
  assert.deepEqual(parsed, { ...header({ op: 2 }), ...ack });
  assert.equal(options.length, 13);
});

test('a missing end option is tolerated; repeated options are concatenated (RFC 3396)', () => {
  const noEnd = hex(`${fixed({ op: '01', flags: '00 00' })} 35 01 01`);
  assert.equal(dhcp.parse(noEnd).messageType, 1);
  const repeated = hex(`${fixed({ op: '02', flags: '00 00' })} 35 01 05 06 04 0a000203 06 04 01010101 ff`);
  assert.deepEqual(dhcp.parse(repeated).dnsServers, [ip('10.0.2.3'), ip('1.1.1.1')]);
  // Bytes after the end option are not options.
  const after = hex(`${fixed({ op: '01', flags: '00 00' })} 35 01 01 ff 35 09`);
  assert.equal(dhcp.parse(after).options.length, 1);
});

test('an option running past the end is rejected with option-overrun', () => {
  const overrun = hex(`${fixed({ op: '01', flags: '00 00' })} 35 01 01 0c 08 6a 73 6b`);
  const e = (() => {
    try {
      dhcp.parse(overrun);
    } catch (err) {
      return err;
    }
  })();
  assert.ok(e instanceof WireError);
  assert.equal(e.reason, 'option-overrun');
  assert.ok(/option 12 at offset 243 claims 8 bytes, only 3 remain/.test(e.message), e.message);
  const noLength = hex(`${fixed({ op: '01', flags: '00 00' })} 35 01 01 3d`);
  assert.equal(reasonOf(() => dhcp.parse(noLength)), 'option-overrun');
});

test('a known option with the wrong length is a bad option', () => {
  const withOptions = (s) => hex(`${fixed({ op: '02', flags: '00 00' })} ${s} ff`);
  assert.equal(reasonOf(() => dhcp.parse(withOptions('35 02 01 01'))), 'bad-option');
  assert.equal(reasonOf(() => dhcp.parse(withOptions('35 00'))), 'bad-option');
  assert.equal(reasonOf(() => dhcp.parse(withOptions('01 03 ff ff ff'))), 'bad-option');
  assert.equal(reasonOf(() => dhcp.parse(withOptions('03 05 0a 00 02 02 00'))), 'bad-option');
  assert.equal(reasonOf(() => dhcp.parse(withOptions('06 00'))), 'bad-option');
  assert.equal(reasonOf(() => dhcp.parse(withOptions('33 02 00 01'))), 'bad-option');
});

test('short messages, a bad cookie, a bad op or hlen', () => {
  for (const n of [0, 1, 100, 236, 239]) assert.equal(reasonOf(() => dhcp.parse(DISCOVER.subarray(0, n))), 'truncated');
  const edit = (at, value) => {
    const b = DISCOVER.slice();
    b[at] = value;
    return b;
  };
  assert.equal(reasonOf(() => dhcp.parse(edit(239, 0x64))), 'bad-cookie');
  assert.equal(reasonOf(() => dhcp.parse(edit(0, 3))), 'bad-field');
  assert.equal(reasonOf(() => dhcp.parse(edit(2, 17))), 'bad-field');
  assert.equal(dhcp.parse(edit(2, 16)).chaddr, '52:54:00:12:34:56:00:00:00:00:00:00:00:00:00:00');
  assert.equal(dhcp.parse(edit(2, 0)).chaddr, '');
});

test('emit refuses bad records', () => {
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, chaddr: 'nope' })), 'bad-record');
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, hostname: 7 })), 'bad-record');
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, hostname: 'x'.repeat(256) })), 'bad-record');
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, routers: [] })), 'bad-record');
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, xid: -1 })), 'bad-record');
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, sname: 'x'.repeat(64) })), 'bad-record');
  assert.equal(reasonOf(() => dhcp.emit({ ...DISCOVER_RECORD, options: [{ code: 255, data: hex('') }] })), 'bad-record');
});

test('fuzz: 2,000 random and mutated messages throw only WireError', () => {
  const seeds = [DISCOVER, OFFER, REQUEST, DISCOVER.subarray(0, 260)];
  assert.ok(fuzz((b) => dhcp.parse(b), seeds) > 200);
});
