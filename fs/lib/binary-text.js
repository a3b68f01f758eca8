// fs/lib/binary-text.js (/lib/binary-text in the image): bytes as a string of
// char codes 0-255, one per byte, and back. The line tools (sort, uniq, cut)
// work on lines this way, so that any bytes, valid UTF-8 or not, come out as
// they went in (GNU's tools in the C locale do the same).
'use strict';

function binaryText(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x2000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000));
  return text;
}

function binaryBytes(text) {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

module.exports = { binaryText, binaryBytes };
