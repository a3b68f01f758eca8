// kernel/app/peers.js: RPC between apps: the transport under
// kernel/proc/rpc.js, and the service proxies of sys.services.
//
// kernel/proc/rpc.js holds the RPC rules (values, proxies, errors); this file
// only moves their bytes. A peer message is `u32 header length, header
// (JSON), then per attachment u32 length, bytes` (docs/abi.md §2). Messages
// queue in `outbox` and go at the end of the turn, many in one POST trap:
// pipelined calls cost one crossing per page. The machine carries them
// straight to the peer's inbox; the kernel only grants the connection
// (docs/architecture.md, "RPC"). Loaded on first use (transport.js,
// loadPart): when the app first uses sys.services or a peer's message arrives.
(function (rt) {
'use strict';

const { OP_POST, PAYLOAD, ERRNO, FRAME, MORE, REPLY, writeHeader, loadPart } = rt;
const { page, words, result, servingCalls, bytes, RawUint8Array, view, sysTrap, encode, call } = rt;
const { decode } = rt;

// kernel/proc/rpc.js, like this file, is loaded on first use (transport.js, loadPart).
function loadRpc() {
  const module = { exports: {} };
  loadPart('/kernel/proc/rpc.js')(module, module.exports);
  return module.exports.RpcEndpoint;
}
let RpcEndpoint = null;
// outbox: [{ to, data, onFail, flags }], the peer messages of this turn.
let outbox = [];
let postQueued = false;

function peerSend(to, header, attachments, onFail, reply = false) {
  const json = encode(JSON.stringify(header));
  let size = 4 + json.length;
  for (const a of attachments) size += 4 + a.length;
  // the runtime's own: never charged
  const data = new RawUint8Array(size);
  const dv = new DataView(data.buffer);
  dv.setUint32(0, json.length, true);
  data.set(json, 4);
  let at = 4 + json.length;
  for (const a of attachments) {
    dv.setUint32(at, a.length, true);
    data.set(a, at + 4);
    at += 4 + a.length;
  }
  outbox.push({ to, data, onFail, flags: reply ? REPLY : 0 });
  if (outbox.length >= 256) flushPosts();
  else if (!postQueued) {
    postQueued = true;
    Promise.resolve().then(flushPosts);
  }
}

// Packs frames `u32 to, u32 len, u32 flags, bytes` into the page and POSTs
// them; a message larger than the page goes in pieces (flags MORE). The
// machine answers how many frames it delivered; if not all, the next one
// failed (result[1]: ESRCH, no such peer; EAGAIN, its queue stayed full):
// that message is dropped, its caller told, and the rest go again.
function flushPosts() {
  postQueued = false;
  const queue = outbox;
  outbox = [];
  for (const m of queue) m.off = 0;
  let i = 0;
  while (i < queue.length) {
    let at = PAYLOAD;
    // the message index of each frame in this page
    const frames = [];
    let j = i;
    while (j < queue.length) {
      const m = queue[j];
      const room = page.byteLength - at - FRAME;
      if (room < 256 && frames.length) break;
      const n = Math.min(room, m.data.length - m.off);
      writeHeader(view, at, m.to, n, (m.off + n < m.data.length ? MORE : 0) | m.flags);
      bytes.set(m.data.subarray(m.off, m.off + n), at + FRAME);
      at += FRAME + n;
      m.off += n;
      frames.push(j);
      // the page is full in the middle of m
      if (m.off < m.data.length) break;
      j++;
    }
    words[0] = OP_POST;
    words[4] = at - PAYLOAD;
    sysTrap();
    const sent = result[0];
    if (sent >= frames.length) {
      // j is the first message not yet wholly sent
      i = j;
      continue;
    }
    const failed = frames[sent];
    queue[failed].onFail(ERRNO[result[1]] || 'EIO');
    for (const k of frames.slice(sent + 1)) if (k !== failed) queue[k].off = 0;
    i = failed + 1;
  }
}

let rpc = null;
function endpoint() {
  if (!rpc) {
    if (!RpcEndpoint) RpcEndpoint = loadRpc();
    rpc = newEndpoint();
  }
  return rpc;
}
function newEndpoint() {
  return new RpcEndpoint({
    send: peerSend,
    // the accounted constructor: charged to this app
    newBuffer: (n) => new ArrayBuffer(n),
    serving: (n) => {
      servingCalls[0] = n;
    },
  });
}

// A peer's message, as transport.js received it: {t: 'peer', from, bytes}.
function peerMessage(msg) {
  let header = null;
  const attachments = [];
  try {
    const data = msg.bytes;
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const n = dv.getUint32(0, true);
    header = JSON.parse(decode(data.subarray(4, 4 + n)));
    for (let at = 4 + n; at < data.length; ) {
      const len = dv.getUint32(at, true);
      if (at + 4 + len > data.length) throw new RangeError('attachment overruns the message');
      attachments.push(data.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
  } catch (e) {
    header = null;
  }
  // A malformed message is dropped: any peer may send anything.
  if (header) endpoint().receive(msg.from, header, attachments);
}

// A connected peer has gone: its calls in flight fail at once.
function peerExit(pid, reason) {
  if (rpc) rpc.peerExit(pid, reason);
}

// What keeps the app alive (life.js): a call in flight, a call being
// answered, an exported service.
function peersPending() {
  return !!(rpc && (rpc.pending.size || rpc.serving || [...rpc.local.values()].some((l) => l.peer === '*')));
}

// services.connect(name) gives an object whose methods call the service;
// if the service was evicted or restarted, the next call reconnects (the
// kernel starts it again) and is sent once more: it never reached the old one.
function serviceProxy(name, target) {
  const proxy = {};
  const invoke = (method, args) => endpoint().call(target.pid, target.obj, method, args, `${name}.${method}`);
  for (const method of target.methods) {
    proxy[method] = async (...args) => {
      if (endpoint().gone.has(target.pid)) target = await call('svc.connect', { name });
      try {
        return await invoke(method, args);
      } catch (e) {
        if (!e || e.code !== 'ESRCH') throw e;
        target = await call('svc.connect', { name });
        return invoke(method, args);
      }
    };
  }
  return proxy;
}

// The kernel's own services (console, fs, net) answer through kernel calls.
function kernelServiceProxy(name, methods) {
  const proxy = {};
  for (const method of methods) proxy[method] = (...args) => call('svc.kernel', { name, method, args });
  return proxy;
}

// sys.services (sys.js).
const services = {
  // Publish `iface` (an object of functions) as service `name` for other apps.
  export: async (name, iface) => {
    const { obj, methods } = endpoint().exportInterface(iface);
    try {
      await call('svc.export', { name: String(name), obj, methods });
    } catch (e) {
      endpoint().unexport(obj);
      throw e;
    }
  },
  // An object whose methods call service `name` and return promises.
  connect: async (name) => {
    const r = await call('svc.connect', { name: String(name) });
    return r.kernel ? kernelServiceProxy(String(name), r.methods) : serviceProxy(String(name), r);
  },
  list: () => call('svc.list', {}),
};

rt.onRecycle.push(() => {
  outbox = [];
  rpc = null;
});

Object.assign(rt, { services, peerMessage, peerExit, peersPending });
})(globalThis.__rt);
