"""``python -m nn``: the demo (see :mod:`nn.demo` or ``python -m nn --help``)."""

import sys

from nn.demo import main

sys.exit(main())
