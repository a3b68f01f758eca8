// apps/netstat.js: the network's sockets and counters, like `netstat -tua`,
// `ss -tan`, `ss -ti` and `netstat -s`.
//
// Everything comes from one kernel call (`net.stats`): the interface counts
// what each layer received and sent, and every frame it dropped, by layer and
// reason (kernel/net/interface.js); the UDP port table lists its sockets and
// the TCP table its listeners and connections with their states
// (kernel/net/tcp-socket.js), each connection described by its TCB
// (kernel/net/tcp/connection.js, describe()).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const LAYERS = ['ethernet', 'arp', 'ipv4', 'icmp', 'udp', 'tcp'];

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('netstat', module.exports, parsed.error);
  if (parsed.operands.length > 0) return usageError('netstat', module.exports, `extra operand '${parsed.operands[0]}'`);
  const o = parsed.options;
  // -s: the counters alone. -t and -u: those sockets alone. Otherwise
  // (nothing, -a): every socket, then the counters.
  const countersOnly = o.statistics;
  const some = o.tcp || o.udp;
  let stats;
  try {
    stats = await sys.net.stats();
  } catch (e) {
    sys.stderr.write(`netstat: ${e.message}\n`);
    return 1;
  }
  if (!countersOnly) {
    if (o.udp || !some) {
      sys.print('Active UDP sockets');
      sys.table(
        ['PROTO', 'LOCAL ADDRESS', 'RECV-Q', 'RECEIVED', 'SENT', 'DROPPED', 'OWNER'],
        stats.sockets.map((s) => ['udp', `0.0.0.0:${s.port}`, s.queued, s.received, s.sent, s.dropped, s.owner]),
      );
      sys.print('');
    }
    if (o.tcp || !some) {
      tcpSockets(stats.tcp.sockets || [], o.info);
      sys.print('');
    }
    if (some) return 0;
  }
  const rows = [];
  for (const layer of LAYERS) {
    const c = stats[layer];
    if (!c) continue;
    const drops = Object.entries(c.dropped || {}).sort((a, b) => b[1] - a[1]);
    const total = drops.reduce((n, [, k]) => n + k, 0);
    const why = drops.map(([reason, n]) => `${reason} ${n}`).join(', ');
    rows.push([layer, c.received, c.sent, total, why || '-']);
  }
  sys.table(['PROTOCOL', 'RECEIVED', 'SENT', 'DROPPED', 'WHY DROPPED'], rows);
  if (countersOnly) {
    const a = stats.arp.cache;
    const r = stats.ipv4.reassembly;
    sys.print('');
    sys.print(`arp cache: ${a.entries} entries, ${a.pending} waiting for replies, ${a.expired} expired, ${a.evicted} evicted, ${a.unresolved} unresolved`);
    sys.print(`ip reassembly: ${r.inProgress} in progress, ${r.reassembled} reassembled, ${r.timedOut} timed out, ${r.evicted} evicted`);
    if (stats.tcp) tcpCounters(stats.tcp);
    const d = stats.dns;
    if (d) {
      sys.print(
        `dns resolver (servers ${d.servers.join(', ') || 'none'}): ${d.queries} queries, ${d.cacheHits} from the cache, ` +
          `${d.sent} sent, ${d.received} answered, ${d.retries} retries, ${d.timeouts} timed out, ${d.ignored} replies ignored`,
      );
    }
  }
  return 0;
};

// `ss -tan`: listeners, then connections, with their states (RFC 9293's
// names). A listener's Recv-Q is its accept queue and Send-Q its backlog, as ss shows them.
function tcpSockets(sockets, info) {
  sys.print('Active TCP sockets');
  const row = (s) => [s.state, s.recvQueue, s.sendQueue, `${s.localAddress}:${s.localPort}`, s.remotePort ? `${s.remoteAddress}:${s.remotePort}` : '0.0.0.0:*', s.owner];
  const columns = ['STATE', 'RECV-Q', 'SEND-Q', 'LOCAL ADDRESS:PORT', 'PEER ADDRESS:PORT', 'OWNER'];
  if (!info) {
    sys.table(columns, sockets.map(row));
    return;
  }
  // -i: each connection's TCB below it, in ss -ti's words.
  for (const s of sockets) {
    sys.print(row(s).join('  '));
    if (s.state !== 'LISTEN') sys.print(`\t${detail(s)}`);
  }
}

const ms = (seconds) => (seconds === null || seconds === undefined ? '-' : String(Math.round(seconds * 1e6) / 1e3));

// ss -ti's fields: options, rto and rtt/rttvar in ms, mss, cwnd and ssthresh
// in segments, bytes and segments each way, retransmissions; and ours:
// challenge ACKs sent (RFC 5961; and held back by §7's limit, if any) and
// zero-window or keep-alive probes sent.
function detail(s) {
  const parts = [];
  if (s.timestamps) parts.push('ts');
  if (s.sack) parts.push('sack');
  if (s.wscale) parts.push(`wscale:${s.wscale[0]},${s.wscale[1]}`);
  if (s.nodelay) parts.push('nodelay');
  parts.push(`rto:${ms(s.rto)}`, `rtt:${ms(s.rtt)}/${ms(s.rttvar)}`, `mss:${s.mss}`);
  if (s.cwnd !== null && s.cwnd !== undefined) parts.push(`cwnd:${Math.round(s.cwnd / s.mss)}`);
  if (s.ssthresh !== null && s.ssthresh !== undefined) parts.push(`ssthresh:${Math.round(s.ssthresh / s.mss)}`);
  parts.push(
    `bytes_sent:${s.bytesOut + s.bytesRetransmitted}`,
    `bytes_retrans:${s.bytesRetransmitted}`,
    `bytes_acked:${s.bytesAcked}`,
    `bytes_received:${s.bytesIn}`,
    `segs_out:${s.segmentsOut}`,
    `segs_in:${s.segmentsIn}`,
    `retrans:${s.retransmits}`,
    ...(s.sacked ? [`sacked:${Math.ceil(s.sacked / s.mss)}`] : []),
    `timeouts:${s.timeouts}`,
    ...(s.lossProbes ? [`tlp:${s.lossProbes}`] : []),
    `challenge_acks:${s.challengeAcks}`,
    `snd_wnd:${s.sndWnd}`,
    `rcv_wnd:${s.rcvWnd}`,
    `probes:${s.probes}`,
  );
  // RFC 5961 §7's limit, when it has held some back.
  if (s.challengeAcksSuppressed) parts.splice(parts.indexOf(`challenge_acks:${s.challengeAcks}`) + 1, 0, `challenge_acks_suppressed:${s.challengeAcksSuppressed}`);
  return parts.join(' ');
}

// netstat -s's Tcp section (Linux's names where it has them).
function tcpCounters(t) {
  sys.print(
    `tcp: ${t.activeOpens} active connection openings, ${t.passiveOpens} passive connection openings, ` +
      `${t.established} connections established, ${t.received} segments received, ${t.sent} segments sent out, ` +
      `${t.retransmits} segments retransmitted (${t.timeouts} timeouts, ${t.lossProbes} tail loss probes), ${t.resetsIn} resets received, ${t.resetsOut} resets sent, ` +
      `${t.listenOverflows} times the listen queue of a socket overflowed, ${t.listenDrops} SYNs to LISTEN sockets dropped, ` +
      `${t.synQueueEvictions} half-open connections evicted for new SYNs, ${t.timeWaitReused} TIME-WAIT connections ended by a newer SYN, ` +
      `${t.challengeAcks} challenge ACKs sent (${t.challengeAcksSuppressed} suppressed by the rate limit), ` +
      `${t.probes} window or keep-alive probes sent, ${t.finWait2Timeouts} connections closed by the FIN-WAIT-2 timeout`,
  );
  const drops = Object.entries(t.connectionDrops || {}).sort((a, b) => b[1] - a[1]);
  if (drops.length) sys.print(`tcp connections dropped segments: ${drops.map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
}

module.exports.description = 'show sockets and per-protocol counters';
module.exports.options = {
  '-a, --all': 'every socket, and the counters (the default)',
  '-t, --tcp': 'the TCP sockets, with their states (as ss -tan)',
  '-u, --udp': 'the UDP sockets',
  '-n, --numeric': 'numeric addresses (accepted: they always are)',
  '-i, --info': 'with -t: each connection\'s rtt, rto, cwnd, ssthresh, bytes and retransmissions (as ss -ti)',
  '-s, --statistics': 'counters only, with the ARP cache, reassembly and TCP',
};
module.exports.usage = 'netstat [-a | -tu] [-ni]\nnetstat -s';
