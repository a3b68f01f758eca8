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
import socket
import subprocess
import time

import pytest

from tests.e2e.netns import booted, netns, require, which
from tests.e2e.sockets import serve_directory

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
    status, out, err = peer.machine.run(
        f"httpd -p {PORT} /tmp/www > /tmp/access.log 2> /tmp/httpd.err & echo $!"
    )
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
    r = peer.host(
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-r", f"{MIB}-", url("/docs/blob.bin")
    )
    assert r.stdout == b"416"


def test_errors_404_403_405(peer):
    def code(*args):
        return peer.host("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", *args).stdout.decode()

    assert code(url("/no/such/file")) == "404"
    assert code("--path-as-is", url("/docs/../../etc/hosts")) == "403"
    assert code("-X", "DELETE", url("/docs/note.txt")) == "405"
    r = peer.host("curl", "-sS", "-D", "-", "-o", "/dev/null", "-X", "POST", "-d", "x", url("/"))
    assert b"\r\nAllow: GET, HEAD\r\n" in r.stdout


def test_a_changed_file_is_served_new(peer):
    # httpd keeps small files in memory (/lib/http/file-cache). With --cache-valid=0 it
    # checks each one with a stat on every request, so a change is served at once: a new
    # size, the same size with a later mtime, another file renamed over it (a new inode),
    # and its removal (404). (The default, 1000 ms of trust, is tests/js/test_http_file_cache.js's.)
    status, out, err = peer.machine.run("echo one > /tmp/www/changing.txt")
    assert status == 0, out + err
    status, out, err = peer.machine.run(
        "httpd -q -p 8082 --cache-valid=0 /tmp/www > /dev/null 2> /tmp/httpd2.err & echo $!"
    )
    assert status == 0, out + err
    pid = out.split()[-1]
    where = f"http://{GUEST_IP}:8082/changing.txt"
    try:
        deadline = time.monotonic() + 20
        while peer.host("curl", "-s", "-o", "/dev/null", where).returncode != 0:
            assert time.monotonic() < deadline, peer.machine.run("cat /tmp/httpd2.err")
            time.sleep(0.1)

        def get() -> tuple[int, bytes]:
            r = peer.host("curl", "-sS", "-w", "%{http_code}", where)
            assert r.returncode == 0, r.stderr
            return int(r.stdout[-3:]), r.stdout[:-3]

        assert get() == (200, b"one\n")
        assert get() == (200, b"one\n")  # the second from memory
        for change, body in (
            ("echo three > /tmp/www/changing.txt", b"three\n"),  # another size
            ("echo THREE > /tmp/www/changing.txt", b"THREE\n"),  # the same size, a later mtime
            (
                "echo other > /tmp/other.txt && mv /tmp/other.txt /tmp/www/changing.txt",
                b"other\n",
            ),  # another inode
        ):
            status, out, err = peer.machine.run(change)
            assert status == 0, out + err
            assert get() == (200, body), change
        peer.machine.run("rm /tmp/www/changing.txt")
        assert get()[0] == 404
    finally:
        peer.machine.run(f"kill {pid}")


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
        s.sendall(
            (
                req.format("/docs/note.txt")
                + req.format("/nope")
                + req.format("/")
                + "GET / HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    statuses = re.findall(rb"HTTP/1.1 (\d{3})", data)
    assert statuses == [b"200", b"404", b"200", b"200"], data


def test_the_log_has_a_common_log_format_line_per_request(peer):
    peer.host("curl", "-sS", "-o", "/dev/null", url("/docs/note.txt?x=1"))
    status, out, _ = peer.machine.run("cat /tmp/access.log")
    assert re.search(
        rf'^{LINUX_IP} - - \[\d\d/\w{{3}}/\d{{4}}:\d\d:\d\d:\d\d \+0000\] "GET /docs/note.txt\?x=1 HTTP/1.1" 200 11$',
        out,
        re.M,
    ), out
    assert re.search(r'"GET /no/such/file HTTP/1.1" 404 \d+$', out, re.M), out


def test_ab_keep_alive_10000_requests_10_at_a_time_without_failures(peer):
    # The figure: ab -k -n 10000 -c 10, 0 failed. ab speaks HTTP/1.0 and keeps a
    # connection only when the answer says Keep-Alive and has a Content-Length. About 5 s.
    if which("ab") is None:
        pytest.skip("needs ab (apache2-utils)")
    r = peer.host("ab", "-k", "-n", "10000", "-c", "10", url("/docs/note.txt"), timeout=120)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert re.search(r"^Complete requests:\s+10000$", out, re.M), out
    assert re.search(r"^Failed requests:\s+0$", out, re.M), out
    assert re.search(r"^Non-2xx responses:", out, re.M) is None, out
    # Nearly every request rode a kept-alive connection (10 connections; a few more if one was closed).
    kept = int(re.search(r"^Keep-Alive requests:\s+(\d+)$", out, re.M).group(1))
    assert kept >= 9900, out


def test_ab_new_connection_per_request_without_failures(peer):
    if which("ab") is None:
        pytest.skip("needs ab (apache2-utils)")
    r = peer.host("ab", "-n", "500", "-c", "10", url("/docs/note.txt"), timeout=120)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert re.search(r"^Complete requests:\s+500$", out, re.M), out
    assert re.search(r"^Failed requests:\s+0$", out, re.M), out


def test_more_connections_than_an_app_may_hold_pipes_one_after_another(peer):
    # Each connection is two pipes; an app may hold 4,096 (jsksh/native/pipes.py,
    # MAX_HELD). 5,000 connections, each closed after its answer, must all be
    # served: a connection's pipes go when it does, whichever way it ends.
    if which("ab") is None:
        pytest.skip("needs ab (apache2-utils)")
    r = peer.host("ab", "-n", "5000", "-c", "20", url("/docs/note.txt"), timeout=240)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert re.search(r"^Complete requests:\s+5000$", out, re.M), out
    assert re.search(r"^Failed requests:\s+0$", out, re.M), out


def test_wrk_10_seconds_without_socket_errors(peer):
    # The figure: wrk for 10 s with 0 socket errors (wrk prints the line only when there are some).
    if which("wrk") is None:
        pytest.skip("needs wrk")
    r = peer.host("wrk", "-t2", "-c20", "-d10s", url("/docs/note.txt"), timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    assert requests > 1000, out


def upload(peer, head: bytes, piece: bytes, most: int) -> tuple[bytes, int, bool]:
    """Send `head`, then `piece` again and again (up to `most` bytes) while
    reading what comes back, until the server has answered and closed (its
    FIN or an RST), or a minute has gone. Returns (the answer, body bytes
    sent, whether the server closed)."""
    s = peer.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect((GUEST_IP, PORT))
    s.sendall(head)
    s.setblocking(False)
    answer, sent, deadline = b"", 0, time.monotonic() + 60
    closed = False
    try:
        while time.monotonic() < deadline:
            try:
                data = s.recv(65536)
                if not data:
                    closed = True  # the server's FIN, after its answer
                    break
                answer += data
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed = True
                break
            if sent < most:
                try:
                    sent += s.send(piece)
                except BlockingIOError:
                    time.sleep(0.001)  # its window is shut: it is not reading
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
            else:
                time.sleep(0.01)
    finally:
        s.close()
    return answer, sent, closed


def test_a_10_gb_upload_is_413_and_the_close_with_memory_flat(peer):
    # httpd takes no bodies (GET and HEAD). A body declared by
    # Content-Length over 1 MiB is 413 before a byte of it is read (nginx's
    # client_max_body_size); a chunked one, whose size nobody knows, meets
    # the handler's 405 first, unread, and the server drops at most 64 KiB
    # of it (drainLimit) before closing. Either way the connection closes
    # long before 10 GB could go, and the machine holds none of it.
    before = peer.machine.rss_kib()
    ten_gb = 10 * 1024**3
    head = f"POST /upload HTTP/1.1\r\nHost: g\r\nContent-Length: {ten_gb}\r\n\r\n".encode()
    answer, sent, closed = upload(peer, head, bytes(65536), ten_gb)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert closed and sent < 256 * MIB, f"{sent} bytes went, closed: {closed}"
    chunk = b"10000\r\n" + bytes(65536) + b"\r\n"  # 64 KiB chunks of a body that never ends
    head = b"POST /upload HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer, sent, closed = upload(peer, head, chunk, ten_gb)
    assert answer.startswith(b"HTTP/1.1 405 "), answer[:200]
    assert closed and sent < 256 * MIB, f"{sent} bytes went, closed: {closed}"
    grown = peer.machine.rss_kib() - before
    assert grown < 32 * 1024, f"the machine grew by {grown} KiB"
    # And httpd serves on.
    r = peer.host("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url("/docs/note.txt"))
    assert r.stdout == b"200", r.stderr


def test_slowloris_gets_408_at_the_header_deadline_while_others_are_served(peer):
    # 30 connections send a request head one byte every half second: each gets 408 and the
    # close at the server's headerTimeout (10 s from its start, however often bytes come),
    # and meanwhile curl is answered at once. About 11 s.
    n = 30
    slow = []
    for _ in range(n):
        s = peer.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((GUEST_IP, PORT))
        s.sendall(b"GET / HTTP/1.1\r\nHost: g\r\nX-Slow: ")
        s.setblocking(False)
        slow.append(s)
    start = time.monotonic()
    got = {s: b"" for s in slow}
    ended: dict[socket.socket, float] = {}
    fetches = []
    try:
        while len(ended) < n and time.monotonic() - start < 20:
            for s in slow:
                if s in ended:
                    continue
                try:
                    data = s.recv(65536)
                    if not data:
                        ended[s] = time.monotonic() - start
                        continue
                    got[s] += data
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    ended[s] = time.monotonic() - start
                    continue
                if not got[s]:
                    s.send(b"x")  # one more byte of the head
            t0 = time.monotonic()
            r = peer.host("curl", "-sS", "-m", "5", url("/docs/note.txt"))
            fetches.append((r.returncode, r.stdout, time.monotonic() - t0))
            time.sleep(0.5)
    finally:
        for s in slow:
            s.close()
    assert len(ended) == n, f"{n - len(ended)} slow connections still open after 20 s"
    for s in slow:
        assert got[s].startswith(b"HTTP/1.1 408 Request Timeout\r\n"), got[s]
    assert 9.5 < min(ended.values()) and max(ended.values()) < 16, sorted(ended.values())
    assert len(fetches) >= 10
    assert all(code == 0 and body == b"plain text\n" for code, body, _ in fetches), fetches
    assert max(seconds for _, _, seconds in fetches) < 2, fetches


# -- the guest's curl against Python's http.server -------------------------------------------


@pytest.fixture(scope="module")
def web(peer, tmp_path_factory):
    """Python's http.server in the namespace on LINUX_IP, serving a directory with a 1 MiB file."""
    directory = tmp_path_factory.mktemp("www")
    blob = os.urandom(MIB)
    (directory / "blob.bin").write_bytes(blob)
    (directory / "hello.txt").write_text("hello from Linux\n")
    server = serve_directory(
        peer.ns.socket(socket.AF_INET, socket.SOCK_STREAM, bind=(LINUX_IP, 0)), str(directory)
    )
    server.blob = blob
    server.base = f"http://{LINUX_IP}:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_guest_curl_gets_a_body_byte_exact(peer, web):
    status, out, err = peer.machine.run(f"curl -s {web.base}/hello.txt")
    assert (status, out, err) == (0, "hello from Linux\n", "")
    status, out, err = peer.machine.run(f"curl -s {web.base}/blob.bin | sha256sum", timeout=60)
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(web.blob).hexdigest()


def test_guest_curl_o_writes_the_file(peer, web):
    status, out, err = peer.machine.run(
        f"curl -s -o /tmp/got.bin {web.base}/blob.bin && sha256sum /tmp/got.bin", timeout=60
    )
    assert status == 0, err
    assert out.split()[0] == hashlib.sha256(web.blob).hexdigest()


def test_guest_curl_head(peer, web):
    status, out, err = peer.machine.run(f"curl -sI {web.base}/blob.bin")
    assert status == 0, err
    assert out.startswith("HTTP/1.1 200 OK\r\n") or out.startswith("HTTP/1.0 200 OK\r\n"), out
    assert f"\r\nContent-Length: {MIB}\r\n" in out
    assert out.endswith("\r\n\r\n") and len(out) < 1000, "headers only"


def test_guest_curl_posts_data_and_headers(peer, web):
    status, out, err = peer.machine.run(f"curl -s -X POST -d 'a=1' -d 'b=2' -H 'X-Test: yes' {web.base}/form")
    assert (status, err) == (0, "")
    assert out == "POST /form application/x-www-form-urlencoded yes\na=1&b=2"
    status, out, err = peer.machine.run(f"curl -s -X PUT -d 'x' -H 'Content-Type: text/plain' {web.base}/p")
    assert out == "PUT /p text/plain None\nx"


def test_guest_curl_v_shows_the_exchange(peer, web):
    status, out, err = peer.machine.run(f"curl -v {web.base}/hello.txt")
    assert status == 0
    assert out == "hello from Linux\n"
    lines = [line.rstrip() for line in err.splitlines()]
    port = web.server_address[1]
    assert f"* Connected to {LINUX_IP} ({LINUX_IP}) port {port}" in lines
    assert "> GET /hello.txt HTTP/1.1" in lines
    assert f"> Host: {LINUX_IP}:{port}" in lines
    assert "> Accept: */*" in lines
    assert ">" in lines, "the empty line that ends the request head"
    assert any(re.fullmatch(r"< HTTP/1\.[01] 200 OK", line) for line in lines), err
    assert "< Content-Length: 17" in lines
    assert lines.index("> GET /hello.txt HTTP/1.1") < lines.index("< Content-Length: 17")


def test_guest_curl_f_and_errors_have_curls_statuses(peer, web):
    status, out, err = peer.machine.run(f"curl -f {web.base}/missing")
    assert (status, out) == (22, "")
    assert err == "curl: (22) The requested URL returned error: 404\n"
    status, out, err = peer.machine.run(f"curl -s {web.base}/missing")
    assert status == 0 and "404" in out, "without -f an error page is a page"
    status, out, err = peer.machine.run(f"curl http://{LINUX_IP}:4/")
    assert status == 7
    assert err == f"curl: (7) Failed to connect to {LINUX_IP} port 4: Connection refused\n"
    assert peer.machine.run(f"curl -s http://{LINUX_IP}:4/")[1:] == ("", "")
    status, out, err = peer.machine.run("curl https://example.org/")
    assert (status, err) == (1, 'curl: (1) Protocol "https" not supported\n')
    status, out, err = peer.machine.run("curl http://no-such-name.invalid/")
    assert status == 6, err
    assert err == "curl: (6) Could not resolve host: no-such-name.invalid\n"


def test_guest_curl_times_out_with_28(peer):
    # A listener that never accepts nor answers: the connection is made by
    # Linux's backlog, and the reply never comes.
    s = peer.ns.socket(socket.AF_INET, socket.SOCK_STREAM, bind=(LINUX_IP, 0))
    s.listen(1)
    with s:
        status, out, err = peer.machine.run(f"curl -m 1 http://{LINUX_IP}:{s.getsockname()[1]}/")
    assert status == 28, err
    assert err == "curl: (28) Operation timed out\n"


def test_guest_curl_follows_redirects_from_httpd(peer):
    # The guest's own httpd redirects /docs to /docs/: curl -L follows it, to the guest itself.
    status, out, err = peer.machine.run(f"curl -s -L http://{GUEST_IP}:{PORT}/docs")
    assert status == 0, err
    assert "<title>Index of /docs/</title>" in out
    status, out, err = peer.machine.run(f"curl -s -o /dev/null -w x http://{GUEST_IP}:{PORT}/docs")
    assert status == 2, "no -w here: a usage error"
