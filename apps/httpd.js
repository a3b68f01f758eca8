// apps/httpd.js: serve a directory of the file system over HTTP/1.1: its
// files with their content types (index.html for a directory that has one,
// else a listing), HEAD and single byte ranges, one line per request on
// standard output in the common log format. Ctrl-C ends it.
//
// Only GET and HEAD (405 otherwise); a path that leaves DIR with '..' is
// 403, a missing one 404. Small files are kept in memory between requests
// (/lib/http/file-cache: trusted for --cache-valid ms, then stat'ed again),
// so serving one again costs no kernel call; larger ones are sent as they
// are read, 64 KiB at a time, so a large file never sits whole in memory.
// Built on /lib/http/server.
'use strict';

const { parseOptions, usageError } = require('/lib/options');
const { createServer } = require('/lib/http/server');
const { contentType } = require('/lib/http/content-type');
const { byteRange } = require('/lib/http/range');
const { reasonOf } = require('/lib/http/errors');
const { FileCache } = require('/lib/http/file-cache');

const PIECE = 65536;
// httpd takes no request bodies (GET and HEAD only), so a body over this is
// refused from its Content-Length, or as it arrives when chunked: 413 and
// the close, before any of it is read (nginx's client_max_body_size, 1m).
const MAX_BODY = 1 << 20;

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('httpd', module.exports, parsed.error);
  const { options, operands } = parsed;
  if (operands.length > 1) return usageError('httpd', module.exports, `extra operand '${operands[1]}'`);
  const port = options.port === null ? 80 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError('httpd', module.exports, `bad port '${options.port}'`);
  const valid = options['cache-valid'] === null ? 1000 : Number(options['cache-valid']);
  if (!Number.isFinite(valid) || valid < 0) return usageError('httpd', module.exports, `bad --cache-valid '${options['cache-valid']}'`);
  const root = absolute(operands[0] || '.');
  try {
    const st = await sys.fs.stat(root);
    if (st.type !== 'dir') throw Object.assign(new Error('Not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    sys.stderr.write(`httpd: ${operands[0] || '.'}: ${e.message}\n`);
    return 1;
  }
  const cache = new FileCache({ fs: sys.fs, valid });
  const server = createServer((req, res) => serve(root, cache, req, res), {
    limits: { body: MAX_BODY },
    onError: (e, req) => sys.stderr.write(`httpd: ${req.method} ${req.target}: ${e.message}\n`),
  });
  try {
    await server.listen(port);
  } catch (e) {
    sys.stderr.write(`httpd: port ${port}: ${e.message}\n`);
    return 1;
  }
  if (!options.quiet) sys.stderr.write(`httpd: serving ${root} on port ${server.port}\n`);
  // It runs until Ctrl-C or kill: the listener keeps the app alive.
  return 0;
};

// One request: the file, the directory's index or listing, or an error.
async function serve(root, cache, req, res) {
  try {
    await answer(root, cache, req, res);
  } finally {
    logLine(req, res);
  }
}

async function answer(root, cache, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return page(res, 405, `${req.method} is not allowed here`);
  }
  let path;
  try {
    path = decodeURIComponent(req.path);
  } catch (e) {
    return page(res, 400, 'bad percent-encoding in the path');
  }
  if (!path.startsWith('/') || path.includes('\0')) return page(res, 400, 'bad path');
  // No way out of DIR: a '..' segment is refused rather than resolved.
  if (path.split('/').includes('..')) return page(res, 403, 'forbidden');
  const file = root === '/' ? path : root + path;
  let entry;
  try {
    entry = await cache.get(file);
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return page(res, 404, `${path} is not here`);
    if (e.code === 'EACCES' || e.code === 'EPERM') return page(res, 403, 'forbidden');
    throw e;
  }
  if (entry.st.type === 'dir') {
    // A directory's URL ends with '/', so relative links in it work.
    if (!path.endsWith('/')) {
      res.setHeader('Location', encodePath(path) + '/' + (req.query ? `?${req.query}` : ''));
      return page(res, 301, 'moved');
    }
    let index = null;
    try {
      index = await cache.get(`${file}index.html`);
    } catch (e) {
      // no index: the listing
    }
    if (index && index.st.type === 'file') return sendFile(req, res, `${file}index.html`, index);
    return listing(res, path, await sys.fs.readdir(file));
  }
  return sendFile(req, res, file, entry);
}

// A file, whole (200) or one range of it (206): from the cache's copy, or
// as it is read.
async function sendFile(req, res, file, entry) {
  const { st, bytes } = entry;
  const size = st.size;
  res.setHeader('Content-Type', contentType(file));
  if (!entry.lastModified) entry.lastModified = new Date(st.mtime * 1000).toUTCString();
  res.setHeader('Last-Modified', entry.lastModified);
  res.setHeader('Accept-Ranges', 'bytes');
  let start = 0;
  let end = size - 1;
  const range = req.method === 'GET' || req.method === 'HEAD' ? byteRange(req.headers.range, size) : null;
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    return page(res, 416, `the file has ${size} bytes`);
  }
  if (range) {
    ({ start, end } = range);
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  }
  const length = end - start + 1;
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) return res.end();
  if (bytes) return res.end(start === 0 && length === bytes.length ? bytes : bytes.subarray(start, end + 1)); // head and body in one write
  const f = await sys.fs.open(file, 'r');
  try {
    // The image's files cannot seek: the bytes before the range are read and dropped.
    for (let skipped = 0; skipped < start; ) {
      const bytes = await f.read(Math.min(PIECE, start - skipped));
      if (bytes === null) break;
      skipped += bytes.length;
    }
    for (let left = length; left > 0; ) {
      const bytes = await f.read(Math.min(PIECE, left));
      if (bytes === null) throw new Error(`${file} ended ${left} bytes early`);
      left -= bytes.length;
      await res.write(bytes);
    }
  } finally {
    await f.close().catch(() => {});
  }
  return res.end();
}

// A directory as an HTML list of links, directories first marked with '/'.
function listing(res, path, entries) {
  const rows = entries.map((e) => {
    const name = e.name + (e.type === 'dir' ? '/' : '');
    const size = e.type === 'dir' ? '-' : String(e.size);
    return `<tr><td><a href="${escapeHtml(encodeURIComponent(e.name) + (e.type === 'dir' ? '/' : ''))}">${escapeHtml(name)}</a></td><td align="right">${size}</td></tr>`;
  });
  const up = path === '/' ? '' : '<tr><td><a href="../">../</a></td><td></td></tr>\n';
  const title = `Index of ${escapeHtml(path)}`;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  return res.end(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body><h1>${title}</h1>\n<table>\n${up}${rows.join('\n')}\n</table>\n</body></html>\n`);
}

// A short HTML page for a status other than 200.
function page(res, status, message) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  return res.end(`<!DOCTYPE html>\n<html><head><title>${status} ${reasonOf(status)}</title></head><body><h1>${status} ${reasonOf(status)}</h1><p>${escapeHtml(message)}</p></body></html>\n`);
}

// The common log format: host ident authuser [date] "request line" status bytes.
function logLine(req, res) {
  const status = res.headersSent ? res.statusCode : 500;
  const bytes = res.bytesSent ? String(res.bytesSent) : '-';
  sys.stdout.write(`${req.remoteAddress || '-'} - - [${clfDate(new Date())}] "${req.method} ${req.target} HTTP/${req.version}" ${status} ${bytes}\n`);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n) => String(n).padStart(2, '0');
// 10/Oct/2000:13:55:36 +0000 (the machine's clock is UTC)
const clfDate = (d) => `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const encodePath = (p) => p.split('/').map(encodeURIComponent).join('/');

function absolute(dir) {
  const full = dir.startsWith('/') ? dir : `${sys.cwd.replace(/\/$/, '')}/${dir}`;
  const parts = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

module.exports.description = 'serve a directory over HTTP/1.1';
module.exports.options = {
  '-p, --port=PORT': 'listen on PORT (default 80)',
  '-q, --quiet': 'no start-up line on stderr',
  '--cache-valid=MS': 'trust what is known of a file for MS ms before a stat checks it again (default 1000; 0: every request)',
  DIR: 'the directory to serve (default: the current one)',
};
module.exports.usage = 'httpd [-q] [-p PORT] [--cache-valid=MS] [DIR]';
