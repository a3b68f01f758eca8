// kernel/net/tcp/rto.js: how long to wait for an ACK before retransmitting,
// the estimator of RFC 6298 ("Computing TCP's Retransmission Timer").
//
// Pure: time is passed in (seconds, as the network stack's clock() gives
// it) and nothing here sets a timer. The TCP socket asks `rto` when it arms
// its retransmission timer, and tells the estimator what happened: a
// segment sent and timed, an ACK, a timeout, a retransmission, the end of
// the handshake. Karn's rule (§3) lives here too, so the socket cannot take
// an RTT sample from a segment that was sent twice.
//
// The formulas, RFC 6298 §2, with K = 4, alpha = 1/8, beta = 1/4:
//   first sample R:    SRTT = R, RTTVAR = R/2
//   each later R':     RTTVAR = (1 - beta) RTTVAR + beta |SRTT - R'|   (with the old SRTT)
//                      SRTT   = (1 - alpha) SRTT + alpha R'
//   then:              RTO = SRTT + max(G, K RTTVAR), kept within [min, max]
// where G is the clock's granularity.
'use strict';

const { seqGt } = require('./seq');

const K = 4;
const ALPHA = 1 / 8;
const BETA = 1 / 4;

const DEFAULTS = {
  initial: 1, // §2.1: 1 s until the first sample (RFC 2988 had 3 s)
  // §2.4 says RTO SHOULD be rounded up to 1 s. We use Linux's 200 ms
  // (TCP_RTO_MIN), and say why in docs/network.md: our peers are Linux
  // over virtual links with RTTs under a millisecond, where a 1 s floor
  // idles a connection for a thousand round trips on every loss that fast
  // retransmit cannot repair, and Linux itself waits no longer than 200 ms.
  // `min: 1` gives the RFC's value.
  min: 0.2,
  max: 60, // §2.5: a maximum MAY be placed on RTO, provided it is at least 60 s
  granularity: 0.001, // G: the kernel's timers count milliseconds
  synFallback: 3, // §5.7: the RTO after a handshake whose SYN timed out
};

class RtoEstimator {
  constructor(options = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.srtt = null; // seconds; null until the first sample
    this.rttvar = null;
    this.base = this.options.initial; // RTO before back-off: §2.1, then §2.2/2.3
    this.backoffs = 0; // timeouts since the last sample: each doubled the RTO (§5.5)
    this.timed = null; // { seq, sentAt }: the one segment being timed (Karn)
    this.counters = { samples: 0, timeouts: 0, karnDiscarded: 0 };
  }

  // The RTO to arm the retransmission timer with: the base doubled once
  // per timeout since the last sample, never above max (§5.5).
  get rto() {
    return Math.min(this.options.max, this.base * 2 ** this.backoffs);
  }

  // A round-trip time measurement R, in seconds (§2.2, §2.3). The socket
  // calls this itself when timestamps give the sample (RFC 7323 §4: the
  // echoed TSval says which transmission was answered, so Karn's rule has
  // nothing to guard against there).
  sample(rtt) {
    if (!(rtt >= 0)) throw new RangeError(`rto: an RTT sample must be a number >= 0, got ${rtt}`);
    if (this.srtt === null) {
      this.srtt = rtt; // (2.2)
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rtt); // (2.3), old SRTT
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rtt;
    }
    const { granularity, min, max } = this.options;
    this.base = Math.min(max, Math.max(min, this.srtt + Math.max(granularity, K * this.rttvar))); // (2.4), (2.5)
    // §5: a new sample "collapses" a backed-off RTO back to the computed one.
    this.backoffs = 0;
    this.counters.samples++;
  }

  // A segment starting at `seq` was sent for the first time at `now`. One
  // segment is timed at a time (RFC 6298 §3 allows more; one per round
  // trip is what the formulas were tuned for); a call while one is being
  // timed is ignored.
  startTiming(seq, now) {
    if (this.timed === null) this.timed = { seq, sentAt: now };
  }

  get timing() {
    return this.timed !== null;
  }

  // An ACK arrived at `now`. If it covers the timed segment's first byte,
  // that segment's round trip is a sample. Returns the sample, or null.
  ackReceived(ack, now) {
    if (this.timed === null || !seqGt(ack, this.timed.seq)) return null;
    const rtt = now - this.timed.sentAt;
    this.timed = null;
    this.sample(rtt);
    return rtt;
  }

  // Karn's rule (§3): something was sent again, so an ACK can no longer
  // say which transmission it answers. The timed segment is forgotten
  // (as BSD and Linux do on any retransmission, not only of that segment).
  retransmitted() {
    if (this.timed !== null) this.counters.karnDiscarded++;
    this.timed = null;
  }

  // The retransmission timer expired (§5.4-5.6): the socket retransmits
  // the earliest unacknowledged segment, which Karn's rule covers, and
  // backs off the timer. Returns the RTO to re-arm it with.
  timeout() {
    this.retransmitted();
    this.backoffs++;
    this.counters.timeouts++;
    return this.rto;
  }

  // The three-way handshake is complete. §5.7: if the SYN (or SYN-ACK) timed
  // out and no sample came back (Karn's rule stopped it), the 1 s initial
  // RTO was likely too short for this path; start data at 3 s instead.
  handshakeComplete() {
    if (this.srtt === null && this.backoffs > 0) {
      this.base = Math.max(this.options.synFallback, this.options.min);
      this.backoffs = 0;
    }
  }
}

module.exports = { RtoEstimator, DEFAULTS, K, ALPHA, BETA };
