"""The errno a pipe's end can be closed with (jsksh/native/pipes.py, docs/abi.md §3).

Closing the read end with one: writers get it instead of EPIPE (a full
/tmp: ENOSPC).  Closing the write end with one: the reader gets it after the
bytes before it, instead of end of file (a disk's fill pump: EIO).
"""

from jsksh.native.pipes import EPIPE, READ_END, WRITE_END, PipeTable

KERNEL, APP = 0, 7
EIO, ENOSPC = 5, 28


def table():
    pipes = PipeTable(notify=lambda holder, pipe_id: None)
    pipe_id = pipes.open(KERNEL)
    return pipes, pipe_id


def read(pipes, pipe_id, holder):
    dest = bytearray(64)
    n = pipes.read_into(pipe_id, holder, memoryview(dest), 0, 64)
    return bytes(dest[:n]) if n > 0 else n


def test_a_write_end_closed_with_an_errno_gives_it_to_the_reader_after_the_bytes():
    pipes, pipe_id = table()
    pipes.attach(pipe_id, APP, READ_END)
    pipes.write(pipe_id, KERNEL, memoryview(b"sector 0"))
    pipes.close(pipe_id, KERNEL, WRITE_END | EIO << 8)
    assert read(pipes, pipe_id, APP) == b"sector 0"
    assert read(pipes, pipe_id, APP) == -EIO
    assert read(pipes, pipe_id, APP) == -EIO  # it stays, as end of file would


def test_a_plain_close_is_end_of_file_and_a_read_end_errno_goes_to_writers():
    pipes, pipe_id = table()
    pipes.attach(pipe_id, APP, READ_END)
    pipes.close(pipe_id, KERNEL, WRITE_END)
    assert read(pipes, pipe_id, APP) == 0
    pipes2, other = table()
    pipes2.attach(other, APP, WRITE_END)
    pipes2.close(other, KERNEL, READ_END | ENOSPC << 8)
    assert pipes2.write(other, APP, memoryview(b"x")) == -ENOSPC
    pipes3, third = table()
    pipes3.attach(third, APP, WRITE_END)
    pipes3.close(third, KERNEL, READ_END)
    assert pipes3.write(third, APP, memoryview(b"x")) == EPIPE
