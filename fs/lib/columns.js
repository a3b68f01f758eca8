// fs/lib/columns.js (/lib/columns in the image): lay out names in columns the
// way `ls` does, and write byte counts as human sizes (1.5K, 64M).
//
// columns() fills columns top to bottom, then left to right (column-major),
// and picks the most columns whose total width, with two spaces between
// columns, stays below the terminal width, as GNU ls does.
'use strict';

const GAP = 2; // spaces between columns

// Width of a name on the screen: code points, not UTF-16 units.
const widthOf = (name) => Array.from(name).length;

// columns(['a', 'bb', 'ccc'], 80) -> 'a  bb  ccc'. No trailing newline.
function columns(names, width = 80) {
  if (names.length === 0) return '';
  const widths = names.map(widthOf);
  // A column is at least one character and a gap wide (the last one no gap).
  const most = Math.min(names.length, Math.floor((width + GAP) / (1 + GAP)));
  for (let cols = most; cols > 1; cols--) {
    const layout = tryColumns(widths, cols);
    if (layout && layout.total < width) return render(names, widths, layout);
  }
  return names.join('\n');
}

// The layout with `cols` columns: rows, the width of each column and the
// total width of a line; null if it leaves a column empty.
function tryColumns(widths, cols) {
  const rows = Math.ceil(widths.length / cols);
  const used = Math.ceil(widths.length / rows); // columns actually filled
  if (used < cols) return null; // the same as a layout with fewer columns
  const colWidths = [];
  for (let c = 0; c < used; c++) {
    colWidths.push(Math.max(...widths.slice(c * rows, (c + 1) * rows)));
  }
  const total = colWidths.reduce((sum, w) => sum + w, 0) + GAP * (used - 1);
  return { rows, colWidths, total };
}

// Row r holds names r, r + rows, r + 2 * rows, ... each padded to its column.
function render(names, widths, { rows, colWidths }) {
  const lines = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < colWidths.length; c++) {
      const i = c * rows + r;
      if (i >= names.length) break;
      const last = c === colWidths.length - 1 || i + rows >= names.length;
      line += last ? names[i] : names[i] + ' '.repeat(colWidths[c] - widths[i] + GAP);
    }
    lines.push(line);
  }
  return lines.join('\n');
}

// formatSize(1536) -> '1.5K', like `ls -lh`: one decimal below 10, rounded
// up as GNU does, so a size never looks smaller than it is. `suffix` follows
// the unit letter: formatSize(1536, 'iB') -> '1.5KiB' (bytes get 'B' then).
function formatSize(n, suffix = '') {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  if (!Number.isFinite(n) || Math.abs(n) < 1024) return suffix ? `${n}B` : String(n);
  let value = n;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (Math.abs(value) >= 1024 && unit < units.length - 1);
  let text = value < 10 ? (Math.ceil(value * 10) / 10).toFixed(1) : String(Math.ceil(value));
  if (text === '10.0') text = '10';
  if (text === '1024' && unit < units.length - 1) {
    text = '1.0';
    unit++;
  }
  return text + units[unit] + suffix;
}

module.exports = { columns, formatSize };
