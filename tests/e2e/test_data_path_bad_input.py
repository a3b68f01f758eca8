"""End to end: the data path under bad input (docs/abi.md §3, "Pipes").

A reader that never reads, two apps that fill each other's pipe and never
read, a writer killed in the middle of its stream, 10,000 pipes opened and
closed again and again, a full /tmp. Each test checks the bytes or the
numbers at both ends, and that the rest of the machine goes on.

(A client that leaves in the middle of a binary output and comes back is
tests/e2e/test_data_path.py's.)
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time

import pytest

from tests.e2e.guest_prng import PRNG, stream
from tests.e2e.machine import command, console_without_jobs
from tests.e2e.test_fuzz_rpc import write_file
from tests.e2e.test_jobs import interrupt_until_prompt

TMP_SIZE = 8 << 20
MACHINE_ARGS = ("--net", "none", "--tmp-size", "8M")

WINDOW = 256 << 10  # what a pipe buffers (docs/abi.md §3)
PIPE_BUF = 4096  # writes up to this size are all or nothing
MiB = 1 << 20

# flood NAME CHUNK: writes CHUNK bytes at a time to stdout, forever, awaiting
# each write; after each one "PID TOTAL" goes to /tmp/progress-NAME. It never
# reads its stdin.
FLOOD = r"""
module.exports = async function main(argv) {
  const name = argv[1], size = Number(argv[2]);
  const chunk = new Uint8Array(size).fill(120);
  let total = 0;
  await sys.fs.writeFile(`/tmp/progress-${name}`, `${sys.pid} 0`);
  for (;;) {
    await sys.stdout.write(chunk);
    total += size;
    await sys.fs.writeFile(`/tmp/progress-${name}`, `${sys.pid} ${total}`);
  }
};
"""

# cross CHUNK [hold]: two floods, each writing into the other's stdin,
# neither reading; when both have ended, their statuses go to
# /tmp/cross-status. The driver lets go of its ends of the two pipes, as sh
# does, unless told to `hold` them (then it keeps a reader on each).
CROSS = r"""
module.exports = async function main(argv) {
  const ab = await sys.proc.pipe(), ba = await sys.proc.pipe();
  const a = await sys.proc.spawn(['/tmp/flood.js', 'xa', argv[1]], { stdin: { pipe: ba }, stdout: { pipe: ab } });
  const b = await sys.proc.spawn(['/tmp/flood.js', 'xb', argv[1]], { stdin: { pipe: ab }, stdout: { pipe: ba } });
  if (argv[2] !== 'hold') {
    sys.proc.closePipe(ab);
    sys.proc.closePipe(ba);
  }
  const statuses = await Promise.all([sys.proc.wait(a), sys.proc.wait(b)]);
  await sys.fs.writeFile('/tmp/cross-status', statuses.join(' '));
};
"""

# emit SEED TOTAL REPORT: TOTAL bytes of the mulberry32(SEED) stream (its
# words little-endian, as stream() below makes them) in writes of 1 to 4096
# bytes (each all or nothing). Around every write it appends to REPORT:
# "start AT N" before it, "done AT+N" once the pipe has taken the bytes.
EMIT = (
    PRNG
    + r"""
module.exports = async function main(argv) {
  const seed = Number(argv[1]), total = Number(argv[2]), report = argv[3];
  const data = prng(seed), sizes = prng(seed ^ 0x9e3779b9);
  const pool = new Uint8Array(1 << 16), words = new Uint32Array(pool.buffer);
  let at = pool.length;
  const buffer = new Uint8Array(4096);
  await sys.fs.writeFile(report, `pid ${sys.pid}\n`);
  let sent = 0;
  while (sent < total) {
    const n = Math.min(1 + (sizes() % 4096), total - sent);
    for (let k = 0; k < n; ) {
      if (at === pool.length) {
        for (let i = 0; i < words.length; i++) words[i] = data();
        at = 0;
      }
      const take = Math.min(n - k, pool.length - at);
      buffer.set(pool.subarray(at, at + take), k);
      at += take;
      k += take;
    }
    await sys.fs.writeFile(report, `start ${sent} ${n}\n`, { append: true });
    await sys.stdout.write(buffer.subarray(0, n));
    sent += n;
    await sys.fs.writeFile(report, `done ${sent}\n`, { append: true });
  }
  await sys.fs.writeFile(report, `end ${sent}\n`, { append: true });
};
"""
)

# take SEED [GO]: (once the file GO exists) reads stdin to its end with
# readBytes(max) for random maxima, sleeping now and then; prints
# "COUNT SHA256" of what it read.
TAKE = (
    "const { Sha256, hex } = require('/lib/sha256');\n"
    + PRNG
    + r"""
module.exports = async function main(argv) {
  const next = prng(Number(argv[1]));
  const rand = () => next() / 4294967296;
  if (argv[2]) {
    for (;;) {
      try {
        await sys.fs.stat(argv[2]);
        break;
      } catch (e) {
        await sys.sleep(50);
      }
    }
  }
  const hash = new Sha256();
  let count = 0;
  for (;;) {
    const chunk = await sys.stdin.readBytes(Math.floor(Math.exp(rand() * Math.log(1 << 16))) + 1);
    if (chunk === null) break;
    hash.update(chunk);
    count += chunk.length;
    if (rand() < 0.5) await sys.sleep(Math.floor(rand() * 4));
  }
  sys.print(`${count} ${hex(hash.digest())}`);
};
"""
)

# pipes: 10,000 pipes, opened 1,000 at a time and all closed again, and
# 20 of them handed to children (`true`) that end at once.
PIPES = r"""
module.exports = async function main() {
  for (let batch = 0; batch < 10; batch++) {
    const ids = [];
    for (let i = 0; i < 1000; i++) ids.push(await sys.proc.pipe());
    const children = [];
    for (const id of ids.slice(0, 2)) children.push(await sys.proc.spawn(['true'], { stdin: { pipe: id }, stdout: { pipe: id } }));
    for (const id of ids) sys.proc.closePipe(id);
    for (const pid of children) await sys.proc.wait(pid);
  }
  sys.print('ok');
};
"""

# procs: the processes, as JSON.
PROCS = "module.exports = async () => sys.print(JSON.stringify(await sys.proc.list()));\n"

# tmpused: the bytes of all files under /tmp.
TMPUSED = r"""
async function used(dir) {
  let n = 0;
  for (const e of await sys.fs.readdir(dir)) n += e.type === 'dir' ? await used(`${dir}/${e.name}`) : e.size;
  return n;
}
module.exports = async () => sys.print(await used('/tmp'));
"""


@pytest.fixture(scope="module", autouse=True)
def apps(machine):
    for name, text in [
        ("flood", FLOOD),
        ("cross", CROSS),
        ("emit", EMIT),
        ("take", TAKE),
        ("pipes", PIPES),
        ("procs", PROCS),
        ("tmpused", TMPUSED),
    ]:
        write_file(machine, f"/tmp/{name}.js", text)


@pytest.fixture()
def console(machine):
    """The console's shell, with no jobs left over when the test ends."""
    yield from console_without_jobs(machine)


# ---- helpers ------------------------------------------------------------------------


def run_ok(machine, line: str, timeout: float = 30) -> str:
    status, out, err = machine.run(line, timeout=timeout)
    assert status == 0, f"{line}: status {status}\nstdout: {out}\nstderr: {err}"
    return out


def procs(machine) -> list[dict]:
    return json.loads(run_ok(machine, "/tmp/procs.js"))


def alive(machine, pid: int) -> bool:
    return any(p["pid"] == pid and p["state"] != "Z" for p in procs(machine))


def running(machine, pattern: str) -> list[dict]:
    """Live processes whose command line contains `pattern` (not the probe itself)."""
    return [
        p
        for p in procs(machine)
        if p["state"] != "Z"
        and pattern in " ".join(p.get("argv") or [])
        and "/tmp/procs.js" not in (p.get("argv") or [])
    ]


def progress(machine, name: str) -> tuple[int, int] | None:
    status, out, _ = machine.run(f"cat /tmp/progress-{name}")
    if status != 0 or not out.strip():
        return None
    pid, total = out.split()
    return int(pid), int(total)


def wait_blocked(machine, name: str, settle: float = 1.0, timeout: float = 30) -> tuple[int, int]:
    """Wait until flood NAME has written something and then not moved for `settle` s: (pid, total)."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = progress(machine, name)
        if now != last:
            last, since = now, time.monotonic()
        elif now and now[1] > 0 and time.monotonic() - since >= settle:
            return now
        time.sleep(0.1)
    raise AssertionError(f"flood {name} never settled: last progress {last}")


def wait_until(predicate, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def cpu_of(machine, pid: int) -> float:
    return next(float(p["cpu"] or 0) for p in procs(machine) if p["pid"] == pid)


def machine_still_works(machine) -> None:
    """Other commands answer, and bytes still flow, end to end."""
    assert machine.run("echo alive", timeout=15) == (0, "alive\n", "")
    out = run_ok(
        machine,
        "head -c 300000 /dev/urandom | tee /tmp/probe | cat | sha256sum; sha256sum < /tmp/probe; rm /tmp/probe",
    )
    far, near = out.split("\n")[:2]
    assert far == near and re.fullmatch(r"[0-9a-f]{64}  -", far), out


# ---- a reader that never reads ---------------------------------------------------------


# It prints nothing (an eval would print its value, racing the shell's own output).
READER_THAT_NEVER_READS = "sleep 100000"


def test_a_reader_that_never_reads_stops_its_writer_and_ctrl_c_ends_both(machine, console):
    console.sendline(f"/tmp/flood.js nr 4096 | {READER_THAT_NEVER_READS}")
    pid, total = wait_blocked(machine, "nr")
    # The pipe took a window's worth (4096-byte writes fill it exactly) and no more.
    assert total == WINDOW
    cpu = cpu_of(machine, pid)
    time.sleep(1)
    assert progress(machine, "nr") == (pid, WINDOW)
    assert cpu_of(machine, pid) - cpu < 0.05, "a blocked writer spins"
    assert running(machine, "/tmp/flood.js nr") and running(machine, "sleep 100000"), "the job is not there"
    machine_still_works(machine)

    interrupt_until_prompt(console)
    assert command(console, "echo $?") == "130"
    wait_until(
        lambda: not running(machine, "/tmp/flood.js nr") and not running(machine, "sleep 100000"),
        "the job to end",
    )
    assert command(console, "echo the shell lives") == "the shell lives"
    machine_still_works(machine)


def test_kill_ends_a_writer_blocked_on_a_reader_that_never_reads(machine, console):
    started = command(console, f"/tmp/flood.js nk 4096 | {READER_THAT_NEVER_READS} &")
    assert re.fullmatch(r"\[1\] \d+", started), started
    pid, total = wait_blocked(machine, "nk")
    assert total == WINDOW
    machine_still_works(machine)

    assert command(console, f"kill {pid}; echo $?") == "0"
    wait_until(lambda: not alive(machine, pid), f"the writer ({pid}) to end")
    assert progress(machine, "nk") == (pid, WINDOW)
    # The reader goes on by itself (it never reads, so it never sees the end of file).
    jobs = command(console, "jobs")
    assert jobs.startswith("[1]+  Running ") and "/tmp/flood.js nk 4096 |" in jobs, jobs
    assert running(machine, "sleep 100000")
    assert command(console, "kill %1").startswith("[1]+  Terminated")
    wait_until(lambda: not running(machine, "sleep 100000"), "the reader to end")
    assert command(console, "echo the shell lives") == "the shell lives"
    machine_still_works(machine)


# ---- both directions at once -------------------------------------------------------------


def start_cross(machine, console, args: str) -> tuple[int, int, int]:
    """cross.js ARGS in the background; once both floods wait: (pid a, pid b, what each wrote)."""
    machine.run("rm /tmp/cross-status /tmp/progress-xa /tmp/progress-xb")
    started = command(console, f"/tmp/cross.js {args} &")
    assert re.fullmatch(r"\[1\] \d+", started), started
    a, wrote_a = wait_blocked(machine, "xa")
    b, wrote_b = wait_blocked(machine, "xb")
    assert wrote_a == wrote_b, (wrote_a, wrote_b)
    time.sleep(0.5)
    assert (progress(machine, "xa"), progress(machine, "xb")) == ((a, wrote_a), (b, wrote_b)), (
        "they did not stop"
    )
    return a, b, wrote_a


def cross_ended(machine, console) -> str:
    status = wait_until(lambda: machine.run("cat /tmp/cross-status")[1], "the driver's report")
    assert not running(machine, "/tmp/flood.js") and not running(machine, "/tmp/cross.js")
    assert re.fullmatch(r"(\[1\]\+\s+Done\s+/tmp/cross\.js.*)?", command(console, "jobs"))
    return status


@pytest.mark.parametrize("chunk", [4096, 100000])
def test_two_apps_filling_each_others_pipe_stop_only_themselves(machine, console, chunk):
    a, b, wrote = start_cross(machine, console, str(chunk))
    # Each pipe took what fits: whole writes up to the window, then (for
    # writes over 4096 bytes) the start of the next one, which waits.
    assert wrote == WINDOW // chunk * chunk
    machine_still_works(machine)

    run_ok(machine, f"kill {a}")
    wait_until(lambda: not alive(machine, a), f"flood xa ({a}) to end")
    # Nobody reads b's pipe any more: its waiting write fails, EPIPE, status 141 (SIGPIPE).
    wait_until(lambda: not alive(machine, b), f"flood xb ({b}) to end once its reader is gone")
    assert cross_ended(machine, console) == "143 141"
    machine_still_works(machine)


def test_two_apps_filling_each_others_pipe_can_both_be_killed(machine, console):
    # The driver keeps a reader on each pipe, so the floods stay stuck until each is killed.
    a, b, wrote = start_cross(machine, console, "65536 hold")
    assert wrote == WINDOW
    machine_still_works(machine)
    run_ok(machine, f"kill {a}")
    wait_until(lambda: not alive(machine, a), f"flood xa ({a}) to end")
    time.sleep(0.5)
    assert alive(machine, b) and progress(machine, "xb") == (b, wrote)
    run_ok(machine, f"kill {b}")
    assert cross_ended(machine, console) == "143 143"
    machine_still_works(machine)


# ---- a writer killed in the middle of its stream -------------------------------------------


def killed_stream(machine, console, name: str, seed: int, go: bool, kill_after: int, delay: float):
    """emit | take, the writer killed once it reported `kill_after` bytes done (and
    `delay` more seconds); the reader waits for /tmp/go-NAME first if `go`.
    Returns (report lines, count the reader got, sha256 of what it got)."""
    report, took, go_file = f"/tmp/rep-{name}", f"/tmp/took-{name}", f"/tmp/go-{name}"
    machine.run(f"rm {report} {took} {go_file}")
    take = f"/tmp/take.js {seed + 1}" + (f" {go_file}" if go else "")
    command(console, f"/tmp/emit.js {seed} 100000000 {report} | {take} > {took} &")

    def done_so_far():
        status, out, _ = machine.run(f"tail -n 2 {report}")
        lines = out.splitlines()
        done = [int(x.split()[1]) for x in lines if x.startswith("done ")]
        return done and done[-1] >= kill_after and lines

    wait_until(done_so_far, f"{kill_after} bytes through", timeout=30)
    pid = int(run_ok(machine, f"head -n 1 {report}").split()[1])
    if go:
        # The writer waits on the full pipe: its last word must stay "start ...".
        last = None
        for _ in range(100):
            lines = run_ok(machine, f"tail -n 1 {report}")
            if lines == last and lines.startswith("start "):
                break
            last = lines
            time.sleep(0.2)
        else:
            raise AssertionError(f"the writer did not block: {last}")
    time.sleep(delay)
    run_ok(machine, f"kill {pid}")
    wait_until(lambda: not alive(machine, pid), f"the writer ({pid}) to end")
    if go:
        run_ok(machine, f"echo go > {go_file}")
    out = wait_until(lambda: machine.run(f"cat {took}")[1], "the reader's count", timeout=60)
    count, digest = out.split()
    wait_until(lambda: not running(machine, "/tmp/take.js"), "the reader to end")
    assert re.fullmatch(r"\[1\]\+\s+Done\s+/tmp/emit\.js.*", command(console, "jobs"))
    lines = run_ok(machine, f"cat {report}").splitlines()
    machine.run(f"rm {report} {took} {go_file}")
    return lines, int(count), digest


def test_a_writer_killed_on_a_full_pipe_leaves_its_reader_exactly_what_it_wrote(machine, console):
    seed = random.randrange(1, 2**31)
    lines, count, digest = killed_stream(machine, console, "full", seed, go=True, kill_after=1, delay=0.2)
    last = lines[-1].split()
    assert last[0] == "start", f"seed {seed}: the writer was not waiting on the pipe: {lines[-3:]}"
    # Writes of at most 4096 bytes are all or nothing: the one it waited on is not in.
    written = int(last[1])
    assert WINDOW - PIPE_BUF < written <= WINDOW, f"seed {seed}"
    assert count == written, f"seed {seed}: the reader got {count} bytes, the writer wrote {written}"
    assert digest == hashlib.sha256(stream(seed, count)).hexdigest(), f"seed {seed}: the bytes differ"
    assert command(console, "echo the shell lives") == "the shell lives"


@pytest.mark.parametrize("round_", range(3))
def test_a_writer_killed_mid_stream_leaves_its_reader_exactly_what_arrived(machine, console, round_):
    seed = random.randrange(1, 2**31)
    rng = random.Random(seed)
    kill_after = rng.randrange(3 * WINDOW, 6 * WINDOW)
    lines, count, digest = killed_stream(
        machine, console, f"mid{round_}", seed, go=False, kill_after=kill_after, delay=rng.uniform(0, 0.5)
    )
    last = lines[-1].split()
    where = f"seed {seed}, report ends {lines[-3:]}, the reader got {count}"
    assert last[0] in ("start", "done"), where
    if last[0] == "done":
        # Killed between two writes: everything it wrote, nothing more.
        assert count == int(last[1]), where
    else:
        # Killed while a write of n <= 4096 bytes waited: it went in whole or not at all.
        at, n = int(last[1]), int(last[2])
        assert count in (at, at + n), where
    assert count > kill_after, where
    assert digest == hashlib.sha256(stream(seed, count)).hexdigest(), f"{where}: the bytes differ"


# ---- many pipes ----------------------------------------------------------------------------


def test_ten_thousand_pipes_opened_and_closed_give_their_memory_back(machine):
    """Rounds of 10,000 pipes (1,000 open at a time, some handed to children).
    After a warm-up round, the machine's RSS must not grow with the rounds; and
    seven rounds make 70,000 pipes, more than may be open at once (65,536), so
    a pipe that is never freed would make the last rounds fail with EMFILE."""
    assert run_ok(machine, "/tmp/pipes.js", timeout=120) == "ok\n"  # warm-up
    before = machine.rss_kib()
    growth = []
    for round_ in range(6):
        assert run_ok(machine, "/tmp/pipes.js", timeout=120) == "ok\n", f"round {round_ + 2}"
        growth.append((machine.rss_kib() - before) / 1024)
        print(f"round {round_ + 2}: RSS {growth[-1]:+.1f} MiB")
        if round_ == 2:
            assert max(growth) < 20, f"RSS grew by {growth} MiB in 3 rounds after the warm-up"
    assert max(growth) < 20, f"RSS grew by {growth} MiB in 6 rounds after the warm-up"
    machine_still_works(machine)


# ---- a full /tmp ---------------------------------------------------------------------------


@pytest.fixture()
def kept(machine):
    """Files written before /tmp fills up: {path: sha256}. Removed afterwards."""
    sums = {}
    for path, size in [("/tmp/keep-a", 1_500_000), ("/tmp/keep-b", 300_001)]:
        out = run_ok(machine, f"head -c {size} /dev/urandom | tee {path} | sha256sum; wc -c < {path}")
        digest, count = out.split()[0], out.split()[-1]
        assert count == str(size)
        sums[path] = digest
    yield sums
    machine.run("rm " + " ".join(sums))


def tmp_used(machine) -> int:
    return int(run_ok(machine, "/tmp/tmpused.js"))


def check_full_and_recover(machine, kept: dict, filler: str, free_before: int) -> None:
    """/tmp is full with what fitted of `filler`; the files before are intact;
    removing `filler` gives the space back."""
    size = int(run_ok(machine, f"wc -c < {filler}"))
    assert 0 < size <= free_before
    assert free_before - size < 64 << 10, f"{filler} kept {size} bytes of {free_before} free"
    assert tmp_used(machine) <= TMP_SIZE
    out = run_ok(machine, "sha256sum " + " ".join(kept))
    assert {line.split()[1]: line.split()[0] for line in out.splitlines()} == kept, (
        "a file written before changed"
    )
    run_ok(machine, f"rm {filler}")
    assert TMP_SIZE - tmp_used(machine) == free_before, "rm did not give the space back"
    # The space is there to use again, byte for byte.
    n = free_before - 1000
    out = run_ok(
        machine,
        f"head -c {n} /dev/urandom | tee /tmp/again | sha256sum; sha256sum < /tmp/again; wc -c < /tmp/again; rm /tmp/again",
    )
    far, near, count = out.splitlines()
    assert far == near and count == str(n), out
    out = run_ok(machine, "sha256sum " + " ".join(kept))
    assert {line.split()[1]: line.split()[0] for line in out.splitlines()} == kept, (
        "a file written before changed"
    )


def test_dd_into_a_full_tmp_gets_enospc(machine, kept):
    free = TMP_SIZE - tmp_used(machine)
    status, out, err = machine.run("dd if=/dev/zero of=/tmp/full-dd bs=64k; echo $?", timeout=60)
    assert out == "1\n", (out, err)
    assert "dd: error writing '/tmp/full-dd': No space left on device" in err
    check_full_and_recover(machine, kept, "/tmp/full-dd", free)


@pytest.mark.parametrize(
    "line",
    [
        "cat /dev/zero > /tmp/full-cat",
        "head -c 20M /dev/zero | cat > /tmp/full-cat",
        "cat /tmp/keep-a /tmp/keep-a /tmp/keep-a /tmp/keep-a /tmp/keep-a /tmp/keep-a > /tmp/full-cat",
    ],
)
def test_cat_into_a_full_tmp_gets_enospc(machine, kept, line):
    free = TMP_SIZE - tmp_used(machine)
    status, out, err = machine.run(f"{line}; echo $?", timeout=60)
    assert out == "1\n", (out, err)
    assert "No space left on device" in err and err.startswith("cat: "), err
    check_full_and_recover(machine, kept, "/tmp/full-cat", free)


def test_tee_into_a_full_tmp_gets_enospc(machine, kept):
    free = TMP_SIZE - tmp_used(machine)
    status, out, err = machine.run(
        "head -c 12M /dev/zero | tee /tmp/full-tee > /dev/null; echo $?", timeout=60
    )
    assert out == "1\n", (out, err)
    assert "No space left on device" in err and err.startswith("tee: "), err
    check_full_and_recover(machine, kept, "/tmp/full-tee", free)


def test_tee_reports_the_full_file_and_goes_on_writing_its_output(machine, kept):
    """POSIX tee: "If a write to any successfully opened file operand fails,
    writes to other successfully opened file operands and standard output
    shall continue, but the exit status shall be non-zero." The message names
    the file, as tee's other messages do."""
    free = TMP_SIZE - tmp_used(machine)
    status, out, err = machine.run("head -c 12M /dev/zero | tee /tmp/full-tee | wc -c", timeout=60)
    assert "No space left on device" in err, err
    try:
        assert err == "tee: /tmp/full-tee: No space left on device\n", err
        assert out == f"{12 * MiB}\n", "tee stopped copying its input to stdout when the file filled up"
    finally:
        check_full_and_recover(machine, kept, "/tmp/full-tee", free)
