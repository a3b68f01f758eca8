// fs/lib/web/url-string.js (/lib/web/url-string in the image): the one
// step Request and Response need from a URL parser: an absolute URL,
// serialized (WHATWG URL, "URL parsing" and "URL serializing"). A URL
// already in the form the parser would give back is returned as it is
// (alreadySerialized, below); any other goes through the URL class
// (/lib/web/url) once it is on the global, or, without it, is kept as its
// string, checked only for a scheme and trimmed as the URL parser would
// (C0 controls and spaces at the ends, tabs and newlines anywhere), since a
// worker has no base URL to resolve against.
'use strict';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

// A URL the parser would give back unchanged, spelled out so that most
// requests need no parser at all (a worker that never uses URL never
// compiles the 32 KB of /lib/web/url: a tenth of a fresh isolate's start).
// Each part is the parser's output form (WHATWG URL, "URL parsing"):
// - the scheme http or https, lower case; no credentials (no @ before the path);
// - a host of lower-case ASCII labels, none empty, none xn-- (IDNA would
//   check it), the last starting with a letter (one that is a number, or
//   0x..., makes the host an IPv4 address, which the parser rewrites), or
//   an IPv4 address as the parser writes one (four decimals, 0-255, no
//   leading zero);
// - a port with no leading zero, and not the scheme's default (dropped);
// - a path, present, of characters no percent-encode set holds (a % is
//   kept as it is), with no "." or ".." segment, nor %2e in any case;
// - a query of the same, less ' (the special-query percent-encode set); no fragment.
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const PLAIN_URL = new RegExp(
  `^(https?)://((?:[a-z0-9-]+\\.)*[a-z][a-z0-9-]*|${OCTET}(?:\\.${OCTET}){3})` +
    "(?::([1-9][0-9]{0,4}))?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)(\\?[A-Za-z0-9._~!$&()*+,;=:@%/?-]*)?$",
);
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i;
const DEFAULT_PORT = { http: '80', https: '443' };
function alreadySerialized(text) {
  const m = PLAIN_URL.exec(text);
  if (!m) return false;
  const [, scheme, host, port, path] = m;
  if (/(?:^|\.)xn--/.test(host)) return false;
  if (port !== undefined && (port === DEFAULT_PORT[scheme] || Number(port) > 65535)) return false;
  return !DOT_SEGMENT.test(path);
}
const WITH_CREDENTIALS = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;

// `input` is a string or a URL-like object (read by its href).
function serializeURL(input, { noCredentials = false } = {}) {
  const text = input !== null && typeof input === 'object' && 'href' in input ? String(input.href) : String(input);
  if (alreadySerialized(text)) return text;
  const URLClass = globalThis.URL;
  if (typeof URLClass === 'function') {
    let url;
    try {
      url = new URLClass(text);
    } catch (e) {
      throw new TypeError(`invalid URL ${JSON.stringify(text)}`);
    }
    if (noCredentials && (url.username || url.password)) throw new TypeError('a request URL cannot include credentials');
    return url.href;
  }
  const s = text.replace(/^[\0-\x20]+|[\0-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
  if (!SCHEME.test(s)) throw new TypeError(`invalid URL ${JSON.stringify(text)}: not absolute`);
  if (noCredentials && WITH_CREDENTIALS.test(s)) throw new TypeError('a request URL cannot include credentials');
  return s;
}

module.exports = { serializeURL, alreadySerialized };
