// apps/host.js: DNS lookups through the kernel's resolver, printed like the
// Linux host(1) tool (from BIND).
//
//   host NAME            addresses (A, AAAA) and mail servers (MX) of NAME
//   host -t TYPE NAME    one type: A, AAAA, CNAME, MX or TXT
//
// The resolver (kernel/net/resolver.js) asks /etc/hosts first, then its
// cache, then the name servers DHCP gave us, with retries; this app only
// formats what one kernel call (`net.resolve`) returns.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT'];

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usage(parsed.error);
  const names = parsed.operands;
  const type = parsed.options.t === null ? null : parsed.options.t.toUpperCase();
  if (type !== null && !TYPES.includes(type)) return usage(`invalid type: ${parsed.options.t}`);
  if (names.length !== 1) return usage(names.length ? 'too many arguments' : 'missing name');
  const name = names[0];

  // Like host: with no -t, ask for A, AAAA and MX together; the first
  // answer's aliases are printed once.
  const types = type ? [type] : ['A', 'AAAA', 'MX'];
  const results = await Promise.all(types.map((t) => sys.net.resolve(name, t).then((r) => ({ r }), (e) => ({ e }))));
  // The first type decides (A, or the -t type); the others only add lines.
  if (results[0].e) {
    const e = results[0].e;
    if (e.code === 'ETIMEDOUT') sys.print(';; connection timed out; no servers could be reached');
    else if (RCODES[e.code] !== undefined) sys.print(`Host ${name} not found: ${RCODES[e.code]}(${e.code})`);
    else sys.stderr.write(`host: ${e.message}\n`);
    return 1;
  }
  let aliasesShown = false;
  for (const [i, { r }] of results.entries()) {
    if (!r) continue; // AAAA or MX failed after A answered: nothing to add
    if (!aliasesShown && (r.type !== 'CNAME' || !r.answers.length)) {
      for (const [alias, canonical] of r.aliases) sys.print(`${alias} is an alias for ${canonical}.`);
      aliasesShown = true;
    }
    for (const a of r.answers) sys.print(format(a));
    if (type && !r.answers.length && !r.aliases.length) sys.print(`${r.name} has no ${types[i]} record`);
  }
  return 0;
};

// The rcode numbers host prints: "Host x not found: 3(NXDOMAIN)".
const RCODES = { FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

function format(a) {
  switch (a.type) {
    case 'A':
      return `${a.name} has address ${a.data}`;
    case 'AAAA':
      return `${a.name} has IPv6 address ${a.data}`;
    case 'CNAME':
      return `${a.name} is an alias for ${a.data}.`;
    case 'MX':
      return `${a.name} mail is handled by ${a.data.preference} ${a.data.exchange}.`;
    case 'TXT':
      return `${a.name} descriptive text ${a.data.map((t) => JSON.stringify(t)).join(' ')}`;
    default:
      return `${a.name} has ${a.type} record ${JSON.stringify(a.data)}`;
  }
}

const usage = (why) => usageError('host', module.exports, why);

module.exports.description = 'look up a name in the DNS';
module.exports.options = { '-t TYPE': 'the record type: A, AAAA, CNAME, MX or TXT' };
module.exports.usage = 'host [-t A|AAAA|CNAME|MX|TXT] NAME';
