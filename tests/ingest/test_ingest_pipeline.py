"""The Ingestor: one writer, coalesced commits, de-duplication, counting, and nothing lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

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
from seamline.store import DuckDBStore, StoreError, WriteResult

T0 = 1_795_363_200_000
NOW = T0 + 60_000
DEVICE = "L01-S03"


def msg(
    seq: int, *, device: str = DEVICE, boot: int = 0, ts: Sequence[int] = (T0,), value: float = 1.0
) -> dict[str, Any]:
    return build_message(
        device,
        seq=seq,
        boot=boot,
        sent_ts_ms=T0,
        channels=[0] * len(ts),
        ts_ms=list(ts),
        values=[value] * len(ts),
    )


def bad(seq: int) -> dict[str, Any]:
    m = msg(seq)
    m["readings"]["v"] = ["oops"]
    return m


@pytest.fixture
def store(tmp_path: Path, factory: Factory) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path).opened(factory) as s:
        yield s


def ingestor(factory: Factory, store: Any, **kw: Any) -> Ingestor:
    return Ingestor(factory, store, clock_ms=lambda: NOW, **kw)


def sensor0(factory: Factory) -> int:
    return factory.devices_by_id[DEVICE].sensor_base


def test_submitted_messages_are_committed_on_flush(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, store) as ing:
        for seq in range(5):
            ing.submit(encode_message(msg(seq, ts=[T0 + seq])), transport="test")
        assert ing.flush(timeout_s=30)
        assert store.message_count() == 5
        stats = ing.stats()
    assert (stats["messages_accepted"], stats["readings_accepted"], stats["queue_depth"]) == (5, 5, 0)
    assert stats["received"] == {"test": 5}


def test_many_messages_coalesce_into_one_commit(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, store, flush_interval_s=3600) as ing:
        for seq in range(50):
            ing.submit(msg(seq), transport="test")
        ing.flush()
        assert ing.stats()["commits"] == 1
    assert store.message_count() == 50


def test_the_writer_commits_once_enough_readings_are_pending(factory: Factory, store: DuckDBStore) -> None:
    hundred = [T0 + i for i in range(100)]
    with ingestor(factory, store, flush_interval_s=3600, flush_readings=250, max_batch_readings=250) as ing:
        for seq in range(10):
            ing.submit(msg(seq, ts=hundred), transport="test")
        ing.flush()
        # 3 messages of 100 readings reach 250: commits after the 3rd, 6th, 9th, and the flush
        assert ing.stats()["commits"] == 4
    assert store.reading_count() == 1000


def test_a_backlog_is_committed_in_batches_up_to_the_maximum(factory: Factory, store: DuckDBStore) -> None:
    hundred = [T0 + i for i in range(100)]
    with ingestor(factory, store, flush_interval_s=3600, flush_readings=250, max_batch_readings=500) as ing:
        ing.submit_messages([msg(seq, ts=hundred) for seq in range(12)])  # one unit: queued at once
        ing.flush()
        assert ing.stats()["commits"] == 1  # the whole unit: a submission is never split
        for seq in range(12, 24):
            ing.submit(msg(seq, ts=hundred), transport="test")
        assert ing.flush(timeout_s=30)
        # 12 single messages: at least 3 per commit (250 pending), at most 5 (the maximum)
        assert 1 + 3 <= ing.stats()["commits"] <= 1 + 4 + 1
    assert store.reading_count() == 2400


def test_stop_commits_everything_already_submitted(factory: Factory, store: DuckDBStore) -> None:
    ing = ingestor(factory, store, flush_interval_s=3600)
    ing.start()
    ing.submit_messages([msg(seq) for seq in range(100)])
    ing.stop()
    assert store.message_count() == 100
    with pytest.raises(IngestorStoppedError):
        ing.submit(msg(100), transport="test")


def test_a_duplicate_is_acknowledged_counted_and_stored_once(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, store) as ing:
        ing.submit(msg(1), transport="test")
        ing.submit(msg(1), transport="test")  # same flush
        ing.flush()
        ing.submit(msg(1), transport="test")  # a later flush: caught by the recent-key memory
        receipt = ing.submit_future([msg(1), msg(2)], transport="test").result(timeout=30)
        stats = ing.stats()
    assert receipt == Receipt(accepted=1, duplicates=1)
    assert (stats["messages_accepted"], stats["duplicates"]) == (2, 3)
    assert (store.message_count(), store.reading_count()) == (2, 2)


def test_a_duplicate_is_stored_once_across_a_restart(tmp_path: Path, factory: Factory) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store, ingestor(factory, store) as ing:
        ing.submit(msg(1, value=1.0), transport="test")
    with DuckDBStore(tmp_path).opened(factory) as store:
        with ingestor(factory, store) as ing:
            receipt = ing.submit_future([msg(1, value=2.0), msg(2)], transport="test").result(timeout=30)
            duplicates = ing.stats()["duplicates"]
        assert receipt == Receipt(accepted=1, duplicates=1)
        assert duplicates == 1
        assert store.history(sensor0(factory), T0, T0 + 1).values.tolist() == [1.0, 1.0]
        assert store.message_count() == 2


def test_a_new_boot_restarts_the_sequence(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, store) as ing:
        ing.submit_messages([msg(1, boot=0), msg(1, boot=1)])
    assert store.message_count() == 2


def test_out_of_order_readings_are_stored_and_latest_is_newest_by_device_time(
    factory: Factory, store: DuckDBStore
) -> None:
    with ingestor(factory, store) as ing:
        ing.submit(msg(1, ts=[T0 + 5_000], value=5.0), transport="test")
        ing.flush()
        ing.submit(msg(2, ts=[T0 + 1_000, T0 + 3_000], value=3.0), transport="test")  # back-fill
    assert store.history(sensor0(factory), T0, NOW).ts_ms.tolist() == [T0 + 1_000, T0 + 3_000, T0 + 5_000]
    (latest,) = store.latest([sensor0(factory)])
    assert (latest.ts_ms, latest.value) == (T0 + 5_000, 5.0)


def test_rejections_are_counted_by_reason(factory: Factory, store: DuckDBStore) -> None:
    far_future = msg(3, ts=[NOW + 600_000])
    with ingestor(factory, store) as ing:
        ing.submit(b"{not json", transport="mqtt")
        ing.submit(bad(1), transport="mqtt")
        ing.submit(msg(2, device="L99-S99"), transport="mqtt")
        ing.submit(far_future, transport="mqtt")
        ing.submit(msg(4), transport="mqtt", topic_device="L01-S04")
        ing.submit_messages([msg(5, ts=[1_000]), bad(6)])
        stats = ing.stats()
    assert stats["rejected"] == {
        "malformed_json": 1,
        "invalid_message": 2,
        "unknown_device": 1,
        "unknown_channel": 0,
        "topic_mismatch": 1,
        "far_future_timestamp": 1,
        "implausible_timestamp": 1,
    }
    assert stats["rejected_total"] == 7
    assert stats["received"] == {"mqtt": 5, "sim": 2}
    assert store.message_count() == 0


def test_valid_messages_interleaved_with_invalid_ones_are_all_kept(
    factory: Factory, store: DuckDBStore
) -> None:
    devices = [d.id for d in factory.devices[:20]]
    sent = []
    with ingestor(factory, store, flush_interval_s=0.01) as ing:
        for i in range(400):
            device = devices[i % len(devices)]
            if i % 3 == 0:
                ing.submit(b'{"device": "' + device.encode() + b'", "seq": ', transport="test")
            elif i % 7 == 0:
                ing.submit(msg(i, device=device, ts=[1]), transport="test")
            else:
                ing.submit(encode_message(msg(i, device=device, ts=[T0 + i, T0 + i + 1])), transport="test")
                sent.append((device, 0, i))
        ing.flush()
        stats = ing.stats()
    assert store.message_count() == len(sent) == stats["messages_accepted"]
    assert store.reading_count() == 2 * len(sent)
    assert stats["rejected_total"] == 400 - len(sent)


def test_a_receipt_lists_rejections_by_position(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, store) as ing:
        receipt = ing.submit_future([msg(1), bad(2), msg(3), b"[", msg(1)], transport="http").result(
            timeout=30
        )
    assert (receipt.accepted, receipt.duplicates) == (2, 1)
    assert [(r.index, r.error.reason) for r in receipt.rejected] == [
        (1, "invalid_message"),
        (3, "malformed_json"),
    ]
    assert receipt.as_dict()["rejected"][0] == {
        "index": 1,
        "reason": "invalid_message",
        "message": receipt.rejected[0].error.message,
    }


def test_completion_callbacks_follow_the_commit_in_submission_order(
    factory: Factory, store: DuckDBStore
) -> None:
    outcomes: list[tuple[int, int, Receipt | BaseException]] = []
    with ingestor(factory, store) as ing:
        for seq in range(20):
            raw = bad(seq) if seq % 5 == 0 else msg(seq)

            def done(outcome: Receipt | BaseException, seq: int = seq) -> None:
                outcomes.append((seq, store.message_count(), outcome))

            ing.submit(raw, transport="mqtt", on_done=done)
    assert [seq for seq, _, _ in outcomes] == list(range(20))
    for seq, stored_then, outcome in outcomes:
        assert isinstance(outcome, Receipt)
        if seq % 5 == 0:
            assert outcome.rejected[0].error.reason == "invalid_message"
        else:
            assert outcome == Receipt(accepted=1, duplicates=0)
            assert stored_then >= seq - seq // 5  # this message and all valid ones before it are stored


def test_submit_and_wait_returns_after_the_commit(factory: Factory, store: DuckDBStore) -> None:
    async def main(ing: Ingestor) -> tuple[Receipt, int]:
        receipt = await ing.submit_and_wait(encode_message(msg(1)), transport="http")
        return receipt, store.message_count()

    with ingestor(factory, store, flush_interval_s=0.05) as ing:
        receipt, stored = asyncio.run(main(ing))
    assert receipt == Receipt(accepted=1, duplicates=0)
    assert stored == 1


class FlakyStore:
    """A real store that fails its first ``failures`` writes: failure injection, not a mock."""

    def __init__(self, inner: DuckDBStore, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        if self.failures > 0:
            self.failures -= 1
            raise StoreError("disk full (injected)")
        return self.inner.write_batch(batches)


def test_a_failed_commit_is_retried(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, FlakyStore(store, failures=1), commit_attempts=2) as ing:
        receipt = ing.submit_future([msg(1)], transport="http").result(timeout=30)
        assert ing.stats()["commit_failures"] == 0
    assert receipt.accepted == 1
    assert store.message_count() == 1


def test_a_commit_that_keeps_failing_fails_the_waiters_and_forgets_nothing(
    factory: Factory, store: DuckDBStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(store, failures=1)
    with ingestor(factory, flaky, commit_attempts=1) as ing:
        future = ing.submit_future([msg(1)], transport="http")
        with pytest.raises(StoreError, match="injected"):
            future.result(timeout=30)
        assert ing.stats()["commit_failures"] == 1
        # the failed message was not remembered as stored, so its resend is stored
        assert ing.submit_future([msg(1)], transport="http").result(timeout=30).accepted == 1
    assert store.message_count() == 1
    assert "could not commit" in caplog.text


def test_a_flood_of_rejections_does_not_flood_the_log(
    factory: Factory, store: DuckDBStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="seamline.ingest.pipeline")
    with ingestor(factory, store) as ing:
        ing.submit_messages([bad(seq) for seq in range(200)])
        assert ing.stats()["rejected"]["invalid_message"] == 200
    lines = [r for r in caplog.records if r.name == "seamline.ingest.pipeline"]
    assert 1 <= len(lines) < 50
    assert "L01-S03" in lines[0].getMessage()
    assert "invalid_message" in lines[0].getMessage()


def test_stats_report_rate_latency_and_last_commit(factory: Factory, store: DuckDBStore) -> None:
    with ingestor(factory, store) as ing:
        assert ing.stats()["last_commit_at"] is None
        ing.submit_messages([msg(seq, ts=[T0, T0 + 1]) for seq in range(10)])
        ing.flush()
        stats = ing.stats()
    assert stats["readings_per_s"] > 0
    assert stats["commit_duration_s"] >= 0
    assert stats["commit_lag_s"] >= stats["commit_duration_s"]
    assert stats["last_commit_ts_ms"] == NOW
    assert stats["last_commit_at"].startswith("2026-11-22T16:01:00")
    assert stats["running"] is True
