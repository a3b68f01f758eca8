"""Soak: 1 GiB through guest pipelines, every byte checked at both ends.

A writer app (gen) makes a seeded stream and writes it in pieces of random
sizes, awaiting each write, and reports the sha256 of what it wrote. Readers
(slow) take it with readBytes(max) for a random max, now and then sleep, and
pass it on in one write or in random pieces; cat, tee and dd sit in between;
sha256sum ends each pipeline. The sha256 the writer computed, the one each
slow reader computed over what it read, and the guest's sha256sum must all be
the same, and the counts must add up to 1 GiB, so a byte lost, duplicated or
reordered anywhere fails the test.

The seed is random on every run and printed on failure; JSKSH_SOAK_SEED=N
replays one. `pytest -m "not slow"` leaves these tests out.
"""

from __future__ import annotations

import os
import random
import re
import time

import pytest

from tests.e2e.guest_prng import PRNG
from tests.e2e.test_fuzz_rpc import write_file

pytestmark = pytest.mark.slow

MACHINE_ARGS = ("--net", "none")  # /tmp keeps its default 64 MiB

SEED = int(os.environ.get("JSKSH_SOAK_SEED") or random.SystemRandom().randrange(1, 2**31))
TOTAL = 1 << 30
MiB = 1 << 20

# gen SEED BYTES TAG: BYTES of the stream of mulberry32(SEED) words,
# little-endian, in pieces of random sizes (a third up to 4 KiB, the rest
# log-uniform up to 1 MiB), each write awaited; then "gen TAG BYTES SHA256"
# on stderr. The pieces are views of one buffer, refilled only once the
# write before has settled (the pipe has taken its bytes).
GEN = (
    "const { Sha256, hex } = require('/lib/sha256');\n"
    + PRNG
    + r"""
module.exports = async function main(argv) {
  const seed = Number(argv[1]), total = Number(argv[2]), tag = argv[3];
  const data = prng(seed);
  const sizes = prng(seed ^ 0x5bd1e995);
  const POOL = 1 << 16;
  const pool = new Uint8Array(POOL), words = new Uint32Array(pool.buffer);
  let at = POOL;
  const buffer = new Uint8Array((1 << 20) + 1);
  const hash = new Sha256();
  let sent = 0;
  while (sent < total) {
    const small = sizes() / 4294967296 < 0.33;
    let n = small ? 1 + (sizes() % 4096) : Math.floor(Math.exp((sizes() / 4294967296) * Math.log(1 << 20))) + 1;
    n = Math.min(n, total - sent);
    const piece = buffer.subarray(0, n);
    for (let k = 0; k < n; ) {
      if (at === POOL) {
        for (let i = 0; i < words.length; i++) words[i] = data();
        at = 0;
      }
      const take = Math.min(n - k, POOL - at);
      piece.set(pool.subarray(at, at + take), k);
      at += take;
      k += take;
    }
    hash.update(piece);
    await sys.stdout.write(piece);
    sent += n;
  }
  await sys.stderr.write(`gen ${tag} ${sent} ${hex(hash.digest())}\n`);
};
"""
)

# slow SEED TAG: copies stdin to stdout at a random pace. Each read asks for
# a random most (1 to 16 bytes now and then, else log-uniform up to 1 MiB);
# 1 read in 100 is followed by a sleep of up to 20 ms, 1 in 700 by one of
# 50 to 200 ms. What it read goes out in one write (4 in 5), or cut in up to
# 5 pieces written one after another, or all queued at once and awaited
# together. At the end "slow TAG BYTES SHA256" of what it read, on stderr.
SLOW = (
    "const { Sha256, hex } = require('/lib/sha256');\n"
    + PRNG
    + r"""
module.exports = async function main(argv) {
  const next = prng(Number(argv[1]));
  const rand = () => next() / 4294967296;
  const tag = argv[2];
  const hash = new Sha256();
  let got = 0;
  for (;;) {
    const max = rand() < 0.05 ? 1 + Math.floor(rand() * 16) : Math.floor(Math.exp(rand() * Math.log(1 << 20))) + 1;
    const chunk = await sys.stdin.readBytes(max);
    if (chunk === null) break;
    if (chunk.length === 0 || chunk.length > max) throw new Error(`readBytes(${max}) gave ${chunk.length} bytes`);
    hash.update(chunk);
    got += chunk.length;
    const s = rand();
    if (s < 0.01) await sys.sleep(Math.floor(rand() * 20));
    else if (s < 0.0114) await sys.sleep(50 + Math.floor(rand() * 150));
    const w = rand();
    if (w < 0.8 || chunk.length < 2) {
      await sys.stdout.write(chunk);
      continue;
    }
    const cuts = [0, chunk.length];
    for (let i = 1 + Math.floor(rand() * 4); i > 0; i--) cuts.push(Math.floor(rand() * chunk.length));
    cuts.sort((a, b) => a - b);
    const pieces = [];
    for (let i = 1; i < cuts.length; i++) if (cuts[i] > cuts[i - 1]) pieces.push(chunk.subarray(cuts[i - 1], cuts[i]));
    if (w < 0.9) for (const p of pieces) await sys.stdout.write(p);
    else await Promise.all(pieces.map((p) => sys.stdout.write(p)));
  }
  await sys.stderr.write(`slow ${tag} ${got} ${hex(hash.digest())}\n`);
};
"""
)

REPORT = re.compile(r"^(gen|slow) (\S+) (\d+) ([0-9a-f]{64})$")
DIGEST = re.compile(r"^([0-9a-f]{64})  (\S+)$")


@pytest.fixture(scope="module")
def apps(machine):
    write_file(machine, "/tmp/gen.js", GEN)
    write_file(machine, "/tmp/slow.js", SLOW)
    return machine


def replay() -> str:
    return f"seed {SEED} (replay with JSKSH_SOAK_SEED={SEED})"


class Plan:
    """The pipelines of one soak, drawn from the seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.tags = 0

    def seed(self) -> int:
        return self.rng.randrange(1, 2**31)

    def tag(self) -> str:
        self.tags += 1
        return f"s{self.tags}"

    def gen(self, size: int, tag: str) -> str:
        return f"/tmp/gen.js {self.seed()} {size} {tag}"

    def slow(self, tag: str) -> str:
        return f"/tmp/slow.js {self.seed()} {tag}"

    def pipeline(self, kind: str, size: int, tag: str) -> tuple[str, int]:
        """A pipeline from gen to sha256sum: (line, how many slow readers report on `tag`)."""
        gen, slow = self.gen(size, tag), lambda: self.slow(tag)
        if kind == "relay":
            return f"{gen} | {slow()} | sha256sum", 1
        if kind == "cat-tee":
            return f"{gen} | cat | tee | {slow()} | cat | sha256sum", 1
        if kind == "two-slow":
            return f"{gen} | tee | {slow()} | {slow()} | cat | sha256sum", 2
        if kind == "dd":
            bs = int(2 ** self.rng.uniform(12, 20))  # 4 KiB to 1 MiB records, as the pipe hands them over
            return f"{gen} | dd bs={bs} status=none | cat | {slow()} | sha256sum", 1
        raise ValueError(kind)


def check(cond: bool, what: str, line: str, status: int, out: str, err: str) -> None:
    if not cond:
        pytest.fail(
            f"{what}\n{replay()}\nline: {line}\nstatus {status}\nstdout: {out[-3000:]}\nstderr: {err[-3000:]}"
        )


def reports(text: str) -> tuple[dict[str, list[tuple[str, int, str]]], list[str]]:
    """Parse gen/slow reports: {tag: [(who, count, sha256)]}, and the lines that are not reports."""
    by_tag: dict[str, list[tuple[str, int, str]]] = {}
    other = []
    for line in text.splitlines():
        m = REPORT.match(line)
        if m:
            by_tag.setdefault(m[2], []).append((m[1], int(m[3]), m[4]))
        elif line.strip():
            other.append(line)
    return by_tag, other


def test_one_gib_through_pipelines_arrives_unchanged(apps):
    machine = apps
    print(replay())  # shown with the captured output of a test that fails, whatever failed
    plan = Plan(SEED)
    rng = plan.rng
    # (kind, nominal MiB); each size is drawn within 20% of its nominal one,
    # and the last pipeline carries what is left of the GiB: 93 to 403 MiB
    # (the nominal sizes add up to 776 MiB). The urandom one goes through a
    # file: at most 48 MiB of /tmp's 64.
    segments = [
        ("relay", 144),
        ("cat-tee", 144),
        ("urandom", 40),
        ("two-slow", 112),
        ("parallel", 224),
        ("dd", 112),
        ("cat-tee", None),
    ]
    moved = 0
    started = time.monotonic()
    for i, (kind, nominal) in enumerate(segments):
        if nominal is None:
            assert i == len(segments) - 1
            size = TOTAL - moved
        else:
            size = int(nominal * MiB * rng.uniform(0.8, 1.2)) + rng.randrange(4096)
        assert size > 0
        t0 = time.monotonic()
        if kind == "urandom":
            moved += urandom_through_tee(machine, plan, size)
        elif kind == "parallel":
            moved += two_at_once(machine, plan, size)
        else:
            moved += one_pipeline(machine, plan, kind, size)
        print(f"{kind}: {size} bytes in {time.monotonic() - t0:.1f} s")
    print(f"{moved} bytes in {time.monotonic() - started:.1f} s, {replay()}")
    assert moved == TOTAL, replay()
    status, out, err = machine.run("echo alive", timeout=30)
    assert (status, out, err) == (0, "alive\n", ""), replay()


def one_pipeline(machine, plan: Plan, kind: str, size: int) -> int:
    tag = plan.tag()
    line, slows = plan.pipeline(kind, size, tag)
    status, out, err = machine.run(line, timeout=180)
    context = (line, status, out, err)
    check(status == 0, "the pipeline failed", *context)
    by_tag, other = reports(err)
    check(not other, "unexpected output on stderr", *context)
    verify_stream(by_tag.get(tag, []), slows, size, [out], context)
    return size


def verify_stream(
    got: list[tuple[str, int, str]], slows: int, size: int, sha_lines: list[str], context
) -> None:
    """One gen report, `slows` slow reports and sha256sum's line: all the same count and digest."""
    gens = [r for r in got if r[0] == "gen"]
    readers = [r for r in got if r[0] == "slow"]
    check(
        len(gens) == 1 and len(readers) == slows,
        f"expected 1 gen and {slows} slow reports, got {got}",
        *context,
    )
    _, wrote, digest = gens[0]
    check(wrote == size, f"gen wrote {wrote} bytes, not {size}", *context)
    for _, count, d in readers:
        check(
            count == size and d == digest,
            f"a slow reader got {count} bytes ({d}); gen wrote {size} ({digest})",
            *context,
        )
    digests = [m[1] for text in sha_lines for m in [DIGEST.match(text.strip())] if m]
    check(digests == [digest] * len(sha_lines), f"sha256sum gave {digests}; gen wrote {digest}", *context)


def urandom_through_tee(machine, plan: Plan, size: int) -> int:
    """/dev/urandom through head, a tee into /tmp and a slow reader: the file's
    sha256 and the far end's must agree (the bytes come from the guest)."""
    tag = plan.tag()
    line = (
        f"head -c {size} /dev/urandom | tee /tmp/soak-u | {plan.slow(tag)} | cat | sha256sum; "
        "sha256sum /tmp/soak-u; wc -c < /tmp/soak-u; rm /tmp/soak-u"
    )
    status, out, err = machine.run(line, timeout=180)
    context = (line, status, out, err)
    check(status == 0, "the pipeline failed", *context)
    by_tag, other = reports(err)
    check(not other, "unexpected output on stderr", *context)
    lines = out.splitlines()
    check(len(lines) == 3, "expected two digests and a count", *context)
    far = DIGEST.match(lines[0])
    near = DIGEST.match(lines[1])
    check(bool(far and near), "no digests", *context)
    check(far[1] == near[1], "the far end's sha256 differs from the copy tee kept", *context)
    check(lines[2] == str(size), f"tee kept {lines[2]} bytes, not {size}", *context)
    slow = by_tag.get(tag, [])
    check(slow == [("slow", size, far[1])], f"the slow reader reported {slow}", *context)
    return size


def two_at_once(machine, plan: Plan, size: int) -> int:
    """Two pipelines at the same time, one in the background; their reports go to files."""
    first = plan.rng.randrange(size // 4, 3 * size // 4)
    sizes = [first, size - first]
    tags = [plan.tag(), plan.tag()]
    a, b = tags
    files = {t: (f"/tmp/soak-g{t}", f"/tmp/soak-s{t}", f"/tmp/soak-h{t}") for t in tags}
    ga, sa, ha = files[a]
    gb, sb, hb = files[b]
    line = (
        f"{plan.gen(sizes[0], a)} 2>{ga} | {plan.slow(a)} 2>{sa} | sha256sum > {ha} & "
        f"{plan.gen(sizes[1], b)} 2>{gb} | cat | {plan.slow(b)} 2>{sb} | tee | sha256sum > {hb}; wait; "
        f"cat {ga} {sa} {gb} {sb} >&2; cat {ha} {hb}; rm {' '.join(f for t in tags for f in files[t])}"
    )
    status, out, err = machine.run(line, timeout=240)
    context = (line, status, out, err)
    check(status == 0, "the pipelines failed", *context)
    # The background job's "[1] PID" notice may come on stderr.
    by_tag, other = reports(err)
    check(all(re.fullmatch(r"\[\d+\] \d+", x) for x in other), "unexpected output on stderr", *context)
    sha = out.splitlines()
    check(len(sha) == 2, "expected two digests", *context)
    for tag, n, text in zip(tags, sizes, sha, strict=True):
        verify_stream(by_tag.get(tag, []), 1, n, [text], context)
    return size
