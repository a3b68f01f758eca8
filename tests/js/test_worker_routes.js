// Tests for fs/lib/worker/routes.js and fs/lib/worker/limits.js: where a
// request to the invoker goes, and how a deploy's limits are read. Pure
// functions, literal inputs.
const { route, nameError } = require('/lib/worker/routes');
const { parseLimit, limitOfReason, DEFAULTS, ANSWERS } = require('/lib/worker/limits');

const deployed = new Set(['hello', 'api-v2', 'a_b']);
const isWorker = (n) => deployed.has(n);
const go = (method, path, host = '127.0.0.1:8080') => route(method, path, host, isWorker);

test('the management API: list, deploy, source, remove, logs', () => {
  assert.deepEqual(go('GET', '/workers'), { kind: 'list' });
  assert.deepEqual(go('GET', '/workers/'), { kind: 'list' });
  assert.deepEqual(go('PUT', '/workers/hello'), { kind: 'deploy', name: 'hello' });
  assert.deepEqual(go('POST', '/workers/new-one'), { kind: 'deploy', name: 'new-one' });
  assert.deepEqual(go('GET', '/workers/hello'), { kind: 'source', name: 'hello' });
  assert.deepEqual(go('DELETE', '/workers/hello'), { kind: 'remove', name: 'hello' });
  assert.deepEqual(go('GET', '/workers/hello/logs'), { kind: 'logs', name: 'hello' });
});

test('methods the API does not take are 405 with Allow', () => {
  assert.equal(go('DELETE', '/workers').status, 405);
  assert.equal(go('DELETE', '/workers').allow, 'GET');
  assert.equal(go('PATCH', '/workers/hello').allow, 'GET, PUT, DELETE');
  assert.equal(go('POST', '/workers/hello/logs').status, 405);
  assert.equal(go('GET', '/api/v1/namespaces/_/actions/hello').allow, 'POST');
});

test('bad names are 400 with a reason, traversal and NUL included', () => {
  for (const path of ['/workers/Hello', '/workers/..', '/workers/..%2Fetc', '/workers/a%00', '/workers/-a', '/workers/a.b', `/workers/${'x'.repeat(55)}`]) {
    const r = go('PUT', path);
    assert.equal(r.kind, 'error', path);
    assert.equal(r.status, 400, path);
    assert.match(r.message, /bad worker name/, path);
  }
  assert.match(go('PUT', '/workers/%zz').message, /percent-encoding/);
  assert.match(go('PUT', '/workers/api').message, /reserved/);
  assert.match(go('PUT', '/workers/hello/x').message, /no such resource/);
  assert.equal(go('PUT', `/workers/${'x'.repeat(54)}`).kind, 'deploy');
});

test('a request by path goes to the worker its first segment names', () => {
  assert.deepEqual(go('GET', '/hello'), { kind: 'invoke', name: 'hello' });
  assert.deepEqual(go('POST', '/hello/a/b'), { kind: 'invoke', name: 'hello' });
  assert.deepEqual(go('GET', '/a_b/'), { kind: 'invoke', name: 'a_b' });
  const none = go('GET', '/nope/');
  assert.equal(none.status, 404);
  assert.match(none.message, /no worker named 'nope'/);
  assert.equal(go('GET', '/').status, 404);
});

test('a request by Host goes to the worker its first label names, whatever the path', () => {
  assert.deepEqual(go('GET', '/workers', 'hello.example.com'), { kind: 'invoke', name: 'hello', byHost: true });
  assert.deepEqual(go('GET', '/x', 'HELLO.example.com:8080'), { kind: 'invoke', name: 'hello', byHost: true });
  assert.deepEqual(go('GET', '/x', 'hello'), { kind: 'invoke', name: 'hello', byHost: true });
  // An address, localhost or an unknown label falls back to the path.
  assert.equal(go('GET', '/hello', '10.0.2.15').byHost, undefined);
  assert.equal(go('GET', '/hello', 'localhost:80').byHost, undefined);
  assert.deepEqual(go('GET', '/workers', 'other.example.com'), { kind: 'list' });
});

test('the OpenWhisk action path', () => {
  assert.deepEqual(go('POST', '/api/v1/namespaces/_/actions/hello'), { kind: 'action', name: 'hello' });
  assert.deepEqual(go('POST', '/api/v1/namespaces/guest/actions/hello'), { kind: 'action', name: 'hello' });
  assert.equal(go('POST', '/api/v1/namespaces/_/actions/Bad').status, 400);
  assert.equal(go('POST', '/api/v2/x').status, 404);
});

test('nameError says what is wrong, or null', () => {
  assert.equal(nameError('ok-1_2'), null);
  assert.match(nameError(''), /empty/);
  assert.match(nameError('workers'), /reserved/);
});

test('limits parse with their units', () => {
  assert.equal(parseLimit('cpu', '50'), 50);
  assert.equal(parseLimit('cpu', '10ms'), 10);
  assert.equal(parseLimit('cpu', '2s'), 2000);
  assert.equal(parseLimit('wall', '1.5s'), 1500);
  assert.equal(parseLimit('memory', '64M'), 64 * 1048576);
  assert.equal(parseLimit('request', '1k'), 1024);
  assert.equal(parseLimit('request', '100'), 100);
  assert.equal(parseLimit('subrequests', '10'), 10);
  for (const [name, text] of [['cpu', 'fast'], ['cpu', '0'], ['cpu', '-5'], ['memory', '1X'], ['subrequests', '1.5'], ['cpu', '5m']]) {
    assert.ok(parseLimit(name, text) instanceof Error, `${name}=${text}`);
  }
  assert.match(parseLimit('nope', '1').message, /unknown limit 'nope'/);
});

test('Cloudflare defaults, and what each limit is answered with', () => {
  assert.equal(DEFAULTS.cpu, 50);
  assert.equal(DEFAULTS.memory, 128 * 1048576);
  assert.equal(DEFAULTS.subrequests, 50);
  assert.deepEqual(ANSWERS.cpu[0], 503);
  assert.match(ANSWERS.cpu[1], /exceeded CPU time limit/);
  assert.match(ANSWERS.memory[1], /^error code: 1102/);
  assert.match(ANSWERS.exception[1], /^error code: 1101/);
});

test("the machine's reasons map to limits", () => {
  assert.equal(limitOfReason('CPU time limit exceeded (50 ms budget)'), 'cpu');
  assert.equal(limitOfReason('heap limit exceeded (128 MiB)'), 'memory');
  assert.equal(limitOfReason('ArrayBuffer limit exceeded: 64 MiB'), 'memory');
  assert.equal(limitOfReason('exited'), 'crashed');
  assert.equal(limitOfReason(undefined), 'crashed');
});
