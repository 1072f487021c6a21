"""`order` and `bundle` events at ingest (docs/telemetry.md, "Orders and bundles"): what is accepted,
and the reason given, field by field, for what is not."""

from __future__ import annotations

from typing import Any

import pytest

from seamline.ingest import RejectedMessage, decode_message
from seamline.model.factory import Factory

T0 = 1_795_363_200_000  # 2026-11-22T16:00:00Z


def order(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "ts": T0,
        "type": "order",
        "order": "PO-9",
        "action": "create",
        "style": "POLO-01",
        "due": "2026-12-20",
        "quantities": {"navy": {"M": 120, "L": 80}},
    }
    event.update(changes)
    return event


def decode(factory: Factory, *events: dict[str, Any], device: str = "_orders", **extra: Any) -> Any:
    message = {"device": device, "seq": 1, "sent_ts": T0, "events": list(events), **extra}
    return decode_message(message, factory, received_ts_ms=T0 + 1000)


def refused(factory: Factory, *events: dict[str, Any], **kwargs: Any) -> RejectedMessage:
    with pytest.raises(RejectedMessage) as info:
        decode(factory, *events, **kwargs)
    assert info.value.reason == "invalid_message"
    return info.value


def test_orders_and_bundles_are_accepted_from_orders_and_from_a_device(factory: Factory) -> None:
    bundle = {"ts": T0, "type": "bundle", "order": "PO-9", "bundle": "QR-1", "colour": "navy", "size": "M",
              "quantity": 20}  # fmt: skip
    events = [
        order(priority=9, line="L01", bundle_size=12, by="planner"),
        {"ts": T0, "type": "order", "order": "PO-9", "action": "change", "due": "2027-01-05"},
        {"ts": T0, "type": "order", "order": "PO-9", "action": "cancel"},
        order(bundles=[{"id": "QR-1", "colour": "navy", "size": "L", "quantity": 20}]),
        order(cut="tickets"),
        bundle,
    ]
    batch = decode(factory, *events)
    assert (batch.device_id, [e.type for e in batch.events]) == ("_orders", [e["type"] for e in events])
    assert batch.events[0].data["priority"] == 9
    cutter = next(d.id for d in factory.devices if d.machine_type.category == "cutting")
    assert decode(factory, bundle, device=cutter).events[0].data["bundle"] == "QR-1"


@pytest.mark.parametrize(
    ("event", "field", "words"),
    [
        (order(style=None), "events[0].style", "a new order needs 'style'"),
        (order(style="NOPE"), "events[0].style", "'NOPE' is not a style of the factory file; known: POLO-01"),
        (order(due="20.12.2026"), "events[0].due", "must be a date, YYYY-MM-DD"),
        (order(quantities={"navy": {"M": 0}}), "events[0].quantities", '{"colour": {"size": pieces > 0'),
        (order(quantities={"navy": {"M": "12"}}), "events[0].quantities", "pieces > 0"),
        (order(quantities={"navy": {}}), "events[0].quantities", "with at least one size"),
        (order(quantities={}), "events[0].quantities", "with at least one size"),
        (order(priority=10), "events[0].priority", "must be an integer 0..9"),
        (order(bundle_size=0), "events[0].bundle_size", "must be an integer 1..200"),
        (order(line="L99"), "events[0].line", "'L99' is not a line of the factory file"),
        (order(action="delete"), "events[0].action", "must be one of ['create', 'change', 'cancel']"),
        (order(order=None), "events[0].order", "a 'order' event needs 'order'"),
        (order(action="change", style="TEE-02"), "events[0].style", "an order's style cannot change"),
        (order(action="change", style=None, due=None, quantities=None), "events[0]", "changes one of"),
        (
            order(cut="auto", bundles=[{"id": "Q", "colour": "navy", "size": "M", "quantity": 5}]),
            "events[0].bundles",
            "an order cut automatically lists no bundles",
        ),
        (
            order(bundles=[{"id": "Q", "colour": "red", "size": "M", "quantity": 5}]),
            "events[0].bundles[0]",
            "colour 'red' size 'M' is not in the order's quantities",
        ),
        (
            order(bundles=[{"id": "Q", "colour": "navy", "size": "M", "quantity": 5}] * 2),
            "events[0].bundles",
            "ticket 'Q' is listed twice",
        ),
        (order(bundles=[{"id": "Q", "colour": "navy", "size": "M"}]), "events[0].bundles", "quantity"),
        (
            {"ts": T0, "type": "bundle", "order": "PO-9", "bundle": "Q", "colour": "navy", "size": "M"},
            "events[0].quantity",
            "a 'bundle' event needs 'quantity'",
        ),
        (
            {
                "ts": T0,
                "type": "bundle",
                "order": "PO-9",
                "bundle": "",
                "colour": "navy",
                "size": "M",
                "quantity": 1,
            },
            "events[0].bundle",
            "must be a non-empty string",
        ),
        (
            {
                "ts": T0,
                "type": "scan",
                "bundle": "B",
                "operation": "P010",
                "operator": "O",
                "workstation": "W",
                "pieces": 1,
            },
            "events[0].type",
            "'_orders' sends only ['order', 'bundle', 'aql_lot']",
        ),
        (
            {
                "ts": T0,
                "type": "aql_lot",
                "stream": "L01/TS-01",
                "lot": "A1",
                "lot_size": 500,
                "level": "II",
                "aql": "2.5",
                "inspection": "normal",
            },
            "events[0].nonconforming",
            "a judged lot needs 'nonconforming'",
        ),
        (
            {"ts": T0, "type": "aql_lot", "stream": "L01/TS-01", "action": "resume", "level": "IV"},
            "events[0].level",
            "must be one of",
        ),
    ],
)
def test_what_is_refused_says_which_field_and_why(
    factory: Factory, event: dict[str, Any], field: str, words: str
) -> None:
    event = {k: v for k, v in event.items() if v is not None}
    exc = refused(factory, event)
    assert exc.field == field
    assert words in exc.message


def test_the_orders_device_has_no_channel(factory: Factory) -> None:
    with pytest.raises(RejectedMessage) as info:
        decode(factory, order(), readings={"ch": [0], "ts": [T0], "v": [1.0]})
    assert info.value.reason == "unknown_channel"
    assert "has 0 channels" in info.value.message


def test_final_inspection_lots_come_only_from_the_api(factory: Factory) -> None:
    lot = {"ts": T0, "type": "aql_lot", "stream": "L01/TS-01", "lot": "A1", "lot_size": 500, "level": "II",
           "aql": "2.5", "inspection": "normal", "nonconforming": 1}  # fmt: skip
    assert [e.type for e in decode(factory, lot).events] == ["aql_lot"]
    exc = refused(factory, lot, device="L01-S01")
    assert (exc.field, "made through the API" in exc.message) == ("events[0].type", True)
