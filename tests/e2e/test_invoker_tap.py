"""The invoker over a TAP device: Linux's curl deploys, calls, updates and deletes.

The machine sits on a TAP device in a namespace made for the test (Linux
10.9.0.1, the guest 10.9.0.2 with `--service invoker`); the real curl runs
inside that namespace, so nothing leaves it.  The same exchanges through
the user backend's hostfwd are in test_invoker.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from tests.e2e.netns import GUEST_IP, tap_peer


@pytest.fixture(scope="module")
def peer():
    if shutil.which("curl") is None:
        pytest.skip("needs curl on the host")
    with tap_peer("jsksh-inv", "--service", "invoker") as p:
        deadline = time.monotonic() + 20
        while curl(p, "-s", "-o", "/dev/null", "-f", f"http://{GUEST_IP}/workers").returncode != 0:
            assert time.monotonic() < deadline, p.machine.run("dmesg")[1]
            time.sleep(0.1)
        yield p


def curl(p, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(p.ns.argv("curl", *args), capture_output=True, timeout=60)


def test_deploy_call_update_and_delete_over_tap(peer, tmp_path):
    worker = tmp_path / "w.js"
    worker.write_text(
        "let n = 0;\nexport default { fetch: (r) => new Response(`v1 ${++n} ${r.method} ${new URL(r.url).pathname}`) };\n"
    )
    r = curl(peer, "-sS", "-T", str(worker), f"http://{GUEST_IP}/workers/tapped")
    assert r.returncode == 0 and json.loads(r.stdout)["created"] is True, r.stdout + r.stderr
    assert curl(peer, "-sS", f"http://{GUEST_IP}/tapped/x").stdout == b"v1 1 GET /tapped/x"
    assert (
        curl(peer, "-sS", "-X", "POST", "-d", "a=1", f"http://{GUEST_IP}/tapped/y").stdout
        == b"v1 2 POST /tapped/y"
    )
    worker.write_text("export default { fetch: () => new Response('v2') };\n")
    r = curl(
        peer,
        "-sS",
        "-T",
        str(worker),
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        f"http://{GUEST_IP}/workers/tapped",
    )
    assert r.stdout == b"200"
    assert curl(peer, "-sS", f"http://{GUEST_IP}/tapped/").stdout == b"v2"
    r = curl(peer, "-sS", "-X", "DELETE", f"http://{GUEST_IP}/workers/tapped")
    assert json.loads(r.stdout)["removed"] is True
    r = curl(peer, "-sS", "-w", "%{http_code}", "-o", "/dev/null", f"http://{GUEST_IP}/tapped/")
    assert r.stdout == b"404"
