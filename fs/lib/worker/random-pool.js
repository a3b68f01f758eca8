// fs/lib/worker/random-pool.js (/lib/worker/random-pool in the image): the
// random bytes behind a worker's crypto.getRandomValues and randomUUID.
// They are synchronous, and the kernel's /dev/urandom is a read away: a
// pool of `size` bytes read at the start, topped up in the background once
// half is spent. `worker run` and the invoker's instances use it.
'use strict';

async function randomPool(fs, size) {
  const read = async () => {
    const f = await fs.open('/dev/urandom', 'r');
    try {
      return await f.read(size);
    } finally {
      await f.close();
    }
  };
  const pool = { bytes: await read(), at: 0, refilling: false };
  pool.take = (n) => {
    if (pool.at + n > pool.bytes.length) throw new Error('crypto: the random pool is spent; try again in a moment');
    pool.at += n;
    const out = pool.bytes.slice(pool.at - n, pool.at);
    if (pool.at > pool.bytes.length / 2 && !pool.refilling) {
      pool.refilling = true;
      read().then((bytes) => Object.assign(pool, { bytes, at: 0, refilling: false }), () => (pool.refilling = false));
    }
    return out;
  };
  return pool;
}

module.exports = { randomPool };
