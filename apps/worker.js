// apps/worker.js: Workers-style code, run here or deployed to the invoker
// (issue 14; docs/workers.md).
//
//   worker run FILE [URL] [-X METHOD] [-H 'Name: value']... [-d DATA] [-i]
//   worker deploy NAME FILE [--var K=V]... [--kv BINDING=NS]... [--limit cpu=10ms]...
//   worker ls | worker logs NAME | worker rm NAME | worker history
//   worker serve NAME SERVICE SCRIPT CONFIG   (the invoker's: one instance)
//   worker spare SERVICE                      (the invoker's: an instance-to-be)
//
// `run`: // loads FILE, a worker in the module form Cloudflare's users write
// (`export default { async fetch(request, env, ctx) {...} }`), turns it
// into a classic script (/lib/worker/module-form, docs/workers.md), gives
// it the web platform's pieces (Request, Response, Headers, URL, TextEncoder,
// crypto... from /lib/web), calls its fetch with one request for URL (default
// http://localhost/), and prints the response as curl does: the body, with
// -i the status line and headers first. Each run is an app, so each worker
// runs in a fresh isolate of its own, with the app's limits; `wrangler dev`
// is the model. `deploy`, `ls`, `logs` and `rm` call the `invoker` service
// (apps/invoker.js) over RPC; `serve` is how the invoker starts an isolate
// for one version of a worker (/lib/worker/instance).
'use strict';

module.exports = async function main(argv) {
  // The invoker's two come first, before any library is required: a
  // worker's isolate then compiles only the instance's code, not the
  // command line's (options, help, the CLI's own calls), and a burst of
  // fresh isolates is that much cheaper.
  if (argv[1] === 'serve' && argv.length === 6) {
    const [, , name, service, script, config] = argv;
    return require('/lib/worker/instance').serve({ sys, name, service, scriptPath: script, config: JSON.parse(config) });
  }
  if (argv[1] === 'spare' && argv.length === 3) return require('/lib/worker/instance').serve({ sys, spare: argv[2] });

  const { parseOptions, usageError } = require('/lib/options');
  const { toClassicScript } = require('/lib/worker/module-form');
  const web = require('/lib/web/index');
  const { makeFetch } = require('/lib/web/fetch');
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('worker', module.exports, parsed.error);
  const { options, operands } = parsed;
  const [command, file, url = 'http://localhost/'] = operands;
  if (command === 'serve') return usageError('worker', module.exports, 'serve: NAME SERVICE SCRIPT CONFIG');
  if (command === 'spare') return usageError('worker', module.exports, 'spare: SERVICE');
  if (['deploy', 'ls', 'list', 'logs', 'rm', 'history'].includes(command)) return manage(command, operands.slice(1), options);
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
  // crypto's random bytes: the machine's, one trap a call (sys.proc.random, as getrandom(2)).
  web.install(globalThis, { randomBytes: sys.proc.random, fetch: makeFetch({ tcp: sys.net.tcp }) });
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

// deploy, ls, logs, rm, history: calls of the invoker's service.
async function manage(command, args, options) {
  const { usageError } = require('/lib/options');
  const { formatLog } = require('/lib/worker/log-lines');
  const { concatBytes } = require('/lib/http/bytes');
  const want = { deploy: 2, ls: 0, list: 0, logs: 1, rm: 1, history: 0 }[command];
  if (args.length !== want) return usageError('worker', module.exports, `${command}: expected ${want || 'no'} operand${want === 1 ? '' : 's'}`);
  let invoker;
  try {
    invoker = await sys.services.connect('invoker');
  } catch (e) {
    sys.stderr.write(`worker: ${e.message} (start it: svc start invoker)\n`);
    return 1;
  }
  try {
    switch (command) {
      case 'deploy': {
        const config = { vars: pairs(options.var, '--var'), kv: pairs(options.kv, '--kv'), limits: pairs(options.limit, '--limit') };
        const f = await sys.fs.open(args[1], 'r');
        const parts = [];
        try {
          for (let b; (b = await f.read(262144)) !== null; ) parts.push(b);
        } finally {
          await f.close();
        }
        const r = await invoker.deploy(args[0], concatBytes(parts), config);
        if (r.error) throw new Error(r.error);
        sys.print(`worker: ${r.unchanged ? 'unchanged' : r.created ? 'deployed' : 'updated'} ${r.name} (${r.hash.slice(0, 12)}, ${r.size} bytes)`);
        return 0;
      }
      case 'ls':
      case 'list': {
        const rows = (await invoker.list()).map((w) => [w.name, w.hash.slice(0, 12), w.size, w.requests, w.errors, w.deployed.replace('T', ' ').slice(0, 19), w.service]);
        sys.table(['NAME', 'HASH', 'SIZE', 'REQUESTS', 'ERRORS', 'DEPLOYED', 'SERVICE'], rows);
        return 0;
      }
      case 'logs':
        await sys.stdout.write((await invoker.logs(args[0])).map(formatLog).join(''));
        return 0;
      case 'rm':
        await invoker.remove(args[0]);
        sys.print(`worker: removed ${args[0]}`);
        return 0;
      case 'history':
        for (const h of await invoker.history()) sys.print(`${h.time} ${h.op} ${h.name} ${h.hash}${h.size !== undefined ? ` ${h.size}` : ''}`);
        return 0;
    }
  } catch (e) {
    sys.stderr.write(`worker: ${command}: ${e.message}\n`);
    return 1;
  }
  return 0;
}

// ['A=1', 'B=2'] -> {A: '1', B: '2'}
function pairs(list, option) {
  const out = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`${option} ${item}: expected NAME=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

module.exports.description = "run a worker's fetch handler on one request, here";
module.exports.options = {
  '-X, --request=METHOD': 'the request method (default GET, or POST with -d)',
  '-H, --header=LINE...': "a request header 'Name: value'",
  '-d, --data=DATA...': 'the request body (several are joined with &)',
  '-i, --include': 'show the status line and headers before the body',
  '--var=SETTING...': 'deploy: an env value for the worker, NAME=VALUE',
  '--kv=SETTING...': 'deploy: a KV namespace binding, BINDING=NAMESPACE (over the kv service)',
  '--limit=SETTING...': 'deploy: a limit, NAME=VALUE: cpu=50ms memory=128M subrequests=50 request=8M response=64M wall=30s startup=400ms',
  'run FILE [URL]': 'FILE: the worker, a module whose default export has fetch; URL: the request (default http://localhost/)',
  'deploy NAME FILE': "deploy FILE as worker NAME to the invoker (svc start invoker); it answers at http://MACHINE/NAME/",
  ls: 'list the deployed workers',
  'logs NAME': "the worker's console lines and the limits it hit, with request ids",
  'rm NAME': 'remove worker NAME',
  history: 'every deploy and removal, with the script hashes kept',
};
module.exports.usage = 'worker run [-i] [-X METHOD] [-H LINE]... [-d DATA]... FILE [URL]\nworker deploy [--var NAME=VALUE]... [--kv BINDING=NS]... [--limit NAME=VALUE]... NAME FILE\nworker ls | worker logs NAME | worker rm NAME | worker history';
