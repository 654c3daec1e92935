"""Tables of the run store (SQLAlchemy 2 declarative).

The schema itself is created and changed only by the Alembic migrations in
``reeplan/store/migrations/versions``; these classes describe it for queries, and a test checks
that they and the migrations agree.

Tables
------
``runs``
    One row per run: status, timestamps, command and options, dataset provenance, code version,
    seed, error message and per-step timings.
``run_results``
    Result tables of a succeeded run, one row per table, serialised as JSON records.
``run_metrics``
    Headline numbers of a succeeded run (``key``, ``value``, ``unit``, ``label``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["RUN_STATUSES", "SHOWN_STATUSES", "Base", "RunMetricRow", "RunResultRow", "RunRow"]

RUN_STATUSES = ("running", "succeeded", "failed")
"""Allowed values of ``runs.status``."""
SHOWN_STATUSES = (*RUN_STATUSES, "stale")
"""Statuses a reader sees: ``stale`` is a ``running`` run whose heartbeat is older than the
lease (its process died or lost the store)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON column that stores Python ``None`` as SQL NULL rather than JSON ``null``.
JSONType = JSON(none_as_null=True)


class Base(DeclarativeBase):
    """Declarative base of the run-store tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    """One run of a reeplan command."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
        Index("ix_runs_started_at", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """UUID4 in its canonical 36-character text form."""
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    command: Mapped[str] = mapped_column(String(200), nullable=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    """Run options as given (budget, scenarios, samples, seed, data, overlay, ...)."""
    dataset_digest: Mapped[str] = mapped_column(String(128), nullable=False)
    dataset_paths: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    """Dataset folder and overlay folders, in load order."""
    code_version: Mapped[str] = mapped_column(String(100), nullable=False)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    timings: Mapped[dict[str, float] | None] = mapped_column(JSONType)
    """Seconds per pipeline step."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Last sign of life of a running run (its process updates it every few seconds); a
    running run whose heartbeat is older than the lease is shown as ``stale``."""


class RunResultRow(Base):
    """One result table of a run, as ``{"columns", "dtypes", "index", "records"}`` JSON."""

    __tablename__ = "run_results"

    run_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)


class RunMetricRow(Base):
    """One headline number of a run."""

    __tablename__ = "run_metrics"

    run_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    """``None`` (SQL NULL) when the number is undefined (NaN)."""
    unit: Mapped[str | None] = mapped_column(String(50))
    label: Mapped[str | None] = mapped_column(String(300))
