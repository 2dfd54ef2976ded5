"""``python -m bench [intake|deadlines|alert-lag|board|invitations|ratings|reporting|history|
footprint|all] [options]``;
``make bench`` runs all.

- ``intake`` (the default): ingestion, single receipts and outbox lag on a stack of its own;
- ``deadlines``: the deadlines timer's index with up to 1,000,000 open dossiers, in process;
- ``alert-lag``: the deadlines worker end to end, overdue alert time − due instant;
- ``board``: the duty officers' board pages with a city of 100,000 dossiers, in PostgreSQL;
- ``invitations``: rating invitations created and recorded as sent, at 1,000 returned
  dossiers a second and from a backlog;
- ``ratings``: rating form submissions, open loop at 200/s, on one ratings process;
- ``reporting``: events counted a second, event → visible in the summary, and a rebuild
  of 1,000,000 events;
- ``history``: years of a province's dossiers through the history importer, then the
  reports, the board and a rebuild with them in (``--dossiers 1000000`` for the issue's size);
- ``footprint``: CPU per dossier event by process, memory and disk per open and closed
  dossier, bytes per event on each topic: the inputs of docs/sizing.md;
- ``all``: every one in turn, each with its defaults.
"""

import sys

BENCHES = (
    "intake",
    "deadlines",
    "alert-lag",
    "board",
    "invitations",
    "ratings",
    "reporting",
    "history",
    "footprint",
)
which = sys.argv.pop(1) if sys.argv[1:2] in ([b] for b in (*BENCHES, "all")) else "intake"
options = sys.argv[1:] if which != "all" else []
status = 0
for name in BENCHES if which == "all" else (which,):
    if status:
        break
    if name == "intake":
        from bench.intake import main as intake_main

        sys.argv[1:] = options
        status = intake_main()
    elif name == "deadlines":
        from bench.deadlines import main as deadlines_main

        status = deadlines_main(options)
    elif name == "board":
        from bench.board import main as board_main

        status = board_main(options)
    elif name == "invitations":
        from bench.invitations import main as invitations_main

        status = invitations_main(options)
    elif name == "ratings":
        from bench.ratings import main as ratings_main

        status = ratings_main(options)
    elif name == "reporting":
        from bench.reporting import main as reporting_main

        status = reporting_main(options)
    elif name == "footprint":
        from bench.footprint import main as footprint_main

        status = footprint_main(options)
    elif name == "history":
        from bench.history import main as history_main

        status = history_main(options)
    else:
        from bench.alert_lag import main as alert_lag_main

        status = alert_lag_main(options)
sys.exit(status)
