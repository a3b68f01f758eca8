// fs/lib/trace/perfetto.js (/lib/trace/perfetto in the image): a trace of
// the machine's crossings (jsksh/native/tracer.py) in the Trace Event Format
// that Perfetto (ui.perfetto.dev) and chrome://tracing open: a JSON object
// {traceEvents: [...], displayTimeUnit}. Reference: "Trace Event Format"
// (Google, the document Chrome's tracing links to): ph 'X' is a complete
// event with ts and dur in microseconds, ph 'i' an instant (s: 't', on its
// thread), ph 'M' metadata naming processes and threads.
//
// Two processes, one track (a "thread") per party: pid 1 "isolates" with
// the kernel and each app (a track per "pid N name"), pid 2 "devices" with
// one track per virtqueue ("virtio-net.tx") and the machine's interrupt
// line, so the crossings of one keystroke read top to bottom.
'use strict';

const { eventAt } = require('/lib/trace/timeline');

const ISOLATES = 1;
const DEVICES = 2;

function processOf(e) {
  return e.kind === 'trap' || e.kind === 'post' || e.kind === 'msg' ? ISOLATES : DEVICES;
}

// `events`: the ones to write, as objects (timeline.js's selectEvents);
// every event of the trace by default.
function toTraceEvents(trace, events = trace.events.map(eventAt)) {
  const tids = new Map(); // "pid/track" -> tid
  const out = [
    { name: 'process_name', ph: 'M', pid: ISOLATES, tid: 0, args: { name: 'isolates (kernel and apps)' } },
    { name: 'process_name', ph: 'M', pid: DEVICES, tid: 0, args: { name: 'devices (virtqueues, interrupts)' } },
  ];
  const tidOf = (pid, track) => {
    const key = `${pid}/${track}`;
    let tid = tids.get(key);
    if (tid === undefined) {
      tid = tids.size + 1;
      tids.set(key, tid);
      out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: track } });
      // Sorted as they appear: the kernel first, then apps and queues as they come.
      out.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: tid } });
    }
    return tid;
  };
  for (const e of events) {
    const pid = processOf(e);
    const tid = tidOf(pid, e.track);
    const ts = Math.round(e.time * 1e9) / 1e3; // microseconds, to the nanosecond
    const args = {};
    if (e.detail) args.detail = e.detail;
    if (e.size) args.bytes = e.size;
    if (e.dur > 0) {
      out.push({ name: e.name, cat: e.kind, ph: 'X', ts, dur: Math.round(e.dur * 1e9) / 1e3, pid, tid, args });
    } else {
      out.push({ name: e.name, cat: e.kind, ph: 'i', s: 't', ts, pid, tid, args });
    }
  }
  return {
    traceEvents: out,
    displayTimeUnit: 'ms',
    otherData: {
      source: 'jsksh tracer (docs/tracing.md)',
      started: trace.started,
      stopped: trace.stopped,
      capacity: trace.capacity,
      dropped: trace.dropped,
    },
  };
}

module.exports = { toTraceEvents };
