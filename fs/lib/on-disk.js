// fs/lib/on-disk.js (/lib/on-disk in the image): is a directory on a disk's
// file system (jsksh-fs, mounted on /home at boot: docs/disk.md)? What
// should outlive a reboot is kept there only then: the shell's history
// (/lib/shell/history), the invoker's scripts, the kv service's store.
// The image is read-only, and /tmp forgets at the next boot anyway.
'use strict';

// `fs` is sys.fs; a directory that is not there (or cannot be asked about) is not on a disk.
async function onDisk(fs, dir = '/home') {
  try {
    return (await fs.statfs(dir)).type === 'jsksh-fs';
  } catch (e) {
    return false;
  }
}

module.exports = { onDisk };
