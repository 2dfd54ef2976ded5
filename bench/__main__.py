"""``python -m bench``: the benchmarks that exist so far."""

import sys

print("no benchmark yet: the intake benchmark arrives with the intake service", file=sys.stderr)
sys.exit(1)
