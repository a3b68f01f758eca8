// fs/lib/worker/script-store.js (/lib/worker/script-store in the image):
// every script the invoker was ever given, kept by its content's SHA-256,
// and a log of each deploy (when, which name, which hash, its settings):
// the forensic practice from Cloudflare's talk, "store every script ever
// uploaded". The directory is /tmp/invoker by default: in memory, since
// /tmp is a tmpfs; on the disk once one is attached (issue 15).
//
//   DIR/scripts/HASH.js     the script's bytes, written once
//   DIR/deploys.log         one JSON line per deploy or removal
'use strict';

const { Sha256, hex } = require('/lib/sha256');

class ScriptStore {
  constructor(fs, dir) {
    this.fs = fs;
    this.dir = dir.replace(/\/$/, '');
  }

  async init() {
    for (const d of [this.dir, `${this.dir}/scripts`]) {
      await this.fs.mkdir(d).catch((e) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
  }

  path(hash) {
    return `${this.dir}/scripts/${hash}.js`;
  }

  // Keeps `bytes` (a Uint8Array) under its hash; returns the hash.
  async put(bytes) {
    const hash = hex(new Sha256().update(bytes).digest());
    const path = this.path(hash);
    const known = await this.fs.stat(path).then((st) => st.size === bytes.length, () => false);
    if (!known) {
      const f = await this.fs.open(`${path}.part`, 'w');
      try {
        await f.write(bytes);
      } finally {
        await f.close();
      }
      await this.fs.rename(`${path}.part`, path); // never a half-written script under its hash
    }
    return hash;
  }

  async record(entry) {
    await this.fs.writeFile(`${this.dir}/deploys.log`, `${JSON.stringify(entry)}\n`, { append: true });
  }

  // Every line of the log, oldest first.
  async history() {
    const text = await this.fs.readFile(`${this.dir}/deploys.log`).catch(() => '');
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  }
}

module.exports = { ScriptStore };
