// kernel/net/tcp/timers.js: a TCP connection's timers, as deadlines the
// connection keeps and poll() runs when due (no timer of its own: pollAt()
// tells the owner when to poll). Six of them:
//   rtxAt        retransmission (RFC 6298 §5), back-off, ETIMEDOUT
//   persistAt    zero-window probes and the sender SWS override (RFC 9293 §3.8.6.1)
//   delackAt     the delayed ACK (RFC 9293 §3.8.6.3)
//   timeWaitAt   2 MSL in TIME-WAIT (§3.10.8)
//   keepaliveAt  keep-alive probes (§3.8.4), when turned on
//   finWait2At   FIN-WAIT-2 after the owner has gone (Linux's tcp_fin_timeout)
//   probeAt      a tail loss probe (RFC 8985 §7), with SACK
//
// Methods of Connection (connection.js), which installs them on its
// prototype; `this` is the connection.
'use strict';

const { seqAdd, seqDiff, seqGt } = require('./seq');
const { State } = require('./states');

const EPSILON = 1e-9; // deadlines are sums of floats: 0.1 + 0.2 must be due at 0.3
// RFC 8985 §7.2's probe timeout: 2 SRTT, plus the peer's worst-case delayed
// ACK when only one segment is out (its ACK may be held that long), and no
// less than Linux's floor for it, so a tiny SRTT cannot make a probe storm.
const WORST_CASE_DELAYED_ACK = 0.2;
const MIN_PROBE_TIMEOUT = 0.01;

const timers = {
  runTimers(now) {
    const due = (t) => t !== null && now >= t - EPSILON;
    if (due(this.timeWaitAt)) {
      this.timeWaitAt = null;
      this.closeQuietly(); // 2 MSL have passed (RFC 9293 §3.10.8)
      return;
    }
    if (due(this.rtxAt)) this.retransmissionTimeout(now);
    if (this.state === State.CLOSED) return;
    if (due(this.persistAt)) this.persistTimeout(now);
    if (this.state === State.CLOSED) return;
    if (due(this.delackAt)) {
      this.delackAt = null;
      this.ackNow = true;
    }
    if (due(this.keepaliveAt)) this.keepaliveTimeout(now);
    if (due(this.finWait2At)) this.finWait2Timeout();
    if (due(this.probeAt)) this.lossProbeTimeout(now);
  },

  // RFC 8985 §7 (Tail Loss Probe): when the last segments of a flight, or
  // every ACK for them, are lost, nothing comes back to start fast
  // recovery and the sender would wait out the RTO (200 ms at least). On a
  // link that delivers a burst in one go the receiver answers a whole
  // flight with one ACK, so losing that one ACK is enough. Two round trips
  // after the last ACK of new data, a probe goes instead: the last segment
  // again, whose ACK says what the peer holds (and its SACK blocks start
  // recovery if something is missing). With SACK only, as §7 asks; one
  // probe until an ACK of new data; never later than the RTO.
  scheduleLossProbe(now) {
    const idle = this.sndMax === this.sndUna;
    if (!this.options.lossProbes || !this.sackOk || idle || this.cc.inRecovery || this.lossProbeOut || this.rtxAt === null || this.rto.srtt === null) {
      this.probeAt = null;
      return;
    }
    if (this.probeAt !== null) return; // it runs from the last ACK of new data (or the first send)
    let timeout = 2 * this.rto.srtt;
    if (seqDiff(this.sndMax, this.sndUna) <= this.smss) timeout += WORST_CASE_DELAYED_ACK;
    timeout = Math.max(timeout, MIN_PROBE_TIMEOUT);
    if (now + timeout >= this.rtxAt - EPSILON) return; // the RTO comes first: nothing to gain
    this.probeAt = now + timeout;
  },

  lossProbeTimeout(now) {
    this.probeAt = null;
    if (this.sndMax === this.sndUna || this.cc.inRecovery || !this.synchronized) return;
    // §7.3: the most recently sent segment, sent again (with the FIN if it had it).
    const finSent = this.finQueued && seqGt(this.sndMax, this.finSeq);
    const dataEnd = finSent ? this.finSeq : this.sndMax;
    const length = Math.max(0, Math.min(this.maxPayload(), seqDiff(dataEnd, this.sndUna)));
    this.outbox.push(this.dataSegment(seqAdd(dataEnd, -length), length, finSent, now));
    this.countRetransmission(length, 1);
    this.counters.lossProbes++;
    this.lossProbeOut = true;
    this.rto.retransmitted(); // Karn's rule: its ACK is no RTT sample
    this.rtxAt = now + this.rto.rto; // §7.3: the RTO restarts from the probe
  },

  // FIN-WAIT-2 has no end of its own: our FIN is acknowledged and the
  // peer may send for as long as it likes (RFC 9293 §3.6). With the owner
  // gone nobody reads what it sends, and a peer that never closes would
  // hold the connection for ever; so, as Linux after tcp_fin_timeout (60
  // s), it is forgotten, silently (Linux's default too: its FIN-WAIT-2
  // mini-socket expires without an RST).
  finWait2Timeout() {
    this.finWait2At = null;
    if (this.state !== State.FIN_WAIT_2) return;
    this.counters.finWait2Timeouts++;
    this.closeQuietly();
  },

  // RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment,
  // double the RTO, restart the timer; give up after too many in a row.
  retransmissionTimeout(now) {
    this.rtxAt = null;
    if (this.state === State.SYN_SENT || this.state === State.SYN_RECEIVED) {
      const limit = this.passive ? this.options.synAckRetries : this.options.synRetries;
      if (++this.retries > limit) return this.fail('ETIMEDOUT');
      this.counters.timeouts++;
      this.counters.retransmits++;
      this.rto.timeout();
      this.synDue = true;
      this.rtxAt = now + this.rto.rto;
      return undefined;
    }
    const outstanding = seqDiff(this.sndMax, this.sndUna);
    if (outstanding <= 0) return undefined;
    if (++this.retries > this.options.retries) return this.fail('ETIMEDOUT');
    this.counters.timeouts++;
    this.timeoutTs = this.tsClock(now);
    this.cc.onTimeout(outstanding, this.sndMax);
    // RFC 2018 §8: after a timeout the peer may have discarded what it
    // SACKed (reneging), so go-back-N sends it all again; RFC 6675 §5.1.
    this.scoreboard.reset(this.sndUna);
    this.recoveryFirstDue = false;
    this.probeAt = null;
    this.lossProbeOut = false;
    this.rto.timeout();
    this.sndNxt = this.sndUna; // go back N: resend from the first unacknowledged byte
    this.retransmitDue = 'rto';
    this.rtxAt = now + this.rto.rto;
    return undefined;
  },

  // The persist timer: the window is zero (send a probe) or too small for
  // sender SWS to use (send what fits anyway, its override timeout). Probes
  // back off like the RTO; one unanswered too many is ETIMEDOUT, but a peer
  // that answers with a zero window may keep us waiting forever.
  persistTimeout(now) {
    this.persistAt = null;
    if (this.probesUnanswered >= this.options.retries) return this.fail('ETIMEDOUT');
    if (this.sndWnd === 0) {
      this.outbox.push(this.probeSegment(now));
      this.probesUnanswered++;
      this.persistBackoff++;
    } else {
      this.forceSend = true;
    }
    this.persistAt = now + this.persistInterval;
    return undefined;
  },

  get persistInterval() {
    return Math.min(this.rto.options.max, this.rto.rto * 2 ** this.persistBackoff);
  },

  // A probe as Linux sends it (zero-window and keep-alive alike): an ACK
  // with SEQ = SND.UNA - 1, an old sequence number, which any live peer
  // must answer with an ACK carrying its current window (§3.10.7.4, first).
  probeSegment(now) {
    this.counters.probes++;
    return this.makeSegment({ seq: seqAdd(this.sndUna, -1), now });
  },

  // Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): off unless asked for.
  keepaliveTimeout(now) {
    const ka = this.options.keepAlive;
    this.keepaliveAt = null;
    if (!ka || !this.keepAliveState) return undefined;
    if (this.sndMax !== this.sndUna || this.sendBuffer.length > 0) {
      this.keepaliveAt = now + ka.idle; // the retransmission timer watches the peer
      return undefined;
    }
    if (this.probesUnanswered >= ka.count) return this.fail('ETIMEDOUT');
    this.outbox.push(this.probeSegment(now));
    this.probesUnanswered++;
    this.keepaliveAt = now + ka.interval;
    return undefined;
  },

  get keepAliveState() {
    return this.state === State.ESTABLISHED || this.state === State.CLOSE_WAIT || this.state === State.FIN_WAIT_2;
  },

  heardFrom(now) {
    const ka = this.options.keepAlive;
    if (ka && (this.keepAliveState || this.state === State.SYN_RECEIVED)) this.keepaliveAt = now + ka.idle;
  },

  // Our timestamp clock (RFC 7323 §5.4): milliseconds, plus a per-connection offset.
  tsClock(now) {
    return (this.options.tsOffset + Math.floor(now * 1000 + 1e-6)) >>> 0;
  },
};

module.exports = { timers };
