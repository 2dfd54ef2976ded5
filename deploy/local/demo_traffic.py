"""Demo traffic for the local stack: the one-stop desks of three provinces' communes
receiving dossiers and moving them along, and citizens answering the rating invitations
they were sent.

Runs against intake's public API with one demo upstream key per province (Hà Nội, Hải
Phòng, Đà Nẵng: ``MOTCUA_DEMO_UPSTREAM_KEYS``, comma-separated), each over the real
communes of its province as ``GET /v1/units`` lists them (page after page, following
``Link: rel="next"``), at a gentle pace (a few events a second), so every service
downstream has something to show. The local stack's
channels record each invitation instead of sending it (ratings' ``recorded_messages``):
those records stand for the citizens' phones, and about two in three invited citizens
answer through ratings' API (as the national portal would, with its own key), mostly
happy. The demo duty officer issues about two in three of the apology letters deadlines
drafts, each after a while, so the leaders' apology compliance has letters in time, late
and missing. Stops on SIGTERM.

    INTAKE_URL=… MOTCUA_DEMO_UPSTREAM_KEYS=… RATINGS_URL=… RATINGS_DATABASE_URL=… \
        MOTCUA_DEMO_PORTAL_KEY=… DEADLINES_URL=… DEADLINES_DATABASE_URL=… \
        MOTCUA_DEMO_OFFICER=… MOTCUA_DEMO_OFFICER_PASSWORD=… python deploy/local/demo_traffic.py
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from motcua.contracts import Criterion

BACKLOG_SHARE = 0.15

STREETS = ("đường Trần Phú", "đường Lê Lợi", "đường Nguyễn Trãi", "ngõ 12 đường Lý Thường Kiệt")
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
    """One province's one-stop software: its own key, its communes, its open dossiers."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=10,
        )
        self.communes: dict[str, str] = {}
        """Code -> the address line of an applicant living there."""
        self.open: dict[str, str] = {}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = self.client.request(method, path, json=body)
        return response.status_code, response.json() if response.content else None

    def units(self) -> list[dict[str, Any]]:
        """Every unit of the key's subtree in service, page after page (a single page from
        an intake that does not page)."""
        units: list[dict[str, Any]] = []
        response = self.client.get("/v1/units", params={"include_retired": "false"})
        while True:
            response.raise_for_status()
            units.extend(response.json())
            after = response.links.get("next")
            if after is None:
                return [unit for unit in units if unit.get("retired_on") is None]
            response = self.client.get(after["url"])

    def load_communes(self) -> None:
        units = self.units()
        communes = [unit for unit in units if unit["level"] == "commune"] or units[:1]
        self.communes = {
            unit["code"]: unit.get("address") or unit["name"].removeprefix("Công an ")
            for unit in communes
        }

    def receive(self, procedures: list[str]) -> None:
        received = datetime.now(UTC)
        if random.random() < BACKLOG_SHARE:
            # A desk catching up on paper dossiers: some are due soon or late on arrival,
            # so the duty officer's board and the apology letters have work to show.
            received -= timedelta(days=random.uniform(3, 20))
        unit = random.choice(list(self.communes))
        status, body = self.call(
            "POST",
            "/v1/dossiers",
            {
                "event_id": f"demo-{uuid.uuid4()}",
                "occurred_at": received.isoformat(),
                "procedure_code": random.choice(procedures),
                "unit_code": unit,
                "channel": random.choice(["in_person", "in_person", "online", "postal"]),
                "applicant": {
                    **random.choice(PEOPLE),
                    "phone": f"09{random.randint(10_000_000, 99_999_999)}",
                    "email": f"cong.dan{random.randint(1, 9999)}@example.vn",
                    "address": f"Số {random.randint(1, 200)} {random.choice(STREETS)}, "
                    f"{self.communes[unit]}",
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

    def advance(self) -> None:
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
                "to_unit_code": random.choice(list(self.communes)),
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
            response = httpx.post(
                f"{self.ratings_url}/v1/ratings",
                json=body,
                headers={"X-API-Key": self.portal_key},
                timeout=10,
            )
            # Not counted: expired, already rated, or rate-limited; the next one.
            answered += response.is_success
        return answered


class DutyOfficer:
    """The demo officer working through the drafted apology letters on the board's form."""

    ISSUE_SHARE = 0.65
    REASON = "Hồ sơ cần xác minh thêm thông tin tại cơ quan khác nên chưa trả kết quả đúng hẹn"

    def __init__(
        self,
        deadlines_url: str,
        database_url: str,
        username: str,
        password: str,
        unit: str,
        *,
        wait: timedelta = timedelta(minutes=1),
    ) -> None:
        self.database_url = database_url
        self.wait = wait
        """How long a draft waits before the officer takes it up."""
        self.credentials = {"username": username, "password": password}
        self.unit = unit
        """The officer's unit: the drafts of other provinces are not theirs to issue."""
        self.browser = httpx.Client(
            base_url=deadlines_url.rstrip("/"), timeout=30, follow_redirects=True
        )
        """Keeps the session's cookie, as a browser would."""
        self.seen: set[str] = set()
        """Drafts already taken up (issued or left): the next look passes over them."""
        self.signed_in = False

    def issue_some(self) -> int:
        """Issue some of the drafts waiting a while (a minute); the others stay on the board."""
        if not self.signed_in:
            signed_in = self.browser.post("/v1/session", json=self.credentials)
            self.signed_in = signed_in.status_code == 200
            if not self.signed_in:
                return 0
        with psycopg.connect(self.database_url) as conn:
            drafts = [
                str(row[0])
                for row in conn.execute(
                    "SELECT a.dossier_id FROM apology_letters a "
                    "JOIN watched_dossiers w USING (dossier_id) WHERE a.status = 'draft' "
                    "AND w.unit_path @> ARRAY[%s] "
                    "AND a.created_at < now() - %s AND NOT a.dossier_id = ANY(%s::uuid[]) "
                    "ORDER BY a.created_at LIMIT 20",
                    (self.unit, self.wait, list(self.seen)),
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
            status = self.browser.post(
                f"/board/dossiers/{dossier_id}/letter", data=form
            ).status_code
            if status in (401, 403):
                self.signed_in = False  # the session ended: sign in again next time
                self.seen.discard(dossier_id)
                return issued
            issued += status == 200
        return issued


def _desks(intake_url: str, keys: str) -> list[Desk]:
    """One desk per province key, each knowing its communes."""
    desks = [Desk(intake_url, key) for key in keys.split(",") if key]
    for desk in desks:
        desk.load_communes()
    return desks


def _procedures(desk: Desk) -> list[str]:
    response = desk.client.get("/v1/procedures")
    response.raise_for_status()
    return [procedure["code"] for procedure in response.json()]


def _settings(*names: str) -> list[str] | None:
    values = [os.environ.get(name, "") for name in names]
    return values if all(values) else None


def _tick(desks: list[Desk], procedures: list[str]) -> None:
    """Receive at a commune (every commune alike), or move an open dossier along."""
    busy = [desk for desk in desks if desk.open]
    if not busy or random.random() < 0.4:
        weights = [len(desk.communes) for desk in desks]
        random.choices(desks, weights)[0].receive(procedures)
    else:
        random.choice(busy).advance()


def main() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rate = float(os.environ.get("DEMO_EVENTS_PER_SECOND", "3"))
    desks = _desks(os.environ["INTAKE_URL"], os.environ["MOTCUA_DEMO_UPSTREAM_KEYS"])
    procedures = _procedures(desks[0])
    ratings = _settings("RATINGS_URL", "RATINGS_DATABASE_URL", "MOTCUA_DEMO_PORTAL_KEY")
    citizens = Citizens(*ratings) if ratings else None
    duty = _settings(
        "DEADLINES_URL",
        "DEADLINES_DATABASE_URL",
        "MOTCUA_DEMO_OFFICER",
        "MOTCUA_DEMO_OFFICER_PASSWORD",
        "MOTCUA_DEMO_UPSTREAM_UNIT",
    )
    officer = DutyOfficer(*duty) if duty else None
    ticks = 0
    communes = sum(len(desk.communes) for desk in desks)
    print(
        f"demo traffic: {rate}/s over {communes} communes of {len(desks)} provinces, "
        f"{len(procedures)} procedures",
        flush=True,
    )
    while not stop.is_set():
        try:
            _tick(desks, procedures)
            ticks += 1
            if citizens is not None and ticks % 10 == 0:
                citizens.answer_some()
            if officer is not None and ticks % 30 == 0:
                officer.issue_some()
        except (httpx.TransportError, psycopg.Error) as exc:
            print(f"intake or ratings unreachable ({exc}); retrying", file=sys.stderr, flush=True)
            stop.wait(2)
        stop.wait(1 / rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
