// fs/lib/shell/maybe-async.js (/lib/shell/maybe-async in the image): how the
// shell's tree walker runs without waiting when it has nothing to wait for.
//
// Why: a loop of builtins (`while [ $i -lt 10000 ]; do i=$((i+1)); done`)
// never needs the kernel, but an async function per node of the tree costs
// a promise and a trip through the microtask queue at every step: that was
// most of the time of such a loop (docs/performance.md, issue 12). So the
// walker's functions (exec.js, expand.js, test.js) are "maybe-async": they
// return their result directly when everything they ran finished at once,
// and a Promise of it only when something had to wait (a program to spawn,
// a file to read, a $(...), a directory to glob). A caller passes a result
// it got on with then() below, which calls on at once for a plain value: as
// long as nothing waits, no promise is made at all. A function that waited
// in the middle goes on from that point in the promise's callback, so what
// runs, and in what order, is the same either way. `await` takes both kinds
// of result, so async code calls these functions as before.
//
// Errors: a maybe-async function may throw (it ran at once) or return a
// promise that rejects (it waited first); settled() and catching() are
// try/finally and try/catch for both.
//
// Where a function goes on after a promise, the continuation is a function
// of its own (runListAfter beside runList, in exec.js): V8 gives a function
// that makes a closure its context at every call, before it knows whether
// it will make it, and the no-wait path would pay for it at every turn.
'use strict';

function isPromise(x) {
  return x !== null && typeof x === 'object' && typeof x.then === 'function';
}

// next(result), now if `result` is a value, or when its promise settles.
function then(result, next) {
  return isPromise(result) ? result.then(next) : next(result);
}

// try { return run() } finally { cleanup() }, for a run() that is maybe-async.
function settled(run, cleanup) {
  let result;
  try {
    result = run();
  } catch (e) {
    cleanup();
    throw e;
  }
  if (isPromise(result)) return result.finally(cleanup);
  cleanup();
  return result;
}

// try { return run() } catch (e) { return onError(e) }, for a maybe-async run().
function catching(run, onError) {
  let result;
  try {
    result = run();
  } catch (e) {
    return onError(e);
  }
  return isPromise(result) ? result.then(undefined, onError) : result;
}

// Calls turn() until it gives false (a loop's turns): turns that finish at
// once go round a plain loop; after one that waited, the rest go on from its promise.
function repeat(turn) {
  for (;;) {
    const more = turn();
    if (isPromise(more)) return more.then((again) => (again ? repeat(turn) : undefined));
    if (!more) return undefined;
  }
}

module.exports = { isPromise, then, settled, catching, repeat };
