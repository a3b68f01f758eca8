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
    this.writes = 0; // names the temporary files keep() renames into place
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

  // A script's name in the store: the SHA-256 of its bytes, in hex.
  hashOf(bytes) {
    return hex(new Sha256().update(bytes).digest());
  }

  // Keeps `text` (the script whose bytes hash to `hash`): written beside its
  // name, then renamed onto it. On a disk a whole-file write is several
  // operations (create, truncate, write), so a reader, or a crash, could
  // meet an empty or partial script under its hash; a rename is atomic on
  // every file system here, so HASH.js is whole or absent. Writing the same
  // bytes again changes nothing.
  async keep(hash, text) {
    const temp = `${this.path(hash)}.${++this.writes}.tmp`;
    await this.fs.writeFile(temp, text);
    await this.fs.rename(temp, this.path(hash));
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
