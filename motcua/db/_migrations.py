"""Versioned SQL migrations with yoyo, run as the service's own role.

Each service keeps its migrations in ``services/<name>/migrations``; yoyo's bookkeeping
tables land in the role's own schema (its search_path), so services never share them.
yoyo takes a database lock, so several workers starting at once migrate once.
"""

from __future__ import annotations

from pathlib import Path

from yoyo import get_backend, read_migrations

_SERVICES_ROOT = Path(__file__).resolve().parents[2] / "services"


def migrations_dir(service: str) -> Path:
    return _SERVICES_ROOT / service / "migrations"


def _yoyo_url(database_url: str) -> str:
    scheme, rest = database_url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def apply_migrations(database_url: str, directory: Path) -> list[str]:
    """Apply the pending migrations of ``directory``; return the ids applied."""
    backend = get_backend(_yoyo_url(database_url))
    migrations = read_migrations(str(directory))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [migration.id for migration in pending]
