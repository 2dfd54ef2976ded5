"""Demo traffic for the local stack: a desk receiving dossiers and moving them along, and
citizens answering the rating invitations they were sent.

Runs against intake's public API with the demo upstream key, at a gentle pace (a few
events a second), so every service downstream has something to show. The local stack's
channels record each invitation instead of sending it (ratings' ``recorded_messages``):
those records stand for the citizens' phones, and about two in three invited citizens
answer through ratings' API (as the national portal would, with its own key), mostly
happy. The demo duty officer issues about two in three of the apology letters deadlines
drafts, each after a while, so the leaders' apology compliance has letters in time, late
and missing. Stops on SIGTERM.

    INTAKE_URL=… MOTCUA_DEMO_UPSTREAM_KEY=… RATINGS_URL=… RATINGS_DATABASE_URL=… \
        MOTCUA_DEMO_PORTAL_KEY=… DEADLINES_URL=… DEADLINES_DATABASE_URL=… \
        MOTCUA_DEMO_OFFICER=… MOTCUA_DEMO_OFFICER_PASSWORD=… python deploy/local/demo_traffic.py
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from motcua.contracts import Criterion

BACKLOG_SHARE = 0.15

STREETS = ("phố Hàng Bạc", "phố Lý Thường Kiệt", "đường Giải Phóng", "ngõ 12 phố Huế")
NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "Phạm Thu Dung",
    "Hoàng Minh Đức",
    "Vũ Thị Hạnh",
    "Đặng Quốc Huy",
    "Bùi Thị Lan",
    "Đỗ Văn Long",
    "Ngô Thị Mai",
]


def _people(count: int) -> list[dict[str, str]]:
    """The demo's citizens: each a name and an illustrative 12-digit ID number (CCCD: the
    province's 001, a century-and-sex digit, the birth year's last two digits, then six
    more), fixed across runs, so one person files several dossiers over time and a
    data-subject request by ID number finds them all."""
    chosen = random.Random(2026)
    return [
        {
            "full_name": chosen.choice(NAMES),
            "id_number": f"001{chosen.choice('0123')}{chosen.randint(40, 99):02d}{n:06d}",
        }
        for n in range(count)
    ]


PEOPLE = _people(400)
STEPS = {
    "received": [("assign", 0.9), ("reject", 0.02)],
    "in_progress": [("complete", 0.7), ("request_supplement", 0.1), ("pause", 0.05)],
    "awaiting_supplement": [("receive_supplement", 1.0)],
    "paused": [("resume", 1.0)],
    "completed": [("return_result", 1.0)],
}


class Desk:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.open: dict[str, str] = {}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 (the local stack's own URL)
            self.base_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def units_and_procedures(self) -> tuple[list[str], list[str]]:
        _, units = self.call("GET", "/v1/units")
        _, procedures = self.call("GET", "/v1/procedures")
        communes = [unit["code"] for unit in units if unit["level"] == "commune"]
        return communes or [units[0]["code"]], [p["code"] for p in procedures]

    def receive(self, units: list[str], procedures: list[str]) -> None:
        received = datetime.now(UTC)
        if random.random() < BACKLOG_SHARE:
            # A desk catching up on paper dossiers: some are due soon or late on arrival,
            # so the duty officer's board and the apology letters have work to show.
            received -= timedelta(days=random.uniform(3, 20))
        status, body = self.call(
            "POST",
            "/v1/dossiers",
            {
                "event_id": f"demo-{uuid.uuid4()}",
                "occurred_at": received.isoformat(),
                "procedure_code": random.choice(procedures),
                "unit_code": random.choice(units),
                "channel": random.choice(["in_person", "in_person", "online", "postal"]),
                "applicant": {
                    **random.choice(PEOPLE),
                    "phone": f"09{random.randint(10_000_000, 99_999_999)}",
                    "email": f"cong.dan{random.randint(1, 9999)}@example.vn",
                    "address": f"Số {random.randint(1, 200)} {random.choice(STREETS)}, Hà Nội",
                },
                # How ratings invites them and deadlines sends their apology letter (the
                # staff messages page and the board show each channel; post and none wait
                # for the duty officer's print batch).
                "contact_preference": random.choice(
                    ["sms", "sms", "sms", "zalo", "email", "post", "none"]
                ),
            },
        )
        if status == 201:
            self.open[body["dossier_code"]] = "received"

    def advance(self, units: list[str]) -> None:
        code = random.choice(list(self.open))
        state = self.open[code]
        options = STEPS.get(state, [])
        weights = [weight for _, weight in options]
        picks: list[str | None] = [name for name, _ in options]
        transition = random.choices([*picks, None], [*weights, max(0.0, 1 - sum(weights))])[0]
        if transition is None:
            return
        fields: dict[str, Any] = {"transition": transition}
        fields |= {
            "assign": {  # a named handler: reporting scores officers by it
                "to_unit_code": random.choice(units),
                "handler_ref": f"can-bo-{random.randrange(1, 9):02d}",
            },
            "reject": {"reason": "Hồ sơ không đủ điều kiện theo quy định"},
            "request_supplement": {"reason": "Thiếu bản sao giấy tờ chứng minh chỗ ở hợp pháp"},
            "pause": {"reason_code": "other_agency"},
            "complete": {"outcome": "granted"},
            "return_result": {"channel": random.choice(["counter", "postal", "online"])},
        }.get(transition, {})
        status, body = self.call(
            "POST",
            f"/v1/dossiers/{code}/events",
            {
                "event_id": f"demo-{uuid.uuid4()}",
                "occurred_at": datetime.now(UTC).isoformat(),
                **fields,
            },
        )
        if status == 200 and body["allowed_transitions"]:
            self.open[code] = body["state"]
        else:
            self.open.pop(code, None)


class Citizens:
    """Invited citizens reading their (recorded) messages and answering some."""

    ANSWER_SHARE = 0.65
    CRITERIA = tuple(
        c.value for c in Criterion if c not in (Criterion.ONLINE_SERVICE, Criterion.OTHER)
    )
    """What the demo's citizens answer: 8 is for an online dossier only, 9 is left blank."""

    def __init__(self, ratings_url: str, ratings_database_url: str, portal_key: str) -> None:
        self.ratings_url = ratings_url.rstrip("/")
        self.database_url = ratings_database_url
        self.portal_key = portal_key
        """The demo portal's own key: ratings' API is for keyed systems only."""
        self.last_seen = 0

    def answer_some(self) -> int:
        with psycopg.connect(self.database_url) as conn:
            rows = conn.execute(
                "SELECT id, link FROM recorded_messages WHERE id > %s AND kind = 'invite' "
                "ORDER BY id LIMIT 10",
                (self.last_seen,),
            ).fetchall()
        answered = 0
        for message_id, link in rows:
            self.last_seen = max(self.last_seen, message_id)
            if random.random() > self.ANSWER_SHARE:
                continue
            level = random.choices([2, 1, 0], [0.7, 0.25, 0.05])[0]
            scores = {
                c: min(2, max(0, level + random.choice([0, 0, 0, 1, -1]))) for c in self.CRITERIA
            }
            overall = {2: "very_satisfied", 1: "satisfied", 0: "dissatisfied"}[level]
            body = {"token": link.rsplit("/", 1)[1], "scores": scores, "overall": overall}
            request = urllib.request.Request(  # noqa: S310 (the local stack's own URL)
                f"{self.ratings_url}/v1/ratings",
                method="POST",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "X-API-Key": self.portal_key},
            )
            try:
                with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                    answered += 1
            except urllib.error.HTTPError:
                pass  # expired, already rated, or rate-limited: the next one
        return answered


class DutyOfficer:
    """The demo officer working through the drafted apology letters on the board's form."""

    ISSUE_SHARE = 0.65
    REASON = "Hồ sơ cần xác minh thêm thông tin tại cơ quan khác nên chưa trả kết quả đúng hẹn"

    def __init__(self, deadlines_url: str, database_url: str, username: str, password: str) -> None:
        self.deadlines_url = deadlines_url.rstrip("/")
        self.database_url = database_url
        self.credentials = {"username": username, "password": password}
        self.browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.seen: set[str] = set()
        self.signed_in = False

    def _post(self, path: str, data: bytes, content_type: str) -> int:
        request = urllib.request.Request(  # noqa: S310 (the local stack's own URL)
            self.deadlines_url + path,
            method="POST",
            data=data,
            headers={"Content-Type": content_type},
        )
        try:
            with self.browser.open(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    def issue_some(self) -> int:
        """Issue some of the drafts waiting a minute or more; the others stay on the board."""
        if not self.signed_in:
            body = json.dumps(self.credentials).encode()
            self.signed_in = self._post("/v1/session", body, "application/json") == 200
            if not self.signed_in:
                return 0
        with psycopg.connect(self.database_url) as conn:
            drafts = [
                str(row[0])
                for row in conn.execute(
                    "SELECT dossier_id FROM apology_letters WHERE status = 'draft' "
                    "AND created_at < now() - interval '1 minute' ORDER BY created_at LIMIT 20"
                )
            ]
        issued = 0
        for dossier_id in drafts:
            if dossier_id in self.seen:
                continue
            self.seen.add(dossier_id)
            if random.random() > self.ISSUE_SHARE:
                continue
            form = {"reason": self.REASON, "extension_working_days": str(random.randint(2, 5))}
            status = self._post(
                f"/board/dossiers/{dossier_id}/letter",
                urllib.parse.urlencode(form).encode(),
                "application/x-www-form-urlencoded",
            )
            if status in (401, 403):
                self.signed_in = False  # the session ended: sign in again next time
                self.seen.discard(dossier_id)
                return issued
            issued += status == 200
        return issued


def main() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    desk = Desk(os.environ["INTAKE_URL"], os.environ["MOTCUA_DEMO_UPSTREAM_KEY"])
    rate = float(os.environ.get("DEMO_EVENTS_PER_SECOND", "3"))
    units, procedures = desk.units_and_procedures()
    ratings_settings = [
        os.environ.get(name, "")
        for name in ("RATINGS_URL", "RATINGS_DATABASE_URL", "MOTCUA_DEMO_PORTAL_KEY")
    ]
    citizens = Citizens(*ratings_settings) if all(ratings_settings) else None
    officer_settings = [
        os.environ.get(name, "")
        for name in (
            "DEADLINES_URL",
            "DEADLINES_DATABASE_URL",
            "MOTCUA_DEMO_OFFICER",
            "MOTCUA_DEMO_OFFICER_PASSWORD",
        )
    ]
    officer = DutyOfficer(*officer_settings) if all(officer_settings) else None
    ticks = 0
    print(
        f"demo traffic: {rate}/s over {len(units)} units, {len(procedures)} procedures", flush=True
    )
    while not stop.is_set():
        try:
            if not desk.open or random.random() < 0.4:
                desk.receive(units, procedures)
            else:
                desk.advance(units)
            ticks += 1
            if citizens is not None and ticks % 10 == 0:
                citizens.answer_some()
            if officer is not None and ticks % 30 == 0:
                officer.issue_some()
        except (OSError, psycopg.Error) as exc:
            print(f"intake or ratings unreachable ({exc}); retrying", file=sys.stderr, flush=True)
            stop.wait(2)
        stop.wait(1 / rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
