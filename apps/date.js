// apps/date.js: print the machine's date and time, as GNU date does in the
// C locale: `Thu Jan  1 00:00:00 UTC 1970`, or +FORMAT. -u uses UTC instead
// of local time; -d @SECONDS (or -d 'YYYY-MM-DD[ HH:MM[:SS]]') shows that
// moment instead of now. The clock is the app's wall clock (Date.now(), as
// of the current event: docs/apps.md, "Clocks"), which cannot be set here.
//
// FORMAT's conversions: %a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k
// %l %m %M %n %N %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %:z
// %Z %%, each with GNU's flags: %-d (no padding), %_d (spaces), %0e
// (zeros), %^a (upper case). An unknown conversion is printed as written.
'use strict';

const { parseOptions, usageError } = require('/lib/options');

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DEFAULT_FORMAT = '%a %b %e %H:%M:%S %Z %Y';
const DAY_MS = 86400000;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usage(parsed.error);
  const { utc } = parsed.options;
  const when = parsed.options.date;
  const operands = parsed.operands;
  if (operands.length > 1) return usage(`extra operand '${operands[1]}'`);
  if (operands.length === 1 && !operands[0].startsWith('+')) {
    sys.stderr.write(`date: invalid date '${operands[0]}': the clock cannot be set here\n`);
    return 1;
  }
  let ms = Date.now();
  if (when !== null) {
    ms = parseDate(when, utc);
    if (Number.isNaN(ms)) {
      sys.stderr.write(`date: invalid date '${when}'\n`);
      return 1;
    }
  }
  const format = operands.length === 1 ? operands[0].slice(1) : DEFAULT_FORMAT;
  await sys.stdout.write(strftime(format, timeParts(ms, utc)) + '\n');
  return 0;
};

// '@1700000000', '@-5.5', '2024-02-29', '2024-02-29 13:05[:07]' (or with a
// 'T'): milliseconds since 1970, NaN if not one of these.
function parseDate(text, utc) {
  const at = /^@\s*([+-]?\d+(?:\.\d+)?)$/.exec(text.trim());
  if (at) return Math.floor(Number(at[1]) * 1000);
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] || 0, m[5] || 0, m[6] || 0].map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month - 1) || hour > 23 || minute > 59 || second > 60) return NaN;
  return utc ? Date.UTC(year, month - 1, day, hour, minute, second) : new Date(year, month - 1, day, hour, minute, second).getTime();
}

const isLeap = (year) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year, month) => [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month];

// The calendar fields of a moment, in UTC or local time.
function timeParts(ms, utc) {
  const d = new Date(ms);
  const offset = utc ? 0 : -d.getTimezoneOffset(); // minutes east of UTC
  const local = new Date(ms + offset * 60000); // read with the UTC getters
  const year = local.getUTCFullYear();
  const yearDay = Math.floor((Date.UTC(year, local.getUTCMonth(), local.getUTCDate()) - Date.UTC(year, 0, 1)) / DAY_MS); // 0-365
  return {
    ms,
    year,
    month: local.getUTCMonth(),
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    milli: ((ms % 1000) + 1000) % 1000,
    weekday: local.getUTCDay(),
    yearDay,
    offset,
    zone: utc ? 'UTC' : zoneName(d, offset),
  };
}

// The local zone's abbreviation ('UTC', 'CET', 'PST'), or GNU's numeric
// stand-in ('+0530') when there is none.
function zoneName(d, offset) {
  if (offset === 0) return 'UTC';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    if (part && /^[A-Z]{2,5}$/.test(part.value)) return part.value;
  } catch (e) {
    // no Intl: the number below
  }
  return numericZone(offset, '');
}

function numericZone(offset, colon) {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${sign}${pad2(Math.floor(abs / 60))}${colon}${pad2(abs % 60)}`;
}
const pad2 = (n) => String(n).padStart(2, '0');

// ISO 8601 week-based year and week (weeks start on Monday; week 1 holds the
// year's first Thursday).
function isoWeek(t) {
  const mondayBased = (t.weekday + 6) % 7; // Monday 0 ... Sunday 6
  const thursday = Date.UTC(t.year, t.month, t.day) + (3 - mondayBased) * DAY_MS;
  const isoYear = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(isoYear, 0, 1)) / (7 * DAY_MS)) + 1;
  return { isoYear, week };
}

// One conversion: [text, padding, width] for numbers, [text] for words.
function convert(code, t, colon) {
  const hour12 = t.hour % 12 || 12;
  switch (code) {
    case 'a': return [DAYS[t.weekday].slice(0, 3)];
    case 'A': return [DAYS[t.weekday]];
    case 'b':
    case 'h': return [MONTHS[t.month].slice(0, 3)];
    case 'B': return [MONTHS[t.month]];
    case 'c': return [strftime('%a %b %e %H:%M:%S %Y', t)];
    case 'C': return [Math.floor(t.year / 100), '0', 2];
    case 'd': return [t.day, '0', 2];
    case 'D': return [strftime('%m/%d/%y', t)];
    case 'e': return [t.day, ' ', 2];
    case 'F': return [strftime('%Y-%m-%d', t)];
    case 'g': return [isoWeek(t).isoYear % 100, '0', 2];
    case 'G': return [isoWeek(t).isoYear, '0', 4];
    case 'H': return [t.hour, '0', 2];
    case 'I': return [hour12, '0', 2];
    case 'j': return [t.yearDay + 1, '0', 3];
    case 'k': return [t.hour, ' ', 2];
    case 'l': return [hour12, ' ', 2];
    case 'm': return [t.month + 1, '0', 2];
    case 'M': return [t.minute, '0', 2];
    case 'n': return ['\n'];
    case 'N': return [String(t.milli * 1e6).padStart(9, '0')];
    case 'p': return [t.hour < 12 ? 'AM' : 'PM'];
    case 'P': return [t.hour < 12 ? 'am' : 'pm'];
    case 'r': return [strftime('%I:%M:%S %p', t)];
    case 'R': return [strftime('%H:%M', t)];
    case 's': return [String(Math.floor(t.ms / 1000))];
    case 'S': return [t.second, '0', 2];
    case 't': return ['\t'];
    case 'T': return [strftime('%H:%M:%S', t)];
    case 'u': return [((t.weekday + 6) % 7) + 1, '0', 1];
    case 'U': return [Math.floor((t.yearDay + 7 - t.weekday) / 7), '0', 2];
    case 'V': return [isoWeek(t).week, '0', 2];
    case 'w': return [t.weekday, '0', 1];
    case 'W': return [Math.floor((t.yearDay + 7 - ((t.weekday + 6) % 7)) / 7), '0', 2];
    case 'x': return [strftime('%m/%d/%y', t)];
    case 'X': return [strftime('%H:%M:%S', t)];
    case 'y': return [t.year % 100, '0', 2];
    case 'Y': return [t.year, '0', 1];
    case 'z': return [numericZone(t.offset, colon ? ':' : '')];
    case 'Z': return [t.zone];
    case '%': return ['%'];
    default: return null;
  }
}

// Expands FORMAT's %-conversions for the moment `t` (timeParts).
function strftime(format, t) {
  return format.replace(/%([-_0^]*)(:?)(.)/gs, (whole, flags, colon, code) => {
    if (colon && code !== 'z') return whole;
    const done = convert(code, t, colon);
    if (done === null) return whole;
    const [value, padding, width] = done;
    let text = String(value);
    if (padding !== undefined) {
      const negative = text.startsWith('-');
      let digits = negative ? text.slice(1) : text;
      const fill = flags.includes('-') ? '' : flags.includes('_') ? ' ' : flags.includes('0') ? '0' : padding;
      if (fill) digits = digits.padStart(width - (negative ? 1 : 0), fill);
      text = (negative ? '-' : '') + digits;
    }
    return flags.includes('^') ? text.toUpperCase() : text;
  });
}

const usage = (problem) => usageError('date', module.exports, problem);

module.exports.description = 'print the date and time';
module.exports.options = {
  '-u, --utc': 'in UTC',
  '-d, --date=STRING': "that moment instead of now: @SECONDS or 'YYYY-MM-DD[ HH:MM[:SS]]'",
};
module.exports.usage = "date [-u] [-d @SECONDS|'YYYY-MM-DD[ HH:MM[:SS]]'] [+FORMAT]";
