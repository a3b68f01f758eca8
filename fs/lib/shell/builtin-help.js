// fs/lib/shell/builtin-help.js (/lib/shell/builtin-help in the image): what
// each of the shell's builtins says about itself, in the shape an app
// declares it (docs/apps.md, "--help, help and man"): a description, its
// options ({'-r': 'meaning'}, the keys in /lib/app-help's grammar; a key
// without a '-' is a word it takes) and its usage, and for `man` an
// `about` paragraph where the description is not enough. `helpOption:
// false` marks the builtins whose every word is an operand (test, [, :):
// `test --help` is a test, so their help lists no --help.
//
// `NAME --help` (/lib/shell/builtins), `help NAME` (apps/help.js) and `man
// NAME` (apps/man.js) all write their text from this table with
// /lib/app-help, so the three agree. A builtin is not a file a program
// could read its declaration from, hence a table; a test checks that it has
// every builtin and only those. It requires nothing: `help` and `which`
// load it without loading the shell.
'use strict';

const BUILTIN_HELP = {
  cd: {
    description: 'change the shell\'s directory (to / without DIR; "cd -" goes back to $OLDPWD and prints it)',
    options: { DIR: 'the directory to go to, absolute or from the current one' },
    usage: 'cd [DIR | -]',
  },
  pwd: {
    description: 'print the directory the shell is in ($PWD)',
    options: {},
    usage: 'pwd',
  },
  exit: {
    description: 'leave the shell with status N (without N, the status of the last command), after the EXIT trap',
    options: {},
    usage: 'exit [N]',
  },
  export: {
    description: 'pass variables on to the programs the shell runs; alone, list the exported ones',
    options: {},
    usage: 'export [NAME[=VALUE]...]',
  },
  unset: {
    description: 'remove variables, or functions',
    options: { '-f': 'the NAMEs are functions', '-v': 'the NAMEs are variables (the default)' },
    usage: 'unset [-f | -v] NAME...',
  },
  ':': {
    description: 'do nothing, successfully (its arguments are expanded, then ignored)',
    options: {},
    usage: ': [ARG...]',
    helpOption: false,
  },
  break: {
    description: 'leave the N innermost loops (default 1)',
    options: {},
    usage: 'break [N]',
  },
  continue: {
    description: 'go on with the next turn of the Nth innermost loop (default 1)',
    options: {},
    usage: 'continue [N]',
  },
  return: {
    description: 'leave the function, or the file run by ., with status N (without N, the last status)',
    options: {},
    usage: 'return [N]',
  },
  shift: {
    description: 'drop the first N positional parameters (default 1): $N+1 becomes $1',
    options: {},
    usage: 'shift [N]',
  },
  set: {
    description: "set the shell's options, or its positional parameters (set -- ARG...); alone, list the variables",
    options: {
      '-e': 'leave at a command that fails, outside a condition (errexit)',
      '-u': 'an unset variable is an error (nounset)',
      '-f': 'no pathname expansion (noglob)',
      '-x': 'print each command on stderr before it runs (xtrace)',
      '-o NAME': 'the option by its name: errexit, nounset, noglob, xtrace; -o alone lists them',
      '+eufx': 'with + instead of -, turn the option off',
    },
    usage: 'set [-eufx] [+eufx] [-o NAME] [-- ARG...]',
  },
  local: {
    description: 'give the function a variable of its own until it returns (as dash does)',
    options: {},
    usage: 'local NAME[=VALUE]...',
  },
  trap: {
    description: 'run ACTION when the shell exits (EXIT or 0) or when Ctrl-C ends a command (INT); alone, list the traps',
    options: { ACTION: "the commands to run; '' ignores the signal, - puts back what it did" },
    usage: 'trap [ACTION SIGNAL...]',
  },
  '.': {
    description: 'run the commands of FILE in this shell (its variables and functions stay)',
    options: {},
    usage: '. FILE [ARG...]',
  },
  source: {
    description: 'run the commands of FILE in this shell (its variables and functions stay): bash\'s name for .',
    options: {},
    usage: 'source FILE [ARG...]',
  },
  read: {
    description: 'read a line of standard input into variables, split at $IFS (the last NAME takes the rest; REPLY if none)',
    options: { '-r': 'a backslash is a character, not an escape or a line continued' },
    usage: 'read [-r] [NAME...]',
    about:
      'read a line of standard input and split it at the characters of $IFS into the NAMEs; the last NAME gets the rest ' +
      'of the line, and with no NAME it all goes into REPLY. Without -r a backslash escapes the next character and a ' +
      'backslash at the end continues the line. The status is 1 at the end of the input.',
  },
  printf: {
    description: 'print the ARGs as FORMAT says (%s %b %c %d %i %u %o %x %X %%, flags, width and precision), again while ARGs are left',
    options: {},
    usage: 'printf FORMAT [ARG...]',
  },
  test: {
    description: 'evaluate a condition: status 0 if it is true, 1 if it is false, 2 if it cannot be read',
    options: {
      '-e FILE': 'FILE exists (-f: a file, -d: a directory, -s: not empty, -r -w -x: may be read, written, run)',
      '-n STRING': 'STRING is not empty (-z: it is empty; S1 = S2, S1 != S2 compare strings)',
      'N1 -eq N2': 'integers: -eq -ne -lt -le -gt -ge',
      '! EXPR': 'not; EXPR -a EXPR, EXPR -o EXPR and ( EXPR ) combine conditions',
    },
    usage: 'test EXPR',
    helpOption: false,
  },
  '[': {
    description: 'evaluate a condition, as test does; the last argument is ]',
    options: {},
    usage: '[ EXPR ]',
    helpOption: false,
  },
  command: {
    description: 'run NAME as a builtin or program, skipping functions; with -v or -V, say what it is',
    options: { '-v': 'print the path (or the name) NAME runs', '-V': 'say what NAME is, as type does' },
    usage: 'command [-v | -V] NAME [ARG...]',
  },
  type: {
    description: 'say what each NAME is: a keyword, a builtin, a function or a file',
    options: {},
    usage: 'type NAME...',
  },
  readonly: {
    description: 'make variables read-only (they cannot be set or unset again); alone, list them',
    options: { '-p': 'list the read-only variables' },
    usage: 'readonly [-p] [NAME[=VALUE]...]',
  },
  getopts: {
    description: 'take the next option of the positional parameters (or the ARGs) into NAME, its argument into OPTARG',
    options: {},
    usage: 'getopts OPTSTRING NAME [ARG...]',
  },
  history: {
    description: 'list the command lines this shell has read (at the console or in the REPL, since boot)',
    options: { N: 'only the last N lines', '-c': 'forget them all' },
    usage: 'history [-c] [N]',
  },
  exec: {
    description: 'run COMMAND, then leave with its status; without one, keep the redirections for the rest of the shell',
    options: {},
    usage: 'exec [COMMAND [ARG...]]',
  },
  jobs: {
    description: 'list the background jobs: number, state and command',
    options: { '-l': "add each process's pid", '-p': "print only each job's first pid" },
    usage: 'jobs [-l | -p] [JOB...]',
  },
  fg: {
    description: 'bring a background job to the foreground and wait for it (Ctrl-C then interrupts it)',
    options: {},
    usage: 'fg [JOB]',
  },
  bg: {
    description: 'say that a job is already in the background (no job can be stopped here: there are no stop signals)',
    options: {},
    usage: 'bg [JOB]',
  },
  ulimit: {
    description: 'show or tighten the limits the commands of this shell run under (docs/apps.md, "Limits")',
    options: {
      '-a': 'list every limit',
      '-t': 'CPU seconds',
      '-d': 'heap, KiB',
      '-m': 'ArrayBuffer memory, KiB',
      '-q': 'messages waiting in an inbox',
      '-u': 'isolates alive at once',
    },
    usage: 'ulimit [-a] [-t|-d|-m|-q|-u [VALUE]]',
  },
  wait: {
    description: "wait for background jobs or processes (all of them, or those named); the status is the last one's",
    options: {},
    usage: 'wait [PID | JOB...]',
  },
  // The same words as apps/echo.js's (/bin/echo.js), which prints what this builtin prints.
  echo: {
    description: 'print arguments',
    options: { '-n': 'no trailing newline', '-e': 'interpret backslash escapes', '-E': 'no backslash escapes (the default)' },
    usage: 'echo [-neE] [STRING...]',
  },
};

module.exports = { BUILTIN_HELP };
