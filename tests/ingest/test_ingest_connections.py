"""What ingest keeps of each device's connection for the devices page: the transport (and format)
of its newest message, its message rate, and its rejected messages by reason."""

from __future__ import annotations

from seamline.ingest import Ingestor, build_message, encode_message
from seamline.ingest.binary import encode_binary_message
from seamline.model.loader import load_factory
from seamline.store.duckdb import DuckDBStore

T0 = 1_795_363_200_000
DEVICE = "L01-S03"


def test_each_device_keeps_its_transport_rate_and_rejections() -> None:
    factory = load_factory()
    store = DuckDBStore(":memory:").opened(factory)
    clock = [T0]
    index = factory.devices_by_id[DEVICE].machine_type.channel_index
    with Ingestor(factory, store, clock_ms=lambda: clock[0]) as ingestor:
        msg = build_message(
            DEVICE, seq=1, sent_ts_ms=T0, channels=["motor_temp_c"], ts_ms=[T0], values=[41.0]
        )
        ingestor.submit_many([encode_message(msg)], transport="mqtt", topic_devices=[None])
        heard = ingestor.liveness.last_heard(DEVICE)
        assert heard is not None
        assert heard.transport == "mqtt_json"
        clock[0] += 1_000
        frame = encode_binary_message({**msg, "seq": 2}, channel_index=index)
        ingestor.submit_many([frame], transport="mqtt", topic_devices=[None])
        heard = ingestor.liveness.last_heard(DEVICE)
        assert heard is not None
        assert heard.transport == "mqtt_binary"
        bad = build_message(
            DEVICE, seq=3, sent_ts_ms=T0, channels=["no_such_channel"], ts_ms=[T0], values=[1.0]
        )
        ingestor.submit_many([encode_message(bad)], transport="mqtt", topic_devices=[None])
        ingestor.flush(10)
        assert ingestor.liveness.messages(DEVICE) == 2
        # 2 messages in the current 10-second bucket, 1 s into the next: 2 over 11 s
        assert ingestor.liveness.rate_per_s(DEVICE, (T0 // 10_000 + 1) * 10_000 + 1_000) == 2 / 11
        assert ingestor.rejected_by_device() == {DEVICE: {"unknown_channel": 1}}
        assert ingestor.stats()["rejected_by_device"] == {DEVICE: {"unknown_channel": 1}}
    store.close()
