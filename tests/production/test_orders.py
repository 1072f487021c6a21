"""Orders and bundles made by events (production/orders.py): they join the ledger's catalogue, a
scan that came before its bundle was cut becomes a record by itself, and progress adds up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seamline.errors import NotFoundError
from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.production.ledger import ProductionLedger
from seamline.production.orders import OrderConflictError, OrderError, order_progress

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z
SCANNER = "L2-BUNDLESCANNER01"
MIN = 60_000


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def vest_order(**changes: Any) -> dict[str, Any]:
    """An order of TEST-B (B010 -> B020 -> B030: 0.35 + 0.50 + 0.30 SAM) on line L2."""
    return {
        "order": "PO-77",
        "action": "create",
        "style": "TEST-B",
        "due": "2026-12-20",
        "priority": 3,
        "line": "L2",
        "quantities": {"olive": {"M": 12, "L": 8}},
        "bundle_size": 10,
        **changes,
    }


def scan(lg: ProductionLedger, ts_ms: int, bundle: str, op: str, pieces: int) -> None:
    """L2-OP01 at L2-S01 scans ``pieces`` of ``bundle`` through operation ``op``."""
    lg.update(
        SCANNER,
        ts_ms,
        "scan",
        {"bundle": bundle, "operation": op, "operator": "L2-OP01", "workstation": "L2-S01", "pieces": pieces},
    )


def logged_in(small: Factory) -> ProductionLedger:
    lg = ProductionLedger(small)
    lg.update(SCANNER, T0, "badge", {"operator": "L2-OP01", "action": "login", "workstation": "L2-S01"})
    return lg


def test_an_order_made_by_an_event_is_cut_and_its_scans_become_records(small: Factory) -> None:
    lg = logged_in(small)
    lg.update("_orders", T0 + MIN, "order", vest_order())
    # olive/M 12 pieces in bundles of 10: 10 + 2; olive/L 8: one bundle of 8
    cut = lg.orders.entries["PO-77"].bundles
    assert [(b.id, b.colour, b.size, b.quantity) for b in cut] == [
        ("PO-77-B0001", "olive", "M", 10),
        ("PO-77-B0002", "olive", "M", 2),
        ("PO-77-B0003", "olive", "L", 8),
    ]
    assert all(lg.bundles[b.id].bundle == b for b in cut)
    scan(lg, T0 + 2 * MIN, "PO-77-B0001", "B010", 10)
    record = lg.records[-1]
    assert (record.order_id, record.style_id, record.pieces, record.final) == ("PO-77", "TEST-B", 10, False)
    assert record.earned_min == pytest.approx(10 * 0.35)
    assert not lg.exceptions


def test_a_scan_before_its_order_waits_and_is_counted_when_the_order_arrives(small: Factory) -> None:
    lg = logged_in(small)
    scan(lg, T0 + MIN, "PO-77-B0003", "B010", 8)
    scan(lg, T0 + 2 * MIN, "PO-77-B0003", "B020", 8)
    assert [(x.reason, x.status) for x in lg.exceptions] == [("unknown_bundle", "open")] * 2
    assert lg.records == []
    lg.update("_orders", T0 + 3 * MIN, "order", vest_order())
    assert [x.status for x in lg.exceptions] == ["auto_resolved", "auto_resolved"]
    assert lg.auto_resolved == 2
    # the records keep the scans' own times; 8 x 0.35 + 8 x 0.50 = 6.8 standard minutes
    assert [(r.ts_ms, r.operation_id) for r in lg.records] == [(T0 + MIN, "B010"), (T0 + 2 * MIN, "B020")]
    assert sum(r.earned_min for r in lg.records) == pytest.approx(6.8)


def test_a_scan_of_a_later_operation_first_waits_for_its_predecessor_after_the_cut(small: Factory) -> None:
    """Out of order across two waits: B020 scanned, then B010, both before the bundle exists."""
    lg = logged_in(small)
    scan(lg, T0 + 2 * MIN, "T-1", "B020", 5)
    scan(lg, T0 + MIN, "T-1", "B010", 5)
    lg.update("_orders", T0 + 3 * MIN, "order", vest_order(bundles=[]))
    assert lg.orders.entries["PO-77"].bundles == []  # tickets listed: none cut yet
    bundle = {"order": "PO-77", "bundle": "T-1", "colour": "olive", "size": "M", "quantity": 5}
    lg.update("_orders", T0 + 4 * MIN, "bundle", bundle)
    assert [x.status for x in lg.exceptions] == ["auto_resolved", "auto_resolved"]
    assert sorted(r.operation_id for r in lg.records) == ["B010", "B020"]


def test_progress_counts_garments_through_the_final_operation(small: Factory) -> None:
    lg = logged_in(small)
    lg.update("_orders", T0, "order", vest_order())
    for i, op in enumerate(("B010", "B020", "B030")):
        scan(lg, T0 + (i + 1) * MIN, "PO-77-B0001", op, 10)
    scan(lg, T0 + 5 * MIN, "PO-77-B0003", "B010", 8)
    progress, each = order_progress(lg.orders.entries["PO-77"], lg.bundle_progress)
    assert [(p.status, p.operations_done, p.finished_pieces) for p in each] == [
        ("finished", 3, 10),
        ("not_started", 0, 0),
        ("in_progress", 1, 0),
    ]
    assert (progress.pieces_ordered, progress.pieces_cut, progress.garments_finished) == (20, 20, 10)
    assert (progress.bundles, progress.bundles_started, progress.bundles_finished) == (3, 2, 1)
    assert (progress.wip_pieces, progress.status) == (8, "in_progress")


def test_a_change_cuts_more_but_never_uncuts_and_a_cancel_stops_changes(small: Factory) -> None:
    lg = ProductionLedger(small)
    lg.update("_orders", T0, "order", vest_order())
    # olive/M 12 -> 25 adds 13 pieces: bundles of 10 and 3, numbered on; olive/L 8 -> 4 un-cuts nothing
    change = {"order": "PO-77", "action": "change", "quantities": {"olive": {"M": 25, "L": 4}}, "priority": 9}
    lg.update("_orders", T0 + MIN, "order", change)
    entry = lg.orders.entries["PO-77"]
    assert [(b.id, b.size, b.quantity) for b in entry.bundles[3:]] == [
        ("PO-77-B0004", "M", 10),
        ("PO-77-B0005", "M", 3),
    ]
    assert (entry.order.quantity, entry.order.priority, entry.order.due_date.isoformat()) == (
        29,
        9,
        "2026-12-20",
    )
    assert lg.bundles["PO-77-B0001"].order.priority == 9  # the catalogue sees the order as it is now
    lg.update("_orders", T0 + 2 * MIN, "order", {"order": "PO-77", "action": "cancel"})
    lg.update("_orders", T0 + 3 * MIN, "order", {**change, "priority": 1})
    assert (entry.cancelled, entry.order.priority, lg.orders.refused) == (True, 9, 1)


def test_what_cannot_apply_is_refused_and_changes_nothing(small: Factory) -> None:
    lg = ProductionLedger(small)
    book = lg.orders
    lg.update(
        "_orders",
        T0,
        "order",
        vest_order(bundles=[{"id": "T-1", "colour": "olive", "size": "M", "quantity": 5}]),
    )
    before = dict(lg.bundles)
    with pytest.raises(OrderConflictError, match="order 'PO-77' exists already"):
        book.check("order", vest_order())
    with pytest.raises(OrderConflictError, match="order 'PO-1' exists already"):
        book.check("order", vest_order(order="PO-1"))  # the factory file's
    with pytest.raises(OrderConflictError, match="ticket 'PO-1-B0001' is a bundle of order 'PO-1'"):
        book.check(
            "bundle",
            {"order": "PO-77", "bundle": "PO-1-B0001", "colour": "olive", "size": "M", "quantity": 5},
        )
    with pytest.raises(OrderError, match="order 'PO-77' has no colour 'red' size 'M'"):
        book.check("bundle", {"order": "PO-77", "bundle": "T-2", "colour": "red", "size": "M", "quantity": 5})
    with pytest.raises(NotFoundError):
        book.check("order", {"order": "PO-NONE", "action": "change", "priority": 1})
    with pytest.raises(OrderError, match="style 'NOPE' is not in the factory file"):
        book.check("order", vest_order(order="PO-78", style="NOPE"))
    for refused in (
        ("order", vest_order()),
        ("bundle", {"order": "PO-NONE", "bundle": "T-3", "colour": "olive", "size": "M", "quantity": 5}),
    ):
        assert lg.orders.apply(refused[0], T0, refused[1]) == ()
    assert lg.orders.refused == 2
    assert lg.bundles == before
    assert [b.id for b in book.entries["PO-77"].bundles] == ["T-1"]  # listed tickets: no auto cut
