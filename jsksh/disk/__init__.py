"""The host side of the machine's disk: raw images and the `jsksh disk` commands.

image.py makes and opens raw images (QEMU's raw format: the disk's bytes and
nothing else); faults.py parses --disk-errors; recorder.py is the write
recorder a crash simulator listens to; command.py is `jsksh disk`, whose
ls, cat, put and fsck run the kernel's file system code on an image through
host_fs.py (a V8 isolate) and host-tools.js (its JavaScript half).  The
device that serves an image to the guest is jsksh/machine/virtio/blk.py
(docs/disk.md).
"""
