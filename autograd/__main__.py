"""``python -m autograd``: the command line (see :mod:`autograd.cli`)."""

import signal

from autograd.cli import main
from autograd.exit_status import INTERRUPTED, exit, loaded

loaded()  # from here Ctrl-C is main's to report
try:
    status = main()
except KeyboardInterrupt:  # one that came after main decided its status
    status = INTERRUPTED
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the status is decided: a late Ctrl-C must not replace it
exit(status)
