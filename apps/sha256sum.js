// apps/sha256sum.js: print or check SHA-256 checksums (FIPS 180-4), as GNU
// coreutils' sha256sum does. The hashing is /lib/sha256.
//
//   sha256sum [FILE...]       one line a file: 64 hex digits, two spaces, the
//                             name; no FILE, or '-', is standard input
//   sha256sum -c [FILE...]    read such lines from each FILE (or standard
//                             input), hash the files they name and print
//                             NAME: OK or NAME: FAILED; status 1 if any failed
//
// Names with a backslash, a newline or a carriage return are written
// escaped (\\, \n, \r) on a line that starts with a backslash, so every
// line stays one line; -c reads them back the same way, and also reads the
// BSD form 'SHA256 (NAME) = HEX'. Messages about a file quote its name when
// a shell would need the quotes, as GNU's do.
'use strict';

const { Sha256, hex } = require('/lib/sha256');
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('sha256sum', module.exports, parsed.error, 1);
  const check = parsed.options.check;
  const names = parsed.operands.length > 0 ? parsed.operands : ['-'];

  let status = 0;
  for (const name of names) {
    if (check) {
      status |= await checkList(name);
      continue;
    }
    let digest;
    try {
      digest = await hashFile(name);
    } catch (e) {
      if (!(e && e.code)) throw e; // not a kernel error: a bug, not a file's fault
      await sys.stderr.write(`sha256sum: ${quoteIfNeeded(name)}: ${reason(e)}\n`);
      status = 1;
      continue;
    }
    await sys.stdout.write(`${escapeMark(name)}${digest}  ${escapeName(name)}\n`);
  }
  return status;
};

// The SHA-256 of a file's bytes ('-': standard input), as hex.
async function hashFile(name) {
  const hash = new Sha256();
  if (name === '-') {
    for (let chunk = await sys.stdin.readBytes(); chunk !== null; chunk = await sys.stdin.readBytes()) hash.update(chunk);
    return hex(hash.digest());
  }
  const file = await sys.fs.open(name, 'r');
  try {
    for (let chunk = await file.read(); chunk !== null; chunk = await file.read()) hash.update(chunk);
  } finally {
    await file.close();
  }
  return hex(hash.digest());
}

// Checks every line of one checksum list; returns the status (0 or 1).
// The messages, and the warnings at the end, are GNU's (coreutils digest.c).
async function checkList(listName) {
  let text;
  try {
    text = listName === '-' ? await readStdinText() : await sys.fs.readFile(listName);
  } catch (e) {
    if (!(e && e.code)) throw e;
    await sys.stderr.write(`sha256sum: ${quoteIfNeeded(listName)}: ${reason(e)}\n`);
    return 1;
  }
  const counts = { formatted: 0, misformatted: 0, unreadable: 0, mismatched: 0 };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue; // empty lines and comments
    const entry = parseLine(line);
    if (!entry) {
      counts.misformatted++;
      continue;
    }
    counts.formatted++;
    // GNU escapes a name here only when it has a newline (coreutils 9.1).
    const shown = entry.name.includes('\n') ? '\\' + escapeName(entry.name) : entry.name;
    let digest;
    try {
      digest = await hashFile(entry.name);
    } catch (e) {
      if (!(e && e.code)) throw e;
      await sys.stderr.write(`sha256sum: ${quoteIfNeeded(entry.name)}: ${reason(e)}\n`);
      await sys.stdout.write(`${shown}: FAILED open or read\n`);
      counts.unreadable++;
      continue;
    }
    const ok = digest === entry.digest.toLowerCase();
    if (!ok) counts.mismatched++;
    await sys.stdout.write(`${shown}: ${ok ? 'OK' : 'FAILED'}\n`);
  }

  if (counts.formatted === 0) {
    const display = quoteIfNeeded(listName === '-' ? 'standard input' : listName);
    await sys.stderr.write(`sha256sum: ${display}: no properly formatted checksum lines found\n`);
    return 1;
  }
  const warn = (n, one, many) => (n > 0 ? `sha256sum: WARNING: ${n} ${n === 1 ? one : many}\n` : '');
  await sys.stderr.write(
    warn(counts.misformatted, 'line is improperly formatted', 'lines are improperly formatted') +
      warn(counts.unreadable, 'listed file could not be read', 'listed files could not be read') +
      warn(counts.mismatched, 'computed checksum did NOT match', 'computed checksums did NOT match'),
  );
  return counts.unreadable > 0 || counts.mismatched > 0 ? 1 : 0;
}

// One checksum line: 'HEX  NAME' (or 'HEX *NAME', binary mode), or BSD's
// 'SHA256 (NAME) = HEX'; a leading backslash means NAME is escaped.
// Returns {digest, name}, or null for a line that is neither.
function parseLine(line) {
  const text = line.replace(/^[ \t]+/, '');
  const escaped = text.startsWith('\\');
  const rest = escaped ? text.slice(1) : text;
  let match;
  let digest;
  let name;
  if ((match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(rest))) [, digest, name] = match;
  else if ((match = /^SHA256 \((.+)\) ?= ([0-9a-fA-F]{64})$/.exec(rest))) [, name, digest] = match;
  else return null;
  const unescaped = escaped ? unescapeName(name) : name;
  return unescaped === null ? null : { digest, name: unescaped };
}

// GNU's escaping of names in checksum lines: \\ for a backslash, \n for a
// newline, \r for a carriage return.
const NEEDS_ESCAPE = /[\\\n\r]/;
const escapeMark = (name) => (NEEDS_ESCAPE.test(name) ? '\\' : '');
const escapeName = (name) => name.replace(/[\\\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'));

// The name an escaped name stands for; null if it has an unknown escape.
function unescapeName(name) {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    if (name[i] !== '\\') {
      out += name[i];
      continue;
    }
    const next = name[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else return null;
  }
  return out;
}

// GNU's quotef: a name in a message is quoted when a shell would need it
// quoted ('standard input', 'a b', 'a\\b'); plain names stay as they are.
const quoteIfNeeded = (name) => (/^[\w%+,\-./:=@^\u0080-\uffff]+$/.test(name) ? name : `'${name}'`);

async function readStdinText() {
  let text = '';
  for (let chunk = await sys.stdin.read(); chunk !== null; chunk = await sys.stdin.read()) text += chunk;
  return text;
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'print or check SHA-256 checksums';
module.exports.options = { '-c, --check': 'read checksums from the files and check them' };
module.exports.usage = 'sha256sum [-c] [FILE...]';
