// kernel/tty/table.js: render an app's table (sys.table) as aligned text.
//
// Apps never format tables: they send rows, and the kernel decides how they
// look where they land. Numbers are right-aligned, text left-aligned, the
// header row is the column names, like `ps` and `free` print.
'use strict';

function cell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch (e) {
      return String(v);
    }
  }
  return String(v);
}

function formatTable(columns, rows) {
  columns = Array.isArray(columns) ? columns.map(cell) : [];
  rows = Array.isArray(rows) ? rows.map((r) => (Array.isArray(r) ? r : [r])) : [];
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined || r[i] === null));
  const text = rows.map((r) => columns.map((_, i) => cell(r[i])));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .replace(/\s+$/, '');
  return [line(columns), ...text.map(line)].join('\n') + '\n';
}

module.exports = { formatTable };
