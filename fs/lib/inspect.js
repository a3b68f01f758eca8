// fs/lib/inspect.js (/lib/inspect in the image): turn any JavaScript value into
// text the way Node's util.inspect and its REPL print it; `eval` prints with it.
//
// It follows the rules of Node's lib/internal/util/inspect.js so that a value
// prints the same in jsksh as in `node`, but with standard JavaScript only: no
// V8 internals, so a Promise's state is invisible and a Proxy looks like its
// target. It never throws and never calls a getter written in JavaScript.
'use strict';

const DEFAULTS = {
  depth: 2, // nesting levels shown before [Object] / [Array]
  colors: false, // ANSI colours, for a terminal
  breakLength: 80, // an object wider than this (all told) is split over lines
  compact: 3, // up to this many innermost levels may share one line
  maxArrayLength: 100, // items shown before "... N more items"
  maxStringLength: 10000, // characters shown before "... N more characters"
};

// ---- Colours --------------------------------------------------------------

const STYLES = {
  special: [36, 39], // cyan: [Function], [Getter], <ref *1>
  number: [33, 39],
  bigint: [33, 39],
  boolean: [33, 39],
  undefined: [90, 39], // grey
  null: [1, 22], // bold
  string: [32, 39],
  symbol: [32, 39],
  date: [35, 39],
  regexp: [31, 39],
};

const noColor = (text) => text;
function withColor(text, style) {
  const codes = STYLES[style];
  return codes ? `\x1b[${codes[0]}m${text}\x1b[${codes[1]}m` : text;
}
const visibleLength = (text) => text.replace(/\x1b\[\d\d?m/g, '').length;

// ---- Safe reflection ------------------------------------------------------
// Node asks V8 what an object is (isMap, isPromise...). Plain JavaScript asks
// the built-ins instead: Map's `size` getter throws a TypeError unless its
// receiver really is a Map, so calling it inside try/catch is an exact test
// that no prototype trick can fool and that runs no code of the object's own.

function passes(check, value, ...args) {
  try {
    check.call(value, ...args);
    return true;
  } catch (e) {
    return false;
  }
}
const getterOf = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayName = getterOf(TypedArrayPrototype, Symbol.toStringTag); // 'Uint8Array' or undefined
const typedArrayLength = getterOf(TypedArrayPrototype, 'length');
const hasSAB = typeof SharedArrayBuffer === 'function';

const is = {
  map: (v) => passes(getterOf(Map.prototype, 'size'), v),
  set: (v) => passes(getterOf(Set.prototype, 'size'), v),
  weakMap: (v) => passes(WeakMap.prototype.has, v, {}),
  weakSet: (v) => passes(WeakSet.prototype.has, v, {}),
  arrayBuffer: (v) => passes(getterOf(ArrayBuffer.prototype, 'byteLength'), v),
  sharedArrayBuffer: (v) => hasSAB && passes(getterOf(SharedArrayBuffer.prototype, 'byteLength'), v),
  dataView: (v) => passes(getterOf(DataView.prototype, 'buffer'), v),
  date: (v) => passes(Date.prototype.getTime, v),
  regExp: (v) => passes(getterOf(RegExp.prototype, 'source'), v),
  promise: (v) => v instanceof Promise,
  error: (v) => v instanceof Error,
  // Sloppy-mode `arguments` objects carry their function as an own `callee`.
  arguments: (v) => Object.prototype.hasOwnProperty.call(v, 'callee') && !Array.isArray(v),
};

// Boxed primitives (new Number(3)) and how to unbox each kind.
const BOXES = [
  ['Number', Number.prototype.valueOf],
  ['String', String.prototype.valueOf],
  ['Boolean', Boolean.prototype.valueOf],
  ['BigInt', BigInt.prototype.valueOf],
  ['Symbol', Symbol.prototype.valueOf],
];
function boxOf(value) {
  for (const [type, unbox] of BOXES) {
    try {
      return { type, primitive: unbox.call(value) };
    } catch (e) {
      // not this kind of box
    }
  }
  return null;
}

const isNative = (fn) => /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));

// Reads a property without running JavaScript getters: data properties and
// V8's own native accessors (an Error's `stack`) are read, others are not.
function readSafely(obj, key) {
  for (let o = obj; o !== null && o !== undefined; o = Object.getPrototypeOf(o)) {
    const desc = Object.getOwnPropertyDescriptor(o, key);
    if (desc === undefined) continue;
    if ('value' in desc) return desc.value;
    return desc.get && isNative(desc.get) ? desc.get.call(obj) : undefined;
  }
  return undefined;
}

// The name of the constructor whose prototype the object inherits from, like
// Node's getConstructorName: 'Object', 'Map', 'Foo', or null for
// Object.create(null).
function constructorName(obj) {
  let proto = obj;
  let first;
  while (proto !== null) {
    const desc = Object.getOwnPropertyDescriptor(proto, 'constructor');
    if (desc && typeof desc.value === 'function') {
      const name = readSafely(desc.value, 'name');
      if (typeof name === 'string' && name !== '' && isInstance(obj, desc.value)) return name;
    }
    proto = Object.getPrototypeOf(proto);
    if (first === undefined) first = proto;
  }
  return first === null ? null : 'Object';
}

function isInstance(obj, ctor) {
  try {
    return obj instanceof ctor;
  } catch (e) {
    return false;
  }
}

// The Symbol.toStringTag worth showing: 'Math' for Math, '' when it only
// repeats the constructor or is an own enumerable key (listed anyway).
function tagOf(value, constructor) {
  const tag = readSafely(value, Symbol.toStringTag);
  if (typeof tag !== 'string' || tag === constructor) return '';
  const own = Object.getOwnPropertyDescriptor(value, Symbol.toStringTag);
  return own && own.enumerable ? '' : tag;
}

// Own enumerable string keys, then own enumerable symbols (Node's getKeys).
function ownKeys(value) {
  const keys = Object.keys(value);
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

// Keys of an array or typed array that are not indices ([ 1, 2, foo: 'x' ]).
// Listing keys means listing every index too, so huge arrays skip the search.
const INDEX = /^(0|[1-9][0-9]*)$/;
function nonIndexKeys(value, length) {
  if (length > 100000) return [];
  return ownKeys(value).filter((key) => typeof key === 'symbol' || !INDEX.test(key) || Number(key) >= 2 ** 32 - 1);
}

// ---- Primitives -----------------------------------------------------------

// How one character is written inside a quoted string (Node's meta table).
const NAMED_ESCAPES = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 92: '\\\\' };
function escapeChar(code) {
  return NAMED_ESCAPES[code] || `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

// Quote a string like Node: single quotes, unless the text holds a single
// quote, then double quotes, then backticks; control characters, lone
// surrogates and the backslash are escaped.
function quote(text) {
  let mark = "'";
  if (text.includes("'")) {
    if (!text.includes('"')) mark = '"';
    else if (!text.includes('`') && !text.includes('${')) mark = '`';
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 39 && mark === "'") {
      out += "\\'";
    } else if (code < 32 || code === 92 || (code > 126 && code < 160)) {
      out += escapeChar(code);
    } else if (isPairStart(text, i)) {
      out += text.slice(i, i + 2); // an emoji or other astral character
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out += `\\u${code.toString(16).toUpperCase()}`; // half a pair, alone
    } else {
      out += text[i];
    }
  }
  return mark + out + mark;
}

// Does a well-formed surrogate pair start at text[i]?
function isPairStart(text, i) {
  const code = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  return code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
}

function formatNumber(stylize, n) {
  return stylize(Object.is(n, -0) ? '-0' : String(n), 'number');
}

function formatPrimitive(ctx, value) {
  switch (typeof value) {
    case 'string':
      return formatString(ctx, value);
    case 'number':
      return formatNumber(ctx.stylize, value);
    case 'bigint':
      return ctx.stylize(`${value}n`, 'bigint');
    case 'boolean':
      return ctx.stylize(String(value), 'boolean');
    case 'undefined':
      return ctx.stylize('undefined', 'undefined');
    default: // symbol
      return ctx.stylize(Symbol.prototype.toString.call(value), 'symbol');
  }
}

// Long strings with newlines are shown as 'line 1\n' + 'line 2', one per line.
function formatString(ctx, value) {
  let trailer = '';
  if (value.length > ctx.maxStringLength) {
    const remaining = value.length - ctx.maxStringLength;
    value = value.slice(0, ctx.maxStringLength);
    trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
  }
  if (value.length > 16 && value.length > ctx.breakLength - ctx.indentationLvl - 4) {
    const lines = value.split(/(?<=\n)/);
    const joiner = ` +\n${' '.repeat(ctx.indentationLvl + 2)}`;
    return lines.map((line) => ctx.stylize(quote(line), 'string')).join(joiner) + trailer;
  }
  return ctx.stylize(quote(value), 'string') + trailer;
}

// ---- Objects --------------------------------------------------------------

// Any value. `level` counts the objects we are nested in.
function formatValue(ctx, value, level) {
  if (value === null) return ctx.stylize('null', 'null');
  if (typeof value !== 'object' && typeof value !== 'function') return formatPrimitive(ctx, value);
  const seen = ctx.seen.length;
  const indentation = ctx.indentationLvl;
  try {
    if (ctx.seen.includes(value)) return ctx.stylize(`[Circular *${circularIndex(ctx, value)}]`, 'special');
    return formatObject(ctx, value, level);
  } catch (e) {
    // A Proxy trap threw, or the nesting overflowed the stack: say so briefly.
    ctx.seen.length = seen;
    ctx.indentationLvl = indentation;
    return ctx.stylize(fallback(value), 'special');
  }
}

// The last resort for objects that cannot be looked at: '[object Object]'.
function fallback(value) {
  try {
    return Object.prototype.toString.call(value);
  } catch (e) {
    return '[object]';
  }
}

// Objects met again while still inside themselves get numbers: <ref *1>.
function circularIndex(ctx, value) {
  if (!ctx.circular.has(value)) ctx.circular.set(value, ctx.circular.size + 1);
  return ctx.circular.get(value);
}

function formatObject(ctx, value, level) {
  const constructor = constructorName(value);
  const tag = tagOf(value, constructor);
  const shape = describe(ctx, value, constructor, tag, level);
  if (typeof shape === 'string') return shape; // small enough to be finished already

  if (level > ctx.depth) {
    // Too deep: only say what it is.
    const name = ctxStyle(value, constructor, tag).slice(0, -1);
    return ctx.stylize(constructor === null ? name : `[${name}]`, 'special');
  }
  level += 1;
  ctx.seen.push(value);
  ctx.currentDepth = level;
  const output = shape.entries(level);
  for (const key of shape.keys) output.push(formatProperty(ctx, value, level, key, false));
  let base = shape.base;
  if (ctx.circular.has(value)) {
    const ref = ctx.stylize(`<ref *${ctx.circular.get(value)}>`, 'special');
    base = base === '' ? ref : `${ref} ${base}`;
  }
  ctx.seen.pop();
  return layout(ctx, output, base, shape.braces, shape.arrayLike, level, value);
}

// What the object is: its braces, its base text ([Function: f], a date...),
// the keys to list and a function giving its other entries (array items, map
// entries). Small results come back as a finished string instead.
function describe(ctx, value, constructor, tag, level) {
  const shape = { base: '', braces: ['{', '}'], keys: [], entries: () => [], arrayLike: false };
  const typedName = typedArrayName.call(value);
  if (Array.isArray(value)) return describeArray(ctx, value, constructor, tag, shape);
  if (typedName !== undefined) return describeTypedArray(ctx, value, constructor, tag, typedName, shape);
  if (is.set(value) || is.map(value)) return describeCollection(ctx, value, constructor, tag, shape);

  shape.keys = ownKeys(value);
  const empty = shape.keys.length === 0;
  if (typeof value === 'function') {
    shape.base = functionBase(value, constructor, tag);
    return empty ? ctx.stylize(shape.base, 'special') : shape;
  }
  if (is.regExp(value)) {
    shape.base = RegExp.prototype.toString.call(value);
    const prefix = prefixOf(constructor, tag, 'RegExp');
    if (prefix !== 'RegExp ') shape.base = prefix + shape.base;
    return empty || level > ctx.depth ? ctx.stylize(shape.base, 'regexp') : shape;
  }
  if (is.date(value)) {
    const time = Date.prototype.getTime.call(value);
    shape.base = Number.isNaN(time) ? 'Invalid Date' : Date.prototype.toISOString.call(value);
    const prefix = prefixOf(constructor, tag, 'Date');
    if (prefix !== 'Date ') shape.base = prefix + shape.base;
    return empty ? ctx.stylize(shape.base, 'date') : shape;
  }
  if (is.error(value)) {
    shape.base = errorBase(ctx, value, constructor, tag, shape.keys);
    return shape.keys.length === 0 ? shape.base : shape;
  }
  if (is.arrayBuffer(value) || is.sharedArrayBuffer(value)) {
    const type = is.arrayBuffer(value) ? 'ArrayBuffer' : 'SharedArrayBuffer';
    shape.braces[0] = `${prefixOf(constructor, tag, type)}{`;
    shape.entries = () => formatArrayBuffer(ctx, value, type);
    return shape;
  }
  if (is.dataView(value)) {
    shape.braces[0] = `${prefixOf(constructor, tag, 'DataView')}{`;
    shape.entries = (lvl) => formatDataView(ctx, value, lvl);
    return shape;
  }
  if (is.promise(value)) {
    // Only V8 itself can see whether a promise has settled.
    shape.braces[0] = `${prefixOf(constructor, tag, 'Promise')}{`;
    shape.entries = () => [ctx.stylize('<pending>', 'special')];
    return shape;
  }
  if (is.weakMap(value) || is.weakSet(value)) {
    shape.braces[0] = `${prefixOf(constructor, tag, is.weakMap(value) ? 'WeakMap' : 'WeakSet')}{`;
    shape.entries = () => [ctx.stylize('<items unknown>', 'special')];
    return shape;
  }
  const box = boxOf(value);
  if (box !== null) {
    shape.base = boxedBase(ctx, value, box, constructor, tag, shape.keys);
    return shape.keys.length === 0 ? shape.base : shape;
  }
  if (constructor === 'Object') {
    if (is.arguments(value)) shape.braces[0] = '[Arguments] {';
    else if (tag !== '') shape.braces[0] = `${prefixOf(constructor, tag, 'Object')}{`;
    return empty ? `${shape.braces[0]}}` : shape;
  }
  shape.braces[0] = `${ctxStyle(value, constructor, tag)}{`;
  return empty ? `${shape.braces[0]}}` : shape;
}

function describeArray(ctx, value, constructor, tag, shape) {
  const prefix = constructor !== 'Array' || tag !== '' ? prefixOf(constructor, tag, 'Array', `(${value.length})`) : '';
  shape.keys = nonIndexKeys(value, value.length);
  shape.braces = [`${prefix}[`, ']'];
  if (value.length === 0 && shape.keys.length === 0) return `${shape.braces[0]}]`;
  shape.arrayLike = true;
  shape.entries = (level) => formatArray(ctx, value, level);
  return shape;
}

function describeTypedArray(ctx, value, constructor, tag, typedName, shape) {
  const length = typedArrayLength.call(value);
  const fallbackName = constructor === null ? typedName : '';
  shape.keys = nonIndexKeys(value, length);
  shape.braces = [`${prefixOf(constructor, tag, fallbackName, `(${length})`)}[`, ']'];
  if (length === 0 && shape.keys.length === 0) return `${shape.braces[0]}]`;
  shape.arrayLike = true;
  shape.entries = () => formatTypedArray(ctx, value, length);
  return shape;
}

function describeCollection(ctx, value, constructor, tag, shape) {
  const isMap = is.map(value);
  const type = isMap ? 'Map' : 'Set';
  const size = getterOf(isMap ? Map.prototype : Set.prototype, 'size').call(value);
  const prefix = prefixOf(constructor, tag, type, `(${size})`);
  shape.keys = ownKeys(value);
  if (size === 0 && shape.keys.length === 0) return `${prefix}{}`;
  shape.braces = [`${prefix}{`, '}'];
  shape.entries = (level) => (isMap ? formatMap(ctx, value, size, level) : formatSet(ctx, value, size, level));
  return shape;
}

// 'Foo ', 'Object [Math] ', '[Object: null prototype] ' (Node's getPrefix).
function prefixOf(constructor, tag, fallbackName, size = '') {
  if (constructor === null) {
    if (tag !== '' && fallbackName !== tag) return `[${fallbackName}${size}: null prototype] [${tag}] `;
    return `[${fallbackName}${size}: null prototype] `;
  }
  if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function ctxStyle(value, constructor, tag) {
  let fallbackName = '';
  if (constructor === null) {
    fallbackName = Array.isArray(value) ? 'Array' : 'Object';
    if (fallbackName === tag) fallbackName = 'Object';
  }
  return prefixOf(constructor, tag, fallbackName);
}

// [Function: f], [AsyncFunction: g], [class A extends B], [Function (anonymous)].
function functionBase(fn, constructor, tag) {
  const source = Function.prototype.toString.call(fn);
  if (/^class\b/.test(source) && source.endsWith('}')) return classBase(fn, constructor, tag);
  const kinds = ['AsyncFunction', 'GeneratorFunction', 'AsyncGeneratorFunction'];
  const kindTag = readSafely(fn, Symbol.toStringTag);
  const type = kinds.includes(kindTag) ? kindTag : 'Function';
  const name = readSafely(fn, 'name');
  let base = `[${type}`;
  if (constructor === null) base += ' (null prototype)';
  base += typeof name === 'string' && name !== '' ? `: ${name}]` : ' (anonymous)]';
  if (constructor !== type && constructor !== null) base += ` ${constructor}`;
  if (tag !== '' && constructor !== tag && tag !== type) base += ` [${tag}]`;
  return base;
}

function classBase(fn, constructor, tag) {
  const own = Object.getOwnPropertyDescriptor(fn, 'name');
  const name = (own && typeof own.value === 'string' && own.value) || '(anonymous)';
  let base = `class ${name}`;
  if (constructor !== 'Function' && constructor !== null) base += ` [${constructor}]`;
  if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
  if (constructor === null) {
    base += ' extends [null prototype]';
  } else {
    const superName = readSafely(Object.getPrototypeOf(fn), 'name');
    if (typeof superName === 'string' && superName !== '') base += ` extends ${superName}`;
  }
  return `[${base}]`;
}

// [Number: 3], [String: 'abc'], [Symbol: Symbol(a)].
function boxedBase(ctx, value, box, constructor, tag, keys) {
  if (box.type === 'String') keys.splice(0, box.primitive.length); // drop the index keys
  let base = `[${box.type}`;
  if (box.type !== constructor) base += constructor === null ? ' (null prototype)' : ` (${constructor})`;
  base += `: ${formatPrimitive({ ...ctx, stylize: noColor }, box.primitive)}]`;
  if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
  return keys.length !== 0 ? base : ctx.stylize(base, box.type.toLowerCase());
}

// An error shows its stack ("Error: msg\n    at ..."), or [Error: msg] when it
// has no stack frames, with the constructor's name if it differs.
function errorBase(ctx, err, constructor, tag, keys) {
  const rawName = readSafely(err, 'name');
  const name = rawName === undefined || rawName === null ? 'Error' : String(rawName);
  const message = readSafely(err, 'message');
  const rawStack = readSafely(err, 'stack');
  let stack = rawStack ? String(rawStack) : errorToString(name, message);
  // Drop own keys the stack already shows; always show a cause.
  for (const key of ['name', 'message', 'stack']) {
    const at = keys.indexOf(key);
    if (at !== -1 && stack.includes(readSafely(err, key))) keys.splice(at, 1);
  }
  if ('cause' in err && !keys.includes('cause')) keys.push('cause');
  if (Array.isArray(readSafely(err, 'errors')) && !keys.includes('errors')) keys.push('errors');

  stack = improveStack(stack, constructor, name, tag);
  let pos = (typeof message === 'string' && message && stack.indexOf(message)) || -1;
  if (pos !== -1) pos += message.length;
  if (stack.indexOf('\n    at', pos) === -1) stack = `[${stack}]`;
  if (ctx.indentationLvl !== 0) stack = stack.replace(/\n/g, `\n${' '.repeat(ctx.indentationLvl)}`);
  return stack;
}

function errorToString(name, message) {
  const msg = message === undefined ? '' : String(message);
  if (name === '') return msg;
  return msg === '' ? name : `${name}: ${msg}`;
}

// Put the class name in front when the stack says only 'Error' (Node's improveStack).
function improveStack(stack, constructor, name, tag) {
  const len = name.length;
  const looksNormal = name.endsWith('Error') && stack.startsWith(name) && (stack.length === len || stack[len] === ':' || stack[len] === '\n');
  if (constructor === null || !looksNormal) return stack;
  const prefix = prefixOf(constructor, tag, 'Error').slice(0, -1);
  if (name === prefix) return stack;
  if (prefix.includes(name)) return prefix + stack.slice(len);
  return `${prefix} [${name}]${stack.slice(len)}`;
}

// ---- Entries --------------------------------------------------------------

const moreItems = (n) => `... ${n} more item${n > 1 ? 's' : ''}`;
const emptyItems = (ctx, n) => ctx.stylize(`<${n} empty item${n > 1 ? 's' : ''}>`, 'undefined');

// Array items; runs of holes in sparse arrays become "<3 empty items>".
function formatArray(ctx, array, level) {
  const limit = Math.min(ctx.maxArrayLength, array.length);
  const output = [];
  let next = 0; // the next index to show
  for (const index of indices(array, limit)) {
    if (output.length >= limit) break;
    if (index > next) {
      output.push(emptyItems(ctx, index - next));
      next = index;
      if (output.length >= limit) break;
    }
    output.push(formatProperty(ctx, array, level, String(index), true));
    next = index + 1;
  }
  const remaining = array.length - next;
  if (remaining > 0) output.push(output.length < limit ? emptyItems(ctx, remaining) : moreItems(remaining));
  return output;
}

// The indices an array really has, in order. Dense arrays are counted
// directly; only sparse ones pay for listing their keys.
function* indices(array, limit) {
  let i = 0;
  while (i < limit && Object.prototype.hasOwnProperty.call(array, i)) yield i++;
  if (i >= limit) return;
  for (const key of Object.keys(array)) {
    if (!INDEX.test(key) || Number(key) >= array.length) break; // indices come first, in order
    if (Number(key) >= i) yield Number(key);
  }
}

function formatTypedArray(ctx, array, length) {
  const shown = Math.min(ctx.maxArrayLength, length);
  const output = [];
  for (let i = 0; i < shown; i++) {
    const item = array[i];
    output.push(typeof item === 'bigint' ? ctx.stylize(`${item}n`, 'bigint') : formatNumber(ctx.stylize, item));
  }
  if (length > shown) output.push(moreItems(length - shown));
  return output;
}

function formatSet(ctx, set, size, level) {
  const output = [];
  ctx.indentationLvl += 2;
  for (const item of Set.prototype.values.call(set)) {
    if (output.length >= ctx.maxArrayLength) break;
    output.push(formatValue(ctx, item, level));
  }
  if (size > output.length) output.push(moreItems(size - output.length));
  ctx.indentationLvl -= 2;
  return output;
}

function formatMap(ctx, map, size, level) {
  const output = [];
  ctx.indentationLvl += 2;
  for (const [key, item] of Map.prototype.entries.call(map)) {
    if (output.length >= ctx.maxArrayLength) break;
    output.push(`${formatValue(ctx, key, level)} => ${formatValue(ctx, item, level)}`);
  }
  if (size > output.length) output.push(moreItems(size - output.length));
  ctx.indentationLvl -= 2;
  return output;
}

// ArrayBuffer { [Uint8Contents]: <01 02>, byteLength: 2 }
function formatArrayBuffer(ctx, buffer, type) {
  const byteLength = getterOf(globalThis[type].prototype, 'byteLength').call(buffer);
  let bytes;
  try {
    bytes = new Uint8Array(buffer);
  } catch (e) {
    return [ctx.stylize('(detached)', 'special'), `byteLength: ${formatNumber(ctx.stylize, byteLength)}`];
  }
  const shown = Math.min(ctx.maxArrayLength, bytes.length);
  let hex = Array.from(bytes.subarray(0, shown), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (bytes.length > shown) hex += ` ... ${bytes.length - shown} more byte${bytes.length - shown > 1 ? 's' : ''}`;
  return [`${ctx.stylize('[Uint8Contents]', 'special')}: <${hex}>`, `byteLength: ${formatNumber(ctx.stylize, byteLength)}`];
}

function formatDataView(ctx, view, level) {
  const read = (key) => getterOf(DataView.prototype, key).call(view);
  let length;
  let offset;
  try {
    length = read('byteLength');
    offset = read('byteOffset');
  } catch (e) {
    length = offset = 0; // the buffer was detached
  }
  ctx.indentationLvl += 2;
  const buffer = formatValue(ctx, read('buffer'), level);
  ctx.indentationLvl -= 2;
  return [`byteLength: ${formatNumber(ctx.stylize, length)}`, `byteOffset: ${formatNumber(ctx.stylize, offset)}`, `buffer: ${buffer}`];
}

// One `key: value` entry (or just the value, for array items). Getters are
// shown as [Getter], never called.
function formatProperty(ctx, obj, level, key, arrayItem) {
  const desc = Object.getOwnPropertyDescriptor(obj, key) || { value: undefined, enumerable: true };
  let text;
  if (desc.value !== undefined) {
    ctx.indentationLvl += 2;
    text = formatValue(ctx, desc.value, level);
    ctx.indentationLvl -= 2;
  } else if (desc.get !== undefined) {
    text = ctx.stylize(desc.set !== undefined ? '[Getter/Setter]' : '[Getter]', 'special');
  } else if (desc.set !== undefined) {
    text = ctx.stylize('[Setter]', 'special');
  } else {
    text = ctx.stylize('undefined', 'undefined');
  }
  if (arrayItem) return text;
  return `${keyName(ctx, key, desc)}: ${text}`;
}

function keyName(ctx, key, desc) {
  if (typeof key === 'symbol') return `[${ctx.stylize(Symbol.prototype.toString.call(key), 'symbol')}]`;
  if (key === '__proto__') return "['__proto__']";
  if (desc.enumerable === false) return `[${key}]`;
  if (/^[a-zA-Z_][a-zA-Z_0-9]*$/.test(key)) return key;
  return ctx.stylize(quote(key), 'string');
}

// ---- Layout ---------------------------------------------------------------

// Join the entries on one line when they are few and short ({ a: 1 }), or one
// per line, indented by two spaces, otherwise (Node's reduceToSingleString).
function layout(ctx, output, base, braces, arrayLike, level, value) {
  const entries = output.length;
  if (arrayLike && entries > 6) output = groupIntoColumns(ctx, output, value);
  // The innermost `compact` levels may stay on one line; levels that hold
  // deeper objects, and grouped arrays, are always split.
  if (ctx.currentDepth - level < ctx.compact && entries === output.length) {
    const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
    if (fitsOnOneLine(ctx, output, start, base)) {
      const joined = output.join(', ');
      if (!joined.includes('\n')) return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
    }
  }
  const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
  return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
}

function fitsOnOneLine(ctx, output, start, base) {
  let total = output.length + start;
  if (total + output.length > ctx.breakLength) return false;
  for (const entry of output) {
    total += ctx.colors ? visibleLength(entry) : entry.length;
    if (total > ctx.breakLength) return false;
  }
  return base === '' || !base.includes('\n');
}

// Long arrays of short items are printed as a grid, numbers right-aligned:
//   [
//      1,  2,  3, ...
//     10, 11, 12
//   ]
// The number of columns aims at a roughly square block (Node's groupArrayElements).
function groupIntoColumns(ctx, output, value) {
  const separatorSpace = 2; // ", "
  let count = output.length;
  if (ctx.maxArrayLength < output.length) count--; // leave "... more items" alone
  const lengths = output.slice(0, count).map((s) => (ctx.colors ? visibleLength(s) : s.length));
  const totalLength = lengths.reduce((sum, len) => sum + len + separatorSpace, 0);
  const maxLength = Math.max(...lengths);
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl >= ctx.breakLength || (totalLength / actualMax <= 5 && maxLength > 6)) return output;

  const averageBias = Math.sqrt(actualMax - totalLength / output.length);
  const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biasedMax * count) / biasedMax), // about square, a character being 2.5 times as high as wide
    Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
    ctx.compact * 4,
    15,
  );
  if (columns <= 1) return output;

  const widths = [];
  for (let c = 0; c < columns; c++) {
    let width = 0;
    for (let j = c; j < count; j += columns) width = Math.max(width, lengths[j]);
    widths.push(width + separatorSpace);
  }
  const padStart = value !== undefined && allNumbers(value, output.length);
  const rows = [];
  for (let i = 0; i < count; i += columns) {
    const last = Math.min(i + columns, count) - 1;
    let row = '';
    for (let j = i; j < last; j++) {
      const cell = `${output[j]}, `;
      const pad = widths[j - i] + output[j].length - lengths[j];
      row += padStart ? cell.padStart(pad) : cell.padEnd(pad);
    }
    const pad = widths[last - i] + output[last].length - lengths[last] - separatorSpace;
    row += padStart ? output[last].padStart(pad) : output[last];
    rows.push(row);
  }
  if (count < output.length) rows.push(output[count]);
  return rows;
}

function allNumbers(value, count) {
  for (let i = 0; i < count; i++) {
    const desc = Object.getOwnPropertyDescriptor(value, i);
    if (!desc || (typeof desc.value !== 'number' && typeof desc.value !== 'bigint')) return false;
  }
  return true;
}

// ---- Entry points ---------------------------------------------------------

function makeContext(options) {
  const ctx = { ...DEFAULTS, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0 };
  for (const key of Object.keys(DEFAULTS)) {
    if (options && options[key] !== undefined) ctx[key] = options[key];
  }
  if (ctx.depth === null) ctx.depth = Infinity;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  ctx.stylize = ctx.colors ? withColor : noColor;
  return ctx;
}

// inspect(value, {depth = 2, colors = false, breakLength = 80}) -> string
function inspect(value, options) {
  try {
    return formatValue(makeContext(options), value, 0);
  } catch (e) {
    return fallback(value);
  }
}

// How a REPL reports a thrown value: an error's stack (no brackets even when
// it has no frames), anything else as inspect shows it: `Uncaught ${formatError(e)}`.
function formatError(error, options) {
  const text = inspect(error, options);
  let isError = false;
  try {
    isError = is.error(error);
  } catch (e) {
    // a Proxy whose getPrototypeOf trap throws
  }
  return isError && text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

module.exports = { inspect, formatError };
