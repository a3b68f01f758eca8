// apps/devices.js: the machine's virtio devices, as the kernel's drivers see
// them: one row per device (slot, driver name, virtio device id, IRQ line,
// interrupts taken, negotiated features), then one row per virtqueue. With
// -v, each driver's own counters and settings after them (for virtio-net:
// frames and bytes each way, drops, and the offloads it negotiated), then
// the machine's half of the device: its counters and its backend's (the
// NIC's offload work, a fault injector's drops).
'use strict';

const { parseOptions, usageError } = require('/lib/options');

// What the tables above already show; -v prints the rest of describe().
const SHOWN = new Set(['slot', 'name', 'device_id', 'irq', 'interrupts', 'features', 'queues', 'status', 'machine']);

// A list of names as "a,b", anything else structured as JSON.
function show(value) {
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(',') || '-';
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

module.exports = async function main(argv) {
  const parsed = parseOptions(argv.slice(1), module.exports);
  if (parsed.error) return usageError('devices', module.exports, parsed.error);
  if (parsed.operands.length > 0) return usageError('devices', module.exports, `extra operand '${parsed.operands[0]}'`);
  const devices = await sys.kernel.devices();
  sys.table(
    ['SLOT', 'NAME', 'ID', 'IRQ', 'INTERRUPTS', 'FEATURES'],
    devices.map((d) => [d.slot, d.name, d.device_id, d.irq, d.interrupts, (d.features || []).join(',')]),
  );
  // The queues: avail idx is how far the driver has offered buffers, used
  // idx how far the device has given them back (virtio 1.2 §2.7).
  const queues = [];
  for (const d of devices) {
    for (const q of d.queues || []) queues.push([d.name, q.index, q.name, q.size, q.avail_idx, q.used_idx]);
  }
  if (queues.length > 0) {
    sys.print('');
    sys.table(['DEVICE', 'QUEUE', 'NAME', 'SIZE', 'AVAIL IDX', 'USED IDX'], queues);
  }
  if (parsed.options.verbose) {
    for (const d of devices) {
      const rest = Object.entries(d).filter(([key]) => !SHOWN.has(key));
      if (rest.length === 0 && Object.keys(d.machine || {}).length === 0) continue;
      sys.print('');
      sys.print(`${d.name} (slot ${d.slot}):`);
      for (const [key, value] of rest) sys.print(`  ${key}: ${show(value)}`);
      for (const [key, value] of Object.entries(d.machine || {})) sys.print(`  machine ${key}: ${show(value)}`);
    }
  }
  return 0;
};

module.exports.description = 'list virtio devices and their queues';
module.exports.options = {
  '-v, --verbose': "each driver's counters and settings too (virtio-net: frames, drops, offloads)",
};
