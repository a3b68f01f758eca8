// kernel/net/resolver.js: the stub resolver (RFC 1034 §5.3.1): a name and a
// record type in, records out, through /etc/hosts, a TTL cache, and the name
// servers DHCP told us about, asked over UDP (RFC 1035 §4.2.1).
//
// State lives here (questions in flight, retries, the cache); bytes are
// wire/'s job (wire/dns.js), and /etc/hosts is read by hosts-file.js. The
// kernel hands it a socket factory over the interface's UDP table, the DNS
// servers of the lease, and its clock and timers; the `host` app asks it
// through a kernel call. Time is injected, so tests run retries and TTLs at
// exact times.
//
// Each network exchange has its own socket on a fresh ephemeral port and a
// random 16-bit id (RFC 5452 §9.2), and is asked of every server in turn, for
// `attempts` rounds, each try waiting `timeoutMs`: glibc with resolv.conf's
// "options timeout:1 attempts:3", without the longer waits of its later
// rounds (no backoff, so the worst case is attempts × servers × timeoutMs).
'use strict';

const dns = require('./wire/dns');
const { WireError } = require('./wire/errors');
const { ipToString, ipFromString, ipv6ToString, ipv6FromString } = require('./wire/ip-address');
const { parseHosts } = require('./hosts-file');

// The types a query may ask for, by the names `host -t` uses.
const TYPES = { A: dns.TYPE_A, AAAA: dns.TYPE_AAAA, CNAME: dns.TYPE_CNAME, MX: dns.TYPE_MX, TXT: dns.TYPE_TXT };
const RCODE_CODES = { 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };
const UNREACHABLE = ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable']; // ICMP type 3 codes 0-3

const MAX_NAME_LENGTH = 253; // text without the trailing dot: 255 bytes on the wire (RFC 1035 §2.3.4)
const MAX_LABEL_LENGTH = 63;
const MAX_CNAME_HOPS = 8; // real chains (a CDN's) are one to three hops; more is a mistake or a loop
const MAX_POSITIVE_TTL_S = 86400; // a day: a record's 68-year TTL (RFC 2181 §8) must not pin a stale answer
const MAX_NEGATIVE_TTL_S = 10800; // RFC 2308 §5: "values of one to three hours have been found to work well"
const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_CACHE_LIMIT = 512;

// Errors carry a code the app switches on, and for a server's "no" the rcode.
function resolverError(code, message, fields = {}) {
  const e = new Error(message);
  e.code = code;
  return Object.assign(e, fields);
}

// --- names and types --------------------------------------------------------------

// "WWW.Example.COM." -> "www.example.com" (names are case-insensitive, RFC
// 4343). Throws EINVAL for what cannot be a name on the wire. Master-file
// escapes ("\.") are refused: no host name an app asks for needs them.
const NAME_CHARACTERS = /^[\x21-\x5b\x5d-\x7e]+$/; // printable ASCII, no blank, no backslash

function normalizeName(name) {
  const bad = (why) => resolverError('EINVAL', `bad name ${JSON.stringify(name)}: ${why}`);
  if (typeof name !== 'string') throw bad('not a string');
  const bare = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  if (bare === '') throw bad('empty');
  if (!NAME_CHARACTERS.test(bare)) throw bad('only printable ASCII without blanks or backslashes');
  if (bare.length > MAX_NAME_LENGTH) throw bad(`longer than ${MAX_NAME_LENGTH} characters`);
  for (const label of bare.split('.')) {
    if (label === '') throw bad('empty label');
    if (label.length > MAX_LABEL_LENGTH) throw bad(`label longer than ${MAX_LABEL_LENGTH} characters`);
  }
  return bare;
}

// 'A', 'aaaa', 15 or '16' -> the type's number. Throws EINVAL.
function typeCode(type) {
  if (typeof type === 'string' && TYPES[type.toUpperCase()] !== undefined) return TYPES[type.toUpperCase()];
  const number = typeof type === 'string' && /^\d+$/.test(type) ? Number(type) : type;
  if (Object.values(TYPES).includes(number)) return number;
  throw resolverError('EINVAL', `unsupported query type ${JSON.stringify(type)} (A, AAAA, CNAME, MX or TXT)`);
}

// servers() as unique u32 addresses; dotted strings are accepted, junk dropped.
function serverList(list) {
  const out = [];
  for (const s of Array.isArray(list) ? list : []) {
    const address = Number.isInteger(s) && s >= 0 && s <= 0xffffffff ? s : literalIp(s);
    if (address !== null && !out.includes(address)) out.push(address);
  }
  return out;
}

// --- what a reply says -----------------------------------------------------------

// A record as the app sees it: data as text or plain objects, not bytes.
function presentRecord(rr) {
  return { name: rr.name, type: dns.TYPE_NAMES[rr.type], ttl: rr.ttl, data: presentData(rr) };
}

function presentData(rr) {
  switch (rr.type) {
    case dns.TYPE_A:
      return ipToString(rr.data);
    case dns.TYPE_AAAA:
      return ipv6ToString(rr.data); // RFC 5952 text
    case dns.TYPE_MX:
      return { preference: rr.data.preference, exchange: rr.data.exchange };
    case dns.TYPE_TXT:
      return rr.data.slice();
    default:
      return rr.data; // CNAME: the target name
  }
}

// One CNAME hop onto `chain` ({ names: [asked name, targets...], cnames: [rr] }).
// Throws ELOOP for a name seen before or a chain over MAX_CNAME_HOPS.
function addHop(chain, cname) {
  const target = cname.data.toLowerCase();
  const path = [...chain.names, target].join(' -> ');
  if (chain.names.includes(target)) throw resolverError('ELOOP', `CNAME loop: ${path}`);
  if (chain.cnames.length >= MAX_CNAME_HOPS) throw resolverError('ELOOP', `CNAME chain longer than ${MAX_CNAME_HOPS} hops: ${path}`);
  chain.names.push(target);
  chain.cnames.push(cname);
}

// RFC 1034 §5.3.3 step 3.a and §3.6.2: from `name`, follow CNAMEs through
// the answer section to the records of `type`, or to the chain's end. Only
// records on that path count; whatever else a server put in the answer
// section is not what we asked, and is not believed.
// Returns { canonical, cnames, records }; throws ELOOP.
function followChain(answers, name, type) {
  const owned = (owner, t) => answers.filter((rr) => rr.class === dns.CLASS_IN && rr.type === t && rr.name.toLowerCase() === owner);
  const chain = { names: [name], cnames: [] };
  for (;;) {
    const canonical = chain.names[chain.names.length - 1];
    const records = owned(canonical, type);
    const [cname] = owned(canonical, dns.TYPE_CNAME);
    if (records.length || type === dns.TYPE_CNAME || !cname) return { canonical, cnames: chain.cnames, records };
    addHop(chain, cname);
  }
}

// RFC 2308 §5: a negative answer may be cached for the smaller of the SOA
// record's TTL and its MINIMUM field. Without an SOA it "SHOULD NOT be
// cached", so it is not: 0.
function negativeTtl(message) {
  const soa = message.authorities.find((rr) => rr.type === dns.TYPE_SOA && rr.class === dns.CLASS_IN);
  return soa ? Math.min(soa.ttl, soa.data.minimum, MAX_NEGATIVE_TTL_S) : 0;
}

const minTtl = (records, start = MAX_POSITIVE_TTL_S) => records.reduce((m, rr) => Math.min(m, rr.ttl), start);

// An outcome is what the resolver passes around and caches for (name, type):
//   { error, canonical, cnames, records, ttl, complete, source, server }
// error: null or { code, message, rcode }; cnames: the CNAME records followed;
// records: those of the asked type, owned by `canonical`; ttl: seconds it
// may be cached (0: not at all); complete: false when the answer stops at a
// CNAME whose target must be asked separately (never cached).
function failure(code, message, fields = {}) {
  return { error: { code, message, ...fields }, canonical: null, cnames: [], records: [], ttl: 0, complete: true };
}

function rcodeFailure(name, rcode) {
  const code = RCODE_CODES[rcode] || `RCODE${rcode}`;
  return failure(code, `${name}: ${code} (rcode ${rcode})`, { rcode });
}

// A NOERROR or NXDOMAIN reply to (name, type) as an outcome (RFC 1034 §5.3.3 step 4).
function outcomeOf(message, name, type) {
  let chain;
  try {
    chain = followChain(message.answers, name, type);
  } catch (e) {
    if (!e.code) throw e;
    return failure(e.code, e.message);
  }
  const { canonical, cnames, records } = chain;
  const base = { error: null, canonical, cnames, records, complete: true };
  const chainTtl = minTtl(cnames);
  // RFC 6604: with CNAMEs in the answer the rcode speaks of the chain's last name.
  if (message.rcode === dns.RCODE_NXDOMAIN) {
    return { ...rcodeFailure(name, message.rcode), canonical, cnames, ttl: Math.min(chainTtl, negativeTtl(message)) };
  }
  // No TCP yet (RFC 7766 would retry there): a truncated reply is used for
  // what it holds, never cached, and is an error when it holds nothing.
  if (message.tc && !records.length) return failure('ETRUNCATED', `${name}: truncated reply (TC) with no usable answer, and no TCP`);
  if (message.tc) return { ...base, ttl: 0 };
  if (records.length) return { ...base, ttl: minTtl(records, chainTtl) };
  if (canonical !== name) return { ...base, ttl: chainTtl, complete: false };
  return { ...base, ttl: negativeTtl(message) }; // NODATA: the name exists, no records of the type
}

// RFC 2181 §9: a truncated reply may be cut anywhere, even inside a record.
// If its sections do not parse, the header and question alone (the counts
// of the other sections zeroed) still say whose reply it was.
function parseTruncated(bytes) {
  try {
    return dns.parse(bytes);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    const headerAndQuestion = bytes.slice();
    headerAndQuestion.fill(0, 6, dns.HEADER_LEN);
    return dns.parse(headerAndQuestion);
  }
}

// --- the cache ---------------------------------------------------------------------

// A bounded map whose entries live `ttl` seconds from when they were stored;
// beyond `limit` entries the oldest stored goes first.
class TtlCache {
  constructor(limit) {
    this.limit = limit;
    this.entries = new Map(); // key -> { value, storedAt, expiresAt }, oldest first
  }

  get(key, now) {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (now < entry.expiresAt) return entry;
    this.entries.delete(key);
    return null;
  }

  set(key, value, ttl, now) {
    this.entries.delete(key); // a fresh entry moves to the young end
    if (this.limit < 1 || !(ttl > 0)) return;
    this.entries.set(key, { value, storedAt: now, expiresAt: now + ttl });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }

  prune(now) {
    for (const [key, entry] of this.entries) if (now >= entry.expiresAt) this.entries.delete(key);
  }

  clear() {
    this.entries.clear();
  }

  get size() {
    return this.entries.size;
  }
}

// --- one question on the network ---------------------------------------------------

// One (name, type) asked over UDP: a socket, an id, and the tries (each
// server in turn, `attempts` rounds). It ends exactly once, calling every
// waiter with an outcome; concurrent identical questions wait on one.
class Exchange {
  constructor(resolver, name, type, servers) {
    this.resolver = resolver;
    this.counters = resolver.counters;
    this.name = name;
    this.type = type;
    this.servers = servers;
    this.tries = []; // servers still to ask, in order: s1, s2, s1, s2, ...
    for (let i = 0; i < resolver.attempts; i++) this.tries.push(...servers);
    this.triesMade = 0;
    this.current = null; // the server of the try whose timer runs
    this.asked = new Set(); // replies are believed only from these
    this.failed = new Map(); // server -> why it is not asked again in this exchange
    this.serverError = null; // the last SERVFAIL-like outcome, reported if nobody does better
    this.lastSendStatus = null;
    this.timer = null;
    this.waiters = [];
    this.done = false;
    this.socket = null;
    this.id = 0;
    this.query = null; // the bytes sent on every try
  }

  start() {
    this.id = Math.floor(this.resolver.random() * 0x10000) & 0xffff;
    this.query = dns.emitQuery({ id: this.id, name: this.name, type: this.type });
    try {
      this.socket = this.resolver.openSocket();
      this.socket.bind(0); // an ephemeral port of its own: a late reply to an old question cannot reach it
    } catch (e) {
      return this.finish(failure(e.code || 'EIO', `resolver: cannot open a socket: ${e.message}`));
    }
    this.socket.onMessage((bytes, from) => this.receive(bytes, from));
    this.socket.onError((error) => this.unreachable(error));
    this.next();
  }

  // Sends the next try, skipping servers that have failed; gives up when none is left.
  next() {
    this.cancelTimer();
    while (this.tries.length && !this.done) {
      const server = this.tries.shift();
      if (!this.failed.has(server) && this.send(server)) return;
    }
    this.giveUp();
  }

  // Returns false when the datagram could not go ('no-route', ...): the
  // next try follows at once rather than waiting for a reply that cannot come.
  send(server) {
    if (this.triesMade++ > 0) this.counters.retries++;
    this.current = server;
    this.asked.add(server);
    const status = this.socket.sendTo(server, dns.PORT, this.query);
    if (this.done) return true; // answered at once (a loopback server); nothing to wait for
    if (status !== 'sent' && status !== 'queued') {
      this.lastSendStatus = status;
      return false;
    }
    this.counters.sent++;
    this.timer = this.resolver.timers.after(this.resolver.timeoutMs, () => {
      this.timer = null;
      this.counters.timeouts++;
      this.next();
    });
    return true;
  }

  giveUp() {
    if (this.done) return;
    if (this.serverError) return this.finish(this.serverError);
    const tries = `${this.triesMade} ${this.triesMade === 1 ? 'try' : 'tries'} to ${this.servers.map(ipToString).join(', ')}`;
    const notes = [...this.failed].map(([server, why]) => `${ipToString(server)}: ${why}`);
    if (this.lastSendStatus) notes.push(`last send: ${this.lastSendStatus}`);
    const message = `connection timed out; no servers could be reached (${[tries, ...notes].join('; ')})`;
    this.resolver.log(`resolver: ${this.name} ${dns.TYPE_NAMES[this.type]}: ${message}`);
    this.finish(failure('ETIMEDOUT', message));
  }

  receive(bytes, from) {
    if (this.done) return;
    const message = this.accept(bytes, from);
    if (!message) {
      this.counters.ignored++;
      return;
    }
    this.counters.received++;
    if (message.rcode !== dns.RCODE_NOERROR && message.rcode !== dns.RCODE_NXDOMAIN) {
      // SERVFAIL, REFUSED, ...: this server cannot help; the others may (as glibc's res_send).
      this.serverError = { ...rcodeFailure(this.name, message.rcode), server: from.address };
      this.failed.set(from.address, this.serverError.error.code);
      if (from.address === this.current) this.next();
      return;
    }
    this.finish({ ...outcomeOf(message, this.name, this.type), server: from.address });
  }

  // RFC 5452 §9.1: believe a reply only from a server we asked, port 53,
  // with our id and our question. Returns the message, or null to ignore it.
  accept(bytes, from) {
    if (from.port !== dns.PORT || !this.asked.has(from.address)) return null;
    let message;
    try {
      const header = dns.parseHeader(bytes);
      if (header.id !== this.id || !header.qr || header.opcode !== dns.OPCODE_QUERY) return null;
      message = header.tc ? parseTruncated(bytes) : dns.parse(bytes);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      return null; // malformed: perhaps a forgery, perhaps damage; the real reply may still come
    }
    const [q] = message.questions;
    const ours = message.questions.length === 1 && q.name.toLowerCase() === this.name && q.type === this.type && q.class === dns.CLASS_IN;
    return ours ? message : null;
  }

  // ICMP about a datagram we sent (udp-socket.js onError): port unreachable
  // means nobody serves DNS there, so do not wait out the timer, and do not
  // ask that server again in this exchange.
  unreachable({ type, code, address, port }) {
    if (this.done || port !== dns.PORT || !this.asked.has(address)) return;
    this.counters.unreachable++;
    this.failed.set(address, type === 3 && UNREACHABLE[code] ? UNREACHABLE[code] : `ICMP type ${type} code ${code}`);
    if (address === this.current) this.next();
  }

  cancel() {
    this.finish(failure('ECANCELED', `${this.name}: the resolver was closed`));
  }

  finish(outcome) {
    if (this.done) return;
    this.done = true;
    this.cancelTimer();
    if (this.socket) this.socket.close();
    this.resolver.exchangeEnded(this);
    const result = { server: null, ...outcome, source: 'network' };
    for (const waiter of this.waiters) waiter(result);
  }

  cancelTimer() {
    if (this.timer !== null) this.resolver.timers.cancel(this.timer);
    this.timer = null;
  }
}

// --- the resolver -------------------------------------------------------------------

class Resolver {
  // openSocket() -> a socket of UdpSocket's shape; servers() -> [u32] (read
  // on every query, since DHCP may change them); clock() -> seconds;
  // timers: { after(ms, fn), cancel(id) }; random() -> [0, 1), for ids;
  // hosts() -> the text of /etc/hosts (read on every query; may throw).
  constructor({
    openSocket,
    servers,
    clock,
    timers,
    random,
    hosts = () => '',
    timeoutMs = DEFAULT_TIMEOUT_MS,
    attempts = DEFAULT_ATTEMPTS,
    cacheLimit = DEFAULT_CACHE_LIMIT,
    log = () => {},
  }) {
    for (const [name, fn] of Object.entries({ openSocket, servers, clock, random, hosts })) {
      if (typeof fn !== 'function') throw new Error(`Resolver: ${name}() must be given`);
    }
    if (!timers || typeof timers.after !== 'function') throw new Error('Resolver: timers must be given');
    this.openSocket = openSocket;
    this.servers = servers;
    this.clock = clock;
    this.timers = timers;
    this.random = random;
    this.hosts = hosts;
    this.timeoutMs = timeoutMs;
    this.attempts = Math.max(1, attempts);
    this.log = log;
    this.cache = new TtlCache(cacheLimit);
    this.inflight = new Map(); // cache key -> Exchange
    this.closed = false;
    this.counters = { queries: 0, sent: 0, received: 0, cacheHits: 0, timeouts: 0, retries: 0, errors: 0, ignored: 0, unreachable: 0 };
  }

  // Resolves { name, type, answers: [{ name, type, ttl, data }], aliases: [[alias, canonical]],
  // source: 'hosts' | 'cache' | 'network', server: 'a.b.c.d' | null, rttMs }. answers
  // hold only records of the asked type, owned by the end of the CNAME chain;
  // none (NODATA) is not an error. Rejects with an Error whose .code is
  // NXDOMAIN, SERVFAIL, REFUSED, FORMERR, NOTIMP (with .rcode), ETIMEDOUT,
  // ETRUNCATED, ELOOP, ENOSERVER, EINVAL or ECANCELED.
  query(name, type = 'A') {
    this.counters.queries++;
    const startedAt = this.clock();
    return new Promise((resolve, reject) => {
      const fail = (error) => {
        this.counters.errors++;
        reject(error);
      };
      if (this.closed) return fail(resolverError('ECANCELED', 'the resolver is closed'));
      let qname, qtype;
      try {
        qname = normalizeName(name);
        qtype = typeCode(type);
      } catch (e) {
        return fail(e);
      }
      const settle = (outcome) => {
        if (outcome.error) return fail(errorOf(outcome));
        resolve(this.present(qname, qtype, outcome, startedAt));
      };
      const fromHosts = this.fromHosts(qname, qtype);
      if (fromHosts) return settle(fromHosts);
      this.chase(qname, qtype, settle);
    });
  }

  // The first IPv4 address of a name: a dotted quad is itself (no query);
  // otherwise /etc/hosts, then DNS A through CNAMEs. A name with no A record
  // rejects with code 'ENODATA'.
  lookup(name) {
    const literal = literalIp(name);
    if (literal !== null) return Promise.resolve(literal);
    return this.query(name, 'A').then((result) => {
      if (!result.answers.length) throw resolverError('ENODATA', `${result.name} has no A record`);
      return ipFromString(result.answers[0].data);
    });
  }

  stats() {
    this.cache.prune(this.clock());
    const c = this.counters;
    return {
      queries: c.queries,
      sent: c.sent,
      received: c.received,
      cacheHits: c.cacheHits,
      cacheEntries: this.cache.size,
      timeouts: c.timeouts,
      retries: c.retries,
      errors: c.errors,
      ignored: c.ignored,
      unreachable: c.unreachable,
    };
  }

  flush() {
    this.cache.clear();
  }

  // Cancels everything in flight (their queries reject with ECANCELED) and refuses new queries.
  close() {
    this.closed = true;
    for (const exchange of [...this.inflight.values()]) exchange.cancel();
  }

  // --- steps of a query ------------------------------------------------------------

  // hosts(5) first, for address types only, as glibc's "hosts: files dns".
  // A name listed without an address of the asked family falls through to DNS.
  fromHosts(name, type) {
    if (type !== dns.TYPE_A && type !== dns.TYPE_AAAA) return null;
    let table;
    try {
      table = parseHosts(this.hosts());
    } catch (e) {
      return null; // no /etc/hosts, or unreadable: as if empty
    }
    const entry = table.get(name);
    const addresses = entry ? (type === dns.TYPE_A ? entry.v4 : entry.v6.map(ipv6FromString)) : [];
    if (!addresses.length) return null;
    const records = addresses.map((data) => ({ name, type, class: dns.CLASS_IN, ttl: 0, data }));
    return { error: null, canonical: name, cnames: [], records, ttl: 0, complete: true, source: 'hosts', server: null };
  }

  // Resolves (name, type), then, while an answer stops at a CNAME, the
  // CNAME's target (RFC 1034 §5.3.3 step 3.c), at most MAX_CNAME_HOPS hops
  // in all. The whole chain is cached under the asked name too, for the
  // smallest TTL met on the way.
  chase(name, type, done) {
    const chain = { names: [name], cnames: [], ttl: MAX_POSITIVE_TTL_S, fromNetwork: false, server: null, steps: 0 };
    const step = (outcome) => {
      chain.steps++;
      chain.fromNetwork = chain.fromNetwork || outcome.source === 'network';
      chain.server = outcome.server ?? chain.server; // the last server that answered a step
      chain.ttl = Math.min(chain.ttl, outcome.ttl);
      try {
        for (const cname of outcome.cnames) addHop(chain, cname);
      } catch (e) {
        return done(failure(e.code, e.message));
      }
      const source = chain.fromNetwork ? 'network' : 'cache';
      const combined = { ...outcome, cnames: chain.cnames, ttl: chain.ttl, source, server: chain.server };
      if (!outcome.complete && !outcome.error) return this.resolve(outcome.canonical, type, step);
      if (chain.steps > 1) this.remember(name, type, combined);
      done(combined);
    };
    this.resolve(name, type, step);
  }

  // One (name, type) from the cache, or from an exchange (a running one, if
  // the same question is already on the network).
  resolve(name, type, done) {
    if (this.closed) return done(failure('ECANCELED', `${name}: the resolver was closed`));
    const key = `${name}/${type}`;
    const cached = this.fromCache(key);
    if (cached) {
      this.counters.cacheHits++;
      return done(cached);
    }
    const running = this.inflight.get(key);
    if (running) {
      running.waiters.push(done);
      return;
    }
    let servers = [];
    try {
      servers = serverList(this.servers());
    } catch (e) {
      // read as "none configured"
    }
    if (!servers.length) return done(failure('ENOSERVER', 'no DNS server configured'));
    const exchange = new Exchange(this, name, type, servers);
    exchange.waiters.push((outcome) => this.remember(name, type, outcome), done);
    this.inflight.set(key, exchange);
    exchange.start();
  }

  exchangeEnded(exchange) {
    const key = `${exchange.name}/${exchange.type}`;
    if (this.inflight.get(key) === exchange) this.inflight.delete(key);
  }

  // Positive answers, NODATA and NXDOMAIN are cached; other failures and
  // half-followed chains are not.
  remember(name, type, outcome) {
    const negative = outcome.error && outcome.error.code === 'NXDOMAIN';
    if (!outcome.complete || (outcome.error && !negative)) return;
    const { source, server, ...kept } = outcome;
    this.cache.set(`${name}/${type}`, kept, Math.min(outcome.ttl, MAX_POSITIVE_TTL_S), this.clock());
  }

  // A cached outcome with its TTLs counted down by the whole seconds it has
  // been kept (as a caching server reports them).
  fromCache(key) {
    const now = this.clock();
    const entry = this.cache.get(key, now);
    if (!entry) return null;
    const kept = entry.value;
    const elapsed = Math.floor(now - entry.storedAt);
    const age = (rr) => ({ ...rr, ttl: Math.max(0, Math.min(rr.ttl, kept.ttl) - elapsed) });
    const ttl = kept.ttl - elapsed;
    return { ...kept, cnames: kept.cnames.map(age), records: kept.records.map(age), ttl, source: 'cache', server: null };
  }

  present(name, type, outcome, startedAt) {
    return {
      name,
      type: dns.TYPE_NAMES[type],
      answers: outcome.records.map(presentRecord),
      aliases: outcome.cnames.map((rr) => [rr.name, rr.data]),
      source: outcome.source,
      server: outcome.server === null ? null : ipToString(outcome.server),
      rttMs: Math.round((this.clock() - startedAt) * 1e6) / 1e3,
    };
  }
}

// The Error a failed outcome rejects with: .code, and .rcode for a server's
// answer; .aliases when CNAMEs were followed before the failure.
function errorOf(outcome) {
  const { code, message, rcode } = outcome.error;
  const fields = rcode !== undefined ? { rcode } : {};
  if (outcome.cnames.length) fields.aliases = outcome.cnames.map((rr) => [rr.name, rr.data]);
  return resolverError(code, message, fields);
}

// "10.0.2.2" -> 0x0a000202; anything else -> null.
function literalIp(name) {
  try {
    return ipFromString(name);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return null;
  }
}

module.exports = { Resolver, normalizeName, typeCode, MAX_CNAME_HOPS, MAX_POSITIVE_TTL_S, MAX_NEGATIVE_TTL_S };
