// apps/blktrace.js: the disk's last requests, as its device half saw them
// (jsksh/machine/virtio/blk.py keeps a ring of the last 256), oldest first:
// one line per request, as Linux's blkparse prints one per event.
//
//   TIME        TYPE   SECTOR  LENGTH  STATUS
//   0.412310    out         0    4096  ok
//   0.412904    flush       0       0  ok
//
// TIME is seconds since power-on; TYPE in (read), out (write), flush or
// get_id; LENGTH the data's bytes; STATUS ok, ioerr (the device failed it:
// a bad request, or --disk-errors) or unsupp. Reading the trace is not a
// request: it does not appear in it.
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('blktrace', argv, module.exports);
  if (refused !== null) return refused;
  let disk;
  try {
    disk = await sys.kernel.diskTrace();
  } catch (e) {
    await sys.stderr.write(`blktrace: ${e.message}\n`);
    return 1;
  }
  sys.table(
    ['TIME', 'TYPE', 'SECTOR', 'LENGTH', 'STATUS'],
    disk.trace.map((r) => [Number(r.time).toFixed(6), r.type, r.sector, r.length, r.status]),
  );
  return 0;
};

module.exports.description = "print the disk's last requests: time, type, sector, length, status";
module.exports.options = {};
