// fs/lib/shell/builtins.js (/lib/shell/builtins in the image): the commands
// the shell runs itself: cd, pwd, exit, export, unset, jobs, fg, bg, ulimit, wait.
//
// They change the shell's own state (its directory, variables, jobs,
// limits), so they cannot be processes. /lib/shell/exec calls each with
// this = the Shell. Reference: POSIX.1-2017 §2.14 special builtins (exit,
// export, unset); XCU cd, pwd, jobs, fg, bg, wait; bash's ulimit.
'use strict';

const { STATUS_SYNTAX, STATUS_INTERRUPTED, INTERRUPTED, describe, resolvePath, isName, shellQuote } = require('/lib/shell/common');
const { jobLines } = require('/lib/shell/jobs');

// ---------------------------------------------------------------------------
// Builtins: called with this = the Shell, argv, and io = {out, err} that
// collect their output (it goes where the redirections say afterwards).
// Each returns its status.

const BUILTINS = {
  // cd [DIR]: DIR defaults to /; "cd -" goes back to $OLDPWD.
  async cd(argv, io) {
    if (argv.length > 2) {
      io.err('sh: cd: too many arguments\n');
      return 1;
    }
    let target = argv[1] === undefined || argv[1] === '' ? '/' : argv[1];
    if (target === '-') {
      target = this.vars.get('OLDPWD') || this.cwd;
      io.out(target + '\n');
    }
    const path = resolvePath(this.cwd, target);
    let stat;
    try {
      stat = await this.sys.fs.stat(path);
    } catch (e) {
      io.err(`sh: cd: ${target}: ${describe(e)}\n`);
      return 1;
    }
    if (stat.type !== 'dir') {
      io.err(`sh: cd: ${target}: Not a directory\n`);
      return 1;
    }
    this.vars.set('OLDPWD', this.cwd);
    this.cwd = path;
    this.vars.set('PWD', path);
    return 0;
  },

  async pwd(argv, io) {
    io.out(this.cwd + '\n');
    return 0;
  },

  // exit [N]: N defaults to $?; the status is N modulo 256.
  async exit(argv, io) {
    if (argv.length > 2) {
      io.err('sh: exit: too many arguments\n');
      return 1;
    }
    if (argv.length === 1) {
      this.exitCode = this.status;
    } else if (/^[+-]?[0-9]+$/.test(argv[1])) {
      this.exitCode = ((Number(argv[1]) % 256) + 256) % 256;
    } else {
      io.err(`sh: exit: ${argv[1]}: numeric argument required\n`);
      this.exitCode = STATUS_SYNTAX;
    }
    return this.exitCode;
  },

  // export [NAME[=VALUE]...]: without arguments, lists the exported variables.
  async export(argv, io) {
    if (argv.length === 1) {
      for (const name of [...this.exported].sort()) {
        if (this.vars.has(name)) io.out(`export ${name}=${shellQuote(this.vars.get(name))}\n`);
      }
      return 0;
    }
    let status = 0;
    for (const arg of argv.slice(1)) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (!isName(name)) {
        io.err(`sh: export: \`${arg}': not a valid identifier\n`);
        status = 1;
      } else if (eq === -1) {
        this.exported.add(name);
      } else {
        this.setVariable(name, arg.slice(eq + 1), true);
      }
    }
    return status;
  },

  async unset(argv) {
    for (const name of argv.slice(1)) {
      this.vars.delete(name);
      this.exported.delete(name);
    }
    return 0;
  },

  // jobs [-l | -p] [JOB...]: the background jobs ("[1]+  Running   sleep 10 &");
  // -l adds the pids, -p prints only the first pid of each. A job that has
  // ended is listed once, then forgotten.
  async jobs(argv, io) {
    const args = argv.slice(1);
    const flags = new Set();
    while (args.length && /^-./.test(args[0])) {
      const option = args.shift();
      if (option === '--') break;
      for (const c of option.slice(1)) {
        if (c !== 'l' && c !== 'p') {
          io.err(`sh: jobs: -${c}: invalid option\nsh: jobs: usage: jobs [-l | -p] [job ...]\n`);
          return 2;
        }
        flags.add(c);
      }
    }
    let status = 0;
    const chosen = new Set(args.length ? [] : this.jobs);
    for (const spec of args) {
      const { job, error } = this.findJob(spec.startsWith('%') ? spec : `%${spec}`);
      if (job) chosen.add(job);
      else {
        io.err(`sh: jobs: ${error}\n`);
        status = 1;
      }
    }
    for (const job of chosen) {
      if (flags.has('p')) io.out(`${job.pids.find((pid) => pid !== null)}\n`);
      else for (const line of jobLines(job, this.mark(job), flags.has('l'))) io.out(line + '\n');
    }
    this.forget([...chosen].filter((job) => !job.running));
    return status;
  },

  // fg [JOB]: the job becomes the foreground job: fg prints its command,
  // waits for it and returns its status, and Ctrl-C now interrupts it.
  async fg(argv, io) {
    if (argv.length > 2) {
      io.err('sh: fg: too many arguments\n');
      return 2;
    }
    const spec = argv[1] === undefined || argv[1].startsWith('%') ? argv[1] : `%${argv[1]}`;
    const { job, error } = this.findJob(spec);
    if (error) {
      io.err(`sh: fg: ${error}\n`);
      return 1;
    }
    if (!job.running) {
      io.err('sh: fg: job has terminated\n');
      return 1;
    }
    // The command is shown once the job is the foreground: after it, a Ctrl-C is the job's.
    const status = await this.inForeground(job.livePids(), async () => {
      io.out(job.text + '\n');
      await io.flush();
      return job.done;
    });
    this.forget([job]); // a foreground job is not reported when it ends
    return status;
  },

  // bg [JOB]: bash resumes a stopped job in the background. This kernel has
  // no stop signals (no Ctrl-Z), so no job is ever stopped: every job is
  // already running in the background, and bg can only say so.
  async bg(argv, io) {
    const spec = argv[1] === undefined || argv[1].startsWith('%') ? argv[1] : `%${argv[1]}`;
    const { job, error } = this.findJob(spec);
    if (error) {
      io.err(`sh: bg: ${error}\n`);
      return 1;
    }
    io.err(`sh: bg: job ${job.number} already in background (jobs cannot be stopped here: there are no stop signals)\n`);
    return 0;
  },

  // wait [PID | JOB ...] (POSIX): waits for these background processes or
  // jobs, or for all of them. The status is the last operand's (127 for one
  // that is not a child of this shell), and 0 without operands. Ctrl-C ends
  // the wait with 130 and leaves the jobs running.
  // ulimit [-a] [-t|-d|-m|-q|-u [VALUE]]: the limits the shell's commands run
  // under (bash's letters; see docs/apps.md, "Limits"). A value can only
  // tighten what the shell itself has: the kernel takes the smaller.
  async ulimit(argv, io) {
    let which = null;
    let value = null;
    for (const arg of argv.slice(1)) {
      if (arg === '-a') which = 'all';
      else if (/^-[tdmqu]$/.test(arg)) which = ULIMITS.find((u) => u.flag === arg);
      else if (which && which !== 'all' && value === null) value = arg;
      else {
        io.err(`sh: ulimit: ${arg}: invalid option or value\nusage: ulimit [-a] [-t|-d|-m|-q|-u [VALUE]]\n`);
        return 2;
      }
    }
    const mine = await this.sys.proc.limits();
    const effective = (u) => {
      const asked = this.limits[u.key];
      return asked === undefined ? mine[u.key] : Math.min(asked, mine[u.key] ?? Infinity);
    };
    if (which === null || which === 'all') {
      for (const u of ULIMITS) io.out(`${`${u.label} (${u.unit ? `${u.unit}, ` : ''}${u.flag})`.padEnd(34)} ${Math.floor(effective(u) / u.scale)}\n`);
      return 0;
    }
    if (value === null) {
      io.out(`${Math.floor(effective(which) / which.scale)}\n`);
      return 0;
    }
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) {
      io.err(`sh: ulimit: ${value}: invalid number\n`);
      return 1;
    }
    if (n * which.scale > (mine[which.key] ?? Infinity)) {
      io.err(`sh: ulimit: ${which.label}: cannot raise the limit above ${Math.floor(mine[which.key] / which.scale)}\n`);
      return 1;
    }
    this.limits[which.key] = which.key === 'cpu' ? n : Math.floor(n * which.scale);
    return 0;
  },

  async wait(argv, io) {
    const operands = argv.slice(1);
    if (operands.length === 0) {
      const all = Promise.all(this.jobs.map((job) => job.done)).then(() => 0);
      const result = await this.interruptible(all);
      return result === INTERRUPTED ? STATUS_INTERRUPTED : 0;
    }
    let status = 0;
    for (const operand of operands) {
      const target = this.waitTarget(operand);
      if (target.error) {
        io.err(`sh: wait: ${target.error}\n`);
        status = target.status;
        continue;
      }
      const result = await this.interruptible(target.promise);
      if (result === INTERRUPTED) return STATUS_INTERRUPTED;
      status = result;
    }
    return status;
  },
};

// ulimit's limits: bash's option letters, mapped onto the isolate's limits.
const ULIMITS = [
  { flag: '-t', key: 'cpu', label: 'cpu time', unit: 'seconds', scale: 1 },
  { flag: '-d', key: 'heap', label: 'heap', unit: 'kbytes', scale: 1024 },
  { flag: '-m', key: 'external', label: 'arraybuffer memory', unit: 'kbytes', scale: 1024 },
  { flag: '-q', key: 'queue', label: 'message queue', unit: 'messages', scale: 1 },
  { flag: '-u', key: 'isolates', label: 'isolates', unit: '', scale: 1 },
];

function isInShell(stage) {
  return stage.argv.length === 0 || Object.prototype.hasOwnProperty.call(BUILTINS, stage.argv[0]);
}

module.exports = { BUILTINS, isInShell };
