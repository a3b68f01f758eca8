// kernel/net/wire/errors.js: WireError, the one exception every wire/ parser throws.
//
// Parse/emit only; the interface layer owns state. A parser that meets bad bytes
// throws a WireError whose `reason` is a short fixed string from REASONS below:
// the interface layer uses it as the key when it counts dropped packets (like
// the drop counters of `netstat -s`), and `message` adds details for the log.
'use strict';

// Every reason a wire/ module may give, so counters can be created up front.
const REASONS = Object.freeze([
  // any protocol
  'bad-input', // parse() was given something other than a Uint8Array
  'truncated', // fewer bytes than a header or a length field promises
  'bad-length', // a length field contradicts itself (e.g. IPv4 total length < header)
  'bad-checksum', // the Internet checksum does not verify
  'bad-version', // IPv4 version field is not 4
  'bad-header-length', // IPv4 IHL < 5
  'unsupported', // a valid packet of a kind we do not speak (ARP for non-Ethernet/IPv4)
  'bad-field', // a header field has a value the protocol forbids (ARP op 7, BOOTP hlen 20)
  // DHCP (RFC 2131/2132)
  'bad-cookie', // the magic cookie is not 99.130.83.99
  'option-overrun', // an option's length runs past the end of the message (TCP: of the header)
  'bad-option', // a known option has the wrong length for its type (DHCP, TCP)
  // DNS (RFC 1035 §4.1.4 name compression, §2.3.4 size limits)
  'bad-label', // a label type other than plain (0b00) or pointer (0b11)
  'bad-pointer', // a compression pointer outside the message or into its header
  'forward-pointer', // a compression pointer to a later offset
  'compression-loop', // a compression pointer back into the name being read
  'too-many-pointers', // more pointer hops than any honest name needs
  'name-too-long', // a name over 255 bytes
  'bad-rdata', // RDATA whose contents do not fill its RDLENGTH exactly
  // TCP (RFC 9293 §3.1 header, §3.2 options)
  'bad-data-offset', // the data offset is < 5 words or runs past the segment
  'bad-option-length', // an option's length byte is 0 or 1, too short to cover itself
  // emit() and the address helpers, when the caller passes bad values
  'bad-record', // a record field is missing or out of range
  'bad-name', // a DNS name string that cannot be encoded
  'bad-address', // an address string that does not parse
]);

class WireError extends Error {
  constructor(reason, detail) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'WireError';
    this.reason = reason;
  }
}

// DNS errors are WireErrors too (same reasons table); the subclass lets the
// resolver tell "the server sent garbage" from other failures at a glance.
class DnsError extends WireError {
  constructor(reason, detail) {
    super(reason, detail);
    this.name = 'DnsError';
  }
}

module.exports = { WireError, DnsError, REASONS };
