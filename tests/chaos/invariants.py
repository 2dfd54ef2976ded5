"""The promises a chaos run checks, as pure functions of what it gathered afterwards.

Each check is a :class:`Check`: a name, pass or fail, and what it saw. The evidence is
read whole once traffic has stopped and every consumer group has caught up (or the wait
for it ran out, which is itself a failure): intake's records (the system of record), the
topics read from their beginnings to their ends by offsets (so a duplicate cannot hide
between two reads), the services' tables, and the ledger of what the run's clients were
told was accepted. Counting rows of a table whose unique key forbids duplicates proves
nothing, so "exactly one" is always checked where a duplicate could actually appear: on
the topic, or in a table without such a key.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class IntakeDossier:
    state: str
    unit_code: str
    sequence: int
    finished_late: bool
    """Completed after its due date, as intake recorded it on ``complete``."""


@dataclass(frozen=True)
class ReportingDossier:
    state: str
    unit_code: str
    last_sequence: int
    legal_finish: str | None


@dataclass(frozen=True)
class Alert:
    alert_id: str
    dossier_id: str
    kind: str
    episode: int


@dataclass(frozen=True)
class Letter:
    dossier_id: str
    episode: int
    letter_number: str


@dataclass(frozen=True)
class Evidence:
    intake: Mapping[str, IntakeDossier]
    """Dossier id → intake's record."""
    reporting: Mapping[str, ReportingDossier]
    received_events: Mapping[str, Sequence[str]]
    """Dossier id → the event ids of its ``dossier.received`` on the topic."""
    alerts: Sequence[Alert]
    """Every alert record on the topic, duplicates kept."""
    drafted_letters: Collection[tuple[str, int]]
    """(dossier, episode) of every letter deadlines drafted."""
    issued_letters: Sequence[Letter]
    """Every issued letter record on the topic, duplicates and versions kept."""
    invitations: Sequence[tuple[str, str]]
    """(invitation id, dossier id) of every invitation record on the topic."""
    invite_messages: Mapping[str, int]
    """Invitation id → invitation messages recorded as sent, by a table with no unique key."""
    invitations_with_channel: Collection[str]
    """Invitations meant to reach the citizen on a messaging channel."""
    dead_letters: Mapping[str, str]
    """Poison id → the reason on its dead letter (the run's own header)."""
    group_lag: Mapping[str, int]
    """Consumer group → messages not yet committed, over its topics."""
    accepted: Mapping[str, str]
    """Upstream event id → dossier code, of every command intake acknowledged over HTTP."""
    recorded_events: Collection[str]
    """Every upstream event id intake recorded."""
    poison: Mapping[str, str] = field(default_factory=dict)
    """Poison id → the reason its dead letter must give."""
    refused: Sequence[str] = ()
    """Commands intake refused over HTTP (with why): a plan walks the state machine, so none."""
    produced: Mapping[str, str] = field(default_factory=dict)
    """Upstream event id → dossier code, of every command the brokers took for the Kafka
    door."""
    dead_lettered: Mapping[str, str] = field(default_factory=dict)
    """Upstream event id → reason, of the Kafka door's commands intake dead-lettered."""
    letters_refused: Sequence[str] = ()
    """Why intake dead-lettered an issued letter (none should be: a letter's date stands)."""
    events_missed: Sequence[str] = ()
    """Dossiers a deadlines worker logged as having lost an event (not found to read back)."""
    events_read_back: Sequence[str] = ()
    """Dossiers whose events the stream skipped and a worker read back from the partition."""
    clocks: Mapping[str, int] | None = None
    """Dossier id → the last sequence its deadlines clock applied, from the last record of
    each key on the clocks' changelog (none: not gathered)."""
    stopped: Sequence[str] = ()
    """The platform's processes not running once the run was over."""


DESK_RACES = frozenset({"out_of_order", "illegal_transition"})
"""Why intake may refuse a desk's step on the Kafka door in a sound run: a letter recorded
after the step's instant (and the desk's next steps, which then do not fit). The door gives
no answer to ask again on, so the refusal is the dead letter."""


_REPORTING_STATE = {
    "received": "in_progress",
    "completed": "finished",
    "returned": "finished",
}


def _sample(items: Iterable[object], limit: int = 3) -> str:
    shown = list(items)
    more = f" (+{len(shown) - limit} more)" if len(shown) > limit else ""
    return ", ".join(str(item) for item in shown[:limit]) + more


def _judged(name: str, seen: str, problems: Iterable[tuple[object, str]], *, saw: bool) -> Check:
    """Passes when the run saw something to judge (``saw``: an empty run proves nothing)
    and no problem holds; the detail is ``seen`` and every problem that holds."""
    found = [text for holds, text in problems if holds]
    return Check(name, saw and not found, seen + "".join(f"; {text}" for text in found))


def reporting_matches_intake(e: Evidence) -> Check:
    """Reporting's facts, dossier by dossier, as intake's records say: state, unit, every
    event applied (the last sequence), and finished late or on time."""
    wrong: list[str] = []
    for dossier_id, record in e.intake.items():
        fact = e.reporting.get(dossier_id)
        if fact is None:
            wrong.append(f"{dossier_id}: missing")
            continue
        state = _REPORTING_STATE.get(record.state, record.state)
        late = fact.legal_finish == "late"
        if (fact.state, fact.unit_code, fact.last_sequence, late) != (
            state,
            record.unit_code,
            record.sequence,
            record.finished_late,
        ):
            wrong.append(
                f"{dossier_id}: reporting {fact.state}/{fact.unit_code}/seq {fact.last_sequence}"
                f"/late {late}, intake {state}/{record.unit_code}/seq {record.sequence}"
                f"/late {record.finished_late}"
            )
    extra = set(e.reporting) - set(e.intake)
    by_state = Counter(_REPORTING_STATE.get(r.state, r.state) for r in e.intake.values())
    figures = ", ".join(f"{state} {count}" for state, count in sorted(by_state.items()))
    return _judged(
        "reporting's figures equal a recomputation from intake's records",
        f"{len(e.intake)} dossiers ({figures})",
        [
            (wrong, f"{len(wrong)} differ: {_sample(wrong)}"),
            (extra, f"{len(extra)} unknown to intake"),
        ],
        saw=bool(e.intake),
    )


def _ids_by(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """(id, owner) pairs → owner → the distinct ids it has."""
    ids: dict[str, set[str]] = defaultdict(set)
    for identifier, owner in pairs:
        ids[owner].add(identifier)
    return ids


def one_invitation_per_finished_dossier(e: Evidence) -> Check:
    """One invitation id per returned or rejected dossier, none for any other, and each
    invitation meant for a messaging channel sent exactly once."""
    expected = {d for d, r in e.intake.items() if r.state in ("returned", "rejected")}
    ids = _ids_by(e.invitations)
    missing = expected - set(ids)
    unexpected = set(ids) - expected
    doubled = {d: sorted(i) for d, i in ids.items() if len(i) > 1}
    sent = {i: e.invite_messages.get(i, 0) for i in e.invitations_with_channel}
    not_once = {i: n for i, n in sent.items() if n != 1}
    return _judged(
        "exactly one invitation per returned or rejected dossier",
        f"{len(expected)} dossiers returned or rejected, {len(ids)} invited, "
        f"{len(sent)} sent by message",
        [
            (missing, f"{len(missing)} without one"),
            (unexpected, f"{len(unexpected)} for dossiers neither returned nor rejected"),
            (doubled, f"{len(doubled)} with two ids: {_sample(doubled.items())}"),
            (not_once, f"{len(not_once)} not sent exactly once: {_sample(not_once.items())}"),
        ],
        saw=bool(expected),
    )


def one_resolved_late_alert_per_late_finish(e: Evidence) -> Check:
    late = {d for d, r in e.intake.items() if r.finished_late}
    ids = _ids_by((a.alert_id, a.dossier_id) for a in e.alerts if a.kind == "resolved_late")
    missing = late - set(ids)
    unexpected = set(ids) - late
    doubled = [d for d, i in ids.items() if len(i) > 1]
    return _judged(
        "exactly one resolved-late alert per dossier finished late",
        f"{len(late)} finished late",
        [
            (missing, f"{len(missing)} late finishes without one: {_sample(missing)}"),
            (unexpected, f"{len(unexpected)} for dossiers finished on time"),
            (doubled, f"{len(doubled)} dossiers with two: {_sample(doubled)}"),
        ],
        saw=bool(late),
    )


def one_alert_id_per_episode(e: Evidence) -> Check:
    ids: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    for alert in e.alerts:
        ids[(alert.dossier_id, alert.kind, alert.episode)].add(alert.alert_id)
    doubled = {k: sorted(v) for k, v in ids.items() if len(v) > 1}
    copies = len(e.alerts) - len({a.alert_id for a in e.alerts})
    return _judged(
        "one alert id per (dossier, kind, episode)",
        f"{len(ids)} alerts in {len(e.alerts)} records ({copies} re-sent with the same id)",
        [(doubled, f"{len(doubled)} with two ids: {_sample(doubled.items())}")],
        saw=bool(ids),
    )


def one_letter_per_late_episode(e: Evidence) -> Check:
    """Every episode that went overdue has its drafted letter, and no letter is issued under
    two numbers."""
    overdue = {(a.dossier_id, a.episode) for a in e.alerts if a.kind == "overdue"}
    drafted = set(e.drafted_letters)
    numbers: dict[tuple[str, int], set[str]] = defaultdict(set)
    for letter in e.issued_letters:
        numbers[(letter.dossier_id, letter.episode)].add(letter.letter_number)
    missing = overdue - drafted
    stray = drafted - {(a.dossier_id, a.episode) for a in e.alerts}
    doubled = {k: sorted(v) for k, v in numbers.items() if len(v) > 1}
    refused = dict(Counter(e.letters_refused))
    return _judged(
        "one apology letter per late episode",
        f"{len(overdue)} overdue episodes, {len(drafted)} letters drafted (at the first alert "
        f"of an episode, due-soon included), {len(numbers)} issued",
        [
            (missing, f"{len(missing)} overdue episodes without a letter: {_sample(missing)}"),
            (stray, f"{len(stray)} letters for episodes never alerted"),
            (doubled, f"{len(doubled)} issued under two numbers: {_sample(doubled.items())}"),
            (refused, f"{len(e.letters_refused)} issued letters refused by intake: {refused}"),
        ],
        saw=bool(overdue),
    )


def deadlines_saw_every_event(e: Evidence) -> Check:
    """Every dossier event reached the deadlines clocks, in order: each dossier's clock, as
    its table's changelog last holds it, applied intake's last event. A worker's own log
    cannot show this: a skipped event with no later one on its dossier leaves no trace
    there (chaos run 48 lost nine completions so, and their resolved-late alerts). Its
    ``dossier events missing`` lines still count as losses."""
    clocks = e.clocks or {}
    dossiers = set(e.intake)
    without = dossiers - set(clocks)
    behind = {
        d: (clocks[d], e.intake[d].sequence)
        for d in dossiers & set(clocks)
        if clocks[d] != e.intake[d].sequence
    }
    return _judged(
        "deadlines applied every dossier event, in order",
        f"{len(dossiers) - len(without) - len(behind)} of {len(dossiers)} clocks at intake's "
        f"last event; {len(e.events_read_back)} dossiers' skipped events read back, "
        f"{len(e.events_missed)} lost",
        [
            (e.clocks is None, "the clocks were not gathered"),
            (without, f"{len(without)} dossiers without a clock: {_sample(without)}"),
            (
                behind,
                f"{len(behind)} clocks not at intake's last event (clock, intake): "
                f"{_sample(behind.items())}",
            ),
            (e.events_missed, f"lost: {_sample(e.events_missed)}"),
        ],
        saw=bool(e.intake),
    )


def every_process_still_running(e: Evidence) -> Check:
    """Nothing restarts a process the run did not kill (on a cluster a supervisor would,
    hiding the crash): one that died on its own has failed, whatever the counts say. A
    deadlines worker once stopped for good at a PostgreSQL restart and the run passed on
    the other copy's work."""
    return _judged(
        "every process still running",
        f"{len(e.stopped)} stopped",
        [(e.stopped, f"not running: {', '.join(e.stopped)}")],
        saw=True,
    )


def poison_dead_lettered(e: Evidence) -> Check:
    missing = set(e.poison) - set(e.dead_letters)
    wrong = {
        p: (e.dead_letters[p], reason)
        for p, reason in e.poison.items()
        if p in e.dead_letters and e.dead_letters[p] != reason
    }
    reasons = Counter(e.poison.values())
    return _judged(
        "every poison message in its dead-letter topic with its reason",
        f"{len(e.poison)} sent ({', '.join(f'{r} {n}' for r, n in sorted(reasons.items()))})",
        [
            (missing, f"{len(missing)} missing: {_sample(missing)}"),
            (wrong, f"{len(wrong)} with another reason: {_sample(wrong.items())}"),
        ],
        saw=bool(e.poison),
    )


def groups_caught_up(e: Evidence) -> Check:
    behind = {g: lag for g, lag in e.group_lag.items() if lag}
    return _judged(
        "every consumer group caught up",
        f"{len(e.group_lag)} groups" + ("" if behind else ", no lag"),
        [(behind, f"behind: {_sample(behind.items(), 10)}")],
        saw=bool(e.group_lag),
    )


def nothing_accepted_missing(e: Evidence) -> Check:
    """Every command intake acknowledged is in its records; every command the brokers took
    for the Kafka door is in them or dead-lettered with a reason a desk can meet; every
    dossier's receipt reached the topic exactly once."""
    recorded = set(e.recorded_events)
    lost = set(e.accepted) - recorded
    dropped = set(e.produced) - recorded - set(e.dead_lettered)
    raced = Counter(r for i, r in e.dead_lettered.items() if i in e.produced)
    odd = {r: n for r, n in raced.items() if r not in DESK_RACES}
    unpublished = set(e.intake) - set(e.received_events)
    repeated = {d: ids for d, ids in e.received_events.items() if len(set(ids)) != 1}
    return _judged(
        "nothing accepted missing",
        f"{len(e.accepted)} commands accepted over HTTP, {len(e.produced)} produced to the "
        f"Kafka door ({sum(raced.values())} of them refused: {dict(raced) or 'none'}), "
        f"{len(e.intake)} dossiers on record",
        [
            (lost, f"{len(lost)} accepted commands not recorded: {_sample(lost)}"),
            (
                dropped,
                f"{len(dropped)} produced commands neither recorded nor dead-lettered: "
                f"{_sample(dropped)}",
            ),
            (odd, f"dead-lettered for unexpected reasons: {odd}"),
            (unpublished, f"{len(unpublished)} dossiers never published"),
            (repeated, f"{len(repeated)} receipts under two ids"),
            (e.refused, f"{len(e.refused)} planned commands refused: {_sample(e.refused)}"),
        ],
        saw=bool(e.accepted),
    )


CHECKS = (
    reporting_matches_intake,
    one_invitation_per_finished_dossier,
    one_resolved_late_alert_per_late_finish,
    one_alert_id_per_episode,
    one_letter_per_late_episode,
    deadlines_saw_every_event,
    poison_dead_lettered,
    groups_caught_up,
    nothing_accepted_missing,
    every_process_still_running,
)


def check_all(evidence: Evidence) -> list[Check]:
    return [check(evidence) for check in CHECKS]


def table(checks: Sequence[Check]) -> str:
    """The checks as a Markdown table: what ``make chaos`` prints and RESULTS.md keeps."""
    lines = ["| invariant | result | seen |", "| --- | --- | --- |"]
    lines += [
        f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {c.detail.replace('|', '/')} |"
        for c in checks
    ]
    return "\n".join(lines)
