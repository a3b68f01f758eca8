"""virtio-rng (virtio 1.2 §5.4): an entropy source backed by os.urandom.

One queue, "requestq", of device-writable buffers; the device fills each one
it is given (§5.4.6.2: it may fill fewer bytes than offered) and returns it.
"""

from __future__ import annotations

import os

from jsksh.machine.virtio.device import VirtioDevice

MAX_PER_CHAIN = 64 * 1024  # a huge buffer gets 64 KiB; the driver asks again


class RngDevice(VirtioDevice):
    device_id = 4
    name = "virtio-rng"

    def __init__(self):
        super().__init__(num_queues=1)

    def queue_name(self, index: int) -> str:
        return "requestq"

    def notify(self, index: int) -> None:
        queue = self.queue(index)
        if queue is None:
            return
        filled = False
        while (chain := queue.pop()) is not None:
            n = chain.write(os.urandom(min(chain.writable_len, MAX_PER_CHAIN)))
            queue.push(chain.head, n)
            filled = True
        if filled:
            self.signal(queue)  # one interrupt for the whole batch
