// fs/lib/http/content-type.js (/lib/http/content-type in the image): a
// file's media type from its extension (RFC 9110 §8.3), as a web server
// labels what it serves. The common types of /etc/mime.types; anything
// else is application/octet-stream, which a browser saves, not runs.
'use strict';

const TYPES = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', json: 'application/json',
  txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', csv: 'text/csv; charset=utf-8',
  xml: 'application/xml', svg: 'image/svg+xml', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  gif: 'image/gif', webp: 'image/webp', ico: 'image/vnd.microsoft.icon', pdf: 'application/pdf',
  wasm: 'application/wasm', zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar',
  woff: 'font/woff', woff2: 'font/woff2', mp3: 'audio/mpeg', mp4: 'video/mp4', wav: 'audio/wav',
  sh: 'text/plain; charset=utf-8', py: 'text/plain; charset=utf-8', conf: 'text/plain; charset=utf-8',
};

function contentType(name) {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  return TYPES[base.slice(dot + 1).toLowerCase()] || 'application/octet-stream';
}

module.exports = { contentType, TYPES };
