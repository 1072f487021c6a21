"""Float32 values as the device meant them.

A 32-bit float widened to Python's 64-bit float carries the binary error of float32 into every
decimal digit: a sensor's 36.6 arrives as 36.599998474121094. Both connectors whose peers send
float32 (Sparkplug B ``Float``, OPC UA ``Float``) store the shortest decimal that reads back as the
same float32, which is what the device displayed and what a person typed.
"""

from __future__ import annotations

import numpy as np


def float32_value(value: float) -> float:
    """The shortest decimal that rounds to the same float32 as ``value``, as a Python float.

    >>> float32_value(36.599998474121094), float32_value(0.1), float32_value(-1e30)
    (36.6, 0.1, -1e+30)
    >>> float32_value(float("inf"))
    inf
    """
    return float(str(np.float32(value)))
