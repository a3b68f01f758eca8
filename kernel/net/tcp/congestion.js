// kernel/net/tcp/congestion.js: how much a TCP sender may have in flight,
// NewReno congestion control: slow start and congestion avoidance (RFC 5681
// §3.1), fast retransmit and fast recovery (RFC 5681 §3.2) with NewReno's
// partial acknowledgments (RFC 6582 §3.2), and the initial window of
// RFC 6928 (10 segments, as Linux). With a peer that sends SACK blocks,
// recovery is RFC 6675's instead: cwnd drops to ssthresh and stays there,
// and what may be sent is cwnd less the pipe (sack-scoreboard.js), not an
// inflated window.
//
// Pure: no clock, no segments. The connection (connection.js) reports
// events and reads `cwnd`; the answers say what to do ("retransmit the first
// unacknowledged segment now", "restart the retransmission timer").
// Sequence numbers are compared modulo 2^32 (seq.js). All sizes are bytes.
'use strict';

const { seqGt, seqGeq } = require('./seq');

const DUPACK_THRESHOLD = 3; // RFC 5681 §3.2: the third duplicate ACK
const INITIAL_SEGMENTS = 10; // RFC 6928 §2 (Linux's TCP_INIT_CWND)

class NewReno {
  // smss: the sender's maximum segment size (payload bytes per full segment).
  constructor(smss) {
    this.smss = smss;
    this.cwnd = INITIAL_SEGMENTS * smss; // RFC 6928: IW = 10 segments
    // RFC 5681 §3.1: "SHOULD be set arbitrarily high (e.g., to the size of
    // the largest possible advertised window)"; the peer's window limits
    // sending until the first loss sets a real value.
    this.ssthresh = Infinity;
    this.dupAcks = 0;
    this.inRecovery = false;
    this.sackRecovery = false; // inRecovery by RFC 6675 (the scoreboard decides what to send)
    this.recover = null; // RFC 6582: the highest sequence sent when recovery began
    this.partialAcks = 0; // in this recovery
    this.bytesAcked = 0; // congestion avoidance's byte counter (RFC 5681 §3.1, eq. 3's alternative)
    this.counters = { fastRetransmits: 0, timeouts: 0, recoveries: 0 };
  }

  get slowStart() {
    return this.cwnd < this.ssthresh;
  }

  // RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS).
  halve(flight) {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.smss);
  }

  // An ACK acknowledged `acked` new bytes; `ack` is its number, `flight` what
  // was outstanding before it. Returns { retransmit, restartTimer }:
  // retransmit when a NewReno partial ACK says the next hole is lost too.
  onAck(ack, acked, flight) {
    this.dupAcks = 0;
    if (this.sackRecovery) {
      // RFC 6675 §5 (A): a cumulative ACK at or past RecoveryPoint ends
      // recovery; cwnd stays at ssthresh (set on entry, §5 step 4.2). A
      // partial ACK changes nothing here: the scoreboard has moved, and
      // the connection sends by NextSeg while cwnd - pipe allows.
      if (seqGeq(ack, this.recover)) {
        this.inRecovery = false;
        this.sackRecovery = false;
      }
      return { retransmit: false, restartTimer: true };
    }
    if (this.inRecovery) {
      if (seqGeq(ack, this.recover)) {
        // RFC 6582 §3.2 step 3, a full acknowledgment: deflate the window.
        // Option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS), with the
        // flight after this ACK, so no burst follows recovery.
        const after = Math.max(flight - acked, 0);
        this.cwnd = Math.min(this.ssthresh, Math.max(after, this.smss) + this.smss);
        this.inRecovery = false;
        return { retransmit: false, restartTimer: true };
      }
      // Step 4, a partial acknowledgment: the segment after it was lost
      // too. Retransmit it, take back what this ACK took out of the
      // network, add one SMSS if it acknowledged at least that much.
      this.cwnd = Math.max(this.cwnd - acked, this.smss);
      if (acked >= this.smss) this.cwnd += this.smss;
      this.partialAcks++;
      // "Impatient" variant (RFC 6582 §4): only the first partial ACK
      // restarts the timer, so a long recovery ends in a timeout, not in
      // one retransmission per round trip.
      return { retransmit: true, restartTimer: this.partialAcks === 1 };
    }
    if (this.slowStart) {
      // RFC 5681 eq. 2: cwnd += min(N, SMSS) per ACK.
      this.cwnd += Math.min(acked, this.smss);
    } else {
      // Congestion avoidance, one SMSS per cwnd of data acknowledged (the
      // byte-counting form RFC 5681 §3.1 allows in place of eq. 3).
      this.bytesAcked += acked;
      if (this.bytesAcked >= this.cwnd) {
        this.bytesAcked -= this.cwnd;
        this.cwnd += this.smss;
      }
    }
    return { retransmit: false, restartTimer: true };
  }

  // A duplicate ACK (RFC 5681 §2's five conditions, checked by the caller).
  // `una` is SND.UNA, `max` the highest sequence number sent, `flight` the
  // bytes outstanding. Returns true when this is the one to fast-retransmit on.
  onDuplicateAck(una, max, flight) {
    this.dupAcks++;
    if (this.inRecovery) {
      this.cwnd += this.smss; // RFC 5681 §3.2 step 4: inflate for the segment that left
      return false;
    }
    if (this.dupAcks !== DUPACK_THRESHOLD) return false;
    // RFC 6582 §3.2 step 2: only when this loss is after the last recovery
    // (the duplicate ACKs may be echoes of the retransmissions before it).
    if (this.recover !== null && !seqGt(una, this.recover)) return false;
    this.halve(flight); // step 2 / RFC 5681 §3.2 step 2
    this.recover = max;
    this.cwnd = this.ssthresh + DUPACK_THRESHOLD * this.smss; // step 3
    this.inRecovery = true;
    this.partialAcks = 0;
    this.counters.fastRetransmits++;
    this.counters.recoveries++;
    return true;
  }

  // A duplicate ACK by RFC 6675 §2 (it SACKs new data and acknowledges
  // none; checked by the caller) from a peer that sends SACK blocks.
  // `lost`: the scoreboard says SND.UNA's segment IsLost. Returns true when
  // this ACK starts loss recovery (§5 step 4): DupThresh duplicates, or
  // the scoreboard's word, unless the loss is one a recovery already
  // covered (RecoveryPoint, as RFC 6582's `recover`).
  onSackDuplicateAck(una, max, flight, lost) {
    this.dupAcks++;
    if (this.inRecovery) return false; // no inflation: the pipe counts what left
    if (this.dupAcks < DUPACK_THRESHOLD && !lost) return false;
    if (this.recover !== null && !seqGt(una, this.recover)) return false;
    this.halve(flight); // §5 step 4.2: ssthresh = cwnd = max(FlightSize / 2, 2 SMSS) (RFC 5681 eq. 4)
    this.cwnd = this.ssthresh;
    this.recover = max; // §5 step 4.1: RecoveryPoint = HighData
    this.inRecovery = true;
    this.sackRecovery = true;
    this.counters.fastRetransmits++;
    this.counters.recoveries++;
    return true;
  }

  // The retransmission timer expired (RFC 5681 §3.1, eq. 4 and "LW"): back
  // to slow start from one segment; RFC 6582 §3.2 step 1 for `recover`.
  onTimeout(flight, max) {
    this.halve(flight);
    this.cwnd = this.smss;
    this.bytesAcked = 0;
    this.dupAcks = 0;
    this.inRecovery = false;
    this.sackRecovery = false;
    this.recover = max;
    this.counters.timeouts++;
  }
}

module.exports = { NewReno, DUPACK_THRESHOLD, INITIAL_SEGMENTS };
