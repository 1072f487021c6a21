"""The shift report: a production manager's view of one shift, as CSV, XLSX or PDF.

:func:`read_ledger` rebuilds the production records from a store opened read-only (as the
running service does at start); :func:`build_shift_report` computes the figures;
:data:`WRITERS` holds one writer per format.

>>> default_filename(__import__("datetime").date(2026, 11, 2), 1, "L01", "pdf")
'shift-report-2026-11-02-S1-L01.pdf'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Final

from seamline.model.factory import Factory
from seamline.production.downtime import DEFAULT_THRESHOLD_S
from seamline.production.engine import replay_stored
from seamline.production.ledger import ProductionLedger
from seamline.production.report.build import (
    Figures,
    HourRow,
    LineReport,
    OperatorRow,
    ShiftReport,
    build_shift_report,
)
from seamline.production.report.csv_out import write_csv
from seamline.production.report.pdf_out import write_pdf
from seamline.production.report.xlsx_out import write_xlsx
from seamline.store.select import store_for

WRITERS: Final[dict[str, Callable[[ShiftReport, Path], None]]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "pdf": write_pdf,
}


def read_ledger(
    factory: Factory, spec: str | Path, *, downtime_threshold_s: float = DEFAULT_THRESHOLD_S
) -> ProductionLedger:
    """The production ledger of the store ``spec`` (a DuckDB file or a PostgreSQL URL), opened
    read-only: every stored production event applied oldest first, as the service does (give it
    the service's ``downtime_threshold_s`` to see the same unassigned stops)."""
    store = store_for(spec, read_only=True)
    store.open(factory)
    try:
        ledger = ProductionLedger(factory, downtime_threshold_s=downtime_threshold_s)
        replay_stored(ledger, store)
    finally:
        store.close()
    return ledger


def default_filename(date: dt.date, shift: int, line_id: str | None, fmt: str) -> str:
    """``shift-report-<date>-S<shift>[-<line>].<ext>``."""
    line = f"-{line_id}" if line_id else ""
    return f"shift-report-{date.isoformat()}-S{shift}{line}.{fmt}"


__all__ = [
    "WRITERS",
    "Figures",
    "HourRow",
    "LineReport",
    "OperatorRow",
    "ShiftReport",
    "build_shift_report",
    "default_filename",
    "read_ledger",
]
