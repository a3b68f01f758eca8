// apps/worker.js: Workers-style code, run here (issue 14, first step).
//
//   worker run FILE [URL] [-X METHOD] [-H 'Name: value']... [-d DATA] [-i]
//
// loads FILE, a worker in the module form Cloudflare's users write
// (`export default { async fetch(request, env, ctx) {...} }`), turns it
// into a classic script (/lib/worker/module-form, docs/workers.md), gives
// it the web platform's pieces (Request, Response, Headers, URL, TextEncoder,
// crypto... from /lib/web), calls its fetch with one request for URL (default
// http://localhost/), and prints the response as curl does: the body, with
// -i the status line and headers first. Each run is an app, so each worker
// runs in a fresh isolate of its own, with the app's limits; `wrangler dev`
// is the model. Deploying to an invoker service comes later.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { toClassicScript } = require('/lib/worker/module-form');
const web = require('/lib/web/index');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('worker', module.exports, parsed.error);
  const { options, operands } = parsed;
  const [command, file, url = 'http://localhost/'] = operands;
  if (command !== 'run') return usageError('worker', module.exports, command ? `unknown command '${command}'` : 'no command');
  if (!file) return usageError('worker', module.exports, 'no FILE');
  if (operands.length > 3) return usageError('worker', module.exports, `extra operand '${operands[3]}'`);

  let source;
  try {
    source = await sys.fs.readFile(file);
  } catch (e) {
    sys.stderr.write(`worker: ${e.message}\n`); // it names the file
    return 1;
  }
  // crypto.getRandomValues is synchronous and the kernel's urandom is a
  // read away: a pool drawn now serves the run (64 KiB, a read more if spent).
  const pool = { bytes: await readRandom(), at: 0 };
  web.install(globalThis, {
    randomBytes: (n) => {
      if (pool.at + n > pool.bytes.length) throw new Error('worker run: its 64 KiB of randomness is spent');
      pool.at += n;
      return pool.bytes.slice(pool.at - n, pool.at);
    },
  });
  let handler;
  try {
    // Indirect eval: the worker's code sees only globals, never this app's locals.
    const namespace = (0, eval)(`${toClassicScript(source)}\n//# sourceURL=${file}`);
    handler = namespace.default;
  } catch (e) {
    sys.stderr.write(`worker: ${file}: ${e.message}\n`);
    return 1;
  }
  if (!handler || typeof handler.fetch !== 'function') {
    sys.stderr.write(`worker: ${file}: its default export has no fetch(request, env, ctx) handler\n`);
    return 1;
  }

  const headers = new Headers();
  for (const h of options.header) {
    const colon = h.indexOf(':');
    if (colon <= 0) return usageError('worker', module.exports, `bad header '${h}'`);
    headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  const body = options.data.length ? options.data.join('&') : null;
  let request;
  try {
    request = new Request(url, { method: options.request || (body === null ? 'GET' : 'POST'), headers, body });
  } catch (e) {
    return usageError('worker', module.exports, e.message);
  }
  const waiting = [];
  const ctx = { waitUntil: (p) => waiting.push(Promise.resolve(p)), passThroughOnException: () => {} };
  let response;
  try {
    response = await handler.fetch(request, {}, ctx);
    if (!(response instanceof Response)) throw new TypeError('fetch() did not return a Response');
  } catch (e) {
    sys.stderr.write(`worker: ${file}: ${e && e.stack ? e.stack : e}\n`);
    return 1;
  }
  if (options.include) {
    let head = `HTTP/1.1 ${response.status} ${response.statusText}\n`;
    for (const [name, value] of response.headers) head += `${name}: ${value}\n`;
    await sys.stdout.write(`${head}\n`);
  }
  if (response.body) for await (const chunk of response.body) await sys.stdout.write(chunk);
  await Promise.allSettled(waiting); // ctx.waitUntil: the run lasts until they settle
  return 0;
};

async function readRandom() {
  const f = await sys.fs.open('/dev/urandom', 'r');
  try {
    return await f.read(65536);
  } finally {
    await f.close();
  }
}

module.exports.description = "run a worker's fetch handler on one request, here";
module.exports.options = {
  '-X, --request=METHOD': 'the request method (default GET, or POST with -d)',
  '-H, --header=LINE...': "a request header 'Name: value'",
  '-d, --data=DATA...': 'the request body (several are joined with &)',
  '-i, --include': 'show the status line and headers before the body',
  'run FILE [URL]': 'FILE: the worker, a module whose default export has fetch; URL: the request (default http://localhost/)',
};
module.exports.usage = 'worker run [-i] [-X METHOD] [-H LINE]... [-d DATA]... FILE [URL]';
