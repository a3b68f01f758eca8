// fs/lib/shell/exec.js (/lib/shell/exec in the image): runs parsed command lines.
//
// The Shell walks the tree from /lib/shell/parse: builtins (cd, pwd, exit,
// export, unset, jobs, fg, bg, wait: /lib/shell/builtins) run in the shell; every other command is a
// process made with sys.proc.spawn, wired with kernel pipes and files, made
// the terminal's foreground job, and waited for. A line ended by '&' starts a
// background job instead and does not wait (docs/shell.md, "Job control").
// It touches the system only through the `sys` object it is given, so tests
// drive it with a fake one.
//
// Reference: POSIX.1-2017 Shell Command Language: §2.9.1 simple commands
// (expansion, assignments, "command not found" is 127), §2.9.2 pipelines
// (the status is the last command's), §2.9.3 lists (&& and || short-circuit;
// §2.9.3.1 asynchronous lists, '&'), §2.7 redirection, §2.14 special builtins
// (exit, export, unset); XCU utilities jobs, fg, bg, wait, kill (%job operands).
'use strict';

const { parse, expandWord, expandFields, ShellSyntaxError } = require('/lib/shell/parse');
const { STATUS_NOT_FOUND, STATUS_CANNOT_RUN, STATUS_SYNTAX, STATUS_INTERRUPTED, INTERRUPTED, describe, resolvePath, isName } = require('/lib/shell/common');
const { Job, jobLines, commandText, simpleCommandText } = require('/lib/shell/jobs');
const { BUILTINS, isInShell } = require('/lib/shell/builtins');

// A redirection that cannot be set up: reported as "sh: MESSAGE", status 1.
class RedirectError extends Error {}

// What fd `from` is, for another fd: 'inherit' names the shell's own stream of
// that number, which for another fd is {inherit: from} (so `>&2` reaches stderr).
const dup = (stream, from) => (stream === 'inherit' ? { inherit: from } : stream);

class Shell {
  // argv0 and args are $0 and $1...$9 (sh -c 'LINE' NAME ARGS...).
  // interactive: a person types the lines, so the shell says `[1] 42` when it
  // starts a background job and reports the jobs that ended
  // (reportFinishedJobs). watchInterrupt(), if given, returns {interrupted:
  // a promise settled by Ctrl-C, stop()}: how `wait` learns of a Ctrl-C that
  // reaches the shell itself (apps/sh.js makes one for the terminal and one
  // for the session).
  constructor({ sys, env, cwd, argv0 = 'sh', args = [], interactive = false, watchInterrupt = null } = {}) {
    this.sys = sys;
    this.cwd = cwd || sys.cwd || '/';
    this.vars = new Map(Object.entries(env || sys.env || {}));
    this.exported = new Set(this.vars.keys()); // what children see in their env
    this.positional = [argv0, ...args];
    this.status = 0; // $?
    this.exitCode = null; // set by `exit`: the caller should stop
    this.interactive = interactive;
    this.watchInterrupt = watchInterrupt;
    this.jobs = []; // background jobs, oldest first; the last is the current one (%+)
    this.lastBackgroundPid = null; // $!
    this.limits = {}; // set by `ulimit`: every command from now on runs under them
    this.lookup = (name) => this.valueOf(name);
  }

  get exiting() {
    return this.exitCode !== null;
  }

  // "jsksh:/tmp$ ", or PS1 if set ('' turns the prompt off); "> " when a
  // command continues on the next line, like PS2.
  prompt(continuation = false) {
    if (continuation) return this.vars.has('PS2') ? this.vars.get('PS2') : '> ';
    if (this.vars.has('PS1')) return this.vars.get('PS1');
    return `jsksh:${this.cwd}$ `;
  }

  // The value of $name, for expansion.
  valueOf(name) {
    if (name === '?') return String(this.status);
    if (name === '$') return String(this.sys.pid);
    if (name === '!') return this.lastBackgroundPid === null ? undefined : String(this.lastBackgroundPid);
    if (name === '#') return String(Math.max(0, this.positional.length - 1));
    if (/^[0-9]$/.test(name)) return this.positional[Number(name)];
    return this.vars.get(name);
  }

  // Runs one line (or a whole script: newlines separate commands).
  // Returns the status, also left in this.status ($?). Never throws: the
  // shell is what the console runs, and it must survive any one command.
  async runLine(line) {
    let ast;
    try {
      ast = parse(line);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      this.error(e.message);
      return (this.status = STATUS_SYNTAX);
    }
    try {
      await this.runList(ast);
    } catch (e) {
      this.error(`sh: ${(e && e.message) || e}`);
      this.status = 1;
    }
    return this.status;
  }

  async runList(list) {
    for (const item of list.items) {
      if (item.background) await this.runBackground(item.command);
      else await this.runAndOr(item.command);
      // After Ctrl-C the rest of the line is abandoned, as in sh.
      if (this.exiting || this.status === STATUS_INTERRUPTED) break;
    }
    return this.status;
  }

  // && runs the right side only after success, || only after failure (§2.9.3).
  async runAndOr(node) {
    if (node.type === 'pipeline') return this.runPipeline(node);
    await this.runAndOr(node.left);
    if (this.exiting || this.status === STATUS_INTERRUPTED) return this.status;
    const succeeded = this.status === 0;
    if (node.type === 'and' ? succeeded : !succeeded) await this.runPipeline(node.right);
    return this.status;
  }

  async runPipeline(pipeline) {
    const stages = pipeline.commands.map((command) => this.expandCommand(command));
    let status;
    if (stages.length === 1 && isInShell(stages[0])) {
      status = await this.runInShell(stages[0]);
    } else {
      const builtin = stages.find(isInShell);
      if (builtin) {
        this.error(`sh: ${builtin.argv[0] || 'assignment'}: a builtin cannot be part of a pipeline yet`);
        status = 1;
      } else {
        status = await this.runProcesses(stages);
      }
    }
    if (pipeline.negate) status = status === 0 ? 1 : 0;
    return (this.status = status);
  }

  // §2.9.1: words expand to fields; NAME=value and redirection targets to one string each.
  expandCommand(command) {
    const argv = [];
    for (const word of command.words) {
      // export's arguments are assignments: "export A=$X" must not split $X.
      if (argv[0] === 'export') argv.push(expandWord(word, this.lookup));
      else argv.push(...expandFields(word, this.lookup));
    }
    return {
      argv,
      assigns: command.assigns.map(({ name, value }) => [name, expandWord(value, this.lookup)]),
      redirects: command.redirects.map((r) => ({ op: r.op, fd: r.fd, target: expandWord(r.target, this.lookup) })),
    };
  }

  // --- commands the shell runs itself ---

  // A builtin, or a command with no words (only "A=1" or "> /tmp/f").
  async runInShell(stage) {
    const output = { 1: [], 2: [] };
    let streams;
    try {
      streams = this.redirectStreams(stage.redirects, ['inherit', 'inherit', 'inherit']);
      await this.openOutputFiles(streams);
    } catch (e) {
      this.error(e instanceof RedirectError ? e.message : `sh: ${e.message}`);
      return 1;
    }
    for (const [name, value] of stage.assigns) this.vars.set(name, value);
    // What the builtin says goes where the redirections say, after it ends,
    // or earlier if it flushes (fg shows the command before it waits).
    const flush = async () => {
      const [out, err] = [output[1].splice(0).join(''), output[2].splice(0).join('')];
      await this.writeOutput(streams[1], out, this.sys.stdout);
      await this.writeOutput(streams[2], err, this.sys.stderr);
    };
    let status = 0;
    if (stage.argv.length > 0) {
      const io = { out: (s) => output[1].push(s), err: (s) => output[2].push(s), flush };
      status = await BUILTINS[stage.argv[0]].call(this, stage.argv, io);
    }
    try {
      await flush();
    } catch (e) {
      this.error(`sh: ${e.message}`);
      return 1;
    }
    return status;
  }

  // Like open(O_CREAT | O_TRUNC) before the builtin runs: "pwd > /etc/x" fails
  // before anything happens, and "> /tmp/f" alone empties the file.
  async openOutputFiles(streams) {
    for (const stream of [streams[1], streams[2]]) {
      if (!stream.file) continue;
      try {
        await this.sys.fs.writeFile(stream.file, '', { append: Boolean(stream.append) });
      } catch (e) {
        throw new RedirectError(`sh: ${stream.file}: ${describe(e)}`);
      }
    }
  }

  async writeOutput(stream, text, terminal) {
    if (text === '' || stream === 'null') return;
    if (stream.file) await this.sys.fs.writeFile(stream.file, text, { append: true });
    else terminal.write(text);
  }

  // --- commands that are processes ---

  async runProcesses(stages) {
    const { pids, statuses } = await this.spawnPipeline(stages, 'inherit');
    const running = pids.filter((pid) => pid !== null);
    if (running.length > 0) {
      await this.inForeground(running, async () => {
        for (let i = 0; i < pids.length; i++) {
          if (pids[i] !== null) statuses[i] = await this.sys.proc.wait(pids[i]);
        }
      });
    }
    return statuses[statuses.length - 1];
  }

  // Starts every stage; the first reads `stdin` (before its redirections).
  // Returns {pids, statuses}: pids[i] is null for a stage that could not
  // start, and statuses[i] then says why (127, 1, ...).
  async spawnPipeline(stages, stdin) {
    const pipes = [];
    for (let i = 0; i < stages.length - 1; i++) pipes.push(await this.sys.proc.pipe());
    const pids = [];
    const statuses = [];
    let previousFailed = false;
    for (let i = 0; i < stages.length; i++) {
      // stage i reads pipe i-1 and writes pipe i (the pipe(2)/dup2 wiring of sh).
      const wired = [
        i > 0 ? (previousFailed ? 'null' : { pipe: pipes[i - 1] }) : stdin,
        i < stages.length - 1 ? { pipe: pipes[i] } : 'inherit',
        'inherit',
      ];
      const started = await this.spawnStage(stages[i], wired);
      previousFailed = started.pid === null;
      pids.push(started.pid);
      statuses.push(started.status);
    }
    // The stages hold their ends now: let go of ours, so that a reader sees
    // end of file once its writers are gone (even a writer whose stdout was
    // redirected elsewhere, and so never held the pipe at all).
    for (const pipe of pipes) await this.sys.proc.closePipe(pipe);
    return { pids, statuses };
  }

  // Runs wait() with `pids` as the terminal's foreground job: Ctrl-C now goes
  // to them, not to the shell (nor to any background job), and they read the
  // terminal. Afterwards the terminal is the shell's again.
  async inForeground(pids, wait) {
    const { sys } = this;
    try {
      await sys.proc.foreground(pids);
      return await wait();
    } finally {
      await sys.proc.foreground([sys.pid]);
    }
  }

  // Spawns one stage. Returns {pid} or, if it could not start, {pid: null, status}.
  async spawnStage(stage, wired) {
    let { argv } = stage;
    const [name] = argv;
    if (name === 'kill' && argv.some((arg) => arg.startsWith('%'))) {
      argv = this.killArguments(argv);
      if (argv === null) return { pid: null, status: 1 };
    }
    let streams;
    try {
      streams = this.redirectStreams(stage.redirects, wired);
    } catch (e) {
      if (!(e instanceof RedirectError)) throw e;
      this.error(e.message);
      return { pid: null, status: 1 };
    }
    // §2.7: redirections are opened left to right; a file a later one
    // replaced is still created (or emptied) first: `echo a >f >g` leaves f empty.
    const used = new Set(streams.filter((x) => x && x.file).map((x) => x.file));
    for (const { op, target } of stage.redirects) {
      const file = resolvePath(this.cwd, target);
      if ((op === '>' || op === '>>') && !used.has(file)) {
        try {
          await this.sys.fs.writeFile(file, '', { append: op === '>>' });
        } catch (e) {
          this.error(`sh: ${target}: ${describe(e)}`);
          return { pid: null, status: 1 };
        }
      }
    }
    const env = this.childEnv(stage.assigns);
    const options = { stdin: streams[0], stdout: streams[1], stderr: streams[2], cwd: this.cwd, env };
    if (Object.keys(this.limits).length) options.limits = { ...this.limits };
    try {
      return { pid: await this.sys.proc.spawn(argv, options), status: 0 };
    } catch (e) {
      const { message, status } = spawnFailure(e, name, streams);
      this.error(message);
      return { pid: null, status };
    }
  }

  // The exported variables, plus this command's own NAME=value prefixes.
  childEnv(assigns) {
    const env = {};
    for (const name of this.exported) if (this.vars.has(name)) env[name] = this.vars.get(name);
    for (const [name, value] of assigns) env[name] = value;
    return env;
  }

  // Applies redirections, left to right (§2.7), over the pipeline's wiring.
  // streams[fd] is a spawn stream: 'inherit', 'null', {pipe}, {file, append}.
  redirectStreams(redirects, wired) {
    const streams = wired.slice();
    for (const { op, fd, target } of redirects) {
      if (fd > 2) throw new RedirectError(`sh: ${fd}: bad file descriptor (only 0, 1 and 2 exist)`);
      if (op === '<') streams[fd] = { file: resolvePath(this.cwd, target) };
      else if (op === '>' || op === '>>') streams[fd] = { file: resolvePath(this.cwd, target), append: op === '>>' };
      else if (target === '-') streams[fd] = 'null'; // 2>&- closes; we give it nothing
      else if (/^[0-2]$/.test(target)) streams[fd] = dup(streams[Number(target)], Number(target)); // 2>&1: dup2(1, 2)
      else throw new RedirectError(`sh: ${target}: bad file descriptor`);
    }
    return streams;
  }

  // --- background jobs ---

  // `COMMAND &` (§2.9.3.1): start it and go on at once; its status is 0.
  // Its stdin is null, as POSIX says for a shell without job control
  // (/dev/null); its output goes where the shell's goes. A pipeline of
  // programs is spawned as usual; anything else (a && b &, a builtin) runs
  // in a subshell, `sh -c TEXT`, the way sh forks one, so it is still one
  // job with a pid. The subshell sees the exported variables only.
  async runBackground(node) {
    const text = commandText(node);
    const stages = node.type === 'pipeline' ? node.commands.map((command) => this.expandCommand(command)) : [];
    const direct = stages.length > 0 && !stages.some(isInShell);
    const subshell = { argv: ['sh', '-c', text, ...this.positional], assigns: [], redirects: [] };
    const { pids, statuses } = await this.spawnPipeline(direct ? stages : [subshell], 'null');
    this.status = 0;
    if (pids.every((pid) => pid === null)) return; // nothing started; the reason is printed
    const job = new Job({
      number: this.jobs.length ? this.jobs[this.jobs.length - 1].number + 1 : 1,
      text,
      stages: direct ? node.commands.map(simpleCommandText) : [text],
      pids,
      statuses: pids.map((pid, i) => (pid === null ? statuses[i] : null)),
      negate: direct && node.negate,
    });
    this.watchJob(job);
    this.jobs.push(job);
    this.lastBackgroundPid = pids.filter((pid) => pid !== null).pop();
    if (this.interactive) this.error(`[${job.number}] ${this.lastBackgroundPid}`);
  }

  // Every process of a job is waited for from the start, so none stays a
  // zombie and its status is there when `jobs`, `fg` or `wait` asks.
  watchJob(job) {
    const waits = job.pids.map((pid, i) => {
      if (pid === null) return null;
      const record = (status) => {
        job.statuses[i] = status;
      };
      return this.sys.proc.wait(pid).then(record, () => record(STATUS_NOT_FOUND));
    });
    job.done = Promise.all(waits).then(() => job.status);
  }

  // bash's marks: + for the current job (the newest), - for the previous one.
  mark(job) {
    const n = this.jobs.length;
    return job === this.jobs[n - 1] ? '+' : job === this.jobs[n - 2] ? '-' : ' ';
  }

  forget(jobs) {
    this.jobs = this.jobs.filter((job) => !jobs.includes(job));
  }

  // What an interactive shell prints before its next prompt: one line per
  // job that ended ("[1]+  Done                    sleep 1"), which it then
  // forgets, as bash does. A non-interactive shell reports nothing.
  async reportFinishedJobs() {
    if (!this.interactive) return;
    const finished = this.jobs.filter((job) => !job.running);
    if (finished.length === 0) return;
    for (const job of finished) this.error(jobLines(job, this.mark(job), false)[0]);
    this.forget(finished);
    // The app runtime sends the writes of one turn per stream, stdout first:
    // let these go before the caller writes its prompt.
    await null;
  }

  // A job spec, as in bash: %N (job N), %%, %+ or none (the current job),
  // %- (the previous one), %STRING (the job whose command starts with
  // STRING), %?STRING (the one whose command contains it).
  // Returns {job} or {error: 'SPEC: no such job'}.
  findJob(spec) {
    const n = this.jobs.length;
    if (spec === undefined || spec === '%' || spec === '%%' || spec === '%+') {
      return n ? { job: this.jobs[n - 1] } : { error: `${spec === undefined ? 'current' : spec}: no such job` };
    }
    if (spec === '%-') return n > 1 ? { job: this.jobs[n - 2] } : { error: `${spec}: no such job` };
    if (/^%[0-9]+$/.test(spec)) {
      const job = this.jobs.find((j) => j.number === Number(spec.slice(1)));
      return job ? { job } : { error: `${spec}: no such job` };
    }
    const contains = spec.startsWith('%?');
    const text = spec.slice(contains ? 2 : 1);
    const matches = this.jobs.filter((j) => (contains ? j.text.includes(text) : j.text.startsWith(text)));
    if (matches.length > 1) return { error: `${text}: ambiguous job spec` };
    return matches.length ? { job: matches[0] } : { error: `${spec}: no such job` };
  }

  // kill %1: the kill app knows pids, not jobs, so the shell puts the job's
  // processes in place of a job spec. An unknown job is reported here; if no
  // pid is left to kill, the app is not run at all (null).
  killArguments(argv) {
    const out = [argv[0]];
    let unknown = false;
    for (const arg of argv.slice(1)) {
      if (!arg.startsWith('%')) {
        out.push(arg);
        continue;
      }
      const { job, error } = this.findJob(arg);
      if (error) {
        this.error(`sh: kill: ${error}`);
        unknown = true;
        continue;
      }
      // A job that has ended still names its pids: kill says "No such process".
      const live = job.livePids();
      out.push(...(live.length ? live : job.pids.filter((pid) => pid !== null)).map(String));
    }
    return unknown && !out.slice(1).some((arg) => /^[0-9]+$/.test(arg)) ? null : out;
  }

  // Waits for `promise` unless Ctrl-C comes first (then INTERRUPTED). In
  // `wait` the shell itself is the foreground job, so the Ctrl-C is the
  // shell's to notice; the jobs it waited for go on running.
  async interruptible(promise) {
    if (!this.watchInterrupt) return promise;
    const watch = this.watchInterrupt();
    try {
      return await Promise.race([promise, watch.interrupted.then(() => INTERRUPTED)]);
    } finally {
      watch.stop();
    }
  }

  // What `wait OPERAND` waits for: {promise} of a status, or {error, status}.
  // A pid is one process (its own status); a job spec is the whole job.
  waitTarget(operand) {
    if (operand.startsWith('%')) {
      const { job, error } = this.findJob(operand);
      return job ? { promise: job.done } : { error, status: STATUS_NOT_FOUND };
    }
    if (!/^[0-9]+$/.test(operand)) return { error: `\`${operand}': not a pid or valid job spec`, status: 1 };
    for (const job of this.jobs) {
      const i = job.pids.indexOf(Number(operand));
      if (i !== -1) return { promise: job.done.then(() => job.statuses[i]) };
    }
    return { error: `pid ${operand} is not a child of this shell`, status: STATUS_NOT_FOUND };
  }

  // --- helpers ---

  error(message) {
    this.sys.stderr.write(message + '\n');
  }

  setVariable(name, value, exported) {
    this.vars.set(name, value);
    if (exported) this.exported.add(name);
  }
}

// Decides what a failed spawn means. The kernel raises ENOENT both for a
// missing command and for a missing redirection file; the error message
// ("/tmp/x/y: No such file or directory") or e.path tells them apart.
function spawnFailure(error, name, streams) {
  const files = streams.filter((s) => s && s.file).map((s) => s.file);
  const message = String((error && error.message) || '');
  const path = (error && error.path) || files.find((f) => message.startsWith(f + ':'));
  if (path) return { message: `sh: ${path}: ${describe(error)}`, status: 1 };
  if (error && error.code === 'ENOENT') return { message: `sh: ${name}: command not found`, status: STATUS_NOT_FOUND };
  return { message: `sh: ${name}: ${describe(error)}`, status: STATUS_CANNOT_RUN };
}

module.exports = { Shell, resolvePath, BUILTINS, commandText };
