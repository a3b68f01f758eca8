"""Run every benchmark of the boot-to-shell milestone in one go."""

import boot
import density
import keystroke
import roundtrip

if __name__ == "__main__":
    boot.main()
    print()
    roundtrip.main()
    print()
    keystroke.main()
    print()
    density.main()
