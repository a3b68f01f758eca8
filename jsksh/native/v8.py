"""The one module that owns how Python crosses into V8 and back.

jsksh talks to libmini_racer (the C++ core of PyMiniRacer, pinned to 0.14.1)
through ctypes directly instead of the public ``MiniRacer`` API: the public API
costs 200-900 us a crossing, the raw calls 15-130 us (see ../shared FACTS.md and
docs/architecture.md).  Everything else in jsksh crosses only through this
module, so the mechanism can change without touching the machine or the kernel.

Three kinds of crossing exist, and only three:

* ``post(fn)``      Python -> JS, asynchronous: queue a call of a JS function on
                    the isolate's own thread (an interrupt, a message delivery).
* ``eval(code)``    Python -> JS, a script; synchronous or with a completion.
* a *trap*          JS -> Python, synchronous: JS calls a function made by
                    ``make_trap``; Python runs on the isolate's thread while JS
                    waits, reads and writes a shared page, and returns.

Python never reads JavaScript objects (a throwing getter would abort the
process): values come back only as primitives, and data crosses as bytes in
ArrayBuffers that JS allocated and keeps alive for as long as Python holds a
view of them.
"""

from __future__ import annotations

import ctypes
import importlib.util
import itertools
import os
import threading
from collections.abc import Callable
from pathlib import Path

# Value type tags of libmini_racer (mini_racer.cc's enum, mirrored by _objects.py).
T_NULL, T_BOOL, T_INT, T_DOUBLE, T_STR = 1, 2, 3, 4, 5
T_UNDEFINED = 11
T_FUNCTION, T_SHARED_BUFFER, T_BUFFER, T_PROMISE = 100, 101, 102, 103
T_EXECUTE_ERROR, T_PARSE_ERROR, T_OOM, T_TIMEOUT, T_TERMINATED = 200, 201, 202, 203, 204

_TRAP_IDS = 1 << 32  # callback ids below this are traps, above are task completions

# --expose-gc: the app runtime collects garbage before it refuses an
# ArrayBuffer allocation (and hides gc() from the app).
# --no-memory-pool: heap pages an isolate frees go back to the system at once
# instead of into a process-wide pool V8 keeps for reuse.  1,000 sleeping apps
# each keep 60 KiB less; making an isolate costs about 5 % more
# (docs/performance.md, "Isolate density").
V8_FLAGS = tuple(os.environ.get("JSKSH_V8_FLAGS", "--single-threaded --expose-gc --no-memory-pool").split())


class JSError(Exception):
    """A script threw, failed to parse, ran out of heap, or was terminated."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "error" | "syntax" | "oom" | "terminated"


_ERROR_KINDS = {
    T_EXECUTE_ERROR: "error",
    T_PARSE_ERROR: "syntax",
    T_OOM: "oom",
    T_TIMEOUT: "terminated",
    T_TERMINATED: "terminated",
}


# libmini_racer's value record (mini_racer.cc's BinaryValue), packed.
class _RawValueUnion(ctypes.Union):
    _fields_ = [
        ("value_ptr", ctypes.c_void_p),
        ("bytes_val", ctypes.POINTER(ctypes.c_char)),
        ("char_p_val", ctypes.c_char_p),
        ("int_val", ctypes.c_int64),
        ("double_val", ctypes.c_double),
    ]


class _RawValue(ctypes.Structure):
    _fields_ = [("value", _RawValueUnion), ("len", ctypes.c_size_t), ("type", ctypes.c_uint8)]
    _pack_ = 1


RawValueHandle = ctypes.POINTER(_RawValue)
MR_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_uint64, RawValueHandle)

_lib = None
_lib_lock = threading.Lock()

# A callback from V8 runs on the isolate's own thread, which Python did not
# start. ctypes then makes a Python thread state for each call and destroys it
# after, and with it the thread's frame stack, which is mmap()ed and munmap()ed
# every time: a quarter of the CPU under a UDP flood. Holding one extra
# PyGILState reference per isolate thread keeps its thread state alive.
_gilstate_ensure = ctypes.pythonapi.PyGILState_Ensure
_gilstate_ensure.restype = ctypes.c_int
_gilstate_ensure.argtypes = []
_gilstate_release = ctypes.pythonapi.PyGILState_Release
_gilstate_release.restype = None
_gilstate_release.argtypes = [ctypes.c_int]


_PR_SET_NAME = 15


_libc = ctypes.CDLL(None)


def _name_this_thread(name: str) -> None:
    """The calling thread's name as Linux shows it (comm: at most 15 bytes)."""
    _libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def _signatures(dll: ctypes.CDLL) -> None:
    """The C functions jsksh calls, with their types (mini-racer 0.14.1)."""
    u64, raw = ctypes.c_uint64, RawValueHandle
    table = {
        "mr_init_v8": (None, [ctypes.c_char_p, ctypes.c_char_p]),
        "mr_init_context": (u64, [MR_CALLBACK]),
        "mr_free_context": (None, [u64]),
        "mr_eval": (u64, [u64, raw, u64]),
        "mr_call_function": (u64, [u64, raw, raw, raw, u64]),
        "mr_cancel_task": (None, [u64, u64]),
        "mr_free_value": (None, [u64, raw]),
        "mr_alloc_int_val": (raw, [u64, ctypes.c_int64, ctypes.c_uint8]),
        "mr_alloc_string_val": (raw, [u64, ctypes.c_char_p, u64, ctypes.c_uint8]),
        "mr_make_js_callback": (raw, [u64, u64]),
        "mr_set_object_item": (raw, [u64, raw, raw, raw]),
        "mr_heap_stats": (raw, [u64]),
        "mr_low_memory_notification": (None, [u64]),
        "mr_set_hard_memory_limit": (None, [u64, ctypes.c_size_t]),
        "mr_hard_memory_limit_reached": (ctypes.c_bool, [u64]),
        "mr_v8_version": (ctypes.c_char_p, []),
    }
    for name, (restype, argtypes) in table.items():
        fn = getattr(dll, name)
        fn.restype, fn.argtypes = restype, argtypes


def _library_dir() -> Path:
    spec = importlib.util.find_spec("py_mini_racer")
    return Path(next(iter(spec.submodule_search_locations)))


def lib() -> ctypes.CDLL:
    """Load libmini_racer and initialise V8 once per process.

    The library is loaded directly rather than through the py_mini_racer
    package, whose import pulls in asyncio (20 ms of every boot)."""
    global _lib
    with _lib_lock:
        if _lib is None:
            where = _library_dir()
            dll = ctypes.CDLL(str(where / "libmini_racer.so"))
            _signatures(dll)
            dll.mr_init_v8(" ".join(V8_FLAGS).encode(), str(where / "icudtl.dat").encode())
            _lib = dll
        return _lib


_preloading = False  # preload() was called: the loading thread is on its way


def preload() -> None:
    """Start loading libmini_racer and initialising V8 on a background thread.

    Mapping and relocating the 50 MB library takes about 15 ms.  ctypes'
    own loader holds the GIL throughout; a call of libc's dlopen() through
    ctypes releases it, so the machine's Python imports go on meanwhile
    (boot to prompt: about 10 ms sooner).  ``lib()`` then finds it loaded.
    The command line asks first (jsksh/cli.py) and the machine again: once is enough."""
    global _preloading
    if _preloading:
        return
    _preloading = True
    threading.Thread(target=_load_in_background, name="jsksh-v8-load", daemon=True).start()


def _load_in_background() -> None:
    try:
        dlopen = ctypes.CDLL(None).dlopen
        dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
        dlopen(str(_library_dir() / "libmini_racer.so").encode(), os.RTLD_NOW)
        lib()
    except Exception:  # noqa: BLE001 - lib() on the caller's thread reports what is wrong
        pass


class _GilHolding:
    """The hot, non-blocking calls, bound so that they keep the GIL.

    ctypes releases the GIL around every foreign call.  For a call that only
    queues a task (microseconds), giving the GIL up and taking it back costs
    far more than the call: while another thread is busy in traps, the caller
    can wait hundreds of microseconds to get the GIL back (a convoy).  These
    calls never wait for an isolate's thread, so holding the GIL is safe.
    """

    def __init__(self, dll: ctypes.CDLL):
        raw = RawValueHandle

        def bind(name, restype, *argtypes):
            return ctypes.PYFUNCTYPE(restype, *argtypes)((name, dll))

        self.call_function = bind(
            "mr_call_function", ctypes.c_uint64, ctypes.c_uint64, raw, raw, raw, ctypes.c_uint64
        )
        self.free_value = bind("mr_free_value", None, ctypes.c_uint64, raw)
        # Makes a value in libmini_racer's own memory (not V8's): no thread waits.
        self.alloc_string_val = bind(
            "mr_alloc_string_val", raw, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint8
        )


_fast = None


def fast() -> _GilHolding:
    global _fast
    if _fast is None:
        _fast = _GilHolding(lib())
    return _fast


def v8_version() -> str:
    return lib().mr_v8_version().decode()


class Handle:
    """A JS value Python keeps alive (a function to call); freed with the isolate."""

    __slots__ = ("raw", "name")

    def __init__(self, raw, name: str = "?"):
        self.raw = raw
        self.name = name  # what the tracer calls a post of it


def _decode(raw):
    """Turn a primitive result into Python; raise JSError for errors."""
    c = raw.contents
    t, v, n = c.type, c.value, c.len
    if t in _ERROR_KINDS:
        raise JSError(_ERROR_KINDS[t], v.bytes_val[0:n].decode("utf-8", "replace"))
    if t == T_INT:
        return int(v.int_val)
    if t == T_DOUBLE:
        return float(v.double_val)
    if t == T_STR:
        return v.bytes_val[0:n].decode("utf-8", "replace")
    if t == T_BOOL:
        return v.int_val == 1
    return None  # null, undefined, and objects Python must not read


class Isolate:
    """One V8 isolate with its own message-pump thread."""

    def __init__(self):
        self._lib = lib()
        self._fast = fast()
        self._callback = MR_CALLBACK(self._on_callback)  # keep alive!
        # V8 sets up process-wide state (the sandbox's pointer cage) lazily on
        # the first isolate, and libmini_racer's table of contexts is not
        # safe to change from two threads: isolates are made one at a time
        # (what runs in them afterwards, the runtime's evaluation, is not).
        with _lib_lock:
            self._ctx = self._lib.mr_init_context(self._callback)
        self._tasks: dict[int, Callable] = {}
        self._traps: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count(_TRAP_IDS)
        self._trap_ids = itertools.count(1)
        self._keep: list = []
        self._closed = False
        self._thread_state = 0  # see _keep_thread_state
        # The machine's tracer (jsksh/native/tracer.py) and who this isolate
        # is in its lines ("kernel", "pid 12 echo"), set by the owner; posts
        # are recorded here, where they cross. The isolate's thread takes
        # the same name (`top -H`, perf), at its next callback after a change.
        self.tracer = None
        self.track = "isolate"
        self._thread_named = ""
        self._empty_args = self._eval_raw("[]")
        self._undefined = self._lib.mr_alloc_int_val(self._ctx, 0, T_UNDEFINED)
        self._global = self._eval_raw("globalThis")

    # -- the callback every completion and trap arrives through (isolate thread)
    def _on_callback(self, cid, raw):
        if not self._thread_state:
            self._keep_thread_state()
        if self._thread_named is not self.track:
            self._thread_named = self.track
            _name_this_thread(f"v8 {self.track}")
        if cid < _TRAP_IDS:
            self._fast.free_value(self._ctx, raw)  # the arguments array: unread
            trap = self._traps.get(cid)
            if trap is not None:
                trap()
            return
        done = self._tasks.pop(cid, None)
        if done is not None:
            done(raw)
        else:
            self._lib.mr_free_value(self._ctx, raw)

    def _start(self, method, *args, done) -> int:
        cid = next(self._ids)
        self._tasks[cid] = done
        return method(self._ctx, *args, cid)

    def _wait(self, method, *args, timeout=None):
        box = []
        ev = threading.Event()

        def done(raw):
            box.append(raw)
            ev.set()

        task = self._start(method, *args, done=done)
        if not ev.wait(timeout):
            self._lib.mr_cancel_task(self._ctx, task)
            ev.wait()
        return box[0]

    def _string(self, s: str):
        b = s.encode("utf-8")
        return self._lib.mr_alloc_string_val(self._ctx, b, len(b), T_STR)

    def _eval_raw(self, code: str):
        h = self._string(code)
        try:
            raw = self._wait(self._lib.mr_eval, h)
        finally:
            self._lib.mr_free_value(self._ctx, h)
        if raw.contents.type in _ERROR_KINDS:
            try:
                _decode(raw)
            finally:
                self._lib.mr_free_value(self._ctx, raw)
        return raw

    # -- public API -----------------------------------------------------------
    def eval(self, code: str, timeout: float | None = None):
        """Run a script and return its primitive result (never call on the isolate's thread)."""
        h = self._string(code)
        try:
            raw = self._wait(self._lib.mr_eval, h, timeout=timeout)
        finally:
            self._lib.mr_free_value(self._ctx, h)
        try:
            return _decode(raw)
        finally:
            self._lib.mr_free_value(self._ctx, raw)

    def eval_async(self, code: str, done: Callable | None = None) -> int:
        """Queue a script; ``done(value, error)`` runs on the isolate's thread."""
        h = self._string(code)

        def finish(raw):
            self._lib.mr_free_value(self._ctx, h)
            self._finish(raw, done)

        return self._start(self._lib.mr_eval, h, done=finish)

    def _finish(self, raw, done):
        try:
            value, error = _decode(raw), None
        except JSError as e:
            value, error = None, e
        finally:
            self._fast.free_value(self._ctx, raw)
        if done is not None:
            done(value, error)

    def function(self, code: str, name: str = "?") -> Handle:
        """Evaluate ``code`` to a JS function and keep a handle to call it with post()."""
        raw = self._eval_raw(code)
        if raw.contents.type != T_FUNCTION:
            self._lib.mr_free_value(self._ctx, raw)
            raise TypeError(f"not a function: {code!r}")
        return Handle(raw, name)

    def post(self, fn: Handle, done: Callable | None = None, *, this: bytes | None = None) -> int:
        """Queue a call ``fn()`` on the isolate's thread; returns a task id.

        ``this``: UTF-8 text the call gets as its receiver, a JS string (a
        strict-mode function sees it as ``this``).  libmini_racer makes a
        string value without the isolate's thread, but an argument list only
        on it: the receiver is how text goes in without waiting for V8."""
        tracer = self.tracer
        if tracer is not None and tracer.on:
            done = self._traced(tracer, fn, done)
        if this is None:
            receiver, finish = self._undefined, lambda raw: self._finish(raw, done)
        else:
            receiver = self._fast.alloc_string_val(self._ctx, this, len(this), T_STR)

            def finish(raw):
                self._fast.free_value(self._ctx, receiver)
                self._finish(raw, done)

        return self._start(self._fast.call_function, fn.raw, receiver, self._empty_args, done=finish)

    def _traced(self, tracer, fn: Handle, done: Callable | None) -> Callable:
        # One event when the call (and its microtasks) has ended: its time is
        # when it was queued, its duration the wait for the thread and the run.
        queued, track = tracer.now(), self.track

        def finished(value, error):
            tracer.emit("post", track, fn.name, queued, tracer.now() - queued, 0, "threw" if error else "")
            if done is not None:
                done(value, error)

        return finished

    def buffer(self, expr: str) -> memoryview:
        """A writable view of the ArrayBuffer ``expr`` evaluates to.

        ``expr`` must name something JS keeps alive (a global): if JS lets the
        buffer go and GC runs, the view dangles."""
        raw = self._eval_raw(expr)
        c = raw.contents
        if c.type not in (T_BUFFER, T_SHARED_BUFFER):
            self._lib.mr_free_value(self._ctx, raw)
            raise TypeError(f"not an ArrayBuffer: {expr!r}")
        n = c.len
        cdata = (ctypes.c_ubyte * n).from_address(c.value.value_ptr) if n else bytearray()
        self._keep.append(raw)
        return memoryview(cdata).cast("B")

    def _keep_thread_state(self) -> None:
        # On the isolate's thread, inside a callback (the GIL is held): the
        # reference is given back by close(), or leaks with a killed isolate.
        self._thread_state = _gilstate_ensure() + 1

    def _release_thread_state(self) -> None:
        done = threading.Event()

        def release():
            _gilstate_release(self._thread_state - 1)
            self._thread_state = -1  # never kept again: the isolate is closing
            done.set()

        tid = next(self._trap_ids)
        self._traps[tid] = release
        fn = self._lib.mr_make_js_callback(self._ctx, tid)
        self._start(self._fast.call_function, fn, self._undefined, self._empty_args, done=self._free)
        done.wait(0.5)
        self._lib.mr_free_value(self._ctx, fn)

    def _free(self, raw) -> None:
        self._lib.mr_free_value(self._ctx, raw)

    def make_trap(self, name: str, handler: Callable[[], None]) -> None:
        """Install ``globalThis[name]``: calling it from JS runs ``handler`` synchronously."""
        tid = next(self._trap_ids)
        self._traps[tid] = handler
        fn = self._lib.mr_make_js_callback(self._ctx, tid)
        key = self._string(name)
        res = self._lib.mr_set_object_item(self._ctx, self._global, key, fn)
        for r in (res, key, fn):
            self._lib.mr_free_value(self._ctx, r)

    def cancel(self, task: int) -> None:
        """Terminate a running task (the isolate stays usable)."""
        self._lib.mr_cancel_task(self._ctx, task)

    def set_heap_limit(self, nbytes: int) -> None:
        self._lib.mr_set_hard_memory_limit(self._ctx, nbytes)

    def heap_limit_reached(self) -> bool:
        return bool(self._lib.mr_hard_memory_limit_reached(self._ctx))

    def heap_stats(self) -> str:
        """V8's heap statistics as JSON (a task on the isolate's thread: waits while it is busy)."""
        raw = self._lib.mr_heap_stats(self._ctx)
        try:
            return _decode(raw)
        finally:
            self._lib.mr_free_value(self._ctx, raw)

    def low_memory_notification(self) -> None:
        self._lib.mr_low_memory_notification(self._ctx)

    def close(self, *, idle: bool = False) -> None:
        """Tear the isolate down; terminates whatever it is running.

        ``idle``: the caller knows the isolate is not running anything, so
        its thread can give back the Python thread state it keeps (a busy
        or wedged isolate leaks it: a few KiB)."""
        if self._closed:
            return
        if idle and self._thread_state:
            self._release_thread_state()
        self._closed = True
        self._lib.mr_free_context(self._ctx)
        self._tasks.clear()
        self._traps.clear()
