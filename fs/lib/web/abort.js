// fs/lib/web/abort.js (/lib/web/abort in the image): AbortController and
// AbortSignal (WHATWG DOM §3.1-3.2, https://dom.spec.whatwg.org/#aborting-ongoing-activities),
// the way a worker calls off a fetch() (/lib/web/fetch) it no longer wants:
//
//   const controller = new AbortController();
//   fetch(url, { signal: controller.signal });   // rejects with an AbortError
//   controller.abort();
//
// A signal is aborted once, with a reason (an AbortError DOMException by
// default); then its abort algorithms run (what fetch() registers) and its
// "abort" listeners, onabort among them. AbortSignal.abort(reason),
// AbortSignal.timeout(ms) (a TimeoutError after ms, over setTimeout) and
// AbortSignal.any(signals) make the common kinds.
//
// Left out: a general EventTarget and Event (listeners get a plain
// { type, target } object, and only "abort" is ever dispatched).
'use strict';

const { DOMException } = require('/lib/web/dom-exception');

const kSignal = Symbol('signal');

function newSignal() {
  const signal = Object.create(AbortSignal.prototype);
  signal[kSignal] = { aborted: false, reason: undefined, listeners: [], algorithms: new Set(), onabort: null };
  return signal;
}

// DOM "signal abort" (#abortsignal-signal-abort): the reason is kept, the
// algorithms run, then the listeners hear an "abort" event.
function signalAbort(signal, reason) {
  const s = signal[kSignal];
  if (s.aborted) return;
  s.aborted = true;
  s.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
  for (const algorithm of [...s.algorithms]) algorithm(s.reason);
  s.algorithms.clear();
  const event = { type: 'abort', target: signal, currentTarget: signal };
  const listeners = [...s.listeners];
  if (typeof s.onabort === 'function') listeners.unshift({ callback: s.onabort, once: false });
  for (const entry of listeners) {
    if (entry.once) s.listeners = s.listeners.filter((l) => l !== entry);
    try {
      if (typeof entry.callback === 'function') entry.callback.call(signal, event);
      else entry.callback.handleEvent(event);
    } catch (e) {
      // DOM "report the exception": one listener's throw stops neither the others nor abort().
      if (typeof console !== 'undefined') console.error(e && e.stack ? e.stack : e);
    }
  }
}

class AbortSignal {
  constructor() {
    throw new TypeError('Illegal constructor: use new AbortController().signal');
  }

  get aborted() {
    return this[kSignal].aborted;
  }

  get reason() {
    return this[kSignal].reason;
  }

  get onabort() {
    return this[kSignal].onabort;
  }

  set onabort(callback) {
    this[kSignal].onabort = typeof callback === 'function' ? callback : null;
  }

  // DOM throwIfAborted() (#dom-abortsignal-throwifaborted).
  throwIfAborted() {
    if (this[kSignal].aborted) throw this[kSignal].reason;
  }

  addEventListener(type, callback, options) {
    if (type !== 'abort' || callback === null || callback === undefined) return;
    const once = Boolean(options && typeof options === 'object' && options.once);
    const s = this[kSignal];
    if (s.listeners.some((l) => l.callback === callback)) return; // DOM: a listener is added once
    s.listeners.push({ callback, once });
  }

  removeEventListener(type, callback) {
    if (type !== 'abort') return;
    const s = this[kSignal];
    s.listeners = s.listeners.filter((l) => l.callback !== callback);
  }

  // DOM AbortSignal.abort(reason) (#dom-abortsignal-abort): a signal aborted already.
  static abort(reason) {
    const signal = newSignal();
    signalAbort(signal, reason);
    return signal;
  }

  // DOM AbortSignal.timeout(ms) (#dom-abortsignal-timeout): aborted with a TimeoutError after ms.
  static timeout(ms) {
    const delay = Number(ms);
    if (!(delay >= 0) || delay > Number.MAX_SAFE_INTEGER) throw new TypeError(`timeout ${ms} is not a number of milliseconds`);
    const signal = newSignal();
    setTimeout(() => signalAbort(signal, new DOMException('The operation timed out.', 'TimeoutError')), delay);
    return signal;
  }

  // DOM AbortSignal.any(signals) (#dom-abortsignal-any): aborted when the first of them is, with its reason.
  static any(signals) {
    const result = newSignal();
    const list = [...signals];
    for (const s of list) {
      if (!(s instanceof AbortSignal)) throw new TypeError('AbortSignal.any takes AbortSignals');
    }
    const already = list.find((s) => s.aborted);
    if (already) signalAbort(result, already.reason);
    else for (const s of list) addAbortAlgorithm(s, (reason) => signalAbort(result, reason));
    return result;
  }

  get [Symbol.toStringTag]() {
    return 'AbortSignal';
  }
}

class AbortController {
  constructor() {
    this[kSignal] = newSignal();
  }

  get signal() {
    return this[kSignal];
  }

  abort(reason) {
    signalAbort(this[kSignal], reason);
  }

  get [Symbol.toStringTag]() {
    return 'AbortController';
  }
}

// DOM "add" an abort algorithm (#abortsignal-add): runs, before the
// listeners, when the signal aborts. Returns the function that removes it.
// A signal of another making (an object with `aborted` and
// addEventListener) gets an "abort" listener instead.
function addAbortAlgorithm(signal, algorithm) {
  if (signal instanceof AbortSignal) {
    const algorithms = signal[kSignal].algorithms;
    algorithms.add(algorithm);
    return () => algorithms.delete(algorithm);
  }
  const listener = () => algorithm(signalReason(signal));
  signal.addEventListener('abort', listener, { once: true });
  return () => typeof signal.removeEventListener === 'function' && signal.removeEventListener('abort', listener);
}

// The reason a signal was aborted with, or an AbortError if it gives none.
function signalReason(signal) {
  return signal.reason !== undefined ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

module.exports = { AbortController, AbortSignal, addAbortAlgorithm, signalReason };
