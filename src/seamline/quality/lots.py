"""Final inspection lots (AQL, ISO 2859-1) and the switching state of each stream of lots.

A lot's record is an ``aql_lot`` event of Seamline's own pseudo-device ``_orders``, stored through
ingest like an order: the store keeps every lot, and the switching state of each stream (a line
and style, say) is what its lots make of it, replayed in the order they were judged. A lot is
judged on the plan of the inspection its stream is on (normal, tightened or reduced); the record
carries that inspection, so replaying it gives the same plan, verdict and state.

>>> book = LotBook()
>>> for i, found in enumerate((0, 4, 0, 5)):  # J, n 80, Ac 3 (AQL 1.5): the 2nd and 4th fail
...     lot = book.apply(i, {"lot": f"L{i}", "stream": "L01/TS-01", "lot_size": 1000, "level": "II",
...                          "aql": "1.5", "inspection": "normal", "nonconforming": found})
>>> lot is not None and lot.verdict.accepted, book.state("L01/TS-01").inspection.value
(False, 'tightened')
>>> book.plan("L01/TS-01", 1000, "II", "1.5").accept  # tightened: Ac 2
2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from seamline.quality.aql import LotVerdict, SamplingPlan, judge, parse_inspection, single_plan
from seamline.quality.errors import SwitchingError
from seamline.quality.switching import SwitchingState
from seamline.timeutil import ms_to_iso

AQL_LOT: Final = "aql_lot"


@dataclass(frozen=True, slots=True)
class LotRecord:
    """One lot judged on original inspection, and what it did to its stream."""

    lot: str
    stream: str
    ts_ms: int
    verdict: LotVerdict
    after: SwitchingState  # the stream's state once this lot counted
    line: str | None = None
    style: str | None = None
    order: str | None = None
    by: str | None = None

    @property
    def plan(self) -> SamplingPlan:
        return self.verdict.plan

    def same_lot(self, data: Mapping[str, Any]) -> bool:
        """Whether ``data`` says what this record says (a lot sent again, from an outbox say)."""
        v = self.verdict
        return (
            data.get("stream") == self.stream
            and data.get("lot_size") == v.plan.lot_size
            and str(data.get("level")) == v.plan.level.value
            and str(data.get("aql")) == v.plan.aql
            and data.get("nonconforming") == v.nonconforming
        )


class LotBook:
    """Every lot and the switching state of every stream, built from ``aql_lot`` events in order."""

    def __init__(self) -> None:
        self.lots: list[LotRecord] = []
        self._by_id: dict[str, LotRecord] = {}
        self._streams: dict[str, SwitchingState] = {}

    @classmethod
    def replay(cls, events: Iterable[tuple[int, Mapping[str, Any]]]) -> LotBook:
        """A book from stored ``(ts_ms, data)`` of ``aql_lot`` events, oldest first."""
        book = cls()
        for ts_ms, data in events:
            book.apply(ts_ms, data)
        return book

    def state(self, stream: str) -> SwitchingState:
        """Where ``stream`` stands; a new stream starts on normal inspection (ISO 2859-1 9.2)."""
        return self._streams.get(stream) or SwitchingState(stream)

    @property
    def streams(self) -> list[SwitchingState]:
        return [self._streams[s] for s in sorted(self._streams)]

    def get(self, lot: str) -> LotRecord | None:
        return self._by_id.get(lot)

    def plan(self, stream: str, lot_size: int, level: str, aql: str) -> SamplingPlan:
        """The plan the next lot of ``stream`` is judged on."""
        return single_plan(lot_size, level, aql, self.state(stream).inspection)

    def check(self, data: Mapping[str, Any]) -> tuple[SamplingPlan, LotVerdict, SwitchingState]:
        """Judge a new lot without keeping it. Raises :class:`SwitchingError` for a lot id already
        judged, and :class:`InspectionDiscontinuedError` for a stream whose sampling stopped."""
        if data["lot"] in self._by_id:
            raise SwitchingError(
                data["stream"], f"lot {data['lot']!r} is already judged", reason="lot_judged"
            )
        state = self.state(data["stream"])
        plan = single_plan(
            int(data["lot_size"]), str(data["level"]), str(data["aql"]), parse_inspection(data["inspection"])
        )
        verdict = judge(plan, int(data["nonconforming"]))
        return plan, verdict, state.update(verdict)

    def apply(self, ts_ms: int, data: Mapping[str, Any]) -> LotRecord | None:
        """Keep one lot and move its stream on; a ``resume`` (``action``) restarts a discontinued
        stream on tightened inspection and keeps no lot."""
        if data.get("action") == "resume":
            state = self.state(data["stream"]).resume()
            self._streams[state.stream] = state
            return None
        _, verdict, after = self.check(data)
        record = LotRecord(
            lot=str(data["lot"]),
            stream=str(data["stream"]),
            ts_ms=ts_ms,
            verdict=verdict,
            after=after,
            line=data.get("line"),
            style=data.get("style"),
            order=data.get("order"),
            by=data.get("by"),
        )
        self.lots.append(record)
        self._by_id[record.lot] = record
        self._streams[record.stream] = after
        return record


def stream_json(state: SwitchingState) -> dict[str, Any]:
    """A stream's switching state as the API prints it."""
    return {
        "stream": state.stream,
        "inspection": state.inspection.value,
        "lots": state.lots,
        "switching_score": state.switching_score,
        "consecutive_accepted": state.consecutive_accepted,
        "not_accepted_on_tightened": state.not_accepted_on_tightened,
        "discontinued": state.discontinued,
        "last_change": state.change,
    }


def lot_json(record: LotRecord) -> dict[str, Any]:
    """A lot's record as the API prints it."""
    return {
        "lot": record.lot,
        "stream": record.stream,
        "judged": ms_to_iso(record.ts_ms),
        "line": record.line,
        "style": record.style,
        "order": record.order,
        "by": record.by,
        "plan": record.plan.as_dict(),
        "nonconforming": record.verdict.nonconforming,
        "accepted": record.verdict.accepted,
        "stream_after": stream_json(record.after),
    }


__all__ = ["AQL_LOT", "LotBook", "LotRecord", "lot_json", "stream_json"]
