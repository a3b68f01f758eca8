// apps/devices.js: the machine's virtio devices, as the kernel's drivers see
// them: one row per device (slot, driver name, virtio device id, IRQ line,
// interrupts taken, negotiated features), then one row per virtqueue.
'use strict';

const { takesNoArguments } = require('/lib/options');

module.exports = async function main(argv) {
  const refused = takesNoArguments('devices', argv, module.exports);
  if (refused !== null) return refused;
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
  return 0;
};

module.exports.description = 'list virtio devices and their queues';
module.exports.options = {};
