// fs/lib/copy.js (/lib/copy in the image): copying files and directories
// as GNU's cp does (apps/cp.js), and what mv does when a rename cannot
// cross from one file system to another (apps/mv.js: /tmp and a disk on
// /home), before it removes the source (/lib/file-tools, removeTree).
//
// Bytes are copied as bytes, through sys.fs.open's streams, so any file
// (binary too) arrives unchanged, at the pace of the kernel's pumps. A file
// is never copied onto itself (which would empty it), nor a directory into
// itself, and a directory only with `recursive`. A full file system stops
// the copy with GNU's "error writing 'DEST': No space left on device"; the
// source is untouched and, as with GNU's cp, what was written of DEST stays.
// With `recursive` a link is copied as a link, as GNU's cp -r does, so a
// link to a directory above is not copied for ever; without, it is followed.
'use strict';

const { reason, statOrNull, join, absolute, askYes } = require('/lib/file-tools');

class Copier {
  // opts: {recursive, preserve, verbose, interactive, noClobber}; `tool`
  // names the command in its messages.
  constructor(opts, tool = 'cp') {
    this.opts = opts;
    this.tool = tool;
    this.status = 0;
    this.input = ''; // what was read of standard input and not yet answered (-i)
  }

  fail(message) {
    sys.stderr.write(`${this.tool}: ${message}\n`);
    this.status = 1;
  }

  // One source to one destination; a directory with what it holds (-r).
  async copy(source, dest, top) {
    let st;
    try {
      st = this.opts.recursive ? await sys.fs.lstat(source) : await sys.fs.stat(source);
    } catch (e) {
      return this.fail(`cannot stat '${source}': ${reason(e)}`);
    }
    const destStat = await statOrNull(dest);
    if (st.type === 'dir') return this.copyDir(source, dest, st, destStat);
    if (st.type === 'symlink') return this.copyLink(source, dest, st);
    if (destStat !== null) {
      if (sameFile(source, dest, st, destStat)) return this.fail(`'${source}' and '${dest}' are the same file`);
      if (destStat.type === 'dir') return this.fail(`cannot overwrite directory '${dest}' with non-directory`);
      if (this.opts.noClobber) return undefined;
      if (this.opts.interactive && !(await this.ask(`${this.tool}: overwrite '${dest}'? `))) return undefined;
    } else if (top && dest.endsWith('/')) {
      return this.fail(`cannot create regular file '${dest}': Not a directory`);
    }
    if (await this.copyBytes(source, dest)) {
      if (this.opts.verbose) await sys.stdout.write(`'${source}' -> '${dest}'\n`);
      if (this.opts.preserve) await this.keepTime(dest, st.mtime);
    }
    return undefined;
  }

  async copyDir(source, dest, st, destStat) {
    if (!this.opts.recursive) return this.fail(`-r not specified; omitting directory '${source}'`);
    const from = absolute(source);
    const to = absolute(dest);
    if (to === from || to.startsWith(from === '/' ? '/' : from + '/')) {
      return this.fail(`cannot copy a directory, '${source}', into itself, '${dest}'`);
    }
    if (destStat !== null && destStat.type !== 'dir') {
      return this.fail(`cannot overwrite non-directory '${dest}' with directory '${source}'`);
    }
    if (destStat === null) {
      try {
        await sys.fs.mkdir(dest);
      } catch (e) {
        return this.fail(`cannot create directory '${dest}': ${reason(e)}`);
      }
      if (this.opts.verbose) await sys.stdout.write(`'${source}' -> '${dest}'\n`);
    }
    let entries;
    try {
      entries = await sys.fs.readdir(source);
    } catch (e) {
      return this.fail(`cannot access '${source}': ${reason(e)}`);
    }
    for (const entry of entries) await this.copy(join(source, entry.name), join(dest, entry.name), false);
    if (this.opts.preserve) await this.keepTime(dest, st.mtime);
    return undefined;
  }

  // -r: a link is made again at `dest`, holding the same target (a name
  // there goes first, as GNU's cp replaces it).
  async copyLink(source, dest, st) {
    const there = await sys.fs.lstat(dest).catch(() => null);
    if (there !== null) {
      if (there.type === 'dir') return this.fail(`cannot overwrite directory '${dest}' with non-directory`);
      if (this.opts.noClobber) return undefined;
      if (this.opts.interactive && !(await this.ask(`${this.tool}: overwrite '${dest}'? `))) return undefined;
      await sys.fs.unlink(dest).catch(() => {});
    }
    try {
      await sys.fs.symlink(st.target, dest);
    } catch (e) {
      return this.fail(`cannot create symbolic link '${dest}': ${reason(e)}`);
    }
    if (this.opts.verbose) await sys.stdout.write(`'${source}' -> '${dest}'\n`);
    return undefined;
  }

  // The bytes of `source` into `dest` (made, or emptied first), chunk by
  // chunk, each write awaited. True if all of them arrived.
  async copyBytes(source, dest) {
    let input;
    try {
      input = await sys.fs.open(source, 'r');
    } catch (e) {
      this.fail(`cannot open '${source}' for reading: ${reason(e)}`);
      return false;
    }
    let output;
    try {
      output = await sys.fs.open(dest, 'w');
    } catch (e) {
      await input.close().catch(() => {});
      this.fail(`cannot create regular file '${dest}': ${reason(e)}`);
      return false;
    }
    let failure = null;
    try {
      for (let chunk = await input.read(); chunk !== null; chunk = await input.read()) await output.write(chunk);
    } catch (e) {
      failure = e;
    }
    await input.close().catch(() => {});
    try {
      await output.close(); // the bytes are in the file now, or this says why not (ENOSPC)
    } catch (e) {
      failure = failure || e;
    }
    if (failure) {
      if (!failure.code) throw failure;
      this.fail(`error writing '${dest}': ${reason(failure)}`);
      return false;
    }
    return true;
  }

  // -p: the copy gets the source's modification time.
  async keepTime(dest, mtime) {
    try {
      await sys.fs.utimes(dest, mtime);
    } catch (e) {
      this.fail(`preserving times for '${dest}': ${reason(e)}`);
    }
  }

  // -i: the question on stderr, a line of standard input as the answer (y or Y: yes).
  ask(question) {
    return askYes(question, this);
  }
}

// One file under two names: the same path, or (through a link, or two
// hard links) the same inode.
function sameFile(source, dest, st, destStat) {
  if (absolute(source) === absolute(dest)) return true;
  return st.ino !== undefined && st.ino === destStat.ino;
}

module.exports = { Copier };
