// kernel/drivers/virtio/features.js: names for virtio feature bits.
//
// Features are a 64-bit mask (a BigInt here) read from the device and written
// back by the driver during initialisation (virtio 1.2 §2.2, §3.1.1). The
// drivers use these tables to ask for bits by name, and describe() to print them.
'use strict';

// Device-independent bits, 24 and up (virtio 1.2 §6 "Reserved Feature Bits").
const COMMON = {
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  SR_IOV: 37,
  NOTIFICATION_DATA: 38,
  NOTIF_CONFIG_DATA: 39,
  RING_RESET: 40,
};

// Device-specific bits, 0 to 23, by virtio device id (§5).
const BY_DEVICE = {
  1: { CSUM: 0, GUEST_CSUM: 1, MTU: 3, MAC: 5, GUEST_TSO4: 7, HOST_TSO4: 11, MRG_RXBUF: 15, STATUS: 16, CTRL_VQ: 17 }, // net, §5.1.3
  2: { SIZE_MAX: 1, SEG_MAX: 2, GEOMETRY: 4, RO: 5, BLK_SIZE: 6, FLUSH: 9, TOPOLOGY: 10, CONFIG_WCE: 11, DISCARD: 13, WRITE_ZEROES: 14 }, // block, §5.2.3
  3: { SIZE: 0, MULTIPORT: 1, EMERG_WRITE: 2 }, // console, §5.3.3
  4: {}, // entropy (rng): no feature bits, §5.4.3
};

const DEVICE_NAMES = { 1: 'virtio-net', 2: 'virtio-blk', 3: 'virtio-console', 4: 'virtio-rng' };

// bit(32) === 1n << 32n: one feature as a mask.
function bit(n) {
  return 1n << BigInt(n);
}

// The mask for a list of names, e.g. mask(3, ['MULTIPORT', 'SIZE']).
function mask(deviceId, names) {
  const table = { ...COMMON, ...(BY_DEVICE[deviceId] || {}) };
  let m = 0n;
  for (const name of names) {
    if (!(name in table)) throw new Error(`unknown feature ${name} for device ${deviceId}`);
    m |= bit(table[name]);
  }
  return m;
}

// ['MULTIPORT', 'VERSION_1', 'bit45'] for the bits set in `features`.
function featureNames(deviceId, features) {
  const byBit = new Map();
  for (const [name, n] of Object.entries({ ...(BY_DEVICE[deviceId] || {}), ...COMMON })) byBit.set(n, name);
  const names = [];
  for (let n = 0; n < 64; n++) if (features & bit(n)) names.push(byBit.get(n) || `bit${n}`);
  return names;
}

module.exports = { COMMON, BY_DEVICE, DEVICE_NAMES, bit, mask, featureNames };
