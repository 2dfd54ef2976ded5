"""Typed settings shared by every service, read from the environment.

Each service subclasses :class:`ServiceSettings` with its own fields. Names are the
environment variables upper-cased (``kafka_bootstrap_servers`` ← ``KAFKA_BOOTSTRAP_SERVERS``),
so docker-compose, the local stack and docs/settings.md all speak the same words.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ServiceSettings(BaseSettings):
    """What every service needs: where Kafka and PostgreSQL are, where to listen, how to log."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    database_url: str = Field(
        default="postgresql://127.0.0.1:5432/motcua",
        description="PostgreSQL connection URL of this service's own role.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    http_port: int = Field(default=8000, ge=1, le=65535, description="HTTP port.")
    http_workers: int = Field(
        default=1,
        ge=1,
        description="HTTP server processes (FastAPI services; one per core is a good start).",
    )
    log_level: LogLevel = Field(default="INFO", description="Minimum level of the JSON logs.")
    migrate_on_start: bool = Field(
        default=True,
        description="Apply the service's pending migrations before serving (yoyo takes a lock).",
    )
    readiness_timeout_s: float = Field(
        default=3.0, gt=0, description="Timeout of each dependency check behind /readyz."
    )
