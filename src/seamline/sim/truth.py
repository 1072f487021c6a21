"""Ground truth of the simulated floor, for tests and for checking what the platform computes.

The floor writes into a :class:`TruthLedger` as things happen; :meth:`TruthLedger.snapshot` gives a
frozen :class:`FloorTruth` copy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Attendance:
    """Who came to a line on one shift, and where they sat (operator id -> workstation id)."""

    line_id: str
    shift: int  # 0 = the shift in progress (or next) at the simulation start
    begin_s: float
    present: tuple[str, ...]
    absent: tuple[str, ...]
    seated: Mapping[str, str] = field(hash=False)


@dataclass(frozen=True, slots=True)
class WipBundle:
    """A bundle already in a line when the simulation started, and the work done on it before.

    ``done`` are the operations finished before the run; ``started`` maps an operation not finished
    to the pieces of it sewn before the run (a bundle left part-sewn at yesterday's shift end). That
    work is not counted in ``pieces_by_operation``, and finished operations are not scanned again; the
    scan of a started operation, at its end, covers the whole bundle.
    """

    line_id: str
    bundle_id: str
    pieces: int
    done: frozenset[str]  # operation ids
    started: Mapping[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class InspectionTotals:
    inspections: int
    checked: int
    defective: int
    defects: int

    @property
    def dhu(self) -> float:
        """Defects per hundred units (apparel-domain.md 2.4)."""
        return 100.0 * self.defects / self.checked if self.checked else 0.0

    @property
    def defective_pct(self) -> float:
        return 100.0 * self.defective / self.checked if self.checked else 0.0


@dataclass(frozen=True, slots=True)
class FloorTruth:
    """What really happened on the floor up to ``at_s`` simulated seconds.

    ``pieces_by_line`` counts finished garments (a bundle's last operation done in the run, bundles of
    ``wip_at_start`` included). ``pieces_by_operation`` (keyed by ``(line_id, operation_id)``) and
    ``pieces_by_operator`` count pieces sewn in the run only. ``bundles_released`` counts bundles fed
    into a line during the run and ``wip_at_start`` the ones already in it at its first shift
    (``SimConfig.initial_wip``), so a line holds its ``wip_at_start`` + ``bundles_released`` -
    ``bundles_done`` bundles. ``state_s`` gives per device the seconds spent in each
    ``MachineState`` value (``"off"``, ``"idle"``, ``"running"``, ``"fault"``) and ``state`` the one it
    is in at ``at_s``; ``inspections`` is keyed by ``(line_id, kind)`` with kind ``inline`` /
    ``end_of_line``. ``scanned_by_operator`` and ``scanned_by_operation`` count the pieces the bundle
    scans report (a scan covers its whole bundle when the operation is finished, so they lag the
    pieces sewn by the bundles in progress, and include pieces of a started bundle sewn before the
    run). ``reported_inspections`` are the inspections whose results the quality tablet has sent
    by ``at_s`` (a result is entered a few minutes after the check). ``downtime_s`` gives the seconds
    of the stops the floor reports (``downtime`` events), keyed by ``(workstation_id, reason)``; a stop
    still going at ``at_s`` counts up to it.
    """

    at_s: float
    pieces_by_line: Mapping[str, int] = field(hash=False)
    pieces_by_operation: Mapping[tuple[str, str], int] = field(hash=False)
    pieces_by_operator: Mapping[str, int] = field(hash=False)
    bundles_done: Mapping[str, int] = field(hash=False)
    bundles_released: Mapping[str, int] = field(hash=False)
    scans: int
    breakdowns: int
    changeovers: tuple[tuple[str, float, str], ...]  # (line, at_s, new style)
    inspections: Mapping[tuple[str, str], InspectionTotals] = field(hash=False)
    attendance: tuple[Attendance, ...]
    state_s: Mapping[str, Mapping[str, float]] = field(hash=False)
    wip_at_start: tuple[WipBundle, ...] = ()
    reported_inspections: Mapping[tuple[str, str], InspectionTotals] = field(default_factory=dict, hash=False)
    scanned_by_operator: Mapping[str, int] = field(default_factory=dict, hash=False)
    scanned_by_operation: Mapping[tuple[str, str], int] = field(default_factory=dict, hash=False)
    state: Mapping[str, str] = field(default_factory=dict, hash=False)
    downtime_s: Mapping[tuple[str, str], float] = field(default_factory=dict, hash=False)
    pieces_by_order: Mapping[str, int] = field(default_factory=dict, hash=False)
    order_done_s: Mapping[str, float] = field(default_factory=dict, hash=False)  # last bundle finished
    earned_min_by_line: Mapping[str, float] = field(default_factory=dict, hash=False)  # pieces x SAM


class TruthLedger:
    """Mutable counters the floor model updates; not part of the public API."""

    def __init__(self) -> None:
        self.pieces_by_line: Counter[str] = Counter()
        self.pieces_by_operation: Counter[tuple[str, str]] = Counter()
        self.pieces_by_operator: Counter[str] = Counter()
        self.bundles_done: Counter[str] = Counter()
        self.bundles_released: Counter[str] = Counter()
        self.scans = 0
        self.scanned_by_operator: Counter[str] = Counter()
        self.scanned_by_operation: Counter[tuple[str, str]] = Counter()
        self.breakdowns = 0
        self.changeovers: list[tuple[str, float, str]] = []
        self.inspections: dict[tuple[str, str], list[int]] = {}
        self.reported_inspections: dict[tuple[str, str], list[int]] = {}
        self.attendance: list[Attendance] = []
        self.wip_at_start: list[WipBundle] = []
        self.downtime_s: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._stops: dict[tuple[str, str], float] = {}
        self.pieces_by_order: Counter[str] = Counter()
        self.order_done_s: dict[str, float] = {}
        self.order_quantity: dict[str, int] = {}  # of the orders a line has loaded
        self.earned_min_by_line: defaultdict[str, float] = defaultdict(float)

    def bundle_finished(self, order_id: str, pieces: int, at_s: float) -> None:
        """A bundle's last operation is done: its garments count for its order, which is done once
        all its pieces are (the bundles of ``wip_at_start`` included)."""
        self.pieces_by_order[order_id] += pieces
        wanted = self.order_quantity.get(order_id)
        if (
            wanted is not None
            and self.pieces_by_order[order_id] >= wanted
            and order_id not in self.order_done_s
        ):
            self.order_done_s[order_id] = at_s

    def stop_began(self, workstation: str, reason: str, at_s: float) -> None:
        """A reported stop (``downtime`` event) of one workstation began."""
        self._stops[(workstation, reason)] = at_s

    def stop_ended(self, workstation: str, reason: str, at_s: float) -> None:
        """The stop ended: its seconds count for its workstation and reason."""
        began = self._stops.pop((workstation, reason))
        self.downtime_s[(workstation, reason)] += at_s - began

    def inspected(
        self, line_id: str, kind: str, checked: int, defective: int, defects: int, *, reported: bool = False
    ) -> None:
        """An inspection done (or, with ``reported``, its result sent by the quality tablet)."""
        table = self.reported_inspections if reported else self.inspections
        tot = table.setdefault((line_id, kind), [0, 0, 0, 0])
        tot[0] += 1
        tot[1] += checked
        tot[2] += defective
        tot[3] += defects

    def snapshot(
        self, at_s: float, state_s: Mapping[str, Mapping[str, float]], state: Mapping[str, str]
    ) -> FloorTruth:
        return FloorTruth(
            at_s=at_s,
            pieces_by_line=dict(self.pieces_by_line),
            pieces_by_operation=dict(self.pieces_by_operation),
            pieces_by_operator=dict(self.pieces_by_operator),
            bundles_done=dict(self.bundles_done),
            bundles_released=dict(self.bundles_released),
            scans=self.scans,
            breakdowns=self.breakdowns,
            changeovers=tuple(self.changeovers),
            inspections={k: InspectionTotals(*v) for k, v in self.inspections.items()},
            attendance=tuple(self.attendance),
            state_s=state_s,
            wip_at_start=tuple(self.wip_at_start),
            reported_inspections={k: InspectionTotals(*v) for k, v in self.reported_inspections.items()},
            scanned_by_operator=dict(self.scanned_by_operator),
            scanned_by_operation=dict(self.scanned_by_operation),
            state=state,
            downtime_s=self._downtime_until(at_s),
            pieces_by_order=dict(self.pieces_by_order),
            order_done_s=dict(self.order_done_s),
            earned_min_by_line=dict(self.earned_min_by_line),
        )

    def _downtime_until(self, at_s: float) -> dict[tuple[str, str], float]:
        out = defaultdict(float, self.downtime_s)
        for key, began in self._stops.items():
            out[key] += at_s - began
        return dict(out)
