"""Run every benchmark in one go: the boot-to-shell milestone's, then the network's."""

import boot
import density
import dns_lookup
import keystroke
import ping_rtt
import roundtrip
import udp_echo

if __name__ == "__main__":
    boot.main()
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
