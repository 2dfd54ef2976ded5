"""``python -m bench`` (``make bench``): the intake benchmark against the real stack."""

import sys

from bench.intake import main

sys.exit(main())
