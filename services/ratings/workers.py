"""What the ratings process runs beside its pages, built from its settings: the invitation
consumer and the sender, each in its own thread, and the channels the settings make real
(the rest record what they would send: the local stack and the tests)."""

from __future__ import annotations

from datetime import timedelta

from psycopg_pool import ConnectionPool

from motcua.db import AsyncSweepingPool
from motcua.delivery import (
    ContactDirectory,
    IntakeContacts,
    build_channels,
    quiet_hours,
    retry_policy,
)
from motcua.supervision import Supervisor
from services.ratings.delivery.sender import Sender
from services.ratings.invitations.consumer import InvitationConsumer
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.settings import RatingsSettings


def token_seal(settings: RatingsSettings) -> TokenSeal:
    key = settings.ratings_token_key
    return TokenSeal.from_setting(key.get_secret_value() if key else None)


def build_sender(
    settings: RatingsSettings,
    seal: TokenSeal,
    *,
    directory: ContactDirectory | None = None,
) -> Sender:
    pool = AsyncSweepingPool(
        settings.database_url, min_size=1, max_size=max(2, settings.db_pool_size), open=False
    )
    return Sender(
        pool,
        build_channels(settings),
        directory
        or IntakeContacts(settings.intake_url, settings.intake_api_key.get_secret_value()),
        seal,
        public_url=settings.ratings_public_url,
        quiet=quiet_hours(settings),
        alphabet=settings.sms_alphabet,
        retry=retry_policy(settings),
        reminder_after=timedelta(days=settings.reminder_after_days),
        batch_size=settings.delivery_batch_size,
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_s),
    )


def build_consumer(
    settings: RatingsSettings, pool: ConnectionPool, seal: TokenSeal
) -> InvitationConsumer:
    return InvitationConsumer(
        settings.kafka_bootstrap_servers,
        pool,
        seal,
        group_id=settings.ratings_group_id,
        lifetime_days=settings.invitation_expiry_days,
        quiet=quiet_hours(settings),
        batch_size=settings.invitations_batch_size,
    )


def supervise_invitation_workers(
    supervisor: Supervisor, settings: RatingsSettings, pool: ConnectionPool, seal: TokenSeal
) -> None:
    """The consumer and the sender among the process's loops (each as its setting says)."""
    if settings.invitations_enabled:
        supervisor.add("invitations", build_consumer(settings, pool, seal).run)
    if settings.delivery_enabled:
        supervisor.add("delivery", build_sender(settings, seal).run)
