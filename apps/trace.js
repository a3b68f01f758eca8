// apps/trace.js: run a command and show every crossing it caused: each trap
// (JavaScript calling into the machine's Python), each post (Python queueing
// a call into an isolate), each message between an app and the kernel, and
// each kick, ring update and interrupt of the virtqueues, as one line each
// and then a summary per kind (docs/tracing.md).
//
//   trace [-c] [-o FILE] [-b EVENTS] CMD [ARGS...]
//   trace -p PID [-d SECONDS] [-c] [-o FILE]
//
// The machine records (jsksh/native/tracer.py) from the moment this app asks
// until the command has exited; what is shown is the kernel's, the devices'
// and the machine's events, and those of the command and every app started
// after it (its children). With -p it records PID's, until PID exits or
// SECONDS pass. Lines go to stderr, as strace's do, so the command's own
// output stays on stdout; -o FILE writes them to FILE instead, or, for a
// FILE ending in .json, the trace in Perfetto's JSON (/lib/trace/perfetto).
// The command's exit status is trace's.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { selectEvents, timeline, summarize, summaryText, footer } = require('/lib/trace/timeline');
const { toTraceEvents } = require('/lib/trace/perfetto');

const NOT_FOUND = 127;
const CANNOT_RUN = 126;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports, { stopAtOperand: true });
  if (parsed.error) return usageError('trace', module.exports, parsed.error);
  const { options, operands } = parsed;
  const attach = options.pid !== null;
  if (attach === (operands.length > 0)) {
    return usageError('trace', module.exports, attach ? 'give a command or -p PID, not both' : 'missing command (or -p PID)');
  }
  const events = options.buffer === null ? 65536 : Number(options.buffer);
  if (!(Number.isInteger(events) && events > 0)) return usageError('trace', module.exports, `invalid ring size '${options.buffer}'`);
  const seconds = options.duration === null ? 10 : Number(options.duration);
  if (!(seconds > 0)) return usageError('trace', module.exports, `invalid duration '${options.duration}'`);

  let target = 0;
  if (attach) {
    target = Number(options.pid);
    if (!/^\d+$/.test(options.pid) || !(await alive(target))) {
      await sys.stderr.write(`trace: attach: no process ${options.pid}\n`);
      return 1;
    }
  }
  try {
    await sys.kernel.traceStart(events);
  } catch (e) {
    await sys.stderr.write(`trace: ${e.message}\n`);
    return 1;
  }
  let status = 0;
  let keep;
  try {
    if (attach) {
      keep = (pid) => pid === target;
      const until = Date.now() + seconds * 1000;
      while (Date.now() < until && (await alive(target))) await sys.sleep(100);
    } else {
      let pid;
      try {
        pid = await sys.proc.spawn(operands);
      } catch (e) {
        const missing = e && e.code === 'ENOENT';
        await sys.stderr.write(`trace: ${operands[0]}: ${missing ? 'command not found' : e.message}\n`);
        return missing ? NOT_FOUND : CANNOT_RUN;
      }
      // pids only grow: the command's children come after it.
      keep = (p) => p >= pid;
      status = await sys.proc.wait(pid);
    }
  } finally {
    await sys.kernel.traceStop();
  }
  const trace = await sys.kernel.traceRead();
  const shown = selectEvents(trace, keep);
  const t0 = trace.started;
  const groups = summarize(shown);
  const file = options.output;
  if (file !== null && file.endsWith('.json')) {
    await sys.fs.writeFile(file, JSON.stringify(toTraceEvents(trace, shown)));
    await sys.stderr.write(`trace: ${footer(trace, shown.length)}; Perfetto JSON in ${file}\n`);
    return status;
  }
  const lines = [];
  if (!options['summary-only']) lines.push(...timeline(shown, t0), '');
  lines.push(...summaryText(groups), '', footer(trace, shown.length), '');
  if (file !== null) await sys.fs.writeFile(file, lines.join('\n'));
  else await sys.stderr.write(lines.join('\n'));
  return status;
};

async function alive(pid) {
  const procs = await sys.proc.list();
  return procs.some((p) => p.pid === pid && p.state !== 'Z');
}

module.exports.description = 'run a command and show every crossing it caused (traps, posts, messages, virtqueues)';
module.exports.options = {
  '-c, --summary-only': 'print only the summary per kind, not each event',
  '-o, --output=FILE': 'write to FILE instead of stderr (FILE.json: Perfetto JSON)',
  '-b, --buffer=EVENTS': "the ring's size in events (default 65536); past it, events are dropped and counted",
  '-p, --pid=PID': 'record the running process PID instead of a new command',
  '-d, --duration=SECONDS': 'with -p: stop after SECONDS (default 10) if PID has not exited',
};
module.exports.usage = 'trace [-c] [-o FILE] [-b EVENTS] CMD [ARGS...] | trace -p PID [-d SECONDS]';
