"""Benchmarks: the standard synthetic workload and the peer databases Seamline is measured against.

``seamline bench ingest`` (:func:`run_ingest_bench`) pushes the same :class:`Workload` through
Seamline's ingest path and through each peer (:class:`VictoriaMetricsPeer`) in one run, so the
figures compare like with like.

The names below are imported on first use: ``seamline --help`` loads this package to list the
``bench`` commands and should not pay for numpy, httpx and the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamline.bench.errors import BenchError, PeerError, PeerUnavailableError, ReadingsLostError
    from seamline.bench.ingest import IngestBenchOptions, run_ingest_bench
    from seamline.bench.victoriametrics import PeerResult, VictoriaMetricsPeer
    from seamline.bench.workload import Chunk, Workload

_HOME = {
    "BenchError": "seamline.bench.errors",
    "PeerError": "seamline.bench.errors",
    "PeerUnavailableError": "seamline.bench.errors",
    "ReadingsLostError": "seamline.bench.errors",
    "IngestBenchOptions": "seamline.bench.ingest",
    "run_ingest_bench": "seamline.bench.ingest",
    "PeerResult": "seamline.bench.victoriametrics",
    "VictoriaMetricsPeer": "seamline.bench.victoriametrics",
    "Chunk": "seamline.bench.workload",
    "Workload": "seamline.bench.workload",
}

__all__ = [
    "BenchError",
    "Chunk",
    "IngestBenchOptions",
    "PeerError",
    "PeerResult",
    "PeerUnavailableError",
    "ReadingsLostError",
    "VictoriaMetricsPeer",
    "Workload",
    "run_ingest_bench",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'seamline.bench' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
