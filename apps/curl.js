// apps/curl.js: fetch URLs over HTTP/1.1 and print what comes back, as
// curl does: the body to standard output (or -o FILE), -I the headers of
// a HEAD, -v the exchange ('> ' what was sent, '< ' what came back), -L
// following redirects. http:// only: https is not supported here.
//
// Exit statuses are curl's: 1 unsupported protocol, 3 bad URL, 6 a name
// that does not resolve, 7 a refused or unreachable connection, 8 a reply
// that is not HTTP, 18 a body cut short, 22 an HTTP error with -f, 23 a
// file that cannot be written, 28 a timeout, 47 too many redirects, 52 an
// empty reply, 56 a connection reset while receiving. Built on /lib/http/client.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { send, resolveUrl } = require('/lib/http/client');
const { utf8Bytes } = require('/lib/http/bytes');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('curl', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (operands.length === 0) return usageError('curl', module.exports, 'no URL specified');
  const quiet = options.silent && !options['show-error'];
  const complain = (code, message) => {
    if (!quiet) sys.stderr.write(`curl: (${code}) ${message}\n`);
    return code;
  };
  const headers = [];
  for (const h of options.header) {
    const colon = h.indexOf(':');
    if (colon <= 0) return complain(2, `bad header '${h}'`);
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  let body = null;
  if (options.data.length) {
    const parts = [];
    for (const d of options.data) {
      if (!d.startsWith('@')) parts.push(d);
      else {
        try {
          // curl -d @FILE strips the file's newlines; --data-binary would not.
          parts.push((await sys.fs.readFile(d.slice(1))).replace(/[\r\n]/g, ''));
        } catch (e) {
          sys.stderr.write(`Warning: Couldn't read data from file "${d.slice(1)}", this makes an empty POST.\n`);
        }
      }
    }
    body = utf8Bytes(parts.join('&'));
    if (!headers.some(([n]) => n.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  }
  let method = options.request || (options.head ? 'HEAD' : body !== null ? 'POST' : 'GET');
  const timeout = options['max-time'] === null ? Infinity : Number(options['max-time']) * 1000;
  if (!(timeout > 0)) return complain(2, `bad --max-time '${options['max-time']}'`);
  const maxRedirs = options['max-redirs'] === null ? 50 : Number(options['max-redirs']);

  let out = null;
  if (options.output !== null && options.output !== '-') {
    try {
      out = await sys.fs.open(options.output, 'w');
    } catch (e) {
      return complain(23, `Failure writing output to destination: ${options.output}: ${e.message}`);
    }
  }
  const write = (bytes) => (out ? out.write(bytes) : sys.stdout.write(bytes));
  let status = 0;
  try {
    for (const first of operands) {
      status = await fetch(first);
      if (status !== 0) break;
    }
  } finally {
    if (out) await out.close().catch(() => {});
  }
  // A connection given up on (a timeout) may still have a read waiting,
  // which would keep the app alive: curl is done.
  sys.exit(status);
  return status;

  // One URL, with its redirects.
  async function fetch(first) {
    let url = first;
    let verb = method;
    let data = body;
    for (let redirects = 0; ; redirects++) {
      let r;
      try {
        r = await send({ method: verb, url, headers, body: data, timeout, userAgent: 'curl/8.5.0 (jsksh)', onEvent: verbose });
      } catch (e) {
        return failure(e, url);
      }
      const location = r.headers.location;
      if (options.location && location && [301, 302, 303, 307, 308].includes(r.status)) {
        await r.close();
        if (redirects >= maxRedirs) return complain(47, `Maximum (${maxRedirs}) redirects followed`);
        url = resolveUrl(url, location);
        // 303, and 301/302 after a POST, become a GET without the body (curl's and browsers' way).
        if (r.status === 303 || ((r.status === 301 || r.status === 302) && verb === 'POST' && !options.request)) {
          verb = method === 'HEAD' ? 'HEAD' : 'GET';
          data = null;
        }
        if (options.verbose) sys.stderr.write(`* Issue another request to this URL: '${url}'\n`);
        continue;
      }
      if (options.fail && r.status >= 400) {
        await r.close();
        return complain(22, `The requested URL returned error: ${r.status}`);
      }
      if (options.head || options.include) await write(utf8Bytes(headText(r)));
      try {
        for (let b = await r.read(); b !== null; b = await r.read()) if (!options.head) await write(b);
      } catch (e) {
        return failure(e, url);
      }
      return 0;
    }
  }

  // -v: what curl -v prints, on stderr.
  function verbose(kind, info) {
    if (!options.verbose) return;
    if (kind === 'trying') sys.stderr.write(`*   Trying ${info.address}:${info.port}...\n`);
    else if (kind === 'connected') sys.stderr.write(`* Connected to ${info.host} (${info.address}) port ${info.port}\n`);
    else if (kind === 'request') sys.stderr.write(info.text.split('\r\n').slice(0, -1).map((l) => `> ${l}\n`).join(''));
    else if (kind === 'response') {
      const h = info.head;
      sys.stderr.write(`< HTTP/${h.version} ${h.status} ${h.reason}\n${h.rawHeaders.map(([n, v]) => `< ${n}: ${v}\n`).join('')}<\n`);
    }
  }

  // An error as curl reports it, with its status.
  function failure(e, url) {
    const host = e.address || url;
    switch (e.code) {
      case 'EPROTO':
        return complain(1, `Protocol "${e.scheme}" not supported`);
      case 'EINVAL':
        if (e.during === 'resolve') break;
        return complain(3, e.message);
      case 'ECONNREFUSED':
        return complain(7, `Failed to connect to ${host} port ${e.port}: Connection refused`);
      case 'ENETUNREACH':
      case 'EHOSTUNREACH':
        return complain(7, `Failed to connect to ${host} port ${e.port}: ${e.code === 'ENETUNREACH' ? 'Network is unreachable' : 'No route to host'}`);
      case 'ETIMEDOUT':
        if (e.during === 'resolve') break;
        return complain(28, e.during === 'connect' ? `Failed to connect to ${host} port ${e.port}: Connection timed out` : 'Operation timed out');
      case 'HTTP_PARSE':
        return complain(8, `Weird server reply: ${e.message}`);
      case 'PARTIAL':
        return complain(18, `transfer closed with outstanding read data remaining`);
      case 'EMPTY_REPLY':
        return complain(52, 'Empty reply from server');
      case 'ECONNRESET':
        return complain(56, 'Recv failure: Connection reset by peer');
      default:
    }
    if (e.during === 'resolve') return complain(6, `Could not resolve host: ${hostOf(url)}`);
    return complain(56, e.message);
  }
};

// The status line and header fields as they came, CRLF-ended (curl -I, -i).
const headText = (r) => `HTTP/${r.version} ${r.status} ${r.reason}\r\n${r.rawHeaders.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;

const hostOf = (url) => (/^(?:\w+:\/\/)?(?:[^@/]*@)?([^/:?#]*)/.exec(url) || [])[1] || url;

module.exports.description = 'transfer a URL over HTTP/1.1';
module.exports.options = {
  '-o, --output=FILE': 'write the body to FILE instead of stdout',
  '-I, --head': 'HEAD: show the response headers only',
  '-i, --include': 'show the response headers before the body',
  '-X, --request=METHOD': 'the request method (default GET, or POST with -d)',
  '-d, --data=DATA...': 'send DATA as the body (POST, form-encoded; @FILE reads it)',
  '-H, --header=LINE...': "add a header 'Name: value' ('Name:' removes one)",
  '-v, --verbose': "show the exchange: '> ' sent, '< ' received, '* ' what happened",
  '-s, --silent': 'no error messages',
  '-S, --show-error': 'error messages even with -s',
  '-f, --fail': 'fail on HTTP errors (status 400 and up) with exit status 22, no body',
  '-L, --location': 'follow redirects',
  '--max-redirs=NUM': 'at most NUM redirects with -L (default 50)',
  '-m, --max-time=SECONDS': 'give up after SECONDS (exit status 28)',
  URL: 'http://HOST[:PORT][/PATH]',
};
module.exports.usage = 'curl [options] URL...';
