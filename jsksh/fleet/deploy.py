"""Deploy: one worker's code to every machine of the fleet at once.

`jsksh fleet deploy NAME FILE` sends FILE as `PUT /workers/NAME` to each
machine directly (http://127.0.0.1:PORT_I/workers/NAME, not through the
balancer, which would hand it to one machine only), all at the same time,
and reports each machine's answer: the invoker says 201 (created) or 200
(replaced) with a JSON body (docs/workers.md).  Any other answer, or none,
is that machine's failure; the others are not undone.
"""

from __future__ import annotations

import http.client
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from jsksh.fleet.state import MachineRecord


@dataclass
class Outcome:
    machine: MachineRecord
    status: int | None  # the HTTP status, or None if there was no answer
    detail: str  # the answer's body (shortened), or why there was none

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def put(machine: MachineRecord, path: str, body: bytes, timeout: float) -> Outcome:
    conn = http.client.HTTPConnection("127.0.0.1", machine.port, timeout=timeout)
    try:
        conn.request("PUT", path, body=body, headers={"Content-Type": "application/javascript"})
        response = conn.getresponse()
        text = response.read(4096).decode(errors="replace").strip()
        return Outcome(machine, response.status, " ".join(text.split())[:200] or response.reason)
    except (OSError, http.client.HTTPException) as e:
        return Outcome(machine, None, f"no answer from 127.0.0.1:{machine.port}: {e or type(e).__name__}")
    finally:
        conn.close()


def deploy(machines: list[MachineRecord], name: str, body: bytes, timeout: float = 30.0) -> list[Outcome]:
    """PUT body to /workers/NAME on every machine in parallel; the outcomes in the machines' order."""
    path = "/workers/" + urllib.parse.quote(name, safe="")
    if not machines:
        return []
    with ThreadPoolExecutor(max_workers=len(machines)) as pool:
        return list(pool.map(lambda m: put(m, path, body, timeout), machines))
