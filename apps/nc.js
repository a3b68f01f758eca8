// apps/nc.js: netcat for UDP: send standard input as datagrams, print what comes back.
//
//   nc -u HOST PORT     each line of input goes to HOST:PORT as one datagram;
//                       datagrams from there are printed
//   nc -u -l PORT       print every datagram that arrives on PORT; lines of
//                       input go to whoever sent the last one
//
// -w SECONDS ends nc after that long without traffic. When the input ends
// (Ctrl-D, or the end of a pipe), a client waits -w seconds (default 2) for
// replies and exits; a listener goes on listening.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usage(parsed.error);
  const { options, operands: rest } = parsed;
  // -v is accepted and changes nothing: nc says nothing more than it does.
  const opts = { udp: options.udp, listen: options.listen, wait: options.w === null ? null : Number(options.w) };
  if (!opts.udp) return usage('only UDP is supported yet: use -u');
  if (opts.wait !== null && !(opts.wait >= 0)) return usage('bad -w value');
  if (rest.length !== (opts.listen ? 1 : 2)) return usage(opts.listen ? 'expected PORT' : 'expected HOST PORT');
  const port = Number(rest[rest.length - 1]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`bad port '${rest[rest.length - 1]}'`);

  let peer = null; // { address, port }: where input goes
  let sock;
  try {
    if (!opts.listen) peer = { address: await sys.net.lookup(rest[0]), port };
    sock = await sys.net.udp.open({ port: opts.listen ? port : 0 });
  } catch (e) {
    sys.stderr.write(`nc: ${e.message}\n`);
    return 1;
  }

  let lastTraffic = sys.clock();
  let failure = null;
  let watching = false;
  const finished = new Promise((resolve) => {
    // Standard input: one datagram per line (a final partial line too).
    (async () => {
      let pending = '';
      for (let chunk = await sys.stdin.read(); chunk !== null; chunk = await sys.stdin.read()) {
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          send(pending.slice(0, nl + 1));
          pending = pending.slice(nl + 1);
        }
      }
      if (pending) send(pending);
      lastTraffic = sys.clock();
      if (!opts.listen) watchIdle(opts.wait ?? 2);
    })();
    // The network: print everything from the peer (a listener adopts each sender).
    (async () => {
      for (;;) {
        const batch = await sock.receive();
        if (!batch.length) return resolve(1);
        for (const m of batch) {
          if (m.error) {
            failure = `nc: ${m.address}:${m.port}: ${m.error === 'ECONNREFUSED' ? 'Connection refused' : m.message || m.error}`;
            if (!opts.listen) return resolve(1);
            continue;
          }
          if (opts.listen) peer = { address: m.address, port: m.port };
          else if (m.address !== peer.address || m.port !== peer.port) continue; // not our peer
          lastTraffic = sys.clock();
          sys.stdout.write(m.text);
        }
      }
    })();
    if (opts.wait !== null) watchIdle(opts.wait);

    function send(line) {
      lastTraffic = sys.clock();
      if (!peer) return; // a listener that has heard from nobody yet
      sock.send(peer.address, peer.port, line);
    }
    function watchIdle(seconds) {
      if (watching) return;
      watching = true;
      const check = () => {
        const idle = sys.clock() - lastTraffic;
        if (idle >= seconds) resolve(0);
        else setTimeout(check, Math.max(10, (seconds - idle) * 1000));
      };
      setTimeout(check, seconds * 1000);
    }
  });
  const status = await finished;
  if (failure) sys.stderr.write(`${failure}\n`);
  return failure ? 1 : status;
};

const usage = (why) => usageError('nc', module.exports, why);

module.exports.description = 'send and receive UDP datagrams';
module.exports.options = {
  '-u, --udp': 'UDP (the only protocol so far)',
  '-l, --listen': 'listen on PORT',
  '-w SECONDS': 'seconds without traffic before exiting',
  '-v': 'verbose (accepted; nc says no more than it does)',
};
module.exports.usage = 'nc -u [-w SECONDS] HOST PORT\nnc -u -l [-w SECONDS] PORT';
