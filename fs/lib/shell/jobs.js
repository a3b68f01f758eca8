// fs/lib/shell/jobs.js (/lib/shell/jobs in the image): a background job, and
// how `jobs` shows it (bash's layout), and a command written back as text.
//
// The Shell (/lib/shell/exec) starts jobs and watches them; the builtins
// jobs, fg, bg and wait (/lib/shell/builtins) show and wait for them.
// Reference: POSIX.1-2017 XCU jobs; bash(1) "JOB CONTROL".
'use strict';

// A background job: the processes of one pipeline (or one subshell), with
// the text it was typed as. pids[i] is null for a stage that could not
// start; statuses[i] stays null while process i runs. There are no stop
// signals in this kernel, so a job is only ever running or ended.
class Job {
  constructor({ number, text, stages, pids, statuses, negate }) {
    Object.assign(this, { number, text, stages, pids, statuses, negate });
    this.done = null; // a promise of the job's status (Shell.watchJob)
  }

  get running() {
    return this.statuses.includes(null);
  }

  // The last process's status (§2.9.2), reversed by '!'.
  get status() {
    const last = this.statuses[this.statuses.length - 1];
    return this.negate ? (last === 0 ? 1 : 0) : last;
  }

  livePids() {
    return this.pids.filter((pid, i) => pid !== null && this.statuses[i] === null);
  }

  // How `jobs` says it: Running, Done, Exit N, or the signal that ended it
  // (bash's words for the statuses 128 + SIGINT, SIGKILL, SIGPIPE, SIGTERM).
  state() {
    if (this.running) return 'Running';
    return ENDINGS[this.status] || `Exit ${this.status}`;
  }
}

const ENDINGS = { 0: 'Done', 130: 'Interrupt', 137: 'Killed', 141: 'Broken pipe', 143: 'Terminated' };

// bash's layout: "[1]+  Running                 sleep 10 &". With `long`
// (jobs -l) each process is a line with its pid, later stages after a '|'.
function jobLines(job, mark, long) {
  const head = `[${job.number}]${mark}`;
  const tail = job.running ? ' &' : '';
  if (!long) return [`${head}  ${job.state().padEnd(24)}${job.text}${tail}`];
  return job.stages.map((stage, i) => {
    const pid = String(job.pids[i] === null ? '-' : job.pids[i]).padStart(5);
    const lead = i === 0 ? `${head} ${pid} ${job.state().padEnd(24)}` : `${' '.repeat(head.length)} ${pid} ${''.padEnd(24)}| `;
    return lead + stage + (i === job.stages.length - 1 ? tail : '');
  });
}

// A command written back as text, for `jobs` and for a subshell to read
// again: every word as it was typed, redirections after the words.
function commandText(node) {
  if (node.type !== 'pipeline' && node.type !== 'and' && node.type !== 'or') return compoundText(node);
  if (node.type === 'pipeline') return (node.negate ? '! ' : '') + node.commands.map(simpleCommandText).join(' | ');
  return `${commandText(node.left)} ${node.type === 'and' ? '&&' : '||'} ${commandText(node.right)}`;
}

// A compound command (or a function definition) as it was written, with its redirections.
function compoundText(node) {
  return [node.raw, ...(node.redirects || []).map(redirectText)].join(' ');
}

function simpleCommandText(command) {
  if (command.type !== 'command') return compoundText(command);
  const assigns = command.assigns.map(({ name, value }) => `${name}=${value.raw}`);
  return [...assigns, ...command.words.map((word) => word.raw), ...command.redirects.map(redirectText)].join(' ');
}

function redirectText({ op, fd, target }) {
  const implied = ['<', '<&', '<>', '<<', '<<-'].includes(op) ? 0 : 1;
  const from = fd === implied ? '' : String(fd);
  return op.endsWith('&') ? `${from}${op}${target.raw}` : `${from}${op} ${target.raw}`;
}

module.exports = { Job, jobLines, commandText, simpleCommandText };
