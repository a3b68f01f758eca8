// apps/worker.js: Workers-style code, run here or deployed to the invoker
// (issue 14; docs/workers.md).
//
//   worker run FILE [URL] [-X METHOD] [-H 'Name: value']... [-d DATA] [-i]
//   worker deploy NAME FILE [--var K=V]... [--kv BINDING=NS]... [--limit cpu=10ms]...
//   worker ls | worker logs NAME | worker rm NAME | worker history
//   worker serve NAME SERVICE SCRIPT CONFIG   (the invoker's: one instance)
//   worker spare SERVICE                      (the invoker's: an instance-to-be)
//
// `run` loads FILE, a worker in the module form Cloudflare's users write
// (`export default { async fetch(request, env, ctx) {...} }`), turns it
// into a classic script (/lib/worker/module-form, docs/workers.md), gives
// it the web platform's pieces (Request, Response, Headers, URL, TextEncoder,
// crypto... from /lib/web), calls its fetch with one request for URL (default
// http://localhost/), and prints the response as curl does: the body, with
// -i the status line and headers first. Each run is an app, so each worker
// runs in a fresh isolate of its own, with the app's limits; `wrangler dev`
// is the model. `deploy`, `ls`, `logs` and `rm` call the `invoker` service
// (apps/invoker.js) over RPC; `serve` is how the invoker starts an isolate
// for one version of a worker (/lib/worker/instance). This file declares
// the command and sends each to its module: the command line's work is in
// /lib/worker/cli, which the invoker's isolates never load.
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

  return require('/lib/worker/cli').main(argv, module.exports);
};

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
