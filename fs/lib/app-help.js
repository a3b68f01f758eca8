// fs/lib/app-help.js (/lib/app-help in the image): `NAME --help`, `help NAME`
// and `man NAME`, written from what the app declares, so help cannot drift
// from the code (docs/apps.md, "--help, help and man").
//
// What an app declares is {description, options: [[option, meaning], ...],
// usage}: the app runtime takes it from the running module
// (kernel/app/loader.js, declaredBy here), `help` and `man` from the app's
// source (/lib/app-info, declaredIn). Both end in the same text. This file
// requires nothing: the runtime loads it on its own when an app is asked
// for --help.
//
// An option's key says how it is written on a command line, and /lib/options
// parses argv from the same keys (optionSpec below), so the help and the
// parser cannot disagree:
//
//   '-l'                      a flag
//   '-r, --reverse'           a flag with a long name (any number of spellings)
//   '--ignore-fail'           a long name alone
//   '-t C'                    an option with an argument, shown as C
//   '-k, --key=POS'           the same with a long name (--key=POS, --key POS, -kPOS, -k POS)
//   '-k, --key=POS...'        ... at the end: it may be given again, and every value is kept
//
// Keys that do not start with '-' (ip's `addr`, udpecho's `PORT`) are words
// the command takes, listed in the help and never parsed as options.
'use strict';

const HELP_OPTION = ['--help', 'show this help and exit'];
const MAN_INDENT = '       '; // seven spaces, as man(1) indents a section's text

// The declaration of a loaded module: module.exports.description, .options
// ({'-l': 'long listing', ...}) and .usage. Not strings, not there: empty.
// `helpOption: false` (the shell's test, [ and :, whose every word is an
// operand) leaves --help out of the option list; only then is it kept.
function declaredBy(exports) {
  const text = (v) => (typeof v === 'string' ? v : '');
  const options = exports && exports.options && typeof exports.options === 'object' ? exports.options : {};
  const declared = {
    description: text(exports && exports.description),
    options: Object.entries(options).map(([option, meaning]) => [option, String(meaning)]),
    usage: text(exports && exports.usage),
  };
  if (exports && exports.helpOption === false) declared.helpOption = false;
  return declared;
}

// What an option's key declares (the grammar above): {spellings: ['-k',
// '--key'], argument: 'POS' or null, repeats, name}. `name` is what the
// parsed options are keyed by: the long name without its dashes if there is
// one ('key'), else the letter ('k'). Not an option (no '-'): null.
function optionSpec(key) {
  if (!key.startsWith('-')) return null;
  const spellings = [];
  let argument = null;
  for (const part of key.split(/,\s+/)) {
    const m = /^(--[^\s=]+|-[^-\s])(?:[=\s](.+))?$/.exec(part.trim());
    if (!m) return null;
    spellings.push(m[1]);
    if (m[2] && argument === null) argument = m[2];
  }
  const repeats = argument !== null && argument.endsWith('...');
  if (repeats) argument = argument.slice(0, -3);
  const long = spellings.find((s) => s.startsWith('--'));
  return { spellings, argument, repeats, name: long ? long.slice(2) : spellings[0].slice(1) };
}

// The command lines a usage shows. A declared usage ('seq LAST\nseq FIRST
// LAST') is one line per form; without one, the name and its options: the
// flags that have a letter as one cluster, then the others (ls [-la];
// sort [-r] [-t C] [-k POS]... [--stable]).
function synopsis(name, declared) {
  if (declared.usage) return declared.usage.split('\n').filter((line) => line.trim() !== '');
  const specs = declared.options.map(([option]) => optionSpec(option)).filter(Boolean);
  const letter = (spec) => spec.spellings.find((s) => !s.startsWith('--'));
  const letters = specs.filter((spec) => letter(spec) && spec.argument === null).map((spec) => letter(spec)[1]);
  const words = [name];
  if (letters.length > 0) words.push(`[-${letters.join('')}]`);
  for (const spec of specs) {
    if (spec.argument !== null) words.push(`[${letter(spec) || spec.spellings[0]} ${spec.argument}]${spec.repeats ? '...' : ''}`);
    else if (!letter(spec)) words.push(`[${spec.spellings[0]}]`);
  }
  return [words.join(' ')];
}

// The option lines: each option padded to the widest, then its meaning,
// and --help's unless the declaration says it takes none.
function optionLines(declared, indent) {
  const all = declared.helpOption === false ? declared.options : [...declared.options, HELP_OPTION];
  const width = Math.max(0, ...all.map(([option]) => option.length)) + 2;
  return all.map(([option, meaning]) => `${indent}${option.padEnd(width)}${meaning}`.trimEnd());
}

// `NAME --help` and `help NAME`:
//
//   usage: ls [-l] [-a] [PATH...]
//   list directory contents
//
//     -l      long listing: mode, size, time
//     --help  show this help and exit
function helpText(name, declared) {
  const [first, ...others] = synopsis(name, declared);
  const lines = [`usage: ${first}`, ...others.map((line) => `   or: ${line}`)];
  if (declared.description) lines.push(declared.description);
  const options = optionLines(declared, '  ');
  if (options.length > 0) lines.push('', ...options);
  return lines.join('\n') + '\n';
}

// `man NAME`: the same as a manual page. `about` is the longer text for
// DESCRIPTION (the app's header comment, /lib/app-info aboutOf); without
// it, the description. Text is folded to `width` columns.
function manPage(name, declared, about = '', width = 80) {
  const fold = (text) => wrap(text, Math.max(40, width - 1) - MAN_INDENT.length).map((line) => MAN_INDENT + line);
  const title = `${name.toUpperCase()}(1)`;
  const gap = Math.max(2, Math.min(width, 80) - 2 * title.length - 'jsksh'.length);
  const left = Math.floor(gap / 2);
  const lines = [`${title}${' '.repeat(left)}jsksh${' '.repeat(gap - left)}${title}`, ''];
  lines.push('NAME', ...fold(declared.description ? `${name} - ${declared.description}` : name), '');
  lines.push('SYNOPSIS', ...synopsis(name, declared).map((line) => MAN_INDENT + line), '');
  lines.push('DESCRIPTION', ...fold(sentence(about || declared.description || `the ${name} command.`)), '');
  const options = optionLines(declared, MAN_INDENT);
  if (options.length > 0) lines.push('OPTIONS', ...options, '');
  lines.push('SEE ALSO', `${MAN_INDENT}help(1)${declared.helpOption === false ? `, help ${name}` : `, ${name} --help`}`);
  return lines.join('\n') + '\n';
}

// 'list files' -> 'List files.'
function sentence(text) {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?:]$/.test(capital) ? capital : capital + '.';
}

// Words into lines of at most `width` characters (a longer word keeps a line of its own).
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

module.exports = { declaredBy, optionSpec, synopsis, helpText, manPage };
