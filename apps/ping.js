// apps/ping.js: send ICMP echo requests (RFC 792) and print the replies, like iputils ping.
//
// A name is looked up first (the kernel's resolver: /etc/hosts, then DNS).
// Each request is one kernel call (`net.ping`); the kernel's stack builds the
// packet, resolves the next hop with ARP and matches the reply by id and seq.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usage(parsed.error);
  const { options, operands } = parsed;
  // Each option's value, or its default: -c 4, -i 1 s, -s 56 bytes, -W 1 s.
  const number = (value, otherwise) => (value === null ? otherwise : Number(value));
  const opts = { count: number(options.c, 4), interval: number(options.i, 1), size: number(options.s, 56), timeout: number(options.W, 1) };
  if (operands.length === 0) return usage('missing host');
  if (operands.length > 1) return usage(`extra operand '${operands[1]}'`);
  const host = operands[0];
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

const usage = (why) => usageError('ping', module.exports, why);

module.exports.description = 'send ICMP echo requests to a host';
module.exports.options = {
  '-c COUNT': 'number of requests (default 4)',
  '-i SECONDS': 'seconds between requests (default 1)',
  '-s SIZE': 'data bytes (default 56)',
  '-W SECONDS': 'seconds to wait for each reply (default 1)',
};
module.exports.usage = 'ping [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] ADDRESS';
