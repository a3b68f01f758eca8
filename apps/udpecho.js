// apps/udpecho.js: the Runtime.JS demo: a UDP server that answers every
// datagram with the sender's address and port and the text it sent.
//
// Each reply is `ADDRESS:PORT: ` followed by the exact bytes received. The
// loop takes datagrams in batches (one kernel call brings everything that
// has arrived) and its replies go back in one call too, which is what lets
// it keep up with tens of thousands of datagrams a second
// (bench/udp_echo.py).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('udpecho', module.exports, parsed.error);
  const { options, operands } = parsed;
  const verbose = options.verbose;
  if (operands.length > 1) return usageError('udpecho', module.exports, `extra operand '${operands[1]}'`);
  const given = operands[0];
  if (given !== undefined && !(/^\d+$/.test(given) && Number(given) >= 1 && Number(given) <= 65535)) {
    return usageError('udpecho', module.exports, `invalid port '${given}'`);
  }
  const port = given === undefined ? 7 : Number(given); // RFC 862's echo port
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
module.exports.options = { '-v, --verbose': 'print each datagram', PORT: 'the port to listen on (default 7)' };
module.exports.usage = 'udpecho [-v] [PORT]';
