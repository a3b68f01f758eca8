// fs/lib/trace/timeline.js (/lib/trace/timeline in the image): what the
// machine's tracer recorded (jsksh/native/tracer.py), as a person reads it:
// one line per event, strace-like, and a summary per kind, as `strace -c`
// and `perf trace -s` give one. The `trace` app (apps/trace.js) and the
// host's `jsksh run --trace FILE` (jsksh/trace_file.py) both print through
// it. docs/tracing.md explains each kind.
//
// A trace is the tracer's snapshot: {started, stopped, capacity, dropped,
// fields, events}, each event [time, dur, kind, track, name, size, detail]
// (seconds since power-on; dur in seconds, 0 for an instant).
'use strict';

const KINDS = ['trap', 'post', 'msg', 'kick', 'avail', 'used', 'intr', 'irq'];

// An event as an object (the wire form is an array, for size).
function eventAt(array) {
  const [time, dur, kind, track, name, size, detail] = array;
  return { time, dur, kind, track, name, size, detail };
}

// The pid of an app's track ("pid 12 echo"), or 0 for the kernel, a device or the machine.
function trackPid(track) {
  const m = /^pid (\d+)\b/.exec(track);
  return m ? Number(m[1]) : 0;
}

// Which events a trace of a command shows: the kernel's, the machine's and
// the devices' all, and of the apps', those of `pids` (a function pid ->
// boolean) and of every app they sent a message to (a service they called:
// its side of the RPC is part of the journey). The kernel's messages to an
// app count as that app's.
function selectEvents(trace, keepPid) {
  const events = trace.events.map(eventAt);
  const peers = new Set();
  let grew = true;
  const kept = (pid) => keepPid(pid) || peers.has(pid);
  while (grew) {
    grew = false;
    for (const e of events) {
      const from = trackPid(e.track);
      if (e.kind !== 'msg' || from === 0 || !kept(from)) continue;
      const to = trackPid(e.name.replace(/^-> /, ''));
      if (to !== 0 && !kept(to)) {
        peers.add(to);
        grew = true;
      }
    }
  }
  const out = [];
  for (const e of events) {
    let pid = trackPid(e.track);
    if (pid === 0 && e.kind === 'msg') pid = trackPid(e.name.replace(/^-> /, ''));
    if (pid !== 0 && !kept(pid)) continue;
    if (e.track === 'pool') continue; // an isolate warming up for no program yet
    out.push(e);
  }
  return out;
}

const us = (seconds) => Math.round(seconds * 1e6);

function sizeText(e) {
  if (!e.size) return '';
  return `${e.size} B`;
}

// One line: time since `t0`, who, the kind, what, the detail, the bytes and,
// for a crossing that took time, its duration in <> as strace -T prints it.
function formatLine(e, t0) {
  const time = (e.time - t0).toFixed(6).padStart(10);
  const what = `${e.name}${e.detail ? `  ${e.detail}` : ''}`;
  const size = sizeText(e);
  const took = e.dur > 0 ? `  <${(e.dur * 1e3).toFixed(3)} ms>` : '';
  return `${time} ${e.track.padEnd(24)} ${e.kind.padEnd(5)} ${what}${size ? `  (${size})` : ''}${took}`;
}

function timeline(events, t0) {
  return events.map((e) => formatLine(e, t0));
}

function median(sorted) {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Per kind and name: count, total time, p50 time, bytes; sorted by kind (in
// KINDS' order, the order a request meets them) and then by total time.
function summarize(events) {
  const groups = new Map();
  for (const e of events) {
    // A trap's or post's name says what it was (WRITE, __irq); a ring
    // event's names a descriptor: those group by where they happened.
    const label = e.kind === 'trap' || e.kind === 'post' ? e.name : e.kind === 'msg' ? e.detail.split(' ')[0] : e.track;
    const key = `${e.kind}\u0000${label}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind: e.kind, name: label, count: 0, total: 0, bytes: 0, durs: [] }));
    g.count++;
    g.total += e.dur;
    g.bytes += e.size || 0;
    if (e.dur > 0) g.durs.push(e.dur);
  }
  const rank = (kind) => (KINDS.indexOf(kind) + KINDS.length + 1) % (KINDS.length + 1);
  return [...groups.values()]
    .map((g) => ({ ...g, p50: median(g.durs.sort((a, b) => a - b)) }))
    .sort((a, b) => rank(a.kind) - rank(b.kind) || b.total - a.total || b.count - a.count);
}

// The summary as a table's rows: KIND, NAME, COUNT, TOTAL ms, P50 us, BYTES.
const SUMMARY_COLUMNS = ['KIND', 'NAME', 'COUNT', 'TOTAL ms', 'P50 us', 'BYTES'];
function summaryRows(groups) {
  return groups.map((g) => [
    g.kind,
    g.name,
    g.count,
    g.total > 0 ? (g.total * 1e3).toFixed(3) : '-',
    g.durs.length ? String(us(g.p50)) : '-',
    g.bytes || '-',
  ]);
}

// The same as plain text (for a file, or the host).
function summaryText(groups) {
  const rows = [SUMMARY_COLUMNS, ...summaryRows(groups).map((r) => r.map(String))];
  const widths = SUMMARY_COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}

// A closing line: what was recorded and what was lost.
function footer(trace, shown) {
  const lost = trace.dropped ? `; ${trace.dropped} dropped: the ring (${trace.capacity} events) was full` : '';
  const span = ((trace.stopped - trace.started) * 1e3).toFixed(3);
  return `${shown} events shown of ${trace.events.length} recorded in ${span} ms${lost}`;
}

module.exports = { KINDS, eventAt, trackPid, selectEvents, formatLine, timeline, summarize, summaryRows, summaryText, SUMMARY_COLUMNS, footer };
