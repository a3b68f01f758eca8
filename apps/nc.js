// apps/nc.js: netcat: standard input to a TCP connection (or UDP datagrams),
// and what comes back to standard output.
//
//   nc HOST PORT        connect over TCP; input goes to HOST:PORT, what it
//                       sends is printed. When input ends nc half-closes the
//                       connection (a FIN: OpenBSD nc's -N) and goes on
//                       printing until the other side finishes, then exits
//   nc -l PORT          listen on PORT, take one connection, then the same
//   nc -u HOST PORT     each line of input goes to HOST:PORT as one datagram;
//                       datagrams from there are printed
//   nc -u -l PORT       print every datagram that arrives on PORT; lines of
//                       input go to whoever sent the last one
//
// -w SECONDS ends nc after that long without traffic. Over UDP, when the
// input ends (Ctrl-D, or the end of a pipe), a client waits -w seconds
// (default 2) for replies and exits; a listener goes on listening.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usage(parsed.error);
  const { options, operands: rest } = parsed;
  // -v is accepted and changes nothing: nc says nothing more than it does.
  const opts = { udp: options.udp, listen: options.listen, wait: options.w === null ? null : Number(options.w) };
  if (opts.wait !== null && !(opts.wait >= 0)) return usage('bad -w value');
  if (rest.length !== (opts.listen ? 1 : 2)) return usage(opts.listen ? 'expected PORT' : 'expected HOST PORT');
  const port = Number(rest[rest.length - 1]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`bad port '${rest[rest.length - 1]}'`);
  if (!opts.udp) return tcp(rest[0], port, { ...opts, verbose: options.v });

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
  sock.close(); // an open socket keeps the app alive (as a dgram socket keeps Node's)
  if (failure) sys.stderr.write(`${failure}\n`);
  return failure ? 1 : status;
};

// TCP: one connection, made or accepted; its two directions run at once.
async function tcp(host, port, opts) {
  let conn;
  try {
    if (opts.listen) {
      const server = await sys.net.tcp.listen(port, { backlog: 1 });
      conn = await server.accept();
      server.close(); // one connection, as OpenBSD nc without -k
      if (opts.verbose) sys.stderr.write(`Connection received on ${conn.remoteAddress} ${conn.remotePort}\n`);
    } else {
      conn = await sys.net.tcp.connect(host, port);
      if (opts.verbose) sys.stderr.write(`Connection to ${host} ${port} port [tcp/*] succeeded!\n`);
    }
  } catch (e) {
    // OpenBSD nc's words: "nc: connect to HOST port PORT (tcp) failed: Connection refused".
    const why = e.message.replace(/^.*: /, '');
    sys.stderr.write(opts.listen ? `nc: ${e.message}\n` : `nc: connect to ${host} port ${port} (tcp) failed: ${why}\n`);
    return 1;
  }
  let lastTraffic = sys.clock();
  // Standard input to the connection; at its end, our FIN.
  const sending = (async () => {
    try {
      for (let chunk = await sys.stdin.readBytes(65536); chunk !== null; chunk = await sys.stdin.readBytes(65536)) {
        lastTraffic = sys.clock();
        await conn.write(chunk);
      }
      await conn.end();
    } catch (e) {
      // The connection failed: the reading side says so.
    }
  })();
  if (opts.wait !== null) {
    const check = () => {
      const idle = sys.clock() - lastTraffic;
      if (idle >= opts.wait) sys.exit(0);
      else setTimeout(check, Math.max(10, (opts.wait - idle) * 1000));
    };
    setTimeout(check, opts.wait * 1000);
  }
  // The connection to standard output, until the other side finishes.
  let status = 0;
  try {
    for (let data = await conn.read(); data !== null; data = await conn.read()) {
      lastTraffic = sys.clock();
      await sys.stdout.write(data);
    }
  } catch (e) {
    sys.stderr.write(`nc: ${e.message.replace(/^read \w+: /, 'read: ')}\n`);
    status = 1;
  }
  // The other side has finished. Input from a pipe or a file still goes
  // to it, to its end (a peer may half-close and go on reading, as we do);
  // a terminal's is not waited for.
  const interactive = sys.stdin.kind === 'tty' || sys.stdin.kind === 'channel';
  if (!interactive && status === 0) await sending;
  sys.exit(status);
  return status;
}

const usage = (why) => usageError('nc', module.exports, why);

module.exports.description = 'send and receive over TCP, or UDP datagrams';
module.exports.options = {
  '-u, --udp': 'UDP instead of TCP',
  '-l, --listen': 'listen on PORT (TCP: for one connection)',
  '-w SECONDS': 'seconds without traffic before exiting',
  '-v': 'verbose: say when a TCP connection is made',
};
module.exports.usage = 'nc [-v] [-w SECONDS] HOST PORT\nnc -l [-v] [-w SECONDS] PORT\nnc -u [-w SECONDS] HOST PORT\nnc -u -l [-w SECONDS] PORT';
