// Unit tests for kernel/net/resolver.js (RFC 1034 §5.3, RFC 2308, RFC 5452)
// and kernel/net/hosts-file.js, against fake sockets with the UdpSocket shape
// that record what the resolver sends (parsed back with wire/dns.js) and
// answer with real DNS bytes from dns.emitResponse, with time moved by hand.
const dns = require('/kernel/net/wire/dns');
const { Resolver } = require('/kernel/net/resolver');
const { parseHosts } = require('/kernel/net/hosts-file');
const { ManualClock } = require('/tests/lib/manual-clock');
const { reasonOf } = require('/tests/lib/wire-test');
const { ipFromString: ip, ipv6FromString } = require('/kernel/net/wire/ip-address');

const DNS1 = ip('10.0.2.3');
const DNS2 = ip('10.0.2.4');
const GW = ip('10.0.2.2');
const { TYPE_A: A, TYPE_AAAA: AAAA, TYPE_CNAME: CNAME, TYPE_MX: MX, TYPE_TXT: TXT, TYPE_SOA: SOA } = dns;

// Sockets that keep every datagram sent ({ socket, address, port, at, query })
// and let a test deliver replies (socket.messageHandler) and ICMP errors
// (socket.errorHandler). `net.status` is what sendTo() returns.
function fakeNet(time) {
  const net = { sockets: [], sent: [], status: 'sent' };
  let nextPort = 49152;
  net.openSocket = () => {
    const socket = {
      port: 0,
      closed: false,
      messageHandler: null,
      errorHandler: null,
      bind(port) {
        this.port = port || nextPort++;
        return this.port;
      },
      sendTo(address, port, bytes) {
        if (this.closed) throw new Error('EBADF: socket is closed');
        net.sent.push({ socket, address, port, at: time.now, query: dns.parse(bytes) });
        return net.status;
      },
      onMessage(fn) {
        this.messageHandler = fn;
      },
      onError(fn) {
        this.errorHandler = fn;
      },
      close() {
        this.closed = true;
      },
    };
    net.sockets.push(socket);
    return socket;
  };
  return net;
}

function setup({ servers = [DNS1], hosts, random = () => 0.5, ...options } = {}) {
  const time = new ManualClock(0);
  const net = fakeNet(time);
  const logs = [];
  const resolver = new Resolver({
    openSocket: net.openSocket,
    servers: () => servers,
    clock: time.clock,
    timers: time.timers,
    random,
    hosts,
    log: (line) => logs.push(line),
    ...options,
  });
  return { time, net, resolver, logs, servers, take: () => net.sent.splice(0) };
}

// The one query sent since the last take().
function sentQuery(env) {
  const sent = env.take();
  assert.equal(sent.length, 1, `expected one query, got ${sent.length}`);
  return sent[0];
}

// A datagram to the socket a query left from; by default from the server it went to, port 53.
// A closed socket hears nothing, as with the real table.
function deliver(sent, bytes, { address = sent.address, port = 53 } = {}) {
  if (!sent.socket.closed) sent.socket.messageHandler(bytes, { address, port });
}

// The server's reply to a sent query (dns.emitResponse's fields: answers, authorities, rcode).
function answer(sent, fields = {}, from) {
  deliver(sent, dns.emitResponse(sent.query, fields), from);
}

const rr = (name, type, data, ttl = 300) => ({ name, type, class: dns.CLASS_IN, ttl, data });
const soa = (zone, minimum, ttl = 3600) =>
  rr(zone, SOA, { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 900, expire: 1209600, minimum }, ttl);
// A reply with TC set (emitResponse has no option for it).
const truncatedReply = (sent, answers = []) =>
  dns.emit({ id: sent.query.id, qr: true, tc: true, rd: true, ra: true, questions: sent.query.questions, answers });
const codeOf = (promise) => promise.then(() => 'resolved', (e) => e.code);

// Whether a promise has settled, for checking that nothing happens early.
function track(promise) {
  const state = { settled: false };
  promise.then(() => (state.settled = true), () => (state.settled = true));
  return state;
}
const microtasks = async () => {
  for (let i = 0; i < 5; i++) await null;
};

// --- questions and answers ----------------------------------------------------------

test('an A query goes to the server on port 53 from an ephemeral port, with a random id and RD', async () => {
  const env = setup({ random: () => 0.25 });
  const result = env.resolver.query('example.com');
  const sent = sentQuery(env);
  assert.equal(sent.address, DNS1);
  assert.equal(sent.port, 53);
  assert.equal(sent.socket.port, 49152);
  assert.deepEqual(sent.query, {
    id: 0x4000, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
    questions: [{ name: 'example.com', type: A, class: 1 }], answers: [], authorities: [], additionals: [],
  });
  env.time.advance(0.012);
  answer(sent, { answers: [rr('example.com', A, ip('93.184.216.34'), 3600)] });
  assert.deepEqual(await result, {
    name: 'example.com',
    type: 'A',
    answers: [{ name: 'example.com', type: 'A', ttl: 3600, data: '93.184.216.34' }],
    aliases: [],
    source: 'network',
    server: '10.0.2.3',
    rttMs: 12,
  });
  assert.equal(sent.socket.closed, true, 'the socket is closed once answered');
  assert.deepEqual(env.time.delays(), [], 'and its retry timer cancelled');
  assert.deepEqual(env.resolver.stats(), {
    queries: 1, sent: 1, received: 1, cacheHits: 0, cacheEntries: 1, timeouts: 0, retries: 0, errors: 0, ignored: 0, unreachable: 0,
  });
});

test('AAAA answers are RFC 5952 text; the name is lower-cased and its trailing dot dropped', async () => {
  const env = setup();
  const result = env.resolver.query('WWW.Example.COM.', 'aaaa');
  const sent = sentQuery(env);
  assert.deepEqual(sent.query.questions, [{ name: 'www.example.com', type: AAAA, class: 1 }]);
  answer(sent, {
    answers: [
      rr('www.example.com', AAAA, ipv6FromString('2001:0DB8:0:0:1:0:0:1')),
      rr('www.example.com', AAAA, ipv6FromString('FE80:0:0:0:0:0:0:0A')),
    ],
  });
  const r = await result;
  assert.equal(r.type, 'AAAA');
  assert.deepEqual(r.answers.map((a) => [a.type, a.data]), [['AAAA', '2001:db8::1:0:0:1'], ['AAAA', 'fe80::a']]);
});

test('query types may be named in any case or given as numbers', () => {
  const env = setup();
  env.resolver.query('a.example', 'mx');
  env.resolver.query('b.example', 28);
  env.resolver.query('c.example', '5');
  env.resolver.query('d.example', 'Txt');
  assert.deepEqual(env.take().map((s) => s.query.questions[0].type), [MX, AAAA, CNAME, TXT]);
});

test('a CNAME chain within one answer is followed; records off the chain are not believed', async () => {
  const env = setup();
  const result = env.resolver.query('www.example.com');
  answer(sentQuery(env), {
    answers: [
      rr('www.example.com', CNAME, 'web.example.com'),
      rr('WEB.example.com', CNAME, 'example.com'),
      rr('example.com', A, ip('93.184.216.34')),
      rr('example.com', AAAA, ipv6FromString('2001:db8::1')), // not the type asked
      rr('elsewhere.example', A, ip('6.6.6.6')), // not on the chain
    ],
  });
  const r = await result;
  assert.deepEqual(r.aliases, [['www.example.com', 'web.example.com'], ['WEB.example.com', 'example.com']]);
  assert.deepEqual(r.answers, [{ name: 'example.com', type: 'A', ttl: 300, data: '93.184.216.34' }]);
  assert.deepEqual(env.take(), [], 'one exchange was enough');
});

test('an answer that stops at a CNAME is followed by a query for its target, on a new socket and id', async () => {
  const randoms = [0.1, 0.9];
  const env = setup({ random: () => randoms.shift() });
  const result = env.resolver.query('www.example.net');
  const first = sentQuery(env);
  assert.equal(first.query.id, 0x1999);
  env.time.advance(0.01);
  answer(first, { answers: [rr('www.example.net', CNAME, 'cdn.example.org', 60)] });
  const second = sentQuery(env);
  assert.equal(first.socket.closed, true);
  assert.notEqual(second.socket, first.socket);
  assert.equal(second.socket.port, 49153);
  assert.equal(second.query.id, 0xe666);
  assert.deepEqual(second.query.questions, [{ name: 'cdn.example.org', type: A, class: 1 }]);
  env.time.advance(0.02);
  answer(second, { answers: [rr('cdn.example.org', A, ip('192.0.2.7'), 600)] });
  const r = await result;
  assert.deepEqual(r.aliases, [['www.example.net', 'cdn.example.org']]);
  assert.deepEqual(r.answers, [{ name: 'cdn.example.org', type: 'A', ttl: 600, data: '192.0.2.7' }]);
  assert.deepEqual([r.source, r.server, r.rttMs], ['network', '10.0.2.3', 30]);
  // Both the whole chain and its last step are now cached.
  const again = await env.resolver.query('www.example.net');
  assert.deepEqual([again.source, again.aliases, again.answers[0].data], ['cache', [['www.example.net', 'cdn.example.org']], '192.0.2.7']);
  assert.equal((await env.resolver.query('cdn.example.org')).source, 'cache');
  assert.deepEqual(env.take(), []);
});

test('a CNAME loop in one answer rejects with ELOOP', async () => {
  const env = setup();
  const result = env.resolver.query('a.example');
  answer(sentQuery(env), { answers: [rr('a.example', CNAME, 'b.example'), rr('b.example', CNAME, 'a.example')] });
  const error = await result.catch((e) => e);
  assert.equal(error.code, 'ELOOP');
  assert.equal(error.message, 'CNAME loop: a.example -> b.example -> a.example');
  assert.equal(env.resolver.stats().cacheEntries, 0, 'not cached');
});

test('a CNAME loop spread over two queries is caught too', async () => {
  const env = setup();
  const result = env.resolver.query('a.example');
  answer(sentQuery(env), { answers: [rr('a.example', CNAME, 'b.example')] });
  answer(sentQuery(env), { answers: [rr('b.example', CNAME, 'A.example')] });
  const error = await result.catch((e) => e);
  assert.equal(error.code, 'ELOOP');
  assert.equal(error.message, 'CNAME loop: a.example -> b.example -> a.example');
  assert.deepEqual(env.take(), []);
});

test('a CNAME chain of 8 hops is followed; 9 is too many', async () => {
  const chain = (hops) => [
    ...Array.from({ length: hops }, (_, i) => rr(`h${i}.example`, CNAME, `h${i + 1}.example`)),
    rr(`h${hops}.example`, A, GW),
  ];
  const env = setup();
  const eight = env.resolver.query('h0.example');
  answer(sentQuery(env), { answers: chain(8) });
  const r = await eight;
  assert.equal(r.aliases.length, 8);
  assert.equal(r.answers[0].data, '10.0.2.2');
  env.resolver.flush();
  const nine = env.resolver.query('h0.example');
  answer(sentQuery(env), { answers: chain(9) });
  const error = await nine.catch((e) => e);
  assert.equal(error.code, 'ELOOP');
  assert.ok(/longer than 8 hops/.test(error.message), error.message);
});

test('MX answers are { preference, exchange }', async () => {
  const env = setup();
  const result = env.resolver.query('example.com', 'MX');
  answer(sentQuery(env), {
    answers: [
      rr('example.com', MX, { preference: 10, exchange: 'mail.example.com' }, 3600),
      rr('example.com', MX, { preference: 20, exchange: 'backup.example.net' }, 3600),
    ],
  });
  assert.deepEqual((await result).answers, [
    { name: 'example.com', type: 'MX', ttl: 3600, data: { preference: 10, exchange: 'mail.example.com' } },
    { name: 'example.com', type: 'MX', ttl: 3600, data: { preference: 20, exchange: 'backup.example.net' } },
  ]);
});

test('TXT answers are the record\'s character-strings, UTF-8 decoded', async () => {
  const env = setup();
  const result = env.resolver.query('example.com', 'TXT');
  answer(sentQuery(env), { answers: [rr('example.com', TXT, ['v=spf1 -all', 'h\u00e9llo']), rr('example.com', TXT, [''])] });
  assert.deepEqual((await result).answers.map((a) => a.data), [['v=spf1 -all', 'h\u00e9llo'], ['']]);
});

test('a CNAME query returns the CNAME record itself, without following it', async () => {
  const env = setup();
  const result = env.resolver.query('www.example.com', 'CNAME');
  answer(sentQuery(env), { answers: [rr('www.example.com', CNAME, 'example.com')] });
  const r = await result;
  assert.deepEqual(r.answers, [{ name: 'www.example.com', type: 'CNAME', ttl: 300, data: 'example.com' }]);
  assert.deepEqual(r.aliases, []);
  assert.deepEqual(env.take(), []);
});

// --- negative answers and server failures ----------------------------------------------

test('NXDOMAIN rejects with code NXDOMAIN and rcode 3', async () => {
  const env = setup();
  const result = env.resolver.query('nosuch.example');
  answer(sentQuery(env), { rcode: dns.RCODE_NXDOMAIN });
  const error = await result.catch((e) => e);
  assert.equal(error.code, 'NXDOMAIN');
  assert.equal(error.rcode, 3);
  assert.equal(error.aliases, undefined);
  assert.equal(env.resolver.stats().errors, 1);
});

test('NXDOMAIN at the end of a CNAME chain carries the aliases followed', async () => {
  const env = setup();
  const result = env.resolver.query('www.example.com');
  answer(sentQuery(env), { rcode: dns.RCODE_NXDOMAIN, answers: [rr('www.example.com', CNAME, 'gone.example.com')] });
  const error = await result.catch((e) => e);
  assert.equal(error.code, 'NXDOMAIN');
  assert.deepEqual(error.aliases, [['www.example.com', 'gone.example.com']]);
});

test('NOERROR without records of the type (NODATA) resolves with no answers', async () => {
  const env = setup();
  const result = env.resolver.query('example.com', 'MX');
  answer(sentQuery(env), { authorities: [soa('example.com', 60)] });
  const r = await result;
  assert.deepEqual([r.type, r.answers, r.aliases, r.source], ['MX', [], [], 'network']);
});

test('SERVFAIL and REFUSED from the only server reject at once with their rcode', async () => {
  const env = setup();
  const servfail = env.resolver.query('broken.example');
  answer(sentQuery(env), { rcode: dns.RCODE_SERVFAIL });
  const e1 = await servfail.catch((e) => e);
  assert.deepEqual([e1.code, e1.rcode], ['SERVFAIL', 2]);
  const refused = env.resolver.query('private.example');
  answer(sentQuery(env), { rcode: dns.RCODE_REFUSED });
  const e2 = await refused.catch((e) => e);
  assert.deepEqual([e2.code, e2.rcode], ['REFUSED', 5]);
  assert.deepEqual(env.take(), [], 'no retries to a server that said no');
  assert.equal(env.resolver.stats().cacheEntries, 0, 'failures are not cached');
});

test('after a SERVFAIL the next server is asked at once, and its answer used', async () => {
  const env = setup({ servers: [DNS1, DNS2] });
  const result = env.resolver.query('example.com');
  answer(sentQuery(env), { rcode: dns.RCODE_SERVFAIL });
  const second = sentQuery(env);
  assert.deepEqual([second.address, second.at], [DNS2, 0]);
  answer(second, { answers: [rr('example.com', A, GW)] });
  assert.equal((await result).server, '10.0.2.4');
});

// --- timeouts, retries and unreachable servers -------------------------------------------

test('with no answer the query is sent 3 times, 1 s apart, and rejects with ETIMEDOUT at 3 s', async () => {
  const env = setup();
  const result = env.resolver.query('example.com');
  const state = track(result);
  const sent = [];
  for (let i = 0; i < 5; i++) {
    sent.push(...env.take());
    env.time.advance(0.5);
    await microtasks();
    assert.equal(state.settled, false, `settled early, at ${env.time.now} s`);
  }
  env.time.advance(0.5);
  const error = await result.catch((e) => e);
  sent.push(...env.take());
  assert.deepEqual(sent.map((s) => [s.at, s.address]), [[0, DNS1], [1, DNS1], [2, DNS1]]);
  assert.equal(new Set(sent.map((s) => s.socket)).size, 1, 'one socket');
  assert.equal(new Set(sent.map((s) => s.query.id)).size, 1, 'one id: a late reply to any try is good');
  assert.equal(error.code, 'ETIMEDOUT');
  assert.equal(error.message, 'connection timed out; no servers could be reached (3 tries to 10.0.2.3)');
  assert.equal(sent[0].socket.closed, true);
  const stats = env.resolver.stats();
  assert.deepEqual([stats.sent, stats.timeouts, stats.retries, stats.errors], [3, 3, 2, 1]);
  assert.deepEqual(env.logs, ['resolver: example.com A: connection timed out; no servers could be reached (3 tries to 10.0.2.3)']);
});

test('timeoutMs and attempts set the schedule; every server is tried in turn each round', async () => {
  const env = setup({ servers: [DNS1, DNS2], timeoutMs: 500, attempts: 2 });
  const result = env.resolver.query('example.com');
  env.time.advance(10);
  const error = await result.catch((e) => e);
  assert.deepEqual(env.take().map((s) => [s.at, s.address]), [[0, DNS1], [0.5, DNS2], [1, DNS1], [1.5, DNS2]]);
  assert.equal(error.code, 'ETIMEDOUT');
  assert.ok(error.message.endsWith('(4 tries to 10.0.2.3, 10.0.2.4)'), error.message);
});

test('when the first server is silent the second is asked, and answers', async () => {
  const env = setup({ servers: [DNS1, DNS2] });
  const result = env.resolver.query('example.com');
  const first = sentQuery(env);
  env.time.advance(1);
  const second = sentQuery(env);
  assert.deepEqual([second.address, second.at], [DNS2, 1]);
  env.time.advance(0.25);
  answer(second, { answers: [rr('example.com', A, GW)] });
  const r = await result;
  assert.deepEqual([r.server, r.rttMs], ['10.0.2.4', 1250]);
  assert.equal(first.socket.closed, true);
  assert.deepEqual(env.time.delays(), []);
  assert.equal(env.resolver.stats().timeouts, 1);
});

test('a late reply from the first server is still accepted while the second is being asked', async () => {
  const env = setup({ servers: [DNS1, DNS2] });
  const result = env.resolver.query('example.com');
  const first = sentQuery(env);
  env.time.advance(1);
  sentQuery(env);
  answer(first, { answers: [rr('example.com', A, GW)] });
  assert.equal((await result).server, '10.0.2.3');
});

test('ICMP port unreachable from a server moves on at once, and that server is not asked again', async () => {
  const env = setup({ servers: [DNS1, DNS2] });
  const result = env.resolver.query('example.com');
  const first = sentQuery(env);
  first.socket.errorHandler({ type: 3, code: 3, address: DNS1, port: 5353 }); // not about our datagram
  assert.deepEqual(env.take(), []);
  first.socket.errorHandler({ type: 3, code: 3, address: DNS1, port: 53 });
  assert.deepEqual(env.take().map((s) => [s.at, s.address]), [[0, DNS2]]);
  env.time.advance(5);
  assert.deepEqual(env.take().map((s) => [s.at, s.address]), [[1, DNS2], [2, DNS2]]);
  const error = await result.catch((e) => e);
  assert.equal(error.code, 'ETIMEDOUT');
  const why = '4 tries to 10.0.2.3, 10.0.2.4; 10.0.2.3: port unreachable';
  assert.equal(error.message, `connection timed out; no servers could be reached (${why})`);
  assert.equal(env.time.now, 5);
  assert.equal(env.resolver.stats().unreachable, 1);
});

test('with the only server unreachable the query fails at once', async () => {
  const env = setup();
  const result = env.resolver.query('example.com');
  sentQuery(env).socket.errorHandler({ type: 3, code: 3, address: DNS1, port: 53 });
  const error = await result.catch((e) => e);
  assert.equal(error.code, 'ETIMEDOUT');
  assert.ok(error.message.endsWith('(1 try to 10.0.2.3; 10.0.2.3: port unreachable)'), error.message);
  assert.deepEqual(env.time.delays(), []);
});

test('a datagram that cannot be sent (no route) moves on at once instead of waiting', async () => {
  const env = setup();
  env.net.status = 'no-route';
  const error = await env.resolver.query('example.com').catch((e) => e);
  assert.equal(env.take().length, 3);
  assert.equal(error.code, 'ETIMEDOUT');
  assert.ok(error.message.endsWith('(3 tries to 10.0.2.3; last send: no-route)'), error.message);
  const stats = env.resolver.stats();
  assert.deepEqual([stats.sent, stats.retries, stats.timeouts], [0, 2, 0]);
});

// --- replies that are not ours ------------------------------------------------------------

test('replies with the wrong id, source, question or flags are counted and ignored', async () => {
  const env = setup();
  const result = env.resolver.query('example.com');
  const state = track(result);
  const sent = sentQuery(env);
  const q = sent.query;
  const good = { answers: [rr('example.com', A, GW)] };
  deliver(sent, dns.emitResponse({ ...q, id: q.id ^ 1 }, good));
  answer(sent, good, { address: DNS2 });
  answer(sent, good, { port: 5353 });
  deliver(sent, dns.emitResponse({ ...q, questions: [{ name: 'evil.example', type: A, class: 1 }] }, good));
  deliver(sent, dns.emitResponse({ ...q, questions: [{ name: 'example.com', type: AAAA, class: 1 }] }, good));
  deliver(sent, dns.emitResponse({ ...q, questions: [{ name: 'example.com', type: A, class: 3 }] }, good));
  deliver(sent, dns.emitResponse({ ...q, questions: [] }, good));
  deliver(sent, dns.emit({ ...q, answers: good.answers })); // QR clear: a query, not a reply
  await microtasks();
  assert.equal(state.settled, false);
  assert.equal(env.resolver.stats().ignored, 8);
  // DNS 0x20: a server may echo the question in other letters' case.
  deliver(sent, dns.emitResponse({ ...q, questions: [{ name: 'EXAMPLE.com', type: A, class: 1 }] }, good));
  assert.equal((await result).answers[0].data, '10.0.2.2');
  assert.deepEqual([env.resolver.stats().received, env.resolver.stats().ignored], [1, 8]);
});

test('malformed replies (a compression loop, a cut record, a stub) are counted and ignored; the real one still counts', async () => {
  const env = setup();
  const result = env.resolver.query('example.com');
  const sent = sentQuery(env);
  const good = dns.emitResponse(sent.query, { answers: [rr('example.com', A, GW)] });
  // The answer's name is at 12 + 13 (example.com) + 4: make it a pointer to itself.
  assert.deepEqual([good[29], good[30]], [0xc0, 12], 'the name points at the question');
  const loop = good.slice();
  loop[30] = 29;
  assert.equal(reasonOf(() => dns.parse(loop)), 'compression-loop');
  const cut = good.slice(0, good.length - 2);
  assert.equal(reasonOf(() => dns.parse(cut)), 'truncated');
  deliver(sent, loop);
  deliver(sent, cut);
  deliver(sent, good.slice(0, 3));
  deliver(sent, new Uint8Array(0));
  assert.equal(env.resolver.stats().ignored, 4);
  deliver(sent, good);
  assert.equal((await result).answers[0].data, '10.0.2.2');
  assert.equal(env.resolver.stats().received, 1);
});

test('a truncated (TC) reply is used for the answers it holds, but not cached', async () => {
  const env = setup();
  const first = env.resolver.query('big.example');
  const sent = sentQuery(env);
  deliver(sent, truncatedReply(sent, [rr('big.example', A, GW)]));
  assert.deepEqual((await first).answers.map((a) => a.data), ['10.0.2.2']);
  env.resolver.query('big.example');
  assert.equal(env.take().length, 1, 'asked again: nothing was cached');
});

test('a truncated reply with no usable answer, even one cut inside a record, rejects with ETRUNCATED', async () => {
  const env = setup();
  const empty = env.resolver.query('big.example');
  let sent = sentQuery(env);
  deliver(sent, truncatedReply(sent));
  assert.equal(await codeOf(empty), 'ETRUNCATED');

  const cut = env.resolver.query('big.example', 'TXT');
  sent = sentQuery(env);
  const bytes = truncatedReply(sent, [rr('big.example', TXT, ['x'.repeat(200)])]).slice(0, 100);
  assert.equal(reasonOf(() => dns.parse(bytes)), 'truncated');
  deliver(sent, bytes);
  assert.equal(await codeOf(cut), 'ETRUNCATED');
  assert.equal(env.resolver.stats().ignored, 0);
});

// --- the cache -------------------------------------------------------------------------

test('a cached answer is served without a query, its TTL counted down', async () => {
  const env = setup();
  const first = env.resolver.query('example.com');
  answer(sentQuery(env), { answers: [rr('example.com', A, GW, 300)] });
  await first;
  env.time.advance(100.4);
  const r = await env.resolver.query('EXAMPLE.com.');
  assert.deepEqual(env.take(), []);
  assert.deepEqual(r, {
    name: 'example.com',
    type: 'A',
    answers: [{ name: 'example.com', type: 'A', ttl: 200, data: '10.0.2.2' }],
    aliases: [],
    source: 'cache',
    server: null,
    rttMs: 0,
  });
  assert.equal(env.resolver.stats().cacheHits, 1);
});

test('a cached answer expires with its TTL', async () => {
  const env = setup();
  const first = env.resolver.query('example.com');
  answer(sentQuery(env), { answers: [rr('example.com', A, GW, 300)] });
  await first;
  env.time.advance(299.5);
  assert.equal((await env.resolver.query('example.com')).answers[0].ttl, 1);
  env.time.advance(0.5);
  assert.equal(env.resolver.stats().cacheEntries, 0);
  env.resolver.query('example.com');
  assert.equal(env.take().length, 1, 'asked again at 300 s');
});

test('the smallest TTL on a CNAME chain decides how long it is cached', async () => {
  const env = setup();
  const first = env.resolver.query('www.example.com');
  answer(sentQuery(env), { answers: [rr('www.example.com', CNAME, 'example.com', 60), rr('example.com', A, GW, 3600)] });
  await first;
  env.time.advance(59);
  const cached = await env.resolver.query('www.example.com');
  assert.deepEqual(cached.aliases, [['www.example.com', 'example.com']]);
  assert.equal(cached.answers[0].ttl, 1, 'no record outlives the entry');
  env.time.advance(1);
  env.resolver.query('www.example.com');
  assert.equal(env.take().length, 1);
});

test('TTLs over a day are cached for a day', async () => {
  const env = setup();
  const first = env.resolver.query('example.com');
  answer(sentQuery(env), { answers: [rr('example.com', A, GW, 7 * 86400)] });
  assert.equal((await first).answers[0].ttl, 7 * 86400, 'reported as received');
  env.time.advance(86399);
  assert.equal((await env.resolver.query('example.com')).answers[0].ttl, 1);
  env.time.advance(1);
  env.resolver.query('example.com');
  assert.equal(env.take().length, 1);
});

test('NXDOMAIN and NODATA are cached for the SOA minimum (RFC 2308); without an SOA, not at all', async () => {
  const env = setup();
  const nx = env.resolver.query('nosuch.example');
  answer(sentQuery(env), { rcode: dns.RCODE_NXDOMAIN, authorities: [soa('example', 30)] });
  assert.equal(await codeOf(nx), 'NXDOMAIN');
  env.time.advance(29);
  const cached = await env.resolver.query('nosuch.example').catch((e) => e);
  assert.deepEqual([cached.code, cached.rcode], ['NXDOMAIN', 3]);
  assert.deepEqual(env.take(), []);
  env.time.advance(1);
  const again = env.resolver.query('nosuch.example');
  answer(sentQuery(env), { rcode: dns.RCODE_NXDOMAIN }); // asked again at 30 s
  assert.equal(await codeOf(again), 'NXDOMAIN');

  const nodata = env.resolver.query('example.com', 'AAAA');
  answer(sentQuery(env), { authorities: [soa('example.com', 600, 120)] }); // the SOA's own TTL is smaller
  await nodata;
  env.time.advance(119);
  const r = await env.resolver.query('example.com', 'AAAA');
  assert.deepEqual([r.answers, r.source], [[], 'cache']);
  env.time.advance(1);
  env.resolver.query('example.com', 'AAAA');
  assert.equal(env.take().length, 1);

  const bare = env.resolver.query('bare.example');
  answer(sentQuery(env), { rcode: dns.RCODE_NXDOMAIN });
  await codeOf(bare);
  env.resolver.query('bare.example');
  assert.equal(env.take().length, 1, 'no SOA: not cached');
});

test('the cache holds at most cacheLimit entries, dropping the oldest', async () => {
  const env = setup({ cacheLimit: 2 });
  const ask = async (name) => {
    const result = env.resolver.query(name);
    const sent = env.take();
    if (sent.length) answer(sent[0], { answers: [rr(name, A, GW)] });
    return [(await result).source, sent.length];
  };
  assert.deepEqual(await ask('a.example'), ['network', 1]);
  assert.deepEqual(await ask('b.example'), ['network', 1]);
  assert.deepEqual(await ask('c.example'), ['network', 1]);
  assert.equal(env.resolver.stats().cacheEntries, 2);
  assert.deepEqual(await ask('b.example'), ['cache', 0]);
  assert.deepEqual(await ask('a.example'), ['network', 1], 'a was dropped for c');
  assert.deepEqual(await ask('b.example'), ['network', 1], 'then b for a');
  assert.deepEqual(await ask('a.example'), ['cache', 0]);
});

test('flush() empties the cache', async () => {
  const env = setup();
  const first = env.resolver.query('example.com');
  answer(sentQuery(env), { answers: [rr('example.com', A, GW)] });
  await first;
  env.resolver.flush();
  assert.equal(env.resolver.stats().cacheEntries, 0);
  env.resolver.query('example.com');
  assert.equal(env.take().length, 1);
});

test('identical queries at the same time share one exchange', async () => {
  const env = setup();
  const one = env.resolver.query('example.com');
  const two = env.resolver.query('EXAMPLE.com.', 1);
  const other = env.resolver.query('example.com', 'AAAA');
  const sent = env.take();
  assert.deepEqual(sent.map((s) => s.query.questions[0].type), [A, AAAA]);
  answer(sent[0], { answers: [rr('example.com', A, GW)] });
  assert.equal((await one).answers[0].data, '10.0.2.2');
  assert.equal((await two).answers[0].data, '10.0.2.2');
  answer(sent[1], {});
  assert.deepEqual((await other).answers, []);
  assert.equal(env.resolver.stats().queries, 3);
});

// --- /etc/hosts ------------------------------------------------------------------------

const HOSTS = `# /etc/hosts
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
10.0.2.2 gateway GW.local.   # slirp's router
`;

test('/etc/hosts answers A and AAAA before the cache and the network, in any case', async () => {
  let text = HOSTS;
  const env = setup({ hosts: () => text });
  const r = await env.resolver.query('GW.LOCAL.');
  assert.deepEqual(r, {
    name: 'gw.local',
    type: 'A',
    answers: [{ name: 'gw.local', type: 'A', ttl: 0, data: '10.0.2.2' }],
    aliases: [],
    source: 'hosts',
    server: null,
    rttMs: 0,
  });
  assert.deepEqual((await env.resolver.query('localhost', 'AAAA')).answers.map((a) => a.data), ['::1']);
  assert.deepEqual(env.take(), []);
  // Read on every query: an edit wins over what the cache holds.
  const cached = env.resolver.query('example.com');
  answer(sentQuery(env), { answers: [rr('example.com', A, ip('93.184.216.34'))] });
  await cached;
  text += '192.0.2.1 example.com\n';
  const r2 = await env.resolver.query('example.com');
  assert.deepEqual([r2.source, r2.answers[0].data], ['hosts', '192.0.2.1']);
  assert.deepEqual(env.take(), []);
  assert.equal(env.resolver.stats().sent, 1);
});

test('names in /etc/hosts without an address of the asked family, and other types, go to DNS', () => {
  const env = setup({ hosts: () => HOSTS });
  env.resolver.query('gateway', 'AAAA');
  env.resolver.query('localhost', 'MX');
  assert.deepEqual(env.take().map((s) => s.query.questions[0]), [
    { name: 'gateway', type: AAAA, class: 1 },
    { name: 'localhost', type: MX, class: 1 },
  ]);
});

test('an /etc/hosts that cannot be read is taken as empty', async () => {
  const env = setup({ hosts: () => { throw new Error('ENOENT'); } });
  const result = env.resolver.query('localhost');
  answer(sentQuery(env), { answers: [rr('localhost', A, ip('127.0.0.1'))] });
  assert.equal((await result).source, 'network');
});

test('parseHosts: comments, several names a line, both families, duplicates, bad lines skipped', () => {
  const table = parseHosts([
    '# /etc/hosts',
    '127.0.0.1\tlocalhost  loopback   # the usual',
    '::1 localhost ip6-localhost ip6-loopback',
    '10.0.2.2 Gateway.Local. gw',
    '10.0.2.2 gw                       # a repeat adds nothing',
    '10.0.2.3 gw\r',
    '2001:DB8:0:0:0:0:0:1 six',
    '   # an indented comment',
    '',
    '300.1.1.1 bad-octet',
    '010.0.0.1 leading-zero',
    'fe80::1%eth0 zoned',
    '::ffff:1.2.3.4 mapped',
    '10.0.0.9',
    'not-an-address name',
    '10.0.0.8 .',
  ].join('\n'));
  const v4 = (...s) => s.map(ip);
  assert.deepEqual(Object.fromEntries(table), {
    localhost: { v4: v4('127.0.0.1'), v6: ['::1'] },
    loopback: { v4: v4('127.0.0.1'), v6: [] },
    'ip6-localhost': { v4: [], v6: ['::1'] },
    'ip6-loopback': { v4: [], v6: ['::1'] },
    'gateway.local': { v4: v4('10.0.2.2'), v6: [] },
    gw: { v4: v4('10.0.2.2', '10.0.2.3'), v6: [] },
    six: { v4: [], v6: ['2001:db8::1'] },
  });
  assert.equal(parseHosts('').size, 0);
  assert.equal(parseHosts(undefined).size, 0);
});

// --- lookup() --------------------------------------------------------------------------

test('lookup() of a dotted quad is the address itself, with no query', async () => {
  const env = setup({ servers: [] });
  assert.equal(await env.resolver.lookup('10.0.2.2'), GW);
  assert.deepEqual(env.take(), []);
  assert.equal(env.resolver.stats().queries, 0);
});

test('lookup() returns the first IPv4 address: /etc/hosts, then DNS through CNAMEs', async () => {
  const env = setup({ hosts: () => HOSTS });
  assert.equal(await env.resolver.lookup('gateway'), GW);
  const result = env.resolver.lookup('www.example.com');
  const addresses = [ip('192.0.2.1'), ip('192.0.2.2')];
  const answers = [rr('www.example.com', CNAME, 'example.com'), ...addresses.map((a) => rr('example.com', A, a))];
  answer(sentQuery(env), { answers });
  assert.equal(await result, addresses[0]);
});

test('lookup() of a name with no A record rejects with ENODATA; other failures pass through', async () => {
  const env = setup();
  const nodata = env.resolver.lookup('v6only.example');
  answer(sentQuery(env), {});
  const error = await nodata.catch((e) => e);
  assert.equal(error.code, 'ENODATA');
  assert.equal(error.message, 'v6only.example has no A record');
  const nx = env.resolver.lookup('nosuch.example');
  answer(sentQuery(env), { rcode: dns.RCODE_NXDOMAIN });
  assert.equal(await codeOf(nx), 'NXDOMAIN');
});

// --- bad requests and shutting down --------------------------------------------------------

test('with no DNS server configured queries reject with ENOSERVER; servers() is read on every query', async () => {
  const env = setup({ servers: [], hosts: () => HOSTS });
  assert.equal(await codeOf(env.resolver.query('example.com')), 'ENOSERVER');
  assert.equal((await env.resolver.query('localhost')).source, 'hosts', '/etc/hosts needs no server');
  env.servers.push(DNS2);
  env.resolver.query('example.com');
  assert.equal(sentQuery(env).address, DNS2);
});

test('bad names and types reject with EINVAL and send nothing', async () => {
  const env = setup();
  const label63 = 'x'.repeat(63);
  const name253 = [label63, label63, label63, 'y'.repeat(61)].join('.');
  assert.equal(name253.length, 253);
  const badNames = ['', '.', 'a..b', '.a', `${'x'.repeat(64)}.com`, `${name253}z`, 'has space.com', 'caf\u00e9.com', 'back\\slash', 42];
  const badTypes = ['SOA', 'PTR', 99, 'bogus', null];
  for (const name of badNames) assert.equal(await codeOf(env.resolver.query(name)), 'EINVAL', `name ${JSON.stringify(name)}`);
  for (const type of badTypes) assert.equal(await codeOf(env.resolver.query('example.com', type)), 'EINVAL', `type ${type}`);
  assert.deepEqual(env.take(), []);
  assert.equal(env.resolver.stats().errors, badNames.length + badTypes.length);
  // The longest legal name and label are asked.
  env.resolver.query(`${name253}.`);
  env.resolver.query(`${label63}.example`);
  assert.deepEqual(env.take().map((s) => s.query.questions[0].name), [name253, `${label63}.example`]);
});

test('close() rejects pending queries with ECANCELED, closes their sockets and cancels their timers', async () => {
  const env = setup();
  const a = env.resolver.query('a.example');
  const b = env.resolver.query('b.example', 'MX');
  const sent = env.take();
  assert.equal(env.time.delays().length, 2);
  env.resolver.close();
  assert.deepEqual([await codeOf(a), await codeOf(b)], ['ECANCELED', 'ECANCELED']);
  assert.deepEqual(sent.map((s) => s.socket.closed), [true, true]);
  assert.deepEqual(env.time.delays(), []);
  assert.equal(await codeOf(env.resolver.query('c.example')), 'ECANCELED');
  assert.deepEqual(env.take(), []);
});
