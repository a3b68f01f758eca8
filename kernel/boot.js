// kernel/boot.js: the kernel's entry points, the first code after the loader.
//
// The machine calls, in order (docs/abi.md §1 "Boot"):
//   __setup(imageSize, arenaSize, pageSize)  allocate the image, the DMA arena and the trap page
//   __start(bootinfoJSON)                    index the image, build require(), run /kernel/init
//   __irq()                                  on every interrupt, for the machine's life
// The image is a ustar archive (POSIX.1-1988 ustar, 512-byte headers); we
// index it here because the loader needs files before any module exists.
(function () {
  'use strict';

  // ---- ustar (POSIX pax "ustar" interchange format) ----------------------
  function field(bytes, at, len) {
    let s = '';
    for (let i = at; i < at + len && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  const octal = (bytes, at, len) => parseInt(field(bytes, at, len).trim() || '0', 8);

  // Returns Map(path -> {offset, size, mode, mtime, type: 'file'|'dir'}).
  function indexImage(bytes) {
    const entries = new Map();
    for (let at = 0; at + 512 <= bytes.length; ) {
      if (bytes[at] === 0) break; // two zero blocks end the archive
      const prefix = field(bytes, at + 345, 155);
      let name = field(bytes, at, 100);
      if (prefix) name = prefix + '/' + name;
      const size = octal(bytes, at + 124, 12);
      const typeflag = String.fromCharCode(bytes[at + 156] || 48);
      const path = '/' + name.replace(/\/+$/, '');
      entries.set(path, {
        offset: at + 512,
        size,
        mode: octal(bytes, at + 100, 8),
        mtime: octal(bytes, at + 136, 12),
        type: typeflag === '5' ? 'dir' : 'file',
      });
      at += 512 + Math.ceil(size / 512) * 512;
    }
    return entries;
  }

  globalThis.__setup = function setup(imageSize, arenaSize, pageSize) {
    globalThis.__image = new ArrayBuffer(imageSize);
    globalThis.__arena = new ArrayBuffer(arenaSize);
    globalThis.__trapPage = new ArrayBuffer(pageSize);
  };

  // The machine holds this function for the machine's life; init installs
  // the real dispatcher (kernel/arch/irq.js) behind it.
  globalThis.__irq = function irq() {
    globalThis.__irqDispatch();
  };

  globalThis.__start = function start(bootinfoJSON) {
    const bytes = new Uint8Array(globalThis.__image);
    const entries = indexImage(bytes);
    globalThis.__bootImage = { bytes, entries };
    // Files are UTF-8; the decoder lives in machine.js, which is itself ASCII,
    // so it is read as Latin-1 and then decodes everything after it.
    let decode = (b, start, end) => String.fromCharCode.apply(null, b.subarray(start, end));
    const require = globalThis.__makeRequire((path) => {
      const e = entries.get(path);
      return e && e.type === 'file' ? decode(bytes, e.offset, e.offset + e.size) : null;
    });
    decode = require('/kernel/arch/machine').utf8Decode;
    require('/kernel/init').start(JSON.parse(bootinfoJSON), require);
  };
})();
