// kernel/net/ip-reassembly.js: putting fragmented IPv4 datagrams back together
// (RFC 791 §3.2 "reassembly", RFC 1122 §3.3.2), with hard limits.
//
// State lives here; bytes are wire/'s job (ipv4.parse gives fragmentOffset in
// bytes and the MF flag). Fragments are a classic way to exhaust a host's
// memory, so everything is bounded: a few datagrams at once, 30 s each, 64
// fragments each, no datagram over 65535 bytes, and overlaps are refused.
'use strict';

const DEFAULTS = {
  maxDatagrams: 8, // reassemblies in progress at once; the oldest is evicted beyond this
  timeout: 30, // seconds from the first fragment (RFC 1122 §3.3.2 suggests 60-120 s; 30 s is Linux's)
  maxFragments: 64, // per datagram: stops 8-byte fragments from making us do 8000 inserts
  maxPayload: 65535 - 20, // the largest total length minus the smallest header
};

// Each datagram is named by (source, destination, protocol, identification), RFC 791 §3.2.
const keyOf = (ip) => `${ip.src}/${ip.dst}/${ip.protocol}/${ip.id}`;

class Reassembler {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.datagrams = new Map(); // key -> { fragments: [{offset, data}], received, total, deadline, first }
    // Datagrams: reassembled, timedOut, evicted. Fragments: `fragments` were
    // taken in to wait for the rest; `fragmentsDropped` of them were later
    // thrown away with their datagram (evicted, timed out, or discarded for
    // a bad fragment), so no received frame vanishes here uncounted.
    this.counters = { reassembled: 0, timedOut: 0, evicted: 0, fragments: 0, fragmentsDropped: 0 };
  }

  get size() {
    return this.datagrams.size;
  }

  // Fragments held right now (at most maxDatagrams * maxFragments).
  get heldFragments() {
    let n = 0;
    for (const d of this.datagrams.values()) n += d.fragments.length;
    return n;
  }

  // Adds one fragment: `ip` is a parsed ipv4 record (moreFragments set or
  // fragmentOffset > 0) and `packet` its raw bytes. Returns
  //   null                     still waiting for more fragments
  //   { payload, first }       complete: the whole payload, and the raw first
  //                            fragment (its header and first bytes are what
  //                            an ICMP error quotes)
  //   { drop: reason }         this fragment, or the whole datagram, was dropped
  add(ip, packet, now) {
    this.expire(now);
    const data = ip.payload;
    const offset = ip.fragmentOffset;
    const end = offset + data.length;
    // Every fragment but the last carries a multiple of 8 bytes (RFC 791:
    // offsets count 8-byte units), so anything else is forged or broken.
    if (ip.moreFragments && (data.length === 0 || data.length % 8 !== 0)) return { drop: 'fragment-bad-length' };
    if (end > this.options.maxPayload) return this.discard(keyOf(ip), 'fragment-too-big');

    const key = keyOf(ip);
    const d = this.findOrStart(key, now);
    const collision = this.checkOverlap(d, offset, end);
    if (collision === 'duplicate') return { drop: 'fragment-duplicate' };
    if (collision) return this.discard(key, 'fragment-overlap');
    if (!ip.moreFragments) {
      if (d.total !== null && d.total !== end) return this.discard(key, 'fragment-inconsistent');
      d.total = end;
    }
    if (d.total !== null && (end > d.total || d.fragments.some((f) => f.offset + f.data.length > d.total))) {
      return this.discard(key, 'fragment-inconsistent');
    }
    if (d.fragments.length >= this.options.maxFragments) return this.discard(key, 'fragment-too-many');

    // Copy: the frame the fragment came in may be reused by the driver.
    d.fragments.push({ offset, data: data.slice() });
    this.counters.fragments++;
    d.received += data.length;
    if (offset === 0) d.first = packet.slice();
    // With overlaps refused, "bytes received == total length" means every
    // byte from 0 to the end is present exactly once: no hole list needed.
    if (d.total !== null && d.received === d.total) return this.complete(key, d);
    return null;
  }

  // Forgets datagrams whose time is up (their fragments are dropped). An
  // RFC 1122 host SHOULD then send ICMP time exceeded (code 1); we only count.
  expire(now) {
    let expired = 0;
    for (const [key, d] of this.datagrams) {
      if (d.deadline <= now) {
        this.forget(key);
        expired++;
      }
    }
    this.counters.timedOut += expired;
    return expired;
  }

  nextDeadline() {
    let first = null;
    for (const d of this.datagrams.values()) if (first === null || d.deadline < first) first = d.deadline;
    return first;
  }

  clear() {
    for (const key of [...this.datagrams.keys()]) this.forget(key);
  }

  // --- helpers ---------------------------------------------------------------

  findOrStart(key, now) {
    let d = this.datagrams.get(key);
    if (!d) {
      // Evicting the oldest (rather than refusing the newest) means a flood
      // of never-finished datagrams cannot lock honest ones out for 30 s.
      while (this.datagrams.size >= this.options.maxDatagrams) {
        this.forget(this.datagrams.keys().next().value);
        this.counters.evicted++;
      }
      d = { fragments: [], received: 0, total: null, deadline: now + this.options.timeout, first: null };
      this.datagrams.set(key, d);
    }
    return d;
  }

  // 'duplicate' for an exact copy of a fragment we have (networks do
  // duplicate packets), true for any other overlap, false for none.
  // Overlaps are refused outright rather than resolved: RFC 5722 made that
  // the rule for IPv6, because "which copy wins" has been used to slip data
  // past firewalls.
  checkOverlap(d, offset, end) {
    for (const f of d.fragments) {
      const fEnd = f.offset + f.data.length;
      if (offset < fEnd && f.offset < end) return f.offset === offset && fEnd === end ? 'duplicate' : true;
    }
    return false;
  }

  complete(key, d) {
    this.datagrams.delete(key);
    const payload = new Uint8Array(d.total);
    for (const f of d.fragments) payload.set(f.data, f.offset);
    this.counters.reassembled++;
    return { payload, first: d.first };
  }

  discard(key, reason) {
    this.forget(key);
    return { drop: reason };
  }

  // Throws a datagram away, counting the fragments it held.
  forget(key) {
    const d = this.datagrams.get(key);
    if (!d) return;
    this.counters.fragmentsDropped += d.fragments.length;
    this.datagrams.delete(key);
  }
}

module.exports = { Reassembler, DEFAULTS };
