// fs/lib/shell/exec.js (/lib/shell/exec in the image): runs parsed shell text.
//
// The Shell walks the tree from /lib/shell/parse, one complete command at a
// time. Simple commands expand their words (/lib/shell/expand), then run as
// a builtin (/lib/shell/builtins), a shell function, or a process made with
// sys.proc.spawn, wired with kernel pipes and files, made the terminal's
// foreground job, and waited for. Compound commands (if, while, until, for,
// case, { }, ( )) run here, in the shell. A line ended by '&' starts a
// background job instead and does not wait (docs/shell.md, "Job control").
//
// The shell cannot read or write a kernel pipe itself, only hand one to the
// processes it spawns. So whatever must run with its output on a pipe and is
// not a program (a builtin, a function, a compound command in a pipeline or
// in the background, the command of a $(...)) runs in a child shell: `sh -c
// TEXT` with the shell's state (variables, functions, options, the tree to
// run) in the JSKSH_SUBSHELL variable of its environment (subshellState).
// A $(...) is read back through a collector, `sh --collect FILE MAX`, at the
// end of the pipeline: it writes what it read to FILE, or gives up past MAX.
// `( ... )` alone runs in this shell with its state saved and restored.
//
// It touches the system only through the `sys` object it is given, so tests
// drive it with a fake one.
//
// The walk is maybe-async (/lib/shell/maybe-async): what runs in the shell
// without the kernel (builtins such as `[` and `:`, assignments, $((...)),
// if, loops, functions) runs without a promise, and each function returns
// its status directly; one that must wait (a spawn, a file, a $(...), a
// glob) returns a promise, and its caller goes on from there. The result is
// the same either way; only the time differs (a loop of builtins runs about
// ten times faster: docs/performance.md, issue 12). A loop that never waits
// still lets the kernel's messages in every BREATHE_TURNS turns (breathe),
// so Ctrl-C reaches it.
//
// Reference: POSIX.1-2017 Shell Command Language: §2.9.1 simple commands
// (expansion, assignments, "command not found" is 127), §2.9.2 pipelines
// (the status is the last command's), §2.9.3 lists (&& and || short-circuit;
// §2.9.3.1 asynchronous lists, '&'), §2.9.4 compound commands, §2.9.5
// functions, §2.7 redirection, §2.8.1 errors, §2.14 special builtins;
// XCU utilities jobs, fg, bg, wait, kill (%job operands).
'use strict';

const { commands, ShellSyntaxError } = require('/lib/shell/parse');
const { expandFields, addWordFields, expandWord, plainWords, plainFields, literalOf, neverWaits, matchPattern, ExpansionError } = require('/lib/shell/expand');
const { STATUS_NOT_FOUND, STATUS_CANNOT_RUN, STATUS_SYNTAX, STATUS_INTERRUPTED, INTERRUPTED, describe, resolvePath, Jump, ShellError, writeInPieces } = require('/lib/shell/common');
const { Job, jobLines, commandText, simpleCommandText } = require('/lib/shell/jobs');
const { BUILTINS, SPECIAL_BUILTINS, SAME_AS_PROGRAM, isBuiltin } = require('/lib/shell/builtins');
const { isPromise, then, settled, catching, repeat } = require('/lib/shell/maybe-async');
const { History } = require('/lib/shell/history');

// A redirection that cannot be set up: reported as "sh: MESSAGE", status 1.
class RedirectError extends Error {}

const MAX_FUNCTION_DEPTH = 1000; // shell functions calling one another
// A function call that runs at once nests about twenty JavaScript calls, and
// 1000 of them would overflow V8's stack: every this many calls deep, the
// body starts from a promise instead, on a fresh stack.
const CALLS_PER_STACK = 32;
const MAX_SUBSTITUTION = 10 * 1024 * 1024; // characters a $(...) may give
const SUBSHELL_VARIABLE = 'JSKSH_SUBSHELL';
const DECLARATIONS = new Set(['export', 'local', 'readonly']);
const ASSIGNMENT_WORD = /^[A-Za-z_][A-Za-z0-9_]*=/;
// Loop turns between two real pauses (breathe): about ten milliseconds of
// builtins, so a Ctrl-C is seen within a few tens of milliseconds. Each
// pause costs about a millisecond (a sleep waits for the kernel's next timer
// interrupt), so more pauses would slow a loop of builtins down.
const BREATHE_TURNS = 5000;

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
  constructor({ sys, env, cwd, argv0 = 'sh', args = [], interactive = false, watchInterrupt = null, readInput = null } = {}) {
    // Every field is made here, none later: a field added to one shell
    // changes its shape in V8, and the code V8 compiled for the shape of
    // another (/lib/shell/warm-up's scratch shell) would be thrown away.
    this.sys = sys;
    this.cwd = cwd || sys.cwd || '/';
    this.vars = new Map(Object.entries(env || sys.env || {}));
    this.exported = new Set(this.vars.keys()); // what children see in their env
    this.vars.set('PWD', this.cwd); // as sh sets it when it starts
    this.functions = new Map(); // name -> the compound command that is its body
    this.readonlyNames = new Set(); // `readonly`
    this.positional = [argv0, ...args];
    this.options = { errexit: false, nounset: false, xtrace: false, noglob: false };
    this.traps = new Map(); // 'EXIT', 'INT', ... -> the action's text ('' ignores)
    this.status = 0; // $?
    this.exitCode = null; // set by `exit`: the caller should stop
    this.interrupted = false; // Ctrl-C ended a command: the rest of the line is abandoned
    this.interactive = interactive;
    this.forgiving = false; // errors never end this shell (the session's, whatever its client)
    this.history = null; // an interactive shell's History (apps/sh.js); a script or sh -c keeps none
    this.watchInterrupt = watchInterrupt;
    this.jobs = []; // background jobs, oldest first; the last is the current one (%+)
    this.lastBackgroundPid = null; // $!
    this.limits = {}; // set by `ulimit`: every command from now on runs under them
    this.fds = ['inherit', 'inherit', 'inherit']; // where the shell's own 0, 1, 2 go now (redirections of compound commands, exec)
    this.loopDepth = 0;
    this.functionDepth = 0;
    this.locals = []; // one Map per function call: name -> the value `local` saved (undefined: was unset)
    this.conditionDepth = 0; // inside an if/while condition, or left of && ||: set -e does not apply
    this.substitutionStatus = null; // the status of the last $(...) of this command
    this.input = { pending: '', ended: false }; // what `read` took from stdin and has not used
    this.temporaryFiles = 0;
    this.turns = 0; // loop turns, for breathe()
    this.quickPaths = true; // false: every simple command goes the general way (tests compare the two)
    // How $((...)) reads and sets the variables (/lib/shell/arith's vars).
    this.arithmeticVariables = { get: (name) => this.valueOf(name), set: (name, value) => this.setVariable(name, value) };
    // Where `read` takes its input when stdin is the shell's own: apps/sh.js
    // gives the prompt loop's reader ('' from it is Ctrl-C).
    this.readInput = readInput || (() => this.sys.stdin.read());
  }

  get exiting() {
    return this.exitCode !== null;
  }

  // Stop running the rest: `exit`, or Ctrl-C.
  get stopping() {
    return this.exitCode !== null || this.interrupted;
  }

  // "jsksh:/tmp$ ", or PS1 if set ('' turns the prompt off); "> " when a
  // command continues on the next line, like PS2.
  prompt(continuation = false) {
    if (continuation) return this.vars.has('PS2') ? this.vars.get('PS2') : '> ';
    if (this.vars.has('PS1')) return this.vars.get('PS1');
    return `jsksh:${this.cwd}$ `;
  }

  // The value of $name, for expansion (undefined: unset).
  valueOf(name) {
    if (isNameStart(name.charCodeAt(0))) return this.vars.get(name); // the usual case: a name
    if (name === '?') return String(this.status);
    if (name === '$') return String(this.sys.pid);
    if (name === '!') return this.lastBackgroundPid === null ? undefined : String(this.lastBackgroundPid);
    if (name === '#') return String(Math.max(0, this.positional.length - 1));
    if (name === '-') return (this.options.errexit ? 'e' : '') + (this.options.noglob ? 'f' : '') + (this.options.nounset ? 'u' : '') + (this.options.xtrace ? 'x' : '');
    if (name === '@' || name === '*') return this.positionalArgs().join(' ');
    if (isDigit(name.charCodeAt(0))) return this.positional[Number(name)]; // $1, ${10}
    return this.vars.get(name);
  }

  positionalArgs() {
    return this.positional.slice(1);
  }

  // Runs shell text: one line, or a whole script (newlines separate
  // commands). Each complete command is parsed, then run, then the next is
  // parsed, as sh reads a script. Returns the status, also left in
  // this.status ($?). Never throws: the shell is what the console runs, and
  // it must survive any one command.
  // nested: the text of `.` (a return or break in it is for the caller).
  async runLine(text, { nested = false } = {}) {
    if (!nested) this.interrupted = false;
    const parsed = commands(text, { final: true, warn: (message) => this.error(message) }); // the text is all there is
    for (;;) {
      let list;
      try {
        const next = parsed.next();
        if (next.done) break;
        list = next.value;
      } catch (e) {
        if (!(e instanceof ShellSyntaxError)) throw e;
        this.error(e.message);
        this.status = STATUS_SYNTAX;
        if (!this.interactive && !this.forgiving) this.exitCode = STATUS_SYNTAX; // sh leaves a script at a syntax error
        break;
      }
      await this.runTop(list, nested);
      if (this.stopping) break;
    }
    return this.status;
  }

  // Runs a parsed list at the top: whatever goes wrong is reported here.
  async runTop(list, nested = false) {
    try {
      await this.runList(list);
    } catch (e) {
      if (nested && e instanceof Jump) throw e;
      this.failed(e);
    }
    return this.status;
  }

  failed(e) {
    if (e instanceof Jump) {
      // `return` outside a function ends what is running, as in dash; break and continue were reported.
      this.status = e.status === undefined ? this.status : e.status;
      return;
    }
    if (e instanceof ExpansionError || e instanceof ShellError) {
      this.error(e.message);
      this.status = e.status;
      if (e.fatal !== false && !this.interactive && !this.forgiving) this.exitCode = e.status; // POSIX §2.8.1: a non-interactive shell exits
      return;
    }
    this.error(`sh: ${(e && e.message) || e}`);
    this.status = 1;
  }

  // The trap on EXIT, when the shell ends (apps/sh.js calls this). Returns the exit status.
  async finish() {
    const status = this.exiting ? this.exitCode : this.status;
    const action = this.traps.get('EXIT');
    if (action) {
      this.traps.delete('EXIT');
      this.exitCode = null;
      await this.runLine(action);
    }
    return this.exiting ? this.exitCode : status;
  }

  // The items of the list from item `from` on (after one that waited, the
  // rest go on from its promise).
  runList(list, from = 0) {
    const { items } = list;
    for (let i = from; i < items.length; i++) {
      const item = items[i];
      const ran = item.background ? this.runBackground(item.command) : this.runAndOr(item.command);
      if (isPromise(ran)) return this.runListAfter(ran, list, i + 1);
      if (this.stopping) break; // after `exit` or Ctrl-C the rest of the line is abandoned, as in sh
    }
    return this.status;
  }

  runListAfter(ran, list, next) {
    return ran.then(() => (this.stopping ? this.status : this.runList(list, next)));
  }

  // && runs the right side only after success, || only after failure (§2.9.3).
  runAndOr(node) {
    if (node.type === 'pipeline') return this.runPipeline(node);
    const left = this.asCondition(this.runAndOr, node.left);
    if (isPromise(left)) return this.andOrAfter(left, node);
    return this.andOrRight(node);
  }

  andOrAfter(left, node) {
    return left.then(() => this.andOrRight(node));
  }

  andOrRight(node) {
    if (this.stopping) return this.status;
    const succeeded = this.status === 0;
    if (node.type === 'and' ? succeeded : !succeeded) return this.runPipeline(node.right);
    return this.status;
  }

  // Runs this.run(node) as a condition: `set -e` does not stop the shell for
  // it (§2.8.1, set -e). (A method and its node, not a closure: it runs at
  // every turn of a loop, and a closure would be made at every turn.)
  asCondition(run, node) {
    this.conditionDepth++;
    let result;
    try {
      result = run.call(this, node);
    } catch (e) {
      this.conditionDepth--;
      throw e;
    }
    if (isPromise(result)) return this.conditionAfter(result);
    this.conditionDepth--;
    return result;
  }

  conditionAfter(result) {
    return result.finally(() => this.conditionDepth--);
  }

  runPipeline(pipeline) {
    const ran = pipeline.negate ? this.asCondition(this.runStages, pipeline.commands) : this.runStages(pipeline.commands);
    if (isPromise(ran)) return this.pipelineAfter(ran, pipeline);
    return this.pipelineEnded(pipeline, ran);
  }

  pipelineAfter(ran, pipeline) {
    return ran.then((status) => this.pipelineEnded(pipeline, status));
  }

  pipelineEnded(pipeline, ran) {
    const status = pipeline.negate ? (ran === 0 ? 1 : 0) : ran;
    this.status = status;
    if (status === STATUS_INTERRUPTED) return this.interruptedPipeline(pipeline, status);
    return this.checkErrexit(pipeline, status);
  }

  async interruptedPipeline(pipeline, status) {
    await this.onInterrupt();
    return this.checkErrexit(pipeline, status);
  }

  // (errexit is read first: a loop's statuses are 0 until its last turn, and
  // V8 would drop the code it compiled for the loop at the first read.)
  checkErrexit(pipeline, status) {
    if (this.options.errexit && status !== 0 && this.conditionDepth === 0 && !pipeline.negate && !this.exiting) {
      this.exitCode = status; // set -e
    }
    return status;
  }

  runStages(commandNodes) {
    if (commandNodes.length === 1) return this.runCommand(commandNodes[0]);
    return this.runPipelineStages(commandNodes);
  }

  async runPipelineStages(commandNodes) {
    const stages = [];
    for (const node of commandNodes) stages.push(await this.pipelineStage(node));
    return this.runProcesses(stages);
  }

  // A pipeline stage as something to spawn: a program as itself, anything
  // else as a child shell running it.
  async pipelineStage(node) {
    if (node.type === 'command') {
      const stage = await this.expandCommand(node);
      if (stage.argv.length > 0 && !this.runsInShell(stage.argv[0])) return stage;
      return this.subshellStage(expandedCommand(node, stage), simpleCommandText(node));
    }
    return this.subshellStage(node, node.raw || node.type);
  }

  // Is `name` a builtin or a function (run by a shell, not spawned)? Not a
  // builtin that a program does the same as (echo): as a pipeline stage or
  // in $(...) it would need a child shell, an isolate carrying the whole
  // shell and a copy of its variables (echo hi | wc -l: 14 ms), where the
  // program is a small isolate of its own (4 ms). Alone it runs here.
  runsInShell(name) {
    return this.functions.has(name) || (isBuiltin(name) && !SAME_AS_PROGRAM.has(name));
  }

  // --- commands ---

  runCommand(node) {
    switch (node.type) {
      case 'command':
        return this.runSimple(node);
      case 'function':
        this.functions.set(node.name, node);
        return (this.status = 0);
      default:
        return this.runCompoundRedirected(node);
    }
  }

  runCompoundRedirected(node) {
    return this.withRedirects(node.redirects, () => this.runCompound(node));
  }

  runCompound(node) {
    switch (node.type) {
      case 'group':
        return this.runList(node.body);
      case 'subshell':
        return this.runSubshell(node.body);
      case 'if':
        return this.runIf(node);
      case 'while':
        return this.runWhile(node);
      case 'for':
        return this.runFor(node);
      case 'case':
        return this.runCase(node);
      default:
        throw new Error(`unknown command ${node.type}`);
    }
  }

  // The clauses from clause k on: the first whose condition succeeds runs its body.
  runIf(node, k = 0) {
    if (k === node.clauses.length) return node.otherwise ? this.runList(node.otherwise) : (this.status = 0);
    const tested = this.asCondition(this.runList, node.clauses[k].cond);
    if (isPromise(tested)) return this.ifAfter(tested, node, k);
    return this.ifTested(node, k);
  }

  ifAfter(tested, node, k) {
    return tested.then(() => this.ifTested(node, k));
  }

  // After clause k's condition: its body, or the next clause.
  ifTested(node, k) {
    if (this.stopping) return this.status;
    return this.status === 0 ? this.runList(node.clauses[k].body) : this.runIf(node, k + 1);
  }

  // One turn of a loop's body: false when a break (or exit, or Ctrl-C) ends
  // the loop. loop.status is the status after it, the loop's own at the end.
  loopTurn(body, loop) {
    const paused = this.breathe();
    if (isPromise(paused)) return this.loopBodyAfter(paused, body, loop);
    return this.loopBody(body, loop);
  }

  loopBodyAfter(paused, body, loop) {
    return paused.then(() => this.loopBody(body, loop));
  }

  loopBody(body, loop) {
    if (this.stopping) return this.turnEnded(loop, false);
    let ran;
    try {
      ran = this.runList(body);
    } catch (e) {
      return this.turnEnded(loop, this.jumped(e));
    }
    if (isPromise(ran)) return this.turnAfter(ran, loop);
    return this.turnEnded(loop, !this.stopping);
  }

  turnAfter(ran, loop) {
    return ran.then(
      () => this.turnEnded(loop, !this.stopping),
      (e) => this.turnEnded(loop, this.jumped(e)),
    );
  }

  turnEnded(loop, more) {
    loop.status = this.status;
    return more;
  }

  // A break or continue thrown in a loop's body: false if it ends this loop;
  // thrown on if it is for an outer one (break 2), or is a return.
  jumped(e) {
    if (!(e instanceof Jump) || e.kind === 'return') throw e;
    if (e.levels > 1) {
      e.levels--;
      throw e;
    }
    return e.kind === 'break' ? false : !this.stopping;
  }

  // A loop may turn without ever starting a process (`while :; do :; done`):
  // the outermost one watches for a Ctrl-C that reaches the shell itself,
  // and each turn lets the kernel's messages in now and then (a loop that
  // never waits would never let the Ctrl-C, or anything else, arrive).
  inLoop(run) {
    let watch = null;
    if (this.loopDepth === 0 && this.watchInterrupt) {
      watch = this.watchInterrupt();
      watch.interrupted.then(() => {
        if (watch) this.interruptedByKey();
      });
    }
    this.loopDepth++;
    return settled(run, () => {
      this.loopDepth--;
      if (watch) {
        watch.stop();
        watch = null;
      }
    });
  }

  // Ctrl-C reached the shell while it ran builtins: as for a command it interrupted.
  interruptedByKey() {
    if (this.traps.has('INT')) return;
    this.interrupted = true;
    this.status = STATUS_INTERRUPTED;
  }

  // Every BREATHE_TURNS turns, a real pause: a kernel call, so the app's
  // messages are taken. (Counted, not timed: an app's clock stands still
  // within an event.) Otherwise nothing: the turn goes on at once.
  breathe() {
    if (++this.turns % BREATHE_TURNS !== 0 || !this.sys.sleep) return undefined;
    return this.sys.sleep(0);
  }

  // The loop's status: its last body's, or 130 after a Ctrl-C.
  loopEnded(status) {
    if (this.interrupted) return (this.status = STATUS_INTERRUPTED);
    return this.exiting ? this.status : (this.status = status);
  }

  runWhile(node) {
    const loop = { status: 0 };
    const turn = () => {
      const tested = this.asCondition(this.runList, node.cond);
      if (isPromise(tested)) return tested.then(() => this.whileBody(node, loop));
      return this.whileBody(node, loop);
    };
    return then(this.inLoop(() => repeat(turn)), () => this.loopEnded(loop.status));
  }

  // After a while (until) loop's condition: its body, if the condition held.
  whileBody(node, loop) {
    if (this.stopping || (this.status === 0) === node.until) return false;
    return this.loopTurn(node.body, loop);
  }

  runFor(node) {
    const values = node.words === null ? this.positionalArgs() : expandFields(node.words, this);
    return then(values, (list) => {
      const loop = { status: 0 };
      let k = 0;
      const turn = () => {
        if (k === list.length) return false;
        this.setVariable(node.name, list[k++]);
        return this.loopTurn(node.body, loop);
      };
      return then(this.inLoop(() => repeat(turn)), () => this.loopEnded(loop.status));
    });
  }

  runCase(node) {
    const word = expandWord(node.word, this);
    if (isPromise(word)) return this.caseAfter(word, node);
    return this.caseArm(node, word, 0, 0);
  }

  caseAfter(word, node) {
    return word.then((w) => this.caseArm(node, w, 0, 0));
  }

  // The arms from arm a, pattern p on: the first arm with a pattern that matches runs.
  caseArm(node, word, a, p) {
    for (; a < node.arms.length; a++, p = 0) {
      const arm = node.arms[a];
      for (; p < arm.patterns.length; p++) {
        const matched = matchPattern(word, arm.patterns[p], this);
        if (isPromise(matched)) return this.caseMatchAfter(matched, node, word, a, p + 1);
        if (matched) return this.runList(arm.body);
      }
    }
    return (this.status = 0);
  }

  // Arm a's pattern p-1 had to wait (it expanded a $(...)): its body, or the next patterns.
  caseMatchAfter(matched, node, word, a, p) {
    return matched.then((yes) => (yes ? this.runList(node.arms[a].body) : this.caseArm(node, word, a, p)));
  }

  // ( list ): the list runs with the shell's state saved, and put back after,
  // so `(cd /tmp; x=1; exit 3)` changes nothing here but $?.
  async runSubshell(body) {
    const saved = this.saveState();
    try {
      await this.runList(body);
    } catch (e) {
      if (!(e instanceof Jump)) throw e;
      if (e.status !== undefined) this.status = e.status;
    }
    try {
      // A trap on EXIT set inside runs when the subshell ends.
      const action = this.traps.get('EXIT');
      if (action && action !== saved.traps.get('EXIT')) {
        const status = this.exiting ? this.exitCode : this.status;
        this.exitCode = null;
        this.traps.delete('EXIT');
        await this.runLine(action, { nested: true });
        this.status = status;
      }
    } finally {
      const status = this.exiting ? this.exitCode : this.status;
      this.restoreState(saved);
      this.status = status;
    }
    return this.status;
  }

  saveState() {
    return {
      vars: new Map(this.vars),
      exported: new Set(this.exported),
      readonlyNames: new Set(this.readonlyNames),
      functions: new Map(this.functions),
      positional: this.positional.slice(),
      options: { ...this.options },
      traps: new Map(this.traps),
      cwd: this.cwd,
      fds: this.fds.slice(),
      limits: { ...this.limits },
      exitCode: this.exitCode,
      loopDepth: this.loopDepth,
    };
  }

  restoreState(saved) {
    Object.assign(this, saved);
  }

  runFunction(node, argv) {
    if (this.functionDepth >= MAX_FUNCTION_DEPTH) {
      throw new ShellError(`sh: ${argv[0]}: functions nested too deeply (more than ${MAX_FUNCTION_DEPTH} calls)`);
    }
    const positional = this.positional;
    const loopDepth = this.loopDepth;
    this.positional = [positional[0], ...argv.slice(1)];
    this.loopDepth = 0; // break and continue do not reach the caller's loops
    this.functionDepth++;
    this.locals.push(new Map());
    const returned = (e) => {
      if (!(e instanceof Jump && e.kind === 'return')) throw e;
      this.status = e.status;
    };
    const restore = () => {
      this.positional = positional;
      this.loopDepth = loopDepth;
      this.functionDepth--;
      for (const [name, value] of this.locals.pop()) {
        if (value === undefined) this.vars.delete(name);
        else this.vars.set(name, value);
      }
    };
    const body = () => catching(() => this.runCommand(node.body), returned);
    const run = this.functionDepth % CALLS_PER_STACK === 0 ? () => Promise.resolve().then(body) : body;
    return then(settled(run, restore), () => this.status);
  }

  // --- simple commands ---

  // §2.9.1: words expand to fields; NAME=value and redirection targets to one
  // string each. Returns {argv, assigns, redirects}, or a promise of it.
  expandCommand(command) {
    this.substitutionStatus = null;
    return this.expandSteps(command, { argv: [], assigns: [], redirects: [] }, 0);
  }

  // The command's words, then its assignments, then its redirections, in that
  // order from step k on; after one that waited the rest go on from its promise.
  expandSteps(command, stage, k) {
    const { words, assigns, redirects } = command;
    const steps = words.length + assigns.length + redirects.length;
    for (; k < steps; k++) {
      const step = this.expandStep(command, stage, k);
      if (isPromise(step)) return this.expandStepsAfter(step, command, stage, k + 1);
    }
    return stage;
  }

  expandStepsAfter(step, command, stage, next) {
    return step.then(() => this.expandSteps(command, stage, next));
  }

  expandStep(command, stage, k) {
    const { words, assigns, redirects } = command;
    if (k < words.length) {
      const word = words[k];
      // export and local take assignments: "export A=$X" must not split $X.
      if (DECLARATIONS.has(stage.argv[0]) && ASSIGNMENT_WORD.test(word.raw)) return pushWhenDone(stage.argv, expandWord(word, this));
      return addWordFields(word, this, stage.argv);
    }
    k -= words.length;
    if (k < assigns.length) {
      const { name, value } = assigns[k];
      const text = expandWord(value, this);
      if (isPromise(text)) return pushAfter(stage.assigns, pairAfter(name, text));
      stage.assigns.push([name, text]);
      return undefined;
    }
    return pushWhenDone(stage.redirects, this.expandRedirect(redirects[k - assigns.length]));
  }

  // A redirection with its target expanded; a here-document becomes a file to read.
  expandRedirect(r) {
    if (r.op === '<<' || r.op === '<<-') return this.hereDocument(r);
    return then(expandWord(r.target, this), (target) => ({ op: r.op, fd: r.fd, target }));
  }

  async hereDocument(r) {
    const text = await expandWord(r.body, this);
    const file = await this.temporaryFile(text);
    return { op: '<', fd: r.fd, target: file, temporary: true };
  }

  async temporaryFile(text) {
    const file = `/tmp/.sh-${this.sys.pid}-${++this.temporaryFiles}`;
    try {
      await writeInPieces(this.sys.fs, file, text);
    } catch (e) {
      throw new RedirectError(`sh: cannot make a here-document: ${file}: ${describe(e)}`);
    }
    return file;
  }

  async removeTemporaries(redirects) {
    for (const r of redirects) {
      if (r.temporary && this.sys.fs.unlink) await this.sys.fs.unlink(r.target).catch(() => {});
    }
  }

  runSimple(node) {
    let plan = node[PLAN];
    if (plan === undefined) plan = node[PLAN] = planSimple(node);
    if (plan !== null && this.quickPaths && !this.options.xtrace) {
      const ran = plan.assigns !== null ? this.runAssignments(plan.assigns) : this.runPlainBuiltin(plan, node.words);
      if (ran !== GENERAL) return ran;
    }
    let stage;
    try {
      stage = this.expandCommand(node);
    } catch (e) {
      return this.expansionFailed(e);
    }
    if (isPromise(stage)) return this.runStageAfter(stage, node);
    return this.runStage(stage, node);
  }

  runStageAfter(stage, node) {
    return stage.then(
      (expanded) => this.runStage(expanded, node),
      (e) => this.expansionFailed(e),
    );
  }

  // The quick path of a builtin whose words are each literal text or one
  // parameter (planSimple): what expandCommand, runExpanded and runBuiltin
  // do for it, or GENERAL when a function of the builtin's name hides it
  // or a value must be split or globbed.
  runPlainBuiltin(plan, words) {
    if (!plan.special && this.functions.size !== 0 && this.functions.has(plan.name)) return GENERAL;
    let argv;
    try {
      argv = plainFields(words, this);
    } catch (e) {
      return this.expansionFailed(e);
    }
    if (argv === null) return GENERAL;
    this.substitutionStatus = null;
    return this.keepStatus(this.callBuiltin(argv));
  }

  // The quick path of a command of assignments alone whose values never
  // wait (planSimple): each value expanded, in order, then each variable set,
  // as expandCommand and runExpanded do; the status is 0 (no $(...) ran).
  runAssignments(assigns) {
    this.substitutionStatus = null;
    const values = [];
    try {
      for (let k = 0; k < assigns.length; k++) values.push(expandWord(assigns[k].value, this));
    } catch (e) {
      return this.expansionFailed(e);
    }
    for (let k = 0; k < assigns.length; k++) this.setVariable(assigns[k].name, values[k]);
    return (this.status = 0);
  }

  // $? becomes a builtin's status, now or when its promise settles.
  keepStatus(status) {
    if (isPromise(status)) return this.keepStatusLater(status);
    return (this.status = status);
  }

  keepStatusLater(promise) {
    return promise.then((s) => (this.status = s));
  }

  // An expansion or a redirection's file failed: the command does not run.
  expansionFailed(e) {
    if (e instanceof RedirectError) return this.reportFailure(e.message);
    if (!(e instanceof ExpansionError) || e.fatal) throw e;
    return this.reportFailure(e.message, e.status);
  }

  // Runs the expanded command; its here-documents' files are removed after.
  runStage(stage, node) {
    if (!stage.redirects.some((r) => r.temporary)) return this.runExpanded(stage, node);
    return (async () => {
      try {
        return await this.runExpanded(stage, node);
      } finally {
        await this.removeTemporaries(stage.redirects);
      }
    })();
  }

  reportFailure(message, status = 1) {
    this.error(message);
    return (this.status = status);
  }

  runExpanded(stage, node, functions = true) {
    const { argv, assigns } = stage;
    if (this.options.xtrace) this.trace(assigns, argv);
    if (argv.length === 0) {
      // Only assignments and redirections: the variables are set, the files made (§2.9.1).
      for (const [name, value] of assigns) this.setVariable(name, value);
      const status = this.substitutionStatus === null ? 0 : this.substitutionStatus;
      if (stage.redirects.length === 0) return (this.status = status);
      return this.withRedirects(stage.redirects, () => status, true);
    }
    const [name] = argv;
    if (name === 'exec' && !(argv.length === 2 && argv[1] === '--help')) return this.runExec(stage); // exec --help: its help, as bash's
    if (name === 'command' && argv.length > 1 && !argv[1].startsWith('-')) {
      return this.runExpanded({ ...stage, argv: argv.slice(1) }, node, false);
    }
    if (SPECIAL_BUILTINS.has(name)) {
      for (const [n, value] of assigns) this.setVariable(n, value); // they stay (§2.14)
      return this.runBuiltin(stage);
    }
    if (functions && this.functions.has(name)) {
      for (const [n, value] of assigns) this.setVariable(n, value);
      return this.withRedirects(stage.redirects, () => this.runFunction(this.functions.get(name), argv), true);
    }
    if (isBuiltin(name)) {
      // NAME=value before a regular builtin is for that builtin only.
      if (assigns.length === 0) return this.runBuiltin(stage);
      const saved = assigns.map(([n]) => [n, this.vars.get(n)]);
      for (const [n, value] of assigns) this.vars.set(n, value);
      return settled(
        () => this.runBuiltin(stage),
        () => {
          for (const [n, value] of saved) {
            if (value === undefined) this.vars.delete(n);
            else this.vars.set(n, value);
          }
        },
      );
    }
    return this.runProcesses([stage]);
  }

  // set -x: "+ echo 'a b'" on stderr before the command runs.
  trace(assigns, argv) {
    const quote = (s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
    const words = [...assigns.map(([n, v]) => `${n}=${quote(v)}`), ...argv.map(quote)];
    this.sys.stderr.write(`${this.vars.has('PS4') ? this.vars.get('PS4') : '+ '}${words.join(' ')}\n`);
  }

  // exec COMMAND: the command replaces the shell (here: runs, then the shell
  // exits with its status). exec with only redirections: they stay (§2.14).
  async runExec(stage) {
    if (stage.argv.length === 1) {
      const fds = await this.applyRedirects(stage.redirects, true);
      if (fds === null) return this.status;
      this.fds = fds;
      return (this.status = 0);
    }
    const status = await this.runProcesses([{ ...stage, argv: stage.argv.slice(1) }]);
    this.exitCode = status;
    return status;
  }

  // A builtin: its output goes where the shell's fds and the command's
  // redirections say, written after it ends (or when it flushes: fg shows
  // the command before it waits).
  runBuiltin(stage) {
    if (stage.redirects.length) return this.runBuiltinRedirected(stage);
    return this.keepStatus(this.callBuiltin(stage.argv));
  }

  runBuiltinRedirected(stage) {
    return this.withRedirects(stage.redirects, () => this.callBuiltin(stage.argv), true);
  }

  // The builtin's status once what it wrote is written.
  callBuiltin(argv) {
    const io = new BuiltinOutput(this);
    let status;
    try {
      status = BUILTINS[argv[0]].call(this, argv, io);
    } catch (e) {
      return io.failed(e);
    }
    if (isPromise(status)) return builtinAfter(status, io);
    return io.ended(status);
  }

  writeOutput(stream, text, fd) {
    if (text === '' || stream === 'null') return undefined;
    if (stream && stream.file) return writeInPieces(this.sys.fs, stream.file, text, true);
    const to = stream === 'inherit' ? fd : stream && stream.inherit !== undefined ? stream.inherit : fd;
    return (to === 2 ? this.sys.stderr : this.sys.stdout).write(text);
  }

  // Runs `run` with the redirections applied to the shell's fds, then puts
  // them back. `expanded`: the targets are already strings. A redirection
  // that fails is reported, status 1, and `run` does not run.
  withRedirects(redirects, run, expanded = false) {
    if (!redirects || redirects.length === 0) return this.keepStatus(run());
    return this.withRedirectsApplied(redirects, run, expanded);
  }

  async withRedirectsApplied(redirects, run, expanded) {
    let list = redirects;
    let fds;
    try {
      if (!expanded) {
        list = [];
        for (const r of redirects) list.push(await this.expandRedirect(r));
      }
      fds = await this.applyRedirects(list);
    } catch (e) {
      if (e instanceof RedirectError) return this.reportFailure(e.message);
      throw e;
    }
    if (fds === null) return this.status;
    const saved = this.fds;
    this.fds = fds;
    try {
      return (this.status = await run());
    } finally {
      this.fds = saved;
      if (!expanded) await this.removeTemporaries(list);
    }
  }

  // The shell's fds with the redirections applied (§2.7): output files are
  // made (or emptied) now, so what runs inside appends to them. null if one
  // failed (it is reported, status 1).
  async applyRedirects(redirects) {
    let fds;
    try {
      fds = this.redirectStreams(redirects, this.fds);
    } catch (e) {
      if (!(e instanceof RedirectError)) throw e;
      this.reportFailure(e.message);
      return null;
    }
    for (const { op, target } of redirects) {
      if (op !== '>' && op !== '>>' && op !== '>|' && op !== '<>') continue;
      const file = resolvePath(this.cwd, target);
      try {
        await this.sys.fs.writeFile(file, '', { append: op === '>>' || op === '<>' });
      } catch (e) {
        this.reportFailure(`sh: ${target}: ${describe(e)}`);
        return null;
      }
    }
    for (let fd = 0; fd < 3; fd++) {
      const s = fds[fd];
      if (s === this.fds[fd]) continue; // not redirected here: as it was
      if (s && s.file && fd > 0) fds[fd] = { file: s.file, append: true };
      else if (s && s.file && fd === 0) {
        try {
          await this.sys.fs.stat(s.file);
        } catch (e) {
          this.reportFailure(`sh: ${s.file}: ${describe(e)}`);
          return null;
        }
        fds[0] = { file: s.file, offset: 0 }; // `read` keeps its place in it
      }
    }
    return fds;
  }

  // --- commands that are processes ---

  async runProcesses(stages) {
    const { pids, statuses } = await this.spawnPipeline(stages, this.fds);
    const running = pids.filter((pid) => pid !== null);
    if (running.length > 0) {
      await this.inForeground(running, async () => {
        for (let i = 0; i < pids.length; i++) {
          if (pids[i] !== null) statuses[i] = await this.sys.proc.wait(pids[i]);
        }
      });
    }
    return (this.status = statuses[statuses.length - 1]);
  }

  // Ctrl-C ended the foreground job (status 130): the rest of the line is
  // abandoned, unless a trap on INT says otherwise ('' ignores it, an
  // action runs and the shell goes on).
  async onInterrupt() {
    if (!this.traps.has('INT')) {
      this.interrupted = true;
      return;
    }
    const action = this.traps.get('INT');
    if (action) {
      const status = this.status;
      await this.runTop(require('/lib/shell/parse').parse(action));
      this.status = status;
    }
  }

  // Starts every stage; the first reads base[0] (before its redirections),
  // the last writes base[1], every stage's stderr is base[2].
  // Returns {pids, statuses}: pids[i] is null for a stage that could not
  // start, and statuses[i] then says why (127, 1, ...).
  async spawnPipeline(stages, base) {
    const pipes = [];
    for (let i = 0; i < stages.length - 1; i++) pipes.push(await this.sys.proc.pipe());
    const pids = [];
    const statuses = [];
    let previousFailed = false;
    for (let i = 0; i < stages.length; i++) {
      // stage i reads pipe i-1 and writes pipe i (the pipe(2)/dup2 wiring of sh).
      const wired = [
        i > 0 ? (previousFailed ? 'null' : { pipe: pipes[i - 1] }) : spawnable(base[0]),
        i < stages.length - 1 ? { pipe: pipes[i] } : spawnable(base[1]),
        spawnable(base[2]),
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
    if (name.includes('/')) argv = await this.scriptArguments(argv);
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
      if ((op === '>' || op === '>>' || op === '>|') && !used.has(file)) {
        try {
          await this.sys.fs.writeFile(file, '', { append: op === '>>' });
        } catch (e) {
          this.error(`sh: ${target}: ${describe(e)}`);
          return { pid: null, status: 1 };
        }
      }
    }
    const env = { ...this.childEnv(stage.assigns), ...(stage.env || {}) };
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

  // ./script: a file that starts with "#!/bin/sh" (or any #!...sh) is run by sh.
  async scriptArguments(argv) {
    let head;
    try {
      head = String(await this.sys.fs.readFile(resolvePath(this.cwd, argv[0]))).slice(0, 128);
    } catch (e) {
      return argv; // the spawn reports it
    }
    const m = /^#!\s*(\S+)/.exec(head);
    if (m && /(^|\/)(sh|dash|bash)$/.test(m[1])) return ['sh', ...argv];
    return argv;
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
      if (op === '<' || op === '<>') streams[fd] = { file: resolvePath(this.cwd, target) };
      else if (op === '>' || op === '>>' || op === '>|') streams[fd] = { file: resolvePath(this.cwd, target), append: op === '>>' };
      else if (target === '-') streams[fd] = 'null'; // 2>&- closes; we give it nothing
      else if (/^[0-2]$/.test(target)) streams[fd] = dup(streams[Number(target)], Number(target)); // 2>&1: dup2(1, 2)
      else throw new RedirectError(`sh: ${target}: bad file descriptor`);
    }
    return streams;
  }

  // --- child shells ---

  // A stage that runs `node` (a command, an and-or list or a list) in a
  // child shell: `sh -c TEXT` with this shell's state in its environment.
  subshellStage(node, text) {
    const state = {
      node,
      vars: [...this.vars],
      exported: [...this.exported],
      readonlyNames: [...this.readonlyNames],
      functions: [...this.functions],
      positional: this.positional,
      options: this.options,
      status: this.status,
      lastBackgroundPid: this.lastBackgroundPid,
    };
    // The history can be 500 lines: only a child that may run `history` gets it.
    let json = JSON.stringify(state);
    if (this.history && json.includes('history')) json = JSON.stringify({ ...state, history: this.history });
    return {
      argv: ['sh', '-c', text, ...this.positional],
      assigns: [],
      redirects: [],
      env: { [SUBSHELL_VARIABLE]: json },
    };
  }

  // Takes the state a parent shell passed (subshellStage); returns the node to run.
  adoptState(json) {
    const state = JSON.parse(json);
    this.vars = new Map(state.vars);
    this.exported = new Set(state.exported);
    this.readonlyNames = new Set(state.readonlyNames || []);
    this.functions = new Map(state.functions);
    this.positional = state.positional;
    this.options = { ...this.options, ...state.options };
    this.status = state.status;
    this.lastBackgroundPid = state.lastBackgroundPid;
    if (state.history) this.history = new History(state.history); // to show, not to add to: a child shell is not interactive
    this.vars.delete(SUBSHELL_VARIABLE);
    this.exported.delete(SUBSHELL_VARIABLE);
    return state.node;
  }

  // Runs the node a parent shell sent: a list, an and-or list or a command.
  async runNode(node) {
    try {
      if (node.type === 'list') await this.runList(node);
      else if (node.type === 'and' || node.type === 'or' || node.type === 'pipeline') await this.runAndOr(node);
      else this.status = await this.runCommand(node);
    } catch (e) {
      this.failed(e);
    }
    return this.status;
  }

  // $(list) (§2.6.3): the list runs with its stdout on a pipe to a
  // collector, which writes what it read to files for us; trailing
  // newlines are removed. The status is kept for a command that is only
  // assignments (x=$(false) sets $? to 1). Past MAX_SUBSTITUTION
  // characters the collector stops reading (the writer gets a broken pipe)
  // and the expansion fails.
  async substitute(list) {
    const file = `/tmp/.sh-${this.sys.pid}-${++this.temporaryFiles}`;
    const stages = await this.substitutionStages(list);
    stages.push({ argv: ['sh', '--collect', file, String(MAX_SUBSTITUTION)], assigns: [], redirects: [] });
    const { pids, statuses } = await this.spawnPipeline(stages, this.fds);
    const running = pids.filter((pid) => pid !== null);
    if (running.length) {
      await this.inForeground(running, async () => {
        for (let i = 0; i < pids.length; i++) if (pids[i] !== null) statuses[i] = await this.sys.proc.wait(pids[i]);
      });
    }
    const collected = statuses.pop();
    this.substitutionStatus = statuses[statuses.length - 1];
    if (this.substitutionStatus === STATUS_INTERRUPTED) await this.onInterrupt();
    // The collector wrote FILE.0, FILE.1, ... (pieces small enough for one kernel call).
    const pieces = [];
    for (let k = 0; ; k++) {
      try {
        pieces.push(String(await this.sys.fs.readFile(`${file}.${k}`)));
      } catch (e) {
        break;
      }
      if (this.sys.fs.unlink) await this.sys.fs.unlink(`${file}.${k}`).catch(() => {});
    }
    const text = pieces.join('');
    if (collected === 3) throw new ExpansionError(`sh: command substitution: output larger than ${MAX_SUBSTITUTION} characters`, { status: 1 });
    if (collected !== 0 && pids[pids.length - 1] !== null) {
      throw new ExpansionError(`sh: command substitution: could not read its output (status ${collected})`, { status: 1 });
    }
    return text.replace(/\n+$/, '');
  }

  // The stages of a $(...): a pipeline of programs as itself, anything else in a child shell.
  async substitutionStages(list) {
    const only = list.items.length === 1 && !list.items[0].background ? list.items[0].command : null;
    if (only && only.type === 'pipeline' && !only.negate && only.commands.every((c) => c.type === 'command')) {
      const stages = [];
      for (const node of only.commands) {
        const stage = await this.expandCommand(node);
        if (stage.argv.length === 0 || this.runsInShell(stage.argv[0]) || stage.argv[0] === 'exec') {
          return [this.subshellStage(list, '$(...)')];
        }
        stages.push(stage);
      }
      return stages;
    }
    return [this.subshellStage(list, '$(...)')];
  }

  // --- background jobs ---

  // `COMMAND &` (§2.9.3.1): start it and go on at once; its status is 0.
  // Its stdin is null, as POSIX says for a shell without job control
  // (/dev/null); its output goes where the shell's goes. A pipeline of
  // programs is spawned as usual; anything else (a && b &, a builtin, a
  // loop) runs in a child shell, the way sh forks one, so it is still one
  // job with a pid.
  async runBackground(node) {
    const text = commandText(node);
    let stages = null;
    if (node.type === 'pipeline' && node.commands.every((c) => c.type === 'command')) {
      stages = [];
      for (const command of node.commands) stages.push(await this.expandCommand(command));
      if (stages.some((s) => s.argv.length === 0 || this.runsInShell(s.argv[0]))) stages = null;
    }
    const direct = stages !== null;
    const { pids, statuses } = await this.spawnPipeline(direct ? stages : [this.subshellStage(node, text)], ['null', this.fds[1], this.fds[2]]);
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
    if (direct) job.done.then(() => this.removeTemporaries(stages.flatMap((stage) => stage.redirects))); // here-documents
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
    if (this.readonlyNames.has(name)) throw new ShellError(`sh: ${name}: is read only`);
    this.vars.set(name, value);
    if (exported) this.exported.add(name);
  }
}

// What a builtin writes (its io: out(text), err(text)): kept until it ends
// or calls flush(), then written where the shell's fds 1 and 2 go now.
// flush() waits only when there is something to write.
class BuiltinOutput {
  constructor(shell) {
    this.shell = shell;
    this.stdout = '';
    this.stderr = '';
  }

  out(text) {
    this.stdout += text;
  }

  err(text) {
    this.stderr += text;
  }

  flush() {
    if (this.stdout === '' && this.stderr === '') return undefined;
    return this.write();
  }

  write() {
    const out = this.stdout;
    const err = this.stderr;
    this.stdout = this.stderr = '';
    const { shell } = this;
    return then(shell.writeOutput(shell.fds[1], out, 1), () => shell.writeOutput(shell.fds[2], err, 2));
  }

  // The builtin returned `status`, or threw `error`: what it wrote goes out first.
  ended(status) {
    const flushed = this.flush();
    return isPromise(flushed) ? valueAfter(flushed, status) : status;
  }

  failed(error) {
    const flushed = this.flush();
    if (!isPromise(flushed)) throw error;
    return flushed.then(() => {
      throw error;
    });
  }
}

// Adds `value` to `list`, now or when its promise settles; a promise only then.
function pushWhenDone(list, value) {
  if (isPromise(value)) return pushAfter(list, value);
  list.push(value);
  return undefined;
}

function pushAfter(list, promise) {
  return promise.then((value) => {
    list.push(value);
  });
}

// [name, value] once the promise of the value settles.
function pairAfter(name, promise) {
  return promise.then((value) => [name, value]);
}

// `value` once the promise settles.
function valueAfter(promise, value) {
  return promise.then(() => value);
}

function builtinAfter(status, io) {
  return status.then(
    (s) => io.ended(s),
    (e) => io.failed(e),
  );
}

function isDigit(code) {
  return code >= 48 && code <= 57;
}

// A letter or _: how a variable's name starts (special parameters do not).
function isNameStart(code) {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

// --- the quick path of a simple command ---
//
// Most simple commands a loop runs are of two kinds: a builtin whose words
// are each literal text or one parameter (`[ $i -lt 10000 ]`, `:`), and
// assignments alone (`i=$((i+1))`). For them the general path (the steps of
// expandCommand, then runExpanded's questions: exec? command? a special
// builtin? a function? a builtin?) decides the same things at every turn,
// and a turn in V8's interpreter, before it has compiled the shell, costs
// about 7 µs, most of it there (docs/performance.md, issue 12). So what the
// text alone decides is decided the first time the command runs and kept
// on its node (under a Symbol: JSON leaves it out when the tree goes to a
// child shell). What depends on the shell's state at the time (set -x, a function that hides the builtin, a value to
// split or glob) is checked at every run, and then the general path runs
// instead. The two paths must
// give the same result: tests/js/test_shell_exec.js runs commands both ways.
const PLAN = Symbol('plan');
const GENERAL = Symbol('general path'); // a quick path gave up before changing anything

// null (the general path), {assigns} or {assigns: null, name, special}.
function planSimple(node) {
  const { words, assigns, redirects } = node;
  if (redirects.length !== 0) return null;
  if (words.length === 0) return assigns.every((a) => neverWaits(a.value)) ? { assigns, name: null, special: false } : null;
  if (assigns.length !== 0 || !plainWords(words)) return null;
  const name = literalOf(words[0]); // null: a parameter, known only when it runs
  // export, local and readonly read their words as assignments; exec and
  // command change how the rest runs: all go the general way.
  if (name === null || !isBuiltin(name) || DECLARATIONS.has(name) || name === 'exec' || name === 'command') return null;
  return { assigns: null, name, special: SPECIAL_BUILTINS.has(name) };
}

// A stream of the shell's that a child can be given: a file the shell has
// opened (and so emptied already) is appended to.
function spawnable(stream) {
  if (stream && stream.file && stream.offset !== undefined) return { file: stream.file };
  return stream;
}

// A simple command whose words were expanded here, to run in a child shell
// as it is: its words and assignments are quoted text now.
function expandedCommand(node, stage) {
  const literal = (value) => ({ type: 'word', parts: [{ type: 'text', value, quoted: true }], raw: value });
  return {
    type: 'command',
    assigns: stage.assigns.map(([name, value]) => ({ name, value: literal(value) })),
    words: stage.argv.map(literal),
    redirects: node.redirects,
  };
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

module.exports = { Shell, ShellError, resolvePath, BUILTINS, commandText, SUBSHELL_VARIABLE, History };
