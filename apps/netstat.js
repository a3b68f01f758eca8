// apps/netstat.js: the network's sockets and counters, like `netstat -ua` and `netstat -s`.
//
// Everything comes from one kernel call (`net.stats`): the interface counts
// what each layer received and sent, and every frame it dropped, by layer and
// reason (kernel/net/interface.js); the UDP port table lists the sockets and
// who holds them.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const LAYERS = ['ethernet', 'arp', 'ipv4', 'icmp', 'udp'];

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('netstat', module.exports, parsed.error);
  if (parsed.operands.length > 0) return usageError('netstat', module.exports, `extra operand '${parsed.operands[0]}'`);
  // -s: the counters alone; anything else (-a, -u, nothing): the sockets too.
  const countersOnly = parsed.options.statistics;
  let stats;
  try {
    stats = await sys.net.stats();
  } catch (e) {
    sys.stderr.write(`netstat: ${e.message}\n`);
    return 1;
  }
  if (!countersOnly) {
    sys.print('Active UDP sockets');
    sys.table(
      ['PROTO', 'LOCAL ADDRESS', 'RECV-Q', 'RECEIVED', 'SENT', 'DROPPED', 'OWNER'],
      stats.sockets.map((s) => ['udp', `0.0.0.0:${s.port}`, s.queued, s.received, s.sent, s.dropped, s.owner]),
    );
    sys.print('');
  }
  const rows = [];
  for (const layer of LAYERS) {
    const c = stats[layer];
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

module.exports.description = 'show sockets and per-protocol counters';
module.exports.options = {
  '-a, --all': 'sockets and counters (the default)',
  '-u, --udp': 'the UDP sockets (the only kind): the same as -a',
  '-s, --statistics': 'counters only, with the ARP cache and reassembly',
};
module.exports.usage = 'netstat [-au | -s]';
