"""Benchmarks: the standard synthetic workload and the peer databases Seamline is measured against.

``seamline bench ingest`` pushes the same :class:`Workload` through Seamline's ingest path and
through each peer (:class:`VictoriaMetricsPeer`) in one run, so the figures compare like with like.
"""

from seamline.bench.errors import BenchError, PeerError, PeerUnavailableError, ReadingsLostError
from seamline.bench.victoriametrics import PeerResult, VictoriaMetricsPeer
from seamline.bench.workload import Chunk, Workload

__all__ = [
    "BenchError",
    "Chunk",
    "PeerError",
    "PeerResult",
    "PeerUnavailableError",
    "ReadingsLostError",
    "VictoriaMetricsPeer",
    "Workload",
]
