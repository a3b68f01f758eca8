// Unit tests for kernel/net/arp-cache.js: the neighbour cache on its own, with
// time passed in as plain numbers (seconds). The interface's use of it (frames
// on the wire) is tested in test_net_interface.js.
const { ArpCache, DEFAULTS } = require('/kernel/net/arp-cache');
const { ipFromString: ip } = require('/kernel/net/wire/ip-address');

const GW = ip('10.0.2.2');
const GW_MAC = '52:55:0a:00:02:02';
const pkt = (n) => Uint8Array.of(n);

test('an unknown address has no MAC; a learned one does', () => {
  const c = new ArpCache();
  assert.equal(c.lookup(GW, 0), null);
  assert.deepEqual(c.update(GW, GW_MAC, 0), []);
  assert.equal(c.lookup(GW, 0), GW_MAC);
  assert.equal(c.size, 1);
});

test('entries expire after 60 s by default, lazily on lookup', () => {
  const c = new ArpCache();
  c.update(GW, GW_MAC, 10);
  assert.equal(DEFAULTS.entryLifetime, 60);
  assert.equal(c.lookup(GW, 69.9), GW_MAC);
  assert.equal(c.lookup(GW, 70), null);
  assert.equal(c.size, 0);
  assert.equal(c.counters.expired, 1);
});

test('refreshing an entry restarts its lifetime', () => {
  const c = new ArpCache();
  c.update(GW, GW_MAC, 0);
  c.update(GW, GW_MAC, 50);
  assert.equal(c.lookup(GW, 100), GW_MAC);
  assert.equal(c.lookup(GW, 110), null);
});

test('create: false only refreshes what we know (RFC 826 merge)', () => {
  const c = new ArpCache();
  c.update(GW, GW_MAC, 0, { create: false });
  assert.equal(c.lookup(GW, 0), null);
  c.update(GW, GW_MAC, 0);
  c.update(GW, '02:00:00:00:00:01', 1, { create: false });
  assert.equal(c.lookup(GW, 1), '02:00:00:00:00:01');
});

test('packets wait for resolution and come out in order when it arrives', () => {
  const c = new ArpCache();
  assert.equal(c.enqueue(GW, pkt(1), 0), true, 'first packet: send a request now');
  assert.equal(c.enqueue(GW, pkt(2), 0.1), false, 'already asking');
  assert.equal(c.pendingCount, 1);
  const released = c.update(GW, GW_MAC, 0.2);
  assert.deepEqual(released, [pkt(1), pkt(2)]);
  assert.equal(c.pendingCount, 0);
  assert.equal(c.nextDeadline(), null);
});

test('a pending address is asked 3 times, 1 s apart, then its queue is dropped', () => {
  const c = new ArpCache();
  c.enqueue(GW, pkt(1), 5);
  c.enqueue(GW, pkt(2), 5);
  assert.equal(c.nextDeadline(), 6);
  assert.deepEqual(c.poll(5.5), { retry: [], unresolved: [] });
  assert.deepEqual(c.poll(6), { retry: [GW], unresolved: [] }, 'second request');
  assert.deepEqual(c.poll(7), { retry: [GW], unresolved: [] }, 'third request');
  assert.deepEqual(c.poll(8), { retry: [], unresolved: [{ ip: GW, dropped: 2 }] });
  assert.equal(c.counters.unresolved, 1);
  assert.equal(c.pendingCount, 0);
  assert.equal(c.nextDeadline(), null);
});

test('the queue per address is bounded: the oldest packets give way', () => {
  const c = new ArpCache();
  for (let i = 0; i < 20; i++) c.enqueue(GW, pkt(i), 0);
  const released = c.update(GW, GW_MAC, 0);
  assert.equal(released.length, DEFAULTS.maxQueuedPerAddress);
  assert.deepEqual(released[0], pkt(4));
  assert.deepEqual(released[15], pkt(19));
  assert.equal(c.counters.queueOverflow, 4);
});

test('the table is bounded: the least recently updated entry is evicted', () => {
  const c = new ArpCache({ maxEntries: 4 });
  for (let i = 1; i <= 4; i++) c.update(ip(`10.0.0.${i}`), '02:00:00:00:00:0' + i, i);
  c.update(ip('10.0.0.1'), '02:00:00:00:00:01', 5); // refreshed: now the newest
  c.update(ip('10.0.0.9'), '02:00:00:00:00:09', 6);
  assert.equal(c.size, 4);
  assert.equal(c.lookup(ip('10.0.0.2'), 6), null, 'oldest evicted');
  assert.equal(c.lookup(ip('10.0.0.1'), 6), '02:00:00:00:00:01');
  assert.equal(c.counters.evicted, 1);
});

test('a flood of new addresses never grows the table or the pending list past their bounds', () => {
  const c = new ArpCache();
  for (let i = 0; i < 10000; i++) {
    c.update((0x0a000000 + i) >>> 0, '02:00:00:00:00:01', i / 1000);
    c.enqueue((0x0b000000 + i) >>> 0, pkt(i & 0xff), i / 1000);
  }
  assert.equal(c.size, DEFAULTS.maxEntries);
  assert.equal(c.pendingCount, DEFAULTS.maxPendingAddresses);
  assert.equal(c.counters.pendingEvicted, 10000 - DEFAULTS.maxPendingAddresses);
});

test('clear() forgets everything and reports the queued packets it dropped', () => {
  const c = new ArpCache();
  c.update(GW, GW_MAC, 0);
  c.enqueue(ip('10.0.2.9'), pkt(1), 0);
  c.enqueue(ip('10.0.2.9'), pkt(2), 0);
  assert.equal(c.clear(), 2);
  assert.equal(c.size + c.pendingCount, 0);
});

test('list() shows resolved and pending neighbours for an arp command', () => {
  const c = new ArpCache();
  c.update(GW, GW_MAC, 0);
  c.enqueue(ip('10.0.2.9'), pkt(1), 0);
  assert.deepEqual(c.list(20), [
    { ip: GW, mac: GW_MAC, expiresIn: 40 },
    { ip: ip('10.0.2.9'), mac: null, queued: 1 },
  ]);
});
