// fs/lib/worker/log-lines.js (/lib/worker/log-lines in the image): one
// line of `worker logs` (and of GET /workers/NAME/logs): when, which
// request (its X-Request-Id), what kind (log, warn, error, a limit, an
// exception, a deploy) and the text, continuation lines indented.
'use strict';

function formatLog({ time, id, level, message }) {
  return `${time} ${id || '-'} ${level} ${String(message).replace(/\n/g, '\n    ')}\n`;
}

module.exports = { formatLog };
