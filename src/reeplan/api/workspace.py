"""What the server keeps loaded: the bundled dataset, its chains and simulation network, overlays.

Everything is built once, on first use (or at start-up with ``preload``), under a lock, and
shared read-only by requests and jobs. Uploaded overlays live in the server's data folder under
an id the server chose; clients name them by that id, never by a path.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from reeplan.chain import SupplyChain, build_chain
from reeplan.errors import DataError, Problem, ReeError
from reeplan.io.dataset import Dataset
from reeplan.io.readers import load_dataset
from reeplan.sim.network import Network
from reeplan.workflows.simulate import build_sim_network

__all__ = ["OVERLAY_ID", "UnknownOverlayError", "Workspace"]

OVERLAY_ID = r"^[0-9a-f]{16}$"
_CSV_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\.csv$")


class UnknownOverlayError(ReeError):
    """No uploaded overlay has this id."""


class Workspace:
    """The loaded dataset and what is derived from it, built lazily and cached."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}
        self._recent: OrderedDict[str, Any] = OrderedDict()

    def _cached(self, key: str, build: Any) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def recent(self, key: str, build: Any, size: int = 64) -> Any:
        """``build()`` cached among the ``size`` most recently used keys (rendered views)."""
        with self._lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return self._recent[key]
        value = build()
        with self._lock:
            self._recent[key] = value
            while len(self._recent) > size:
                self._recent.popitem(last=False)
        return value

    @property
    def ready(self) -> bool:
        """Whether the dataset and chain are loaded."""
        return "chain" in self._cache

    def dataset(self, overlay: str | None = None) -> Dataset:
        """The bundled dataset, with an uploaded overlay applied when ``overlay`` is given."""
        if overlay is None:
            return self._cached("dataset", lambda: load_dataset(None, []))
        folder = self.overlay_dir(overlay)
        return self._cached(f"dataset:{overlay}", lambda: load_dataset(None, [folder]))

    def chain(self, overlay: str | None = None) -> SupplyChain:
        """The supply chain of the (overlaid) dataset."""
        key = "chain" if overlay is None else f"chain:{overlay}"
        return self._cached(key, lambda: build_chain(self.dataset(overlay)))

    def network(self, overlay: str | None = None) -> Network:
        """The simulation network of the (overlaid) dataset."""
        key = "network" if overlay is None else f"network:{overlay}"
        return self._cached(key, lambda: build_sim_network(self.dataset(overlay)))

    def exposure(self, year: int, element: str | list[str]) -> tuple[list[str], Any]:
        """The elements and US exposure table (by element and stage) of the bundled dataset,
        cached per year and selection: the table of :func:`reeplan.workflows.exposure`, without
        the criticality indices (slow, and not shown by the API).

        Raises
        ------
        ReeError
            A year without chain data or an unknown element or group.
        """
        from reeplan.indicators.exposure import exposure_table
        from reeplan.workflows.exposure import check_elements, check_year

        check_year(year)
        chain = self.chain()
        elements = check_elements(chain, element)
        key = f"exposure:{year}:{','.join(elements)}"
        return elements, self._cached(key, lambda: exposure_table(chain, year, ("CHN",),
                                                                  elements))

    def validation(self) -> Any:
        """The validation table of the bundled dataset (cached)."""
        from reeplan.indicators.validation import validation_table

        return self._cached("validation", lambda: validation_table(self.dataset(), self.chain()))

    def preload(self) -> None:
        """Build the dataset, chain and simulation network now (and import the figure code, so
        that the first chart is not slow)."""
        import reeplan.brief.plots  # noqa: F401

        self.chain()
        self.network()

    # -- overlays ----------------------------------------------------------------------------

    def overlay_dir(self, overlay: str) -> Path:
        """The folder of uploaded overlay ``overlay``.

        Raises
        ------
        UnknownOverlayError
            When there is no such overlay.
        """
        if not re.fullmatch(OVERLAY_ID, overlay):
            msg = f"overlay id must be 16 hexadecimal digits, not {overlay!r}"
            raise UnknownOverlayError(msg)
        folder = self.data_dir / "overlays" / overlay
        if not folder.is_dir():
            msg = f"no uploaded overlay with id {overlay!r}"
            raise UnknownOverlayError(msg)
        return folder

    def add_overlay(self, files: list[tuple[str, bytes]]) -> tuple[str, Dataset]:
        """Validate uploaded CSV files exactly like ``--overlay`` and keep them.

        The files are written to a fresh temporary folder and loaded with
        ``load_dataset(None, [folder])``; only when that succeeds is the folder moved under the
        server's data folder with a new id.

        Raises
        ------
        DataError
            Listing every problem (file, row, field), as ``reeplan data check`` does.
        """
        problems = []
        if not files:
            problems.append(Problem("<upload>", None, None, "no files were uploaded"))
        names = set()
        for name, _ in files:
            base = Path(name or "").name
            if not _CSV_NAME.fullmatch(base):
                problems.append(Problem(base or "<upload>", None, None,
                                        "an overlay file must be a table's CSV file, named like "
                                        "facilities.csv (lower case, .csv)"))
            elif base in names:
                problems.append(Problem(base, None, None, "uploaded twice"))
            names.add(base)
        if problems:
            raise DataError(problems, "invalid overlay upload")
        root = self.data_dir / "overlays"
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
        try:
            for name, content in files:
                (tmp / Path(name).name).write_bytes(content)
            ds = load_dataset(None, [tmp])
            oid = secrets.token_hex(8)
            final = root / oid
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        ds = self._cached(f"dataset:{oid}", lambda: load_dataset(None, [final]))
        return oid, ds

    def overlay_tables(self, overlay: str) -> dict[str, Any]:
        """The overlay's rows as read (table name -> DataFrame), for recording with a run."""
        import pandas as pd

        folder = self.overlay_dir(overlay)
        return {f"overlay.{p.stem}": pd.read_csv(p, dtype=str, keep_default_na=False)
                for p in sorted(folder.glob("*.csv"))}
