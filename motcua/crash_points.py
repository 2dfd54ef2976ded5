"""Named points where a test makes a service die the way a power cut would (SIGKILL).

A crash between two writes that must both happen (a letter's database row and its Kafka
event) is the case recovery exists for, and a kill from outside lands there only by luck.
``MOTCUA_CRASH_AT=<name>`` in a process's environment kills it, with no cleanup, the
first time it reaches that point. No deployment sets it.
"""

from __future__ import annotations

import os
import signal

ENVIRONMENT_VARIABLE = "MOTCUA_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENVIRONMENT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
