// fs/lib/web/fetch.js (/lib/web/fetch in the image): an outbound fetch()
// for Workers-style code (issue 14), http: only, through the guest's own
// TCP stack and resolver. It follows the WHATWG Fetch standard's fetch()
// method (§5.6, https://fetch.spec.whatwg.org/#fetch-method) and "main
// fetch" (§4.1) down to HTTP-redirect fetch (§4.4); each request goes out
// on a connection of its own through /lib/http/client, whose parser reads
// the answer, and the Response's body is a ReadableStream that reads the
// connection as its reader asks (a large body is never held whole).
//
//   const fetch = makeFetch({ tcp: sys.net.tcp });
//   const r = await fetch('http://10.0.2.2:8000/a', { method: 'POST', body: 'hi' });
//   r.status, r.headers.get('content-type'), await r.text()
//
// makeFetch({tcp, lookup, subrequestLimit, onSubrequest}): `tcp` is
// anything with connect(host, port, {noDelay}) giving {read, write, close}
// (sys.net.tcp, or the unit tests' literal bytes); a name goes to
// tcp.connect as it is, which resolves it (sys.net.tcp does, with the
// kernel's resolver), unless `lookup(name)` is given to turn it into an
// address first. Every request sent counts against `subrequestLimit`
// (Cloudflare's 50 a request; a redirect followed is one more), and
// `onSubrequest(url)` hears of each.
//
// Errors, as Node's undici gives them: a request that fails on the network
// (refused, unresolvable, reset, a reply the parser refuses, a redirect not
// allowed) is TypeError("fetch failed") with the underlying error as its
// `cause`, whose `code` says which (ECONNREFUSED, the resolver's NXDOMAIN,
// ETIMEDOUT, HTTP_PARSE...); past the limit, Error("Too many subrequests.")
// as Cloudflare words it; an aborted signal, its reason (an AbortError).
//
// Left out: TLS (https: is a TypeError saying so), cookies, CORS and
// origins, the HTTP cache, connection reuse, content codings (no
// Accept-Encoding is sent, so none comes back), data:, blob: and file: URLs.
'use strict';

const { send } = require('/lib/http/client');
const { latin1Bytes, utf8Text } = require('/lib/http/bytes');
const { Request } = require('/lib/web/request');
const { networkResponse, NULL_BODY_STATUSES, REDIRECT_STATUSES } = require('/lib/web/response');
const { Headers, setGuard } = require('/lib/web/headers');
const { kBody, extractBody } = require('/lib/web/body');
const { ReadableStream } = require('/lib/web/readable-stream');
const { URL } = require('/lib/web/url');
const { addAbortAlgorithm, signalReason } = require('/lib/web/abort');

// Fetch §4.4 step 6: a request follows 20 redirects at most.
const MAX_REDIRECTS = 20;
// Cloudflare Workers: 50 subrequests for each request a worker handles.
const SUBREQUEST_LIMIT = 50;
// Fetch "request-body-header name": they go with the body when a redirect makes the request a GET.
const REQUEST_BODY_HEADERS = ['Content-Encoding', 'Content-Language', 'Content-Location', 'Content-Type'];

function makeFetch({ tcp, lookup = null, subrequestLimit = SUBREQUEST_LIMIT, onSubrequest = () => {}, userAgent } = {}) {
  if (!tcp || typeof tcp.connect !== 'function') throw new TypeError('makeFetch needs a tcp with connect(host, port)');
  let subrequests = 0;
  const network = {
    // Counted before connecting: past the limit nothing goes out.
    count(url) {
      if (subrequests >= subrequestLimit) throw new Error('Too many subrequests.');
      subrequests += 1;
      onSubrequest(url);
    },
    lookup: lookup || ((name) => name), // no lookup: tcp.connect resolves the name itself
    connect: (address, port) => tcp.connect(address, port, { noDelay: true }),
    userAgent,
  };
  return async function fetch(input, init = undefined) {
    return fetchMethod(network, input, init);
  };
}

// Fetch §5.6, the fetch(input, init) method steps: a Request from the
// arguments, a signal aborted already rejects at once, then the fetch,
// raced against the signal.
async function fetchMethod(network, input, init) {
  const requestObject = new Request(input, init); // a TypeError here rejects the promise
  const signal = requestObject.signal;
  if (signal && signal.aborted) throw signalReason(signal);
  // The request as fetching changes it (Fetch "request" concept, #concept-request): its
  // method, headers and body may change at a redirect; its URL list grows with each.
  const request = {
    method: requestObject.method,
    urlList: [parseURL(requestObject.url)],
    headers: new Headers(requestObject.headers),
    body: requestObject[kBody],
    redirect: requestObject.redirect,
    redirectCount: 0,
  };
  const controller = new FetchController(signal);
  try {
    return await controller.race(mainFetch(network, request, controller));
  } catch (e) {
    controller.finish();
    throw e;
  }
}

// Fetch "fetch controller" (#fetch-controller): what an abort reaches. The
// connections made for this fetch are closed, a fetch still waiting for
// its response rejects with the reason, and a body being read errors with it.
class FetchController {
  constructor(signal) {
    this.state = 'ongoing'; // 'ongoing' | 'aborted' | 'finished'
    this.reason = undefined;
    this.connections = new Set();
    this.onAbort = []; // the body stream's, once there is one
    this.aborted = new Promise((resolve, reject) => (this.rejectAborted = reject));
    this.aborted.catch(() => {}); // nobody need be waiting
    this.stopListening = signal ? addAbortAlgorithm(signal, (reason) => this.abort(reason)) : () => {};
  }

  abort(reason) {
    if (this.state !== 'ongoing') return;
    this.state = 'aborted';
    this.reason = reason;
    for (const conn of this.connections) Promise.resolve(conn.close()).catch(() => {});
    this.rejectAborted(reason);
    for (const fn of this.onAbort) fn(reason);
  }

  // A connection made for this fetch, closed at once if it came after an abort.
  attach(conn) {
    if (this.state === 'aborted') {
      Promise.resolve(conn.close()).catch(() => {});
      throw this.reason;
    }
    this.connections.add(conn);
    return conn;
  }

  race(promise) {
    return Promise.race([promise, this.aborted]);
  }

  // The body is read or canceled (or the fetch failed): an abort from now on does nothing.
  finish() {
    if (this.state !== 'ongoing') return;
    this.state = 'finished';
    this.stopListening();
  }
}

// Fetch §4.1 main fetch with §4.3 HTTP fetch's handling of a redirect
// status, one request a turn: the request is sent, and a redirect it is
// to follow (§4.4) changes it for the next turn.
async function mainFetch(network, request, controller) {
  for (;;) {
    if (controller.state === 'aborted') throw controller.reason;
    const url = request.urlList[request.urlList.length - 1];
    schemeFetchCheck(url);
    network.count(url.href);
    const sent = await httpNetworkFetch(network, request, url, controller);
    // §4.3 HTTP fetch: a redirect status goes by the request's redirect mode.
    // "manual" hands the 3xx back as it is (as Workers and Node do; a
    // browser's opaque-redirect filtering has no origin to protect here).
    if (REDIRECT_STATUSES.includes(sent.status) && request.redirect !== 'manual') {
      if (request.redirect === 'error') {
        await sent.close();
        throw networkError(`unexpected redirect (${sent.status}) with redirect mode "error"`, 'EREDIRECT');
      }
      const location = locationURL(sent, url);
      // §4.4 step 3: a redirect status without Location is the response itself.
      if (location !== null) {
        await sent.close(); // its body (a page saying "moved") is not wanted
        followRedirect(request, sent.status, location);
        continue;
      }
    }
    return responseFrom(request, sent, controller);
  }
}

// Fetch §4.2 scheme fetch, as far as it goes here: http: goes to the network.
function schemeFetchCheck(url) {
  if (url.protocol === 'http:') return;
  if (url.protocol === 'https:') throw new TypeError(`fetch failed: TLS is not supported in the guest, so ${url.href} cannot be fetched (use http:)`);
  throw new TypeError(`fetch failed: the ${url.protocol} scheme is not supported (http: only)`);
}

// Fetch §4.6 HTTP-network fetch: one request on a connection of its own,
// through /lib/http/client, resolved once the response's head is in.
async function httpNetworkFetch(network, request, url, controller) {
  let body;
  if (request.body !== null) body = request.body.source !== null ? request.body.source : streamChunks(request.body.stream);
  // §4.5 HTTP-network-or-cache fetch step 8: a POST or PUT without a body says Content-Length: 0.
  else if (request.method === 'POST' || request.method === 'PUT') body = new Uint8Array(0);
  try {
    return await send({
      method: request.method,
      url: hrefWithoutFragment(url),
      headers: [...request.headers],
      body,
      lookup: network.lookup,
      connect: async (address, port) => controller.attach(await network.connect(address, port)),
      userAgent: network.userAgent,
    });
  } catch (e) {
    if (controller.state === 'aborted') throw controller.reason;
    throw e instanceof TypeError && e.message.startsWith('fetch failed') ? e : new TypeError('fetch failed', { cause: e });
  }
}

// A stream body's chunks for the client to send (chunked): each must be bytes.
async function* streamChunks(stream) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (!(value instanceof Uint8Array)) throw new TypeError('fetch failed: a request body chunk must be a Uint8Array');
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

// Fetch "location URL" (#concept-response-location-url): where a redirect
// leads, resolved against the URL that answered, keeping its fragment when
// Location has none; null without a Location. Two of them, or one that is
// not a URL, is a network error.
function locationURL(sent, url) {
  const values = sent.rawHeaders.filter(([name]) => name.toLowerCase() === 'location');
  if (values.length === 0) return null;
  if (values.length > 1) throw networkError('a redirect with more than one Location', 'EREDIRECT');
  const text = utf8Text(latin1Bytes(values[0][1])); // sent as UTF-8 by those who send non-ASCII at all
  let location;
  try {
    location = new URL(text, url);
  } catch (e) {
    throw networkError(`a redirect to an invalid URL ${JSON.stringify(text)}`, 'EREDIRECT');
  }
  if (!location.href.includes('#') && url.hash) location.hash = url.hash;
  return location;
}

// Fetch §4.4 HTTP-redirect fetch, steps 5-19: checks, then the request as
// the next turn sends it.
function followRedirect(request, status, location) {
  const from = request.urlList[request.urlList.length - 1];
  // Step 5: only to another HTTP(S) URL (https: then fails in scheme fetch).
  if (location.protocol !== 'http:' && location.protocol !== 'https:') {
    throw networkError(`a redirect to a ${location.protocol} URL`, 'EREDIRECT');
  }
  // Steps 6-7.
  if (request.redirectCount === MAX_REDIRECTS) throw networkError(`more than ${MAX_REDIRECTS} redirects`, 'EREDIRECT');
  request.redirectCount += 1;
  // Step 11: a stream body is gone once sent, so only a 303 (which drops it) can be followed.
  if (status !== 303 && request.body !== null && request.body.source === null) {
    throw networkError('a redirect would send a stream body again', 'EREDIRECT');
  }
  // Step 12: 301 and 302 turn a POST into a GET (as browsers always have), 303 anything but GET and HEAD.
  if (((status === 301 || status === 302) && request.method === 'POST') || (status === 303 && request.method !== 'GET' && request.method !== 'HEAD')) {
    request.method = 'GET';
    request.body = null;
    for (const name of REQUEST_BODY_HEADERS) request.headers.delete(name);
  }
  // Step 13: credentials stay with their origin.
  if (location.origin !== from.origin) request.headers.delete('Authorization');
  // Step 14: the body again, from the bytes it was made of.
  if (request.body !== null) request.body = extractBody(request.body.source).body;
  // Step 19.
  request.urlList.push(location);
}

// The Response fetch() resolves with: the head as received (headers
// immutable, as a fetched response's are in Workers), its URL and whether
// redirects led to it, and the body as a stream over the connection.
function responseFrom(request, sent, controller) {
  const headers = new Headers();
  for (const [name, value] of sent.rawHeaders) headers.append(name, value);
  const url = request.urlList[request.urlList.length - 1];
  const fields = {
    status: sent.status,
    statusText: sent.reason,
    headers: setGuard(headers, 'immutable'),
    url: hrefWithoutFragment(url),
    redirected: request.urlList.length > 1,
  };
  // §4.1 main fetch: HEAD and the null body statuses have no body, whatever came.
  if (request.method === 'HEAD' || NULL_BODY_STATUSES.includes(sent.status)) {
    sent.close();
    controller.finish();
    return networkResponse(fields, null);
  }
  const declared = sent.headers['transfer-encoding'] === undefined ? sent.headers['content-length'] : undefined;
  const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : null;
  return networkResponse(fields, { stream: bodyStream(sent, controller), source: null, length });
}

// Fetch §4.6 HTTP-network fetch, its body: a stream that reads the
// connection only when its reader asks (high-water mark 0), so the
// connection's flow control holds back a sender faster than the reader.
// Canceling it closes the connection; an abort errors it.
function bodyStream(sent, controller) {
  let streamController = null;
  controller.onAbort.push((reason) => {
    try {
      streamController.error(reason);
    } catch (e) {
      // closed already
    }
    sent.close();
  });
  return new ReadableStream(
    {
      start(c) {
        streamController = c;
      },
      async pull(c) {
        let bytes;
        try {
          bytes = await sent.read();
        } catch (e) {
          if (controller.state === 'aborted') throw controller.reason;
          controller.finish();
          throw new TypeError('fetch failed while reading the response body', { cause: e });
        }
        if (controller.state === 'aborted') return; // the stream is errored already
        if (bytes === null) {
          controller.finish();
          c.close();
        } else c.enqueue(bytes);
      },
      cancel() {
        controller.finish();
        return sent.close();
      },
    },
    { highWaterMark: 0 },
  );
}

// A URL as fetch() keeps it: the Request's URL, parsed (Request keeps a string).
function parseURL(href) {
  try {
    return new URL(href);
  } catch (e) {
    throw new TypeError(`fetch: invalid URL ${JSON.stringify(href)}`);
  }
}

// URL serializing with "exclude fragment": what is sent, and a Response's url.
function hrefWithoutFragment(url) {
  const hash = url.href.indexOf('#');
  return hash < 0 ? url.href : url.href.slice(0, hash);
}

// Fetch "network error", as Node's undici shows one: TypeError("fetch failed") with why as its cause.
function networkError(message, code) {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

module.exports = { makeFetch, MAX_REDIRECTS, SUBREQUEST_LIMIT };
