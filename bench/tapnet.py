"""A jsksh machine cabled to the Linux kernel: a TAP device in a fresh network namespace.

The machine runs in our namespace and opens the TAP device (`--net tap:IFNAME`);
the device is then moved into a namespace made for the benchmark, where Linux
has 10.9.0.1/24 and the guest has 10.9.0.2 (the kernel's `ip=` parameter).
Nothing leaves that namespace. Needs root and /dev/net/tun.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

from common import Machine

LINUX_IP, GUEST_IP = "10.9.0.1", "10.9.0.2"


def can_run() -> str | None:
    """None if the TAP benchmarks can run here, else why not."""
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/dev/net/tun") or not shutil.which("ip"):
        return "needs /dev/net/tun and iproute2"
    return None


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


class TapNet:
    """`extra`: more machine options, e.g. ("--net-offload", "none")."""

    def __init__(self, *extra: str):
        tag = uuid.uuid4().hex[:6]
        self.ns, self.ifname = f"jsksh-bench-{tag}", f"jskb{tag}"
        ip("netns", "add", self.ns)
        self.machine = None
        try:
            self.machine = Machine(
                "--net",
                f"tap:{self.ifname}",
                "--cmdline",
                f"ip={GUEST_IP}::{LINUX_IP}:255.255.255.0",
                *extra,
            )
            ip("link", "set", self.ifname, "netns", self.ns)
            ip("-n", self.ns, "addr", "add", f"{LINUX_IP}/24", "dev", self.ifname)
            ip("-n", self.ns, "link", "set", self.ifname, "up")
            ip("-n", self.ns, "link", "set", "lo", "up")
            time.sleep(0.2)  # let the link settle (Linux sends its IPv6 chatter first)
        except BaseException:
            self.close()
            raise

    def run_in_ns(self, code: str, *args: str, timeout: float = 120) -> str:
        """Run Python `code` inside the namespace; return its stdout."""
        r = subprocess.run(
            ["ip", "netns", "exec", self.ns, sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if r.returncode != 0:
            raise RuntimeError(f"namespace side failed: {r.stderr.strip()}")
        return r.stdout

    def close(self) -> None:
        if self.machine:
            self.machine.stop()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, timeout=30)
