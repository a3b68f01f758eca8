// apps/df.js: how full each file system is, as GNU coreutils' df shows it.
//
//   df [-hkT] [PATH...]
//
// jsksh has two file systems (sys.fs.statfs): the boot image on /, read-only
// and full by nature (its size is all used, nothing is available), and the
// tmpfs on /tmp, whose size is the machine's tmpfs.size (jsksh --tmp-size;
// 64 MiB unless set) and whose used bytes are the bytes of its files. With
// PATHs, the file system of each. Sizes are KiB rounded up (-k, the
// default), or with -h as 1.5K, 64M, ...; -T adds each one's type.
//
//   Filesystem     1K-blocks  Used Available Use% Mounted on
//   image               3348  3348         0 100% /
//   tmpfs              65536     4     65532   1% /tmp
'use strict';

const { reason, human } = require('/lib/file-tools');
const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('df', module.exports, parsed.error);
  // -h and -k: the last one given wins.
  const sizes = parsed.given.filter(([name]) => name === 'human-readable' || name === 'k');
  const opts = { human: sizes.length > 0 && sizes[sizes.length - 1][0] === 'human-readable', type: parsed.options['print-type'] };
  const paths = parsed.operands;

  let status = 0;
  let filesystems = [];
  if (paths.length === 0) filesystems = await sys.fs.statfs();
  for (const path of paths) {
    try {
      filesystems.push(await sys.fs.statfs(path));
    } catch (e) {
      if (!(e && e.code)) throw e;
      sys.stderr.write(`df: ${path}: ${reason(e)}\n`);
      status = 1;
    }
  }
  if (filesystems.length === 0) {
    sys.stderr.write('df: no file systems processed\n');
    return 1;
  }
  await sys.stdout.write(render(filesystems, opts));
  return status;
};

// GNU's columns: each as wide as its widest cell, at least its header and
// GNU's minimum; names and mount points to the left, numbers to the right.
function render(filesystems, opts) {
  const size = opts.human ? human : (bytes) => String(Math.ceil(bytes / 1024));
  const columns = [{ head: 'Filesystem', min: 14, left: true, cell: (f) => f.source }];
  if (opts.type) columns.push({ head: 'Type', min: 4, left: true, cell: (f) => f.type });
  columns.push(
    { head: opts.human ? 'Size' : '1K-blocks', min: 5, cell: (f) => size(f.size) },
    { head: 'Used', min: 5, cell: (f) => size(f.used) },
    { head: opts.human ? 'Avail' : 'Available', min: 5, cell: (f) => size(f.free) },
    { head: 'Use%', min: 4, cell: (f) => percent(f) },
    { head: 'Mounted on', min: 0, left: true, last: true, cell: (f) => f.mount },
  );
  const rows = [columns.map((c) => c.head), ...filesystems.map((f) => columns.map((c) => c.cell(f)))];
  const widths = columns.map((c, i) => Math.max(c.min, ...rows.map((row) => row[i].length)));
  const line = (row) =>
    row
      .map((cell, i) => (columns[i].last ? cell : columns[i].left ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join(' ');
  return rows.map(line).join('\n') + '\n';
}

// Used of what could be used, rounded up, as GNU's df: '-' for a file system of no size.
function percent(f) {
  const whole = f.used + f.free;
  return whole === 0 ? '-' : `${Math.ceil((f.used * 100) / whole)}%`;
}

module.exports.description = 'show how full the file systems are';
module.exports.options = {
  '-h, --human-readable': 'sizes as 1.5K, 64M, ...',
  '-k': 'sizes in KiB (the default)',
  '-T, --print-type': 'show each file system\'s type',
};
module.exports.usage = 'df [-hkT] [PATH...]';
