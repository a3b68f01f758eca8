"""Real network peers for end-to-end tests: namespaces, TAP devices, dnsmasq, passt, a DNS zone.

Everything here is hermetic: a peer either lives in a network namespace the
test creates (`Netns`: its own loopback, its own TAP devices, nothing routed
out) or listens on 127.0.0.1.  No test may send a packet anywhere else or ask
the machine's own resolver, so every DNS server below is named explicitly.

A `Netns` owns what it starts: `close()` ends its processes (by their ids),
then deletes the namespace, which takes its TAP devices with it.  Sockets can
be opened inside a namespace from this process (`Netns.socket`): a helper
thread enters it with setns(2), creates the socket and leaves, and the socket
stays in the namespace it was born in.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid

import pexpect
import pytest

from tests.e2e.machine import ENV, JSKSH, BootedMachine

CLONE_NEWNET = 0x40000000  # <sched.h>: setns() into a network namespace
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
START_TIMEOUT = 10


def which(program: str) -> str | None:
    """Like shutil.which, also looking in /usr/sbin (dnsmasq lives there)."""
    return shutil.which(program, path=SBIN_PATH)


def require(*programs: str) -> None:
    """Skip the test unless we are root with /dev/net/tun and `ip` plus these programs."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces and TAP devices)")
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("needs /dev/net/tun")
    for program in ("ip", *programs):
        if which(program) is None:
            pytest.skip(f"needs {program}")


def short_tempdir() -> str:
    """A fresh directory for sockets: AF_UNIX paths are limited to 108 bytes."""
    return tempfile.mkdtemp(prefix="jsksh-net-", dir="/tmp")


def wait_until(predicate, timeout: float = START_TIMEOUT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


# -- the namespace ---------------------------------------------------------------------


class Netns:
    """A network namespace of our own, with only `lo` up until a test adds more."""

    def __init__(self, prefix: str = "jsksh"):
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.path = f"/run/netns/{self.name}"
        self.procs: list[subprocess.Popen] = []
        run(["ip", "netns", "add", self.name])
        try:
            self.ip("link", "set", "lo", "up")
        except BaseException:
            run(["ip", "netns", "del", self.name], check=False)
            raise

    def ip(self, *args: str) -> str:
        return run(["ip", "-n", self.name, *args]).stdout

    def argv(self, *argv: str) -> list[str]:
        """A command line that runs argv inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def popen(self, argv: list[str], **kw) -> subprocess.Popen:
        """Start argv inside the namespace; close() will end it."""
        proc = subprocess.Popen(self.argv(*argv), **kw)
        self.procs.append(proc)
        return proc

    def sysctl(self, key: str, value: str) -> None:
        """Set a net.* sysctl in this namespace only (no sysctl(8) needed: procps may be missing).

        /proc/sys/net shows the namespace of the thread that opens it."""
        path = "/proc/sys/" + key.replace(".", "/")

        def write():
            with open(path, "w") as f:
                f.write(value)

        self.call(write)

    def add_tap(self, address: str | None = None, name: str | None = None) -> str:
        """A persistent TAP device inside the namespace, up, optionally with ADDR/PREFIX.

        Nobody holds it open yet, so it has no carrier until a machine attaches."""
        name = name or f"jtap{uuid.uuid4().hex[:6]}"
        self.ip("tuntap", "add", "dev", name, "mode", "tap")
        if address:
            self.ip("addr", "add", address, "dev", name)
        self.ip("link", "set", name, "up")
        return name

    def call(self, fn):
        """Run fn() on a thread that has entered the namespace; return its result."""
        box: dict = {}

        def body():
            try:
                with open(self.path, "rb") as f:
                    if _LIBC.setns(f.fileno(), CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns({self.path}): {os.strerror(err)}")
                box["value"] = fn()
            except BaseException as e:  # handed to the caller
                box["error"] = e

        t = threading.Thread(target=body, name=f"in-{self.name}")
        t.start()
        t.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    def socket(self, family=socket.AF_INET, type=socket.SOCK_DGRAM, proto=0, bind=None) -> socket.socket:
        """A socket that lives in the namespace (bound there to `bind`, if given)."""

        def make():
            s = socket.socket(family, type, proto)
            if bind is not None:
                s.bind(bind)
            return s

        return self.call(make)

    def ping(self, address: str, count: int = 3, timeout: float = 2.0, interval: float = 0.1) -> list[float]:
        """Linux pings `address` from inside the namespace; returns the round-trip times (s).

        An ICMP "ping socket" (what iputils ping uses without privileges): the
        Linux kernel builds the echo request, chooses the identifier and
        matches the replies, so the guest answers the Linux stack itself."""
        self.sysctl("net.ipv4.ping_group_range", "0 2147483647")
        s = self.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        rtts = []
        try:
            for seq in range(1, count + 1):
                payload = struct.pack("!d", time.time()) + bytes(range(48))
                request = struct.pack("!BBHHH", 8, 0, 0, 0, seq) + payload  # checksum and id: the kernel's
                sent = time.monotonic()
                s.sendto(request, (address, 0))
                deadline = sent + timeout
                while (left := deadline - time.monotonic()) > 0:
                    s.settimeout(left)
                    try:
                        reply, _ = s.recvfrom(2048)
                    except TimeoutError:
                        break
                    kind, _, _, _, rseq = struct.unpack_from("!BBHHH", reply)
                    if kind == 0 and rseq == seq and reply[8:] == payload:
                        rtts.append(time.monotonic() - sent)
                        break
                time.sleep(interval)
        finally:
            s.close()
        return rtts

    def snmp(self, protocol: str = "Tcp") -> dict[str, int]:
        """Linux's counters for `protocol` in this namespace (/proc/net/snmp: Tcp's RetransSegs, ...)."""
        text = run(self.argv("cat", "/proc/net/snmp")).stdout
        names, values = (line.split()[1:] for line in text.splitlines() if line.startswith(f"{protocol}:"))
        return dict(zip(names, map(int, values), strict=True))

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop_process(proc)
        self.procs.clear()
        run(["ip", "netns", "del", self.name], check=False)


@contextlib.contextmanager
def netns(prefix: str = "jsksh"):
    ns = Netns(prefix)
    try:
        yield ns
    finally:
        ns.close()


_LIBC = ctypes.CDLL(None, use_errno=True)  # for setns(2), which Python's os module has only from 3.12


def read_log(path: str) -> str:
    """A daemon's log file so far ("" before it has written one)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(
        argv, capture_output=True, text=True, timeout=30, env={**os.environ, "PATH": SBIN_PATH}
    )
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def stop_process(proc: subprocess.Popen, timeout: float = 5) -> None:
    """SIGTERM, then SIGKILL: only the process we started, by its id."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- machines ----------------------------------------------------------------------------


class NetnsMachine(BootedMachine):
    """A BootedMachine whose `jsksh boot` runs inside a namespace (`ip netns exec`).

    The console and control sockets are files, and a pathname Unix socket is
    reachable from every network namespace, so attaching works as usual."""

    def __init__(self, ns: Netns, *extra: str):
        self.dir = tempfile.mkdtemp(prefix="jsksh-test-")
        self.console_path = os.path.join(self.dir, "console.sock")
        self.control_path = os.path.join(self.dir, "control.sock")
        self.log = open(os.path.join(self.dir, "machine.log"), "wb")
        self.proc = subprocess.Popen(
            ns.argv(*JSKSH, "boot", "--console", self.console_path, "--control", self.control_path, *extra),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: (
                    self.proc.poll() is not None
                    or (os.path.exists(self.console_path) and os.path.exists(self.control_path))
                ),
                30,
                "the machine's sockets",
            )
        if self.proc.poll() is not None or not os.path.exists(self.control_path):
            why = f"machine did not start: {self.output()}"
            self.stop()
            raise RuntimeError(why)


@contextlib.contextmanager
def booted(*extra: str, ns: Netns | None = None):
    """A running machine (inside `ns`, if given), stopped and cleaned up afterwards."""
    m = NetnsMachine(ns, *extra) if ns else BootedMachine(*extra)
    try:
        yield m
    finally:
        m.stop()
        shutil.rmtree(m.dir, ignore_errors=True)


# The TAP tests' addresses: Linux in the namespace, the guest beside it, and
# the guest's static configuration (the kernel's ip=, in Linux's format).
LINUX_IP, GUEST_IP = "10.9.0.1", "10.9.0.2"
STATIC_IP = f"ip={GUEST_IP}::{LINUX_IP}:255.255.255.0:::off:{LINUX_IP}"


class TapPeer:
    """A namespace whose Linux is LINUX_IP on a TAP device, and a machine on that TAP as GUEST_IP."""

    def __init__(self, ns: Netns, tap: str, machine: BootedMachine):
        self.ns, self.tap, self.machine = ns, tap, machine


@contextlib.contextmanager
def tap_peer(prefix: str, *extra: str):
    """A TapPeer for a test module's fixture; ``extra``: more machine options."""
    with netns(prefix) as ns:
        tap = ns.add_tap(f"{LINUX_IP}/24")
        with booted("--net", f"tap:{tap}", "--cmdline", STATIC_IP, *extra, ns=ns) as m:
            yield TapPeer(ns, tap, m)


@contextlib.contextmanager
def console(machine: BootedMachine):
    """A raw console session at a prompt; afterwards Ctrl-C whatever still runs, then detach."""
    child = machine.attach()
    try:
        yield child
    finally:
        child.sendcontrol("c")
        child.sendcontrol("]")
        with contextlib.suppress(pexpect.ExceptionPexpect):
            child.expect(pexpect.EOF, timeout=5)
        child.close(force=True)


def wait_for_address(machine: BootedMachine, timeout: float = 10) -> str:
    """Wait until the kernel log says the interface has an address; return that `net:` line.

    A command run over the control port does not wait for DHCP as the
    console's shell does, so tests that need the network wait here first."""

    def line():
        _, out, _ = machine.run("dmesg")
        found = re.search(r"^\[[ \d.]+\] (net: \d+\.\d+\.\d+\.\d+/\d+ .*)$", out, re.M)
        return found and found.group(1)

    try:
        return wait_until(line, timeout, "an address (the `net:` line in dmesg)")
    except TimeoutError as e:
        raise AssertionError(f"{e}\n--- dmesg ---\n{machine.run('dmesg')[1]}") from None


# -- dnsmasq: DHCP and DNS on a TAP device -----------------------------------------------


class Dnsmasq:
    """dnsmasq serving one interface of a namespace: DHCP, and DNS from local data only.

    --no-resolv, --no-hosts and --conf-file=/dev/null: no upstream server and
    nothing read from the host's files; names under `local` are answered from
    the command line's --address options or are NXDOMAIN."""

    def __init__(self, ns: Netns, ifname: str, listen: str, dhcp_range: str, *extra: str, local="test"):
        self.dir = tempfile.mkdtemp(prefix="jsksh-dnsmasq-")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        self.lease_path = os.path.join(self.dir, "leases")
        argv = [
            which("dnsmasq") or "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--user=root",  # so it can keep writing its log and leases in our directory
            "--pid-file=" + os.path.join(self.dir, "pid"),
            f"--interface={ifname}",
            "--bind-interfaces",
            f"--listen-address={listen}",
            "--port=53",
            f"--local=/{local}/",
            f"--dhcp-range={dhcp_range}",
            "--dhcp-authoritative",
            "--no-ping",  # no ICMP probe of an address before offering it: it delays the OFFER by seconds
            f"--dhcp-leasefile={self.lease_path}",
            f"--log-facility={self.log_path}",
            "--log-queries",
            "--log-dhcp",
            *extra,
        ]
        self.stderr = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = ns.popen(argv, stdout=self.stderr, stderr=subprocess.STDOUT)
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: self.proc.poll() is not None or "DHCP, IP range" in self.log(),
                what="dnsmasq to start",
            )
        if self.proc.poll() is not None or "DHCP, IP range" not in self.log():
            why = f"dnsmasq did not start:\n{self.log()}\n{self.stderr_text()}"
            self.close()
            raise RuntimeError(why)

    def log(self) -> str:
        return read_log(self.log_path)

    def stderr_text(self) -> str:
        self.stderr.flush()
        with open(self.stderr.name, errors="replace") as f:
            return f.read()

    def leases(self) -> str:
        with open(self.lease_path) as f:
            return f.read()

    def close(self) -> None:
        stop_process(self.proc)
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- passt: the stream backend's peer ------------------------------------------------------


class Passt:
    """passt listening on a Unix socket, inside a namespace (QEMU's -netdev stream peer).

    passt copies its guest's address, gateway and routes from an interface of
    the namespace it runs in, so the namespace must have one with a default
    route; `uplink` in tests is a TAP nobody reads, so nothing gets out.
    passt drops to user nobody before binding its socket: the directory is
    world-writable for that reason."""

    def __init__(self, ns: Netns, *args: str):
        self.dir = short_tempdir()
        os.chmod(self.dir, 0o1777)
        self.socket_path = os.path.join(self.dir, "passt.sock")
        self.log_path = os.path.join(self.dir, "passt.log")
        self.stderr = open(os.path.join(self.dir, "stderr"), "wb")
        argv = ["passt", "--foreground", "--socket", self.socket_path, "--log-file", self.log_path, *args]
        self.proc = ns.popen(argv, stdout=self.stderr, stderr=subprocess.STDOUT)
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: self.proc.poll() is not None or os.path.exists(self.socket_path),
                what="passt's socket",
            )
        if self.proc.poll() is not None or not os.path.exists(self.socket_path):
            why = f"passt did not start:\n{self.log()}"
            self.close()
            raise RuntimeError(why)

    def log(self) -> str:
        return read_log(self.log_path)

    def close(self) -> None:
        stop_process(self.proc)
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- a DNS zone served by dnslib -------------------------------------------------------------


class Zone:
    """An authoritative DNS zone for dnslib's DNSServer, from zone-file lines.

    Answers like a real server: CNAMEs are followed inside the zone (the chain,
    then the target's records), a name with no records of the asked type is
    NOERROR with no answers, and a name the zone lacks is NXDOMAIN.  Every
    question is recorded in `queries`, so a test can tell who was asked."""

    def __init__(self, text: str):
        from dnslib import RR

        self.records = RR.fromZone(text)
        self.names = {str(rr.rname).lower() for rr in self.records}
        self.queries: list[tuple[str, str]] = []

    def resolve(self, request, handler):
        from dnslib import CNAME, QTYPE, RCODE

        reply = request.reply()  # aa=1, ra=1, the question copied
        qname, qtype = request.q.qname, request.q.qtype
        self.queries.append((str(qname).rstrip(".").lower(), QTYPE[qtype]))
        name = str(qname).lower()
        if name not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for _ in range(8):  # a CNAME loop ends here
            here = [rr for rr in self.records if str(rr.rname).lower() == name]
            alias = [rr for rr in here if rr.rtype == QTYPE.CNAME]
            if alias and qtype != QTYPE.CNAME:
                reply.add_answer(alias[0])
                rdata: CNAME = alias[0].rdata
                name = str(rdata.label).lower()
                continue
            for rr in here:
                if rr.rtype == qtype or qtype == QTYPE.ANY:
                    reply.add_answer(rr)
            break
        return reply


class DnsServer:
    """dnslib serving `zone` over UDP on ADDRESS:PORT (port 0: any free one), maybe in a namespace."""

    def __init__(self, zone: Zone, address: str = "127.0.0.1", port: int = 0, ns: Netns | None = None):
        from dnslib.server import DNSLogger, DNSServer

        def make():
            return DNSServer(zone, address=address, port=port, logger=DNSLogger(logf=lambda _: None))

        self.zone = zone
        self.server = ns.call(make) if ns else make()  # the socket is bound where it was made
        self.address, self.port = self.server.server.server_address
        self.server.start_thread()

    def close(self) -> None:
        self.server.stop()
        self.server.server.server_close()


class SilentServer:
    """A UDP socket on 127.0.0.1 that reads queries and never answers: a dead DNS server."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def received(self) -> list[bytes]:
        got = []
        with contextlib.suppress(BlockingIOError):
            while True:
                got.append(self.sock.recv(4096))
        return got

    def close(self) -> None:
        self.sock.close()
