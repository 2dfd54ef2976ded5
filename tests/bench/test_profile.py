"""py-spy's raw stacks charged to the innermost function of ours inside the running asyncio
task, else to the library whose task it is; and each package's own time."""

from __future__ import annotations

from bench.profile import Hotspots, summarise

LOOP = (
    "run_worker (motcua/streaming/_app.py);_run_once (asyncio/base_events.py);"
    "_run (asyncio/events.py)"
)
RAW = [
    f'process 41:"python -m services.intake";{LOOP};'
    "commit_set_based (services/intake/dossier/batch.py);"
    "new_event (motcua/contracts/_envelope.py);validate (pydantic/main.py) 30\n",
    f"{LOOP};commit_set_based (services/intake/dossier/batch.py) 10\n",
    f"{LOOP};Stream.__anext__ (faust/streams.py);Fetcher.fetch (aiokafka/fetcher.py) 40\n",
    "run_worker (motcua/streaming/_app.py);_run_once (asyncio/base_events.py);"
    "select (selectors.py) 10\n",
    "main (services/deadlines/__main__.py) 10\n",
    "<module> (<frozen runpy>) 10\n",
    "\n",
]


def test_each_stack_is_charged_to_its_innermost_own_frame_within_its_task() -> None:
    hotspots = summarise("intake", seconds=2.0, raw=RAW)
    assert hotspots.samples == 110
    assert {name: round(share * 110) for name, share in hotspots.functions} == {
        # run_worker started the loop: it owns none of what the loop runs
        "faust (no frame of ours)": 40,
        "motcua.contracts._envelope.new_event": 30,  # pydantic's time, charged to its caller
        "services.intake.dossier.batch.commit_set_based": 10,
        "stdlib (no frame of ours)": 20,  # the loop waiting in select; the interpreter
        "services.deadlines.__main__.main": 10,  # outside the loop: its own
    }
    assert {name: round(share * 110) for name, share in hotspots.packages} == {
        "aiokafka": 40,
        "pydantic": 30,
        "services": 20,
        "stdlib": 20,
    }
    assert hotspots.gil_share == 110 / 200  # of 200 possible samples (2 s at 100 a second)


def test_the_line_names_the_largest_shares_first() -> None:
    hotspots = summarise("deadlines", seconds=2.0, raw=RAW, top=2)
    assert hotspots.line() == (
        "deadlines held the GIL 55% of 2 s (110 samples); of that: "
        "faust (no frame of ours) 36%; motcua.contracts._envelope.new_event 27% — own time by "
        "package: aiokafka 36%, pydantic 27%, services 18%, stdlib 18%"
    )


def test_no_samples_is_an_empty_profile_not_a_division_by_zero() -> None:
    assert summarise("intake", seconds=0.0, raw=[]) == Hotspots("intake", 0.0, 0, ())
    assert Hotspots("intake", 0.0, 0, ()).gil_share == 0.0
