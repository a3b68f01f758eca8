// fs/lib/web/url.js (/lib/web/url in the image): URL and URLSearchParams of
// the WHATWG URL Standard (https://url.spec.whatwg.org/), for code written
// for Cloudflare-Workers-style runtimes (issue 14), which our V8 lacks.
//
// What is here: the basic URL parser's state machine (§4.4) for special
// schemes (http, https, ws, wss, ftp, file) and for others with an opaque
// path (mailto:, data:) or a host (foo://h/p); relative references against
// a base; host parsing (§3.5): ASCII domains lower-cased, IPv4 in every
// numeric form, IPv6 in brackets, opaque hosts; the percent-encode sets
// (§1.3); path normalization; the serializer and the URL class's getters,
// and every setter (the parser's state overrides). URLSearchParams
// (§6) with the application/x-www-form-urlencoded parser and serializer (§5).
//
// What is not: IDNA (UTS #46) and Punycode. A host with a non-ASCII code
// point (after percent-decoding) is a parse failure here, a TypeError
// "Invalid URL", where a browser would map it to xn--; an ASCII "xn--"
// label is taken as it is, where a browser checks its Punycode. Against
// web-platform-tests' urltestdata.json (869 cases) the 20 that differ are
// all of these, and of its setters_tests.json (274) the 5 that differ. Text
// is always UTF-8 (no legacy query encodings; the decoding is encoding.js's
// TextDecoder).
'use strict';

const { TextDecoder } = require('/lib/web/encoding');

// §4.1: special schemes and their default ports.
const SPECIAL = { ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };
const isSpecialScheme = (s) => Object.prototype.hasOwnProperty.call(SPECIAL, s);

// --- UTF-8 and percent-encoding (§1.3) --------------------------------------

// The UTF-8 bytes of one code point (a lone surrogate is U+FFFD, as a
// USVString conversion would have made it).
function utf8Of(cp) {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

// §1.3 "UTF-8 decode without BOM": bad sequences become U+FFFD, and a
// leading U+FEFF stays (ignoreBOM).
const withoutBOM = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Text = (bytes) => withoutBOM.decode(bytes);

// The percent-encode sets, each a test on a code point; each set holds the one before.
const C0_CONTROL_SET = (c) => c < 0x20 || c > 0x7e;
const FRAGMENT_SET = (c) => C0_CONTROL_SET(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
const QUERY_SET = (c) => C0_CONTROL_SET(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
const SPECIAL_QUERY_SET = (c) => QUERY_SET(c) || c === 0x27;
const PATH_SET = (c) => QUERY_SET(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
const USERINFO_SET = (c) => PATH_SET(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5d) || c === 0x7c;
const COMPONENT_SET = (c) => USERINFO_SET(c) || (c >= 0x24 && c <= 0x26) || c === 0x2b || c === 0x2c;
const FORM_SET = (c) => COMPONENT_SET(c) || c === 0x21 || (c >= 0x27 && c <= 0x29) || c === 0x7e;

const hex2 = (b) => '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();

// One code point (a one- or two-unit string) percent-encoded if it is in `set`.
function encodeCp(ch, set) {
  const cp = ch.codePointAt(0);
  if (!set(cp)) return ch;
  return utf8Of(cp).map(hex2).join('');
}
const encodeAll = (s, set) => Array.from(s, (ch) => encodeCp(ch, set)).join('');

const isHex = (c) => /^[0-9A-Fa-f]$/.test(c);

// §1.3 percent-decode: the bytes of `s` (as UTF-8) with %XX turned into XX.
function percentDecode(s) {
  const b = [];
  for (const ch of s) b.push(...utf8Of(ch.codePointAt(0)));
  const out = [];
  for (let i = 0; i < b.length; i++) {
    const h = String.fromCharCode(b[i + 1] || 0, b[i + 2] || 0);
    if (b[i] === 0x25 && i + 2 < b.length && isHex(h[0]) && isHex(h[1])) {
      out.push(parseInt(h, 16));
      i += 2;
    } else out.push(b[i]);
  }
  return Uint8Array.from(out);
}

// --- Hosts (§3) -------------------------------------------------------------

const FORBIDDEN_HOST = new Set(['\0', '\t', '\n', '\r', ' ', '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|']);
const isForbiddenDomainCp = (ch) => FORBIDDEN_HOST.has(ch) || ch <= '\x1f' || ch === '%' || ch === '\x7f';

// §3.5 the IPv4 number parser: decimal, 0x hex or 0-prefixed octal; null on failure.
function ipv4Number(s) {
  if (s === '') return null;
  let radix = 10;
  if (/^0[xX]/.test(s)) { s = s.slice(2); radix = 16; }
  else if (s.length > 1 && s[0] === '0') { s = s.slice(1); radix = 8; }
  if (s === '') return 0;
  const ok = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9A-Fa-f]+$/ : /^[0-7]+$/;
  if (!ok.test(s)) return null;
  return parseInt(s, radix);
}

// §3.5 "ends in a number": the last label (a trailing dot aside) is digits or a number.
function endsInANumber(s) {
  const parts = s.split('.');
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1];
  if (/^[0-9]+$/.test(last)) return true;
  return ipv4Number(last) !== null;
}

// §3.5 the IPv4 parser: up to four numbers, the last filling the bytes the others left.
function parseIPv4(s) {
  const parts = s.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const numbers = parts.map(ipv4Number);
  if (numbers.some((n) => n === null)) return null;
  if (numbers.slice(0, -1).some((n) => n > 255)) return null;
  const last = numbers[numbers.length - 1];
  if (last >= 256 ** (5 - numbers.length)) return null;
  let ipv4 = last;
  for (let i = 0; i < numbers.length - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
  return ipv4;
}

// §3.6 the IPv4 serializer.
const serializeIPv4 = (n) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

// §3.5 the IPv6 parser: eight 16-bit pieces, one "::" run of zeros, an
// optional dotted IPv4 tail. Returns the pieces or null.
function parseIPv6(input) {
  const addr = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0;
  let compress = null;
  let p = 0;
  const c = () => input[p];
  if (c() === ':') {
    if (input[p + 1] !== ':') return null;
    p += 2;
    compress = ++piece;
  }
  while (c() !== undefined) {
    if (piece === 8) return null;
    if (c() === ':') {
      if (compress !== null) return null;
      p++;
      compress = ++piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && c() !== undefined && isHex(c())) {
      value = value * 16 + parseInt(c(), 16);
      p++;
      length++;
    }
    if (c() === '.') {
      // An IPv4 address in the last two pieces.
      if (length === 0) return null;
      p -= length;
      if (piece > 6) return null;
      let seen = 0;
      while (c() !== undefined) {
        let v4 = null;
        if (seen > 0) {
          if (c() === '.' && seen < 4) p++;
          else return null;
        }
        if (c() === undefined || !/[0-9]/.test(c())) return null;
        while (c() !== undefined && /[0-9]/.test(c())) {
          const n = Number(c());
          if (v4 === null) v4 = n;
          else if (v4 === 0) return null;
          else v4 = v4 * 10 + n;
          if (v4 > 255) return null;
          p++;
        }
        addr[piece] = addr[piece] * 0x100 + v4;
        seen++;
        if (seen === 2 || seen === 4) piece++;
      }
      if (seen !== 4) return null;
      break;
    } else if (c() === ':') {
      p++;
      if (c() === undefined) return null;
    } else if (c() !== undefined) return null;
    addr[piece++] = value;
  }
  if (compress !== null) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const t = addr[compress + swaps - 1];
      addr[compress + swaps - 1] = addr[piece];
      addr[piece] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) return null;
  return addr;
}

// §3.6 the IPv6 serializer: lower-case hex, the first longest run of two
// or more zero pieces written as "::".
function serializeIPv6(addr) {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && addr[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  let out = '';
  let ignore0 = false;
  for (let i = 0; i < 8; i++) {
    if (ignore0 && addr[i] === 0) continue;
    ignore0 = false;
    if (i === best) {
      out += i === 0 ? '::' : ':';
      ignore0 = true;
      continue;
    }
    out += addr[i].toString(16);
    if (i !== 7) out += ':';
  }
  return out;
}

// §3.5 the host parser: the serialized host, or null on failure.
function parseHost(input, isOpaque) {
  if (input[0] === '[') {
    if (input[input.length - 1] !== ']') return null;
    const addr = parseIPv6(input.slice(1, -1));
    return addr && '[' + serializeIPv6(addr) + ']';
  }
  if (isOpaque) {
    // §3.5 opaque-host parser.
    for (const ch of input) if (FORBIDDEN_HOST.has(ch)) return null;
    return encodeAll(input, C0_CONTROL_SET);
  }
  const domain = utf8Text(percentDecode(input));
  // "domain to ASCII" without IDNA: only ASCII, lower-cased (see the header).
  if (domain === '' || /[^\x00-\x7f]/.test(domain)) return null;
  const ascii = domain.toLowerCase();
  for (const ch of ascii) if (isForbiddenDomainCp(ch)) return null;
  if (endsInANumber(ascii)) {
    const n = parseIPv4(ascii);
    return n === null ? null : serializeIPv4(n);
  }
  return ascii;
}

// --- The URL record and the basic URL parser (§4.1, §4.4) -----------------

const isAlpha = (c) => c !== undefined && /^[A-Za-z]$/.test(c);
const isDigit = (c) => c !== undefined && c >= '0' && c <= '9';
const isWindowsDriveLetter = (s) => s.length === 2 && isAlpha(s[0]) && (s[1] === ':' || s[1] === '|');
const isNormalizedWindowsDriveLetter = (s) => isWindowsDriveLetter(s) && s[1] === ':';
// "starts with a Windows drive letter" (§4.1), over an array of code points.
function startsWithDriveLetter(cps, p) {
  if (cps.length - p < 2 || !isWindowsDriveLetter(cps[p] + cps[p + 1])) return false;
  if (cps.length - p === 2) return true;
  return ['/', '\\', '?', '#'].includes(cps[p + 2]);
}
const isSingleDot = (s) => s === '.' || s.toLowerCase() === '%2e';
const isDoubleDot = (s) => ['..', '.%2e', '%2e.', '%2e%2e'].includes(s.toLowerCase());

function newRecord() {
  return { scheme: '', username: '', password: '', host: null, port: null, path: [], query: null, fragment: null };
}
const hasOpaquePath = (url) => typeof url.path === 'string';
const isSpecial = (url) => isSpecialScheme(url.scheme);

// §4.1 shorten a URL's path: a file URL keeps its drive letter.
function shortenPath(url) {
  if (url.scheme === 'file' && url.path.length === 1 && isNormalizedWindowsDriveLetter(url.path[0])) return;
  url.path.pop();
}

const FAILURE = null;

// §4.4 the basic URL parser. With `url` and `stateOverride` it is the
// setters' parser: it edits `url` in place and returns it (or FAILURE).
function basicParse(input, base = null, url = null, stateOverride = null) {
  if (!url) {
    url = newRecord();
    input = input.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  }
  input = input.replace(/[\t\n\r]/g, '');
  const cps = Array.from(input);
  // The hostname setter's state is the host state, stopping before a port.
  let state = stateOverride === 'hostname' ? 'host' : stateOverride || 'scheme start';
  let buffer = '';
  let atSignSeen = false;
  let insideBrackets = false;
  let passwordTokenSeen = false;
  const remainingStartsWith = (p, s) => cps.slice(p + 1, p + 1 + s.length).join('') === s;

  for (let p = 0; p <= cps.length; p++) {
    const c = cps[p]; // undefined is the EOF code point
    switch (state) {
      case 'scheme start':
        if (isAlpha(c)) {
          buffer += c.toLowerCase();
          state = 'scheme';
        } else if (!stateOverride) {
          state = 'no scheme';
          p--;
        } else return FAILURE;
        break;

      case 'scheme':
        if (c !== undefined && /^[A-Za-z0-9+\-.]$/.test(c)) buffer += c.toLowerCase();
        else if (c === ':') {
          if (stateOverride) {
            // The protocol setter cannot move a URL between special and
            // not, nor make a URL with credentials, a port or an empty host a file URL.
            if (isSpecial(url) !== isSpecialScheme(buffer)) return url;
            if ((url.username !== '' || url.password !== '' || url.port !== null) && buffer === 'file') return url;
            if (url.scheme === 'file' && url.host === '') return url;
            url.scheme = buffer;
            if (url.port === SPECIAL[url.scheme]) url.port = null;
            return url;
          }
          url.scheme = buffer;
          buffer = '';
          if (url.scheme === 'file') state = 'file';
          else if (isSpecial(url) && base && base.scheme === url.scheme) state = 'special relative or authority';
          else if (isSpecial(url)) state = 'special authority slashes';
          else if (remainingStartsWith(p, '/')) {
            state = 'path or authority';
            p++;
          } else {
            url.path = '';
            state = 'opaque path';
          }
        } else if (!stateOverride) {
          buffer = '';
          state = 'no scheme';
          p = -1; // start over from the first code point
        } else return FAILURE;
        break;

      case 'no scheme':
        if (!base || (hasOpaquePath(base) && c !== '#')) return FAILURE;
        if (hasOpaquePath(base) && c === '#') {
          url.scheme = base.scheme;
          url.path = base.path;
          url.query = base.query;
          url.fragment = '';
          state = 'fragment';
        } else if (base.scheme !== 'file') {
          state = 'relative';
          p--;
        } else {
          state = 'file';
          p--;
        }
        break;

      case 'special relative or authority':
        if (c === '/' && remainingStartsWith(p, '/')) {
          state = 'special authority ignore slashes';
          p++;
        } else {
          state = 'relative';
          p--;
        }
        break;

      case 'path or authority':
        if (c === '/') state = 'authority';
        else {
          state = 'path';
          p--;
        }
        break;

      case 'relative':
        url.scheme = base.scheme;
        if (c === '/' || (isSpecial(url) && c === '\\')) state = 'relative slash';
        else {
          Object.assign(url, { username: base.username, password: base.password, host: base.host, port: base.port });
          url.path = base.path.slice();
          url.query = base.query;
          if (c === '?') {
            url.query = '';
            state = 'query';
          } else if (c === '#') {
            url.fragment = '';
            state = 'fragment';
          } else if (c !== undefined) {
            url.query = null;
            shortenPath(url);
            state = 'path';
            p--;
          }
        }
        break;

      case 'relative slash':
        if (isSpecial(url) && (c === '/' || c === '\\')) state = 'special authority ignore slashes';
        else if (c === '/') state = 'authority';
        else {
          Object.assign(url, { username: base.username, password: base.password, host: base.host, port: base.port });
          state = 'path';
          p--;
        }
        break;

      case 'special authority slashes':
        state = 'special authority ignore slashes';
        if (c === '/' && remainingStartsWith(p, '/')) p++;
        else p--;
        break;

      case 'special authority ignore slashes':
        if (c !== '/' && c !== '\\') {
          state = 'authority';
          p--;
        }
        break;

      case 'authority':
        if (c === '@') {
          if (atSignSeen) buffer = '%40' + buffer;
          atSignSeen = true;
          for (const ch of buffer) {
            if (ch === ':' && !passwordTokenSeen) {
              passwordTokenSeen = true;
              continue;
            }
            if (passwordTokenSeen) url.password += encodeCp(ch, USERINFO_SET);
            else url.username += encodeCp(ch, USERINFO_SET);
          }
          buffer = '';
        } else if (c === undefined || c === '/' || c === '?' || c === '#' || (isSpecial(url) && c === '\\')) {
          if (atSignSeen && buffer === '') return FAILURE;
          p -= Array.from(buffer).length + 1;
          buffer = '';
          state = 'host';
        } else buffer += c;
        break;

      case 'host':
        if (stateOverride && url.scheme === 'file') {
          p--;
          state = 'file host';
        } else if (c === ':' && !insideBrackets) {
          if (buffer === '') return FAILURE;
          if (stateOverride === 'hostname') return url; // the hostname setter takes no port
          const host = parseHost(buffer, !isSpecial(url));
          if (host === null) return FAILURE;
          url.host = host;
          buffer = '';
          state = 'port';
        } else if (c === undefined || c === '/' || c === '?' || c === '#' || (isSpecial(url) && c === '\\')) {
          p--;
          if (isSpecial(url) && buffer === '') return FAILURE;
          if (stateOverride && buffer === '' && (url.username !== '' || url.password !== '' || url.port !== null)) return url;
          const host = parseHost(buffer, !isSpecial(url));
          if (host === null) return FAILURE;
          url.host = host;
          buffer = '';
          state = 'path start';
          if (stateOverride) return url;
        } else {
          if (c === '[') insideBrackets = true;
          if (c === ']') insideBrackets = false;
          buffer += c;
        }
        break;

      case 'port':
        if (isDigit(c)) buffer += c;
        else if (c === undefined || c === '/' || c === '?' || c === '#' || (isSpecial(url) && c === '\\') || stateOverride) {
          if (buffer !== '') {
            const port = parseInt(buffer, 10);
            if (port > 65535) return FAILURE;
            url.port = SPECIAL[url.scheme] === port ? null : port;
            buffer = '';
          }
          if (stateOverride) return url;
          state = 'path start';
          p--;
        } else return FAILURE;
        break;

      case 'file':
        url.scheme = 'file';
        url.host = '';
        if (c === '/' || c === '\\') state = 'file slash';
        else if (base && base.scheme === 'file') {
          url.host = base.host;
          url.path = base.path.slice();
          url.query = base.query;
          if (c === '?') {
            url.query = '';
            state = 'query';
          } else if (c === '#') {
            url.fragment = '';
            state = 'fragment';
          } else if (c !== undefined) {
            url.query = null;
            if (!startsWithDriveLetter(cps, p)) shortenPath(url);
            else url.path = [];
            state = 'path';
            p--;
          }
        } else {
          state = 'path';
          p--;
        }
        break;

      case 'file slash':
        if (c === '/' || c === '\\') state = 'file host';
        else {
          if (base && base.scheme === 'file') {
            url.host = base.host;
            if (!startsWithDriveLetter(cps, p) && base.path.length > 0 && isNormalizedWindowsDriveLetter(base.path[0])) {
              url.path.push(base.path[0]);
            }
          }
          state = 'path';
          p--;
        }
        break;

      case 'file host':
        if (c === undefined || c === '/' || c === '\\' || c === '?' || c === '#') {
          p--;
          if (!stateOverride && isWindowsDriveLetter(buffer)) state = 'path'; // the buffer is the path's first segment
          else if (buffer === '') {
            url.host = '';
            if (stateOverride) return url;
            state = 'path start';
          } else {
            let host = parseHost(buffer, false);
            if (host === null) return FAILURE;
            if (host === 'localhost') host = '';
            url.host = host;
            if (stateOverride) return url;
            buffer = '';
            state = 'path start';
          }
        } else buffer += c;
        break;

      case 'path start':
        if (isSpecial(url)) {
          state = 'path';
          if (c !== '/' && c !== '\\') p--;
        } else if (!stateOverride && c === '?') {
          url.query = '';
          state = 'query';
        } else if (!stateOverride && c === '#') {
          url.fragment = '';
          state = 'fragment';
        } else if (c !== undefined) {
          state = 'path';
          if (c !== '/') p--;
        } else if (stateOverride && url.host === null) url.path.push('');
        break;

      case 'path':
        if (c === undefined || c === '/' || (isSpecial(url) && c === '\\') || (!stateOverride && (c === '?' || c === '#'))) {
          const slash = c === '/' || (isSpecial(url) && c === '\\');
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (!slash) url.path.push('');
          } else if (isSingleDot(buffer) && !slash) url.path.push('');
          else if (!isSingleDot(buffer)) {
            if (url.scheme === 'file' && url.path.length === 0 && isWindowsDriveLetter(buffer)) buffer = buffer[0] + ':';
            url.path.push(buffer);
          }
          buffer = '';
          if (c === '?') {
            url.query = '';
            state = 'query';
          } else if (c === '#') {
            url.fragment = '';
            state = 'fragment';
          }
        } else buffer += encodeCp(c, PATH_SET);
        break;

      case 'opaque path':
        if (c === '?') {
          url.query = '';
          state = 'query';
        } else if (c === '#') {
          url.fragment = '';
          state = 'fragment';
        } else if (c === ' ' && (cps[p + 1] === '?' || cps[p + 1] === '#')) {
          // A space before a query or fragment is escaped, so that removing
          // them later cannot leave a trailing space to be stripped.
          url.path += '%20';
        } else if (c !== undefined) url.path += encodeCp(c, C0_CONTROL_SET);
        break;

      case 'query':
        if ((!stateOverride && c === '#') || c === undefined) {
          url.query += encodeAll(buffer, isSpecial(url) ? SPECIAL_QUERY_SET : QUERY_SET);
          buffer = '';
          if (c === '#') {
            url.fragment = '';
            state = 'fragment';
          }
        } else buffer += c;
        break;

      case 'fragment':
        if (c !== undefined) url.fragment += encodeCp(c, FRAGMENT_SET);
        break;

      default:
        throw new Error('url: no state ' + state);
    }
  }
  return url;
}

// §4.5 the URL path serializer.
const serializePath = (url) => (hasOpaquePath(url) ? url.path : url.path.map((s) => '/' + s).join(''));

// §4.5 the URL serializer.
function serializeURL(url, excludeFragment = false) {
  let out = url.scheme + ':';
  if (url.host !== null) {
    out += '//';
    if (url.username !== '' || url.password !== '') {
      out += url.username;
      if (url.password !== '') out += ':' + url.password;
      out += '@';
    }
    out += url.host;
    if (url.port !== null) out += ':' + url.port;
  }
  if (url.host === null && !hasOpaquePath(url) && url.path.length > 1 && url.path[0] === '') out += '/.';
  out += serializePath(url);
  if (url.query !== null) out += '?' + url.query;
  if (!excludeFragment && url.fragment !== null) out += '#' + url.fragment;
  return out;
}

// --- application/x-www-form-urlencoded (§5) --------------------------------

// §5.1 the parser: name-value pairs, "+" a space, percent-escapes as UTF-8.
function parseUrlencoded(input) {
  const out = [];
  for (const seq of input.split('&')) {
    if (seq === '') continue;
    const eq = seq.indexOf('=');
    const name = eq < 0 ? seq : seq.slice(0, eq);
    const value = eq < 0 ? '' : seq.slice(eq + 1);
    out.push([utf8Text(percentDecode(name.replace(/\+/g, ' '))), utf8Text(percentDecode(value.replace(/\+/g, ' ')))]);
  }
  return out;
}

// §5.2 the serializer: the form set percent-encoded, a space as "+".
const formEncode = (s) => Array.from(s, (ch) => (ch === ' ' ? '+' : encodeCp(ch, FORM_SET))).join('');
const serializeUrlencoded = (list) => list.map(([n, v]) => formEncode(n) + '=' + formEncode(v)).join('&');

// WebIDL USVString: a string with lone surrogates replaced by U+FFFD.
const usv = (v) => String(v).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

// --- URLSearchParams (§6.2) ------------------------------------------------

const URL_OF = Symbol('url');
const LIST = Symbol('list');

// §6.2 "update": the associated URL's query follows the list.
function update(params) {
  const url = params[URL_OF];
  if (!url) return;
  const s = serializeUrlencoded(params[LIST]);
  url.query = s === '' ? null : s;
}

class URLSearchParams {
  constructor(init = '') {
    this[LIST] = [];
    this[URL_OF] = null;
    if (init !== null && typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError('URLSearchParams: each pair must have two items');
          this[LIST].push([usv(p[0]), usv(p[1])]);
        }
      } else {
        for (const key of Reflect.ownKeys(init)) {
          if (typeof key === 'symbol' || !Object.prototype.propertyIsEnumerable.call(init, key)) continue;
          this[LIST].push([usv(key), usv(init[key])]);
        }
      }
    } else {
      let s = usv(init);
      if (s[0] === '?') s = s.slice(1);
      this[LIST] = parseUrlencoded(s);
    }
  }

  get size() { return this[LIST].length; }
  append(name, value) {
    this[LIST].push([usv(name), usv(value)]);
    update(this);
  }
  delete(name, value) {
    name = usv(name);
    if (value === undefined) this[LIST] = this[LIST].filter(([n]) => n !== name);
    else {
      value = usv(value);
      this[LIST] = this[LIST].filter(([n, v]) => n !== name || v !== value);
    }
    update(this);
  }
  get(name) {
    name = usv(name);
    const pair = this[LIST].find(([n]) => n === name);
    return pair ? pair[1] : null;
  }
  getAll(name) {
    name = usv(name);
    return this[LIST].filter(([n]) => n === name).map(([, v]) => v);
  }
  has(name, value) {
    name = usv(name);
    if (value === undefined) return this[LIST].some(([n]) => n === name);
    value = usv(value);
    return this[LIST].some(([n, v]) => n === name && v === value);
  }
  set(name, value) {
    name = usv(name);
    value = usv(value);
    const i = this[LIST].findIndex(([n]) => n === name);
    if (i < 0) this[LIST].push([name, value]);
    else {
      this[LIST][i][1] = value;
      this[LIST] = this[LIST].filter(([n], j) => j <= i || n !== name);
    }
    update(this);
  }
  // Stable, by the names' UTF-16 code units (JavaScript's own string order).
  sort() {
    this[LIST] = this[LIST].map((pair, i) => [pair, i])
      .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
      .map(([pair]) => pair);
    update(this);
  }
  forEach(fn, thisArg) {
    for (let i = 0; i < this[LIST].length; i++) fn.call(thisArg, this[LIST][i][1], this[LIST][i][0], this);
  }
  // The iterators walk the live list, as the spec's "value pairs to iterate over" do.
  *entries() {
    for (let i = 0; i < this[LIST].length; i++) yield [this[LIST][i][0], this[LIST][i][1]];
  }
  *keys() {
    for (const [n] of this.entries()) yield n;
  }
  *values() {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return serializeUrlencoded(this[LIST]); }
  get [Symbol.toStringTag]() { return 'URLSearchParams'; }
}

// --- URL (§6.1) -------------------------------------------------------------

const RECORD = Symbol('record');

// §4.2 "cannot have a username/password/port": no host, an empty one, or file:.
const cannotHaveCredentials = (r) => r.host === null || r.host === '' || r.scheme === 'file';
const PARAMS = Symbol('searchParams');

function parseOrNull(url, base) {
  let baseRecord = null;
  if (base !== undefined) {
    baseRecord = basicParse(usv(base));
    if (!baseRecord) return null;
  }
  return basicParse(usv(url), baseRecord);
}

class URL {
  constructor(url, base = undefined) {
    const record = parseOrNull(url, base);
    if (!record) throw new TypeError('Invalid URL');
    this[RECORD] = record;
    this[PARAMS] = new URLSearchParams(record.query || '');
    this[PARAMS][URL_OF] = record;
  }

  static canParse(url, base = undefined) { return parseOrNull(url, base) !== null; }
  static parse(url, base = undefined) {
    try {
      return new URL(url, base);
    } catch (e) {
      return null;
    }
  }

  get href() { return serializeURL(this[RECORD]); }
  set href(value) {
    const record = basicParse(usv(value));
    if (!record) throw new TypeError('Invalid URL');
    this[RECORD] = record;
    this[PARAMS][URL_OF] = record;
    this[PARAMS][LIST] = record.query ? parseUrlencoded(record.query) : [];
  }
  toString() { return this.href; }
  toJSON() { return this.href; }

  // §6.1 origin: a tuple origin for the schemes that have one, a blob:
  // URL's from the http(s) URL in its path, else opaque.
  get origin() {
    const r = this[RECORD];
    if (r.scheme === 'blob') {
      const inner = basicParse(serializePath(r));
      return inner && (inner.scheme === 'http' || inner.scheme === 'https') ? new URL(serializeURL(inner)).origin : 'null';
    }
    if (['http', 'https', 'ws', 'wss', 'ftp'].includes(r.scheme)) return r.scheme + '://' + r.host + (r.port === null ? '' : ':' + r.port);
    return 'null';
  }
  get protocol() { return this[RECORD].scheme + ':'; }
  set protocol(value) { basicParse(usv(value) + ':', null, this[RECORD], 'scheme start'); }

  get username() { return this[RECORD].username; }
  set username(value) {
    if (cannotHaveCredentials(this[RECORD])) return;
    this[RECORD].username = encodeAll(usv(value), USERINFO_SET);
  }
  get password() { return this[RECORD].password; }
  set password(value) {
    if (cannotHaveCredentials(this[RECORD])) return;
    this[RECORD].password = encodeAll(usv(value), USERINFO_SET);
  }
  get host() {
    const r = this[RECORD];
    if (r.host === null) return '';
    return r.port === null ? r.host : r.host + ':' + r.port;
  }
  set host(value) {
    if (hasOpaquePath(this[RECORD])) return;
    basicParse(usv(value), null, this[RECORD], 'host');
  }
  get hostname() { return this[RECORD].host === null ? '' : this[RECORD].host; }
  set hostname(value) {
    if (hasOpaquePath(this[RECORD])) return;
    basicParse(usv(value), null, this[RECORD], 'hostname');
  }

  get port() { return this[RECORD].port === null ? '' : String(this[RECORD].port); }
  set port(value) {
    const r = this[RECORD];
    if (cannotHaveCredentials(r)) return;
    value = usv(value);
    if (value === '') r.port = null;
    else basicParse(value, null, r, 'port');
  }

  get pathname() { return serializePath(this[RECORD]); }
  set pathname(value) {
    const r = this[RECORD];
    if (hasOpaquePath(r)) return;
    const saved = r.path;
    r.path = [];
    if (!basicParse(usv(value), null, r, 'path start')) r.path = saved;
  }

  get search() {
    const q = this[RECORD].query;
    return q === null || q === '' ? '' : '?' + q;
  }
  set search(value) {
    const r = this[RECORD];
    value = usv(value);
    if (value === '') {
      r.query = null;
      this[PARAMS][LIST] = [];
      return;
    }
    const input = value[0] === '?' ? value.slice(1) : value;
    r.query = '';
    basicParse(input, null, r, 'query');
    this[PARAMS][LIST] = parseUrlencoded(input);
  }
  get searchParams() { return this[PARAMS]; }

  get hash() {
    const f = this[RECORD].fragment;
    return f === null || f === '' ? '' : '#' + f;
  }
  set hash(value) {
    const r = this[RECORD];
    value = usv(value);
    if (value === '') {
      r.fragment = null;
      return;
    }
    r.fragment = '';
    basicParse(value[0] === '#' ? value.slice(1) : value, null, r, 'fragment');
  }
  get [Symbol.toStringTag]() { return 'URL'; }
}

module.exports = { URL, URLSearchParams, parseHost, parseUrlencoded, serializeUrlencoded };
