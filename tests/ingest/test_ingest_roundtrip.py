"""Property: any valid message, encoded, decoded and written, reads back exactly.

Each example gets its own time window (later than every window before, so it holds the newest
readings of its sensors) and its own boot number, so one store serves every example.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.ingest import decode_message, encode_message
from seamline.model.factory import Device
from seamline.model.loader import load_factory
from seamline.store import DuckDBStore

FACTORY = load_factory()
T0 = 1_795_363_200_000
WINDOW_MS = 10**7
_windows = itertools.count(1)

names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
counts = st.integers(0, 10**6)
events = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("state"), "state": st.sampled_from(["off", "idle", "running", "fault"])}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("fault"),
            "code": st.integers(-(2**63), 2**63 - 1),
            "severity": st.sampled_from(["warning", "error"]),
        },
        optional={"text": names},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("scan"),
            "bundle": names,
            "operation": names,
            "operator": names,
            "workstation": names,
            "pieces": counts,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("downtime"),
            "reason": st.sampled_from(["meeting", "rework", "no_feeding"]),
            "workstation": names,
        },
        optional={"duration_s": st.floats(0, 1e9) | st.integers(0, 10**9)},
    ),
    st.fixed_dictionaries({"type": st.just("heartbeat")}),
)
values = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**63), 2**63 - 1)


@st.composite
def messages(draw: st.DrawFn) -> tuple[Device, dict[str, Any]]:
    """A device and a valid message from it, with times as offsets into the example's window."""
    device = draw(st.sampled_from(FACTORY.devices))
    n = draw(st.integers(0, 40))
    idx = draw(st.lists(st.integers(0, device.sensor_count - 1), min_size=n, max_size=n))
    by_name = draw(st.booleans())
    ch: list[Any] = [device.machine_type.channels[i].name for i in idx] if by_name else idx
    ts = draw(st.lists(st.integers(0, WINDOW_MS - 1), min_size=n, max_size=n))
    v = draw(st.lists(values, min_size=n, max_size=n))
    evs = draw(st.lists(st.tuples(st.integers(0, WINDOW_MS - 1), events), max_size=4))
    msg = {
        "device": device.id,
        "seq": draw(st.integers(0, 2**63 - 1)),
        "sent_ts": draw(st.integers(0, WINDOW_MS - 1)),
        "readings": {"ch": ch, "ts": ts, "v": v},
        "events": [{"ts": t, **e} for t, e in evs],
    }
    return device, msg


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    path: Path = tmp_path_factory.mktemp("roundtrip")
    with DuckDBStore(path).opened(FACTORY) as s:
        yield s


@settings(max_examples=60, deadline=None)
@given(example=messages())
def test_any_valid_message_round_trips(store: DuckDBStore, example: tuple[Device, dict[str, Any]]) -> None:
    device, msg = example
    base = T0 + next(_windows) * WINDOW_MS
    boot = base  # unique per example, so no example is a duplicate of another
    r = msg["readings"]
    wire = {
        **msg,
        "boot": boot,
        "sent_ts": base + msg["sent_ts"],
        "readings": {**r, "ts": [base + t for t in r["ts"]]},
        "events": [{**e, "ts": base + e["ts"]} for e in msg["events"]],
    }
    batch = decode_message(encode_message(wire), FACTORY, received_ts_ms=base + WINDOW_MS)
    result = store.write_batch([batch])
    assert (result.messages, result.readings, result.events) == (1, len(r["ts"]), len(msg["events"]))

    sent: dict[int, list[tuple[int, float]]] = {}
    for ch, t, v in zip(batch.sensor_ids.tolist(), wire["readings"]["ts"], r["v"], strict=True):
        sent.setdefault(ch, []).append((t, float(v)))
    for sensor_id, readings in sent.items():
        series = store.history(sensor_id, base, base + WINDOW_MS)
        got = list(zip(series.ts_ms.tolist(), series.values.tolist(), strict=True))
        assert series.ts_ms.tolist() == sorted(series.ts_ms.tolist())
        assert sorted(got) == sorted(readings)
        newest = max(t for t, _ in readings)
        last_of_newest = [v for t, v in readings if t == newest][-1]  # equal times: the later one wins
        (latest,) = store.latest([sensor_id])
        assert (latest.ts_ms, latest.value) == (newest, last_of_newest)
    assert set(sent) <= {device.sensor_base + i for i in range(device.sensor_count)}

    stored = store.events(device_ids=[device.id], start_ms=base, end_ms=base + WINDOW_MS)
    assert [e.ts_ms for e in stored] == sorted((e.ts_ms for e in stored), reverse=True)

    def key(ts: int, type_: str, data: dict[str, Any]) -> tuple[int, bytes]:
        return ts, orjson.dumps({"type": type_, **data}, option=orjson.OPT_SORT_KEYS)

    expected = [
        key(e["ts"], e["type"], {k: x for k, x in e.items() if k not in ("ts", "type")})
        for e in wire["events"]
    ]
    assert sorted(key(e.ts_ms, e.type, e.data) for e in stored) == sorted(expected)
    assert all(e.received_ts_ms == base + WINDOW_MS for e in stored)
