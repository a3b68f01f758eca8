// fs/lib/file-mode.js (/lib/file-mode in the image): chmod's MODE, numeric
// or symbolic, parsed as GNU's chmod parses it (gnulib's modechange.c:
// mode_compile, then mode_adjust for each file), and a mode's text for
// chmod -v. GNU coreutils' manual, "File permissions", is the reference:
//
//   MODE    = CLAUSE[,CLAUSE]...  or an octal number of at most 4 digits
//   CLAUSE  = [ugoa]...[[-+=][PERMS]]...
//   PERMS   = [rwxXst]...  or one of u, g, o (copy that class's bits)
//
// jsksh has no umask, so a clause without u, g, o or a is as if it said a
// (GNU's with a umask of 0). A directory keeps its set-user-ID and
// set-group-ID bits unless the mode names them ('=' and a numeric mode of
// fewer than five digits leave them), as GNU's chmod does.
'use strict';

const SUID = 0o4000;
const SGID = 0o2000;
const STICKY = 0o1000;
const ALL = 0o7777; // CHMOD_MODE_BITS
const WHO = { u: SUID | 0o700, g: SGID | 0o070, o: STICKY | 0o007, a: ALL };
const PERM = { r: 0o444, w: 0o222, x: 0o111, s: SUID | SGID, t: STICKY };
const COPY = { u: 0o700, g: 0o070, o: 0o007 };

// The changes a MODE makes, [{op, flag, affected, value, mentioned}], or
// null if it is not a mode ("chmod: invalid mode: 'MODE'").
function compileMode(text) {
  text = String(text);
  if (/^[0-7]+$/.test(text)) {
    const mode = parseInt(text, 8);
    if (mode > ALL) return null;
    // Fewer than five digits leave a directory's set-ID bits as they are.
    const mentioned = text.length < 5 ? (mode & (SUID | SGID)) | STICKY | 0o777 : ALL;
    return [{ op: '=', flag: 'ordinary', affected: ALL, value: mode, mentioned }];
  }
  const changes = [];
  for (const clause of text.split(',')) {
    let i = 0;
    let who = 0;
    for (; i < clause.length && 'ugoa'.includes(clause[i]); i++) who |= WHO[clause[i]];
    if (i === clause.length) return null; // no operator: 'u', '' (a trailing or doubled comma)
    while (i < clause.length) {
      const op = clause[i++];
      if (!'+-='.includes(op)) return null;
      let value = 0;
      let flag = 'ordinary';
      if (i < clause.length && COPY[clause[i]] !== undefined) {
        flag = 'copy';
        value = COPY[clause[i++]];
      } else {
        for (; i < clause.length && 'rwxXst'.includes(clause[i]); i++) {
          if (clause[i] === 'X') flag = 'x-if-any-x';
          else value |= PERM[clause[i]];
        }
      }
      changes.push({ op, flag, affected: who || ALL, value, mentioned: who ? who & value : value });
    }
  }
  return changes;
}

// The mode after `changes` (compileMode's) on a file whose mode is `mode`;
// `isDir` for a directory (X, and the set-ID bits kept).
function adjustMode(mode, isDir, changes) {
  let out = mode & ALL;
  for (const c of changes) {
    const omit = (isDir ? SUID | SGID : 0) & ~c.mentioned;
    let value = c.value;
    if (c.flag === 'copy') {
      value &= out;
      value = (value & 0o444 ? 0o444 : 0) | (value & 0o222 ? 0o222 : 0) | (value & 0o111 ? 0o111 : 0);
    } else if (c.flag === 'x-if-any-x' && (out & 0o111 || isDir)) {
      value |= 0o111;
    }
    value &= c.affected & ~omit;
    if (c.op === '=') {
      const preserved = ~c.affected | omit;
      out = (out & preserved) | value;
    } else if (c.op === '+') {
      out |= value;
    } else {
      out &= ~value;
    }
  }
  return out & ALL;
}

// 'rwxr-xr-x' (s, S, t, T for the set-ID and sticky bits), as chmod -v
// and ls -l show the nine permission bits.
function modeText(mode) {
  let text = '';
  const special = [SUID, SGID, STICKY];
  for (let k = 0; k < 3; k++) {
    const rwx = (mode >> (6 - 3 * k)) & 7;
    const mark = k === 2 ? 't' : 's';
    const x = mode & special[k] ? (rwx & 1 ? mark : mark.toUpperCase()) : rwx & 1 ? 'x' : '-';
    text += (rwx & 4 ? 'r' : '-') + (rwx & 2 ? 'w' : '-') + x;
  }
  return text;
}

// '0644': the mode as chmod -v prints it.
const octal = (mode) => (mode & ALL).toString(8).padStart(4, '0');

module.exports = { compileMode, adjustMode, modeText, octal };
