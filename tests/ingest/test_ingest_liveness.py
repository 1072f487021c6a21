"""Which devices ingest still hears from: silence on the server's clock, per device timeout."""

from __future__ import annotations

import numpy as np

from seamline.ingest import DeviceBatch, Liveness, device_timeout_s
from seamline.model.factory import Factory

T0 = 1_795_363_200_000
DEVICE = "L01-S03"


def message(received_ms: int, sent_ms: int, device: str = DEVICE) -> DeviceBatch:
    empty = np.empty(0, np.int64)
    return DeviceBatch(device, 0, 1, sent_ms, received_ms, empty.astype(np.int32), empty, empty.astype(float))


def test_default_timeouts_are_three_snapshot_periods_of_the_state_channels(factory: Factory) -> None:
    # a sewing seat's, a cutter's, an energy meter's (breakers) states come every 5 s: 15 s
    for device in ("L01-S03", "CUT-01", "EM-01"):
        assert device_timeout_s(factory.devices_by_id[device]) == 15.0
    # no state channel: three periods of its slowest channel (environment zones every 10 s)
    assert device_timeout_s(factory.devices_by_id["ENV-01"]) == 30.0
    assert device_timeout_s(factory.devices_by_id[DEVICE], 42.0) == 42.0
    assert Liveness(factory, timeout_s=42.0, clock_ms=lambda: T0).timeout_ms(DEVICE) == 42_000


def test_silence_counts_on_the_server_clock_from_the_newest_arrival(factory: Factory) -> None:
    live = Liveness(factory, clock_ms=lambda: T0)
    # device clocks far behind (a replay, a back-fill): what counts is that the messages arrive
    live.heard([message(T0 + 1000, T0 - 3_600_000)], "mqtt")
    live.heard([message(T0 + 500, T0 - 7_200_000)], "mqtt")  # an older arrival changes nothing
    heard = live.last_heard(DEVICE)
    assert heard is not None
    assert (heard.received_ms, heard.sent_ms) == (T0 + 1000, T0 - 3_600_000)
    assert not live.silent(DEVICE, T0 + 1000 + 15_000)
    assert live.silent(DEVICE, T0 + 1000 + 15_001)
    assert live.last_heard("L01-S04") is None


def test_a_device_not_heard_since_the_start_counts_from_the_start(factory: Factory) -> None:
    live = Liveness(factory, clock_ms=lambda: T0)
    assert live.started_ms == T0
    assert not live.silent(DEVICE, T0 + 15_000)
    assert live.silent(DEVICE, T0 + 15_001)


def test_devices_that_report_by_exception_are_never_silent(factory: Factory) -> None:
    live = Liveness(factory, clock_ms=lambda: T0)
    for transport in ("sparkplug", "opcua"):
        live.heard([message(T0, T0)], transport)
        assert not live.silent(DEVICE, T0 + 86_400_000)
    live.heard([message(T0 + 1, T0)], "http")  # the same device, now on a schedule
    assert live.silent(DEVICE, T0 + 86_400_000)


def test_devices_held_back_are_not_silent(factory: Factory) -> None:
    clock = [T0]
    live = Liveness(factory, clock_ms=lambda: clock[0])
    live.heard([message(T0, T0)], "sim")
    clock[0] = T0 + 60_000
    assert live.silent(DEVICE, clock[0])
    live.paused()  # a demo replay waiting for the store: the simulated fleet is held back
    assert not live.silent(DEVICE, T0 + 60_000 + 15_000)
    assert live.silent(DEVICE, T0 + 60_000 + 15_001)
