"""`jsksh fleet`: machines behind HAProxy (and nginx), started, loaded, killed and stopped.

Each fleet here is real: `jsksh fleet up` in a subprocess starts `jsksh
boot` processes serving the guest's / with httpd (--service httpd) and
Debian's haproxy or nginx in front, all on 127.0.0.1.  What is checked:
the balancer reaches every machine (HAProxy's X-Served-By header names
it), killing one under load costs at most the requests in flight on it,
`deploy` reports each machine's answer, bad input is refused with status 2
and nothing left running, and `down` leaves no process behind.
"""

from __future__ import annotations

import http.client
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from jsksh.fleet import deploy, processes, state
from jsksh.fleet.state import MachineRecord
from tests.e2e.machine import ENV, JSKSH


def need(program: str, package: str) -> None:
    """Install `package` if `program` is missing and we may (root, apt-get);
    skip only if it still is (.ci/run installs both)."""
    sbin = "/usr/sbin:/sbin"
    if shutil.which(program) or shutil.which(program, path=sbin):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True, timeout=600)
    if not (shutil.which(program) or shutil.which(program, path=sbin)):
        pytest.skip(f"{program} is not installed and could not be (apt-get install {package})")


def fleet(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*JSKSH, "fleet", *argv], capture_output=True, text=True, timeout=timeout, env=ENV)


class Fleet:
    """A fleet in a directory of its own, on a free port; down (and every pid
    it named killed) when the test ends, however it ends."""

    def __init__(self, directory: str, n: int = 2, balancer: str = "haproxy", service: str = "httpd"):
        self.dir = directory
        self.port = processes.free_ports(1)[0]
        self.up = fleet(
            "up", "-n", str(n), "--service", service, "--balancer", balancer, "--dir", directory,
            "--port", str(self.port),
        )  # fmt: skip
        assert self.up.returncode == 0, f"fleet up failed:\n{self.up.stdout}\n{self.up.stderr}"
        self.state = state.load(directory)
        self.pids = [m.pid for m in self.state.machines] + [self.state.balancer.pid]

    def get(self, path: str = "/etc/hostname") -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            return r.status, r.getheader("X-Served-By", "")
        finally:
            conn.close()

    def logs(self) -> str:
        paths = [m.log for m in self.state.machines] + [self.state.balancer.log]
        return "\n".join(f"--- {p}\n{processes.log_tail(p, 30)}" for p in paths)

    def close(self) -> None:
        fleet("down", "--dir", self.dir)
        for pid in self.pids:  # whatever down missed
            if alive(pid):
                processes.signal_process(pid, 9)


def alive(pid: int) -> bool:
    """Running, and not a zombie (fleet processes belong to no waiting parent)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


@pytest.fixture()
def haproxy_fleet(tmp_path):
    need("haproxy", "haproxy")
    f = Fleet(str(tmp_path / "fleet"))
    yield f
    f.close()


@pytest.fixture()
def invoker_fleet(tmp_path):
    need("haproxy", "haproxy")
    f = Fleet(str(tmp_path / "fleet"), service="invoker")
    yield f
    f.close()


def test_a_worker_deployed_to_the_fleet_answers_from_every_machine_and_survives_a_kill(
    invoker_fleet, tmp_path
):
    f = invoker_fleet
    code = tmp_path / "hello.js"
    code.write_text("export default { fetch() { return new Response('hi from a worker'); } };\n")
    r = fleet("deploy", "hello", str(code), "--dir", f.dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deployed to 2 of 2 machines" in r.stdout, r.stdout
    answers = [f.get("/hello/") for _ in range(8)]
    assert {status for status, _ in answers} == {200}, answers
    assert sorted({who for _, who in answers}) == ["m1", "m2"], answers
    assert fleet("kill", "1", "--dir", f.dir).returncode == 0
    answers = [f.get("/hello/") for _ in range(8)]
    assert {status for status, _ in answers} == {200}, answers  # a GET retried on m2 if m1 was picked
    assert {who for _, who in answers} == {"m2"}, answers


def test_the_balancer_reaches_every_machine(haproxy_fleet):
    f = haproxy_fleet
    answers = [f.get() for _ in range(12)]
    assert {status for status, _ in answers} == {200}
    # Round robin: each machine served half, and said so in X-Served-By.
    assert sorted({who for _, who in answers}) == ["m1", "m2"], answers
    assert "http://127.0.0.1:" in f.up.stdout and "m2" in f.up.stdout  # the table and the URL
    s = fleet("status", "--dir", f.dir)
    assert s.returncode == 0, s.stdout + s.stderr
    assert s.stdout.count("running") == 3 and s.stdout.count("UP") == 2, s.stdout


def test_a_second_up_in_the_same_dir_is_refused(haproxy_fleet):
    r = fleet("up", "-n", "1", "--dir", haproxy_fleet.dir, "--port", str(processes.free_ports(1)[0]))
    assert r.returncode == 2 and "already up" in r.stderr, r.stderr
    assert fleet("status", "--dir", haproxy_fleet.dir).returncode == 0  # the first is untouched


def test_deploy_reports_each_machines_answer(haproxy_fleet, tmp_path):
    # httpd takes no PUT: every machine says 405, and deploy fails, naming each.
    code = tmp_path / "hello.js"
    code.write_text("export default { fetch() { return new Response('hi'); } };\n")
    r = fleet("deploy", "hello", str(code), "--dir", haproxy_fleet.dir)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.count("FAILED  HTTP 405") == 2, r.stdout
    assert "deployed to 0 of 2 machines" in r.stdout
    assert "deploy failed on 2 of 2 machines" in r.stderr


def test_deploy_puts_to_every_machine_in_parallel():
    """deploy.deploy against plain HTTP servers: who got what, and a machine that does not answer."""
    got = []

    class Worker(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            got.append(
                (self.server.server_port, self.path, self.rfile.read(int(self.headers["Content-Length"])))
            )
            body = b'{"name": "hello", "created": true}'
            self.send_response(201)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Worker) for _ in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    try:
        closed = processes.free_ports(1)[0]
        ports = [s.server_port for s in servers] + [closed]
        records = [MachineRecord(f"m{i}", 0, port, "", "", "") for i, port in enumerate(ports, 1)]
        outcomes = deploy.deploy(records, "hello", b"code", timeout=5)
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
    assert [o.status for o in outcomes] == [201, 201, None]
    assert [o.ok for o in outcomes] == [True, True, False]
    assert '"created": true' in outcomes[0].detail and f"127.0.0.1:{closed}" in outcomes[2].detail
    assert sorted(got) == sorted((s.server_port, "/workers/hello", b"code") for s in servers)


def load(port: int, clients: int, stop: threading.Event, results: list) -> list[threading.Thread]:
    """`clients` threads each sending GET after GET on a kept-alive connection
    until `stop`; each outcome (time, ok, served by) appended to results."""

    def client():
        conn = None
        while not stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/etc/hostname")
                r = conn.getresponse()
                r.read()
                results.append((time.monotonic(), r.status == 200, r.getheader("X-Served-By", "")))
            except (OSError, http.client.HTTPException):
                results.append((time.monotonic(), False, ""))
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    return threads


def test_killing_a_machine_under_load_costs_only_requests_in_flight(haproxy_fleet):
    f, clients = haproxy_fleet, 8
    stop, results = threading.Event(), []
    threads = load(f.port, clients, stop, results)
    time.sleep(1.5)
    killed_at = time.monotonic()
    k = fleet("kill", "1", "--dir", f.dir)
    assert k.returncode == 0, k.stderr
    time.sleep(2.5)
    stop.set()
    for t in threads:
        t.join(15)
    failed = [r for r in results if not r[1]]
    before = [r for r in results if r[0] < killed_at]
    after = [r for r in results if r[0] > killed_at + 1.0]  # once HAProxy has taken m1 out
    context = f"{len(failed)} of {len(results)} failed\n{f.logs()}"
    assert {who for _, ok, who in before if ok} == {"m1", "m2"}, context
    # At most the requests that were in flight on m1 (one per client, and
    # HAProxy replays a GET whose machine died under it, so usually none).
    assert len(failed) <= clients, context
    assert len(after) > 50 and all(ok and who == "m2" for _, ok, who in after), context
    s = fleet("status", "--dir", f.dir)
    assert s.returncode == 1  # not all up
    m1 = next(line for line in s.stdout.splitlines() if line.startswith("m1 "))
    assert "dead" in m1 and "DOWN" in m1, s.stdout


def test_down_leaves_no_process_and_no_directory(haproxy_fleet):
    f = haproxy_fleet
    assert all(alive(pid) for pid in f.pids)
    r = fleet("down", "--dir", f.dir)
    assert r.returncode == 0, r.stderr
    assert not any(alive(pid) for pid in f.pids)
    assert not os.path.exists(f.dir)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", f.port), timeout=1).close()
    r = fleet("status", "--dir", f.dir)
    assert r.returncode == 2 and "no fleet" in r.stderr


@pytest.mark.parametrize(
    "argv, says",
    [
        (["-n", "0"], "1 to 16 machines"),
        (["-n", "17"], "1 to 16 machines"),
        (["--port", "70000"], "not a TCP port"),
        (["--net", "none"], "user backend"),
        (["--hostfwd", "tcp::9999-:80"], "forwards a port of its own"),
    ],
)
def test_bad_input_is_refused_and_starts_nothing(tmp_path, argv, says):
    need("haproxy", "haproxy")
    directory = str(tmp_path / "fleet")
    r = fleet("up", "--dir", directory, "--port", str(processes.free_ports(1)[0]), *argv)
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr
    assert not os.path.exists(directory)


def test_a_port_in_use_is_refused(tmp_path):
    need("haproxy", "haproxy")
    directory = str(tmp_path / "fleet")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = fleet("up", "-n", "1", "--dir", directory, "--port", str(port))
    assert r.returncode == 2 and f"127.0.0.1:{port} is in use" in r.stderr, r.stderr
    assert not os.path.exists(directory)


def test_a_missing_balancer_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from jsksh import cli
    from jsksh.fleet import balancer

    monkeypatch.setattr(balancer.shutil, "which", lambda *a, **k: None)
    status = cli.main(["fleet", "up", "-n", "1", "--dir", str(tmp_path / "fleet")])
    assert status == 2
    assert "apt-get install haproxy" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "fleet")


def test_nginx_reaches_every_machine_and_stops(tmp_path):
    need("nginx", "nginx-light")
    f = Fleet(str(tmp_path / "fleet"), balancer="nginx")
    try:
        answers = [f.get() for _ in range(8)]
        assert {status for status, _ in answers} == {200}
        # nginx names the machine by its address: each machine's hostfwd port.
        assert {who for _, who in answers} == {f"127.0.0.1:{m.port}" for m in f.state.machines}, answers
        assert fleet("down", "--dir", f.dir).returncode == 0
        assert not any(alive(pid) for pid in f.pids)
    finally:
        f.close()
