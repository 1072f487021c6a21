"""``Ingestor.submit_many``: one unit of many messages, one receipt, and a queue bounded in messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from seamline.ingest import (
    DeviceBatch,
    Ingestor,
    IngestorStoppedError,
    Receipt,
    build_message,
    encode_message,
)
from seamline.model.factory import Factory
from seamline.store import DuckDBStore, WriteResult

T0 = 1_795_363_200_000
NOW = T0 + 60_000
DEVICE = "L01-S03"


def payload(seq: int, device: str = DEVICE) -> bytes:
    return encode_message(
        build_message(device, seq=seq, sent_ts_ms=T0, channels=[0, 1], ts_ms=[T0, T0], values=[1.0, 2.0])
    )


class Gated:
    """A real store whose writes wait until the test opens the gate: failure injection, not a mock."""

    def __init__(self, inner: DuckDBStore) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.writing = threading.Event()

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        self.writing.set()
        if not self.gate.wait(30):
            raise TimeoutError("the test never opened the gate")
        return self.inner.write_batch(batches)


@pytest.fixture
def store(tmp_path: Path, factory: Factory) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path).opened(factory) as s:
        yield s


def test_one_receipt_covers_the_unit_with_rejections_by_position(
    factory: Factory, store: DuckDBStore
) -> None:
    receipts: list[Receipt | BaseException] = []
    with Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.01) as ingestor:
        ingestor.submit_many(
            [payload(1), b"{not json", payload(2), payload(1), payload(3, "L01-S04")],
            transport="mqtt",
            topic_devices=[DEVICE, DEVICE, DEVICE, DEVICE, DEVICE],
            on_done=receipts.append,
        )
        assert ingestor.flush(10)
        stats = ingestor.stats()
    assert len(receipts) == 1
    receipt = receipts[0]
    assert isinstance(receipt, Receipt)
    assert (receipt.accepted, receipt.duplicates) == (2, 1)
    assert [(r.index, r.error.reason) for r in receipt.rejected] == [
        (1, "malformed_json"),
        (4, "topic_mismatch"),
    ]
    assert store.message_count() == 2
    assert stats["received"] == {"mqtt": 5}


def test_a_producer_waits_while_max_queue_messages_are_queued(factory: Factory, store: DuckDBStore) -> None:
    gated = Gated(store)
    with Ingestor(factory, gated, clock_ms=lambda: NOW, flush_interval_s=0.01, max_queue=5) as ingestor:
        try:
            ingestor.submit_many([payload(0)], transport="mqtt", topic_devices=[None])
            assert gated.writing.wait(10)  # the writer holds that one in its commit
            ingestor.submit_many([payload(s) for s in (1, 2, 3)], transport="mqtt", topic_devices=[None] * 3)
            third = threading.Thread(
                target=ingestor.submit_many,
                args=([payload(s) for s in (4, 5, 6)],),
                kwargs={"transport": "mqtt", "topic_devices": [None] * 3},
            )
            third.start()
            third.join(0.5)
            assert third.is_alive()  # 3 queued + 3 more would exceed 5: it waits for room
        finally:
            gated.gate.set()
        third.join(10)
        assert not third.is_alive()
        # A unit larger than the whole queue still goes in once the queue is empty.
        ingestor.submit_many([payload(s) for s in range(7, 15)], transport="mqtt", topic_devices=[None] * 8)
        assert ingestor.flush(10)
    assert store.message_count() == 15


def test_a_producer_waiting_for_room_is_told_when_ingest_stops(factory: Factory, store: DuckDBStore) -> None:
    gated = Gated(store)
    ingestor = Ingestor(factory, gated, clock_ms=lambda: NOW, flush_interval_s=0.01, max_queue=2)
    ingestor.start()
    outcome: list[BaseException] = []

    def submit() -> None:
        try:
            ingestor.submit_many([payload(5), payload(6)], transport="mqtt", topic_devices=[None] * 2)
        except IngestorStoppedError as exc:
            outcome.append(exc)

    try:
        ingestor.submit_many([payload(1)], transport="mqtt", topic_devices=[None])
        assert gated.writing.wait(10)
        ingestor.submit_many([payload(2), payload(3)], transport="mqtt", topic_devices=[None] * 2)
        waiting = threading.Thread(target=submit)
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive()
        stopping = threading.Thread(target=ingestor.stop)
        stopping.start()
        deadline = time.monotonic() + 10
        while ingestor.running and time.monotonic() < deadline:  # the stop marker is queued
            time.sleep(0.01)
    finally:
        gated.gate.set()
    stopping.join(10)
    waiting.join(10)
    assert len(outcome) == 1
    assert store.message_count() == 3  # what was queued before the stop is committed
