"""Readings from data-change notifications, gathered per device into wire-format messages.

One message per device per flush (docs/telemetry.md): ``seq`` counts that device's messages
from 0 for this connector run, and ``boot`` is the connector's start time in ms, so a restarted
connector never reuses an earlier run's ``(device, boot, seq)`` and the store keeps both.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from seamline.ingest.decode import build_message


class DeviceBatcher:
    """Collects readings per device and drains them as messages, each with the device's next seq.

    >>> b = DeviceBatcher(boot=7)
    >>> b.add("CUT-01", 8, 1795334400000, 1500.0)
    >>> [(m["device"], m["seq"], m["boot"], m["readings"]["v"]) for m in b.drain(1795334400100)]
    [('CUT-01', 0, 7, [1500.0])]
    >>> b.drain(1795334400200)
    []
    """

    def __init__(self, boot: int) -> None:
        self.boot = boot
        self._next_seq: defaultdict[str, int] = defaultdict(int)
        self._pending: dict[str, tuple[list[int], list[int], list[float]]] = {}
        self.pending_readings = 0

    def add(self, device_id: str, channel_index: int, ts_ms: int, value: float) -> None:
        columns = self._pending.get(device_id)
        if columns is None:
            columns = self._pending[device_id] = ([], [], [])
        columns[0].append(channel_index)
        columns[1].append(ts_ms)
        columns[2].append(value)
        self.pending_readings += 1

    def drain(self, sent_ts_ms: int) -> list[dict[str, Any]]:
        """Every pending reading as messages, one per device; the batcher is empty afterwards."""
        pending, self._pending, self.pending_readings = self._pending, {}, 0
        messages = []
        for device_id, (channels, ts_ms, values) in pending.items():
            seq = self._next_seq[device_id]
            self._next_seq[device_id] = seq + 1
            messages.append(
                build_message(
                    device_id,
                    seq=seq,
                    boot=self.boot,
                    sent_ts_ms=sent_ts_ms,
                    channels=channels,
                    ts_ms=ts_ms,
                    values=values,
                )
            )
        return messages
