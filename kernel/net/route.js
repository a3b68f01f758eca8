// kernel/net/route.js: the routing table of a host (RFC 1122 §3.3.1): which
// neighbour a datagram goes to first, by longest-prefix match.
//
// State lives here; bytes are wire/'s job. A host's table is tiny: the
// connected subnet ("on-link": send straight to the destination) and a
// default route via the gateway. Addresses are unsigned 32-bit numbers.
'use strict';

const { maskFromPrefix, inSubnet, ipToString } = require('./wire/ip-address');

const ON_LINK = 0; // a route's gateway when the destination itself is the next hop

class RouteTable {
  constructor() {
    this.routes = []; // { network, prefixLength, gateway }, longest prefix first
  }

  // The subnet the interface sits on, e.g. 10.0.2.0/24.
  addConnected(address, prefixLength) {
    this.add(address, prefixLength, ON_LINK);
  }

  // 0.0.0.0/0 via the gateway: everything not matched by a longer prefix.
  setDefault(gateway) {
    this.routes = this.routes.filter((r) => r.prefixLength !== 0);
    this.add(0, 0, gateway);
  }

  add(network, prefixLength, gateway) {
    const mask = maskFromPrefix(prefixLength);
    this.routes.push({ network: (network & mask) >>> 0, prefixLength, gateway });
    // Sorting once here makes lookup() "the first match wins".
    this.routes.sort((a, b) => b.prefixLength - a.prefixLength);
  }

  clear() {
    this.routes = [];
  }

  // The next hop for `dst`: dst itself when it is on-link, the gateway when
  // it is reached through one, or null when no route matches (the caller
  // reports "network unreachable").
  lookup(dst) {
    for (const r of this.routes) {
      if (inSubnet(dst, r.network, maskFromPrefix(r.prefixLength))) return r.gateway === ON_LINK ? dst : r.gateway;
    }
    return null;
  }

  // True when `ip` is on a connected subnet (a neighbour we may ARP for).
  isOnLink(ip) {
    return this.routes.some((r) => r.gateway === ON_LINK && inSubnet(ip, r.network, maskFromPrefix(r.prefixLength)));
  }

  // For an `ip route` command: ["10.0.2.0/24 on-link", "default via 10.0.2.2"].
  describe() {
    return this.routes.map((r) =>
      r.prefixLength === 0 && r.gateway !== ON_LINK
        ? `default via ${ipToString(r.gateway)}`
        : `${ipToString(r.network)}/${r.prefixLength} ${r.gateway === ON_LINK ? 'on-link' : `via ${ipToString(r.gateway)}`}`,
    );
  }
}

module.exports = { RouteTable, ON_LINK };
