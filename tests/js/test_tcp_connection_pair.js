// kernel/net/tcp/connection.js against itself and against noise: two
// connections joined by a simulated link (every segment through tcp.emit
// and tcp.parse, seeded loss, reordering and delay) move data both ways and
// close; and random segments thrown at connections in every state never
// throw and never leave the variables inconsistent.
const { Connection, State } = require('/kernel/net/tcp/connection');
const tcp = require('/kernel/net/wire/tcp');
const { seqLeq } = require('/kernel/net/tcp/seq');

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const A_IP = { src: 0x0a00020f, dst: 0x0a000202 };
const B_IP = { src: 0x0a000202, dst: 0x0a00020f };
const pattern = (n, salt) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + salt + (i >> 8)) & 0xff);

// Runs a transfer of `aBytes` from A to B and `bBytes` from B to A over a
// link that drops `loss` of the segments and delays each by 1-`jitter` ms.
function transfer({ aBytes, bBytes, loss = 0, jitter = 1, seed = 1, opts = {}, until = 600 }) {
  const rand = prng(seed);
  const sent = { a: pattern(aBytes, 1), b: pattern(bBytes, 2) };
  const got = { a: [], b: [] };
  const ends = { a: false, b: false };
  let t = 0;
  const make = (name) => ({ name, offset: 0, conn: null });
  const A = make('a');
  const B = make('b');
  A.conn = Connection.connect({ localPort: 40000, remotePort: 80, iss: 0xfffff000, tsOffset: 77, ...opts,
    onEvent: (type) => { if (type === 'end') ends.a = true; } }, 0);
  const link = []; // { at, to, bytes }
  const transmit = (from, records) => {
    for (const r of records) {
      const bytes = tcp.emit(r, from === A ? A_IP : B_IP);
      if (rand() < loss) continue;
      link.push({ at: t + 0.001 + rand() * (jitter - 1) / 1000, to: from === A ? B : A, bytes });
    }
  };
  const app = (side) => {
    const c = side.conn;
    if (!c || c.state === State.CLOSED) return;
    const data = sent[side.name];
    while (side.offset < data.length) {
      let n;
      try {
        n = c.send(data.subarray(side.offset, side.offset + 65536));
      } catch (e) {
        break;
      }
      if (n === 0) break;
      side.offset += n;
    }
    if (side.offset === data.length && !side.closed && c.synchronized) {
      side.closed = true;
      c.close();
    }
    for (;;) {
      const chunk = c.read();
      if (chunk === null || chunk.length === 0) break;
      got[side.name].push(chunk);
    }
  };
  for (let steps = 0; steps < 200000 && t < until; steps++) {
    for (const side of [A, B]) {
      if (!side.conn) continue;
      app(side);
      transmit(side, side.conn.poll(t));
    }
    const done = [A, B].every((s) => s.conn && [State.CLOSED, State.TIME_WAIT].includes(s.conn.state));
    if (done && link.length === 0) break;
    // The next thing to happen: a segment arriving or a connection's timer.
    let next = Infinity;
    for (const item of link) next = Math.min(next, item.at);
    for (const side of [A, B]) {
      const at = side.conn && side.conn.pollAt();
      if (at !== null && at !== undefined) next = Math.min(next, at);
    }
    if (next === Infinity) break;
    t = Math.max(t, next);
    link.sort((x, y) => x.at - y.at);
    while (link.length && link[0].at <= t) {
      const { to, bytes } = link.shift();
      const record = tcp.parse(bytes, to === A ? B_IP : A_IP);
      if (!to.conn) {
        if (!record.flags.syn || record.flags.ack) continue;
        to.conn = Connection.accept(record, { iss: 5000, tsOffset: 99999, ...opts,
          onEvent: (type) => { if (type === 'end') ends.b = true; } }, t);
      } else {
        to.conn.segment(record, t);
      }
    }
  }
  const joined = (chunks) => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let i = 0;
    for (const c of chunks) { out.set(c, i); i += c.length; }
    return out;
  };
  return { A: A.conn, B: B.conn, t, aToB: joined(got.b), bToA: joined(got.a), sent, ends };
}

const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);

test('two connections: 300 KB each way on a clean link, then both close', () => {
  const r = transfer({ aBytes: 300000, bBytes: 300000 });
  assert.ok(same(r.aToB, r.sent.a), `A to B: ${r.aToB.length} bytes`);
  assert.ok(same(r.bToA, r.sent.b), `B to A: ${r.bToA.length} bytes`);
  assert.ok(r.ends.a && r.ends.b);
  assert.equal(r.A.describe().retransmits, 0);
  // Both closed at once here (their FINs crossed): TIME-WAIT on both sides,
  // or one side's FIN arrived first: that side is CLOSED (from LAST-ACK).
  for (const c of [r.A, r.B]) assert.ok(c.state === 'TIME-WAIT' || c.state === 'CLOSED', c.state);
  assert.deepEqual(r.A.describe().wscale, [3, 3]);
  assert.ok(r.t < 2, `took ${r.t} s of simulated time`);
});

for (const [loss, seed] of [[0.01, 7], [0.05, 11], [0.2, 3]]) {
  test(`two connections: 200 KB each way with ${loss * 100} % loss and reordering`, () => {
    const r = transfer({ aBytes: 200000, bBytes: 200000, loss, jitter: 3, seed });
    assert.ok(same(r.aToB, r.sent.a), `A to B: ${r.aToB.length} of ${r.sent.a.length} bytes`);
    assert.ok(same(r.bToA, r.sent.b), `B to A: ${r.bToA.length} of ${r.sent.b.length} bytes`);
    assert.ok(r.A.describe().retransmits > 0);
    // SACK is agreed (the defaults): RFC 6675 recovery sent some of them.
    assert.ok(r.A.describe().sackRetransmits > 0 && r.B.describe().sackRetransmits > 0);
  });
}

test('two connections without options (no timestamps, SACK or scaling), with loss', () => {
  const r = transfer({ aBytes: 100000, bBytes: 1000, loss: 0.03, jitter: 2, seed: 5,
    opts: { timestamps: false, sack: false, windowScale: false, receiveBuffer: 32768 } });
  assert.ok(same(r.aToB, r.sent.a));
  assert.ok(same(r.bToA, r.sent.b));
  assert.equal(r.A.describe().wscale, null);
});

// --- fuzz ---------------------------------------------------------------------

const STATES = new Set(Object.values(State));

function checkInvariants(c, what) {
  assert.ok(STATES.has(c.state), `${what}: state ${c.state}`);
  assert.ok(seqLeq(c.sndUna, c.sndNxt), `${what}: SND.UNA ${c.sndUna} > SND.NXT ${c.sndNxt}`);
  assert.ok(seqLeq(c.sndNxt, c.sndMax), `${what}: SND.NXT ${c.sndNxt} > SND.MAX ${c.sndMax}`);
  assert.ok(c.sendBuffer.length >= 0 && c.sendBuffer.length <= c.sendBuffer.capacity, `${what}: send buffer`);
  assert.ok(c.receivedBytes >= 0 && c.receivedBytes <= c.options.receiveBuffer + 2 ** c.rcvShift, `${what}: receive buffer ${c.receivedBytes}`);
  assert.ok(c.rcvWnd <= c.options.receiveBuffer + 2 ** c.rcvShift, `${what}: RCV.WND ${c.rcvWnd}`);
  const at = c.pollAt();
  assert.ok(at === null || Number.isFinite(at), `${what}: pollAt ${at}`);
  if (c.state === State.CLOSED) assert.equal(at === null || at === c.now, true, `${what}: a closed connection with timers`);
}

test('fuzz: random segments and app calls never throw or break the invariants', () => {
  const rand = prng(0x5eed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const IP = { src: 1, dst: 2 };
  for (let run = 0; run < 300; run++) {
    const opts = { localPort: 80, remotePort: 4000, iss: Math.floor(rand() * 2 ** 32), sendBuffer: 512, receiveBuffer: 512,
      timestamps: rand() < 0.5, sack: rand() < 0.5, windowScale: rand() < 0.5, ackDelay: pick([0, 0.04]), nodelay: rand() < 0.5,
      keepAlive: rand() < 0.3 ? { idle: 5, interval: 1, count: 3 } : null };
    const peerIss = Math.floor(rand() * 2 ** 32);
    let c;
    let now = 0;
    if (rand() < 0.5) {
      c = Connection.connect(opts, 0);
      c.poll(0);
      if (rand() < 0.8) {
        c.segment(tcp.parse(tcp.emit({ srcPort: 4000, dstPort: 80, seq: peerIss, ack: (opts.iss + 1) >>> 0, flags: { syn: true, ack: true },
          window: 1000, options: { mss: 100, windowScale: 2, sackPermitted: true, timestamps: { tsVal: 1, tsEcr: 0 } } }, IP), IP), 0);
      }
    } else {
      c = Connection.accept(tcp.parse(tcp.emit({ srcPort: 4000, dstPort: 80, seq: peerIss, flags: { syn: true }, window: 1000,
        options: { mss: 100, windowScale: 2, sackPermitted: true, timestamps: { tsVal: 1, tsEcr: 0 } } }, IP), IP), opts, 0);
      c.poll(0);
      if (rand() < 0.8) {
        c.segment(tcp.parse(tcp.emit({ srcPort: 4000, dstPort: 80, seq: (peerIss + 1) >>> 0, ack: (opts.iss + 1) >>> 0, flags: { ack: true },
          window: 1000, options: { timestamps: { tsVal: 2, tsEcr: 1 } } }, IP), IP), 0);
      }
    }
    let peerSeq = (peerIss + 1) >>> 0;
    for (let step = 0; step < 60; step++) {
      now += pick([0, 0, 0.001, 0.05, 0.3, 2, 40]);
      const r = rand();
      if (r < 0.55) {
        const near = (base, spread) => (base + Math.floor((rand() - 0.5) * spread)) >>> 0;
        const flags = {};
        for (const f of ['fin', 'syn', 'rst', 'psh', 'ack', 'urg']) flags[f] = rand() < (f === 'ack' ? 0.85 : 0.12);
        const length = pick([0, 0, 1, 10, 100, 600]);
        const seq = rand() < 0.7 ? near(c.rcvNxt, 40) : rand() < 0.5 ? near(peerSeq, 2000) : Math.floor(rand() * 2 ** 32);
        const ack = rand() < 0.7 ? near(c.sndNxt, 40) : Math.floor(rand() * 2 ** 32);
        const options = {};
        if (rand() < 0.5) options.timestamps = { tsVal: Math.floor(rand() * 50), tsEcr: Math.floor(rand() * 2 ** 32) };
        if (rand() < 0.2) options.sackBlocks = [{ left: ack, right: (ack + 10) >>> 0 }];
        if (rand() < 0.1) options.mss = Math.floor(rand() * 70000) & 0xffff;
        const record = tcp.parse(tcp.emit({ srcPort: 4000, dstPort: 80, seq, ack, flags, window: Math.floor(rand() * 3000),
          options, payload: new Uint8Array(length) }, IP), IP);
        c.segment(record, now);
        if (length && flags.ack) peerSeq = (seq + length) >>> 0;
      } else if (r < 0.7) {
        try {
          c.send(new Uint8Array(pick([1, 50, 300, 1000])));
        } catch (e) {
          assert.equal(e.code, 'EPIPE');
        }
      } else if (r < 0.8) {
        c.read(pick([1, 100, Infinity]));
      } else if (r < 0.86) {
        c.close();
      } else if (r < 0.88) {
        c.abort();
      }
      const out = c.poll(now);
      for (const record of out) tcp.parse(tcp.emit(record, IP), IP);
      checkInvariants(c, `run ${run} step ${step}`);
      c.describe();
    }
  }
});
