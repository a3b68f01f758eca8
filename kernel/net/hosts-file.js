// kernel/net/hosts-file.js: /etc/hosts, the static table of names that the
// resolver (resolver.js) reads before it asks DNS (hosts(5), the format of
// RFC 952's HOSTS.TXT as BSD simplified it).
//
// Text in, a Map out: no state. The resolver reads the file on every query,
// so an edit takes effect at once. A line is an address, then its canonical
// name and any aliases, separated by blanks; "#" starts a comment that runs
// to the end of the line. Lines that do not parse are skipped, as glibc does.
'use strict';

const { WireError } = require('./wire/errors');
const { ipFromString, ipv6FromString, ipv6ToString } = require('./wire/ip-address');

// parseHosts(text) -> Map(lower-case name -> { v4: [u32], v6: [RFC 5952 text] }).
// Addresses keep the order of the file (the first is the one lookup() uses),
// without duplicates; a name on several lines collects all their addresses.
function parseHosts(text) {
  const table = new Map();
  if (typeof text !== 'string') return table;
  for (const line of text.split('\n')) {
    const entry = parseLine(line);
    if (entry) for (const name of entry.names) addAddress(table, name, entry);
  }
  return table;
}

// "10.0.2.2  gateway gw  # slirp" -> { family: 'v4', address: 0x0a000202, names: ['gateway', 'gw'] },
// or null for a blank, comment-only or malformed line.
function parseLine(line) {
  const fields = line.replace(/#.*/, '').trim().split(/\s+/);
  if (fields.length < 2) return null; // blank, or an address with no name
  const address = parseAddress(fields[0]);
  if (!address) return null;
  const names = fields.slice(1).map(normalizeName).filter((name) => name !== '');
  return names.length ? { ...address, names } : null;
}

// Strict forms only (ip-address.js): a dotted quad without leading zeros, or
// RFC 4291 IPv6 text without a zone ("%eth0") or a dotted IPv4 tail.
function parseAddress(text) {
  try {
    if (text.includes(':')) return { family: 'v6', address: ipv6ToString(ipv6FromString(text)) };
    return { family: 'v4', address: ipFromString(text) };
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return null;
  }
}

// Names are case-insensitive (RFC 4343); "host.example." is "host.example".
function normalizeName(name) {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

function addAddress(table, name, { family, address }) {
  if (!table.has(name)) table.set(name, { v4: [], v6: [] });
  const list = table.get(name)[family];
  if (!list.includes(address)) list.push(address);
}

module.exports = { parseHosts };
