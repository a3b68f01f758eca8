"""End to end: 1,000 isolates alive at once, each a service that answers (docs/architecture.md).

One app spawns 1,000 small services (s0..s999, each exporting its own name),
connects to every one and calls it; every answer must name the right service
and pid. Then it kills them all, and the shell must still work. The machine
allows 1,100 isolates (--cmdline proc.max=1100). This takes about 10-16 s on
a 2-vCPU machine (16 s measured), most of it creating the isolates.
"""

from __future__ import annotations

import json

from tests.e2e.machine import BootedMachine
from tests.e2e.test_rpc import no_python_errors, run_js, shell_works, write_file

N = 1000

SERVICE = r"""
module.exports = async function main(argv) {
  const i = Number(argv[1]);
  await sys.services.export('s' + i, { who: () => [i, sys.pid] });
  await new Promise(() => {});
};
"""

DRIVER = r"""
const N = Number(argv[1]);
const pids = await Promise.all(Array.from({ length: N }, (_, i) => sys.proc.spawn(['/tmp/tiny.js', String(i)], { stdin: 'null', stdout: 'null' })));
// A service is connectable once it has exported: until then connect says ENOENT.
const proxies = [];
for (let i = 0; i < N; i++) {
  for (let tries = 0; ; tries++) {
    try { proxies.push(await sys.services.connect('s' + i)); break; }
    catch (e) { if (e.code !== 'ENOENT' || tries > 3000) throw e; await sys.sleep(10); }
  }
}
const answers = await Promise.all(proxies.map((p) => p.who()));
const wrong = answers.map(([i, pid], j) => (i === j && pid === pids[j] ? null : [j, i, pid, pids[j]])).filter(Boolean);
const alive = (await sys.proc.list()).filter((p) => p.state !== 'Z' && p.argv[0] === '/tmp/tiny.js').length;
const isolates = (await sys.kernel.info()).memory.isolates;
sys.print(JSON.stringify({ spawned: pids.length, answered: answers.length, wrong: wrong.slice(0, 5), alive, isolates, pids }));
"""

KILL_ALL = r"""
const mine = (await sys.proc.list()).filter((p) => p.state !== 'Z' && p.argv[0] === '/tmp/tiny.js');
for (const p of mine) await sys.proc.kill(p.pid, 'KILL');
const left = (await sys.proc.list()).filter((p) => p.state !== 'Z' && p.argv[0] === '/tmp/tiny.js').length;
sys.print(JSON.stringify({ killed: mine.length, left }));
"""


def test_a_thousand_isolates_alive_and_answering():
    m = BootedMachine("--net", "none", "--cmdline", "proc.max=1100")
    try:
        write_file(m, "/tmp/tiny.js", SERVICE)
        status, out, err = run_js(m, DRIVER, args=str(N), timeout=240)
        assert status == 0, err
        got = json.loads(out)
        assert got["spawned"] == N and got["answered"] == N
        assert got["wrong"] == []
        assert got["alive"] == N
        assert got["isolates"] >= N + 2  # the session's shell, the driver (no terminal: no console shell)
        assert len(set(got["pids"])) == N
        # While all 1,000 sleep, the shell answers.
        shell_works(m)
        status, out, _ = m.run("ps")
        assert status == 0 and sum("/tmp/tiny.js " in line for line in out.splitlines()) == N
        status, out, err = run_js(m, KILL_ALL, timeout=120)
        assert status == 0, err
        assert json.loads(out) == {"killed": N, "left": 0}
        shell_works(m)
        status, out, _ = m.run("svc list")
        listed = {line.split()[0] for line in out.splitlines()[1:]}
        assert status == 0 and not listed & {f"s{i}" for i in range(N)}, out  # their exports went with them
        no_python_errors(m)
    finally:
        m.stop()
