// fs/lib/web/url-string.js (/lib/web/url-string in the image): the one
// step Request and Response need from a URL parser: an absolute URL,
// serialized (WHATWG URL, "URL parsing" and "URL serializing"). /lib/web/url.js (being written beside
// this) provides URL; once it is on the global, every URL goes through it.
// Until then a URL is kept as its string, checked only for a scheme and
// trimmed as the URL parser would (C0 controls and spaces at the ends, tabs
// and newlines anywhere), since a worker has no base URL to resolve against.
'use strict';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const WITH_CREDENTIALS = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;

// `input` is a string or a URL-like object (read by its href).
function serializeURL(input, { noCredentials = false } = {}) {
  const text = input !== null && typeof input === 'object' && 'href' in input ? String(input.href) : String(input);
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

module.exports = { serializeURL };
