"""Every message the simulator produces is a valid docs/telemetry.md message."""

from __future__ import annotations

from collections import Counter

import orjson
from sim_helpers import Run, check_message

from seamline.model.factory import Factory


def test_every_message_follows_the_wire_format(busy_run: Run, small: Factory) -> None:
    for m in busy_run.messages:
        check_message(m, small, interval_ms=1000)


def test_each_device_sends_one_message_per_interval(busy_run: Run, small: Factory) -> None:
    per_device = Counter(m["device"] for m in busy_run.messages)
    assert per_device == dict.fromkeys((d.id for d in small.devices), 1200)
    assert busy_run.sim.messages_emitted == len(busy_run.messages)
    assert busy_run.sim.readings_emitted == sum(len(m["readings"]["v"]) for m in busy_run.messages)


def test_seq_counts_up_by_one_and_restarts_with_a_new_boot(busy_run: Run) -> None:
    last: dict[str, tuple[int, int]] = {}
    reboots = 0
    for m in busy_run.messages:
        prev = last.get(m["device"])
        if prev is None:
            assert (m["boot"], m["seq"]) == (0, 0)
        elif m["boot"] == prev[0]:
            assert m["seq"] == prev[1] + 1
        else:
            assert (m["boot"], m["seq"]) == (prev[0] + 1, 0)
            reboots += 1
        last[m["device"]] = (m["boot"], m["seq"])
    assert reboots > 5  # the busy run reboots controllers every ~10 minutes


def test_messages_come_in_time_order(busy_run: Run) -> None:
    sent = [m["sent_ts"] for m in busy_run.messages]
    assert sent == sorted(sent)


def test_messages_round_trip_through_orjson(busy_run: Run) -> None:
    for m in busy_run.messages[::97]:
        assert orjson.loads(orjson.dumps(m)) == m


def test_readings_use_channel_indices_of_the_device_type(busy_run: Run, small: Factory) -> None:
    seen: dict[str, set[int]] = {}
    for m in busy_run.messages:
        seen.setdefault(m["device"], set()).update(m["readings"]["ch"])
    for d in small.devices:  # over 20 minutes every channel of every device is sampled
        assert seen[d.id] == set(range(len(d.machine_type.channels)))


def test_devices_with_nothing_to_say_send_a_heartbeat(busy_run: Run) -> None:
    empty = [m for m in busy_run.messages if not m["readings"]["ch"]]
    assert empty  # badge readers sample every 5 s at most
    assert all(m.get("events") for m in empty)
    quiet = [m for m in empty if all(e["type"] == "heartbeat" for e in m["events"])]
    assert quiet
