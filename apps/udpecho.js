// apps/udpecho.js: the Runtime.JS demo: a UDP server that answers every
// datagram with the sender's address and port and the text it sent.
//
// Each reply is `ADDRESS:PORT: ` followed by the exact bytes received. The
// loop takes datagrams in batches (one kernel call brings everything that
// has arrived) and its replies go back in one call too, which is what lets
// it keep up with tens of thousands of datagrams a second
// (bench/udp_echo.py).
'use strict';

module.exports = async function main(argv) {
  let verbose = false;
  let port = 7; // RFC 862's echo port
  for (const a of argv.slice(1)) {
    if (a === '-v') verbose = true;
    else if (/^\d+$/.test(a) && Number(a) >= 1 && Number(a) <= 65535) port = Number(a);
    else {
      sys.stderr.write(`udpecho: invalid argument '${a}'\nusage: udpecho [-v] [PORT]\n`);
      return 2;
    }
  }
  let sock;
  try {
    sock = await sys.net.udp.open({ port });
  } catch (e) {
    sys.stderr.write(`udpecho: ${e.message}\n`);
    return 1;
  }
  sys.print(`udpecho: listening on UDP port ${sock.port}`);
  for (;;) {
    const batch = await sock.receive();
    if (!batch.length) return 0; // closed
    for (const m of batch) {
      if (m.error) continue; // an ICMP error about one of our replies: nothing to do
      if (verbose) sys.print(`${m.address}:${m.port}: ${JSON.stringify(m.text)}`);
      sock.send(m.address, m.port, [`${m.address}:${m.port}: `, m]);
    }
  }
};

module.exports.description = 'answer every UDP datagram with its sender and text';
module.exports.options = { '-v': 'print each datagram', PORT: 'the port to listen on (default 7)' };
module.exports.usage = 'udpecho [-v] [PORT]';
