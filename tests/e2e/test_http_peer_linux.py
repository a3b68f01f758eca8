"""End-to-end HTTP/1.1: the guest's httpd and curl against Linux's, over a TAP device in a namespace.

As test_tcp_peer_linux.py: the namespace has a TAP with 10.9.0.1/24 and the
machine runs inside it with 10.9.0.2.  The host's real curl (and wget)
fetch from the guest's `httpd`; the guest's `curl` fetches from Python's
http.server in the namespace.  Bodies are compared byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time

import pytest

from tests.e2e.netns import booted, netns, require, which

LINUX_IP, GUEST_IP = "10.9.0.1", "10.9.0.2"
STATIC = f"ip={GUEST_IP}::{LINUX_IP}:255.255.255.0:::off:{LINUX_IP}"
MIB = 1024 * 1024
PORT = 8080


class Peer:
    def __init__(self, ns, machine):
        self.ns, self.machine = ns, machine
        self.httpd = None

    def host(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """A command in the namespace (Linux's side), its output as bytes."""
        return subprocess.run(self.ns.argv(*argv), capture_output=True, timeout=timeout)


def start_httpd(peer: Peer) -> str:
    """httpd -p 8080 /tmp/www in the background on the guest, its log in /tmp/access.log.

    The control port takes one client at a time, so httpd cannot hold a run
    open while the tests run others: it is a background job, which outlives
    the shell that started it. Returns its pid once it answers."""
    status, out, err = peer.machine.run(f"httpd -p {PORT} /tmp/www > /tmp/access.log 2> /tmp/httpd.err & echo $!")
    assert status == 0, out + err
    deadline = time.monotonic() + 20
    while peer.host("curl", "-s", "-o", "/dev/null", f"http://{GUEST_IP}:{PORT}/").returncode != 0:
        assert time.monotonic() < deadline, f"httpd did not answer: {peer.machine.run('cat /tmp/httpd.err')}"
        time.sleep(0.1)
    return out.split()[-1]


@pytest.fixture(scope="module")
def peer():
    require("curl")
    with netns("jsksh-http") as ns:
        tap = ns.add_tap(f"{LINUX_IP}/24")
        with booted("--net", f"tap:{tap}", "--cmdline", STATIC, ns=ns) as m:
            p = Peer(ns, m)
            status, out, err = m.run(
                "mkdir /tmp/www /tmp/www/docs /tmp/www/empty && echo '<h1>hello</h1>' > /tmp/www/index.html"
                " && echo 'plain text' > /tmp/www/docs/note.txt && echo '{\"a\": 1}' > /tmp/www/docs/data.json"
                f" && head -c {MIB} /dev/urandom > /tmp/www/docs/blob.bin && sha256sum /tmp/www/docs/blob.bin"
            )
            assert status == 0, out + err
            p.blob_sha = out.split()[0]
            p.httpd = start_httpd(p)
            yield p
            m.run(f"kill {p.httpd}")


def url(path: str) -> str:
    return f"http://{GUEST_IP}:{PORT}{path}"


# -- Linux's clients against the guest's httpd --------------------------------------------


def test_curl_gets_the_index(peer):
    r = peer.host("curl", "-sS", "-D", "-", url("/"))
    assert r.returncode == 0, r.stderr
    head, body = r.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Type: text/html; charset=utf-8\r\n" in head
    assert body == b"<h1>hello</h1>\n"


def test_a_directory_without_index_is_listed_and_its_links_work(peer):
    r = peer.host("curl", "-sS", url("/docs/"))
    assert r.returncode == 0, r.stderr
    page = r.stdout.decode()
    assert "<title>Index of /docs/</title>" in page
    for name in ("blob.bin", "data.json", "note.txt"):
        assert f'<a href="{name}">{name}</a>' in page
    assert '<a href="../">../</a>' in page
    r = peer.host("curl", "-sS", "-w", "%{http_code} %{content_type}", url("/docs/data.json"))
    assert r.stdout == b'{"a": 1}\n200 application/json'


def test_a_directory_without_its_slash_is_redirected(peer):
    r = peer.host("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", url("/docs"))
    assert r.stdout.decode() == f"301 {url('/docs/')}"


def test_1_mib_byte_exact(peer):
    r = peer.host("curl", "-sS", url("/docs/blob.bin"))
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == MIB
    assert hashlib.sha256(r.stdout).hexdigest() == peer.blob_sha


def test_wget_fetches_the_same_file(peer):
    if which("wget") is None:
        pytest.skip("needs wget")
    r = peer.host("wget", "-q", "-O", "-", url("/docs/blob.bin"))
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(r.stdout).hexdigest() == peer.blob_sha


def test_head_has_the_headers_and_no_body(peer):
    r = peer.host("curl", "-sS", "-I", url("/docs/blob.bin"))
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert text.startswith("HTTP/1.1 200 OK\r\n")
    assert f"\r\nContent-Length: {MIB}\r\n" in text
    assert "\r\nContent-Type: application/octet-stream\r\n" in text
    assert "\r\nAccept-Ranges: bytes\r\n" in text
    assert text.endswith("\r\n\r\n")


def test_a_range_is_206_with_exactly_those_bytes(peer):
    whole = peer.host("curl", "-sS", url("/docs/blob.bin")).stdout
    r = peer.host("curl", "-sS", "-D", "-", "-r", "1000-1999", url("/docs/blob.bin"))
    head, body = r.stdout.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 206 Partial Content")
    assert f"Content-Range: bytes 1000-1999/{MIB}".encode() in head
    assert body == whole[1000:2000]
    r = peer.host("curl", "-sS", "-r", "-10", url("/docs/blob.bin"))
    assert r.stdout == whole[-10:]
    r = peer.host("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-r", f"{MIB}-", url("/docs/blob.bin"))
    assert r.stdout == b"416"


def test_errors_404_403_405(peer):
    def code(*args):
        return peer.host("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", *args).stdout.decode()

    assert code(url("/no/such/file")) == "404"
    assert code("--path-as-is", url("/docs/../../etc/hosts")) == "403"
    assert code("-X", "DELETE", url("/docs/note.txt")) == "405"
    r = peer.host("curl", "-sS", "-D", "-", "-o", "/dev/null", "-X", "POST", "-d", "x", url("/"))
    assert b"\r\nAllow: GET, HEAD\r\n" in r.stdout


def test_keep_alive_several_requests_on_one_connection(peer):
    urls = [url("/"), url("/docs/note.txt"), url("/docs/data.json"), url("/")]
    r = peer.host("curl", "-sS", "-v", *urls)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"<h1>hello</h1>\nplain text\n" + b'{"a": 1}\n' + b"<h1>hello</h1>\n"
    log = r.stderr.decode()
    assert log.count("Connected to") == 1, log
    assert len(re.findall(r"Re-using existing connection|Reusing existing", log)) == 3, log


def test_pipelined_requests_are_answered_in_order(peer):
    import socket

    s = peer.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    with s:
        s.connect((GUEST_IP, PORT))
        req = "GET {} HTTP/1.1\r\nHost: g\r\n\r\n"
        s.sendall((req.format("/docs/note.txt") + req.format("/nope") + req.format("/") + "GET / HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    statuses = re.findall(rb"HTTP/1.1 (\d{3})", data)
    assert statuses == [b"200", b"404", b"200", b"200"], data


def test_the_log_has_a_common_log_format_line_per_request(peer):
    peer.host("curl", "-sS", "-o", "/dev/null", url("/docs/note.txt?x=1"))
    status, out, _ = peer.machine.run("cat /tmp/access.log")
    assert re.search(
        rf'^{LINUX_IP} - - \[\d\d/\w{{3}}/\d{{4}}:\d\d:\d\d:\d\d \+0000\] "GET /docs/note.txt\?x=1 HTTP/1.1" 200 11$', out, re.M
    ), out
    assert re.search(r'"GET /no/such/file HTTP/1.1" 404 \d+$', out, re.M), out


def test_ab_200_requests_4_at_a_time_without_failures(peer):
    if which("ab") is None:
        pytest.skip("needs ab (apache2-utils), not installed here")
    r = peer.host("ab", "-k", "-n", "200", "-c", "4", url("/docs/note.txt"), timeout=120)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert re.search(r"^Complete requests:\s+200$", out, re.M), out
    assert re.search(r"^Failed requests:\s+0$", out, re.M), out
