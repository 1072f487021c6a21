"""Import historical device events (scans, badges, inspections, downtime, states, ...), orders and
cut bundles from a JSONL or CSV file, through ingest's own checks, so that they become production
records like live ones.

Each row is one event as docs/telemetry.md describes it, plus the ``device`` that sent it:

- JSONL: one object per line, ``{"device": "L01-BUNDLESCANNER01", "ts": 1793606400000, "type":
  "scan", "bundle": ..., "operation": ..., "operator": ..., "workstation": ..., "pieces": 20}``.
- CSV: a header row with ``device``, ``ts`` and ``type`` and the event's fields as further
  columns; an empty cell is an absent field; ``ts`` is milliseconds since the Unix epoch or an ISO
  8601 time with its offset; ``pieces``, ``checked``, ``defective`` and ``code`` are whole numbers,
  ``duration_s`` a number, ``defects`` a JSON list.

Orders and bundles are rows of ``type`` ``order`` and ``bundle`` with the fields of those events
(docs/telemetry.md, "Orders and bundles"); their ``device`` is ``_orders`` unless a row names
another, their ``ts`` the time of the import unless given, an order's ``action`` ``create`` unless
given. An order row may give its quantities flat, as ``colour``, ``size`` and ``quantity``: rows
with the same ``order``, ``action`` and ``ts`` make one order, so that a CSV file has one row per
order x colour x size::

    type,ts,order,style,due,priority,line,bundle_size,colour,size,quantity,bundle
    order,,PO-25001,POLO-01,2026-12-20,2,L01,20,navy,M,120,
    order,,PO-25001,POLO-01,2026-12-20,2,L01,20,navy,L,80,
    bundle,,PO-25001,,,,,,navy,L,20,PO-25001-X01

In CSV, ``priority``, ``bundle_size`` and ``quantity`` are whole numbers, ``quantities`` and
``bundles`` JSON. A check passed as ``check_order`` (the command line passes production's orders,
as the store and the file so far make them) refuses what ingest cannot know: an order that exists
already, a bundle of an unknown order, a ticket used twice.

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

from seamline.errors import SeamlineError
from seamline.ingest.decode import decode_message
from seamline.ingest.rejection import RejectedMessage
from seamline.model.factory import Factory
from seamline.telemetry import ORDER_EVENTS, ORDERS_DEVICE

IMPORT_BOOT_BASE: Final = 1 << 40
_WHOLE: Final = frozenset({"pieces", "checked", "defective", "code", "priority", "bundle_size", "quantity"})
_NUMBER: Final = frozenset({"duration_s"})
_JSON: Final = frozenset({"defects", "quantities", "bundles"})
_FLAT: Final = ("colour", "size", "quantity")  # an order row's share of the quantity matrix
_Rows = list[tuple[list[int], dict[str, Any]]]  # the line numbers an event is read from, and it


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
    path: Path,
    factory: Factory,
    *,
    now_ms: int,
    progress: Callable[[int], None] | None = None,
    check_order: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[ImportReport, list[dict[str, Any]]]:
    """Read and check every row; the messages of the valid rows, and the report (bad rows by line).
    ``check_order(event)`` is called with each valid ``order`` and ``bundle`` event in file order
    and raises a :class:`~seamline.errors.SeamlineError` to refuse it."""
    data = path.read_bytes()
    boot = IMPORT_BOOT_BASE + zlib.crc32(data)
    report = ImportReport(str(path))
    messages: list[dict[str, Any]] = []
    for lines, row in _merged(_rows(path, data.decode("utf-8-sig"), report), report):
        report.rows += len(lines)
        if progress is not None and report.rows % 10_000 < len(lines):
            progress(report.rows)
        if row.get("type") in ORDER_EVENTS:
            row.setdefault("device", ORDERS_DEVICE)
            row.setdefault("ts", now_ms)
        device, ts = row.pop("device", None), row.get("ts")
        message = {"device": device, "seq": lines[0], "boot": boot, "sent_ts": ts, "events": [row]}
        try:
            decode_message(message, factory, received_ts_ms=now_ms)
            if check_order is not None and row["type"] in ORDER_EVENTS:
                check_order(row)
        except SeamlineError as exc:
            field = exc.field if isinstance(exc, RejectedMessage) else None
            report.bad.append(BadRow(lines[0], exc.reason, exc.message, field))
            report.bad.extend(
                BadRow(n, exc.reason, f"part of order {row.get('order')!r}, refused on line {lines[0]}")
                for n in lines[1:]
            )
            continue
        report.by_type[str(row.get("type"))] += len(lines)
        messages.append(message)
    report.bad.sort(key=lambda b: b.line)
    return report, messages


def _merged(rows: Iterator[tuple[int, dict[str, Any]]], report: ImportReport) -> _Rows:
    """One event per row, but one order for the rows with the same order, action and ts, its
    quantity matrix made of theirs (flat or not); in the order of each event's first row."""
    out: _Rows = []
    orders: dict[tuple[str, str, str], tuple[list[int], dict[str, Any]]] = {}
    for line, row in rows:
        if row.get("type") != "order":
            out.append(([line], row))
            continue
        row.setdefault("action", "create")
        key = (str(row.get("order")), str(row.get("action")), str(row.get("ts")))
        group = orders.get(key)
        problem = _merge(group, row)
        if problem is not None:
            report.rows += 1
            report.bad.append(BadRow(line, "invalid_message", problem))
        elif group is None:
            orders[key] = ([line], row)
            out.append(orders[key])
        else:
            group[0].append(line)
    return out


def _merge(group: tuple[list[int], dict[str, Any]] | None, row: dict[str, Any]) -> str | None:
    """Fold an order row into the order it continues (``group``: its lines and event so far; None
    for the first row, which becomes the event); what is wrong with it, or None."""
    flat = {k: row.pop(k) for k in _FLAT if k in row}
    event = row if group is None else group[1]
    if group is not None:
        for key, value in row.items():
            if key != "quantities" and event.setdefault(key, value) != value:
                return f"{key}: {value!r} here, {event[key]!r} on line {group[0][0]} for the same order"
        nested = row.get("quantities") or {}
        if not isinstance(nested, dict) or not all(isinstance(v, dict) for v in nested.values()):
            return "quantities: colour -> size -> pieces"
        for colour, sizes in nested.items():
            for size, n in sizes.items():
                problem = _add_quantity(event, colour, size, n)
                if problem:
                    return problem
    if not flat:
        return None
    if len(flat) < len(_FLAT):
        return "an order row gives colour, size and quantity together"
    return _add_quantity(event, flat["colour"], flat["size"], flat["quantity"])


def _add_quantity(event: dict[str, Any], colour: Any, size: Any, n: Any) -> str | None:
    quantities = event.setdefault("quantities", {})
    if not isinstance(quantities, dict) or not isinstance(colour, str) or not isinstance(size, str):
        return "quantities: colour -> size -> pieces, with colour and size as text"
    sizes = quantities.setdefault(colour, {})
    if not isinstance(sizes, dict) or size in sizes:
        return f"colour {colour!r} size {size!r} is given twice for order {event.get('order')!r}"
    sizes[size] = n
    return None


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
        if "type" not in (reader.fieldnames or ()):
            raise ValueError(f"{path}: the header lacks type")
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
