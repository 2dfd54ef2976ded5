"""Deadlines' sender: the shared sender loop (``motcua.delivery.SenderLoop``) over
``letter_notices``, in a supervised thread of the worker process beside its outbox relay.

Each due notice asks intake how to reach the citizen (at send time; the contact lives only
in this function's variables), fixes its channel from the plan (``model.channel_plan``),
makes its short link and goes, retried as ``motcua.delivery.RetryPolicy`` says. What it
came to is written by the store: sent, tried again later, or failed for good — and then
the letter is queued on the next channel, or for the print batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from motcua.delivery import (
    Channel,
    ContactDirectory,
    IntakeContacts,
    IntakeUnavailable,
    PermanentSendError,
    QuietHours,
    RetryPolicy,
    SenderLoop,
    SmsAlphabet,
    build_channels,
    quiet_hours,
    retry_policy,
    send_with_retries,
    utc_now,
)
from motcua.supervision import Supervisor
from services.deadlines.database import Database
from services.deadlines.notices.links import short_link
from services.deadlines.notices.model import (
    POST,
    RETRY_LATER,
    Due,
    Update,
    after_failure,
    after_sent,
    before_sending,
    choose,
    compose,
    later,
    to_print,
)
from services.deadlines.notices.store import LetterNotices
from services.deadlines.settings import DeadlinesSettings

_log = logging.getLogger("motcua.deadlines.notices")
LOOP_NAME = "letter-notices"


class NoticeSender(SenderLoop[Due, Update]):
    """The apology letters' notices going out."""

    log = _log
    store: LetterNotices

    def __init__(
        self,
        store: LetterNotices,
        channels: Mapping[str, Channel],
        directory: ContactDirectory,
        *,
        public_url: str,
        quiet: QuietHours | None,
        retry: RetryPolicy,
        alphabet: SmsAlphabet = "unicode",
        lease: timedelta = timedelta(minutes=10),
        poll_s: float = 0.5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(store, channels, directory, lease=lease, poll_s=poll_s, clock=clock)
        self.store = store
        self.public_url = public_url
        self.quiet = quiet
        self.retry = retry
        self.alphabet: SmsAlphabet = alphabet

    def log_extra(self, item: Due) -> dict[str, object]:
        return {"notice_id": item.notice_id, "letter_id": item.letter_id}

    def crashed(self, item: Due, error: Exception) -> Update:
        now = self.clock()
        return later(item, now, now + RETRY_LATER, f"internal error: {type(error).__name__}")

    async def deliver(self, item: Due) -> Update:
        due, now = item, self.clock()
        early = before_sending(due, now, self.quiet)
        if early is not None:
            return early
        try:
            contact = await self.directory.contact(due.facts.dossier_code)
        except IntakeUnavailable as exc:
            return later(due, now, now + timedelta(seconds=self.retry.max_s), str(exc))
        channel_name, plan = choose(due, contact)
        if channel_name == POST:
            return to_print(due, now, plan)
        destination = contact.destination(channel_name)
        channel = self.channels.get(channel_name)
        if not destination or channel is None:
            missing = "contact" if not destination else "configured channel"
            return after_failure(
                due,
                now,
                channel_name,
                0,
                f"no {channel_name} {missing}",
                permanent=True,
                quiet=None,
            )
        token = await self.store.prepare(due, channel_name, plan, now)
        pdf = await self.store.pdf(due) if channel_name == "email" else None
        message = compose(
            due.notice_id,
            due.facts,
            channel=channel_name,
            new_due_at=due.new_due_at,
            link=short_link(self.public_url, token),
            sender=contact,
            alphabet=self.alphabet,
            pdf=pdf,
        )
        sent = await send_with_retries(channel, message, destination, self.retry)
        if sent.failure is not None:
            permanent = isinstance(sent.failure, PermanentSendError)
            return after_failure(
                due,
                self.clock(),
                channel_name,
                sent.attempts,
                sent.failure.reason,
                permanent=permanent,
                quiet=self.quiet,
            )
        return after_sent(due, self.clock(), channel_name, sent.attempts)


def build_sender(
    settings: DeadlinesSettings, *, directory: ContactDirectory | None = None
) -> NoticeSender:
    store = LetterNotices(
        Database(settings.database_url), link_ttl=timedelta(days=settings.letter_link_ttl_days)
    )
    return NoticeSender(
        store,
        build_channels(settings),
        directory
        or IntakeContacts(settings.intake_url, settings.intake_api_key.get_secret_value()),
        public_url=settings.letter_public_url,
        quiet=quiet_hours(settings),
        retry=retry_policy(settings),
        alphabet=settings.sms_alphabet,
        lease=timedelta(seconds=settings.delivery_lease_s),
    )


def supervise_notices(supervisor: Supervisor, settings: DeadlinesSettings) -> None:
    """The sender among the worker's loops, if ``LETTER_NOTICES_ENABLED``; a restart after
    a failure builds it afresh (a run closes its pool and channels when it ends)."""
    if settings.letter_notices_enabled:
        supervisor.add(LOOP_NAME, lambda stop: build_sender(settings).run(stop))
