// apps/touch.js: set each FILE's modification time to now (or to -d's or
// -r's), making it, empty, if it does not exist, as GNU coreutils' touch does.
//
//   touch [-c] [-m] [-d DATE | -r FILE] FILE...
//
// jsksh keeps one time per file, the modification time, so -m (only that
// one) is what touch always does; there is no -a. Only /tmp can change:
// on the read-only image it is "cannot touch 'X': Read-only file system".
// DATE is @SECONDS (since 1970), 'now', or YYYY-MM-DD[ HH:MM[:SS[.frac]]]
// in local time ('T' between them, and Z or +HH:MM after, also work): a
// subset of what GNU's -d reads.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('touch', module.exports, parsed.error);
  const { options, operands: files } = parsed;
  const opts = { noCreate: options['no-create'], date: options.date, reference: options.reference };
  if (opts.date !== null && opts.reference !== null) return usageError('touch', module.exports, 'cannot specify times from more than one source');
  if (files.length === 0) return usageError('touch', module.exports, 'missing file operand', 1);

  // The time to set: undefined is now, the kernel's clock at the call.
  let time;
  if (opts.date !== null) {
    time = parseDate(opts.date);
    if (time === null) {
      sys.stderr.write(`touch: invalid date format '${opts.date}'\n`);
      return 1;
    }
  } else if (opts.reference !== null) {
    try {
      time = (await sys.fs.stat(opts.reference)).mtime;
    } catch (e) {
      if (!(e && e.code)) throw e;
      sys.stderr.write(`touch: failed to get attributes of '${opts.reference}': ${reason(e)}\n`);
      return 1;
    }
  }

  let status = 0;
  for (const file of files) {
    const problem = await touch(file, time, opts.noCreate);
    if (problem) {
      sys.stderr.write(`touch: ${problem}\n`);
      status = 1;
    }
  }
  return status;
};

// Sets one file's time, making the file first if it is missing; returns
// GNU's message for what went wrong, or null.
async function touch(file, time, noCreate) {
  try {
    await sys.fs.utimes(file, time);
    return null;
  } catch (e) {
    if (!(e && e.code)) throw e;
    if (e.code === 'ENOENT' && noCreate) return null; // -c: a missing file is no error
    if (e.code !== 'ENOENT') {
      // GNU opens the file first: the open's error, unless it is a directory (which it cannot open to write).
      const dir = await sys.fs.stat(file).then((st) => st.type === 'dir', () => false);
      return `${noCreate || dir ? 'setting times of' : 'cannot touch'} '${file}': ${reason(e)}`;
    }
  }
  try {
    // Opened to append, not to write: nothing there is truncated if another program made it meanwhile.
    const f = await sys.fs.open(file, 'a');
    await f.close();
    if (time !== undefined) await sys.fs.utimes(file, time);
    return null;
  } catch (e) {
    if (!(e && e.code)) throw e;
    return `cannot touch '${file}': ${reason(e)}`;
  }
}

// -d's DATE in seconds since 1970, or null if it is not one we read.
function parseDate(text) {
  const s = text.trim();
  if (s === 'now') return Date.now() / 1000;
  const at = /^@(-?\d+(?:\.\d+)?)$/.exec(s);
  if (at) return Number(at[1]);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)];
  if (fields[1] > 11 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 || fields[4] > 59 || fields[5] > 60) return null;
  let ms;
  if (zone === undefined) {
    ms = new Date(...fields).getTime(); // local time
  } else {
    const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    ms = Date.UTC(...fields) - offset * 60000;
  }
  return Number.isNaN(ms) ? null : ms / 1000 + (frac ? Number(frac) : 0);
}

// 'No such file or directory' from '/x: No such file or directory'.
function reason(e) {
  const message = String((e && e.message) || e);
  return e && e.code ? message.replace(/^.*?: /, '') : message;
}

module.exports.description = 'set modification times, making empty files';
module.exports.options = {
  '-c, --no-create': 'do not create files that do not exist',
  '-m': 'change the modification time (the only one kept)',
  '-d, --date=DATE': 'use DATE (@SECONDS, YYYY-MM-DD [HH:MM[:SS]]) instead of now',
  '-r, --reference=FILE': "use FILE's time instead of now",
};
module.exports.usage = 'touch [-c] [-m] [-d DATE | -r FILE] FILE...';
