// fs/lib/web/dom-exception.js (/lib/web/dom-exception in the image): the
// DOMException of WebIDL §3.14.1 (https://webidl.spec.whatwg.org/#idl-DOMException),
// which V8 alone does not have: an Error with a `name` such as
// "InvalidCharacterError" or "DataCloneError" and the legacy numeric `code`
// of the names that had one. atob/btoa, structuredClone and
// crypto.getRandomValues throw these, and Workers code tests `e.name`.
'use strict';

// WebIDL's table of legacy codes (names without one have code 0).
const CODES = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(String(message));
    Object.defineProperty(this, 'name', { value: String(name), configurable: true, writable: true });
  }
  get code() { return CODES[this.name] || 0; }
  get [Symbol.toStringTag]() { return 'DOMException'; }
}
for (const [name, code] of Object.entries(CODES)) {
  const constant = name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toUpperCase() + '_ERR';
  Object.defineProperty(DOMException, constant, { value: code, enumerable: true });
}

module.exports = { DOMException };
