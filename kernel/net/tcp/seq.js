// kernel/net/tcp/seq.js: sequence-number arithmetic, modulo 2^32
// (RFC 9293 §3.4, "Sequence Numbers").
//
// Pure helpers for the TCP socket and its parts (reassembly, the send queue).
// Sequence numbers are unsigned 32-bit and wrap: after 4294967295 comes 0.
// So "a is before b" cannot be a < b; it means that going forward from a,
// b is less than half the number space (2^31) away. In 32-bit two's
// complement that is simply (a - b) < 0, as Linux's before() and BSD's
// SEQ_LT() compute it. The comparison only makes sense for numbers less
// than 2^31 apart, which TCP guarantees by never having a window that large
// (RFC 7323 §2.3: at most 2^30 with the largest scale).
'use strict';

// a + n, wrapped to 32 bits. n may be negative.
function seqAdd(a, n) {
  return (a + n) >>> 0;
}

// a - b as a signed distance: how far b is behind a (negative: ahead).
function seqDiff(a, b) {
  return (a - b) | 0;
}

const seqLt = (a, b) => seqDiff(a, b) < 0;
const seqLeq = (a, b) => seqDiff(a, b) <= 0;
const seqGt = (a, b) => seqDiff(a, b) > 0;
const seqGeq = (a, b) => seqDiff(a, b) >= 0;
const seqMax = (a, b) => (seqGt(a, b) ? a : b);
const seqMin = (a, b) => (seqLt(a, b) ? a : b);

// start =< x < start + size: the test RFC 9293 §3.10.7.4 applies to a
// segment's first and last bytes against the receive window
// (RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND). An empty window holds nothing.
function seqInWindow(x, start, size) {
  const offset = seqDiff(x, start);
  return offset >= 0 && offset < size;
}

module.exports = { seqAdd, seqDiff, seqLt, seqLeq, seqGt, seqGeq, seqMax, seqMin, seqInWindow };
