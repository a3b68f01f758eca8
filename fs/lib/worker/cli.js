// fs/lib/worker/cli.js (/lib/worker/cli in the image): the `worker`
// command's own work (apps/worker.js declares it): `run` a worker here, on
// one request, and `deploy`, `ls`, `logs`, `rm`, `history` over the
// invoker's service. Apart from apps/worker.js so that the invoker's
// isolates, which run that app as `worker serve` or `worker spare`, never
// parse it: each is a fresh isolate, and compiles what it loads.
'use strict';

async function main(argv, app) {
  const { parseOptions, usageError } = require('/lib/options');
  const { toClassicScript } = require('/lib/worker/module-form');
  const web = require('/lib/web/index');
  const { makeFetch } = require('/lib/web/fetch');
  const parsed = parseOptions(argv.slice(1), app);
  if (parsed.error) return usageError('worker', app, parsed.error);
  const { options, operands } = parsed;
  const [command, file, url = 'http://localhost/'] = operands;
  if (command === 'serve') return usageError('worker', app, 'serve: NAME SERVICE SCRIPT CONFIG');
  if (command === 'spare') return usageError('worker', app, 'spare: SERVICE');
  if (['deploy', 'ls', 'list', 'logs', 'rm', 'history'].includes(command)) return manage(command, operands.slice(1), options, app);
  if (command !== 'run') return usageError('worker', app, command ? `unknown command '${command}'` : 'no command');
  if (!file) return usageError('worker', app, 'no FILE');
  if (operands.length > 3) return usageError('worker', app, `extra operand '${operands[3]}'`);

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
    if (colon <= 0) return usageError('worker', app, `bad header '${h}'`);
    headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  const body = options.data.length ? options.data.join('&') : null;
  let request;
  try {
    request = new Request(url, { method: options.request || (body === null ? 'GET' : 'POST'), headers, body });
  } catch (e) {
    return usageError('worker', app, e.message);
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
}

// deploy, ls, logs, rm, history: calls of the invoker's service.
async function manage(command, args, options, app) {
  const { usageError } = require('/lib/options');
  const { formatLog } = require('/lib/worker/log-lines');
  const { concatBytes } = require('/lib/http/bytes');
  const want = { deploy: 2, ls: 0, list: 0, logs: 1, rm: 1, history: 0 }[command];
  if (args.length !== want) return usageError('worker', app, `${command}: expected ${want || 'no'} operand${want === 1 ? '' : 's'}`);
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


module.exports = { main };
