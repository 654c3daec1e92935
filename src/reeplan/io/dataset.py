"""The loaded, validated dataset: one pandas table per CSV file, with row provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["Dataset"]

ORIGIN_FILE = "_file"
ORIGIN_ROW = "_row"


@dataclass(frozen=True)
class Dataset:
    """Validated tables of a dataset (after overlays), keyed by table name.

    Each table keeps two provenance columns, ``_file`` and ``_row``: the CSV file and the 1-based
    data row each row was read from, so later checks can name where a bad value came from.

    Attributes
    ----------
    tables
        Table name -> DataFrame indexed by ``id``.
    paths
        The dataset folder and overlay folders, in load order.
    digest
        SHA-256 over the bytes of every file read, in load order (run provenance).
    """

    tables: dict[str, pd.DataFrame]
    paths: tuple[Path, ...] = ()
    digest: str = ""
    files: tuple[str, ...] = field(default=())

    def __getitem__(self, name: str) -> pd.DataFrame:
        """Return table ``name`` without the provenance columns."""
        return self.tables[name].drop(columns=[ORIGIN_FILE, ORIGIN_ROW])

    def __contains__(self, name: str) -> bool:
        """Whether the dataset has table ``name``."""
        return name in self.tables

    def origin(self, name: str, row_id: str) -> tuple[str, int]:
        """File and 1-based row that row ``row_id`` of table ``name`` was read from."""
        row = self.tables[name].loc[row_id]
        return str(row[ORIGIN_FILE]), int(row[ORIGIN_ROW])


def digest_files(paths: list[Path]) -> str:
    """SHA-256 over the names and bytes of ``paths``, in order."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()
