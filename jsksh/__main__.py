"""`python -m jsksh`: the same as the `jsksh` command (jsksh/cli.py)."""

from jsksh.cli import entry

entry()
