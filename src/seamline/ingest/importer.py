"""Import historical device events (scans, badges, inspections, downtime, states, ...) from a JSONL
or CSV file, through ingest's own checks, so that they become production records like live ones.

Each row is one event as docs/telemetry.md describes it, plus the ``device`` that sent it:

- JSONL: one object per line, ``{"device": "L01-BUNDLESCANNER01", "ts": 1793606400000, "type":
  "scan", "bundle": ..., "operation": ..., "operator": ..., "workstation": ..., "pieces": 20}``.
- CSV: a header row with ``device``, ``ts`` and ``type`` and the event's fields as further
  columns; an empty cell is an absent field; ``ts`` is milliseconds since the Unix epoch or an ISO
  8601 time with its offset; ``pieces``, ``checked``, ``defective`` and ``code`` are whole numbers,
  ``duration_s`` a number, ``defects`` a JSON list.

Every row becomes one message of its device with boot ``2**40 + crc32(file)`` and the row's line
number as sequence number: importing the same file twice stores it once (duplicates), and an
imported row never collides with a device's own messages. ``dry_run`` checks every row and
reports each bad one with its line number, changing nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from seamline.ingest.decode import decode_message
from seamline.ingest.rejection import RejectedMessage
from seamline.model.factory import Factory

IMPORT_BOOT_BASE: Final = 1 << 40
_WHOLE: Final = frozenset({"pieces", "checked", "defective", "code"})
_NUMBER: Final = frozenset({"duration_s"})
_JSON: Final = frozenset({"defects"})


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str
    message: str
    field: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What an import found (and, unless a dry run, stored)."""

    path: str
    rows: int = 0
    bad: list[BadRow] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)
    stored: int = 0
    duplicates: int = 0
    dry_run: bool = False

    @property
    def valid(self) -> int:
        return self.rows - len(self.bad)


def check_file(
    path: Path, factory: Factory, *, now_ms: int, progress: Callable[[int], None] | None = None
) -> tuple[ImportReport, list[dict[str, Any]]]:
    """Read and check every row; the messages of the valid rows, and the report."""
    data = path.read_bytes()
    boot = IMPORT_BOOT_BASE + zlib.crc32(data)
    report = ImportReport(str(path))
    messages: list[dict[str, Any]] = []
    for line, row in _rows(path, data.decode("utf-8-sig"), report):
        report.rows += 1
        if progress is not None and report.rows % 10_000 == 0:
            progress(report.rows)
        device, ts = row.pop("device", None), row.get("ts")
        message = {"device": device, "seq": line, "boot": boot, "sent_ts": ts, "events": [row]}
        try:
            decode_message(message, factory, received_ts_ms=now_ms)
        except RejectedMessage as exc:
            report.bad.append(BadRow(line, exc.reason, exc.message, exc.field))
            continue
        report.by_type[str(row.get("type"))] += 1
        messages.append(message)
    return report, messages


def _rows(path: Path, text: str, report: ImportReport) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        for n, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                report.rows += 1
                report.bad.append(BadRow(n, "malformed_json", f"not JSON ({exc.msg})"))
                continue
            if not isinstance(obj, dict):
                report.rows += 1
                report.bad.append(BadRow(n, "invalid_message", "must be an object"))
                continue
            yield n, obj
    elif suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = {"device", "ts", "type"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: the header lacks {', '.join(sorted(missing))}")
        for row in reader:
            n = reader.line_num
            try:
                yield n, _typed(row)
            except ValueError as exc:
                report.rows += 1
                report.bad.append(BadRow(n, "invalid_message", str(exc)))
    else:
        raise ValueError(f"{path}: import reads .jsonl, .ndjson or .csv files, not {suffix or 'no suffix'}")


def _typed(row: dict[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, cell in row.items():
        if key is None or cell is None or cell == "":
            continue
        if key == "ts":
            out[key] = _ts(cell)
        elif key in _WHOLE:
            out[key] = _int(key, cell)
        elif key in _NUMBER:
            out[key] = float(cell)
        elif key in _JSON:
            try:
                out[key] = json.loads(cell)
            except json.JSONDecodeError:
                raise ValueError(f"{key}: not JSON: {cell[:40]!r}") from None
        else:
            out[key] = cell
    return out


def _int(key: str, cell: str) -> int:
    try:
        return int(cell)
    except ValueError:
        raise ValueError(f"{key}: not a whole number: {cell!r}") from None


def _ts(cell: str) -> int:
    if cell.lstrip("-").isdigit():
        return int(cell)
    try:
        when = dt.datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"ts: neither milliseconds nor an ISO 8601 time: {cell!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"ts: an ISO 8601 time needs its offset (e.g. Z or +06:00): {cell!r}")
    return int(when.timestamp() * 1000)


__all__ = ["IMPORT_BOOT_BASE", "BadRow", "ImportReport", "check_file"]
