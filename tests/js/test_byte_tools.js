// Unit tests for the tools that move and hash bytes: /lib/sha256 (the FIPS
// 180-4 and NIST examples), /kernel/lib/chacha20 (the RFC 8439 vectors and
// the /dev/urandom generator), /lib/size-suffix, and the apps sha256sum, dd
// and head -c. The apps run against a fake `sys` with byte streams, as in
// test_apps.js but extended: stdin.readBytes(max) hands out the queued
// chunks (split at max, like a pipe), fs.open gives files that read and
// write bytes, and every write resolves a few microtasks later, so a test
// can see whether an app waited for it (back-pressure) before the next.

const { Sha256, sha256, hex } = require('/lib/sha256');
const { ChaCha20, ChaCha20Rng, chacha20Block, quarterRound } = require('/kernel/lib/chacha20');
const { parseSize, DD_SUFFIXES } = require('/lib/size-suffix');

// ---- bytes ------------------------------------------------------------------

// Tests use ASCII text, so one char is one byte.
const bytesOf = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const textOf = (bytes) => {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  return out;
};
const fromHex = (h) => Uint8Array.from(h.replace(/\s+/g, '').match(/../g), (b) => parseInt(b, 16));
const concat = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};
// 0, 1, 2, ... 255, 0, 1, ...: n bytes that show any reordering.
const pattern = (n, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 255);
const range = (n) => Uint8Array.from({ length: n }, (_, i) => i);

// ---- /lib/sha256 -------------------------------------------------------------

const hexOf = (data) => hex(sha256(typeof data === 'string' ? bytesOf(data) : data));

test('sha256: the FIPS 180-4 examples', () => {
  assert.equal(hexOf(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hexOf('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // 448 bits: the padding's length no longer fits, so it takes a second block.
  assert.equal(
    hexOf('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.equal(
    hexOf('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  );
});

test('sha256: one million a, fed in odd-sized chunks', () => {
  const million = new Uint8Array(1000000).fill(0x61);
  const expected = 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0';
  assert.equal(hex(sha256(million)), expected);
  // Chunks that end before, on and after block boundaries, and start inside a buffered block.
  const sizes = [1, 63, 64, 65, 1000, 7, 128, 3];
  const h = new Sha256();
  for (let at = 0, i = 0; at < million.length; i++) {
    const n = sizes[i % sizes.length];
    h.update(million.subarray(at, at + n));
    at += n;
  }
  assert.equal(h.hex(), expected);
});

test('sha256: messages around the padding boundaries (55, 56, 64 bytes ...)', () => {
  // From Python's hashlib: sha256(bytes(i & 255 for i in range(n))).
  const expected = {
    1: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    55: '463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59',
    56: 'da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562',
    57: '2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f',
    63: '29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488',
    64: 'fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108',
    65: '4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781',
    119: 'da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6',
    120: 'f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c',
    127: '92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976',
    128: '471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5',
    129: '5099c6a56203f9687f7d33f4bfdf576d31dc91f6b695ecea38b2770c87631135',
    1000: 'a8af099bf2e878609558dbf69d8f88f4a31040a8cf84b549a0cfa912f12ffc3f',
  };
  for (const [n, digest] of Object.entries(expected)) {
    const message = pattern(Number(n));
    assert.equal(hexOf(message), digest, `${n} bytes at once`);
    const h = new Sha256();
    for (let i = 0; i < message.length; i++) h.update(message.subarray(i, i + 1));
    assert.equal(h.hex(), digest, `${n} bytes one at a time`);
  }
});

test('sha256: digest() is final and repeatable; any typed array is bytes', () => {
  const h = new Sha256().update(bytesOf('ab')).update(new Uint8Array(0)).update(bytesOf('c'));
  const first = h.digest();
  assert.equal(first.length, 32);
  first[0] = 0; // the caller's copy
  assert.equal(h.hex(), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.throws(() => h.update(bytesOf('x')), /after digest/);
  assert.throws(() => new Sha256().update('abc'), /Uint8Array/);
  const words = new Uint32Array(pattern(64).buffer); // the same 64 bytes, seen as words
  assert.equal(hex(sha256(words)), hexOf(pattern(64)));
  assert.equal(hex(Uint8Array.of(0, 1, 171, 255)), '0001abff');
});

// ---- /kernel/lib/chacha20 ------------------------------------------------------

const KEY = range(32); // 00:01:02:...:1f, the key of RFC 8439's examples

test('chacha20: the quarter round (RFC 8439 §2.1.1)', () => {
  const x = Uint32Array.of(0x11111111, 0x01020304, 0x9b8d6f43, 0x01234567);
  quarterRound(x, 0, 1, 2, 3);
  assert.deepEqual(x, Uint32Array.of(0xea2a92f4, 0xcb1cf8ce, 0x4581472e, 0x5881c4bb));
});

test('chacha20: the block function (RFC 8439 §2.3.2)', () => {
  const expected = fromHex(`
    10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4 c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
    d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2 b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e`);
  const nonce = fromHex('00 00 00 09 00 00 00 4a 00 00 00 00');
  assert.deepEqual(new ChaCha20(KEY, nonce, 1).keystream(new Uint8Array(64)), expected);

  // The same block from the state of §2.3.2 as words, and the words it gives.
  const state = Uint32Array.of(
    0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c,
    0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c, 0x00000001, 0x09000000, 0x4a000000, 0x00000000,
  );
  const out = new Uint32Array(18);
  chacha20Block(state, out, 1);
  assert.equal(out[0], 0, 'writes only its 16 words');
  assert.equal(out[1], 0xe4e7f110);
  assert.equal(out[16], 0x4e3c50a2);
  assert.equal(out[17], 0);
  assert.equal(state[12], 1, 'the state is left as it was');
});

// §2.4.2: the sunscreen plaintext, and its ciphertext.
const SUNSCREEN =
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
const SUNSCREEN_CIPHERTEXT = fromHex(`
  6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
  f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
  07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
  5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d`);
const SUNSCREEN_NONCE = fromHex('00 00 00 00 00 00 00 4a 00 00 00 00');

test('chacha20: encryption is XOR with the keystream (RFC 8439 §2.4.2)', () => {
  const data = bytesOf(SUNSCREEN);
  assert.equal(data.length, 114);
  assert.deepEqual(new ChaCha20(KEY, SUNSCREEN_NONCE, 1).xor(data), SUNSCREEN_CIPHERTEXT);
  assert.equal(textOf(new ChaCha20(KEY, SUNSCREEN_NONCE, 1).xor(data)), SUNSCREEN, 'decryption is the same XOR');

  // The keystream continues across calls: pieces of odd sizes give the same bytes.
  const whole = new ChaCha20(KEY, SUNSCREEN_NONCE, 1).keystream(new Uint8Array(1000));
  const stream = new ChaCha20(KEY, SUNSCREEN_NONCE, 1);
  const pieces = [1, 63, 64, 65, 7, 128, 200, 472].map((n) => stream.keystream(new Uint8Array(n)));
  assert.deepEqual(concat(pieces), whole);
  const byXor = new ChaCha20(KEY, SUNSCREEN_NONCE, 1);
  const x = concat([bytesOf(SUNSCREEN.slice(0, 5)), bytesOf(SUNSCREEN.slice(5))]);
  byXor.xor(x.subarray(0, 5));
  byXor.xor(x.subarray(5));
  assert.deepEqual(x, SUNSCREEN_CIPHERTEXT);

  assert.throws(() => new ChaCha20(range(16), SUNSCREEN_NONCE), /key is 32 bytes/);
  assert.throws(() => new ChaCha20(KEY, range(8)), /nonce is 12 bytes/);
  assert.throws(() => new ChaCha20(KEY, SUNSCREEN_NONCE, 0xffffffff).keystream(new Uint8Array(128)), /counter exhausted/);
});

test('chacha20 rng: output and fast key erasure, as designed (known answers)', () => {
  // Computed with OpenSSL (`openssl enc -chacha20`, counter 0, nonce 0):
  // block 0 under the seed is 39fd2b7d...2492 (the next key) then 2b23cce7...410c;
  // block 1 begins 18b84231.
  const rng = new ChaCha20Rng(KEY);
  assert.deepEqual(
    rng.fill(new Uint8Array(48)),
    fromHex('2b23cce7a26023ab3f0eef693ac87f64258235eab1f7a32dc22762a0485b410c 18b84231ade6a6d113615c61af434e27'),
  );
  // The next request is answered under the new key 39fd2b7d...2492: bytes 32..47 of its block 0.
  assert.deepEqual(rng.fill(new Uint8Array(16)), fromHex('2d41a59c90e41a8e7a4dccaa1c460699'));
});

// What ChaCha20Rng should produce for one fill of n bytes: 64 KiB pieces,
// each the keystream of a key after its first 32 bytes, which are the next key.
function referenceFill(seed, n) {
  const out = new Uint8Array(n);
  let key = seed;
  for (let at = 0; at < n; at += 65536) {
    const piece = Math.min(65536, n - at);
    const stream = new ChaCha20(key, new Uint8Array(12), 0).keystream(new Uint8Array(32 + piece));
    out.set(stream.subarray(32), at);
    key = stream.slice(0, 32);
  }
  return { out, key };
}

test('chacha20 rng: large fills are cut into 64 KiB pieces, each with a new key', () => {
  const seed = pattern(32, 100);
  const rng = new ChaCha20Rng(seed);
  const reference = referenceFill(seed, 200001);
  assert.deepEqual(rng.fill(new Uint8Array(200001)), reference.out);
  // The key after the fill is the one the last piece made.
  const next = new ChaCha20(reference.key, new Uint8Array(12), 0).keystream(new Uint8Array(64));
  assert.deepEqual(rng.fill(new Uint8Array(32)), next.subarray(32));
});

test('chacha20 rng: deterministic for a fixed seed, whatever the buffer alignment', () => {
  const sizes = [1, 31, 32, 33, 63, 64, 65, 4097, 65535, 65536, 65537, 100000, 5];
  const run = (seed, offset) => {
    const rng = new ChaCha20Rng(seed);
    return concat(
      sizes.map((n) => {
        const backing = new Uint8Array(n + offset); // offset 1: the output is not word-aligned
        return rng.fill(backing.subarray(offset)).slice();
      }),
    );
  };
  const seed = pattern(32, 7);
  const a = run(seed, 0);
  assert.equal(a.length, sizes.reduce((x, y) => x + y));
  assert.deepEqual(run(seed, 0), a, 'the same seed and requests: the same bytes');
  assert.deepEqual(run(seed, 1), a, 'unaligned buffers take the byte-by-byte path, same bytes');
  const other = run(pattern(32, 8), 0);
  assert.notEqual(hex(sha256(other)), hex(sha256(a)), 'another seed: other bytes');

  // How the stream is asked for matters (each fill moves to a new key).
  const once = new ChaCha20Rng(seed).fill(new Uint8Array(200));
  const twice = new ChaCha20Rng(seed);
  const halves = concat([twice.fill(new Uint8Array(100)), twice.fill(new Uint8Array(100))]);
  assert.deepEqual(once.subarray(0, 100), halves.subarray(0, 100));
  assert.notEqual(hex(once.subarray(100)), hex(halves.subarray(100)));

  // The output is not all zeros, nor one repeated byte.
  assert.ok(new Set(a.subarray(0, 1000)).size > 200);
  assert.throws(() => new ChaCha20Rng(range(31)), /32 bytes/);
});

test('chacha20 rng: reseed mixes entropy into the key', () => {
  const plain = new ChaCha20Rng(KEY);
  const reseeded = new ChaCha20Rng(KEY);
  reseeded.reseed(pattern(32, 200));
  assert.notEqual(hex(reseeded.fill(new Uint8Array(64))), hex(plain.fill(new Uint8Array(64))));
  const again = new ChaCha20Rng(KEY);
  again.reseed(pattern(32, 200));
  const first = new ChaCha20Rng(KEY);
  first.reseed(pattern(32, 200));
  assert.deepEqual(again.fill(new Uint8Array(64)), first.fill(new Uint8Array(64)));
  // A zero seed still moves the key on: reseeding never repeats old output.
  const zero = new ChaCha20Rng(KEY);
  zero.reseed(new Uint8Array(32));
  assert.notEqual(hex(zero.fill(new Uint8Array(48))), hex(new ChaCha20Rng(KEY).fill(new Uint8Array(48))));
});

// ---- /lib/size-suffix ------------------------------------------------------------

test('size suffixes: GNU powers of 1024 and 1000, blocks, words', () => {
  const cases = {
    0: 0,
    512: 512,
    '1b': 512,
    '2K': 2048,
    '2k': 2048,
    '2kB': 2000,
    '2KB': 2000,
    '2KiB': 2048,
    '1M': 1048576,
    '1m': 1048576,
    '1MB': 1000000,
    '1MiB': 1048576,
    '1G': 1073741824,
    '1GB': 1000000000,
    '3T': 3 * 2 ** 40,
    '1Y': Infinity,
    '99999999999999999999': Infinity,
  };
  for (const [text, n] of Object.entries(cases)) assert.equal(parseSize(text), n, text);
  for (const bad of ['', 'K', '-1', '+1', ' 1', '1.5K', '1X', '1bB', '1KiBx', '1c', '1w', '1g', '0x10']) {
    assert.ok(Number.isNaN(parseSize(bad)), `${JSON.stringify(bad)} is not a size`);
  }
  // dd's letters: c and w, but not m.
  assert.equal(parseSize('1c', DD_SUFFIXES), 1);
  assert.equal(parseSize('3w', DD_SUFFIXES), 6);
  assert.equal(parseSize('1kB', DD_SUFFIXES), 1000);
  assert.ok(Number.isNaN(parseSize('1m', DD_SUFFIXES)));
});

// ---- a fake sys with byte streams -------------------------------------------------

const ERRORS = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EBADF: 'Bad file descriptor',
};
const kernelError = (code, subject) => Object.assign(new Error(`${subject}: ${ERRORS[code]}`), { code });

const ZEROS = new Uint8Array(1 << 20); // the bytes of {size: n} files

// A file is a string, a Uint8Array, {size: n} (n zero bytes, never stored)
// or {type: 'dir'}. Options: stdin (chunks: strings or Uint8Arrays),
// stdinKind, fileChunk (the most bytes a file read returns, like a kernel
// that reads a page at a time), diskSpace (bytes all files under /tmp may
// hold: then ENOSPC), discardStdout (count the bytes only), clock (the
// values performance.now() returns, one a call; the last repeats).
function fakeSys(options = {}) {
  const files = { '/': { type: 'dir' }, '/etc': { type: 'dir' }, '/tmp': { type: 'dir' } };
  for (const [path, f] of Object.entries(options.files || {})) {
    files[path] = f.type === 'dir' ? f : f.size !== undefined ? { type: 'file', size: f.size } : { type: 'file', data: typeof f === 'string' ? bytesOf(f) : f };
  }
  const sizeOf = (node) => (node.data ? node.data.length : node.size);
  const rec = { out: [], stdoutLength: 0, stderr: '', reads: [], fileReads: [], inFlight: 0, maxInFlight: 0, writes: [], files };
  rec.stdout = () => textOf(concat(rec.out));
  rec.stdoutData = () => concat(rec.out);
  const stdin = (options.stdin || []).map((c) => (typeof c === 'string' ? bytesOf(c) : c));
  const tick = async () => {
    await null;
  };
  // A write resolves three microtasks later; until then it is in flight.
  const writer = (sink) => (data) => {
    const copy = typeof data === 'string' ? bytesOf(data) : options.discardStdout ? data : data.slice();
    rec.inFlight++;
    rec.maxInFlight = Math.max(rec.maxInFlight, rec.inFlight);
    return (async () => {
      await tick();
      await tick();
      await tick();
      rec.inFlight--;
      sink(copy);
    })();
  };
  const norm = (p) => '/' + p.split('/').filter((x) => x && x !== '.').join('/');
  const tmpUsed = () => Object.entries(files).reduce((n, [p, f]) => n + (p.startsWith('/tmp/') && f.type === 'file' ? sizeOf(f) : 0), 0);

  rec.sys = {
    argv: [],
    env: {},
    cwd: '/',
    stdout: {
      write: writer((bytes) => {
        rec.writes.push(bytes.length);
        rec.stdoutLength += bytes.length;
        if (!options.discardStdout) rec.out.push(bytes);
      }),
      isTTY: false,
    },
    stderr: { write: writer((bytes) => void (rec.stderr += textOf(bytes))), isTTY: false },
    stdin: {
      kind: options.stdinKind ?? 'pipe',
      readBytes: async (max) => {
        await tick();
        rec.reads.push(max);
        if (stdin.length === 0) return null;
        const chunk = stdin[0];
        if (max > 0 && max < chunk.length) {
          stdin[0] = chunk.subarray(max);
          return chunk.slice(0, max);
        }
        return stdin.shift();
      },
      read: async () => {
        await tick();
        return stdin.length > 0 ? textOf(stdin.shift()) : null;
      },
    },
    fs: {
      readFile: async (path) => {
        await tick();
        const node = files[norm(path)];
        if (!node) throw kernelError('ENOENT', path);
        if (node.type === 'dir') throw kernelError('EISDIR', path);
        return textOf(node.data || ZEROS.subarray(0, node.size));
      },
      open: async (path, flags = 'r') => {
        await tick();
        const p = norm(path);
        const node = files[p];
        if (flags === 'r') {
          if (!node) throw kernelError('ENOENT', path);
          if (node.type === 'dir') throw kernelError('EISDIR', path);
          let at = 0;
          return {
            read: async (max) => {
              await tick();
              rec.fileReads.push(max);
              const size = sizeOf(node);
              if (at >= size) return null;
              const n = Math.min(size - at, max > 0 ? max : 65536, options.fileChunk || Infinity, ZEROS.length);
              const chunk = node.data ? node.data.slice(at, at + n) : ZEROS.subarray(0, n);
              at += n;
              return chunk;
            },
            write: () => Promise.reject(kernelError('EBADF', path)),
            close: tick,
          };
        }
        if (!p.startsWith('/tmp/')) throw kernelError('EROFS', path);
        if (node && node.type === 'dir') throw kernelError('EISDIR', path);
        const file = flags === 'a' && node ? node : (files[p] = { type: 'file', data: new Uint8Array(0) });
        return {
          read: () => Promise.reject(kernelError('EBADF', path)),
          write: async (data) => {
            await tick();
            const bytes = typeof data === 'string' ? bytesOf(data) : data;
            if (options.diskSpace !== undefined && tmpUsed() + bytes.length > options.diskSpace) throw kernelError('ENOSPC', path);
            file.data = concat([file.data, bytes]);
          },
          close: tick,
        };
      },
    },
  };
  return rec;
}

// Runs /bin/NAME.js with these arguments against a fake sys.
async function run(argv, options = {}) {
  const rec = fakeSys(options);
  globalThis.sys = rec.sys;
  const times = [...(options.clock || [0])];
  globalThis.performance = { now: () => (times.length > 1 ? times.shift() : times[0]) };
  rec.status = await require(`/bin/${argv[0]}.js`)(argv);
  // Writes not awaited still reach their stream: the app lives until they are done.
  for (let i = 0; i < 10; i++) await null;
  return rec;
}

// The first two lines of dd's report, and the third.
const records = (rec) => rec.stderr.split('\n').slice(-4, -2).join('\n');
const transfer = (rec) => rec.stderr.split('\n').slice(-2, -1)[0];

// ---- dd ------------------------------------------------------------------------

test('dd copies standard input to standard output and reports as GNU does', async () => {
  const input = pattern(1124);
  const r = await run(['dd'], { stdin: [input.subarray(0, 512), input.subarray(512, 1024), input.subarray(1024)], clock: [0, 1.2] });
  assert.deepEqual(r.stdoutData(), input);
  assert.equal(r.stderr, '2+1 records in\n2+1 records out\n1124 bytes (1.1 kB, 1.1 KiB) copied, 0.0012 s, 937 kB/s\n');
  assert.equal(r.status, 0);
  assert.deepEqual(r.reads, [512, 512, 512, 512], 'each read asks for at most ibs (512 by default)');
});

test('dd with bs=: each short read from a pipe is a partial record, written as it came', async () => {
  const chunks = [pattern(100), pattern(300, 100), pattern(512, 400), pattern(50, 912)];
  const r = await run(['dd', 'bs=512'], { stdin: chunks });
  assert.equal(records(r), '1+3 records in\n1+3 records out');
  assert.deepEqual(r.writes, [100, 300, 512, 50]);
  assert.deepEqual(r.stdoutData(), pattern(962));
});

test('dd without bs=: partial reads are gathered into obs-sized blocks', async () => {
  const chunks = [pattern(100), pattern(300, 100), pattern(512, 400), pattern(50, 912)];
  const r = await run(['dd'], { stdin: chunks });
  assert.equal(records(r), '1+3 records in\n1+1 records out');
  assert.deepEqual(r.writes, [512, 450]);
  assert.deepEqual(r.stdoutData(), pattern(962));

  const f = await run(['dd', 'if=/tmp/in', 'ibs=100', 'obs=300'], { files: { '/tmp/in': pattern(1000) } });
  assert.equal(records(f), '10+0 records in\n3+1 records out');
  assert.deepEqual(f.writes, [300, 300, 300, 100]);
  assert.deepEqual(f.stdoutData(), pattern(1000));

  // A read larger than obs is cut without waiting for more.
  const big = await run(['dd', 'ibs=1000', 'obs=256'], { stdin: [pattern(1000)] });
  assert.deepEqual(big.writes, [256, 256, 256, 232]);
  assert.equal(records(big), '1+0 records in\n3+1 records out');
});

test('dd count= counts input blocks, full or partial, and reads no further', async () => {
  const chunks = [pattern(100), pattern(300, 100), pattern(512, 400), pattern(50, 912)];
  const r = await run(['dd', 'bs=512', 'count=2'], { stdin: chunks, clock: [0, 1000] });
  assert.equal(r.stderr, '0+2 records in\n0+2 records out\n400 bytes copied, 1 s, 400 B/s\n');
  assert.equal(r.reads.length, 2);

  const none = await run(['dd', 'count=0'], { stdin: chunks });
  assert.equal(records(none), '0+0 records in\n0+0 records out');
  assert.deepEqual(none.reads, []);
  assert.equal(none.stdoutLength, 0);
});

test('dd iflag=fullblock fills each block from several reads', async () => {
  const chunks = [pattern(100), pattern(300, 100), pattern(512, 400), pattern(50, 912)];
  const r = await run(['dd', 'bs=512', 'iflag=fullblock'], { stdin: chunks });
  assert.equal(records(r), '1+1 records in\n1+1 records out');
  assert.deepEqual(r.writes, [512, 450]);
  assert.deepEqual(r.stdoutData(), pattern(962));
});

test('dd reads a file in whole blocks even when the kernel returns less at a time', async () => {
  const r = await run(['dd', 'if=/tmp/in', 'of=/tmp/out', 'bs=1K'], { files: { '/tmp/in': pattern(3000) }, fileChunk: 100 });
  assert.equal(records(r), '2+1 records in\n2+1 records out');
  assert.ok(transfer(r).startsWith('3000 bytes (3.0 kB, 2.9 KiB) copied, '), transfer(r));
  assert.deepEqual(r.files['/tmp/out'].data, pattern(3000));
  assert.equal(r.stdoutLength, 0);
  // of= truncates what was there.
  const again = await run(['dd', 'if=/tmp/in', 'of=/tmp/out', 'count=1'], { files: { '/tmp/in': pattern(3000), '/tmp/out': pattern(5000) } });
  assert.deepEqual(again.files['/tmp/out'].data, pattern(512));
});

test('dd skip= drops input records first', async () => {
  const r = await run(['dd', 'if=/tmp/in', 'bs=512', 'skip=2', 'count=1'], { files: { '/tmp/in': pattern(2000) } });
  assert.deepEqual(r.stdoutData(), pattern(512, 1024));
  assert.equal(records(r), '1+0 records in\n1+0 records out', 'skipped records are not counted');

  // From a pipe a skipped record is one read, short or not (GNU reads it).
  const p = await run(['dd', 'bs=512', 'skip=1'], { stdin: [pattern(100), pattern(10, 100)] });
  assert.deepEqual(p.stdoutData(), pattern(10, 100));

  const past = await run(['dd', 'skip=3'], { stdin: [pattern(100)] });
  assert.ok(past.stderr.startsWith("dd: 'standard input': cannot skip to specified offset\n0+0 records in\n"), past.stderr);
  assert.equal(past.status, 0);
});

test('dd sizes take GNU suffixes and products', async () => {
  const files = { '/tmp/in': { size: 5000 } };
  assert.deepEqual((await run(['dd', 'if=/tmp/in', 'bs=2x256', 'count=1'], { files })).writes, [512]);
  assert.deepEqual((await run(['dd', 'if=/tmp/in', 'bs=1kB', 'count=2'], { files })).writes, [1000, 1000]);
  assert.deepEqual((await run(['dd', 'if=/tmp/in', 'bs=1K', 'count=1'], { files })).writes, [1024]);
  assert.deepEqual((await run(['dd', 'if=/tmp/in', 'bs=3b', 'count=1'], { files })).writes, [1536]);
  assert.deepEqual((await run(['dd', 'if=/tmp/in', 'bs=1c', 'count=2'], { files })).writes, [1, 1]);
  assert.deepEqual((await run(['dd', 'if=/tmp/in', 'ibs=2w', 'obs=1', 'count=1'], { files })).writes, [1, 1, 1, 1]);
});

test('dd rejects bad operands as GNU does', async () => {
  const cases = [
    [['dd', 'foo'], "dd: unrecognized operand 'foo'\n"],
    [['dd', 'if'], "dd: unrecognized operand 'if'\n"],
    [['dd', 'conv=sync'], "dd: unrecognized operand 'conv=sync'\n"],
    [['dd', 'bs=0'], "dd: invalid number: '0'\n"],
    [['dd', 'bs='], "dd: invalid number: ''\n"],
    [['dd', 'bs=1m'], "dd: invalid number: '1m'\n"],
    [['dd', 'count=x'], "dd: invalid number: 'x'\n"],
    [['dd', 'skip=-1'], "dd: invalid number: '-1'\n"],
    [['dd', 'obs=1.5K'], "dd: invalid number: '1.5K'\n"],
    [['dd', 'status=loud'], "dd: invalid status level: 'loud'\n"],
    [['dd', 'iflag=direct'], "dd: invalid input flag: 'direct'\n"],
  ];
  for (const [argv, message] of cases) {
    const r = await run(argv, { stdin: ['data'] });
    assert.equal(r.stderr, message, argv.join(' '));
    assert.equal(r.status, 1);
    assert.deepEqual(r.reads, [], 'nothing is read');
  }
});

test('dd: files that cannot be opened, and a full disk', async () => {
  const missing = await run(['dd', 'if=/nope']);
  assert.equal(missing.stderr, "dd: failed to open '/nope': No such file or directory\n");
  assert.equal(missing.status, 1);
  const readOnly = await run(['dd', 'of=/etc/x'], { stdin: ['x'] });
  assert.equal(readOnly.stderr, "dd: failed to open '/etc/x': Read-only file system\n");

  const full = await run(['dd', 'if=/tmp/in', 'of=/tmp/out', 'bs=512'], { files: { '/tmp/in': pattern(3000) }, diskSpace: 3000 + 1000 });
  assert.equal(full.stderr.split('\n')[0], "dd: error writing '/tmp/out': No space left on device");
  assert.equal(records(full), '2+0 records in\n1+0 records out');
  assert.ok(transfer(full).startsWith('512 bytes copied, '));
  assert.equal(full.status, 1);
});

test('dd: the transfer line in GNU number formats', async () => {
  // [bytes, start and end of performance.now() in ms, the line]
  const cases = [
    [0, [0, 0.1234], '0 bytes copied, 0.0001234 s, 0.0 kB/s'],
    [0, [5, 5], '0 bytes copied, 0 s, Infinity B/s'],
    [1, [0, 1000], '1 byte copied, 1 s, 1 B/s'],
    [999, [0, 250], '999 bytes copied, 0.25 s, 4.0 kB/s'],
    [1000, [0, 2000], '1000 bytes (1.0 kB) copied, 2 s, 500 B/s'],
    [2359, [0, 1.2], '2359 bytes (2.4 kB, 2.3 KiB) copied, 0.0012 s, 2.0 MB/s'],
    [9950, [0, 1000], '9950 bytes (10 kB, 9.7 KiB) copied, 1 s, 10 kB/s'], // 9.95: ties to even, up
    [999499, [0, 1000], '999499 bytes (999 kB, 976 KiB) copied, 1 s, 999 kB/s'],
    [999500, [0, 500], '999500 bytes (1.0 MB, 976 KiB) copied, 0.5 s, 2.0 MB/s'],
    [1048576, [0, 83.2], '1048576 bytes (1.0 MB, 1.0 MiB) copied, 0.0832 s, 12.6 MB/s'],
    [268435456, [100, 1300], '268435456 bytes (268 MB, 256 MiB) copied, 1.2 s, 224 MB/s'],
    [268435456, [0, 1234567.8], '268435456 bytes (268 MB, 256 MiB) copied, 1234.57 s, 217 kB/s'],
  ];
  for (const [bytes, clock, line] of cases) {
    const r = await run(['dd', 'if=/tmp/in', 'bs=1M'], { files: { '/tmp/in': { size: bytes } }, clock, discardStdout: true });
    assert.equal(r.stdoutLength, bytes);
    assert.equal(transfer(r), line);
  }
  const big = await run(['dd', 'if=/tmp/in', 'bs=1M'], { files: { '/tmp/in': { size: 268435456 } }, discardStdout: true });
  assert.equal(records(big), '256+0 records in\n256+0 records out');

  const noxfer = await run(['dd', 'status=noxfer'], { stdin: ['abc'] });
  assert.equal(noxfer.stderr, '0+1 records in\n0+1 records out\n');
  const none = await run(['dd', 'status=none'], { stdin: ['abc'] });
  assert.equal(none.stderr, '');
  assert.equal(none.stdout(), 'abc');
});

test('dd awaits every write before the next read (back-pressure)', async () => {
  const r = await run(['dd', 'if=/tmp/in', 'bs=100'], { files: { '/tmp/in': pattern(1000) } });
  assert.equal(r.writes.length, 10);
  assert.equal(r.maxInFlight, 1);
  const reblocked = await run(['dd', 'ibs=1000', 'obs=10'], { stdin: [pattern(1000)] });
  assert.equal(reblocked.writes.length, 100);
  assert.equal(reblocked.maxInFlight, 1);
});

// ---- sha256sum ----------------------------------------------------------------------

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('sha256sum prints a GNU line per file; - and no file are standard input', async () => {
  const files = { '/tmp/abc': 'abc', '/tmp/empty': '' };
  const r = await run(['sha256sum', '/tmp/abc', '-', '/tmp/empty'], { files, stdin: ['a', 'bc'] });
  assert.equal(r.stdout(), `${ABC}  /tmp/abc\n${ABC}  -\n${EMPTY}  /tmp/empty\n`);
  assert.equal(r.status, 0);
  assert.equal((await run(['sha256sum'], { stdin: ['abc'] })).stdout(), `${ABC}  -\n`);

  // One million a, arriving as a pipe hands it over.
  const million = new Uint8Array(1000000).fill(0x61);
  const chunks = [];
  for (let at = 0; at < million.length; at += 65536) chunks.push(million.subarray(at, at + 65536));
  assert.equal((await run(['sha256sum'], { stdin: chunks })).stdout(), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0  -\n');
  // Bytes are hashed as bytes, not as text.
  const all = await run(['sha256sum', '/tmp/bytes'], { files: { '/tmp/bytes': pattern(1000) } });
  assert.equal(all.stdout(), 'a8af099bf2e878609558dbf69d8f88f4a31040a8cf84b549a0cfa912f12ffc3f  /tmp/bytes\n');
});

test('sha256sum: errors, and names that need escaping', async () => {
  const r = await run(['sha256sum', '/nope', '/tmp/abc', '/etc'], { files: { '/tmp/abc': 'abc' } });
  assert.equal(r.stdout(), `${ABC}  /tmp/abc\n`);
  assert.equal(r.stderr, 'sha256sum: /nope: No such file or directory\nsha256sum: /etc: Is a directory\n');
  assert.equal(r.status, 1);

  // As GNU: the line of a name with \\, \n or \r starts with a backslash and
  // the name is escaped; -c escapes only names with a newline.
  const names = { '/tmp/a\\b': 'abc', '/tmp/n\nl': 'abc', '/tmp/c\rr': 'abc', '/tmp/a b': 'abc' };
  const odd = await run(['sha256sum', ...Object.keys(names), '/tmp/no file'], { files: names });
  assert.equal(odd.stdout(), `\\${ABC}  /tmp/a\\\\b\n\\${ABC}  /tmp/n\\nl\n\\${ABC}  /tmp/c\\rr\n${ABC}  /tmp/a b\n`);
  assert.equal(odd.stderr, "sha256sum: '/tmp/no file': No such file or directory\n");
  const checked = await run(['sha256sum', '-c'], { files: names, stdin: [odd.stdout()] });
  assert.equal(checked.stdout(), '/tmp/a\\b: OK\n\\/tmp/n\\nl: OK\n/tmp/c\rr: OK\n/tmp/a b: OK\n');

  const bad = await run(['sha256sum', '-x']);
  assert.equal(bad.stderr, "sha256sum: invalid option -- 'x'\nusage: sha256sum [-c] [FILE...]\nTry 'sha256sum --help' for more information.\n");
  assert.equal(bad.status, 1);
});

test('sha256sum -c checks each listed file, with GNU messages and warnings', async () => {
  const files = {
    '/tmp/abc': 'abc',
    '/tmp/changed': 'abd',
    '/tmp/a\\b': 'abc',
    '/tmp/sums': [
      `${ABC}  /tmp/abc`,
      '# a comment',
      `${ABC}  /tmp/changed`,
      `${ABC.toUpperCase()} */tmp/abc`,
      `${ABC}  /nope`,
      'not a checksum line',
      '',
      `SHA256 (/tmp/abc) = ${ABC}`,
      `\\${ABC}  /tmp/a\\\\b`,
      '',
    ].join('\n'),
  };
  const r = await run(['sha256sum', '-c', '/tmp/sums'], { files });
  assert.equal(
    r.stdout(),
    '/tmp/abc: OK\n/tmp/changed: FAILED\n/tmp/abc: OK\n/nope: FAILED open or read\n/tmp/abc: OK\n/tmp/a\\b: OK\n',
  );
  assert.equal(
    r.stderr,
    'sha256sum: /nope: No such file or directory\n' +
      'sha256sum: WARNING: 1 line is improperly formatted\n' +
      'sha256sum: WARNING: 1 listed file could not be read\n' +
      'sha256sum: WARNING: 1 computed checksum did NOT match\n',
  );
  assert.equal(r.status, 1);

  // sha256sum's own output checks clean, read from standard input.
  const made = await run(['sha256sum', '/tmp/abc', '/tmp/changed'], { files });
  const check = await run(['sha256sum', '--check'], { files, stdin: [made.stdout()] });
  assert.equal(check.stdout(), '/tmp/abc: OK\n/tmp/changed: OK\n');
  assert.equal(check.stderr, '');
  assert.equal(check.status, 0);

  const twoBad = await run(['sha256sum', '-c'], { files, stdin: [`${EMPTY}  /tmp/abc\n${EMPTY}  /tmp/changed\n`] });
  assert.ok(twoBad.stderr.endsWith('sha256sum: WARNING: 2 computed checksums did NOT match\n'), twoBad.stderr);

  const garbage = await run(['sha256sum', '-c'], { stdin: ['hello\n'] });
  assert.equal(garbage.stderr, "sha256sum: 'standard input': no properly formatted checksum lines found\n");
  assert.equal(garbage.status, 1);
  const noList = await run(['sha256sum', '-c', '/tmp/none']);
  assert.equal(noList.stderr, 'sha256sum: /tmp/none: No such file or directory\n');
  assert.equal(noList.status, 1);
});

// ---- head -c ---------------------------------------------------------------------------

test('head -c copies exactly N bytes of standard input and reads no more', async () => {
  const r = await run(['head', '-c', '6'], { stdin: ['abc', 'defgh', 'ijk'] });
  assert.equal(r.stdout(), 'abcdef');
  assert.deepEqual(r.reads, [6, 3], 'asks for no more than it still needs, then stops');
  assert.equal(r.status, 0);

  const short = await run(['head', '-c', '100'], { stdin: ['abc'] });
  assert.equal(short.stdout(), 'abc');
  const zero = await run(['head', '-c', '0'], { stdin: ['abc'] });
  assert.equal(zero.stdout(), '');
  assert.deepEqual(zero.reads, []);
});

test('head -c: -cN, --bytes=N, --bytes N and GNU suffixes; bytes stay bytes', async () => {
  const files = { '/tmp/in': pattern(5000) };
  const bytes = async (...args) => (await run(['head', ...args, '/tmp/in'], { files })).stdoutData();
  assert.deepEqual(await bytes('-c', '1K'), pattern(1024));
  assert.deepEqual(await bytes('-c2kB'), pattern(2000));
  assert.deepEqual(await bytes('--bytes=1b'), pattern(512));
  assert.deepEqual(await bytes('--bytes', '300'), pattern(300));
  assert.deepEqual(await bytes('-c', '1M'), pattern(5000));
  assert.deepEqual(await bytes('-n', '1', '-c', '10'), pattern(10), 'the last of -n and -c counts');
  const r = await run(['head', '-c', '3000', '/tmp/in'], { files, fileChunk: 1000 });
  assert.deepEqual(r.fileReads, [3000, 2000, 1000], 'a file too is read no further than needed');
  assert.equal(r.maxInFlight, 1, 'each write is awaited');
});

test('head -c: several files, errors', async () => {
  const files = { '/tmp/a': 'alpha', '/tmp/b': 'beta' };
  const r = await run(['head', '-c', '3', '/tmp/a', '/nope', '/tmp/b'], { files });
  // As GNU head: no header for a file that cannot be opened.
  assert.equal(r.stdout(), '==> /tmp/a <==\nalp\n==> /tmp/b <==\nbet');
  assert.equal(r.stderr, "head: cannot open '/nope' for reading: No such file or directory\n");
  assert.equal(r.status, 1);

  const bad = await run(['head', '-c', '1X']);
  assert.equal(bad.stderr, "head: invalid number of bytes: '1X'\n");
  assert.equal(bad.status, 1);
  // A missing value is GNU's getopt error (/lib/options), status 1 as GNU's head.
  const missing = await run(['head', '-c']);
  assert.deepEqual([missing.stderr.split('\n')[0], missing.status], ["head: option requires an argument -- 'c'", 1]);
  assert.equal((await run(['head', '--bytes=-5'])).stderr, "head: invalid number of bytes: '-5'\n");
});

test('head -n still counts lines', async () => {
  assert.equal((await run(['head', '-n', '2'], { stdin: ['a\nb\n', 'c\n'] })).stdout(), 'a\nb\n');
  assert.equal((await run(['head', '-1', '/tmp/t'], { files: { '/tmp/t': 'x\ny\n' } })).stdout(), 'x\n');
});
