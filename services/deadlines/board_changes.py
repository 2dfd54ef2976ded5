"""How a change to the board is announced: ``NOTIFY board`` with the dossier's unit path.

The worker (alerts) and the officers' web (letters) announce; every officers' web process
listens (:mod:`services.deadlines.board.live`) and wakes the boards of that subtree. It
sits below both ``board`` and ``letters`` so neither imports the other to announce.
"""

from __future__ import annotations

import json

from psycopg import Connection

CHANNEL = "board"


def announce(unit_path: tuple[str, ...] | list[str], *, db_session: Connection) -> None:
    """Tell every board watching this unit path that its list changed."""
    db_session.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(list(unit_path))))
