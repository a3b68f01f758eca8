// kernel/net/tcp/states.js: the states of a TCP connection, RFC 9293
// §3.3.2, named as the RFC writes them (netstat and ss print them so).
// LISTEN is the listener's: a connection starts in SYN-SENT (connect) or
// SYN-RECEIVED (made by a listener from a SYN).
'use strict';

const State = Object.freeze({
  CLOSED: 'CLOSED',
  SYN_SENT: 'SYN-SENT',
  SYN_RECEIVED: 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSING: 'CLOSING',
  TIME_WAIT: 'TIME-WAIT',
  CLOSE_WAIT: 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
});

module.exports = { State };
