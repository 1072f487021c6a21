"""Machines with no signal: a device that died, or fell silent for longer than its timeout.

A death certificate (a Sparkplug NDEATH or DDEATH) is stored as a ``runtime_state`` reading of
:data:`~seamline.model.factory.NO_SIGNAL_CODE` at the death, so the store itself ends the machine's
last state there. Silence is what ingest's :class:`~seamline.ingest.Liveness` says: no message
arrived for longer than the device's timeout.

Live line states show such a machine as ``no_signal`` since its death, or since it was last seen
(device time of its newest reading or message). State durations count ``no_signal`` instead of its
last state, or of unknown, from its death, or from last seen + timeout, until now: the store holds a
state reading for at most :data:`~seamline.store.base.STATE_HOLD_MS`, and here it is known why
nothing followed. Once the device is heard again, that earlier time is again what the store says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from seamline.ingest import Liveness
from seamline.model.factory import NO_SIGNAL_CODE, RUNTIME_STATE, Device
from seamline.store.base import STATE_HOLD_MS, StateDurations, Store


@dataclass(frozen=True, slots=True)
class NoSignal:
    """Why and since when a machine has no signal (device times, ms)."""

    since_ms: int  # the death, or when the device was last seen
    from_ms: int  # from when durations count no_signal: the death, or last seen + its timeout
    died: bool  # a death certificate, not silence


def no_signal(
    store: Store, devices: Sequence[Device], liveness: Liveness | None, now_ms: int
) -> dict[str, NoSignal]:
    """The devices among ``devices`` that have no signal at ``now_ms`` (server clock), by id.

    Without ``liveness`` only deaths count. A device that never sent anything has no signal to lose:
    its state is unknown.
    """
    machines = [d for d in devices if RUNTIME_STATE in d.machine_type.channel_index]
    states = {d.sensor_id(RUNTIME_STATE): d.id for d in machines}
    out: dict[str, NoSignal] = {}
    for v in store.latest(list(states)):
        if int(v.value) == NO_SIGNAL_CODE:
            out[states[v.sensor_id]] = NoSignal(v.ts_ms, v.ts_ms, died=True)
    if liveness is None:
        return out
    silent = [d for d in devices if d.id not in out and liveness.silent(d.id, now_ms)]
    for device_id, seen_ms in last_seen(store, silent, liveness).items():
        out[device_id] = NoSignal(seen_ms, seen_ms + liveness.timeout_ms(device_id), died=False)
    return out


def last_seen(store: Store, devices: Sequence[Device], liveness: Liveness | None) -> dict[str, int]:
    """Device time of the newest reading (any channel) or message of each device that has one."""
    ranges = sorted((d.sensor_base, d.sensor_base + d.sensor_count, d.id) for d in devices)
    ids, ts, _ = store.latest_arrays([s for lo, hi, _ in ranges for s in range(lo, hi)])
    seen: dict[str, int] = {}
    if len(ids):
        starts = np.array([lo for lo, _, _ in ranges], np.int64)
        owner = np.searchsorted(starts, ids, "right") - 1
        newest = np.full(len(ranges), np.iinfo(np.int64).min, np.int64)
        np.maximum.at(newest, owner, ts)
        seen = {ranges[k][2]: int(newest[k]) for k in np.unique(owner).tolist()}
    if liveness is not None:
        for d in devices:
            heard = liveness.last_heard(d.id)
            if heard is not None:
                seen[d.id] = max(seen.get(d.id, heard.sent_ms), heard.sent_ms)
    return seen


def count_no_signal(
    got: StateDurations,
    store: Store,
    machines: Sequence[Device],
    lost: Mapping[str, NoSignal],
    now_ms: int,
) -> StateDurations:
    """``got`` (the durations of the machines' ``runtime_state`` sensors, in this order) with each
    lost machine's time from its :attr:`NoSignal.from_ms` until ``now_ms`` as ``NO_SIGNAL_CODE``.

    No reading is newer than a machine's newest state reading, so after it the store's timeline is
    that reading's code for :data:`STATE_HOLD_MS`, then unknown: exactly what is moved here.
    """
    rows = [(i, d) for i, d in enumerate(machines) if d.id in lost]
    if not rows:
        return got
    newest = {v.sensor_id: v for v in store.latest([d.sensor_id(RUNTIME_STATE) for _, d in rows])}
    codes = got.codes.tolist()
    duration, unknown = got.duration_ms, got.unknown_ms.copy()
    if NO_SIGNAL_CODE not in codes:
        at = int(np.searchsorted(got.codes, NO_SIGNAL_CODE))
        codes.insert(at, NO_SIGNAL_CODE)
        duration = np.insert(duration, at, 0, axis=2)
    else:
        duration = duration.copy()
    to = codes.index(NO_SIGNAL_CODE)
    lo = got.bucket_ms
    hi = np.append(got.bucket_ms[1:], got.end_ms).astype(np.int64)

    def overlap(a: int, b: int) -> npt.NDArray[np.int64]:
        """Of ``[a, b)``, how much lies in each interval."""
        inside: npt.NDArray[np.int64] = np.minimum(b, hi) - np.maximum(a, lo)
        return np.maximum(inside, 0)

    for i, d in rows:
        state = newest.get(d.sensor_id(RUNTIME_STATE))
        start = lost[d.id].from_ms
        if state is None:
            continue  # no state ever: unknown, not lost
        held_to = state.ts_ms + STATE_HOLD_MS
        gone = overlap(max(start, held_to), now_ms)  # unknown in the store: nothing held
        unknown[i] -= gone
        duration[i, :, to] += gone
        code = int(state.value)
        if code != NO_SIGNAL_CODE and code in codes:
            held = overlap(start, min(held_to, now_ms))  # still the last state in the store
            duration[i, :, codes.index(code)] -= held
            duration[i, :, to] += held
    return replace(got, codes=np.array(codes, np.int64), duration_ms=duration, unknown_ms=unknown)
