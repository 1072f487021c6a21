"""Encode workload chunks into request bodies for VictoriaMetrics' ``/api/v1/import`` (JSON lines).

Each body holds a time slice of the workload (consecutive windows) with one line per series:
``{"metric":{...},"values":[...],"timestamps":[...]}``, the columnar form VictoriaMetrics itself
exports, so per-series labels are parsed once per line rather than once per reading. Encoding runs
before the clock starts; it also records, per sensor, how many readings were sent and their sum,
which is what the peer checks when it reads them back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from seamline.bench.workload import Chunk

METRIC_NAME = "seamline"
JSON_PATH = "/api/v1/import"
_NUMPY = orjson.OPT_SERIALIZE_NUMPY
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class ImportPayloads:
    """Request bodies ready to send, and what they contain."""

    path: str  # the import endpoint the bodies are for
    bodies: tuple[bytes, ...]
    readings: int
    sensor_ids: npt.NDArray[np.int64]  # sensors that have readings, ascending
    counts: npt.NDArray[np.int64]  # readings per sensor
    sums: npt.NDArray[np.float64]  # sum of the values per sensor
    min_ts_ms: int
    max_ts_ms: int
    encode_s: float

    @property
    def payload_bytes(self) -> int:
        return sum(len(b) for b in self.bodies)


class _Encoder:
    def __init__(self) -> None:
        self.prefix: dict[int, bytes] = {}  # sensor id -> b'{"metric":{...},"values":'
        self.devices: set[str] = set()
        self.counts = np.zeros(0, np.int64)
        self.sums = np.zeros(0, np.float64)
        self.min_ts = np.iinfo(np.int64).max
        self.max_ts = np.iinfo(np.int64).min

    def register(self, chunk: Chunk) -> None:
        """Labels of every channel of the chunk's device: ``sensor``, ``device``, ``channel``."""
        if chunk.device_id in self.devices or len(chunk) == 0:
            return
        self.devices.add(chunk.device_id)
        base = int(chunk.sensor_ids[0]) - int(chunk.channel_idx[0])
        for i, channel in enumerate(chunk.channels):
            metric = {"__name__": METRIC_NAME, "sensor": str(base + i), "device": chunk.device_id}
            metric["channel"] = channel.name
            self.prefix[base + i] = b'{"metric":' + orjson.dumps(metric) + b',"values":'

    def body(self, chunks: list[Chunk]) -> bytes:
        sensor = np.concatenate([c.sensor_ids for c in chunks])
        order = np.argsort(sensor, kind="stable")  # chunks are in time order, so is each series
        sensor = sensor[order]
        ts = np.concatenate([c.ts_ms for c in chunks])[order]
        values = np.concatenate([c.values for c in chunks])[order]
        starts = np.flatnonzero(np.concatenate(([True], sensor[1:] != sensor[:-1])))
        ends = np.append(starts[1:], sensor.size)
        ids = sensor[starts].astype(np.int64)
        self._tally(ids, ends - starts, np.add.reduceat(values, starts))
        self.min_ts = min(self.min_ts, int(ts.min()))
        self.max_ts = max(self.max_ts, int(ts.max()))
        lines = [
            b"".join(
                (
                    self.prefix[sid],
                    orjson.dumps(values[a:b], option=_NUMPY),
                    b',"timestamps":',
                    orjson.dumps(ts[a:b], option=_NUMPY),
                    b"}\n",
                )
            )
            for sid, a, b in zip(ids.tolist(), starts.tolist(), ends.tolist(), strict=True)
        ]
        return b"".join(lines)

    def _tally(
        self, ids: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], sums: npt.NDArray[np.float64]
    ) -> None:
        need = int(ids[-1]) + 1
        if need > self.counts.size:
            self.counts = np.concatenate((self.counts, np.zeros(need - self.counts.size, np.int64)))
            self.sums = np.concatenate((self.sums, np.zeros(need - self.sums.size, np.float64)))
        self.counts[ids] += counts
        self.sums[ids] += sums


def encode_import(chunks: Iterable[Chunk], *, readings_per_request: int) -> ImportPayloads:
    """Group consecutive chunks into bodies of about ``readings_per_request`` readings each."""
    started = time.perf_counter()
    enc = _Encoder()
    bodies: list[bytes] = []
    batch: list[Chunk] = []
    in_batch = 0
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        enc.register(chunk)
        batch.append(chunk)
        in_batch += len(chunk)
        if in_batch >= readings_per_request:
            bodies.append(enc.body(batch))
            batch, in_batch = [], 0
    if batch:
        bodies.append(enc.body(batch))
    sent = np.flatnonzero(enc.counts)
    return ImportPayloads(
        path=JSON_PATH,
        bodies=tuple(bodies),
        readings=int(enc.counts.sum()),
        sensor_ids=sent.astype(np.int64),
        counts=enc.counts[sent],
        sums=enc.sums[sent],
        min_ts_ms=int(enc.min_ts) if bodies else 0,
        max_ts_ms=int(enc.max_ts) if bodies else 0,
        encode_s=time.perf_counter() - started,
    )
