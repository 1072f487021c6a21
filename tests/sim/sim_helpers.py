"""Shared pieces of the simulator tests: the small factory, runs, and a wire-format checker."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamline.model.factory import ChannelKind, Factory
from seamline.model.loader import parse_factory
from seamline.sim import FloorSimulation, FloorTruth, SimConfig

SMALL_TOML = Path(__file__).with_name("small_factory.toml")
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # the small factory's shift start (UTC)
MAX_LATENCY_MS = 50  # the encoder sends at most this long after the interval end

EVENT_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "state": {"state": str},
    "fault": {"code": int, "severity": str},
    "fault_cleared": {"code": int},
    "counter_reset": {"channel": (str, int)},
    "scan": {"bundle": str, "operation": str, "operator": str, "workstation": str, "pieces": int},
    "badge": {"operator": str, "action": str, "workstation": str},
    "downtime": {"reason": str, "workstation": str},
    "inspection": {
        "kind": str,
        "bundle": str,
        "operator": str,
        "workstation": str,
        "checked": int,
        "defective": int,
        "defects": list,
    },
    "heartbeat": {},
}
DOWNTIME_REASONS = {
    "no_feeding",
    "machine_breakdown",
    "thread_break",
    "needle_break",
    "meeting",
    "rework",
    "changeover",
    "power_failure",
    "waiting_trims",
}


def small_factory() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


@dataclass
class Run:
    """A finished simulation run: its messages (or only their events) and the floor's truth."""

    factory: Factory
    sim: FloorSimulation
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    message_count: int = 0
    series: dict[str, dict[str, list[tuple[int, int, float]]]] = field(default_factory=dict)
    truth: FloorTruth | None = None


def run(
    factory: Factory,
    seconds: float,
    *,
    seed: int = 1,
    config: SimConfig | None = None,
    start: dt.datetime = START,
    keep_messages: bool = True,
    keep_channels: frozenset[str] = frozenset(),
    chunk_s: float = 60.0,
) -> Run:
    """Run ``factory`` for ``seconds``; keep all messages, or only events and ``keep_channels``."""
    sim = FloorSimulation(factory, seed=seed, start=start, config=config)
    out = Run(factory, sim)
    t = 0.0
    while t < seconds:
        t = min(seconds, t + chunk_s)
        msgs = sim.advance(t)
        out.message_count += len(msgs)
        out.events.extend((m["device"], e) for m in msgs for e in m.get("events", ()))
        if keep_messages:
            out.messages.extend(msgs)
        if keep_channels:
            for dev, chans in channel_series(msgs, factory, keep_channels).items():
                for name, values in chans.items():
                    out.series.setdefault(dev, {}).setdefault(name, []).extend(values)
    out.truth = sim.truth
    return out


def channel_series(
    messages: list[dict[str, Any]], factory: Factory, only: frozenset[str] | None = None
) -> dict[str, dict[str, list[tuple[int, int, float]]]]:
    """device -> channel name -> [(boot, ts, value)] in message order (optionally only some channels)."""
    out: dict[str, dict[str, list[tuple[int, int, float]]]] = defaultdict(lambda: defaultdict(list))
    for m in messages:
        chans = factory.devices_by_id[m["device"]].machine_type.channels
        series = out[m["device"]]
        r = m["readings"]
        for c, ts, v in zip(r["ch"], r["ts"], r["v"], strict=True):
            name = chans[c].name
            if only is None or name in only:
                series[name].append((m["boot"], ts, v))
    return out


def state_timeline(events: list[tuple[str, dict[str, Any]]]) -> dict[str, list[tuple[int, int]]]:
    """device -> [(ts, MachineState code)] from its ``state`` events, in order."""
    codes = {"off": 0, "idle": 1, "running": 2, "fault": 3}
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for dev, e in events:
        if e["type"] == "state":
            out[dev].append((e["ts"], codes[e["state"]]))
    return out


def state_at(timeline: list[tuple[int, int]], ts: int) -> int:
    """The state in force at ``ts``: the last state event at or before it."""
    i = bisect.bisect_right(timeline, (ts, 99)) - 1
    assert i >= 0, "a device reports its state before its first reading"
    return timeline[i][1]


def check_message(m: dict[str, Any], factory: Factory, interval_ms: int) -> None:
    """Assert that one message follows docs/telemetry.md (and the simulator's own promises)."""
    assert set(m) <= {"device", "seq", "boot", "sent_ts", "readings", "events"}
    assert {"device", "seq", "boot", "sent_ts", "readings"} <= set(m)
    dev = factory.devices_by_id[m["device"]]
    for key in ("seq", "boot", "sent_ts"):
        assert type(m[key]) is int
    assert m["seq"] >= 0
    assert m["boot"] >= 0
    r = m["readings"]
    assert set(r) == {"ch", "ts", "v"}
    assert len(r["ch"]) == len(r["ts"]) == len(r["v"])
    n_channels = len(dev.machine_type.channels)
    assert all(type(c) is int and 0 <= c < n_channels for c in r["ch"])
    assert all(type(t) is int for t in r["ts"])
    assert all(type(v) in (int, float) and math.isfinite(v) for v in r["v"])
    lo = m["sent_ts"] - interval_ms - MAX_LATENCY_MS
    assert all(lo <= t < m["sent_ts"] for t in r["ts"])
    assert r["ts"] == sorted(r["ts"])
    events = m.get("events", [])
    assert isinstance(events, list)
    assert "events" not in m or events, "an empty events list is left out"
    for e in events:
        assert type(e["ts"]) is int
        assert lo <= e["ts"] < m["sent_ts"]
        fields = EVENT_FIELDS[e["type"]]
        for name, typ in fields.items():
            assert isinstance(e[name], typ), (e, name)
        if e["type"] == "state":
            assert e["state"] in {"off", "idle", "running", "fault"}
        elif e["type"] == "fault" and e["severity"] == "warning":
            assert 1 <= e["code"] <= 10
        elif e["type"] == "fault":
            assert e["severity"] == "error"
            assert 101 <= e["code"] <= 199
        elif e["type"] == "downtime":
            assert e["reason"] in DOWNTIME_REASONS
            assert "duration_s" not in e or e["duration_s"] >= 0
        elif e["type"] == "badge":
            assert e["action"] in {"login", "logout"}
        elif e["type"] == "counter_reset":
            ch = dev.machine_type.channels[dev.machine_type.channel_index[e["channel"]]]
            assert ch.kind is ChannelKind.COUNTER
        elif e["type"] == "inspection":
            assert e["kind"] in {"inline", "end_of_line"}
            assert ("operation" in e) == (e["kind"] == "inline")
            assert 0 <= e["defective"] <= e["checked"]
            for d in e["defects"]:
                assert set(d) == {"code", "count", "severity"}
                assert d["severity"] in {"minor", "major", "critical"}
                assert type(d["count"]) is int
                assert d["count"] > 0
