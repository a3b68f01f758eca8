// fs/lib/worker/routes.js (/lib/worker/routes in the image): where an HTTP
// request to the invoker goes. Pure: the path, the method and the Host
// header in, a decision out, so every case is a literal test
// (tests/js/test_worker_routes.js).
//
//   /workers                        GET: the list
//   /workers/NAME                   PUT: deploy, GET: the source, DELETE: remove
//   /workers/NAME/logs              GET: its console lines and limit events
//   /api/v1/namespaces/_/actions/NAME   POST: an OpenWhisk action call
//   Host: NAME.anything             the worker NAME, whole path (Cloudflare's routes by host)
//   /NAME, /NAME/...                the worker NAME, the path as it came
'use strict';

// A worker's name: what Cloudflare allows (lower-case letters, digits, '-'
// and '_'), at most 54 characters so that its service name
// ("w.NAME.HASH7", kernel/services/registry.js) fits 64.
const NAME = /^[a-z0-9][a-z0-9_-]{0,53}$/;
const RESERVED = new Set(['workers', 'api']);

function nameError(name) {
  if (name === '') return 'empty worker name';
  if (RESERVED.has(name)) return `'${name}' is reserved`;
  if (!NAME.test(name)) return `bad worker name '${String(name).slice(0, 60)}': 1-54 of a-z, 0-9, '-' and '_', starting with a letter or digit`;
  return null;
}

// Decodes one path segment; null when its percent-encoding is broken.
function segment(s) {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return null;
  }
}

// -> {kind: 'list'|'deploy'|'source'|'remove'|'logs'|'action'|'invoke'|'error', name, status, message}
// `isWorker(name)`: whether such a worker is deployed (host routing needs it).
function route(method, path, host, isWorker) {
  // Host routing first: hello.example.com (or a Host of just "hello") is
  // worker hello's, whatever the path; an address or localhost never is.
  const hostName = String(host || '').replace(/:\d+$/, '').toLowerCase();
  const byHost = hostName.split('.')[0];
  if (byHost && !/^[\d.]+$/.test(hostName) && !hostName.startsWith('[') && hostName !== 'localhost' && isWorker(byHost)) {
    return { kind: 'invoke', name: byHost, byHost: true };
  }

  const parts = path.split('/').slice(1);
  if (parts[0] === 'workers') {
    if (parts.length === 1 || (parts.length === 2 && parts[1] === '')) {
      return method === 'GET' || method === 'HEAD' ? { kind: 'list' } : notAllowed('GET');
    }
    const name = segment(parts[1]);
    const bad = name === null ? 'bad percent-encoding in the worker name' : nameError(name);
    if (bad || parts.length > 3 || (parts.length === 3 && parts[2] !== 'logs')) {
      return { kind: 'error', status: 400, message: bad || `no such resource: ${path.slice(0, 80)}` };
    }
    if (parts.length === 3) return method === 'GET' || method === 'HEAD' ? { kind: 'logs', name } : notAllowed('GET');
    if (method === 'PUT' || method === 'POST') return { kind: 'deploy', name };
    if (method === 'GET' || method === 'HEAD') return { kind: 'source', name };
    if (method === 'DELETE') return { kind: 'remove', name };
    return notAllowed('GET, PUT, DELETE');
  }
  if (parts[0] === 'api') {
    const m = /^\/api\/v1\/namespaces\/(?:_|guest)\/actions\/([^/]+)$/.exec(path);
    if (!m) return { kind: 'error', status: 404, message: 'the OpenWhisk API here is POST /api/v1/namespaces/_/actions/NAME' };
    const name = segment(m[1]);
    const bad = name === null ? 'bad percent-encoding in the action name' : nameError(name);
    if (bad) return { kind: 'error', status: 400, message: bad };
    return method === 'POST' ? { kind: 'action', name } : notAllowed('POST');
  }
  const name = segment(parts[0]);
  if (!name) return { kind: 'error', status: 404, message: 'no worker here: try /NAME/ for a deployed worker, or GET /workers' };
  if (!isWorker(name)) return { kind: 'error', status: 404, message: `no worker named '${name.slice(0, 60)}'` };
  return { kind: 'invoke', name };
}

function notAllowed(allow) {
  return { kind: 'error', status: 405, message: `allowed here: ${allow}`, allow };
}

module.exports = { route, nameError, NAME };
