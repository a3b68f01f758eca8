"""`jsksh disk`: the host's tools for the machine's disk images.

    jsksh disk create FILE SIZE     a new sparse raw image (SIZE like 64M, 1G; whole 512-byte sectors)

Exit status: 0 done; 1 the image could not be made (it exists, no room, a
directory that is not there); 2 bad input (a size that is not one).  Later
tools for the file system (ls, cat, put, fsck IMAGE) join this group.
"""

from __future__ import annotations

import argparse
import sys

from jsksh.disk.image import DiskError, create_image, parse_size

USAGE_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="disk_command", metavar="{create}")
    sub.required = True
    p = sub.add_parser("create", help="make a raw disk image (sparse); refuses to overwrite a file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("size", metavar="SIZE", help="64M, 1G, 512k or bytes: a multiple of 512")


def run(args) -> int:
    return {"create": create}[args.disk_command](args)


def create(args) -> int:
    try:
        size = parse_size(args.size)
    except DiskError as e:
        print(f"jsksh disk create: {e}", file=sys.stderr)
        return USAGE_ERROR
    try:
        create_image(args.file, size)
    except DiskError as e:
        print(f"jsksh disk create: {e}", file=sys.stderr)
        return 1
    print(f"jsksh disk create: {args.file}: {size} bytes, {size // 512} sectors (raw)", file=sys.stderr)
    return 0
