// apps/du.js: how many bytes the files under each PATH hold, as GNU
// coreutils' du shows it: a line per directory (the deepest first), then
// the PATH itself; `.` with no PATH.
//
//   du [-sahbc] [-d N] [PATH...]
//
// jsksh's file systems keep no blocks: a file's usage is its size in bytes
// (what GNU's du --apparent-size counts), and a directory adds nothing of
// its own. Numbers are KiB rounded up, as GNU's are; -h makes them 1.5K,
// 12M, ...; -b bytes.
'use strict';

const { reason, human } = require('/lib/file-tools');
const { parseOptions, usageText, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usage(parsed.error);
  const { options } = parsed;
  const opts = { summarize: options.summarize, all: options.all, human: options['human-readable'], bytes: options.bytes, total: options.total, depth: Infinity };
  const paths = parsed.operands;
  const depth = options['max-depth'];
  const depthGiven = depth !== null;
  if (depthGiven) {
    if (!/^\d+$/.test(depth)) {
      sys.stderr.write(`du: invalid maximum depth '${depth}'\n`);
      return 1;
    }
    opts.depth = Number(depth);
  }
  if (opts.summarize && opts.all) return usage('cannot both summarize and show all entries');
  if (opts.summarize && depthGiven && opts.depth !== 0) {
    sys.stderr.write(`du: warning: summarizing conflicts with --max-depth=${opts.depth}\n${usageText('du', module.exports)}`);
    return 1;
  }
  if (opts.summarize) opts.depth = 0;
  if (paths.length === 0) paths.push('.');

  const walker = new Walker(opts);
  let total = 0;
  for (const path of paths) {
    const bytes = await walker.walk(path, 0, true);
    if (bytes !== null) total += bytes;
  }
  if (opts.total) walker.line(total, 'total');
  await walker.flush();
  return walker.status;
};

class Walker {
  constructor(opts) {
    this.opts = opts;
    this.status = 0;
    this.out = [];
  }

  // The bytes under `path`, printing its line and, within the depth, those
  // of the directories below it; null if it cannot be read at all.
  async walk(path, depth, top) {
    let st;
    try {
      st = await sys.fs.stat(path);
    } catch (e) {
      await this.fail(`cannot access '${path}': ${reason(e)}`);
      return null;
    }
    let bytes = 0;
    if (st.type === 'dir') {
      let entries = [];
      try {
        entries = await sys.fs.readdir(path);
      } catch (e) {
        await this.fail(`cannot read directory '${path}': ${reason(e)}`);
      }
      for (const entry of entries) {
        const child = join(path, entry.name);
        if (entry.type === 'dir') bytes += (await this.walk(child, depth + 1, false)) ?? 0;
        else {
          bytes += entry.size;
          if (this.opts.all && depth + 1 <= this.opts.depth) this.line(entry.size, child);
        }
      }
    } else bytes = st.size;
    if (top || depth <= this.opts.depth) this.line(bytes, path);
    if (this.out.length >= 256) await this.flush();
    return bytes;
  }

  line(bytes, path) {
    this.out.push(`${this.size(bytes)}\t${path}\n`);
  }

  size(bytes) {
    if (this.opts.bytes) return String(bytes);
    if (this.opts.human) return human(bytes);
    return String(Math.ceil(bytes / 1024));
  }

  async flush() {
    if (this.out.length) await sys.stdout.write(this.out.splice(0).join(''));
  }

  async fail(message) {
    await this.flush(); // in order with what was found before it
    sys.stderr.write(`du: ${message}\n`);
    this.status = 1;
  }
}

// 'dir/name'; a PATH that ends in '/' gets no second one (GNU's du shows 'a//b' never).
const join = (dir, name) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

const usage = (problem) => usageError('du', module.exports, problem);

module.exports.description = 'show how many bytes files and directories hold';
module.exports.options = {
  '-s, --summarize': 'only a total for each PATH',
  '-a, --all': 'a line for every file, not only directories',
  '-h, --human-readable': 'sizes as 1.5K, 12M, ...',
  '-b, --bytes': 'sizes in bytes',
  '-c, --total': 'a grand total at the end',
  '-d, --max-depth=N': 'lines only N directories deep',
};
module.exports.usage = 'du [-sahbc] [-d N] [PATH...]';
