// Unit tests for fs/lib/options.js, the getopt that parses argv from an
// app's declared options, and for the key grammar in fs/lib/app-help.js
// (optionSpec, synopsis) that --help and the parser share.
const { parseOptions, usageText, usageError, takesNoArguments } = require('/lib/options');
const { optionSpec, synopsis, helpText, declaredBy } = require('/lib/app-help');

// A declaration shaped like sort's.
const SORT = {
  description: 'sort lines',
  options: {
    '-b': 'ignore leading blanks',
    '-n, --numeric-sort': 'compare numbers',
    '-r, --reverse': 'reverse the order',
    '-t, --field-separator=C': 'fields end at C',
    '-k, --key=POS...': 'sort on POS',
    '--stable': 'keep the input order',
  },
};
const parse = (args, settings) => parseOptions(args, SORT, settings);

test('optionSpec reads flags, long names, arguments and repeats from a key', () => {
  assert.deepEqual(optionSpec('-l'), { spellings: ['-l'], argument: null, repeats: false, name: 'l' });
  assert.deepEqual(optionSpec('-r, -R, --recursive'), { spellings: ['-r', '-R', '--recursive'], argument: null, repeats: false, name: 'recursive' });
  assert.deepEqual(optionSpec('-t C'), { spellings: ['-t'], argument: 'C', repeats: false, name: 't' });
  assert.deepEqual(optionSpec('-k, --key=POS1[,POS2]...'), { spellings: ['-k', '--key'], argument: 'POS1[,POS2]', repeats: true, name: 'key' });
  assert.deepEqual(optionSpec('--ignore-fail-on-non-empty'), { spellings: ['--ignore-fail-on-non-empty'], argument: null, repeats: false, name: 'ignore-fail-on-non-empty' });
  assert.deepEqual(optionSpec('-0'), { spellings: ['-0'], argument: null, repeats: false, name: '0' });
  assert.equal(optionSpec('PORT'), null, 'a word, not an option');
  assert.equal(optionSpec('route'), null);
});

test('flags: alone, clustered, long; every declared option has a value', () => {
  assert.deepEqual(parse([]).options, { b: false, 'numeric-sort': false, reverse: false, 'field-separator': null, key: [], stable: false });
  assert.deepEqual(parse(['-rn']).options.reverse && parse(['-rn']).options['numeric-sort'], true);
  const r = parse(['--reverse', '-b', '--stable']);
  assert.deepEqual([r.options.reverse, r.options.b, r.options.stable, r.options['numeric-sort']], [true, true, true, false]);
});

test('an option argument attached, as the next word, or after = on a long name', () => {
  for (const args of [['-t:'], ['-t', ':'], ['--field-separator=:'], ['--field-separator', ':'], ['-rt:'], ['-rt', ':']]) {
    assert.equal(parse(args).options['field-separator'], ':', args.join(' '));
  }
  assert.equal(parse(['-t', '-n']).options['field-separator'], '-n', 'the next word whatever it looks like');
  assert.equal(parse(['-t', '']).options['field-separator'], '', 'an empty word is a value');
  assert.equal(parse(['--field-separator=']).options['field-separator'], '');
  assert.equal(parse(['-t', 'a', '-t', 'b']).options['field-separator'], 'b', 'the last one given');
});

test('a repeating option keeps every value, in order; given lists everything in order', () => {
  const r = parse(['-k2,2', '-r', '--key', '1', '--key=3n']);
  assert.deepEqual(r.options.key, ['2,2', '1', '3n']);
  assert.deepEqual(r.given, [['key', '2,2'], ['reverse', true], ['key', '1'], ['key', '3n']]);
});

test('operands: before, between and after options; - is one; -- ends the options', () => {
  assert.deepEqual(parse(['a', '-r', 'b', '-', 'c']).operands, ['a', 'b', '-', 'c']);
  const r = parse(['-r', '--', '-n', '--stable', '-']);
  assert.deepEqual([r.operands, r.options['numeric-sort']], [['-n', '--stable', '-'], false]);
  assert.deepEqual(parse(['--', '--']).operands, ['--']);
});

test('stopAtOperand: the first operand ends the options (getopt\'s +, for xargs and seq)', () => {
  const r = parse(['-r', 'cmd', '-n', 'x'], { stopAtOperand: true });
  assert.deepEqual([r.operands, r.options.reverse, r.options['numeric-sort']], [['cmd', '-n', 'x'], true, false]);
  assert.deepEqual(parse(['-2'], { numbersAreOperands: true }).operands, ['-2']);
  assert.deepEqual(parse(['-.5', '-r'], { numbersAreOperands: true, stopAtOperand: true }).operands, ['-.5', '-r']);
  assert.equal(parse(['-2']).error, "invalid option -- '2'", 'a number is an option unless the app says');
});

test('countOption: a word -NUM is that option with NUM (head -5 is head -n 5)', () => {
  const HEAD = { options: { '-n, --lines=N': 'lines', '-c, --bytes=N': 'bytes' } };
  const r = parseOptions(['-5', 'f', '-c', '3', '-12'], HEAD, { countOption: 'lines' });
  assert.deepEqual([r.options.lines, r.options.bytes, r.operands], ['12', '3', ['f']]);
  assert.deepEqual(r.given, [['lines', '5'], ['bytes', '3'], ['lines', '12']]);
  assert.equal(parseOptions(['-n', '-5'], HEAD, { countOption: 'lines' }).options.lines, '-5', "an option's value is taken as it is");
  assert.equal(parseOptions(['-5'], HEAD).error, "invalid option -- '5'", 'only when the app says');
});

test('takesNoArguments: null for the name alone, else the usage error', () => {
  let written = '';
  globalThis.sys = { stderr: { write: (s) => void (written += s) } };
  const NONE = { options: {} };
  assert.equal(takesNoArguments('dmesg', ['dmesg'], NONE), null);
  assert.equal(takesNoArguments('dmesg', ['dmesg', '--'], NONE), null);
  assert.equal(written, '');
  assert.equal(takesNoArguments('dmesg', ['dmesg', '-x'], NONE), 2);
  assert.equal(written, "dmesg: invalid option -- 'x'\nusage: dmesg\nTry 'dmesg --help' for more information.\n");
  written = '';
  assert.equal(takesNoArguments('poweroff', ['poweroff', 'now'], NONE), 2);
  assert.equal(written.split('\n')[0], "poweroff: extra operand 'now'");
  delete globalThis.sys;
});

test('long names may be shortened while they are unambiguous', () => {
  assert.equal(parse(['--rev']).options.reverse, true);
  assert.equal(parse(['--k=1']).options.key[0], '1');
  const two = { options: { '--verbose': 'v', '--version': 'V' } };
  assert.equal(parseOptions(['--verb'], two).options.verbose, true);
  assert.equal(parseOptions(['--ver'], two).error, "option '--ver' is ambiguous; possibilities: '--verbose' '--version'");
});

test('errors in GNU\'s words', () => {
  assert.deepEqual(parse(['-x']), { error: "invalid option -- 'x'" });
  assert.deepEqual(parse(['-rx']), { error: "invalid option -- 'x'" });
  assert.deepEqual(parse(['-k']), { error: "option requires an argument -- 'k'" });
  assert.deepEqual(parse(['-rk']), { error: "option requires an argument -- 'k'" });
  assert.deepEqual(parse(['--key']), { error: "option '--key' requires an argument" });
  assert.deepEqual(parse(['--foo']), { error: "unrecognized option '--foo'" });
  assert.deepEqual(parse(['--foo=1']), { error: "unrecognized option '--foo=1'" });
  assert.deepEqual(parse(['--reverse=yes']), { error: "option '--reverse' doesn't allow an argument" });
});

test('a declaration of the old kind still parses: keys are flags, words are not options', () => {
  const old = { options: { '-l': 'long', '-a': 'all', PORT: 'the port' } };
  const r = parseOptions(['-la', 'PORT'], old);
  assert.deepEqual([r.options, r.operands], [{ l: true, a: true }, ['PORT']]);
});

test('a declaration without --help (test, [, :) lists none, and man points to help NAME', () => {
  const { manPage } = require('/lib/app-help');
  const test = { description: 'check', options: { '-e FILE': 'FILE exists' }, usage: 'test EXPR', helpOption: false };
  assert.equal(helpText('test', declaredBy(test)), 'usage: test EXPR\ncheck\n\n  -e FILE  FILE exists\n');
  assert.equal(helpText(':', declaredBy({ description: 'nothing', options: {}, usage: ': [ARG...]', helpOption: false })), 'usage: : [ARG...]\nnothing\n');
  const page = manPage('test', declaredBy(test));
  assert.ok(page.includes('\nOPTIONS\n       -e FILE  FILE exists\n\nSEE ALSO\n       help(1), help test\n'), page);
  assert.ok(!('helpOption' in declaredBy({ options: {} })), 'only a false one is kept');
});

test('synopsis from the keys: flags clustered, then options with arguments and long names', () => {
  const declared = declaredBy(SORT);
  assert.deepEqual(synopsis('sort', declared), ['sort [-bnr] [-t C] [-k POS]... [--stable]']);
  const text = helpText('sort', declared);
  assert.ok(text.includes('\n  -t, --field-separator=C  fields end at C\n'), text);
  assert.ok(text.includes('\n  -k, --key=POS...         sort on POS\n'), text);
});

test('usageError: the problem, the usage and the pointer to --help on stderr; the status', () => {
  let written = '';
  globalThis.sys = { stderr: { write: (s) => void (written += s) } };
  const status = usageError('sort', { ...SORT, usage: 'sort [OPTION]... [FILE]...' }, "invalid option -- 'x'");
  assert.equal(status, 2);
  assert.equal(written, "sort: invalid option -- 'x'\nusage: sort [OPTION]... [FILE]...\nTry 'sort --help' for more information.\n");
  assert.equal(usageError('seq', { usage: 'seq LAST\nseq FIRST LAST' }, 'missing operand', 1), 1);
  assert.equal(usageText('seq', { usage: 'seq LAST\nseq FIRST LAST' }), 'usage: seq LAST\n   or: seq FIRST LAST\n');
  delete globalThis.sys;
});

test('completion offers each spelling of an option, without its argument\'s name', () => {
  const { optionsOf } = require('/lib/app-info');
  const source = "module.exports.options = { '-k, --key=POS...': 'a key', '-t C': 'tab', '-r': 'reverse', FILE: 'a file' };";
  assert.deepEqual(optionsOf(source), [['-k', 'a key'], ['--key', 'a key'], ['-t', 'tab'], ['-r', 'reverse']]);
});
