// fs/lib/app-info.js: what an app says about itself, read from its source.
//
// An app cannot require another app, so `help` and the shell's completion
// find the lines `module.exports.description = '...'` and
// `module.exports.options = { '-l': 'long listing', ... }` in the text of
// /bin/NAME.js (docs/apps.md, "The shape of an app").
'use strict';

// The string in `module.exports.description = '...'`, quotes of any kind.
function descriptionOf(source) {
  const match = /^module\.exports\.description\s*=\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/m.exec(source);
  return match ? match[2].replace(/\\(.)/g, '$1') : '';
}

// The [option, meaning] pairs of `module.exports.options = { ... }`.
function optionsOf(source) {
  const block = /^module\.exports\.options\s*=\s*\{([^}]*)\}/m.exec(source);
  if (!block) return [];
  const pairs = [];
  const pair = /(['"])(-[^'"]*)\1\s*:\s*(['"])((?:\\.|(?!\3)[^\\])*)\3/g;
  for (let m = pair.exec(block[1]); m !== null; m = pair.exec(block[1])) pairs.push([m[2], m[4]]);
  return pairs;
}

module.exports = { descriptionOf, optionsOf };
