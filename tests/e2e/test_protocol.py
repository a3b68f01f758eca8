"""The structured port's protocol, version 2 (docs/protocol.md), spoken over
a real machine's control socket with a plain JSON-lines client: the session,
input requests, guest-side completion and is-complete, rows, resize, replay
on re-attach, kernel log lines, and malformed input that leaves the port usable.
"""

from __future__ import annotations

import socket

import pytest

from tests.e2e.machine import PortClient


class Client(PortClient):
    """One connection to the port, with ids for its runs and questions."""

    def __init__(self, path: str, hello: dict | None = None):
        self.next_id = 0
        super().__init__(path, hello)

    def run(self, line: str) -> tuple[int, str, str, list]:
        self.next_id += 1
        rid = f"r{self.next_id}"
        self.send(t="run", id=rid, line=line)
        end = self.until("exit", id=rid)
        out = "".join(m["data"] for m in self.seen if m["t"] == "stdout" and m["id"] == rid)
        err = "".join(m["data"] for m in self.seen if m["t"] == "stderr" and m["id"] == rid)
        rows = [m for m in self.seen if m["t"] == "rows"]
        return end["status"], out, err, rows

    def ask(self, kind: str, **fields) -> dict:
        self.next_id += 1
        self.send(t=kind, id=self.next_id, **fields)
        return self.until(kind, id=self.next_id)

    def complete(self, line: str, **fields) -> list[str]:
        reply = self.ask("complete", line=line, cursor=len(line), **fields)
        return [item["text"] for item in reply["items"]]


V2 = {"version": 2, "rows": True, "terminal": True}


MACHINE_ARGS = ("--net", "none")  # for conftest.py's module machine


@pytest.fixture()
def client(machine):
    c = Client(machine.control_path, V2)
    yield c
    c.close()


def test_hello_names_the_versions_and_brings_the_motd(client):
    assert client.hello["version"] == 2
    assert client.hello["versions"] == [1, 2]
    assert "Welcome to jsksh" in client.hello["motd"]


def test_the_session_keeps_directory_and_variables_between_lines(client):
    status, _, _, _ = client.run("cd /tmp; greeting=hello")
    assert status == 0
    assert client.seen[-1]["cwd"] == "/tmp"
    status, out, _, _ = client.run("echo $greeting; pwd")
    assert (status, out) == (0, "hello\n/tmp\n")
    client.run("cd /")


def test_status_and_errors_of_a_run(client):
    status, _, err, _ = client.run("nosuchcommand")
    assert status == 127
    assert "nosuchcommand: command not found" in err
    assert client.run("false")[0] == 1


def test_tables_arrive_as_rows_to_a_client_that_asks(machine):
    for hello in (V2, None):  # None: a version 1 client, which sends no hello
        c = Client(machine.control_path, hello)
        try:
            status, out, _, rows = c.run("ps")
        finally:
            c.close()
        assert status == 0
        if hello:
            assert out == "" and rows[0]["columns"][0] == "PID"
            assert any(row[-1] == "ps" for row in rows[0]["rows"])
        else:
            assert rows == [] and out.splitlines()[0].split()[0] == "PID"


def test_a_second_client_is_told_the_port_is_busy(client, machine):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as other:
        other.connect(machine.control_path)
        other.settimeout(10)
        assert b"busy" in other.recv(200)
    assert client.run("echo first client")[:2] == (0, "first client\n")


def test_a_program_reading_input_asks_for_it(client):
    client.send(t="run", id="cat", line="cat")
    ask = client.until("input", id="cat")
    assert ask["prompt"] == "" and ask["answers"] is False
    client.send(t="stdin", id="cat", data="one line\n")
    assert client.until("stdout", id="cat")["data"] == "one line\n"
    client.send(t="stdin", id="cat", eof=True)
    assert client.until("exit", id="cat")["status"] == 0


def test_input_for_a_run_that_is_not_running_is_an_error(client):
    client.send(t="stdin", id="ghost", data="x\n")
    assert "not running" in client.until("error", id="ghost")["message"]


def test_the_eval_repl_prompts_completes_and_keeps_its_names(client):
    client.send(t="run", id="js", line="eval")
    ask = client.until("input", id="js")
    assert (ask["prompt"], ask["language"], ask["answers"]) == ("> ", "javascript", True)
    assert client.complete("Math.ma", run="js") == ["max"]
    incomplete = client.ask("is-complete", code="function twice(x) {", run="js")
    assert (incomplete["status"], incomplete["indent"]) == ("incomplete", "  ")
    assert client.ask("is-complete", code="1 +", run="js")["status"] == "incomplete"
    assert client.ask("is-complete", code="a b", run="js")["status"] == "invalid"
    client.send(t="stdin", id="js", data="function twice(x) {\n  return 2 * x\n}\nlet answer = twice(21)\n")
    client.until("input", id="js")
    assert "answer" in client.complete("ans", run="js")
    client.send(t="stdin", id="js", data="answer\n")
    assert "42" in client.until("stdout", id="js")["data"]
    client.send(t="stdin", id="js", eof=True)
    assert client.until("exit", id="js")["status"] == 0


def test_the_shell_completes_commands_paths_options_and_javascript(client):
    assert client.complete("ec") == ["echo"]
    assert client.complete("ls /e") == ["/etc/"]
    assert client.complete("cat /etc/ho") == ["/etc/hostname", "/etc/hosts"]
    reply = client.ask("complete", line="ls -", cursor=4)
    assert [(i["text"], i["kind"]) for i in reply["items"]] == [("-l", "option"), ("-a", "option")]
    assert reply["items"][0]["meta"].startswith("long listing")
    assert client.complete("eval Math.ma") == ["max"]
    assert client.complete("echo $HO") == ["$HOME"]
    middle = client.ask("complete", line="ls /e | wc", cursor=5)
    assert (middle["start"], middle["end"], [i["text"] for i in middle["items"]]) == (3, 5, ["/etc/"])


def test_is_complete_for_command_lines(client):
    assert client.ask("is-complete", code="echo 'open")["status"] == "incomplete"
    assert client.ask("is-complete", code="ls |")["status"] == "incomplete"
    assert client.ask("is-complete", code="echo hi")["status"] == "complete"
    assert client.ask("is-complete", code="echo )")["status"] == "invalid"


def test_an_interrupt_before_the_program_starts_still_stops_it(client):
    client.send(t="run", id="early", line="sleep 30")
    client.send(t="interrupt", id="early")
    assert client.until("exit", id="early")["status"] == 130


def test_a_question_about_a_run_nobody_answers_for_gets_an_empty_answer(client):
    assert client.complete("Math.", run="no-such-run") == []
    assert client.ask("is-complete", code="x {", run="no-such-run")["status"] == "complete"


def test_interrupt_stops_the_run_and_the_session_lives_on(client):
    # The kernel call flushes "spinning" out before the loop starts.
    client.send(t="run", id="spin", line="eval 'sys.print(\"spinning\"); sys.kernel.info(); while (true) {}'")
    client.until("stdout", id="spin")
    client.send(t="interrupt", id="spin")
    assert client.until("exit", id="spin")["status"] == 130
    assert client.run("echo alive")[:2] == (0, "alive\n")


def test_resize_reaches_the_programs_started_afterwards(client):
    client.send(t="resize", columns=30, rows=10)
    narrow = client.run("ls /bin")[1]
    client.send(t="resize", columns=200, rows=50)
    wide = client.run("ls /bin")[1]
    assert len(narrow.splitlines()) > len(wide.splitlines())
    assert max(len(line) for line in narrow.splitlines()) <= 30
    client.send(t="resize", columns=0, rows=10)
    assert "resize needs" in client.until("error")["message"]


def test_status_tells_the_toolbar_about_the_machine(client):
    reply = client.ask("status")
    assert reply["hostname"] == "jsksh"
    assert reply["isolates"] >= 1  # the session's shell (the console's starts when a terminal opens it)
    assert reply["address"] is None  # --net none
    assert reply["uptime"] > 0 and reply["running"] == []


def test_reattaching_replays_recent_output_and_runs_still_going(machine):
    first = Client(machine.control_path, V2)
    first.send(t="attach", replay=False)
    first.until("attached")
    marker = "replay-marker-7f3"
    assert first.run(f"echo {marker}")[1] == f"{marker}\n"
    first.send(t="run", id="long", line="sleep 2")
    first.close()  # detach with a run going

    second = Client(machine.control_path, V2)
    try:
        second.send(t="attach", replay=True)
        attached = second.until("attached")
        replayed = [m for m in second.seen if m.get("replay")]
        assert any(m["t"] == "stdout" and m["data"] == f"{marker}\n" for m in replayed)
        assert attached["replayed"] == len(replayed)
        assert attached["running"] == [{"id": "long", "line": "sleep 2"}]
        second.send(t="interrupt", id="long")
        assert second.until("exit", id="long")["status"] == 130
    finally:
        second.close()


def test_replay_after_a_large_output_is_its_recent_tail_as_text(machine):
    # 200,000 bytes of numbered lines: replay keeps the session's last 64 KiB,
    # so the last line comes back and the first does not.
    first = Client(machine.control_path, V2)
    status, out, _, _ = first.run(
        "eval 'for (let i = 1; i <= 30000; i++) sys.stdout.write(`line-${i}\\n`); 0'"
    )
    first.close()
    assert status == 0 and out.startswith("line-1\n") and "line-29999\nline-30000\n" in out
    second = Client(machine.control_path, V2)
    try:
        second.send(t="attach", replay=True)
        second.until("attached")
        text = "".join(m["data"] for m in second.seen if m.get("replay") and m["t"] == "stdout")
        assert "line-29999\nline-30000\n" in text
        assert not text.startswith("line-1\n") and "\nline-1\n" not in text
        assert 32 * 1024 < len(text) <= 64 * 1024
    finally:
        second.close()


def test_an_attached_client_sees_kernel_messages(client):
    client.send(t="attach", replay=False)
    client.until("attached")
    client.send(t="run", id="k", line="echo note-for-the-log > /dev/kmsg")
    log = client.until("log", text="note-for-the-log")
    assert log["level"] == "info" and log["time"] > 0


def test_exit_ends_the_session_and_the_next_run_starts_another(client):
    client.run("cd /tmp")
    client.send(t="run", id="bye", line="exit 3")
    assert client.until("session")["status"] == 3
    assert any(m["t"] == "exit" and m["id"] == "bye" and m["status"] == 3 for m in client.seen)
    assert client.run("pwd")[:2] == (0, "/tmp\n")  # a new shell, in the directory the last one left


@pytest.mark.parametrize(
    "garbage, expected",
    [
        (b"not json\n", "malformed message"),
        (b"[1, 2]\n", "a message is a JSON object"),
        (b'{"t": "teleport"}\n', "unknown message type: teleport"),
        (b'{"t": "run", "id": 1}\n', "run needs a line"),
        (b'{"t": "complete", "id": 1}\n', "complete needs a line"),
        (b'{"t": "is-complete", "id": 1, "code": 5}\n', "is-complete needs code"),
        (b"\xff\xfe{}\n", "malformed message"),
        (b"x" * (1 << 20 | 5) + b"\n", "longer than"),
    ],
)
def test_malformed_messages_get_an_error_and_the_port_stays_usable(client, garbage, expected):
    client.sock.sendall(garbage)
    assert expected in client.until("error")["message"]
    assert client.run("echo still here")[:2] == (0, "still here\n")
