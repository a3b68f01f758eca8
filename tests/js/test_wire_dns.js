// Unit tests for kernel/net/wire/dns.js (RFC 1035 §4.1, RFC 3596): queries
// and responses as literal bytes both ways, name compression, every hostile
// name we know of (loops, forward and wild pointers, long names, reserved
// label types), truncation at every byte, and a fuzz run.
const dns = require('/kernel/net/wire/dns');
const { ipFromString, ipv6FromString } = require('/kernel/net/wire/ip-address');
const { WireError, DnsError, REASONS } = require('/kernel/net/wire/errors');

const { hex, reasonOf, prng, mutate, fuzz } = require('/tests/lib/wire-test');

const ip = ipFromString;
const ascii = (s) => Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
// A message: the 12-byte header with the given counts, then body hex.
const message = (counts, body) => hex(`ab cd 01 00 ${counts.map((n) => n.toString(16).padStart(4, '0')).join(' ')} ${body}`);

// "example.com A?" with recursion desired, id 0x1234: what a stub resolver sends.
const QUERY = hex(`
  12 34  01 00            # id; flags: RD
  00 01 00 00 00 00 00 00 # 1 question
  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00   # example.com
  00 01 00 01             # type A, class IN
`);

// "www.example.com A?" answered through a CNAME, names compressed.
const CNAME_RESPONSE = hex(`
  12 34  81 80            # id; flags: QR RD RA, NOERROR
  00 01 00 02 00 00 00 00 # 1 question, 2 answers
  03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00  00 01 00 01   # @12 www.example.com A IN
  c0 0c 00 05 00 01 00 00 0e 10 00 02  c0 10                          # @33 -> www.example.com CNAME example.com (@16)
  c0 10 00 01 00 01 00 00 0e 10 00 04  5d b8 d8 22                    # @47 example.com A 93.184.216.34
`);
const CNAME_RECORD = {
  id: 0x1234, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, ad: false, cd: false, rcode: 0,
  questions: [{ name: 'www.example.com', type: dns.TYPE_A, class: dns.CLASS_IN }],
  answers: [
    { name: 'www.example.com', type: dns.TYPE_CNAME, class: 1, ttl: 3600, data: 'example.com' },
    { name: 'example.com', type: dns.TYPE_A, class: 1, ttl: 3600, data: ip('93.184.216.34') },
  ],
  authorities: [],
  additionals: [],
};

// One of each record type we decode, plus one we keep raw (type 65).
const KITCHEN_SINK = hex(`
  be ef  84 00                  # id; flags: QR AA
  00 01 00 04 00 01 00 02       # 1 question, 4 answers, 1 authority, 2 additional
  07 ${ascii('example')} 03 ${ascii('com')} 00  00 ff 00 01                  # @12 example.com ANY IN
  c0 0c 00 0f 00 01 00 00 01 2c 00 09  00 0a 04 ${ascii('mail')} c0 0c       # @29 MX 10 mail.example.com (mail @43)
  c0 0c 00 10 00 01 00 00 01 2c 00 0f  0b ${ascii('v=spf1 -all')} 02 ${ascii('hi')}   # @50 TXT
  c0 0c 00 1c 00 01 00 00 01 2c 00 10  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  # @77 AAAA 2001:db8::1
  c0 0c 00 02 00 01 00 01 51 80 00 06  03 ${ascii('ns1')} c0 0c               # @105 NS ns1.example.com (ns1 @117)
  c0 0c 00 06 00 01 00 00 0e 10 00 23                                         # @123 SOA, 35 bytes of RDATA:
    c0 75  0a ${ascii('hostmaster')} c0 0c                                    #   mname -> @117, rname hostmaster.example.com
    78 a3 f1 75  00 00 1c 20  00 00 0e 10  00 12 75 00  00 00 01 2c           #   serial refresh retry expire minimum
  01 31 01 30 01 30 03 31 32 37 07 ${ascii('in-addr')} 04 ${ascii('arpa')} 00 # @170 1.0.0.127.in-addr.arpa
    00 0c 00 01 00 00 00 3c 00 0b  09 ${ascii('localhost')} 00                #   PTR localhost
  c0 0c 00 41 00 01 00 00 00 3c 00 03  01 02 03                               # @215 type 65, raw
`);
const KITCHEN_SINK_RECORD = {
  id: 0xbeef, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0,
  questions: [{ name: 'example.com', type: dns.TYPE_ANY, class: 1 }],
  answers: [
    { name: 'example.com', type: dns.TYPE_MX, class: 1, ttl: 300, data: { preference: 10, exchange: 'mail.example.com' } },
    { name: 'example.com', type: dns.TYPE_TXT, class: 1, ttl: 300, data: ['v=spf1 -all', 'hi'] },
    { name: 'example.com', type: dns.TYPE_AAAA, class: 1, ttl: 300, data: ipv6FromString('2001:db8::1') },
    { name: 'example.com', type: dns.TYPE_NS, class: 1, ttl: 86400, data: 'ns1.example.com' },
  ],
  authorities: [
    {
      name: 'example.com', type: dns.TYPE_SOA, class: 1, ttl: 3600,
      data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 },
    },
  ],
  additionals: [
    { name: '1.0.0.127.in-addr.arpa', type: dns.TYPE_PTR, class: 1, ttl: 60, data: 'localhost' },
    { name: 'example.com', type: 65, class: 1, ttl: 60, data: hex('01 02 03') },
  ],
};

// --- both directions ---------------------------------------------------------

test('emitQuery: example.com A, byte for byte', () => {
  assert.deepEqual(dns.emitQuery({ id: 0x1234, name: 'example.com', type: dns.TYPE_A }), QUERY);
  assert.deepEqual(dns.emitQuery({ id: 0x1234, name: 'example.com.' }), QUERY); // a trailing dot is the same name
});

test('parse: the query', () => {
  assert.deepEqual(dns.parse(QUERY), {
    id: 0x1234, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
    questions: [{ name: 'example.com', type: 1, class: 1 }], answers: [], authorities: [], additionals: [],
  });
});

test('parse: a compressed CNAME + A response', () => {
  assert.deepEqual(dns.parse(CNAME_RESPONSE), CNAME_RECORD);
});

test('emit: the CNAME + A response, compressed exactly as a server would', () => {
  assert.deepEqual(dns.emit(CNAME_RECORD), CNAME_RESPONSE);
});

test('emitResponse answers a parsed query with its id, question and RD', () => {
  const query = dns.parse(dns.emitQuery({ id: 0x1234, name: 'www.example.com' }));
  const bytes = dns.emitResponse(query, { answers: CNAME_RECORD.answers });
  assert.deepEqual(bytes, CNAME_RESPONSE);
});

test('parse: MX, TXT, AAAA, NS, SOA, PTR and a raw type', () => {
  assert.deepEqual(dns.parse(KITCHEN_SINK), KITCHEN_SINK_RECORD);
});

test('emit: MX, TXT, AAAA, NS, SOA, PTR and a raw type, compressed', () => {
  assert.deepEqual(dns.emit(KITCHEN_SINK_RECORD), KITCHEN_SINK);
});

test('emit without compression writes every name in full and parses the same', () => {
  const plain = dns.emit(KITCHEN_SINK_RECORD, { compress: false });
  assert.ok(plain.length > KITCHEN_SINK.length);
  assert.ok(!plain.includes(0xc0));
  assert.deepEqual(dns.parse(plain), KITCHEN_SINK_RECORD);
});

test('header flags: every bit in its place', () => {
  const h = dns.parseHeader(hex('ff ff 7f bf 00 01 00 02 00 03 00 04'));
  assert.deepEqual(h, {
    id: 0xffff, qr: false, opcode: 15, aa: true, tc: true, rd: true, ra: true, ad: true, cd: true, rcode: 15,
    qdcount: 1, ancount: 2, nscount: 3, arcount: 4,
  });
  const bytes = dns.emit({ id: 7, qr: true, opcode: 2, tc: true, rcode: dns.RCODE_NXDOMAIN });
  assert.deepEqual(bytes, hex('00 07 92 03 00 00 00 00 00 00 00 00'));
});

test('parseHeader reads id and TC even when the body is cut off', () => {
  const cut = CNAME_RESPONSE.slice(0, 40);
  cut[2] |= 0x02; // TC
  assert.equal(reasonOf(() => dns.parse(cut)), 'truncated');
  const h = dns.parseHeader(cut);
  assert.equal(h.id, 0x1234);
  assert.equal(h.tc, true);
});

test('the root name is "." and a long TXT string is split at 255 bytes', () => {
  const bytes = dns.emit({ answers: [{ name: '.', type: dns.TYPE_TXT, data: 'x'.repeat(300) }] });
  const [rr] = dns.parse(bytes).answers;
  assert.equal(rr.name, '.');
  assert.deepEqual(rr.data, ['x'.repeat(255), 'x'.repeat(45)]);
  assert.deepEqual(dns.parse(dns.emitQuery({ id: 1, name: '', type: dns.TYPE_NS })).questions[0].name, '.');
});

test('label bytes that are not plain text are escaped, and emit undoes the escapes', () => {
  // A label "a.b" (with a dot inside), one with a space and a backslash, then "example".
  const bytes = message([1, 0, 0, 0], `03 61 2e 62 04 20 5c ff 41 07 ${ascii('example')} 00 00 01 00 01`);
  const name = dns.parse(bytes).questions[0].name;
  assert.equal(name, 'a\\.b.\\032\\\\\\255A.example');
  assert.deepEqual(dns.emitQuery({ id: 0xabcd, name, rd: true }), bytes);
});

test('compression keeps the case of each name (matching is exact)', () => {
  const bytes = dns.emit({ questions: [{ name: 'WWW.Example.com', type: 1 }], answers: [{ name: 'www.example.com', type: 1, data: 1 }] });
  const parsed = dns.parse(bytes);
  assert.equal(parsed.questions[0].name, 'WWW.Example.com');
  assert.equal(parsed.answers[0].name, 'www.example.com');
});

// --- hostile names -----------------------------------------------------------

test('a pointer to itself is a compression loop', () => {
  const e = (() => {
    try {
      dns.parse(message([1, 0, 0, 0], 'c0 0c 00 01 00 01'));
    } catch (err) {
      return err;
    }
  })();
  assert.ok(e instanceof DnsError);
  assert.ok(e instanceof WireError);
  assert.equal(e.reason, 'compression-loop');
});

test('a pointer back into the name being read is a compression loop', () => {
  // @12: "a" then a pointer to @12.
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], '01 61 c0 0c 00 01 00 01'))), 'compression-loop');
  // The question is "a"; the answer @19 is "b" then a pointer to @19.
  assert.equal(reasonOf(() => dns.parse(message([1, 1, 0, 0], '01 61 00 00 01 00 01  01 62 c0 13 00 01 00 01 00 00 00 00 00 00'))), 'compression-loop');
  // Pointers that each go backwards can still cycle: the name @16 is only a
  // pointer to @12, where "a" and "b" lead to that same pointer again (@16 -> @14).
  assert.equal(reasonOf(() => dns.readName(message([0, 0, 0, 0], '01 61 01 62 c0 0e'), 16)), 'compression-loop');
});

test('a loop made of two names pointing at each other needs a forward pointer, which is refused', () => {
  // @12: "a" -> @16; @16: "b" -> @12.
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], '01 61 c0 10  01 62 c0 0c  00 01 00 01'))), 'forward-pointer');
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], 'c0 20' + ' 00'.repeat(40)))), 'forward-pointer');
});

test('pointers outside the message or into the header are bad pointers', () => {
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], 'c0 ff 00 01 00 01'))), 'bad-pointer');
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], 'ff ff 00 01 00 01'))), 'bad-pointer');
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], 'c0 05 00 01 00 01'))), 'bad-pointer');
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], 'c0'))), 'truncated'); // half a pointer
});

test('reserved label types 01 and 10 are refused', () => {
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], '40 61 00 00 01 00 01'))), 'bad-label');
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], '81 61 00 00 01 00 01'))), 'bad-label');
});

test('names over 255 bytes are refused, also when built from pointers', () => {
  const label = (n) => `${n.toString(16).padStart(2, '0')} ${' 61'.repeat(n)}`;
  // 4 labels of 63: 4 * 64 + 1 = 257 bytes.
  assert.equal(reasonOf(() => dns.parse(message([1, 0, 0, 0], `${label(63)} ${label(63)} ${label(63)} ${label(63)} 00 00 01 00 01`))), 'name-too-long');
  // 3 labels of 63 and one of 61: exactly 255 bytes, fine.
  const ok = dns.parse(message([1, 0, 0, 0], `${label(63)} ${label(63)} ${label(63)} ${label(61)} 00 00 01 00 01`));
  assert.equal(ok.questions[0].name.length, 63 * 3 + 61 + 3);
  // A question of 193 bytes, and an answer adding a 63-byte label in front of it: 257.
  const body = `${label(63)} ${label(63)} ${label(63)} 00 00 01 00 01  ${label(63)} c0 0c 00 01 00 01 00 00 00 00 00 00`;
  assert.equal(reasonOf(() => dns.parse(message([1, 1, 0, 0], body))), 'name-too-long');
});

// Builds bytes where @12 is the root name and each later pair is a pointer to
// the pair before it: following the last one takes `hops` jumps.
function pointerChain(hops) {
  const b = new Uint8Array(13 + 2 * hops);
  for (let i = 0; i < hops; i++) {
    const at = 13 + 2 * i;
    const target = i === 0 ? 12 : at - 2;
    b[at] = 0xc0 | (target >> 8);
    b[at + 1] = target & 0xff;
  }
  return { bytes: b, last: 13 + 2 * (hops - 1) };
}

test('a chain of 127 pointers is read; 128 is too many', () => {
  const ok = pointerChain(127);
  assert.deepEqual(dns.readName(ok.bytes, ok.last), { name: '.', end: ok.last + 2 });
  const tooMany = pointerChain(128);
  assert.equal(reasonOf(() => dns.readName(tooMany.bytes, tooMany.last)), 'too-many-pointers');
});

test('parse time stays linear: 4,000 names each following a 127-pointer chain', () => {
  const n = 4000;
  const hops = 126; // plus the hop from each name to the chain's end: 127
  const out = [];
  const u16 = (v) => out.push(v >> 8, v & 0xff);
  u16(1), u16(0x8000), u16(0), u16(n + 1), u16(0), u16(0); // header: QR, n + 1 answers
  // Answer 0 @12: the root name, type 99, class IN, TTL 0, and RDATA holding the chain.
  out.push(0), u16(99), u16(1), u16(0), u16(0), u16(2 * hops);
  const chainStart = out.length;
  for (let i = 0; i < hops; i++) u16(0xc000 | (i === 0 ? 12 : chainStart + 2 * (i - 1)));
  const last = chainStart + 2 * (hops - 1);
  // Answers 1..n: named by a pointer to the chain's last link, no RDATA.
  for (let i = 0; i < n; i++) u16(0xc000 | last), u16(99), u16(1), u16(0), u16(0), u16(0);
  const started = Date.now();
  const parsed = dns.parse(Uint8Array.from(out));
  const took = Date.now() - started;
  assert.equal(parsed.answers.length, n + 1);
  assert.equal(parsed.answers[n].name, '.');
  assert.ok(took < 2000, `took ${took} ms`);
});

// --- truncation and bad RDATA --------------------------------------------

test('every prefix of a valid response is truncated, with the place named', () => {
  for (let n = 0; n < KITCHEN_SINK.length; n++) {
    assert.equal(reasonOf(() => dns.parse(KITCHEN_SINK.subarray(0, n))), 'truncated', `prefix of ${n} bytes`);
  }
  assert.throws(() => dns.parse(KITCHEN_SINK.subarray(0, 60)), /answers\[1\]/);
  assert.throws(() => dns.parse(message([0, 65535, 0, 0], '')), /truncated/);
});

test('RDATA that does not fill its length exactly is bad-rdata', () => {
  const rr = (type, rdata) => {
    const data = hex(rdata);
    // Four spare bytes after the RDATA, so a name that overruns it is not simply truncated.
    return message([0, 1, 0, 0], `00 00 ${type} 00 01 00 00 00 00 00 ${data.length.toString(16).padStart(2, '0')} ${rdata} 00 00 00 00`);
  };
  assert.equal(reasonOf(() => dns.parse(rr('01', '01 02 03 04 05'))), 'bad-rdata'); // A of 5 bytes
  assert.equal(reasonOf(() => dns.parse(rr('1c', '01 02 03 04'))), 'bad-rdata'); // AAAA of 4
  assert.equal(reasonOf(() => dns.parse(rr('05', '01 61 00 ff'))), 'bad-rdata'); // CNAME with a spare byte
  assert.equal(reasonOf(() => dns.parse(rr('05', '03 61'))), 'bad-rdata'); // name running past RDLENGTH
  assert.equal(reasonOf(() => dns.parse(rr('0f', '00 0a'))), 'bad-rdata'); // MX without a name
  assert.equal(reasonOf(() => dns.parse(rr('10', '05 61 62'))), 'bad-rdata'); // TXT string overrun
  assert.equal(reasonOf(() => dns.parse(rr('06', '00 00 00 00 00 01'))), 'bad-rdata'); // SOA too short
  assert.deepEqual(dns.parse(rr('10', '')).answers[0].data, []);
});

test('emit refuses names and records it cannot encode', () => {
  const q = (name) => () => dns.emitQuery({ id: 1, name });
  assert.equal(reasonOf(q('a..b')), 'bad-name');
  assert.equal(reasonOf(q('.a')), 'bad-name');
  assert.equal(reasonOf(q('x'.repeat(64) + '.com')), 'bad-name');
  assert.equal(reasonOf(q(Array(128).fill('a').join('.'))), 'bad-name'); // 257 bytes
  assert.equal(reasonOf(q('bücher.example')), 'bad-name'); // use punycode
  assert.equal(reasonOf(q('a\\')), 'bad-name');
  assert.equal(reasonOf(q('a\\300')), 'bad-name');
  assert.equal(reasonOf(q(7)), 'bad-name');
  assert.equal(reasonOf(() => dns.emit({ answers: [{ name: 'a', type: 1, data: '1.2.3.4' }] })), 'bad-record');
  assert.equal(reasonOf(() => dns.emit({ answers: [{ name: 'a', type: 28, data: new Uint8Array(4) }] })), 'bad-record');
  assert.equal(reasonOf(() => dns.emit({ answers: [{ name: 'a', type: 99, data: 'raw' }] })), 'bad-record');
  assert.equal(reasonOf(() => dns.emit({ id: 65536 })), 'bad-record');
  assert.throws(() => dns.emit({ answers: [{ name: 'a', type: 1, ttl: -1, data: 1 }] }), /ttl must be an integer/);
  for (const bad of [() => dns.emitQuery({ name: 'a' }), () => dns.parse([1, 2]), () => dns.emitQuery({ id: 1, name: 'a..b' })]) {
    try {
      bad();
      assert.ok(false, 'no exception');
    } catch (e) {
      assert.ok(e instanceof DnsError, `${e} is not a DnsError`);
    }
  }
});

test('fuzz: 2,000 random and mutated messages throw only WireError', () => {
  const seeds = [QUERY, CNAME_RESPONSE, KITCHEN_SINK];
  const parse = (b) => {
    try {
      return dns.parse(b);
    } catch (e) {
      if (!(e instanceof DnsError)) throw new Error(`not a DnsError: ${e}`);
      throw e;
    }
  };
  assert.ok(fuzz(parse, seeds) > 100);
});
