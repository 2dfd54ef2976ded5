"""``python -m motcua.provision``: create the topics and each service's role and schema.

The one-shot step of a deployment (docker-compose runs it before the services). Reads
``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL`` (a role allowed to create roles) and one
``<SERVICE>_DB_PASSWORD`` per service. Idempotent.
"""

from __future__ import annotations

import os
import sys

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from motcua.db import SERVICES, bootstrap_database
from motcua.kafka import TOPICS, Durability, ensure_topics


class ProvisionSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = Field(description="Kafka bootstrap servers.")
    database_url: str = Field(description="PostgreSQL URL of an administrator role.")
    kafka_replication_factor: int | None = Field(
        default=None,
        ge=1,
        description="Copies of every topic created; unset, the cluster's own: 3 on three live "
        "brokers or more, else one per broker (min.insync.replicas follows, one less).",
    )


def main() -> int:
    settings = ProvisionSettings()  # type: ignore[call-arg]  # values come from the environment
    missing = [s for s in SERVICES if not os.environ.get(f"{s.upper()}_DB_PASSWORD")]
    if missing:
        names = ", ".join(f"{s.upper()}_DB_PASSWORD" for s in missing)
        print(f"provision: set {names}", file=sys.stderr)
        return 2
    created = ensure_topics(
        settings.kafka_bootstrap_servers,
        TOPICS,
        durability=(
            Durability(settings.kafka_replication_factor)
            if settings.kafka_replication_factor
            else None
        ),
    )
    print(f"provision: {len(TOPICS)} topics declared, {len(created)} created")
    passwords = {s: os.environ[f"{s.upper()}_DB_PASSWORD"] for s in SERVICES}
    bootstrap_database(settings.database_url, passwords)
    print(f"provision: roles and schemas ready for {', '.join(SERVICES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
