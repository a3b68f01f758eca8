"""End-to-end HTTP over the default `--net user` backend: hostfwd in, the NAT out.

One machine with `--net user` and `--hostfwd tcp::PORT-:80`.  The host's real
curl and wget fetch from the guest's `httpd` through the forwarded port (the
backend's NAT in tcp_nat.py ends the host's connection and opens one to the
guest); the guest's `curl` fetches from Python's http.server on the host's
127.0.0.1, which the guest reaches as 10.0.2.2, as in slirp.  Nothing leaves
the host's loopback.  Bodies are compared by sha256.  The same exchanges over
a TAP device are in test_http_peer_linux.py.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pexpect
import pytest

from tests.e2e.machine import ENV, JSKSH
from tests.e2e.netns import booted, wait_for_address
from tests.e2e.sockets import serve_directory
from tests.e2e.test_net_user_tcp import free_port

MIB = 1024 * 1024
FWD = free_port()  # the host's port forwarded to the guest's 80


def host(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, timeout=timeout)


def url(path: str) -> str:
    return f"http://127.0.0.1:{FWD}{path}"


@pytest.fixture(scope="module")
def machine():
    if shutil.which("curl") is None:
        pytest.skip("needs curl on the host")
    with booted("--net", "user", "--dns", "127.0.0.1:9", "--hostfwd", f"tcp::{FWD}-:80") as m:
        wait_for_address(m)
        status, out, err = m.run(
            "mkdir /tmp/www /tmp/www/docs && echo '<h1>hello</h1>' > /tmp/www/index.html"
            " && echo 'plain text' > /tmp/www/docs/note.txt"
            f" && head -c {MIB} /dev/urandom > /tmp/www/docs/blob.bin && sha256sum /tmp/www/docs/blob.bin"
        )
        assert status == 0, out + err
        m.blob_sha = out.split()[0]
        # A background job outlives the control port's run (see test_http_peer_linux.start_httpd).
        status, out, err = m.run("httpd /tmp/www > /tmp/access.log 2> /tmp/httpd.err & echo $!")
        assert status == 0, out + err
        pid = out.split()[-1]
        # The backend accepts on the host port at once; until httpd listens, the guest's RST
        # reaches curl as a reset or an empty reply.
        deadline = time.monotonic() + 20
        while host("curl", "-s", "-o", "/dev/null", "--max-time", "5", url("/")).returncode != 0:
            assert time.monotonic() < deadline, f"httpd did not answer: {m.run('cat /tmp/httpd.err')}"
            time.sleep(0.1)
        yield m
        m.run(f"kill {pid}")


# -- the host's clients through hostfwd to the guest's httpd ------------------------------------


def test_host_curl_gets_the_index(machine):
    r = host("curl", "-sS", "-D", "-", url("/"))
    assert r.returncode == 0, r.stderr
    head, body = r.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Type: text/html; charset=utf-8\r\n" in head
    assert body == b"<h1>hello</h1>\n"


def test_host_curl_1_mib_byte_exact(machine):
    r = host("curl", "-sS", url("/docs/blob.bin"))
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == MIB
    assert hashlib.sha256(r.stdout).hexdigest() == machine.blob_sha


def test_host_wget_1_mib_byte_exact(machine):
    if shutil.which("wget") is None:
        pytest.skip("needs wget")
    r = host("wget", "-q", "-O", "-", url("/docs/blob.bin"))
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(r.stdout).hexdigest() == machine.blob_sha


def test_host_curl_head_and_404(machine):
    r = host("curl", "-sS", "-I", url("/docs/blob.bin"))
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert text.startswith("HTTP/1.1 200 OK\r\n")
    assert f"\r\nContent-Length: {MIB}\r\n" in text
    assert text.endswith("\r\n\r\n")
    r = host("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url("/no/such/file"))
    assert r.stdout == b"404"


def test_host_curl_keeps_one_connection_across_urls(machine):
    urls = [url("/"), url("/docs/note.txt"), url("/docs/blob.bin"), url("/")]
    r = host("curl", "-sS", "-v", *urls)
    assert r.returncode == 0, r.stderr
    blob = host("curl", "-sS", url("/docs/blob.bin")).stdout
    assert r.stdout == b"<h1>hello</h1>\nplain text\n" + blob + b"<h1>hello</h1>\n"
    log = r.stderr.decode()
    assert log.count("Connected to") == 1, log
    assert len(re.findall(r"Re-using existing connection|Reusing existing", log)) == 3, log


def test_the_log_sees_the_host_as_the_nats_gateway(machine):
    host("curl", "-sS", "-o", "/dev/null", url("/docs/note.txt"))
    _, out, _ = machine.run("cat /tmp/access.log")
    # A forwarded connection comes from the backend's side of the NAT, 10.0.2.2.
    assert re.search(r'^10\.0\.2\.2 - - \[.*\] "GET /docs/note.txt HTTP/1.1" 200 11$', out, re.M), out


# -- the guest's curl through the NAT to a server on the host's loopback ---------------------


@pytest.fixture(scope="module")
def web(machine, tmp_path_factory):
    """Python's http.server on 127.0.0.1, serving a directory with a 1 MiB file (and echoing POST)."""
    directory = tmp_path_factory.mktemp("www")
    blob = os.urandom(MIB)
    (directory / "blob.bin").write_bytes(blob)
    (directory / "hello.txt").write_text("hello from the host\n")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = serve_directory(sock, str(directory))
    server.blob = blob
    server.base = f"http://10.0.2.2:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_guest_curl_gets_bodies_byte_exact(machine, web):
    status, out, err = machine.run(f"curl -s {web.base}/hello.txt")
    assert (status, out, err) == (0, "hello from the host\n", "")
    status, out, err = machine.run(f"curl -s {web.base}/blob.bin | sha256sum", timeout=60)
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(web.blob).hexdigest()
    status, out, err = machine.run(f"curl -s -o /tmp/got.bin {web.base}/blob.bin && sha256sum /tmp/got.bin")
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(web.blob).hexdigest()


def test_guest_curl_head(machine, web):
    status, out, err = machine.run(f"curl -sI {web.base}/blob.bin")
    assert status == 0, err
    assert re.match(r"HTTP/1\.[01] 200 OK\r\n", out), out
    assert f"\r\nContent-Length: {MIB}\r\n" in out
    assert out.endswith("\r\n\r\n") and len(out) < 1000, "headers only"


def test_guest_curl_posts(machine, web):
    status, out, err = machine.run(f"curl -s -d 'a=1' -d 'b=2' -H 'X-Test: yes' {web.base}/form")
    assert (status, err) == (0, "")
    assert out == "POST /form application/x-www-form-urlencoded yes\na=1&b=2"


def test_guest_curl_to_a_closed_host_port_is_7(machine):
    port = free_port()
    status, out, err = machine.run(f"curl http://10.0.2.2:{port}/")
    assert status == 7
    assert err == f"curl: (7) Failed to connect to 10.0.2.2 port {port}: Connection refused\n"


# -- the README's line ------------------------------------------------------------------------


def test_the_readme_hostfwd_line_works_as_typed():
    """README, "Scripting and attaching": `jsksh --hostfwd tcp::8080-:80`, then `httpd /etc &`
    at its prompt and `curl http://127.0.0.1:8080/hostname` on the host.  Typed as the line
    says, on another free port (8080 may be taken here)."""
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    line = re.search(
        r"^jsksh (--hostfwd tcp::8080-:80) +# then `(httpd [^`]*)` at its prompt.*`curl ([^`]*)`",
        readme,
        re.M,
    )
    assert line, "the README's hostfwd line changed: change this test with it"
    option, guest, curl_url = line.groups()
    port = free_port()
    child = pexpect.spawn(
        JSKSH[0],
        [*JSKSH[1:], "--simple-prompt", *option.replace("8080", str(port)).split()],
        env=ENV,
        timeout=20,
        encoding="utf-8",
    )
    try:
        child.expect(r"\$ ")
        child.sendline(guest)
        child.expect("httpd: serving /etc on port 80")
        r = host("curl", "-sS", "--max-time", "10", curl_url.replace("8080", str(port)))
        assert (r.returncode, r.stdout) == (0, b"jsksh\n"), r.stderr
        child.expect(r'10\.0\.2\.2 - - \[.*\] "GET /hostname HTTP/1.1" 200 6')
        child.sendline("poweroff")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
