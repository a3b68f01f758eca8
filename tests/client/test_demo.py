"""`jsksh demo`: shipped lessons played end to end, lesson files checked.

The demos run as a person would start them (`jsksh demo --fast --net none`)
with their output captured: the narration, the typed commands and what the
machine printed must all be there, in order, and the exit status must say
how it went. Lesson files are checked before any machine boots.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest

from jsksh.demos import LessonError, find, parse, shipped

JSKSH = [sys.executable, "-m", "jsksh.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def demo(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*JSKSH, "demo", *args], capture_output=True, text=True, env=ENV, timeout=timeout, errors="replace"
    )


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")


def machine_processes(marker: str) -> list[int]:
    """Pids of live processes whose command line holds `marker`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def test_default_lesson_plays_without_the_network():
    result = demo("--fast", "--net", "none")
    out = plain(result.stdout)
    assert result.returncode == 0, out + result.stderr
    assert "\x1b" not in result.stdout and "\r" not in result.stdout  # a pipe gets plain text
    lesson = find("runtime-js")
    assert out.startswith(lesson.title)
    # Every step off the network is narrated and typed, in the lesson's order.
    position = 0
    for step in lesson.steps:
        if step.when == "network":
            assert step.type not in out, f"{step.type!r} needs a network; the machine has none"
            continue
        for text in filter(None, ["# " + step.say if step.say else "", step.type.split("\n")[0]]):
            found = out.find(text, position)
            assert found >= 0, f"{text!r} missing after offset {position}:\n{out}"
            position = found
    # What the machine printed, not only what was typed.
    assert re.search(r"^hello$", out, re.M), out
    assert re.search(r"^42$", out, re.M), out
    assert re.search(r"^49$", out, re.M), out
    assert re.search(r"virtio-console\s+3\s+5", out), out
    assert "Power down" in out
    assert out.rstrip().endswith(lesson.outro)


def test_isolates_lesson_interrupts_a_loop():
    result = demo("isolates", "--fast", "--net", "none")
    out = plain(result.stdout)
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^130$", out, re.M), out  # `echo $?` after Ctrl-C
    assert "heap limit exceeded" in out


def test_a_step_that_fails_ends_the_demo_and_the_machine(tmp_path):
    marker = f"demo-test-{uuid.uuid4().hex[:8]}"
    lesson = tmp_path / "broken.toml"
    lesson.write_text(
        'title = "Waits for nothing"\n'
        '[[step]]\ntype = "echo hi"\nexpect = "never printed"\ntimeout = 1\n'
        '[[step]]\nsay = "not reached"\ntype = "ls"\n'
    )
    result = demo(str(lesson), "--fast", "--net", "none", "--cmdline", marker)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "jsksh demo: step 1 (echo hi): did not see /never printed/ within 1 s"
    ]
    assert "not reached" not in result.stdout
    assert machine_processes(marker) == []


def test_list_shows_every_shipped_lesson():
    result = demo("--list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert {"runtime-js", "isolates"} <= set(shipped())
    for name in shipped():
        assert any(line.startswith(name + " ") and find(name).title in line for line in lines), lines
    assert "(the default)" in next(line for line in lines if line.startswith("runtime-js"))


def test_a_malformed_lesson_is_refused_before_booting(tmp_path):
    lesson = tmp_path / "typo.toml"
    lesson.write_text('title = "A typo"\n[[step]]\ntpye = "ls"\n')
    result = demo(str(lesson), "--fast", timeout=20)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"jsksh demo: {lesson}: step 1: unknown key 'tpye': expected one of "
        "say, type, enter, keys, expect, until, when, pause, timeout, host"
    )
    assert result.stdout == ""
    lesson.write_text('title = "Unclosed\n')
    result = demo(str(lesson), timeout=20)
    assert result.returncode == 2
    assert re.fullmatch(rf"jsksh demo: {re.escape(str(lesson))}: not valid TOML: .*\n", result.stderr)
    result = demo("no-such-lesson", timeout=20)
    assert result.returncode == 2
    assert "no lesson called 'no-such-lesson'; the lessons are: " in result.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[step]]\ntype = 'ls'", "a lesson needs a title"),
        ("title = 'x'", "a lesson needs at least one [[step]]"),
        ("title = 'x'\n[step]\ntype = 'ls'", "step must be a list"),
        (
            "title = 'x'\n[[step]]\nwhen = 'network'",
            "step 1: a step needs at least one of say, type, keys or host",
        ),
        (
            "title = 'x'\n[[step]]\nhost = 'ls'\ntype = 'ls'",
            "step 1: a host step runs on the host: it has no type",
        ),
        ("title = 'x'\nmachine = [1]\n[[step]]\ntype = 'ls'", "machine must be a list of strings"),
        (
            "title = 'x'\n[[step]]\ntype = 'ls'\nuntil = 'done'",
            "until = 'done': expected one of prompt, input",
        ),
        (
            "title = 'x'\n[[step]]\ntype = 'ls'\nwhen = 'net'",
            "when = 'net': expected one of network, no-network",
        ),
        ("title = 'x'\n[[step]]\ntype = 'ls'\nexpect = '('", "expect = '(' is not a regular expression"),
        ("title = 'x'\n[[step]]\nkeys = ['ctrl-c', 'hyper-x']", "step 1: unknown key 'hyper-x'"),
        ("title = 'x'\n[[step]]\nkeys = 'ctrl-c'", "keys must be a list"),
        ("title = 'x'\n[[step]]\ntype = 'ls'\npause = true", "pause must be a number, not True"),
        ("title = 'x'\n[[step]]\ntype = 'ls'\ntimeout = -1", "timeout must not be negative"),
        ("title = 'x'\ncolour = 'red'\n[[step]]\ntype = 'ls'", "unknown key 'colour'"),
    ],
)
def test_lesson_checks(text, message):
    with pytest.raises(LessonError) as e:
        parse(text, "l.toml", "l")
    assert message in str(e.value)
    assert str(e.value).startswith("l.toml: ")


def test_keys_become_bytes():
    lesson = parse("title = 'x'\n[[step]]\nkeys = ['ctrl-c', 'Ctrl-D', 'tab', 'up', 'enter']", "l.toml", "l")
    assert lesson.steps[0].keys == ("\x03", "\x04", "\t", "\x1b[A", "\r")
    assert lesson.steps[0].label() == "step 1 (ctrl-c Ctrl-D tab up enter)"


def test_every_shipped_lesson_loads():
    for name in shipped():
        lesson = find(name)
        assert lesson.steps and lesson.title
        assert lesson.steps[-1].until == "exit", f"{name} should end by powering off"


def test_plain_text_drops_control_sequences_even_when_a_write_cuts_one_in_two():
    import io

    from jsksh.client.demo import PlainText

    out = io.StringIO()
    w = PlainText(out)
    for piece in ("\x1b[1;3", "2mhello\x1b[0m\r\n", "\x1b]0;title\x07wor", "ld\x1b", "[2K\rdone\r\n"):
        w.write(piece)
    assert out.getvalue() == "hello\nworlddone\n"


def test_a_lesson_with_machine_options_and_a_host_step_plays(tmp_path):
    # {tmp} and {port} are the player's: the machine forwards the port to the
    # guest's httpd, and the host step fetches through it.
    lesson = tmp_path / "host.toml"
    lesson.write_text(
        'title = "Both sides"\n'
        'machine = ["--hostfwd", "tcp:127.0.0.1:{port}-:80", "--pcap", "{tmp}/net.pcap"]\n'
        '[[step]]\ntype = "httpd /etc &"\n'
        '[[step]]\nsay = "The host asks."\nhost = "curl -s --retry 5 --retry-connrefused http://127.0.0.1:{port}/hostname; test -s {tmp}/net.pcap"\n'
        'expect = "jsksh"\n'
        # httpd logs the request once it has answered it: a log line that came
        # while the next line was being typed would be taken for its echo
        # (the player skips to the first line break after Enter), so the
        # lesson waits for the whole log line, its line break included.
        "[[step]]\nsay = 'httpd logged it.'\nexpect = 'GET /hostname[^\\n]*\\n'\n"
        "[[step]]\ntype = 'echo back at the prompt'\nexpect = 'back at the prompt'\n"
    )
    result = demo(str(lesson), "--fast", timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(
        r"^host\$ curl -s .*http://127\.0\.0\.1:\{port\}/hostname.*\njsksh\n", result.stdout, re.M
    )
    assert "\nback at the prompt\n" in result.stdout


def test_a_failing_host_step_ends_the_demo(tmp_path):
    lesson = tmp_path / "bad.toml"
    lesson.write_text('title = "x"\n[[step]]\nhost = "exit 3"\n')
    result = demo(str(lesson), "--fast", timeout=60)
    assert result.returncode == 1
    assert result.stderr == "jsksh demo: step 1 (exit 3): the host command exited with status 3\n"
