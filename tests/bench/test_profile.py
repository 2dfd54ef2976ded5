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
    "run_worker (motcua/streaming/_app.py);select (selectors.py) 10\n",
    "<module> (<frozen runpy>) 10\n",
    "\n",
]


def test_each_stack_is_charged_to_its_innermost_own_frame_within_its_task() -> None:
    hotspots = summarise("intake", seconds=2.0, raw=RAW)
    assert hotspots.samples == 100
    assert dict(hotspots.functions) == {
        # run_worker started the loop: it owns none of what the loop runs
        "faust (no frame of ours)": 0.4,
        "motcua.contracts._envelope.new_event": 0.3,  # pydantic's time, charged to its caller
        "services.intake.dossier.batch.commit_set_based": 0.1,
        "motcua.streaming._app.run_worker": 0.1,  # outside any task: its own
        "stdlib (no frame of ours)": 0.1,
    }
    assert dict(hotspots.packages) == {
        "aiokafka": 0.4,
        "pydantic": 0.3,
        "services": 0.1,
        "stdlib": 0.2,
    }
    assert hotspots.gil_share == 0.5  # 100 samples of 200 possible (2 s at 100 a second)


def test_the_line_names_the_largest_shares_first() -> None:
    hotspots = summarise("deadlines", seconds=1.0, raw=RAW, top=2)
    assert hotspots.line() == (
        "deadlines held the GIL 100% of 1 s (100 samples); of that: "
        "faust (no frame of ours) 40%; motcua.contracts._envelope.new_event 30% — own time by "
        "package: aiokafka 40%, pydantic 30%, stdlib 20%, services 10%"
    )


def test_no_samples_is_an_empty_profile_not_a_division_by_zero() -> None:
    assert summarise("intake", seconds=0.0, raw=[]) == Hotspots("intake", 0.0, 0, ())
    assert Hotspots("intake", 0.0, 0, ()).gil_share == 0.0
