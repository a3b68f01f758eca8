// fs/lib/http/errors.js (/lib/http/errors in the image): HttpError, what
// the parser throws for a message it will not take, carrying the status a
// server answers it with (400, 413, 414, 431, 501, 505), and the reason
// phrases of the statuses (RFC 9110 §15).
'use strict';

const REASONS = {
  100: 'Continue', 101: 'Switching Protocols',
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 411: 'Length Required', 413: 'Content Too Large', 414: 'URI Too Long', 416: 'Range Not Satisfiable',
  417: 'Expectation Failed', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable', 505: 'HTTP Version Not Supported',
};

const reasonOf = (status) => REASONS[status] || '';

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

module.exports = { HttpError, REASONS, reasonOf };
