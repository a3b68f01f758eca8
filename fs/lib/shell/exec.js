// fs/lib/shell/exec.js (/lib/shell/exec in the image): runs parsed command lines.
//
// The Shell walks the tree from /lib/shell/parse: builtins (cd, pwd, exit,
// export, unset) run here; every other command is a process made with
// sys.proc.spawn, wired with kernel pipes and files, made the terminal's
// foreground job, and waited for. It touches the system only through the
// `sys` object it is given, so tests drive it with a fake one.
//
// Reference: POSIX.1-2017 Shell Command Language: §2.9.1 simple commands
// (expansion, assignments, "command not found" is 127), §2.9.2 pipelines
// (the status is the last command's), §2.9.3 lists (&& and || short-circuit),
// §2.7 redirection, §2.14 special builtins (exit, export, unset).
'use strict';

const { parse, expandWord, expandFields, ShellSyntaxError } = require('/lib/shell/parse');

const STATUS_NOT_FOUND = 127;
const STATUS_CANNOT_RUN = 126;
const STATUS_SYNTAX = 2;
const STATUS_INTERRUPTED = 130; // 128 + SIGINT: the kernel's status after Ctrl-C

// strerror(3) for the codes the kernel uses (docs/apps.md, "Errors").
const STRERROR = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ESRCH: 'No such process',
};

function describe(error) {
  if (error && STRERROR[error.code]) return STRERROR[error.code];
  const message = String((error && error.message) || error);
  const colon = message.lastIndexOf(': '); // the kernel says "/path: text"
  return colon === -1 ? message : message.slice(colon + 2);
}

// An absolute path, with '.', '..' and repeated slashes resolved.
function resolvePath(cwd, path) {
  const parts = [];
  for (const part of (path.startsWith('/') ? path : cwd + '/' + path).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return '/' + parts.join('/');
}

function isName(s) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

// Single quotes that the shell reads back as the same value (for `export`).
function shellQuote(s) {
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

// A redirection that cannot be set up: reported as "sh: MESSAGE", status 1.
class RedirectError extends Error {}

// What fd `from` is, for another fd: 'inherit' names the shell's own stream of
// that number, which for another fd is {inherit: from} (so `>&2` reaches stderr).
const dup = (stream, from) => (stream === 'inherit' ? { inherit: from } : stream);

class Shell {
  // argv0 and args are $0 and $1...$9 (sh -c 'LINE' NAME ARGS...).
  constructor({ sys, env, cwd, argv0 = 'sh', args = [] } = {}) {
    this.sys = sys;
    this.cwd = cwd || sys.cwd || '/';
    this.vars = new Map(Object.entries(env || sys.env || {}));
    this.exported = new Set(this.vars.keys()); // what children see in their env
    this.positional = [argv0, ...args];
    this.status = 0; // $?
    this.exitCode = null; // set by `exit`: the caller should stop
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
      if (item.background) {
        this.error('sh: background jobs are not supported yet');
        this.status = 1;
        continue;
      }
      await this.runAndOr(item.command);
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
    let status = 0;
    if (stage.argv.length > 0) {
      const io = { out: (s) => output[1].push(s), err: (s) => output[2].push(s) };
      status = await BUILTINS[stage.argv[0]].call(this, stage.argv, io);
    }
    try {
      await this.writeOutput(streams[1], output[1].join(''), this.sys.stdout);
      await this.writeOutput(streams[2], output[2].join(''), this.sys.stderr);
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
    const { sys } = this;
    const pipes = [];
    for (let i = 0; i < stages.length - 1; i++) pipes.push(await sys.proc.pipe());
    const pids = [];
    const statuses = [];
    let previousFailed = false;
    for (let i = 0; i < stages.length; i++) {
      // stage i reads pipe i-1 and writes pipe i (the pipe(2)/dup2 wiring of sh).
      const wired = [
        i > 0 ? (previousFailed ? 'null' : { pipe: pipes[i - 1] }) : 'inherit',
        i < stages.length - 1 ? { pipe: pipes[i] } : 'inherit',
        'inherit',
      ];
      const started = await this.spawnStage(stages[i], wired);
      previousFailed = started.pid === null;
      pids.push(started.pid);
      statuses.push(started.status);
    }
    const running = pids.filter((pid) => pid !== null);
    if (running.length > 0) {
      try {
        await sys.proc.foreground(running); // Ctrl-C now goes to them, and they read the terminal
        for (let i = 0; i < pids.length; i++) {
          if (pids[i] !== null) statuses[i] = await sys.proc.wait(pids[i]);
        }
      } finally {
        await sys.proc.foreground([sys.pid]); // the terminal is the shell's again
      }
    }
    return statuses[statuses.length - 1];
  }

  // Spawns one stage. Returns {pid} or, if it could not start, {pid: null, status}.
  async spawnStage(stage, wired) {
    const [name] = stage.argv;
    let streams;
    try {
      streams = this.redirectStreams(stage.redirects, wired);
    } catch (e) {
      if (!(e instanceof RedirectError)) throw e;
      this.error(e.message);
      return { pid: null, status: 1 };
    }
    const env = this.childEnv(stage.assigns);
    const options = { stdin: streams[0], stdout: streams[1], stderr: streams[2], cwd: this.cwd, env };
    try {
      return { pid: await this.sys.proc.spawn(stage.argv, options), status: 0 };
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
};

function isInShell(stage) {
  return stage.argv.length === 0 || Object.prototype.hasOwnProperty.call(BUILTINS, stage.argv[0]);
}

module.exports = { Shell, resolvePath, BUILTINS };
