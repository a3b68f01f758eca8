// kernel/proc/linker.js: find the libraries an app needs before it starts.
//
// Apps cannot wait inside require(), so the kernel links them at spawn, like a
// dynamic loader reading DT_NEEDED: it scans the source for literal
// require('/lib/...') calls, and each library's source in turn, and sends
// every source along with the start message.
//
// Sources stay bytes here: the kernel never decodes them (the machine turns
// them into the app's strings, docs/abi.md SPAWN). A require's path is
// ASCII, so the scan works on the bytes: it jumps from one 'q' to the next
// with the engine's own indexOf (a q is rare in code), and reads a call
// where "re" comes before and "uire(" after. Decoding the shell's 170 KB
// of UTF-8 in JavaScript to run a regular expression over it cost the
// boot 4-10 ms. What a library requires is remembered: /lib is on the
// read-only image, so it cannot change while the kernel runs.
'use strict';

const ascii = (text) => [...text].map((c) => c.charCodeAt(0));
const BEFORE_Q = ascii('re'); // require(
const AFTER_Q = ascii('uire(');
const Q = 0x71;
const SPACES = ascii(' \t\r\n');
const QUOTES = ascii('\'"');
const PREFIX = '/lib/';
const PATH_MAX = 256;

const requiresOf = new Map(); // library path -> the library paths it requires

const bytesAt = (bytes, at, want) => want.every((b, i) => bytes[at + i] === b);

// The /lib paths that `bytes` (a source) requires with a literal string,
// in order of appearance: require('/lib/x') and require("/lib/x.js").
function scan(bytes) {
  const paths = [];
  for (let q = bytes.indexOf(Q); q >= 0; q = bytes.indexOf(Q, q + 1)) {
    if (q < 2 || !bytesAt(bytes, q - 2, BEFORE_Q) || !bytesAt(bytes, q + 1, AFTER_Q)) continue;
    if (q > 2 && /\w/.test(String.fromCharCode(bytes[q - 3]))) continue; // myrequire( is another name
    let at = q + 1 + AFTER_Q.length;
    while (SPACES.includes(bytes[at])) at++;
    const quote = bytes[at];
    if (!QUOTES.includes(quote)) continue;
    const end = bytes.indexOf(quote, at + 1);
    if (end < 0 || end - at > PATH_MAX) continue;
    let close = end + 1;
    while (SPACES.includes(bytes[close])) close++;
    if (bytes[close] !== 0x29) continue; // require('/lib/a' + b) is not a literal: not linked
    const path = String.fromCharCode(...bytes.subarray(at + 1, end));
    if (path.startsWith(PREFIX)) paths.push(path.endsWith('.js') ? path : path + '.js');
  }
  return paths;
}

// {path: Uint8Array} of every library `source` (the program's bytes) needs,
// directly or through another library. One that is missing is left out: the
// app's own require() reports it when it runs.
function link(vfs, source) {
  const modules = {};
  const todo = scan(source);
  while (todo.length) {
    const path = todo.pop();
    if (path in modules) continue;
    try {
      modules[path] = vfs.readBytes(path);
    } catch (e) {
      continue;
    }
    if (!(modules[path] instanceof Uint8Array)) {
      delete modules[path]; // /lib on a mounted disk would answer later: not linked
      continue;
    }
    if (!requiresOf.has(path)) requiresOf.set(path, scan(modules[path]));
    todo.push(...requiresOf.get(path));
  }
  return modules;
}

module.exports = { link };
