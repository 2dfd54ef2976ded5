"""Motcua's Grafana dashboards as code: ``python deploy/grafana/build.py`` writes one JSON
file per dashboard into ``deploy/grafana/dashboards/``, where Grafana's provisioning
(``provisioning/dashboards/motcua.yml``) loads them.

The JSON is checked in so Grafana needs nothing but the files; ``--check`` exits 1 when a
file differs from what this script makes (``tests/deploy/test_dashboards.py`` runs it), so
an edit by hand in the JSON or the UI cannot drift from the source. Plain dictionaries
rather than grafana-foundation-sdk: the dashboards use a handful of panel types, and every
query stays readable here as the PromQL Grafana and the live test
(``tests/deploy/test_dashboards_live.py``) run.

Aggregation rules the queries follow:

- Reporting's business gauges (``motcua_reporting_*``) and deadlines' figures are exported
  by one worker only, so a series is not duplicated in steady state; while that role moves
  between workers, two may briefly export the same labels. ``max by (<the metric's own
  labels>)`` collapses such copies (they carry the same figure) before ``sum by`` adds
  provinces, fields or units up: a handover never doubles a figure.
- Per-process counters and histograms (HTTP, messages consumed, outbox) are summed over
  instances: each process counts its own work.
- Error counters that only appear with the first error are filled with zeros from their
  healthy sibling (``… or <sibling> * 0``), so a panel says "0" rather than "No data".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "$__rate_interval"
SERVICES = "intake|deadlines|ratings|reporting"

# --- the query helpers -------------------------------------------------------------------

FINISHED = "finished_early|finished_on_time|finished_late"
ON_TIME = "finished_early|finished_on_time"
IN_PROGRESS = "in_progress_on_time|in_progress_overdue"
VALID_LEVELS = "very_satisfied|satisfied|dissatisfied"


def total(by: str) -> str:
    return f"sum by ({by}) " if by else "sum"


def figures(measures: str, *, by: str = "", where: str = "") -> str:
    """Reporting's month-to-date dossier counts for ``measures`` (a regex), summed ``by``."""
    selector = f'motcua_reporting_dossiers{{measure=~"{measures}"{where}}}'
    return f"{total(by)}(max by (province, field, measure) ({selector}))"


def share(part: str, whole: str, *, by: str = "", where: str = "") -> str:
    """``part`` of ``whole`` (measure regexes): NaN while ``whole`` is zero, never a guess."""
    return f"{figures(part, by=by, where=where)} / {figures(whole, by=by, where=where)}"


def ratings(levels: str, *, by: str = "", where: str = "") -> str:
    selector = f'motcua_reporting_ratings{{level=~"{levels}"{where}}}'
    return f"{total(by)}(max by (province, level) ({selector}))"


def satisfaction(*, by: str = "", where: str = "") -> str:
    """Satisfied and very satisfied of the valid answers (invalid forms are out of it)."""
    part = ratings("very_satisfied|satisfied", by=by, where=where)
    return f"{part} / {ratings(VALID_LEVELS, by=by, where=where)}"


def select(metric: str, where: str) -> str:
    return f"{metric}{{{where}}}" if where else metric


def per_second(metric: str, *, by: str, where: str = "") -> str:
    return f"sum by ({by}) (rate({select(metric, where)}[{RATE}]))"


def per_minute(metric: str, *, by: str, where: str = "") -> str:
    return f"60 * {per_second(metric, by=by, where=where)}"


def zero_filled(errors: str, sibling: str) -> str:
    return f"{errors} or {sibling} * 0"


def quantile(q: float, histogram: str, *, by: str, where: str = "") -> str:
    rates = f"rate({select(f'{histogram}_bucket', where)}[{RATE}])"
    return f"histogram_quantile({q}, sum by ({by}, le) ({rates}))"


def age(timestamp_metric: str) -> str:
    return f"time() - max({timestamp_metric})"


# --- the dashboard model -----------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: Sequence[Query]
    description: str
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8
    red_from: float | None = None
    """A threshold: the value turns red from it on (stat and bar gauge panels)."""


@dataclass(frozen=True)
class Row:
    title: str


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    query: str
    """``label_values(<selector>, <label>)``, as Grafana's Prometheus data source reads it."""


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    items: Sequence[Panel | Row]
    variables: Sequence[Variable] = field(default_factory=tuple)


def q(expr: str, legend: str = "") -> list[Query]:
    return [Query(expr, legend)]


def stat(title: str, expr: str, description: str, **options: Any) -> Panel:
    return Panel(title, q(expr), description, kind="stat", width=4, height=4, **options)


def bars(title: str, expr: str, legend: str, description: str, **options: Any) -> Panel:
    return Panel(title, q(expr, legend), description, kind="bargauge", **options)


# --- the dashboards ----------------------------------------------------------------------

PROVINCE = 'province=~"$province"'
UNIT = f', {PROVINCE}, field=~"$field"'


def apology_delivery() -> list[Panel]:
    """Whether the letters reached the citizens, for the provinces chosen."""
    return [
        bars(
            "Apology compliance on delivery",
            f"max by (province) (motcua_reporting_apology_delivery_compliance_ratio{{{PROVINCE}}})",
            "{{province}}",
            "Late dossiers whose apology letter reached the citizen by the legal deadline: "
            "sent or posted in time, and not failed.",
            unit="percentunit",
        ),
        bars(
            "Apology letters not delivered",
            f"max by (province) (motcua_reporting_apology_delivery_failures{{{PROVINCE}}})",
            "{{province}}",
            "This month's letters whose every notice failed for good (the alert's figure).",
            red_from=1,
        ),
    ]


def national() -> Dashboard:
    return Dashboard(
        "motcua-national",
        "Motcua — national overview",
        "Every province this month (Vietnam time) to date: the figures leaders are shown, "
        "live from reporting, and the flow that feeds them.",
        [
            Row("This month, all provinces"),
            stat("Received", figures("received"), "Dossiers received this month."),
            stat("Finished", figures(FINISHED), "Early, on time and late together."),
            stat(
                "Finished on time",
                share(ON_TIME, FINISHED),
                "Early or on time, of the dossiers finished this month (the legal view).",
                unit="percentunit",
            ),
            stat(
                "In progress, overdue",
                figures("in_progress_overdue"),
                "Open dossiers past their appointment.",
                red_from=1,
            ),
            stat(
                "Late without apology letter",
                figures("late_without_letter"),
                "Late dossiers with no apology letter issued: zero where the law is kept.",
                red_from=1,
            ),
            stat(
                "Satisfaction",
                satisfaction(),
                "Satisfied and very satisfied, of this month's valid answers.",
                unit="percentunit",
            ),
            Row("By province"),
            bars(
                "Received, top provinces",
                f"topk(15, {figures('received', by='province')})",
                "{{province}}",
                "The fifteen provinces that received the most dossiers this month.",
            ),
            bars(
                "Finished on time, lowest provinces",
                f"bottomk(15, {share(ON_TIME, FINISHED, by='province')})",
                "{{province}}",
                "The fifteen provinces with the lowest on-time share of finished dossiers.",
                unit="percentunit",
            ),
            bars(
                "In progress overdue, top provinces",
                f"topk(15, {figures('in_progress_overdue', by='province')})",
                "{{province}}",
                "Open dossiers past their appointment, per province.",
            ),
            bars(
                "Apology compliance, lowest provinces",
                "bottomk(15, max by (province) (motcua_reporting_apology_compliance_ratio))",
                "{{province}}",
                "Late dossiers whose apology letter went out by the legal deadline.",
                unit="percentunit",
            ),
            bars(
                "Apology compliance on delivery, lowest provinces",
                "bottomk(15, max by (province) "
                "(motcua_reporting_apology_delivery_compliance_ratio))",
                "{{province}}",
                "Late dossiers whose apology letter reached the citizen by the legal deadline.",
                unit="percentunit",
            ),
            bars(
                "Apology letters not delivered, top provinces",
                "topk(15, max by (province) (motcua_reporting_apology_delivery_failures))",
                "{{province}}",
                "This month's letters whose every notice failed for good (the alert's figure).",
                red_from=1,
            ),
            Row("Live"),
            Panel(
                "Dossiers received / min, by channel",
                q(
                    per_minute("motcua_intake_dossiers_received_total", by="channel"),
                    "{{channel}}",
                ),
                "Receipts intake records, every door together.",
            ),
            Panel(
                "Events applied to the figures / s, by topic",
                q(per_second("motcua_reporting_events_applied_total", by="topic"), "{{topic}}"),
                "What reporting commits into the official figures.",
            ),
            stat(
                "Figures age",
                age("motcua_reporting_last_applied_timestamp_seconds"),
                "Time since reporting last committed a batch into the figures.",
                unit="s",
                red_from=300,
            ),
        ],
    )


def unit_drilldown() -> Dashboard:
    def unit_figures(measures: str, *, by: str = "") -> str:
        return figures(measures, by=by, where=UNIT)

    return Dashboard(
        "motcua-unit",
        "Motcua — unit drill-down",
        "One province (or several) and its fields this month (Vietnam time) to date.",
        [
            Row("This month"),
            stat("Received", unit_figures("received"), "Dossiers received."),
            stat(
                "Finished on time",
                share(ON_TIME, FINISHED, where=UNIT),
                "Early or on time, of the finished dossiers.",
                unit="percentunit",
            ),
            stat(
                "In progress, overdue",
                unit_figures("in_progress_overdue"),
                "Open dossiers past their appointment.",
                red_from=1,
            ),
            stat(
                "Late without apology letter",
                unit_figures("late_without_letter"),
                "Late dossiers with no apology letter issued.",
                red_from=1,
            ),
            stat("Rejected", unit_figures("rejected"), "Dossiers refused this month."),
            stat("Withdrawn", unit_figures("withdrawn"), "Dossiers the applicant withdrew."),
            Row("How they were handled"),
            Panel(
                "Finished: early, on time, late",
                q(unit_figures(FINISHED, by="measure"), "{{measure}}"),
                "Month to date, as the figures grow.",
            ),
            Panel(
                "In progress: on time and overdue",
                q(unit_figures(IN_PROGRESS, by="measure"), "{{measure}}"),
                "Open dossiers, month to date.",
            ),
            bars(
                "Received by field",
                unit_figures("received", by="field"),
                "{{field}}",
                "Which fields the desks work in.",
            ),
            bars(
                "Finished on time by field",
                share(ON_TIME, FINISHED, by="field", where=UNIT),
                "{{field}}",
                "Early or on time, of the finished dossiers of each field.",
                unit="percentunit",
            ),
            Row("Citizens and apologies"),
            bars(
                "Satisfaction by field",
                "max by (province, field) "
                f'(motcua_reporting_satisfaction_ratio{{{PROVINCE}, field=~"$field"}})',
                "{{province}} · {{field}}",
                "Satisfied and very satisfied, of the valid answers.",
                unit="percentunit",
            ),
            bars(
                "Response rate",
                f"max by (province) (motcua_reporting_response_ratio{{{PROVINCE}}})",
                "{{province}}",
                "Answers, of the invitations sent.",
                unit="percentunit",
            ),
            bars(
                "Apology compliance",
                f"max by (province) (motcua_reporting_apology_compliance_ratio{{{PROVINCE}}})",
                "{{province}}",
                "Late dossiers whose apology letter went out by the legal deadline.",
                unit="percentunit",
            ),
            bars(
                "Apology letters",
                unit_figures("apology_letters", by="province"),
                "{{province}}",
                "Apology letters issued this month.",
            ),
            *apology_delivery(),
        ],
        [
            Variable("province", "Province", "label_values(motcua_reporting_dossiers, province)"),
            Variable(
                "field",
                "Field",
                f"label_values(motcua_reporting_dossiers{{{PROVINCE}}}, field)",
            ),
        ],
    )


def deadlines() -> Dashboard:
    unit = 'unit=~"$unit"'
    return Dashboard(
        "motcua-deadlines",
        "Motcua — deadlines and apology compliance",
        "Deadlines' live view of every open dossier, and reporting's monthly compliance.",
        [
            Row("Now"),
            stat(
                "Open dossiers tracked",
                "sum(motcua_deadlines_open_dossiers)",
                "Each worker tracks its own partitions: the sum is every open dossier.",
            ),
            stat(
                "Overdue now",
                "max(motcua_deadlines_overdue_dossiers)",
                "Open dossiers past their due date (one worker exports it: max, not sum).",
                red_from=1,
            ),
            stat(
                "Late without letter",
                f"sum(max by (unit) (motcua_deadlines_late_without_letter{{{unit}}}))",
                "Overdue dossiers with no issued apology letter, in the units chosen.",
                red_from=1,
            ),
            stat(
                "Letters in draft",
                'max(motcua_deadlines_apology_letters{status="draft"})',
                "Apology letters of open dossiers an officer has not issued yet.",
            ),
            stat(
                "Letters issued",
                'max(motcua_deadlines_apology_letters{status="issued"})',
                "Apology letters of open dossiers already issued.",
            ),
            stat(
                "Calendar overrides",
                "max(motcua_deadlines_calendar_overrides)",
                "Announced days off and days worked the clocks count with.",
            ),
            bars(
                "Late without letter by unit",
                f"topk(20, max by (unit) (motcua_deadlines_late_without_letter{{{unit}}}))",
                "{{unit}}",
                "Units with overdue dossiers and no issued apology letter.",
                red_from=1,
            ),
            bars(
                "Letters issued after their deadline, by unit",
                f"topk(20, max by (unit) (motcua_deadlines_letters_issued_late{{{unit}}}))",
                "{{unit}}",
                "Apology letters that went out after the legal apology deadline (all time).",
                red_from=1,
            ),
            Row("Alerts and letters"),
            Panel(
                "Overdue now",
                q("max(motcua_deadlines_overdue_dossiers)", "overdue"),
                "Growth here is what the overdue alert watches.",
            ),
            Panel(
                "Alerts / min, by kind",
                q(per_minute("motcua_deadlines_alerts_total", by="kind"), "{{kind}}"),
                "Due-soon, overdue and resolved-late alerts deadlines emits.",
            ),
            Panel(
                "Alert lag",
                [
                    Query(quantile(0.5, "motcua_deadlines_alert_lag_seconds", by="job"), "p50"),
                    Query(quantile(0.99, "motcua_deadlines_alert_lag_seconds", by="job"), "p99"),
                ],
                "From the instant an alert became due to its emission.",
                unit="s",
            ),
            Panel(
                "Letter versions published / min",
                q(
                    per_minute(
                        "motcua_outbox_published_total", by="job", where='service="deadlines"'
                    ),
                    "published",
                ),
                "Apology letter versions Kafka acknowledged (deadlines' outbox relay).",
            ),
            Row("This month, by province (reporting)"),
            bars(
                "Apology compliance",
                f"max by (province) (motcua_reporting_apology_compliance_ratio{{{PROVINCE}}})",
                "{{province}}",
                "Late dossiers whose apology letter went out by the legal deadline.",
                unit="percentunit",
            ),
            bars(
                "Late without letter",
                figures("late_without_letter", by="province", where=f", {PROVINCE}"),
                "{{province}}",
                "Late dossiers of the month with no apology letter.",
                red_from=1,
            ),
            bars(
                "Apology letters",
                figures("apology_letters", by="province", where=f", {PROVINCE}"),
                "{{province}}",
                "Apology letters issued this month.",
            ),
            bars(
                "Finished late",
                figures("finished_late", by="province", where=f", {PROVINCE}"),
                "{{province}}",
                "Dossiers finished after their appointment this month.",
            ),
            *apology_delivery(),
        ],
        [
            Variable("province", "Province", "label_values(motcua_reporting_dossiers, province)"),
            Variable("unit", "Unit", "label_values(motcua_deadlines_late_without_letter, unit)"),
        ],
    )


def satisfaction_dashboard() -> Dashboard:
    where = f", {PROVINCE}"
    return Dashboard(
        "motcua-satisfaction",
        "Motcua — satisfaction",
        "Citizens' answers this month (Vietnam time) to date, and the invitations behind them.",
        [
            Row("This month"),
            stat(
                "Satisfaction",
                satisfaction(where=where),
                "Satisfied and very satisfied, of the valid answers.",
                unit="percentunit",
            ),
            stat("Valid answers", ratings(VALID_LEVELS, where=where), "Answers counted."),
            stat(
                "Invalid forms",
                ratings("invalid", where=where),
                "Paper forms recorded as invalid: out of the denominator.",
            ),
            stat(
                "Dissatisfied",
                ratings("dissatisfied", where=where),
                "Answers that start a follow-up.",
            ),
            stat(
                "Follow-ups open",
                "max(motcua_ratings_followups_open)",
                "Every ratings process reports the same count from PostgreSQL: max.",
            ),
            stat(
                "Follow-ups overdue",
                "max(motcua_ratings_followups_overdue)",
                "Open follow-ups past their 15 working days.",
                red_from=1,
            ),
            bars(
                "Satisfaction by province",
                satisfaction(by="province", where=where),
                "{{province}}",
                "Satisfied and very satisfied, of the valid answers.",
                unit="percentunit",
            ),
            bars(
                "Satisfaction by field",
                f"max by (province, field) (motcua_reporting_satisfaction_ratio{{{PROVINCE}}})",
                "{{province}} · {{field}}",
                "Reporting's ratio per province and field.",
                unit="percentunit",
            ),
            bars(
                "Response rate by province",
                f"max by (province) (motcua_reporting_response_ratio{{{PROVINCE}}})",
                "{{province}}",
                "Answers, of the invitations sent.",
                unit="percentunit",
            ),
            Panel(
                "Answers by level",
                q(ratings(f"{VALID_LEVELS}|invalid", by="level", where=where), "{{level}}"),
                "Month to date, as the answers come in.",
            ),
            Row("Ratings service"),
            Panel(
                "Ratings stored / min, by channel",
                q(per_minute("motcua_ratings_submitted_total", by="channel"), "{{channel}}"),
                "Valid ratings stored, web form, kiosk and paper together.",
            ),
            Panel(
                "Invitations / min, by channel",
                [
                    Query(
                        per_minute("motcua_ratings_invitations_created_total", by="channel"),
                        "created {{channel}}",
                    ),
                    Query(
                        per_minute("motcua_ratings_invitations_sent_total", by="channel"),
                        "sent {{channel}}",
                    ),
                    Query(
                        zero_filled(
                            per_minute("motcua_ratings_invitations_failed_total", by="channel"),
                            per_minute("motcua_ratings_invitations_created_total", by="channel"),
                        ),
                        "failed {{channel}}",
                    ),
                ],
                "Created per returned or rejected dossier; sent by its channel; given up.",
            ),
            Panel(
                "Answers refused / min, by reason",
                q(per_minute("motcua_ratings_refused_total", by="reason"), "{{reason}}"),
                "Unknown or used links, expired, invalid, rate-limited and the like.",
            ),
        ],
        [Variable("province", "Province", "label_values(motcua_reporting_ratings, province)")],
    )


def pipeline() -> Dashboard:
    job = 'job=~"$job"'
    http = "motcua_http_request_duration_seconds"
    answers = per_second(f"{http}_count", by="job", where=job)
    server_errors = per_second(f"{http}_count", by="job", where=f'{job}, status=~"5.."')
    return Dashboard(
        "motcua-pipeline",
        "Motcua — pipeline health",
        "The platform's plumbing: services, HTTP, streams, outbox, dead letters, "
        "reconciliation. The alerts in deploy/prometheus/alerts.yml watch the same series.",
        [
            Row("Services"),
            Panel(
                "Services up",
                q(f"max by (job) (up{{{job}}})", "{{job}}"),
                "1 while Prometheus can scrape the service's /metrics.",
                width=8,
            ),
            Panel(
                "Dependencies up",
                q(
                    f"min by (job, dependency) (motcua_dependency_up{{{job}}})",
                    "{{job}} → {{dependency}}",
                ),
                "The last readiness check of Kafka and PostgreSQL, per service.",
                width=8,
            ),
            Panel(
                "Server errors (5xx) share",
                q(f"({zero_filled(server_errors, answers)}) / {answers}", "{{job}}"),
                "Answers with a 5xx status, of all answers.",
                unit="percentunit",
                width=8,
            ),
            Row("HTTP"),
            Panel(
                "Requests / s, by service",
                q(per_second(f"{http}_count", by="job", where=job), "{{job}}"),
                "Every route, every status.",
                unit="reqps",
            ),
            Panel(
                "Latency, by service",
                [
                    Query(quantile(0.5, http, by="job", where=job), "p50 {{job}}"),
                    Query(quantile(0.99, http, by="job", where=job), "p99 {{job}}"),
                ],
                "Request duration percentiles.",
                unit="s",
            ),
            bars(
                "Slowest routes (p99)",
                f"topk(10, {quantile(0.99, http, by='job, method, route', where=job)})",
                "{{job}} {{method}} {{route}}",
                "The route templates with the highest p99 over the rate interval.",
                unit="s",
            ),
            Panel(
                "Commands refused / min, by reason",
                q(
                    per_minute("motcua_intake_commands_rejected_total", by="reason, door"),
                    "{{door}} {{reason}}",
                ),
                "Intake commands refused with nothing written (http, batch, kafka doors).",
            ),
            Row("Streams"),
            Panel(
                "Messages consumed / s, by topic",
                q(
                    per_second("motcua_messages_consumed_total", by="job, topic", where=job),
                    "{{job}} ← {{topic}}",
                ),
                "What each consumer finished with.",
            ),
            Panel(
                "Consumer lag, by group",
                q(
                    "sum by (group) (max by (group, topic) (motcua_kafka_consumer_lag))",
                    "{{group}}",
                ),
                "Messages behind the end of the topics, every platform consumer group "
                "(exported by one reporting worker).",
            ),
            Panel(
                "Deadlines worker lag, by topic",
                q("sum by (topic) (motcua_deadlines_consumer_lag)", "{{topic}}"),
                "Deadlines' own view: records not yet read, over its assigned partitions.",
            ),
            Panel(
                "Events applied to the figures / s, by topic",
                q(per_second("motcua_reporting_events_applied_total", by="topic"), "{{topic}}"),
                "What reporting commits into the official figures.",
            ),
            Panel(
                "Event to visible in the figures",
                [
                    Query(quantile(0.5, "motcua_reporting_visible_seconds", by="job"), "p50"),
                    Query(quantile(0.99, "motcua_reporting_visible_seconds", by="job"), "p99"),
                ],
                "From an event's Kafka timestamp to the commit that shows it.",
                unit="s",
            ),
            stat(
                "Figures age",
                age("motcua_reporting_last_applied_timestamp_seconds"),
                "Time since reporting last committed a batch.",
                unit="s",
                red_from=300,
            ),
            Row("Outbox"),
            Panel(
                "Outbox lag, by service",
                q("max by (service) (motcua_outbox_lag_seconds)", "{{service}}"),
                "Age of the oldest event not yet acknowledged by Kafka.",
                unit="s",
            ),
            Panel(
                "Outbox published and errors / s, by service",
                [
                    Query(
                        per_second("motcua_outbox_published_total", by="service"),
                        "published {{service}}",
                    ),
                    Query(
                        zero_filled(
                            per_second("motcua_outbox_publish_errors_total", by="service"),
                            per_second("motcua_outbox_published_total", by="service"),
                        ),
                        "errors {{service}}",
                    ),
                ],
                "Events Kafka acknowledged, and those it did not.",
            ),
            Panel(
                "Background loops running, by service and loop",
                q("min by (job, loop) (motcua_loop_up)", "{{job}} {{loop}}"),
                "1 while a supervised loop (relay, consumer, gauges) runs, 0 while it waits "
                "to be restarted; /readyz says since when and why.",
            ),
            Row("Dead letters and reconciliation"),
            Panel(
                "Dead letters / min, by service and reason",
                q(
                    per_minute("motcua_dead_letters_total", by="job, reason", where=job),
                    "{{job}} {{reason}}",
                ),
                "Messages a consumer gave up on (their topic keeps them with the error).",
            ),
            stat(
                "Dead letters in range",
                f"sum(increase(motcua_dead_letters_total{{{job}}}[$__range]))",
                "Over the dashboard's time range.",
                red_from=1,
            ),
            Panel(
                "Reconciliation difference, by measure",
                q("max by (measure) (motcua_reporting_reconciliation_difference)", "{{measure}}"),
                "Live figures minus those recomputed from intake: zero when healthy.",
            ),
            stat(
                "Last reconciliation",
                age("motcua_reporting_reconciliation_timestamp_seconds"),
                "Time since the figures were last reconciled with intake.",
                unit="s",
            ),
        ],
        [Variable("job", "Service", f'label_values(up{{job=~"{SERVICES}"}}, job)')],
    )


DASHBOARDS = (national, unit_drilldown, deadlines, satisfaction_dashboard, pipeline)

# --- JSON --------------------------------------------------------------------------------


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    thresholds: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if panel.red_from is not None:
        thresholds.append({"color": "red", "value": panel.red_from})
    options: dict[str, Any] = {"reduceOptions": {"calcs": ["lastNotNull"], "values": False}}
    if panel.kind == "bargauge":
        options |= {"orientation": "horizontal", "displayMode": "gradient"}
    if panel.kind == "timeseries":
        options = {"legend": {"displayMode": "list", "placement": "bottom"}}
    instant = panel.kind != "timeseries"
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "thresholds": {"mode": "absolute", "steps": thresholds},
            },
            "overrides": [],
        },
        "options": options,
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "expr": query.expr,
                "legendFormat": query.legend or "__auto",
                "instant": instant,
                "range": not instant,
                "datasource": DATASOURCE,
            }
            for index, query in enumerate(panel.queries)
        ],
    }


def _variable_json(variable: Variable) -> dict[str, Any]:
    return {
        "name": variable.name,
        "label": variable.label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": variable.query,
        "query": {"query": variable.query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }


def to_json(dashboard: Dashboard) -> dict[str, Any]:
    """Grafana's dashboard model: panels laid out left to right, a row starting a line."""
    panels: list[dict[str, Any]] = []
    x = y = line_height = 0  # y: the top of the line being filled
    for panel_id, item in enumerate(dashboard.items, start=1):
        if isinstance(item, Row):
            y, x, line_height = y + line_height, 0, 0
            panels.append(
                {
                    "id": panel_id,
                    "type": "row",
                    "title": item.title,
                    "collapsed": False,
                    "panels": [],
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                }
            )
            y += 1
            continue
        if x + item.width > 24:
            y, x, line_height = y + line_height, 0, 0
        panels.append(_panel_json(item, panel_id, x, y))
        x += item.width
        line_height = max(line_height, item.height)
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["motcua"],
        "timezone": "Asia/Ho_Chi_Minh",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "links": [
            {
                "type": "dashboards",
                "tags": ["motcua"],
                "asDropdown": True,
                "title": "Motcua",
                "includeVars": False,
                "keepTime": True,
            }
        ],
        "templating": {"list": [_variable_json(v) for v in dashboard.variables]},
        "annotations": {"list": []},
        "panels": panels,
    }


def rendered() -> dict[str, str]:
    """File name → the JSON text this script writes."""
    files = {}
    for make in DASHBOARDS:
        dashboard = make()
        text = json.dumps(to_json(dashboard), indent=2, ensure_ascii=False) + "\n"
        files[f"{dashboard.uid}.json"] = text
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    files = rendered()
    existing = {path.name for path in args.out.glob("*.json")}
    stale = sorted(
        name
        for name, text in files.items()
        if not (args.out / name).exists() or (args.out / name).read_text() != text
    ) + sorted(existing - set(files))
    if args.check:
        for name in stale:
            print(f"{args.out / name} is not what deploy/grafana/build.py makes", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in existing - set(files):
        (args.out / name).unlink()
    for name, text in files.items():
        (args.out / name).write_text(text)
    print(f"wrote {len(files)} dashboards to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
