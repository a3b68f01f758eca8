"""--net SPEC -> a NetBackend: the one place that knows every backend's spelling.

The forms follow ARCHITECTURE.md (Network) and QEMU's -netdev names: `user`
(slirp-like NAT, the default), `tap:IFNAME`, `stream:unix:PATH[,server]`, `none`.
Backends are imported only when chosen, so a missing optional one breaks only itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jsksh.machine.ioloop import IOLoop
from jsksh.machine.netdev.base import NetBackend

if TYPE_CHECKING:
    from jsksh.machine.netdev.faults import FaultSpec

VALID_FORMS = "user, tap:IFNAME, stream:unix:PATH, stream:unix:PATH,server, none"


def _bad(spec: str, why: str) -> ValueError:
    return ValueError(f"--net {spec!r}: {why}; valid forms: {VALID_FORMS}")


def make_backend(
    spec: str,
    loop: IOLoop,
    *,
    user_options: dict | None = None,
    pcap: str | None = None,
    faults: str | FaultSpec | None = None,
) -> NetBackend:
    """Build the backend `spec` names; with `faults`, inject them into its
    frames (--net-faults, netdev/faults.py); with `pcap`, record the frames to
    that file.  The recorder sits nearest the NIC, so the capture is what the
    guest sent and received: corrupted frames show with bad checksums."""
    if faults is not None:
        from jsksh.machine.netdev.faults import FaultyBackend, parse_spec

        if isinstance(faults, str):
            faults = parse_spec(faults)  # before opening anything: a bad spec leaves nothing behind
    backend = _make(spec, loop, user_options)
    if faults is not None:
        backend = FaultyBackend(backend, faults, loop.call_later)
    if pcap:
        from jsksh.machine.netdev.pcap import PcapBackend, PcapWriter

        try:
            writer = PcapWriter(pcap)
        except OSError:
            backend.close()
            raise
        backend = PcapBackend(backend, writer)
    return backend


def _make(spec: str, loop: IOLoop, user_options: dict | None) -> NetBackend:
    kind, _, rest = spec.partition(":")
    if spec == "none":
        return NetBackend()  # an unplugged cable: transmits are counted and dropped
    if spec == "user":
        try:
            from jsksh.machine.netdev.user import UserBackend
        except ModuleNotFoundError as err:
            if err.name != "jsksh.machine.netdev.user":
                raise
            raise RuntimeError(
                "--net user: the user-mode backend (jsksh/machine/netdev/user/) is missing"
            ) from err
        return UserBackend(loop, **(user_options or {}))
    if kind == "tap":
        if not rest:
            raise _bad(spec, "tap needs an interface name")
        from jsksh.machine.netdev.tap import TapBackend

        return TapBackend(loop, rest)
    if kind == "stream":
        family, _, address = rest.partition(":")
        if family != "unix":
            raise _bad(spec, "only unix sockets are supported")
        path, _, option = address.partition(",")
        if not path or option not in ("", "server"):
            raise _bad(spec, "expected stream:unix:PATH or stream:unix:PATH,server")
        from jsksh.machine.netdev.stream import StreamBackend

        return StreamBackend(loop, path, server=option == "server")
    raise _bad(spec, "unknown backend")
