// kernel/net/arp-cache.js: the neighbour cache (RFC 826; timing as RFC 1122 §2.3.2.1):
// IPv4 address -> MAC, plus the packets waiting while an address is being resolved.
//
// State lives here; bytes are wire/'s job, and sending is the interface's. Every
// method takes `now` (seconds) instead of reading a clock, so tests are exact.
// The interface asks nextDeadline() when to call poll(now) again.
'use strict';

const DEFAULTS = {
  maxEntries: 256, // resolved neighbours kept; the oldest is evicted beyond this
  entryLifetime: 60, // seconds an answer is believed (Linux's base_reachable_time is 30 s)
  maxPendingAddresses: 64, // addresses being resolved at once
  maxQueuedPerAddress: 16, // packets waiting for one address (Linux: unres_qlen)
  maxRequests: 3, // requests sent before an address is declared unresolved
  requestInterval: 1, // seconds between those requests (RFC 1122 §2.3.2.1: at most one per second)
};

class ArpCache {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    // Both maps are kept in "oldest first" order: a Map iterates in insertion
    // order, and every refresh deletes and re-inserts, so the first key is the
    // one to evict. That is all an LRU-ish bound needs.
    this.entries = new Map(); // ip -> { mac, expiresAt }
    this.pending = new Map(); // ip -> { packets: [], requestsSent, nextRequestAt }
    this.counters = { evicted: 0, expired: 0, unresolved: 0, queueOverflow: 0, pendingEvicted: 0 };
  }

  get size() {
    return this.entries.size;
  }

  get pendingCount() {
    return this.pending.size;
  }

  // The MAC for `ip`, or null if unknown or expired. Expiry is checked here,
  // lazily, so no timer is needed per entry.
  lookup(ip, now) {
    const entry = this.entries.get(ip);
    if (!entry) return null;
    if (entry.expiresAt <= now) {
      this.entries.delete(ip);
      this.counters.expired++;
      return null;
    }
    return entry.mac;
  }

  // Records ip -> mac. With create: false only an address we already know or
  // are asking for is updated: RFC 826's "merge" step, which lets a neighbour
  // that changed its MAC be heard without letting every stranger on the cable
  // fill our table. Returns the packets that were waiting for this address
  // (the caller sends them now), or [] if none.
  update(ip, mac, now, { create = true } = {}) {
    const known = this.entries.has(ip) || this.pending.has(ip);
    if (!known && !create) return [];
    this.entries.delete(ip);
    while (this.entries.size >= this.options.maxEntries) this.evictOldestEntry();
    this.entries.set(ip, { mac, expiresAt: now + this.options.entryLifetime });
    return this.takePending(ip);
  }

  // A packet for `ip` that must wait for its MAC. Returns true when this is
  // the first packet for that address: the caller then sends the first ARP
  // request at once; poll() schedules the next ones.
  enqueue(ip, packet, now) {
    let wait = this.pending.get(ip);
    const isNew = !wait;
    if (isNew) {
      while (this.pending.size >= this.options.maxPendingAddresses) this.evictOldestPending();
      wait = { packets: [], requestsSent: 1, nextRequestAt: now + this.options.requestInterval };
      this.pending.set(ip, wait);
    }
    // A full queue loses its oldest packet: the newest data is the most useful
    // (a retransmission, the latest ping).
    if (wait.packets.length >= this.options.maxQueuedPerAddress) {
      wait.packets.shift();
      this.counters.queueOverflow++;
    }
    wait.packets.push(packet);
    return isNew;
  }

  // Work that is due at `now`: addresses to ask about again, and addresses
  // that never answered (their packets are dropped). Returns
  //   { retry: [ip], unresolved: [{ ip, dropped }] }
  poll(now) {
    const retry = [];
    const unresolved = [];
    for (const [ip, wait] of this.pending) {
      if (wait.nextRequestAt > now) continue;
      if (wait.requestsSent >= this.options.maxRequests) {
        this.pending.delete(ip);
        this.counters.unresolved++;
        unresolved.push({ ip, dropped: wait.packets.length });
      } else {
        wait.requestsSent++;
        wait.nextRequestAt = now + this.options.requestInterval;
        retry.push(ip);
      }
    }
    return { retry, unresolved };
  }

  // When poll() next has something to do, in seconds on the caller's clock,
  // or null when nothing is pending.
  nextDeadline() {
    let first = null;
    for (const wait of this.pending.values()) {
      if (first === null || wait.nextRequestAt < first) first = wait.nextRequestAt;
    }
    return first;
  }

  // Forgets everything (the interface lost its address). Returns the number
  // of queued packets thrown away.
  clear() {
    let dropped = 0;
    for (const wait of this.pending.values()) dropped += wait.packets.length;
    this.entries.clear();
    this.pending.clear();
    return dropped;
  }

  // A listing for an `arp` command: [{ ip, mac, expiresIn }] then pending
  // addresses as [{ ip, mac: null, queued }].
  list(now) {
    const out = [];
    for (const [ip, e] of this.entries) if (e.expiresAt > now) out.push({ ip, mac: e.mac, expiresIn: e.expiresAt - now });
    for (const [ip, w] of this.pending) out.push({ ip, mac: null, queued: w.packets.length });
    return out;
  }

  // --- helpers ---------------------------------------------------------------

  takePending(ip) {
    const wait = this.pending.get(ip);
    if (!wait) return [];
    this.pending.delete(ip);
    return wait.packets;
  }

  evictOldestEntry() {
    this.entries.delete(this.entries.keys().next().value);
    this.counters.evicted++;
  }

  evictOldestPending() {
    const ip = this.pending.keys().next().value;
    this.counters.queueOverflow += this.pending.get(ip).packets.length;
    this.pending.delete(ip);
    this.counters.pendingEvicted++;
  }
}

module.exports = { ArpCache, DEFAULTS };
