"""Run every benchmark in one go: the boot-to-shell milestone's, the network's, then the REPL client's, the isolates', then the workers'."""

import pipes

import boot
import completion
import density
import dns_lookup
import http_serve
import isolates
import keystroke
import ping_rtt
import repl_keystroke
import repl_start
import roundtrip
import run_true
import shell_loop
import tcp_latency
import tcp_throughput
import udp_echo
import worker_cold
import worker_density
import worker_warm

if __name__ == "__main__":
    boot.main()
    print()
    run_true.main()
    print()
    roundtrip.main()
    print()
    keystroke.main()
    print()
    density.main()
    print()
    udp_echo.main()
    print()
    ping_rtt.main()
    print()
    dns_lookup.main()
    print()
    tcp_throughput.main()
    print()
    tcp_latency.main()
    print()
    http_serve.main()
    print()
    repl_start.main()
    print()
    completion.main()
    print()
    repl_keystroke.main()
    print()
    isolates.main()
    print()
    pipes.main()
    print()
    shell_loop.main()
    print()
    worker_warm.main()
    print()
    worker_cold.main()
    print()
    worker_density.main()
