"""Orders and their cut bundles as production knows them (apparel-domain.md 3 and 7).

The factory file's orders are here from the start, cut by ``bundle_size``. Any other order, and any
bundle cut later, arrives as a stored event (docs/telemetry.md, "Orders and bundles"): from the HTTP
API or an import (as the device ``_orders``) or from a cutting-room device. Being events, they are
rebuilt on every start like the scans they explain.

- ``order`` with ``action`` ``create``: a new order. Without ``bundles`` (or ``cut: "auto"``) it is
  cut like a factory-file order, by colour then size, ``bundle_size`` pieces a bundle, tickets
  ``<order>-B0001``, ...; with ``bundles`` (or ``cut: "tickets"``), its bundles are the tickets
  listed and those of later ``bundle`` events.
- ``order`` with ``action`` ``change``: a new due date, priority, line, bundle size or quantity
  matrix (replacing the old one). An order cut automatically gets bundles for the pieces its new
  quantities add; bundles once cut stay, so a lower quantity un-cuts nothing.
- ``order`` with ``action`` ``cancel``: the order is cancelled; work already done on its bundles
  stays counted, and no change or bundle is taken for it any more.
- ``bundle``: one more bundle of an order (a bundle cut later, or a re-cut), with its ticket id.

An event that cannot apply (an order that exists already, a ticket already used, an unknown or
cancelled order) changes nothing and is counted in ``refused``; the API refuses it before storing.

>>> from seamline.model.loader import load_factory
>>> factory = load_factory()
>>> book = OrderBook(factory, catalogue(factory))
>>> book.apply("order", 0, {"order": "PO-9", "action": "create", "style": "POLO-01",
...     "due": "2026-12-20", "quantities": {"navy": {"M": 45}}, "bundle_size": 20})
('PO-9-B0001', 'PO-9-B0002', 'PO-9-B0003')
>>> [b.quantity for b in book.entries["PO-9"].bundles]
[20, 20, 5]
>>> book.apply("order", 0, {"order": "PO-9", "action": "change", "quantities": {"navy": {"M": 60}}})
('PO-9-B0004',)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from seamline.errors import NotFoundError
from seamline.model.factory import Bundle, Factory, Order
from seamline.production.errors import ProductionError

BundleStatus = Literal["not_started", "in_progress", "finished"]
OrderStatus = Literal["planned", "in_progress", "finished", "cancelled"]


class OrderError(ProductionError):
    """An order or bundle that cannot be made or changed as asked."""

    status_code = 422
    reason = "order_refused"


class OrderConflictError(OrderError):
    """The order id or a bundle ticket is taken already."""

    status_code = 409
    reason = "order_conflict"


@dataclass(frozen=True, slots=True)
class BundleRef:
    """What a bundle ticket stands for: its order, style and pieces."""

    bundle: Bundle
    order: Order

    @property
    def style_id(self) -> str:
        return self.order.style_id


@dataclass(slots=True)
class OrderEntry:
    """One order and the bundles cut for it so far, in cutting order."""

    order: Order
    bundles: list[Bundle]
    auto_cut: bool  # cut by bundle_size (a quantity increase cuts more), or by listed tickets
    source: Literal["factory", "event"]  # the factory file, or an order event
    cancelled: bool = False
    changed_ms: int | None = None  # device time of its latest order event


@dataclass(frozen=True, slots=True)
class BundleProgress:
    """How far one bundle is along its style's operations."""

    operations_done: int  # scanned, or taken as done before tracking began
    operations: int
    finished_pieces: int  # pieces through the style's final operation

    @property
    def status(self) -> BundleStatus:
        if self.operations_done == 0:
            return "not_started"
        return "finished" if self.operations_done == self.operations else "in_progress"


@dataclass(frozen=True, slots=True)
class OrderProgress:
    """An order's progress, summed over its bundles.

    ``status``: ``cancelled``; ``finished`` once the garments finished reach the pieces ordered;
    ``in_progress`` once any bundle is scanned; ``planned`` before that.
    """

    pieces_ordered: int
    pieces_cut: int
    garments_finished: int
    bundles: int
    bundles_started: int
    bundles_finished: int
    wip_pieces: int  # pieces of the bundles started and not finished
    status: OrderStatus


def order_progress(
    entry: OrderEntry, bundle_progress: Callable[[str], BundleProgress]
) -> tuple[OrderProgress, list[BundleProgress]]:
    """The order's progress and each bundle's, from ``bundle_progress(ticket)`` (the ledger's)."""
    each = [bundle_progress(b.id) for b in entry.bundles]
    finished = sum(p.finished_pieces for p in each)
    status: OrderStatus
    started = [p.status != "not_started" for p in each]
    done = [p.status == "finished" for p in each]
    if entry.cancelled:
        status = "cancelled"
    elif finished >= entry.order.quantity:
        status = "finished"
    else:
        status = "in_progress" if any(started) else "planned"
    progress = OrderProgress(
        pieces_ordered=entry.order.quantity,
        pieces_cut=sum(b.quantity for b in entry.bundles),
        garments_finished=finished,
        bundles=len(each),
        bundles_started=sum(started),
        bundles_finished=sum(done),
        wip_pieces=sum(
            b.quantity for b, s, d in zip(entry.bundles, started, done, strict=True) if s and not d
        ),
        status=status,
    )
    return progress, each


@dataclass(frozen=True, slots=True)
class _Change:
    """What one event does, worked out before anything changes."""

    order: Order
    cut: tuple[Bundle, ...]
    entry: OrderEntry | None  # None: a new order
    auto_cut: bool = True
    cancel: bool = False


class OrderBook:
    """The orders production knows, and the ledger's ticket catalogue that their bundles join."""

    def __init__(self, factory: Factory, bundles: dict[str, BundleRef]) -> None:
        """``bundles`` is the ledger's catalogue, shared: the bundles cut here are added to it."""
        self.factory = factory
        self.bundles = bundles
        self.entries: dict[str, OrderEntry] = {
            o.id: OrderEntry(o, [], auto_cut=True, source="factory") for o in factory.orders
        }
        for ref in bundles.values():
            entry = self.entries.setdefault(ref.order.id, OrderEntry(ref.order, [], True, "factory"))
            entry.bundles.append(ref.bundle)
        self.refused = 0

    def check(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Raise what :meth:`apply` would refuse the event for, changing nothing: ``NotFoundError``
        for an unknown order, :class:`OrderConflictError` for a taken id or ticket,
        :class:`OrderError` otherwise."""
        self._plan(event_type, data)

    def apply(self, event_type: str, ts_ms: int, data: Mapping[str, Any]) -> tuple[str, ...]:
        """Take one ``order`` or ``bundle`` event; return the tickets of the bundles it cut."""
        try:
            change = self._plan(event_type, data)
        except (OrderError, NotFoundError):
            self.refused += 1
            return ()
        entry = change.entry
        if entry is None:
            entry = self.entries[change.order.id] = OrderEntry(change.order, [], change.auto_cut, "event")
        elif entry.order is not change.order:
            entry.order = change.order
            for b in entry.bundles:
                self.bundles[b.id] = BundleRef(b, change.order)
        entry.cancelled = change.cancel
        entry.changed_ms = ts_ms
        entry.bundles.extend(change.cut)
        for b in change.cut:
            self.bundles[b.id] = BundleRef(b, change.order)
        return tuple(b.id for b in change.cut)

    def _plan(self, event_type: str, data: Mapping[str, Any]) -> _Change:
        order_id = str(data.get("order"))
        entry = self.entries.get(order_id)
        action = data.get("action") if event_type == "order" else "bundle"
        if action == "create":
            if entry is not None:
                raise OrderConflictError(
                    f"order {order_id!r} exists already; change it (PATCH /api/v1/orders/{order_id})",
                    field="id",
                )
            return self._create(order_id, data)
        if entry is None:
            raise NotFoundError("order", order_id)
        if entry.cancelled:
            raise OrderError(f"order {order_id!r} is cancelled", reason="order_cancelled")
        if action == "cancel":
            return _Change(entry.order, (), entry, cancel=True)
        if action == "bundle":
            colour, size = str(data.get("colour")), str(data.get("size"))
            if (colour, size) not in entry.order.quantities:
                raise OrderError(f"order {order_id!r} has no colour {colour!r} size {size!r}", field="colour")
            bundle = Bundle(str(data.get("bundle")), order_id, colour, size, int(data["quantity"]))
            return _Change(entry.order, self._unused((bundle,)), entry)
        order = self._changed(entry.order, data)
        cut = _cut_more(order, entry.bundles, self.bundles) if entry.auto_cut else ()
        return _Change(order, cut, entry)

    def _create(self, order_id: str, data: Mapping[str, Any]) -> _Change:
        style = str(data.get("style"))
        if style not in self.factory.styles:
            raise OrderError(f"style {style!r} is not in the factory file", field="style")
        order = self._changed(Order(order_id, style, dt.date.fromisoformat(str(data["due"])), {}), data)
        listed = data.get("bundles")
        if listed is None and data.get("cut") != "tickets":
            return _Change(order, self._unused(order.bundles()), None)
        bundles = tuple(
            Bundle(str(b["id"]), order_id, str(b["colour"]), str(b["size"]), int(b["quantity"]))
            for b in listed or ()
        )
        return _Change(order, self._unused(bundles), None, auto_cut=False)

    def _changed(self, order: Order, data: Mapping[str, Any]) -> Order:
        """``order`` with the fields the event gives."""
        line = data.get("line", order.line_id)
        if line is not None and line not in self.factory.lines_by_id:
            raise OrderError(f"line {line!r} is not in the factory file", field="line")
        quantities = data.get("quantities")
        return dataclasses.replace(
            order,
            due_date=dt.date.fromisoformat(str(data["due"])) if "due" in data else order.due_date,
            priority=int(data.get("priority", order.priority)),
            bundle_size=int(data.get("bundle_size", order.bundle_size)),
            line_id=line,
            quantities=order.quantities
            if quantities is None
            else {(c, z): int(n) for c, sizes in quantities.items() for z, n in sizes.items()},
        )

    def _unused(self, bundles: tuple[Bundle, ...]) -> tuple[Bundle, ...]:
        for b in bundles:
            ref = self.bundles.get(b.id)
            if ref is not None:
                raise OrderConflictError(
                    f"ticket {b.id!r} is a bundle of order {ref.order.id!r} already", field="bundle"
                )
        return bundles


def _cut_more(order: Order, cut: list[Bundle], catalogue: Mapping[str, BundleRef]) -> tuple[Bundle, ...]:
    """Bundles for the pieces of ``order`` beyond those already ``cut``, numbered on after them."""
    have: dict[tuple[str, str], int] = {}
    for b in cut:
        have[(b.colour, b.size)] = have.get((b.colour, b.size), 0) + b.quantity
    extra = {k: n - have.get(k, 0) for k, n in order.quantities.items() if n > have.get(k, 0)}
    if not extra:
        return ()
    more = dataclasses.replace(order, quantities=extra).bundles()
    number = len(cut)
    out = []
    for b in more:
        number += 1
        while f"{order.id}-B{number:04d}" in catalogue:
            number += 1
        out.append(dataclasses.replace(b, id=f"{order.id}-B{number:04d}"))
    return tuple(out)


def catalogue(factory: Factory) -> dict[str, BundleRef]:
    """Every bundle of the factory file's orders, by ticket id."""
    return {b.id: BundleRef(b, order) for order in factory.orders for b in order.bundles()}


__all__ = [
    "BundleProgress",
    "BundleRef",
    "BundleStatus",
    "OrderBook",
    "OrderConflictError",
    "OrderEntry",
    "OrderError",
    "OrderProgress",
    "OrderStatus",
    "catalogue",
    "order_progress",
]
