"""``python -m nn``: the demo (see :mod:`nn.demo` or ``python -m nn --help``)."""

import sys

from nn import interrupts

try:
    from nn.demo.command import main
except KeyboardInterrupt:  # Ctrl-C while the modules load: one line and the status, as at any other moment
    print("error: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
    interrupts.exit(interrupts.INTERRUPTED)

interrupts.exit(main(exiting=True))
