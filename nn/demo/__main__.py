"""``python -m nn.demo``: the same as ``python -m nn``."""

import sys

try:
    from nn.demo.command import main
except KeyboardInterrupt:  # Ctrl-C while the modules load: one line and the status, as at any other moment
    print("error: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
    sys.exit(130)

sys.exit(main(exiting=True))
