"""Float32 values of Sparkplug and OPC UA peers, stored as the decimal the device meant."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.ingest.floats import float32_value
from seamline.ingest.opcua import reading_value


@given(st.floats(width=32, allow_nan=False))
def test_the_shortest_decimal_is_the_same_float32_and_stays_put(value: float) -> None:
    read = float32_value(value)
    assert np.float32(read) == np.float32(value)
    assert len(repr(read)) <= len(repr(value))
    assert float32_value(read) == read  # idempotent: reading it twice changes nothing


@pytest.mark.parametrize(("typed", "stored"), [(36.6, 36.6), (0.1, 0.1), (-12.3, -12.3), (1e-7, 1e-7)])
def test_an_opc_ua_float_is_stored_as_typed_and_a_double_as_sent(typed: float, stored: float) -> None:
    widened = float(np.float32(typed))  # what asyncua hands over for a Float variant
    assert widened != typed
    assert reading_value(widened, float32=True) == stored
    assert reading_value(widened) == widened  # a Double is not rounded
