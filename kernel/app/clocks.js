// kernel/app/clocks.js: the app's clocks, coarsened (Cloudflare's answer to
// timing side channels).
//
// Time is read once per event (the machine writes it into the page with
// every RECV, transport.js) and does not move while the app's code runs, so
// code cannot time itself: Date.now() and new Date() give the wall clock at
// the start of the event in whole milliseconds, performance.now() counts
// from the program's start at 100 us resolution, sys.clock() (sys.js) is the
// machine's clock in seconds. docs/apps.md, "Clocks".
(function (rt) {
'use strict';

const { time } = rt;

const RealDate = Date;
const realNow = Date.now;
// eventClock: seconds since power-on, at the start of this event.
let eventClock = 0;
let eventWall = realNow();
let startClock = 0;
// A new event: transport.js received messages.
function onEvent() {
  eventClock = Math.floor(time[0] * 1e4) / 1e4;
  eventWall = realNow();
}
const clock = () => eventClock;
// performance.now() counts from the program's start (loader.js, start).
function startProgramClock() {
  startClock = eventClock;
}
RealDate.now = () => eventWall;
globalThis.Date = new Proxy(RealDate, {
  construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [eventWall], newTarget),
});
globalThis.performance = Object.freeze({
  now: () => Math.round((eventClock - startClock) * 1e4) / 10,
  get timeOrigin() {
    return eventWall - (eventClock - startClock) * 1000;
  },
});

// No shared memory between isolates, no blocking waits: narrows timing side channels.
delete globalThis.SharedArrayBuffer;
if (globalThis.Atomics) delete globalThis.Atomics.wait;

Object.assign(rt, { onEvent, clock, startProgramClock });
})(globalThis.__rt);
