"""Run heartbeat: ``runs.heartbeat_at``, the last time a running run's process was alive.

A run whose heartbeat is older than its lease is shown as ``stale`` (its process died or lost
the store), never ``running`` forever.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``runs.heartbeat_at`` (NULL for runs recorded before it existed)."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop ``runs.heartbeat_at``."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_at")
