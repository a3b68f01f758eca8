"""End to end: the tracer of crossings (docs/tracing.md): `trace` in the guest, `--trace` on the host.

Each trace is asserted event by event on its kinds, names and order (never
on timings): the journey of `echo hi`, of a ping through virtio-net, and of
an RPC call between two apps. The Perfetto JSON is checked against the
Trace Event Format's rules for the phases it uses.
"""

from __future__ import annotations

import json
import re
import subprocess

from tests.e2e.machine import ENV, JSKSH
from tests.e2e.test_rpc import app

MACHINE_ARGS = ("--net", "user")


def trace_json(machine, line: str) -> tuple[int, str, str, dict]:
    """Run `trace -o /tmp/t.json LINE`: (status, stdout, stderr, the JSON)."""
    status, out, err = machine.run(f"trace -o /tmp/t.json {line}", timeout=60)
    code, text, cat_err = machine.run("cat /tmp/t.json", timeout=60)
    assert code == 0, cat_err
    return status, out, err, json.loads(text)


def validate_trace_event_format(doc: dict) -> None:
    """The rules of the Trace Event Format for the phases we write (M, X, i)."""
    assert isinstance(doc["traceEvents"], list) and doc["displayTimeUnit"] in ("ms", "ns")
    named = set()
    for e in doc["traceEvents"]:
        assert isinstance(e["name"], str) and isinstance(e["pid"], int) and isinstance(e["tid"], int), e
        assert e["ph"] in ("M", "X", "i"), e
        if e["ph"] == "M":
            assert e["name"] in ("process_name", "thread_name", "thread_sort_index"), e
            assert isinstance(e["args"], dict), e
            if e["name"] == "thread_name":
                named.add((e["pid"], e["tid"]))
            continue
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        assert isinstance(e["cat"], str) and isinstance(e["args"], dict), e
        if e["ph"] == "X":
            assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
        else:
            assert e["s"] in ("t", "p", "g"), e
        assert (e["pid"], e["tid"]) in named, f"an event on an unnamed track: {e}"


def timeline(doc: dict) -> list[tuple[str, str, str, dict]]:
    """(track, kind, name, args) of every event, in the file's (time) order."""
    tracks = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in doc["traceEvents"]
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    return [
        (tracks[(e["pid"], e["tid"])], e["cat"], e["name"], e["args"])
        for e in doc["traceEvents"]
        if e["ph"] != "M"
    ]


def in_order(events, *wanted) -> list[int]:
    """The indices where each wanted (track, kind, name, detail prefix) occurs, each after the last."""
    at, found = 0, []
    for want in wanted:
        track, kind, name, detail = (*want, "")[:4]
        for i in range(at, len(events)):
            t, k, n, args = events[i]
            if (
                re.fullmatch(track, t)
                and k == kind
                and re.fullmatch(name, n)
                and args.get("detail", "").startswith(detail)
            ):
                found.append(i)
                at = i + 1
                break
        else:
            raise AssertionError(f"{want} not found after event {at}:\n" + "\n".join(map(str, events[at:])))
    return found


def test_trace_echo_shows_the_whole_journey_of_one_command(machine):
    status, out, err, doc = trace_json(machine, "echo hi")
    assert status == 0 and out == "hi\n"
    assert re.fullmatch(
        r"trace: \d+ events shown of \d+ recorded in [\d.]+ ms; Perfetto JSON in /tmp/t.json\n", err
    )
    validate_trace_event_format(doc)
    events = timeline(doc)
    pid = re.search(r"pid (\d+) echo", " ".join(t for t, *_ in events)).group(1)
    echo = rf"pid {pid} echo"
    in_order(
        events,
        ("kernel", "trap", "SPAWN", f"pid {pid}"),  # the kernel hands the machine a program
        (echo, "post", "__start"),  # the machine hands its isolate the start message, as text
        (echo, "trap", "WRITE", "pipe"),  # "hi\n" into its stdout pipe
        ("machine", "irq", r"line 1 .*"),  # the kernel is told there is mail
        ("kernel", "post", "__irq"),
        ("kernel", "trap", "PIPE_READ", "pipe"),  # the kernel drains the pipe
        ("kernel", "trap", "MMIO_WRITE", "virtio-console QueueNotify"),  # and kicks the console
        (r"virtio-console\.port1\.tx", "kick", "QueueNotify"),
        (r"virtio-console\.port1\.tx", "avail", r"head \d+"),
        (r"virtio-console\.port1\.tx", "used", r"head \d+"),
    )
    exit_msg = in_order(events, (echo, "msg", "-> kernel", "exit"))[0]
    release = in_order(events, ("kernel", "trap", "RELEASE", f"pid {pid}"))[0]
    assert exit_msg < release
    write = next(e for e in events if e[0] == echo and e[2] == "WRITE")
    assert write[3]["bytes"] == 3
    # The trace app's own crossings are not shown: only the command's.
    assert not any(re.fullmatch(r"pid \d+ trace", t) for t, *_ in events)


def test_trace_ping_shows_the_packet_through_virtio_net(machine):
    status, out, err, doc = trace_json(machine, "ping -c 1 10.0.2.2")
    assert status == 0, err
    validate_trace_event_format(doc)
    events = timeline(doc)
    ping = r"pid \d+ ping"
    in_order(
        events,
        (ping, "msg", "-> kernel", "call net.ping"),  # the app asks the kernel
        ("kernel", "trap", "MMIO_WRITE", "virtio-net QueueNotify"),  # the echo request goes out
        (r"virtio-net\.transmitq", "kick", "QueueNotify"),
        (r"virtio-net\.transmitq", "avail", r"head \d+"),
        (r"virtio-net\.transmitq", "used", r"head \d+"),
        (r"virtio-net\.receiveq", "used", r"head \d+"),  # the reply lands in a receive buffer
        ("virtio-net", "intr", r"line 7"),
        ("machine", "irq", r"line 7 virtio-net"),
        ("kernel", "post", "__irq"),
        ("kernel", "msg", r"-> pid \d+", "reply"),  # and the answer goes back to ping
    )
    rx = next(e for e in events if e[0] == "virtio-net.receiveq" and e[1] == "used")
    assert rx[3]["bytes"] >= 12 + 14 + 20 + 8  # virtio-net header, Ethernet, IPv4, ICMP


def test_trace_of_an_rpc_call_shows_both_apps_messages(machine):
    status, out, err = machine.run("svc start kv")
    assert status == 0, err
    kv = re.search(r"pid (\d+)", out).group(1)
    client = app(
        machine, "const kv = await sys.services.connect('kv'); await kv.put('k', 1);", name="rpcclient"
    )
    status, out, err, doc = trace_json(machine, client)
    assert status == 0, err
    events = timeline(doc)
    caller = r"pid \d+ rpcclient"
    first, second = in_order(
        events,
        (caller, "msg", rf"-> pid {kv}"),  # the call goes straight to the service's isolate
        (rf"pid {kv} kv", "msg", r"-> pid \d+"),  # and its answer straight back
    )
    assert first < second
    assert machine.run("svc stop kv")[0] == 0


def test_trace_summary_only_and_a_full_ring(machine):
    status, out, err = machine.run("trace -c -b 16 echo hi")
    assert status == 0 and out == "hi\n"
    lines = err.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "COUNT", "TOTAL", "ms", "P50", "us", "BYTES"]
    assert re.fullmatch(
        r"\d+ events shown of 16 recorded in [\d.]+ ms; \d+ dropped: the ring \(16 events\) was full",
        lines[-1],
    )


def test_trace_passes_on_the_commands_status_and_refuses_bad_lines(machine):
    assert machine.run("trace false")[0] == 1
    status, out, err = machine.run("trace nosuchcommand")
    assert (status, err.splitlines()[0]) == (127, "trace: nosuchcommand: command not found")
    status, out, err = machine.run("trace")
    assert status == 2 and err.startswith("trace: missing command (or -p PID)")
    status, out, err = machine.run("trace -p 99999")
    assert (status, err) == (1, "trace: attach: no process 99999\n")
    status, out, err = machine.run("trace trace echo hi")
    assert status == 1 and "trace: the machine is already tracing" in err


def test_a_killed_trace_leaves_no_tracer_running(machine):
    status, out, err = machine.run("trace sleep 5 & kill $!; trace -c echo ok")
    assert status == 0, err
    assert out == "ok\n"


def test_trace_attaches_to_a_running_process_until_it_exits(machine):
    status, out, err = machine.run("sleep 1 & trace -p $! -o /tmp/p.txt; cat /tmp/p.txt", timeout=30)
    assert status == 0, err
    tracks = {m.group(1) for m in re.finditer(r"^\s+[\d.]+ (pid \d+ \w+)", out, re.M)}
    assert len(tracks) == 1 and tracks.pop().endswith(" sleep")
    assert "events shown of" in out


def test_host_trace_of_a_run_line_writes_perfetto_json(tmp_path):
    path = tmp_path / "run.json"
    r = subprocess.run(
        [*JSKSH, "run", "--trace", str(path), "echo hi"], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert r.returncode == 0 and r.stdout == "hi\n"
    assert re.fullmatch(rf"jsksh: trace of \d+ crossings in {re.escape(str(path))}\n", r.stderr)
    doc = json.loads(path.read_text())
    validate_trace_event_format(doc)
    events = timeline(doc)
    # The line arrives on the control port's receive queue and its output leaves on the transmit queue.
    in_order(
        events,
        (r"virtio-console\.port1\.rx", "used", r"head \d+"),
        ("kernel", "post", "__irq"),
        (r"pid \d+ sh", "msg", "-> kernel", "call"),  # the session shell runs the line (echo is its builtin)
        (r"virtio-console\.port1\.tx", "avail", r"head \d+"),
    )


def test_host_trace_as_text_has_a_timeline_and_a_summary(tmp_path):
    path = tmp_path / "run.txt"
    r = subprocess.run(
        [*JSKSH, "run", "--trace", str(path), "echo hi"], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert r.returncode == 0
    text = path.read_text()
    assert re.search(r"^\s+[\d.]+ kernel\s+post\s+__irq\s+<[\d.]+ ms>$", text, re.M)
    assert re.search(r"^KIND\s+NAME\s+COUNT\s+TOTAL ms\s+P50 us\s+BYTES$", text, re.M)


def test_boot_trace_records_from_power_on_and_writes_at_power_off(tmp_path):
    from tests.e2e.machine import BootedMachine

    path = tmp_path / "boot.json"
    m = BootedMachine("--net", "none", "--trace", str(path))
    try:
        assert m.run("echo up") == (0, "up\n", "")
        m.proc.terminate()  # the power button: the kernel powers off, then the trace is written
        assert m.proc.wait(30) == 143
        said = m.output()
    finally:
        m.stop()
    assert re.search(rf"jsksh: trace of \d+ crossings in {re.escape(str(path))}", said)
    doc = json.loads(path.read_text())
    validate_trace_event_format(doc)
    events = timeline(doc)
    # From the kernel's first trap (its clock) to the power-off.
    assert events[0][:3] == ("kernel", "trap", "CLOCK")
    in_order(
        events,
        ("kernel", "trap", "MMIO_READ", "virtio-console MagicValue"),  # the console driver probes slot 0
        ("kernel", "trap", "MMIO_WRITE", "virtio-console Status"),  # and walks the §3.1 handshake
        (r"pid \d+ sh", "post", "__start"),  # the session shell starts
        ("kernel", "trap", "POWER"),
    )
