// fs/lib/web/index.js (/lib/web/index in the image): the Fetch standard's
// data types in one place (Headers, Request, Response, ReadableStream), and
// install(global), which the worker runtime (issue 14) calls to put them on
// a fresh isolate's global object before it runs a worker's code.
'use strict';

const { Headers } = require('/lib/web/headers');
const { ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController } = require('/lib/web/readable-stream');
const { Request } = require('/lib/web/request');
const { Response } = require('/lib/web/response');

const TYPES = { Headers, Request, Response, ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController };

// As a browser defines them: writable, configurable, not enumerable. A
// name the global already has is replaced.
function install(global) {
  for (const [name, value] of Object.entries(TYPES)) {
    Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  }
  return global;
}

module.exports = { ...TYPES, install };
