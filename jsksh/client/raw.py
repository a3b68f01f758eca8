"""The raw console client: a terminal attached to a serial port, like picocom.

Keystrokes pass through untouched (the kernel's tty edits the line and
echoes); the guest's output is written to the terminal as it comes.  Ctrl-]
detaches and leaves the machine running.  The local terminal is put in raw
mode for the session and always restored.

A serial line carries no window size.  When the machine runs in this process
(`jsksh --raw`), `on_resize(columns, rows)` reaches its console device, which
tells the guest as virtio's F_SIZE says (a config change): at the start and
on every SIGWINCH, so a full-screen program (`edit`, `top`) fits the window.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import sys
import termios
import tty
from collections.abc import Callable

DETACH = b"\x1d"  # Ctrl-]
# What a port with a client already says to a second one, before it closes
# (jsksh/machine/chardev.py, _accept).
BUSY = re.compile(rb"^jsksh: (\S+) is busy: ([^\r\n]*)\r?\n$")


class PortBusy(Exception):
    """Another client is attached to the port; str() is the port's own words."""


def attach(
    sock: socket.socket,
    stdin_fd: int | None = None,
    stdout_fd: int | None = None,
    on_resize: Callable[[int, int], None] | None = None,
) -> str:
    """Shuttle bytes until the port closes ("closed") or the user detaches
    ("detached"). Raises PortBusy if the port only says it has a client."""
    stdin_fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
    stdout_fd = sys.stdout.fileno() if stdout_fd is None else stdout_fd
    previous_winch = _follow_window(stdout_fd, on_resize)
    saved = None
    if os.isatty(stdin_fd):
        saved = termios.tcgetattr(stdin_fd)
        # TCSADRAIN, not setraw's default TCSAFLUSH: a flush would throw away
        # whatever was typed ahead while we were connecting.
        tty.setraw(stdin_fd, termios.TCSADRAIN)
    stdin_open = True
    notice: bytes | None = None  # a first read that was exactly a busy notice, held
    first = True
    try:
        while True:
            fds = [sock] + ([stdin_fd] if stdin_open else [])
            ready, _, _ = select.select(fds, [], [])
            if sock in ready:
                data = sock.recv(65536)
                if first and BUSY.match(data):
                    notice, first = data, False  # the port closes right after it, if it is one
                    continue
                first = False
                if notice is not None:
                    found = BUSY.match(notice)
                    if not data:
                        raise PortBusy(f"{found.group(1).decode()} is busy: {found.group(2).decode()}")
                    data, notice = notice + data, None
                if not data:
                    return "closed"
                _write_all(stdout_fd, data)
            if stdin_open and stdin_fd in ready:
                data = os.read(stdin_fd, 4096)
                if not data:
                    stdin_open = False  # keep showing output until the machine stops
                    continue
                if DETACH in data:
                    before = data.split(DETACH, 1)[0]
                    if before:
                        sock.sendall(before)
                    return "detached"
                sock.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        if notice is not None:
            found = BUSY.match(notice)
            raise PortBusy(f"{found.group(1).decode()} is busy: {found.group(2).decode()}") from None
        return "closed"
    finally:
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
        if previous_winch is not None:
            signal.signal(signal.SIGWINCH, previous_winch)


def _follow_window(fd: int, on_resize) -> object | None:
    """Tell on_resize the window's size now and on every SIGWINCH; the handler it replaced."""
    if on_resize is None or not os.isatty(fd):
        return None

    def tell(*_):
        size = shutil.get_terminal_size()
        try:
            size = os.get_terminal_size(fd)
        except OSError:
            pass
        if size.columns > 0 and size.lines > 0:
            on_resize(size.columns, size.lines)

    tell()
    try:
        return signal.signal(signal.SIGWINCH, tell)
    except ValueError:  # not the main thread
        return None


def _write_all(fd: int, data: bytes) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]
