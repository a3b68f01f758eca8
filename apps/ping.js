// apps/ping.js: send ICMP echo requests (RFC 792) and print the replies, like iputils ping.
//
// A name is looked up first (the kernel's resolver: /etc/hosts, then DNS).
// Each request is one kernel call (`net.ping`); the kernel's stack builds the
// packet, resolves the next hop with ARP and matches the reply by id and seq.
'use strict';

module.exports = async function main(argv) {
  const opts = { count: 4, interval: 1, size: 56, timeout: 1 };
  let host = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const value = () => Number(argv[++i]);
    if (a === '-c') opts.count = value();
    else if (a === '-i') opts.interval = value();
    else if (a === '-s') opts.size = value();
    else if (a === '-W') opts.timeout = value();
    else if (!a.startsWith('-') && host === null) host = a;
    else return usage(`invalid argument '${a}'`);
  }
  if (host === null) return usage('missing host');
  if (![opts.count, opts.interval, opts.size, opts.timeout].every((n) => Number.isFinite(n) && n >= 0)) return usage('bad number');

  let address;
  try {
    address = await sys.net.lookup(host);
  } catch (e) {
    sys.stderr.write(`ping: ${e.message}\n`);
    return 2;
  }
  sys.print(`PING ${host} (${address}) ${opts.size}(${opts.size + 28}) bytes of data.`);
  const rtts = [];
  const start = sys.clock();
  let sent = 0;
  for (let seq = 1; seq <= opts.count; seq++) {
    if (seq > 1) await sys.sleep(opts.interval * 1000);
    sent++;
    try {
      const r = await sys.call('net.ping', { host: address, seq, size: opts.size, timeoutMs: opts.timeout * 1000 });
      rtts.push(r.rtt);
      sys.print(`${r.bytes} bytes from ${address}: icmp_seq=${seq} ttl=${r.ttl} time=${r.rtt.toFixed(3)} ms`);
    } catch (e) {
      if (e.code !== 'ETIMEDOUT') {
        sys.stderr.write(`ping: ${e.message}\n`);
        return 2;
      }
    }
  }
  const elapsed = Math.round((sys.clock() - start) * 1000);
  const loss = sent ? Math.round((100 * (sent - rtts.length)) / sent) : 0;
  sys.print(`\n--- ${host} ping statistics ---`);
  sys.print(`${sent} packets transmitted, ${rtts.length} received, ${loss}% packet loss, time ${elapsed}ms`);
  if (rtts.length) {
    const avg = rtts.reduce((s, x) => s + x, 0) / rtts.length;
    const mdev = Math.sqrt(rtts.reduce((s, x) => s + (x - avg) ** 2, 0) / rtts.length);
    const f = (x) => x.toFixed(3);
    sys.print(`rtt min/avg/max/mdev = ${f(Math.min(...rtts))}/${f(avg)}/${f(Math.max(...rtts))}/${f(mdev)} ms`);
  }
  return rtts.length ? 0 : 1;
};

function usage(why) {
  sys.stderr.write(`ping: ${why}\nusage: ping [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] ADDRESS\n`);
  return 2;
}

module.exports.description = 'send ICMP echo requests to a host';
module.exports.options = { '-c': 'number of requests (default 4)', '-i': 'seconds between requests', '-s': 'data bytes (default 56)', '-W': 'seconds to wait for each reply' };
module.exports.usage = 'ping [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] ADDRESS';
