// kernel/net/tcp/connection.js: one TCP connection (a TCB, RFC 9293 §3.3.1)
// as a pure state machine: segments in, segments out, time passed in.
//
// Nothing here owns a socket, a port, an interface or a timer. Whoever holds
// the connection (the TCP layer of the interface, a test) does three things:
//   conn.segment(record, now)  a parsed segment (wire/tcp.js) for this connection
//   conn.poll(now)             the segments to send now, as records for tcp.emit
//   conn.pollAt()              when poll must run next (null: only after input)
// and the app side calls send(bytes), read(max), close() (half-close: FIN
// after the queued data) and abort() (RST). What happens is reported through
// the `onEvent(type, detail)` function given at construction:
//   established, readable, writable, end (the peer's FIN), error {code}, closed.
//
// Its parts, each a module of its own: seq.js (arithmetic modulo 2^32),
// rto.js (RFC 6298's estimator), reassembly.js (out-of-order data, SACK
// blocks), send-buffer.js (bytes not yet acknowledged), congestion.js
// (NewReno), sack-scoreboard.js (what the peer's SACK blocks say it holds),
// states.js (the state names). This file is RFC 9293 §3.10 in
// its order: opening, segment arrival, the receive window, the app's calls,
// the state changes; what to send is output.js (sack-recovery.js during
// SACK-based loss recovery) and the timers timers.js, methods of this class
// kept in files of their own.
'use strict';

const { seqAdd, seqDiff, seqLt, seqLeq, seqGt, seqGeq, seqMax, seqInWindow } = require('./seq');
const { RtoEstimator } = require('./rto');
const { Reassembly } = require('./reassembly');
const { SendBuffer } = require('./send-buffer');
const { NewReno } = require('./congestion');
const { SackScoreboard } = require('./sack-scoreboard');
const { sequenceLength } = require('../wire/tcp');
const { State } = require('./states');
const { output, options, ALL_FLAGS, EMPTY } = require('./output');
const { timers } = require('./timers');
const { sackRecovery } = require('./sack-recovery');

const DEFAULTS = {
  mss: 1460, // what we advertise: a 1500-byte Ethernet MTU less 20 (IP) and 20 (TCP)
  sendBuffer: 1024 * 1024,
  receiveBuffer: 256 * 1024,
  windowScale: true, // RFC 7323 §2; true: the smallest shift that covers receiveBuffer
  timestamps: true, // RFC 7323 §3
  sack: true, // RFC 2018: SACK blocks both ways; theirs drive loss recovery (RFC 6675)
  nodelay: false, // true turns Nagle's algorithm off (TCP_NODELAY)
  ackDelay: 0.04, // delayed ACK: Linux's 40 ms (TCP_DELACK_MIN); 0 acks every segment at once
  msl: 30, // TIME-WAIT lasts 2 MSL = 60 s, Linux's TCP_TIMEWAIT_LEN
  synRetries: 6, // Linux's tcp_syn_retries: 1+2+4+8+16+32+64 = 127 s
  synAckRetries: 5, // Linux's tcp_synack_retries
  retries: 15, // Linux's tcp_retries2: then ETIMEDOUT
  keepAlive: null, // { idle, interval, count }: Linux's 7200, 75, 9 when turned on
  challengeAckInterval: 0.5, // RFC 5961 §7: at most one challenge ACK per 500 ms (Linux's tcp_invalid_ratelimit)
  finTimeout: 60, // FIN-WAIT-2 after the owner has gone: Linux's tcp_fin_timeout
  tsOffset: 0, // added to our millisecond clock for TSval (random per connection, RFC 7323 §5.4)
  rto: {}, // RtoEstimator options
  segmentOffload: 0, // the largest segment the NIC cuts to the MSS itself (TSO); 0: none
  lossProbes: true, // tail loss probes (RFC 8985 §7), when SACK is agreed
};

const DEFAULT_PEER_MSS = 536; // RFC 9293 §3.7.1 (MUST-15): no MSS option means 536
const MIN_PEER_MSS = 48; // Linux's tcp_min_snd_mss: a tiny MSS cannot make us send 1-byte segments
const TIMESTAMP_OPTION_LEN = 12; // NOP NOP kind length TSval TSecr: what every segment carries

function socketError(code, message) {
  const e = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

// The RST that answers a segment nobody should have received (RFC 9293
// §3.10.7.1, a CLOSED port): if it had an ACK, <SEQ=SEG.ACK><CTL=RST>;
// otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never for an RST.
function resetFor(segment) {
  if (segment.flags.rst) return null;
  const base = { srcPort: segment.dstPort, dstPort: segment.srcPort, window: 0, urgentPointer: 0, options: options(), payload: EMPTY };
  if (segment.flags.ack) return { ...base, seq: segment.ack, ack: 0, flags: { ...ALL_FLAGS, rst: true } };
  return { ...base, seq: 0, ack: seqAdd(segment.seq, sequenceLength(segment)), flags: { ...ALL_FLAGS, rst: true, ack: true } };
}

// The smallest shift that lets a 16-bit window field cover `buffer` bytes (RFC 7323 §2.3: at most 14).
function shiftFor(buffer) {
  let shift = 0;
  while (shift < 14 && 0xffff * 2 ** shift < buffer) shift++;
  return shift;
}

class Connection {
  // Use Connection.connect or Connection.accept. Common options:
  //   localAddress, localPort, remoteAddress, remotePort, iss (RFC 6528's
  //   choice is the caller's), onEvent(type, detail), and DEFAULTS' keys.
  constructor(opts) {
    this.options = { ...DEFAULTS, ...opts };
    const o = this.options;
    this.localAddress = o.localAddress ?? 0;
    this.localPort = o.localPort;
    this.remoteAddress = o.remoteAddress ?? 0;
    this.remotePort = o.remotePort;
    this.onEvent = o.onEvent || (() => {});
    this.state = State.CLOSED;
    this.passive = false;
    this.error = null; // the code of the error that closed it

    // Send sequence variables (RFC 9293 §3.3.1), plus SND.MAX: the highest
    // sequence number sent, which SND.NXT falls back from after a timeout.
    this.iss = o.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1); // the SYN is queued from the start
    this.sndMax = this.sndNxt;
    this.sndWnd = 0;
    this.sndWl1 = 0;
    this.sndWl2 = 0;
    this.maxSndWnd = 0; // the largest window the peer offered (sender SWS, RFC 5961 §5)
    this.sendBuffer = new SendBuffer(o.sendBuffer);
    this.sndBufSeq = seqAdd(this.iss, 1); // the sequence number of sendBuffer's first byte
    this.finQueued = false; // close() was called: a FIN follows the data
    this.sndSml = this.iss; // the end of the last small segment sent (Nagle, Minshall's form)

    // Receive sequence variables; RCV.WND is kept as its right edge
    // (rcvAdv, the last one advertised), so the window never shrinks.
    this.irs = null;
    this.rcvNxt = 0;
    this.rcvAdv = 0;
    this.reassembly = null;
    this.received = []; // in-order bytes the app has not read
    this.receivedBytes = 0;
    this.peerFinished = false; // their FIN is in: read() ends once `received` is empty

    // Negotiated on the SYNs.
    this.ourShift = o.windowScale === false ? 0 : o.windowScale === true ? shiftFor(o.receiveBuffer) : o.windowScale;
    this.wsOk = false;
    this.sndShift = 0;
    this.rcvShift = 0;
    this.peerMss = DEFAULT_PEER_MSS;
    this.smss = DEFAULT_PEER_MSS; // payload bytes per full segment we send
    this.sackOk = false;
    this.tsOk = false;
    this.tsRecent = null; // RFC 7323 §4.3
    this.timeoutTs = null; // our TSval at the last retransmission timeout
    this.lastAckSent = 0;
    this.lastChallengeAt = null; // when the last challenge ACK was allowed (RFC 5961 §7)
    this.orphaned = false; // the owner has closed and gone: nobody reads (orphan())

    this.rto = new RtoEstimator(o.rto);
    this.cc = null; // NewReno, once the SMSS is known
    this.scoreboard = new SackScoreboard(); // their SACK blocks (RFC 6675), used when sackOk
    this.recoveryFirstDue = false; // RFC 6675 §5 (4.3): SND.UNA's segment goes at the next poll
    this.nodelay = o.nodelay;

    // What poll() owes: control segments, an ACK, a (re)transmission.
    this.outbox = []; // RSTs, already built
    this.synDue = false;
    this.ackNow = false;
    this.retransmitDue = null; // 'rto' | 'fast' (RFC 6298 §5.4, RFC 5681 §3.2)
    this.forceSend = false; // the persist timer overrides sender SWS once
    this.unackedBytes = 0; // in-order bytes received since our last ACK
    this.wantWritable = false;

    // Timers: absolute times in seconds, or null (pollAt gives the earliest).
    this.rtxAt = null;
    this.persistAt = null;
    this.delackAt = null;
    this.timeWaitAt = null;
    this.keepaliveAt = null;
    this.finWait2At = null; // FIN-WAIT-2 without an owner ends then (finTimeout)
    this.probeAt = null; // a tail loss probe (RFC 8985 §7), with SACK only
    this.lossProbeOut = false; // a probe has gone and no ACK of new data since
    this.retries = 0; // timeouts in a row for the same data
    this.persistBackoff = 0;
    this.probesUnanswered = 0; // zero-window or keep-alive probes since the last ACK
    this.now = 0;

    this.counters = {
      segmentsIn: 0,
      segmentsOut: 0,
      bytesIn: 0, // payload delivered in order
      bytesOut: 0, // payload sent for the first time
      bytesAcked: 0,
      bytesRetransmitted: 0,
      retransmits: 0, // segments sent again
      timeouts: 0,
      fastRetransmits: 0,
      sackRetransmits: 0, // segments sent again by RFC 6675's NextSeg
      lossProbes: 0, // tail loss probes sent (RFC 8985 §7)
      dupAcksIn: 0,
      challengeAcks: 0, // sent (RFC 5961 §3-5)
      challengeAcksSuppressed: 0, // owed but over the rate limit (§7)
      finWait2Timeouts: 0,
      resetsIn: 0,
      resetsOut: 0,
      probes: 0,
      drops: {}, // by reason, for netstat -s
    };
  }

  // Active open (RFC 9293 §3.10.1): SYN-SENT, the SYN goes out at the next poll.
  static connect(opts, now = 0) {
    const c = new Connection(opts);
    c.now = now;
    c.state = State.SYN_SENT;
    c.synDue = true;
    return c;
  }

  // Passive open: a listener got `syn` (§3.10.7.2) and hands it over; the
  // connection is SYN-RECEIVED and owes a SYN-ACK. A SYN's data is not
  // taken (it is not acknowledged, so the peer sends it again), as Linux
  // does without TCP Fast Open.
  static accept(syn, opts, now = 0) {
    const c = new Connection({ localPort: syn.dstPort, remotePort: syn.srcPort, ...opts });
    c.now = now;
    c.passive = true;
    c.state = State.SYN_RECEIVED;
    c.takeSyn(syn);
    c.sndWnd = syn.window; // RFC 7323 §2.2: a SYN's window is never scaled
    c.maxSndWnd = syn.window;
    c.sndWl1 = syn.seq;
    c.sndWl2 = c.iss;
    c.synDue = true;
    return c;
  }

  // --- segment arrival (RFC 9293 §3.10.7) -------------------------------------

  segment(seg, now) {
    this.now = now;
    this.counters.segmentsIn++;
    if (this.state === State.CLOSED) return this.drop('closed'); // the demux answers with resetFor()
    if (this.state === State.SYN_SENT) return this.synSentSegment(seg, now);
    return this.synchronizedSegment(seg, now);
  }

  // §3.10.7.3, SYN-SENT.
  synSentSegment(seg, now) {
    const f = seg.flags;
    // First, the ACK: it must acknowledge our SYN and nothing more.
    if (f.ack && (seqLeq(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      if (!f.rst) this.reset(seg.ack);
      return this.drop('bad-ack');
    }
    // Second, RST: only with an acceptable ACK (RFC 5961 §3 adds nothing here).
    if (f.rst) {
      if (!f.ack) return this.drop('rst-without-ack');
      this.counters.resetsIn++;
      return this.fail('ECONNREFUSED');
    }
    // Fourth, SYN (the third, security, is not implemented: no IPSO).
    if (!f.syn) return this.drop('no-syn');
    this.takeSyn(seg);
    this.sndWnd = seg.window; // unscaled on a SYN
    this.maxSndWnd = seg.window;
    this.sndWl1 = seg.seq;
    if (f.ack) {
      this.sndWl2 = seg.ack;
      this.sndUna = seg.ack;
      this.handshakeRtt(seg, now);
      this.establish(now);
      this.ackNow = true;
      // "If there are other controls or text in the segment, then continue
      // processing at the sixth step": data or a FIN on the SYN-ACK.
      if (seg.payload.length > 0 || f.fin) this.receiveText(seg, now);
    } else {
      // Simultaneous open (§3.3.5, figure 8): both sent a SYN. Answer with
      // SYN,ACK from our ISS and wait for the ACK of ours.
      this.state = State.SYN_RECEIVED;
      this.synDue = true;
    }
  }

  // The peer's SYN (ours being sent or already sent): IRS, RCV.NXT, and the
  // options RFC 9293 §3.7.1, RFC 7323 and RFC 2018 allow only here.
  takeSyn(seg) {
    const o = this.options;
    const opt = seg.options;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.lastAckSent = this.rcvNxt;
    // Our SYN (or SYN-ACK) offers the buffer unscaled, at most 65535 (RFC 7323 §2.2).
    this.rcvAdv = seqAdd(this.rcvNxt, Math.min(0xffff, o.receiveBuffer));
    this.reassembly = new Reassembly(this.rcvNxt, {
      limit: seqDiff(this.rcvAdv, this.rcvNxt),
      maxPieces: Math.max(16, Math.ceil(o.receiveBuffer / 256)),
    });
    // MSS: 0 is ignored (as Linux does), tiny values are raised to MIN_PEER_MSS.
    this.peerMss = opt.mss ? Math.max(MIN_PEER_MSS, opt.mss) : DEFAULT_PEER_MSS;
    // RFC 7323 §2.2: scaling applies in both directions only if both SYNs carried it.
    this.wsOk = o.windowScale !== false && opt.windowScale !== null;
    if (this.wsOk) {
      this.sndShift = Math.min(14, opt.windowScale); // §2.3: larger means 14
      this.rcvShift = this.ourShift;
    } else {
      this.sndShift = 0;
      this.rcvShift = 0;
    }
    this.sackOk = Boolean(o.sack && opt.sackPermitted);
    this.tsOk = Boolean(o.timestamps && opt.timestamps);
    if (this.tsOk) this.tsRecent = opt.timestamps.tsVal;
    // RFC 9293 §3.7.1: Eff.snd.MSS counts the options every segment carries.
    this.smss = Math.min(this.peerMss, o.mss) - (this.tsOk ? TIMESTAMP_OPTION_LEN : 0);
    this.cc = new NewReno(this.smss);
  }

  // The RTT of the SYN (or SYN-ACK): from the echoed timestamp, or from the
  // timed SYN if no timeout made it ambiguous (Karn, in rto.js).
  handshakeRtt(seg, now) {
    if (!this.rttFromTimestamp(seg, now)) this.rto.ackReceived(seg.ack, now);
    this.rto.handshakeComplete();
  }

  // §3.10.7.4: every state after SYN-SENT.
  synchronizedSegment(seg, now) {
    let f = seg.flags;
    if (this.state === State.SYN_RECEIVED && f.syn && seg.seq === this.irs) {
      if (!f.ack && !f.rst) {
        // Their SYN again: our SYN-ACK was lost. Send it again (as Linux does).
        this.synDue = true;
        return this.drop('syn-retransmitted');
      }
      if (f.ack && !f.rst && !this.passive) {
        // Simultaneous open: their SYN-ACK acknowledges our SYN; its SYN is
        // the one we have (Linux's exception to RFC 5961 §4). Go on without it.
        seg = { ...seg, seq: seqAdd(seg.seq, 1), flags: { ...f, syn: false } };
        f = seg.flags;
      }
    }
    // PAWS (RFC 7323 §5.3): a timestamp older than TS.Recent is an old
    // duplicate from an earlier wrap of the sequence space.
    const ts = seg.options.timestamps;
    if (this.tsOk && ts && !f.rst && this.tsRecent !== null && seqLt(ts.tsVal, this.tsRecent) && !this.disorderedAck(seg, ts)) {
      this.ackNow = true;
      return this.drop('paws');
    }

    // First: the sequence number (the table in §3.10.7.4).
    if (!this.acceptable(seg)) {
      if (!f.rst) {
        this.ackNow = true; // "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>": how a duplicate is answered
        if (this.state === State.TIME_WAIT && f.fin) this.timeWaitAt = now + 2 * this.options.msl;
      }
      return this.drop('out-of-window');
    }
    this.heardFrom(now);
    // RFC 7323 §4.3: remember the TSval of the segment our next ACK answers.
    if (this.tsOk && ts && seqGeq(ts.tsVal, this.tsRecent) && seqLeq(seg.seq, this.lastAckSent)) this.tsRecent = ts.tsVal;

    // Second: RST. RFC 5961 §3.2: only an RST exactly at RCV.NXT resets;
    // one elsewhere in the window gets a challenge ACK, so a blind attacker
    // has to guess the exact number.
    if (f.rst) {
      if (seg.seq !== this.rcvNxt) return this.challengeAck('rst-in-window');
      this.counters.resetsIn++;
      switch (this.state) {
        case State.SYN_RECEIVED:
          // A passive connection goes back to LISTEN (the listener drops it);
          // an active one (simultaneous open) was refused.
          return this.passive ? this.closeQuietly() : this.fail('ECONNREFUSED');
        case State.ESTABLISHED:
        case State.FIN_WAIT_1:
        case State.FIN_WAIT_2:
        case State.CLOSE_WAIT:
          return this.fail('ECONNRESET');
        default: // CLOSING, LAST-ACK, TIME-WAIT (RFC 9293; Linux's default, not RFC 1337)
          return this.closeQuietly();
      }
    }

    // Fourth: SYN. RFC 5961 §4 (adopted by RFC 9293): in a synchronized
    // state any SYN gets a challenge ACK; a genuine restart will answer
    // it with an RST at the right sequence number.
    if (f.syn) {
      if (this.state === State.SYN_RECEIVED && this.passive) return this.closeQuietly(); // back to LISTEN
      return this.challengeAck('syn-in-window');
    }

    // Fifth: ACK.
    if (!f.ack) return this.drop('no-ack');
    if (this.state === State.SYN_RECEIVED) {
      if (!(seqLt(this.sndUna, seg.ack) && seqLeq(seg.ack, this.sndMax))) {
        this.reset(seg.ack); // <SEQ=SEG.ACK><CTL=RST>
        return this.drop('bad-ack');
      }
      this.sndUna = seqAdd(this.iss, 1); // our SYN is acknowledged
      this.sndWnd = seg.window << this.sndShift;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.handshakeRtt(seg, now);
      this.establish(now);
    }
    if (!this.processAck(seg, now)) return undefined;
    if (this.finAcked()) {
      switch (this.state) {
        case State.FIN_WAIT_1:
          this.state = State.FIN_WAIT_2;
          if (this.orphaned) this.finWait2At = now + this.options.finTimeout;
          break;
        case State.CLOSING:
          this.enterTimeWait(now);
          break;
        case State.LAST_ACK:
          return this.closeQuietly();
        default:
      }
    }
    // Sixth: URG. The urgent pointer is ignored (RFC 6093 advises against
    // its use; the data arrives in line).
    // Seventh and eighth: text and FIN.
    this.receiveText(seg, now);
    return undefined;
  }

  // RFC 9293 §3.10.7.4's acceptability test, with RCV.WND the window we
  // last advertised. With a zero window a segment at RCV.NXT is still
  // "acceptable" for its ACK and RST (the data is trimmed off: "special
  // allowance should be made to accept valid ACKs, URGs, and RSTs").
  acceptable(seg) {
    const length = sequenceLength(seg);
    const wnd = this.rcvWnd;
    if (wnd === 0) return seg.seq === this.rcvNxt;
    if (length === 0) return seqInWindow(seg.seq, this.rcvNxt, wnd);
    return seqInWindow(seg.seq, this.rcvNxt, wnd) || seqInWindow(seqAdd(seg.seq, length - 1), this.rcvNxt, wnd);
  }

  // PAWS's exception for a pure duplicate ACK that was merely overtaken on
  // the way (Linux's tcp_disordered_ack): no data, at RCV.NXT, acknowledging
  // SND.UNA, not a window update, and its TSval older than TS.Recent by no
  // more than an RTO. A link that reorders delivers such ACKs late all the
  // time; dropping them (RFC 7323 §5.3 read strictly) throws away their
  // SACK blocks and duplicate-ACK count, and answers each with an ACK.
  disorderedAck(seg, ts) {
    const f = seg.flags;
    if (!f.ack || f.syn || f.fin || seg.payload.length > 0) return false;
    if (seg.seq !== this.rcvNxt || seg.ack !== this.sndUna) return false;
    if ((seg.window << this.sndShift) !== this.sndWnd) return false;
    return seqDiff(this.tsRecent, ts.tsVal) <= this.rto.rto * 1000;
  }

  // §3.10.7.4 fifth, for the states that have exchanged SYNs. Returns false
  // when the segment is to be dropped here.
  processAck(seg, now) {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) {
      // It acknowledges something not yet sent: "send an ACK, drop the segment".
      this.ackNow = true;
      this.drop('ack-unsent');
      return false;
    }
    // RFC 5961 §5: an ACK older than SND.UNA - MAX.SND.WND is a blind guess.
    if (seqLt(ack, seqAdd(this.sndUna, -this.maxSndWnd))) {
      this.challengeAck('ack-too-old');
      return false;
    }
    const window = seg.window << this.sndShift;
    const outstanding = seqDiff(this.sndMax, this.sndUna);
    // RFC 2018 §3: what the peer holds above the cumulative ACK.
    const sacked = this.sackOk ? this.scoreboard.update(seqMax(ack, this.sndUna), this.sndMax, seg.options.sackBlocks) : 0;
    if (seqGt(ack, this.sndUna)) {
      this.newAck(seg, now, outstanding);
    } else if (this.sackOk) {
      // RFC 6675 §2, a duplicate ACK with SACK: data outstanding, nothing
      // new acknowledged, and SACK blocks that cover bytes not covered
      // before. (Its window and its data do not matter: the blocks say
      // a segment above a hole arrived.)
      if (ack === this.sndUna && outstanding > 0 && sacked > 0) {
        this.counters.dupAcksIn++;
        const lost = this.scoreboard.isLost(this.sndUna, this.smss);
        if (this.cc.onSackDuplicateAck(this.sndUna, this.sndMax, outstanding, lost)) {
          this.counters.fastRetransmits++;
          this.recoveryFirstDue = true; // sack-recovery.js, at the next poll
        }
      }
    } else if (
      // RFC 5681 §2, a duplicate ACK: data outstanding, none in the segment,
      // no SYN or FIN, the same ACK and the same window as before. A zero
      // window's ACK is not counted: the peer is full, nothing was lost.
      ack === this.sndUna && outstanding > 0 && seg.payload.length === 0 && !seg.flags.syn && !seg.flags.fin &&
      window === this.sndWnd && window !== 0
    ) {
      this.counters.dupAcksIn++;
      if (this.cc.onDuplicateAck(this.sndUna, this.sndMax, outstanding)) {
        this.counters.fastRetransmits++;
        this.retransmitDue = 'fast';
      }
    }
    // The window, if this segment is newer than the one that last set it
    // (SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK).
    if (seqLeq(this.sndUna, ack) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLeq(this.sndWl2, ack)))) {
      this.sndWnd = window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, window);
      if (window > 0) this.persistBackoff = 0;
    }
    this.probesUnanswered = 0; // the peer is alive
    return true;
  }

  // SND.UNA < SEG.ACK =< SND.MAX: something new is acknowledged.
  newAck(seg, now, outstanding) {
    const ack = seg.ack;
    const acked = seqDiff(ack, this.sndUna);
    const dataAcked = Math.max(0, Math.min(seqDiff(ack, this.sndBufSeq), this.sendBuffer.length));
    this.sendBuffer.drop(dataAcked);
    this.sndBufSeq = seqAdd(this.sndBufSeq, dataAcked);
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack; // past a go-back-N restart, or a probe
    this.counters.bytesAcked += dataAcked;
    if (!this.rttFromTimestamp(seg, now)) this.rto.ackReceived(ack, now);
    const { retransmit, restartTimer } = this.cc.onAck(ack, acked, outstanding);
    if (retransmit) this.retransmitDue = 'fast';
    this.retries = 0;
    // RFC 8985 §7.2: new data acknowledged, so the next probe is scheduled afresh.
    this.probeAt = null;
    this.lossProbeOut = false;
    // RFC 6298 §5.2 and §5.3: off when everything is acknowledged, else restarted.
    if (this.sndUna === this.sndMax) this.rtxAt = null;
    else if (restartTimer) this.rtxAt = now + this.rto.rto;
    if (dataAcked > 0 && this.wantWritable && this.canSend()) {
      this.wantWritable = false;
      this.emit('writable');
    }
  }

  // RFC 7323 §4: an RTT sample from the echoed timestamp of an ACK that
  // acknowledges something new. Returns false when there is none.
  rttFromTimestamp(seg, now) {
    const ts = seg.options.timestamps;
    if (!this.tsOk || !ts || ts.tsEcr === 0) return false;
    // An echo of a segment sent before the last timeout measures the
    // timeout as well as the path (its ACK was lost, or it was): such
    // samples fed back into the RTO snowball it to the 60 s cap under
    // heavy loss. RFC 7323 §4.2 would take them; we leave them to Karn.
    if (this.timeoutTs !== null && seqLt(ts.tsEcr, this.timeoutTs)) return false;
    const ms = (this.tsClock(now) - ts.tsEcr) >>> 0;
    if (ms >= 0x80000000) return false; // an echo from the future: not ours
    this.rto.sample(ms / 1000);
    return true;
  }

  // Seventh (text) and eighth (FIN) steps of §3.10.7.4.
  receiveText(seg, now) {
    const fin = seg.flags.fin;
    const seq = seg.flags.syn ? seqAdd(seg.seq, 1) : seg.seq;
    if (seg.payload.length === 0 && !fin) return;
    if (!this.receiving) {
      // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: their FIN is in, so this
      // is a repeat ("ignore the segment text"); acknowledge it again.
      this.ackNow = true;
      if (fin && this.state === State.TIME_WAIT) this.timeWaitAt = now + 2 * this.options.msl; // restart 2 MSL
      return;
    }
    const r = this.reassembly;
    const heldBefore = r.pieces.length;
    const inOrder = seq === this.rcvNxt;
    r.limit = this.rcvWnd;
    const result = r.insert(seq, seg.payload, { fin });
    let delivered = 0;
    for (const chunk of result.data) {
      // Kept as it came, a view of its frame: frames handed to the stack
      // are its own (the driver copies each out of its DMA buffer, and
      // reassembly.js copies what it holds), so nothing reuses them.
      this.received.push(chunk);
      delivered += chunk.length;
    }
    this.receivedBytes += delivered;
    this.counters.bytesIn += delivered;
    this.rcvNxt = r.nxt;
    if (delivered > 0) this.emit('readable');
    if (result.fin) this.peerFin(now);
    // When to acknowledge (RFC 9293 §3.8.6.3, RFC 5681 §4.2): at once for
    // anything out of order, a hole filled, a FIN, a duplicate, data cut off
    // at the window; otherwise every second full segment, or after ackDelay.
    if (!inOrder || heldBefore > 0 || result.fin || result.duplicate || result.outside || result.refused || delivered === 0) {
      this.ackNow = true;
      return;
    }
    this.unackedBytes += delivered;
    if (!(this.options.ackDelay > 0) || this.unackedBytes >= 2 * this.rcvMss) this.ackNow = true;
    else if (this.delackAt === null) this.delackAt = now + this.options.ackDelay;
  }

  // Their FIN, in order (§3.10.7.4, eighth).
  peerFin(now) {
    this.peerFinished = true;
    this.ackNow = true;
    switch (this.state) {
      case State.ESTABLISHED:
        this.state = State.CLOSE_WAIT;
        break;
      case State.FIN_WAIT_1: // ours is not acknowledged yet, or we would be in FIN-WAIT-2
        this.state = State.CLOSING;
        break;
      case State.FIN_WAIT_2:
        this.enterTimeWait(now);
        break;
      default:
    }
    this.emit('end');
  }

  // --- what to send (poll) ----------------------------------------------------

  // The segments to transmit at `now`, as records for tcp.emit (full shape,
  // as tcp.parse returns them). Runs the timers that are due first.
  poll(now) {
    this.now = now;
    this.runTimers(now);
    const out = this.outbox;
    this.outbox = [];
    switch (this.state) {
      case State.CLOSED:
        break;
      case State.SYN_SENT:
        if (this.synDue) out.push(this.synSegment(now));
        break;
      case State.SYN_RECEIVED:
        if (this.synDue) out.push(this.synSegment(now));
        break;
      default:
        if (this.cc.sackRecovery) this.sendRecovery(now, out); // RFC 6675 §5
        this.sendData(now, out);
        this.scheduleLossProbe(now);
    }
    if (this.ackNow && this.state !== State.CLOSED && this.state !== State.SYN_SENT) {
      // A bare ACK carries SND.MAX, not SND.NXT: after a timeout SND.NXT
      // has gone back (go-back-N), and an ACK from behind the peer's
      // RCV.NXT would fail its acceptability test and be dropped unread,
      // ACK field and all. (Linux never moves snd_nxt back, the same effect.)
      out.push(this.makeSegment({ seq: this.sndMax, now }));
    }
    this.counters.segmentsOut += out.length;
    return out;
  }

  // The earliest time poll() has something to do; now if it has already.
  pollAt() {
    if (this.outbox.length || this.synDue || this.ackNow || this.retransmitDue || this.recoveryFirstDue) return this.now;
    if (this.state !== State.CLOSED && this.wouldSend()) return this.now;
    let at = null;
    for (const t of [this.rtxAt, this.persistAt, this.delackAt, this.timeWaitAt, this.keepaliveAt, this.finWait2At, this.probeAt]) {
      if (t !== null && (at === null || t < at)) at = t;
    }
    return at;
  }

  // --- the receive window -----------------------------------------------------

  // RCV.WND: what is left of the window we last advertised.
  get rcvWnd() {
    return Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt));
  }

  // The receiver's idea of a full segment: our MSS less the timestamps.
  get rcvMss() {
    return this.options.mss - (this.tsOk ? TIMESTAMP_OPTION_LEN : 0);
  }

  get receiveFree() {
    return Math.max(0, this.options.receiveBuffer - this.receivedBytes);
  }

  // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the right edge moves only
  // when it can move by min(half the buffer, one MSS); it never moves back.
  // The 16-bit field is the window shifted by RCV.WND.SHIFT (RFC 7323 §2.3),
  // rounded up rather than shrink the edge already advertised.
  windowField() {
    const current = this.rcvWnd;
    const free = this.receiveFree;
    const wnd = free - current >= Math.min(this.options.receiveBuffer / 2, this.rcvMss) ? free : current;
    const unit = 2 ** this.rcvShift;
    let field = Math.floor(wnd / unit);
    if (field * unit < current) field = Math.ceil(current / unit);
    field = Math.min(0xffff, field);
    this.rcvAdv = seqMax(this.rcvAdv, seqAdd(this.rcvNxt, field * unit));
    return field;
  }

  // --- app calls ----------------------------------------------------------------

  // Queues bytes to send; returns how many fit in the send buffer (the rest
  // is the caller's to offer again after 'writable'). RFC 9293 §3.10.2: in
  // SYN-SENT and SYN-RECEIVED the data waits for ESTABLISHED.
  send(bytes) {
    if (this.finQueued || this.state === State.CLOSED) throw socketError('EPIPE', 'the connection is closed for sending');
    const n = this.sendBuffer.push(bytes);
    if (n < bytes.length) this.wantWritable = true;
    return n;
  }

  // Up to `max` received bytes, in order; an empty array when none are
  // here yet; null once the peer's FIN has been reached (end of stream) or
  // the connection is closed (a reset flushes what was unread).
  read(max = Infinity) {
    if (this.receivedBytes === 0) return this.peerFinished || this.state === State.CLOSED ? null : EMPTY;
    const n = Math.min(max, this.receivedBytes);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.received[0];
      const take = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.received.shift();
      else this.received[0] = chunk.subarray(take);
    }
    this.receivedBytes -= n;
    // A window update, when the window we advertised has fallen to half the
    // buffer or less and reading has at least doubled it (Linux's rule in
    // __tcp_cleanup_rbuf), and it passes receiver SWS avoidance.
    const current = this.rcvWnd;
    const free = this.receiveFree;
    if (this.receiving && current <= this.options.receiveBuffer / 2 && free >= 2 * current &&
        free - current >= Math.min(this.options.receiveBuffer / 2, this.rcvMss)) {
      this.ackNow = true;
    }
    return out;
  }

  get readable() {
    return this.receivedBytes;
  }

  // Half-close (RFC 9293 §3.10.4): a FIN after the queued data. Reading
  // goes on until the peer's FIN.
  close() {
    switch (this.state) {
      case State.SYN_SENT:
        return this.closeQuietly(); // nothing sent worth finishing
      case State.SYN_RECEIVED: // the FIN follows ESTABLISHED (establish() moves on to FIN-WAIT-1)
        this.finQueued = true;
        return undefined;
      case State.ESTABLISHED:
        this.finQueued = true;
        this.state = State.FIN_WAIT_1;
        return undefined;
      case State.CLOSE_WAIT:
        this.finQueued = true;
        this.state = State.LAST_ACK;
        return undefined;
      default:
        return undefined; // closing already, or closed
    }
  }

  // The owner has closed the connection and gone (close() on its last
  // descriptor, or it exited), as against a half-close that goes on
  // reading. An orphan in FIN-WAIT-2 waits for the peer's FIN only
  // finTimeout seconds (timers.js): nobody would read what came before it.
  orphan() {
    this.orphaned = true;
    if (this.state === State.FIN_WAIT_2 && this.finWait2At === null) this.finWait2At = this.now + this.options.finTimeout;
  }

  // ABORT (RFC 9293 §3.10.5): RST to the peer where it knows us, then CLOSED.
  // The RST carries an ACK as Linux's does, and SND.MAX, the sequence
  // number the peer expects even after a go-back-N restart.
  abort() {
    switch (this.state) {
      case State.SYN_RECEIVED:
      case State.ESTABLISHED:
      case State.FIN_WAIT_1:
      case State.FIN_WAIT_2:
      case State.CLOSE_WAIT:
        this.outbox.push(this.record({ seq: this.sndMax, ack: this.rcvNxt, flags: { rst: true, ack: true } }));
        this.counters.resetsOut++;
        break;
      default:
    }
    if (this.state !== State.CLOSED) this.closeQuietly();
  }

  // --- state changes ---------------------------------------------------------

  get synchronized() {
    return this.state !== State.CLOSED && this.state !== State.SYN_SENT;
  }

  // States in which arriving data is taken (§3.10.7.4, seventh).
  get receiving() {
    return this.state === State.ESTABLISHED || this.state === State.FIN_WAIT_1 || this.state === State.FIN_WAIT_2;
  }

  canSend() {
    return this.sendBuffer.free > 0;
  }

  establish(now) {
    this.state = this.finQueued ? State.FIN_WAIT_1 : State.ESTABLISHED;
    this.retries = 0;
    this.synDue = false;
    if (this.sndUna === this.sndMax) this.rtxAt = null;
    this.heardFrom(now);
    this.emit('established');
  }

  enterTimeWait(now) {
    this.state = State.TIME_WAIT;
    this.rtxAt = null;
    this.persistAt = null;
    this.keepaliveAt = null;
    this.finWait2At = null;
    this.probeAt = null;
    this.timeWaitAt = now + 2 * this.options.msl; // RFC 9293 §3.10.7.4: 2 MSL
  }

  // RST or timeout: CLOSED with an error (the queues are flushed, §3.10.7.4).
  fail(code) {
    this.error = code;
    this.received = [];
    this.receivedBytes = 0;
    this.emit('error', { code });
    this.closeQuietly();
  }

  closeQuietly() {
    this.state = State.CLOSED;
    this.rtxAt = this.persistAt = this.delackAt = this.timeWaitAt = this.keepaliveAt = this.finWait2At = this.probeAt = null;
    this.synDue = false;
    this.ackNow = false;
    this.retransmitDue = null;
    this.emit('closed', { error: this.error });
  }

  // <SEQ=seq><CTL=RST>, queued for the next poll.
  reset(seq) {
    this.outbox.push(this.record({ seq, flags: { rst: true } }));
    this.counters.resetsOut++;
  }

  // A challenge ACK (RFC 5961 §3.2, §4.2, §5.2): <SEQ=SND.NXT><ACK=RCV.NXT>,
  // which a real peer answers and a blind attacker never sees. §7 asks
  // for a limit on how many go out, or a flood of forged RSTs turns into
  // a flood of ACKs to the real peer. The limit is per connection, one
  // per challengeAckInterval, as Linux's tcp_invalid_ratelimit: Linux's
  // host-wide counter leaked whether a guess was in the window
  // (CVE-2016-5696) and is now off by default. A real peer that restarted
  // sends its SYN again after a second and gets its challenge then.
  challengeAck(reason) {
    this.drop(reason);
    const every = this.options.challengeAckInterval;
    if (this.lastChallengeAt !== null && this.now - this.lastChallengeAt < every - 1e-9) {
      this.counters.challengeAcksSuppressed++;
      return;
    }
    this.lastChallengeAt = this.now;
    this.counters.challengeAcks++;
    this.ackNow = true;
  }

  drop(reason) {
    this.counters.drops[reason] = (this.counters.drops[reason] || 0) + 1;
  }

  emit(type, detail) {
    this.onEvent(type, detail);
  }

  // --- for netstat and ss -ti ---------------------------------------------------

  describe() {
    const cc = this.cc;
    return {
      state: this.state,
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.rcvWnd,
      sendQueue: this.sendBuffer.length,
      recvQueue: this.receivedBytes,
      mss: this.smss,
      wscale: this.wsOk ? [this.sndShift, this.rcvShift] : null,
      timestamps: this.tsOk,
      sack: this.sackOk,
      nodelay: this.nodelay,
      rtt: this.rto.srtt,
      rttvar: this.rto.rttvar,
      rto: this.rto.rto,
      cwnd: cc ? cc.cwnd : null,
      sacked: this.scoreboard.sackedBytes, // bytes the peer holds above SND.UNA (RFC 2018)
      inRecovery: cc ? (cc.sackRecovery ? 'sack' : cc.inRecovery ? 'newreno' : null) : null,
      ssthresh: cc ? cc.ssthresh : null,
      error: this.error,
      ...this.counters,
      drops: { ...this.counters.drops },
    };
  }
}

// What to send and when (output.js, timers.js) are this class's methods too.
Object.defineProperties(Connection.prototype, Object.getOwnPropertyDescriptors(output));
Object.defineProperties(Connection.prototype, Object.getOwnPropertyDescriptors(timers));
Object.defineProperties(Connection.prototype, Object.getOwnPropertyDescriptors(sackRecovery));

module.exports = { Connection, State, DEFAULTS, resetFor, shiftFor };
