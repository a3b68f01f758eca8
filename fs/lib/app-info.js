// fs/lib/app-info.js: what an app says about itself, read from its source.
//
// An app cannot require another app, so `help`, `man` and the shell's
// completion find the lines `module.exports.description = '...'`,
// `module.exports.options = { '-l': 'long listing', ... }` and
// `module.exports.usage = '...'` in the text of /bin/NAME.js, and the
// header comment that opens it (docs/apps.md, "The shape of an app").
// /lib/app-help formats what they find.
'use strict';

const { optionSpec } = require('/lib/app-help');

// A quoted string, any of the three quotes; group 2 is its body.
const STRING = String.raw`(['"\x60])((?:\\.|(?!\1)[^\\])*)\1`;

// The body of a string literal with its escapes undone (\n, \t, \', \\).
function unquote(body) {
  return body.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c);
}

// The string in `module.exports.NAME = '...'`, or ''.
function declaredString(source, name) {
  const match = new RegExp(String.raw`^module\.exports\.${name}\s*=\s*${STRING}`, 'm').exec(source);
  return match ? unquote(match[2]) : '';
}

const descriptionOf = (source) => declaredString(source, 'description');
const usageOf = (source) => declaredString(source, 'usage');

// Every [key, meaning] pair of `module.exports.options = { ... }`: keys in
// quotes ('-l') or bare (route, PORT), in the order written.
function entriesOf(source) {
  const block = /^module\.exports\.options\s*=\s*\{([^}]*)\}/m.exec(source);
  if (!block) return [];
  const pairs = [];
  const pair = /(?:(['"])([^'"]*)\1|([A-Za-z_$][\w$]*))\s*:\s*(['"`])((?:\\.|(?!\4)[^\\])*)\4/g;
  for (let m = pair.exec(block[1]); m !== null; m = pair.exec(block[1])) pairs.push([m[2] ?? m[3], unquote(m[5])]);
  return pairs;
}

// The [option, meaning] pairs of the options that start with '-' (what the
// shell completes after a '-'): each way of writing one ('-r, --reverse'
// is '-r' and '--reverse'), without the name of its argument.
const optionsOf = (source) =>
  entriesOf(source).flatMap(([key, meaning]) => {
    const spec = optionSpec(key);
    return spec ? spec.spellings.map((spelling) => [spelling, meaning]) : [];
  });

// All of it, in the shape /lib/app-help takes: {description, options, usage}.
function declaredIn(source) {
  return { description: descriptionOf(source), options: entriesOf(source), usage: usageOf(source) };
}

// The first paragraph of the header comment, for man's DESCRIPTION: the
// '//' lines that open the file up to the first empty one, without the
// file's own name ('apps/ls.js: list ...' -> 'list ...').
function aboutOf(source) {
  const lines = [];
  for (const line of source.split('\n')) {
    const m = /^\/\/ ?(.*)$/.exec(line);
    if (!m || m[1].trim() === '') break;
    lines.push(m[1].trim());
  }
  return lines.join(' ').replace(/^[\w./-]+\.js(\s*\([^)]*\))?:\s*/, '');
}

module.exports = { descriptionOf, optionsOf, usageOf, declaredIn, aboutOf };
