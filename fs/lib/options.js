// fs/lib/options.js (/lib/options in the image): a GNU-style getopt that
// parses an app's argv from the options it declares for --help
// (module.exports.options; the key grammar is /lib/app-help's optionSpec),
// so what `NAME --help` says and what NAME accepts are one table.
//
//   const { parseOptions, usageError } = require('/lib/options');
//   const parsed = parseOptions(argv.slice(1), module.exports);
//   if (parsed.error) return usageError('sort', module.exports, parsed.error);
//   parsed.options.reverse, parsed.options.key, parsed.operands
//
// What it takes, as GNU's getopt_long does: clustered flags (-rn), an
// option's argument attached (-k2, -t:) or as the next word (-k 2), long
// names (--reverse, --key=2, --key 2, or any unambiguous prefix: --rev),
// options before, between or after the operands (unless the app asks to
// stop at the first operand, getopt's '+'), '--' ending the options and '-'
// as an operand. Its errors are GNU's words.
'use strict';

const { declaredBy, optionSpec, synopsis } = require('/lib/app-help');

// Parses `args` (argv without the command's name) against `declaration`
// (module.exports, or {options: {...}}). Settings:
//   stopAtOperand       the first operand ends the options (getopt's '+':
//                       xargs COMMAND -n, seq 1 -2)
//   numbersAreOperands  a word like -3 or -.5 is an operand (seq -3 3)
//   countOption         the name of the option a word -NUM stands for:
//                       head -5 is head -n 5 (GNU's obsolete -NUM form)
// Returns {options, operands, given} or {error}. `options` has a value for
// every declared option, keyed by its name (optionSpec): a flag true or
// false, an option with an argument its last value or null, a repeating one
// (POS...) an array of its values. `given` is every option in the order
// given, as [name, value], for the tools where the last of two wins.
function parseOptions(args, declaration, settings = {}) {
  const specs = declaredBy(declaration)
    .options.map(([key]) => optionSpec(key))
    .filter(Boolean);
  const options = {};
  for (const spec of specs) options[spec.name] = spec.repeats ? [] : spec.argument === null ? false : null;
  const operands = [];
  const given = [];
  const record = (spec, value) => {
    given.push([spec.name, value]);
    if (spec.repeats) options[spec.name].push(value);
    else options[spec.name] = value;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (isOperand(arg, settings)) {
      if (settings.stopAtOperand) {
        operands.push(...args.slice(i));
        break;
      }
      operands.push(arg);
      continue;
    }
    if (settings.countOption && /^-\d+$/.test(arg)) {
      record(specs.find((s) => s.name === settings.countOption), arg.slice(1));
      continue;
    }
    if (arg.startsWith('--')) {
      // --name, --name=VALUE, --name VALUE
      const equals = arg.indexOf('=');
      const written = equals < 0 ? arg : arg.slice(0, equals);
      const found = longOption(specs, written);
      if (found.error) return { error: found.error === 'ambiguous' ? ambiguous(arg, found.matches) : `unrecognized option '${arg}'` };
      const { spec, spelling } = found;
      if (spec.argument === null) {
        if (equals >= 0) return { error: `option '${spelling}' doesn't allow an argument` };
        record(spec, true);
      } else if (equals >= 0) {
        record(spec, arg.slice(equals + 1));
      } else {
        if (i + 1 >= args.length) return { error: `option '${spelling}' requires an argument` };
        record(spec, args[++i]);
      }
      continue;
    }
    // -abc: flags, until one that takes an argument: the rest of the word, or the next word.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const spec = specs.find((s) => s.spellings.includes(`-${letter}`));
      if (!spec) return { error: `invalid option -- '${letter}'` };
      if (spec.argument === null) {
        record(spec, true);
        continue;
      }
      let value = arg.slice(j + 1);
      if (value === '') {
        if (i + 1 >= args.length) return { error: `option requires an argument -- '${letter}'` };
        value = args[++i];
      }
      record(spec, value);
      break;
    }
  }
  return { options, operands, given };
}

// '-' (standard input) and words without a leading '-' are operands; so is
// a negative number when the app counts in them.
function isOperand(arg, settings) {
  if (arg === '-' || !arg.startsWith('-')) return true;
  return Boolean(settings.numbersAreOperands) && /^-\.?\d/.test(arg);
}

// The long option `written` names: its exact spelling, or the one long name
// it begins (GNU lets --rev stand for --reverse). {spec, spelling}, or
// {error: 'unknown' | 'ambiguous', matches}.
function longOption(specs, written) {
  const matches = [];
  for (const spec of specs) {
    for (const spelling of spec.spellings) {
      if (!spelling.startsWith('--')) continue;
      if (spelling === written) return { spec, spelling };
      if (spelling.startsWith(written)) matches.push({ spec, spelling });
    }
  }
  if (matches.length === 1) return matches[0];
  return { error: matches.length === 0 ? 'unknown' : 'ambiguous', matches };
}

const ambiguous = (arg, matches) => `option '${arg}' is ambiguous; possibilities:${matches.map((m) => ` '${m.spelling}'`).join('')}`;

// The usage lines, as --help starts: 'usage: ' then '   or: ' for each further form.
function usageText(name, declaration) {
  return synopsis(name, declaredBy(declaration))
    .map((line, i) => `${i ? '   or: ' : 'usage: '}${line}\n`)
    .join('');
}

// A bad command line, on stderr: `NAME: problem`, the usage, and GNU's
// pointer to the whole help. Returns the status to exit with: 2 unless
// the tool says (GNU's file tools exit 1 for a missing operand).
function usageError(name, declaration, problem, status = 2) {
  sys.stderr.write(`${name}: ${problem}\n${usageText(name, declaration)}Try '${name} --help' for more information.\n`);
  return status;
}

// For a command that takes no options and no operands (dmesg, clear,
// poweroff): null when argv is its name alone, else the status of the
// usage error it printed. `poweroff now` must not power off.
function takesNoArguments(name, argv, declaration) {
  const parsed = parseOptions(argv.slice(1), declaration);
  if (parsed.error) return usageError(name, declaration, parsed.error);
  if (parsed.operands.length > 0) return usageError(name, declaration, `extra operand '${parsed.operands[0]}'`);
  return null;
}

module.exports = { parseOptions, usageText, usageError, takesNoArguments };
