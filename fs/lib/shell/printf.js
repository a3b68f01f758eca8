// fs/lib/shell/printf.js (/lib/shell/printf in the image): the formatting
// of the `printf` builtin (POSIX.1-2017 XCU printf).
//
// Conversions %s %b %c %d %i %u %o %x %X %%, with flags (- + space 0 #),
// a width and a precision (either may be *). Escapes in the format: \\ \a
// \b \f \n \r \t \v \" \' \NNN (octal). The format is used again while
// arguments are left; a missing argument is '' (or 0 for a number).
'use strict';

const ESCAPES = { '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', "'": "'" };

// Backslash escapes; for %b, \0NNN is octal and \c stops all output ({text, stop}).
function unescape(s, forB) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) {
      out += s[i];
      continue;
    }
    const c = s[++i];
    if (c in ESCAPES) out += ESCAPES[c];
    else if (forB && c === 'c') return { text: out, stop: true };
    else if (/[0-7]/.test(c)) {
      const max = forB && c === '0' ? 4 : 3;
      let digits = '';
      while (digits.length < max && /[0-7]/.test(s[i] || '')) digits += s[i++];
      i--;
      out += String.fromCharCode(parseInt(digits, 8) & 255);
    } else out += '\\' + c;
  }
  return { text: out, stop: false };
}

// A numeric argument: 'A (a character's code), 0x.., 0.., decimal.
function numberOf(arg, errors) {
  if (arg === undefined || arg === '') return 0;
  if (/^['"]/.test(arg)) return arg.length > 1 ? arg.codePointAt(1) : 0;
  const s = arg.trim();
  let m;
  if ((m = /^([-+]?)0[xX]([0-9a-fA-F]+)$/.exec(s))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 16);
  if ((m = /^([-+]?)0([0-7]+)$/.exec(s))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 8);
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  const lead = /^[-+]?[0-9]+/.exec(s);
  errors.push(`${arg}: invalid number`);
  return lead ? Number(lead[0]) : 0;
}

function pad(text, flags, width) {
  if (width === null || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  return text.padStart(width);
}

function formatNumber(n, conv, flags, width, precision) {
  const negative = n < 0;
  const abs = Math.abs(n);
  let digits;
  if (conv === 'o') digits = abs.toString(8);
  else if (conv === 'x') digits = abs.toString(16);
  else if (conv === 'X') digits = abs.toString(16).toUpperCase();
  else digits = String(abs);
  if (precision !== null) digits = digits.padStart(precision, '0');
  if (flags.includes('#') && conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
  if (flags.includes('#') && (conv === 'x' || conv === 'X') && abs !== 0) digits = (conv === 'x' ? '0x' : '0X') + digits;
  const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  if (flags.includes('0') && !flags.includes('-') && precision === null && width !== null) {
    return sign + digits.padStart(width - sign.length, '0');
  }
  return pad(sign + digits, flags, width);
}

const SPEC = /%([-+ 0#]*)(\*|[0-9]+)?(?:\.(\*|[0-9]*))?([sbcdiuoxX%])?/y;

function printf(format, args) {
  const errors = [];
  let out = '';
  let k = 0; // the next argument
  const take = () => args[k++];
  for (;;) {
    const start = k;
    let usedArgument = false;
    let i = 0;
    while (i < format.length) {
      const c = format[i];
      if (c === '\\') {
        const end = format[i + 1] !== undefined && /[0-7]/.test(format[i + 1]) ? i + 2 + (/^[0-7]{0,2}/.exec(format.slice(i + 2))[0].length) : i + 2;
        out += unescape(format.slice(i, end), false).text;
        i = end;
        continue;
      }
      if (c !== '%') {
        out += c;
        i++;
        continue;
      }
      SPEC.lastIndex = i;
      const m = SPEC.exec(format);
      if (!m[4]) {
        errors.push(`%${format.slice(i + 1, i + 2)}: invalid directive`);
        return { text: out, errors };
      }
      i = SPEC.lastIndex;
      const [, flags, widthSpec, precisionSpec, conv] = m;
      if (conv === '%') {
        out += '%';
        continue;
      }
      usedArgument = true;
      const width = widthSpec === undefined ? null : widthSpec === '*' ? numberOf(take(), errors) : Number(widthSpec);
      const precision = precisionSpec === undefined ? null : precisionSpec === '*' ? numberOf(take(), errors) : Number(precisionSpec || 0);
      const arg = take();
      if (conv === 's' || conv === 'b' || conv === 'c') {
        let text = arg === undefined ? '' : arg;
        if (conv === 'b') {
          const u = unescape(text, true);
          text = u.text;
          if (u.stop) return { text: out + pad(text, flags, width), errors };
        }
        if (conv === 'c') text = text.slice(0, 1);
        if (precision !== null && conv !== 'c') text = text.slice(0, precision);
        out += pad(text, flags, width);
      } else {
        let n = numberOf(arg, errors);
        if (conv === 'u' && n < 0) n = 2 ** 64 + n;
        out += formatNumber(n, conv === 'i' || conv === 'u' ? 'd' : conv, flags, width, precision);
      }
    }
    // Again while arguments are left, if the format took any.
    if (!usedArgument || k >= args.length || k === start) break;
  }
  return { text: out, errors };
}

module.exports = { printf };
