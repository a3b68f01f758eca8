// fs/lib/shell/builtins.js (/lib/shell/builtins in the image): the commands
// the shell runs itself.
//
// Most change the shell's own state (its directory, variables, functions,
// options, jobs, limits), so they cannot be processes; test, printf, echo
// and : are here because a loop runs them often (true and false are
// programs). Each answers NAME --help from /lib/shell/builtin-help, as a
// program answers it from what it declares.
// /lib/shell/exec calls each with this = the Shell; inside a pipeline they
// run in a child shell, whose stdout is the pipe. Reference: POSIX.1-2017 §2.14 special
// builtins (break, :, continue, ., exec, exit, export, return, set, shift,
// trap, unset, readonly); XCU cd, pwd, read, printf, test, getopts,
// command, type, jobs, fg, bg, wait; dash's local; bash's ulimit and source.
'use strict';

const { STATUS_SYNTAX, STATUS_INTERRUPTED, INTERRUPTED, describe, resolvePath, isName, shellQuote, Jump, ShellError } = require('/lib/shell/common');
const { jobLines } = require('/lib/shell/jobs');
const { test: testExpression } = require('/lib/shell/test');
const { printf: formatPrintf } = require('/lib/shell/printf');
const { isPromise } = require('/lib/shell/maybe-async');
const { echoText } = require('/lib/echo');

// ---------------------------------------------------------------------------
// Builtins: called with this = the Shell, argv, and io = {out, err} that
// collect their output (it goes where the redirections say afterwards).
// Each returns its status, or a promise of it: those that never wait for
// the kernel are plain functions, so a loop runs them without a promise
// (/lib/shell/maybe-async).

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

  pwd(argv, io) {
    io.out(this.cwd + '\n');
    return 0;
  },

  // echo [-neE] [STRING...]: what /bin/echo.js prints (/lib/echo), without
  // starting it: `for f in /bin/*; do echo $f; done` starts no program.
  echo(argv, io) {
    io.out(echoText(argv.slice(1)));
    return 0;
  },

  // exit [N]: N defaults to $?; the status is N modulo 256.
  exit(argv, io) {
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
  export(argv, io) {
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

  // unset [-f | -v] NAME...: -f removes functions.
  unset(argv, io) {
    let functions = false;
    for (const name of argv.slice(1)) {
      if (name === '-f' || name === '-v') {
        functions = name === '-f';
        continue;
      }
      if (functions) this.functions.delete(name);
      else if (!isName(name)) {
        throw new ShellError(`sh: unset: ${name}: bad variable name`);
      } else if (this.readonlyNames.has(name)) {
        throw new ShellError(`sh: unset: ${name}: is read only`);
      } else {
        this.vars.delete(name);
        this.exported.delete(name);
      }
    }
    return 0;
  },

  ':': () => 0,

  // break [N], continue [N]: leave (or go round again) the N innermost loops.
  break(argv, io) {
    return jump.call(this, 'break', argv, io);
  },
  continue(argv, io) {
    return jump.call(this, 'continue', argv, io);
  },

  // return [N]: leave the function (or the script run by `.`) with N, else $?.
  return(argv, io) {
    const n = argv.length > 1 ? numberArgument(argv[1]) : this.status;
    if (n === null) {
      io.err(`sh: return: ${argv[1]}: numeric argument required\n`);
      throw new Jump('return', { status: STATUS_SYNTAX });
    }
    throw new Jump('return', { status: ((n % 256) + 256) % 256 });
  },

  // shift [N]: $N+1 becomes $1.
  shift(argv, io) {
    const n = argv.length > 1 ? numberArgument(argv[1]) : 1;
    const count = this.positional.length - 1;
    if (n === null || n < 0 || n > count) {
      io.err(`sh: shift: ${argv[1] === undefined ? n : argv[1]}: can't shift that many\n`);
      return STATUS_SYNTAX;
    }
    this.positional = [this.positional[0], ...this.positional.slice(1 + n)];
    return 0;
  },

  // set [-eufx] [+eufx] [-o NAME] [--] [ARG...]: options, and the positional parameters.
  set(argv, io) {
    const args = argv.slice(1);
    if (args.length === 0) {
      for (const name of [...this.vars.keys()].sort()) io.out(`${name}=${shellQuote(this.vars.get(name))}\n`);
      return 0;
    }
    while (args.length && /^[-+]/.test(args[0])) {
      const arg = args.shift();
      if (arg === '--' || arg === '-') break;
      const on = arg[0] === '-';
      for (const letter of arg.slice(1)) {
        let option = SET_OPTIONS[letter];
        if (letter === 'o') {
          const name = args.shift();
          if (name === undefined) {
            for (const [key, value] of Object.entries(this.options)) io.out(`${key.padEnd(16)}${value ? 'on' : 'off'}\n`);
            return 0;
          }
          option = Object.values(SET_OPTIONS).includes(name) ? name : undefined;
          if (!option) {
            io.err(`sh: set: ${name}: invalid option name\n`);
            return STATUS_SYNTAX;
          }
        }
        if (!option) {
          io.err(`sh: set: ${arg[0]}${letter}: invalid option\n`);
          return STATUS_SYNTAX;
        }
        this.options[option] = on;
      }
      if (args.length === 0) return 0;
    }
    this.positional = [this.positional[0], ...args];
    return 0;
  },

  // local NAME[=VALUE]...: the variable is the function's own until it returns (as in dash).
  local(argv, io) {
    const frame = this.locals[this.locals.length - 1];
    if (!frame) {
      io.err('sh: local: not in a function\n');
      return STATUS_SYNTAX;
    }
    for (const arg of argv.slice(1)) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (!isName(name)) {
        io.err(`sh: local: \`${arg}': not a valid identifier\n`);
        return 1;
      }
      if (!frame.has(name)) frame.set(name, this.vars.get(name));
      if (eq !== -1) this.vars.set(name, arg.slice(eq + 1));
    }
    return 0;
  },

  // trap [ACTION SIGNAL...]: ACTION runs on the signal: EXIT when the shell
  // ends, INT when Ctrl-C ends a command. '' ignores it, '-' puts it back.
  trap(argv, io) {
    const args = argv.slice(1);
    if (args.length === 0) {
      for (const [signal, action] of this.traps) io.out(`trap -- ${shellQuote(action)} ${signal}\n`);
      return 0;
    }
    const reset = /^-?[0-9]+$/.test(args[0]) && args.length === 1 ? true : args[0] === '-';
    const action = reset ? null : args[0];
    let status = 0;
    for (const name of reset && /^[0-9]+$/.test(args[0]) ? args : args.slice(1)) {
      const signal = signalName(name);
      if (!signal) {
        io.err(`sh: trap: ${name}: bad trap\n`);
        status = 1;
      } else if (action === null) this.traps.delete(signal);
      else this.traps.set(signal, action);
    }
    return status;
  },

  // . FILE [ARG...] (and `source`): runs the file's commands in this shell.
  async '.'(argv, io) {
    if (argv.length < 2) {
      io.err(`sh: ${argv[0]}: filename argument required\n`);
      return STATUS_SYNTAX;
    }
    const path = resolvePath(this.cwd, argv[1]);
    let text;
    try {
      text = String(await this.sys.fs.readFile(path));
    } catch (e) {
      io.err(`sh: ${argv[0]}: ${argv[1]}: ${describe(e)}\n`);
      return 1;
    }
    await io.flush();
    const positional = this.positional;
    if (argv.length > 2) this.positional = [positional[0], ...argv.slice(2)];
    try {
      return await this.runLine(text, { nested: true });
    } catch (e) {
      if (e instanceof Jump && e.kind === 'return') return e.status;
      throw e;
    } finally {
      if (argv.length > 2) this.positional = positional;
    }
  },

  // read [-r] NAME...: one line of input, split at $IFS into the names (the
  // last takes the rest). Without -r a backslash escapes the next character
  // and a backslash-newline continues the line. Status 1 at end of input.
  async read(argv, io) {
    const args = argv.slice(1);
    let raw = false;
    while (args.length && /^-/.test(args[0])) {
      const option = args.shift();
      if (option === '--') break;
      if (option === '-r') raw = true;
      else {
        io.err(`sh: read: ${option}: invalid option\n`);
        return STATUS_SYNTAX;
      }
    }
    const names = args.length ? args : ['REPLY'];
    for (const name of names) {
      if (!isName(name)) {
        io.err(`sh: read: ${name}: invalid variable name\n`);
        return STATUS_SYNTAX;
      }
    }
    await io.flush();
    let line = '';
    let ended = false;
    for (;;) {
      const got = await readLine(this);
      if (got === null) {
        ended = true;
        break;
      }
      const text = got.endsWith('\n') ? got.slice(0, -1) : got;
      if (!got.endsWith('\n')) ended = true;
      if (!raw && /(^|[^\\])(\\\\)*\\$/.test(text) && !ended) {
        line += text.slice(0, -1); // backslash-newline: the line goes on
        continue;
      }
      line += text;
      break;
    }
    if (this.interrupted) return STATUS_INTERRUPTED;
    const ifs = this.valueOf('IFS') === undefined ? ' \t\n' : this.valueOf('IFS');
    const values = splitRead(line, ifs, names.length, raw);
    names.forEach((name, i) => this.setVariable(name, values[i] || ''));
    return ended && line === '' ? 1 : ended ? 1 : 0;
  },

  // printf FORMAT [ARG...]: %s %b %c %d %i %u %o %x %X %%, flags, width and
  // precision; the format is used again while arguments are left.
  printf(argv, io) {
    if (argv.length < 2) {
      io.err('sh: printf: usage: printf format [arguments]\n');
      return STATUS_SYNTAX;
    }
    const { text, errors } = formatPrintf(argv[1], argv.slice(2));
    io.out(text);
    for (const e of errors) io.err(`sh: printf: ${e}\n`);
    return errors.length ? 1 : 0;
  },

  test(argv, io) {
    return runTest(this, argv.slice(1), io, 'test');
  },

  '['(argv, io) {
    if (argv[argv.length - 1] !== ']') {
      io.err('sh: [: missing ]\n');
      return STATUS_SYNTAX;
    }
    return runTest(this, argv.slice(1, -1), io, '[');
  },

  // command [-v | -V] NAME: what NAME is (command NAME ARGS runs it, skipping
  // functions: the Shell does that).
  async command(argv, io) {
    const option = argv[1];
    if (option !== '-v' && option !== '-V') return 0;
    let status = 0;
    for (const name of argv.slice(2)) {
      const what = await describeCommand(this, name);
      if (!what.found) {
        if (option === '-V') io.err(`sh: command: ${name}: not found\n`);
        status = 1;
      } else io.out(option === '-v' ? `${what.path || name}\n` : `${what.text}\n`);
    }
    return status;
  },

  // type NAME...: says what each NAME is: keyword, builtin, function or file.
  async type(argv, io) {
    let status = 0;
    for (const name of argv.slice(1)) {
      const what = await describeCommand(this, name);
      if (what.found) io.out(`${what.text}\n`);
      else {
        io.out(`${name}: not found\n`);
        status = 127;
      }
    }
    return status;
  },

  // readonly [NAME[=VALUE]...]: the variable cannot be set or unset again.
  readonly(argv, io) {
    if (argv.length === 1 || argv[1] === '-p') {
      for (const name of [...this.readonlyNames].sort()) io.out(`readonly ${name}${this.vars.has(name) ? '=' + shellQuote(this.vars.get(name)) : ''}\n`);
      return 0;
    }
    for (const arg of argv.slice(1)) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (!isName(name)) {
        io.err(`sh: readonly: \`${arg}': not a valid identifier\n`);
        return 1;
      }
      if (eq !== -1) this.setVariable(name, arg.slice(eq + 1));
      this.readonlyNames.add(name);
    }
    return 0;
  },

  // getopts OPTSTRING NAME [ARG...]: the next option of the positional
  // parameters (or ARGs) in NAME, its argument in OPTARG; $OPTIND is the
  // next argument to look at. Status 1 when the options end.
  getopts(argv, io) {
    if (argv.length < 3) {
      io.err('sh: getopts: usage: getopts optstring name [arg ...]\n');
      return STATUS_SYNTAX;
    }
    const [, optstring, name] = argv;
    const args = argv.length > 3 ? argv.slice(3) : this.positionalArgs();
    const silent = optstring.startsWith(':');
    let optind = Number(this.vars.get('OPTIND') || 1) || 1;
    const state = this.getoptsState && this.getoptsState.optind === optind ? this.getoptsState : { optind, pos: 1 };
    const finish = (value, status) => {
      this.setVariable(name, value);
      this.setVariable('OPTIND', String(state.optind));
      this.getoptsState = state;
      return status;
    };
    const arg = args[state.optind - 1];
    if (arg === undefined || (state.pos === 1 && (!arg.startsWith('-') || arg === '-'))) return finish('?', 1);
    if (state.pos === 1 && arg === '--') {
      state.optind++;
      return finish('?', 1);
    }
    const c = arg[state.pos++];
    if (state.pos >= arg.length) {
      state.optind++;
      state.pos = 1;
    }
    const at = c === ':' ? -1 : optstring.indexOf(c);
    if (at === -1) {
      if (silent) this.setVariable('OPTARG', c);
      else {
        io.err(`sh: Illegal option -${c}\n`);
        this.setVariable('OPTARG', '');
      }
      return finish('?', 0);
    }
    if (optstring[at + 1] === ':') {
      if (state.pos > 1) {
        this.setVariable('OPTARG', arg.slice(state.pos));
        state.optind++;
        state.pos = 1;
      } else if (state.optind > args.length) {
        if (silent) {
          this.setVariable('OPTARG', c);
          return finish(':', 0);
        }
        io.err(`sh: No arg for -${c} option\n`);
        this.setVariable('OPTARG', '');
        return finish('?', 0);
      } else {
        this.setVariable('OPTARG', args[state.optind - 1]);
        state.optind++;
      }
    } else this.setVariable('OPTARG', '');
    return finish(c, 0);
  },

  // history [-c] [N]: the command lines this interactive shell read, numbered
  // as bash prints them ("    1  echo hi"); N: only the last N; -c: forget
  // them all. A script or `sh -c` keeps none (/lib/shell/history).
  history(argv, io) {
    const args = argv.slice(1);
    if (args[0] === '--') args.shift();
    else if (args[0] === '-c') {
      if (this.history) this.history.clear();
      return 0;
    } else if (args.length && /^-./.test(args[0])) {
      io.err(`sh: history: ${args[0]}: invalid option\nhistory: usage: ${builtinHelp().history.usage}\n`);
      return STATUS_SYNTAX;
    }
    if (args.length > 1) {
      io.err('sh: history: too many arguments\n');
      return 1;
    }
    if (args.length === 1 && !/^[0-9]+$/.test(args[0])) {
      io.err(`sh: history: ${args[0]}: numeric argument required\n`);
      return 1;
    }
    const count = args.length ? Number(args[0]) : Infinity;
    for (const { number, line } of this.history ? this.history.last(count) : []) io.out(`${String(number).padStart(5)}  ${line}\n`);
    return 0;
  },

  // exec is done by the Shell itself (it needs the command's redirections); here for `type`.
  exec() {
    return 0;
  },

  // jobs [-l | -p] [JOB...]: the background jobs ("[1]+  Running   sleep 10 &");
  // -l adds the pids, -p prints only the first pid of each. A job that has
  // ended is listed once, then forgotten.
  jobs(argv, io) {
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
  bg(argv, io) {
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

BUILTINS.source = BUILTINS['.'];

// NAME --help prints the builtin's help, as a program's --help does (bash's
// builtins answer it too). Not for test, [ and :, whose every word is an
// operand (`test --help` is true, as a non-empty string is): their entries
// in /lib/shell/builtin-help say helpOption: false.
const HELP_IS_AN_OPERAND = new Set(['test', '[', ':']);
for (const name of Object.keys(BUILTINS)) {
  if (HELP_IS_AN_OPERAND.has(name)) continue;
  const run = BUILTINS[name];
  BUILTINS[name] = function (argv, io) {
    return argv[1] === '--help' ? printHelp(name, io) : run.call(this, argv, io);
  };
}

function printHelp(name, io) {
  const { declaredBy, helpText } = require('/lib/app-help');
  io.out(helpText(name, declaredBy(builtinHelp()[name])));
  return 0;
}

// The builtins' declarations, loaded when help is asked for, not by every shell.
const builtinHelp = () => require('/lib/shell/builtin-help').BUILTIN_HELP;

// §2.14: their assignments stay, and they are found before functions.
const SPECIAL_BUILTINS = new Set([':', '.', 'break', 'continue', 'exec', 'exit', 'export', 'readonly', 'return', 'set', 'shift', 'trap', 'unset']);
const SET_OPTIONS = { e: 'errexit', u: 'nounset', x: 'xtrace', f: 'noglob' };
const SIGNALS = { 0: 'EXIT', 1: 'HUP', 2: 'INT', 3: 'QUIT', 15: 'TERM' };

// Builtins that print what their program in /bin prints (/lib/echo is
// shared): where the shell needs a process for a command (a pipeline
// stage, a $(...), a background job) it may start the program, a far
// smaller isolate than the child shell a builtin needs (`echo hi | wc`:
// about 4 ms, not 14). /lib/shell/exec's runsInShell decides it.
const SAME_AS_PROGRAM = new Set(['echo']);

function isBuiltin(name) {
  return Object.prototype.hasOwnProperty.call(BUILTINS, name);
}

function numberArgument(arg) {
  return /^[0-9]+$/.test(arg) ? Number(arg) : null;
}

function signalName(name) {
  if (/^[0-9]+$/.test(name)) return SIGNALS[Number(name)] || null;
  const upper = name.toUpperCase().replace(/^SIG/, '');
  return Object.values(SIGNALS).includes(upper) ? upper : null;
}

function jump(kind, argv, io) {
  const n = argv.length > 1 ? numberArgument(argv[1]) : 1;
  if (n === null || n < 1) {
    io.err(`sh: ${kind}: ${argv[1]}: bad number\n`);
    return 1;
  }
  if (this.loopDepth === 0) {
    io.err(`sh: ${kind}: only meaningful in a loop\n`);
    return 0;
  }
  throw new Jump(kind, { levels: Math.min(n, this.loopDepth) });
}

// One line (with its '\n', or what is left at the end), or null at the end,
// from the shell's stdin as it is now: a file (a redirection: the stream
// keeps its place), nothing, or the shell's own input. What was read past
// the line is kept for the next `read`; a program run later does not see it.
async function readLine(sh) {
  const stream = sh.fds[0];
  if (stream === 'null') return null;
  if (stream && stream.file) {
    if (stream.text === undefined) stream.text = String(await sh.sys.fs.readFile(stream.file));
    if (stream.offset >= stream.text.length) return null;
    const nl = stream.text.indexOf('\n', stream.offset);
    const end = nl === -1 ? stream.text.length : nl + 1;
    const line = stream.text.slice(stream.offset, end);
    stream.offset = end;
    return line;
  }
  const input = sh.input;
  for (;;) {
    const nl = input.pending.indexOf('\n');
    if (nl !== -1) {
      const line = input.pending.slice(0, nl + 1);
      input.pending = input.pending.slice(nl + 1);
      return line;
    }
    if (input.ended) {
      const rest = input.pending;
      input.pending = '';
      return rest === '' ? null : rest;
    }
    const chunk = await sh.readInput();
    if (chunk === '') {
      sh.interruptedByKey(); // Ctrl-C at the terminal while `read` waited
      return null;
    }
    if (chunk === null) input.ended = true;
    else input.pending += chunk;
  }
}

// The values for `read`'s names (§2.6.5 splitting; the last name takes the rest of the line).
function splitRead(line, ifs, count, raw) {
  // Without -r, a backslash keeps the next character literal: mark those characters.
  const chars = [];
  for (let i = 0; i < line.length; i++) {
    if (!raw && line[i] === '\\' && i + 1 < line.length) {
      chars.push({ c: line[++i], literal: true });
    } else if (!raw && line[i] === '\\') {
      continue;
    } else chars.push({ c: line[i], literal: false });
  }
  const isWhite = (x) => !x.literal && ifs.includes(x.c) && ' \t\n'.includes(x.c);
  const isDelim = (x) => !x.literal && ifs.includes(x.c);
  let i = 0;
  while (i < chars.length && isWhite(chars[i])) i++;
  const values = [];
  while (values.length < count - 1 && i < chars.length) {
    let value = '';
    while (i < chars.length && !isDelim(chars[i])) value += chars[i++].c;
    values.push(value);
    while (i < chars.length && isWhite(chars[i])) i++;
    if (i < chars.length && isDelim(chars[i]) && !isWhite(chars[i])) {
      i++;
      while (i < chars.length && isWhite(chars[i])) i++;
    }
  }
  let rest = chars.slice(i);
  while (rest.length && isWhite(rest[rest.length - 1])) rest = rest.slice(0, -1);
  values.push(rest.map((x) => x.c).join(''));
  return values;
}

// test and [: maybe-async (/lib/shell/maybe-async), waiting only when a
// file must be looked at (-f, -d, ...).
function runTest(sh, args, io, name) {
  const result = testExpression(args, (path) => fileType(sh, path));
  if (isPromise(result)) return result.then((r) => testEnded(r, io, name));
  return testEnded(result, io, name);
}

function testEnded({ status, error }, io, name) {
  if (error) io.err(`sh: ${name}: ${error}\n`);
  return status;
}

async function fileType(sh, path) {
  try {
    return await sh.sys.fs.stat(resolvePath(sh.cwd, path));
  } catch (e) {
    return null;
  }
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'case', 'esac', 'while', 'until', 'for', '{', '}', '!', 'in']);

// What `type` and `command -v` say of a name.
async function describeCommand(sh, name) {
  if (KEYWORDS.has(name)) return { found: true, text: `${name} is a shell keyword` };
  if (sh.functions.has(name)) return { found: true, text: `${name} is a shell function` };
  if (SPECIAL_BUILTINS.has(name)) return { found: true, text: `${name} is a special shell builtin` };
  if (isBuiltin(name)) return { found: true, text: `${name} is a shell builtin` };
  const path = name.includes('/') ? resolvePath(sh.cwd, name) : `/bin/${name}.js`;
  try {
    const st = await sh.sys.fs.stat(path);
    if (st.type === 'file') return { found: true, path, text: `${name} is ${path}` };
  } catch (e) {
    /* not there */
  }
  return { found: false };
}

module.exports = { BUILTINS, SPECIAL_BUILTINS, SAME_AS_PROGRAM, isBuiltin };
