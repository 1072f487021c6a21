"""The X-bar/R factors as printed (Montgomery Appendix VI) against the range distribution they come from.

A typo in the table (2.282 keyed as 2.228) would shift every R chart limit; deriving the factors
again from the distribution of the range of n normal values catches it. The printed values are
rounded to three decimals, and Montgomery rounds a few down (D4 = 2.574 for n = 3 where the exact
value is 2.5746), so each must lie within 0.001 of the exact one.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from seamline.quality.spc import RANGE_FACTORS

_X = np.linspace(-9.0, 9.0, 1801)  # the normal density is below 1e-17 beyond 9 sigma
_R = np.linspace(0.0, 12.0, 601)
_ERF = np.vectorize(math.erf)


def _cdf(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(0.5 * (1.0 + _ERF(x / math.sqrt(2.0))), dtype=np.float64)


_PHI = np.exp(-(_X**2) / 2) / math.sqrt(2 * math.pi)
_CDF_X = _cdf(_X)
_CDF_X_PLUS_R = _cdf(_X[None, :] + _R[:, None])  # (r, x)


def _range_moments(n: int) -> tuple[float, float]:
    """d2 = E[R] and d3 = sd[R] for the range R of n standard normal values.

    P(R <= r) = n * integral of phi(x) * (Phi(x + r) - Phi(x))^(n - 1) dx; then
    E[R] = integral of P(R > r) dr and E[R^2] = 2 * integral of r * P(R > r) dr.
    """
    cdf_range = n * np.trapezoid(_PHI[None, :] * (_CDF_X_PLUS_R - _CDF_X[None, :]) ** (n - 1), _X, axis=1)
    survival = 1.0 - cdf_range
    d2 = float(np.trapezoid(survival, _R))
    d3 = math.sqrt(float(2 * np.trapezoid(_R * survival, _R)) - d2**2)
    return d2, d3


def test_the_table_covers_subgroups_of_2_to_25() -> None:
    assert sorted(RANGE_FACTORS) == list(range(2, 26))
    assert all(f.n == n for n, f in RANGE_FACTORS.items())


@pytest.mark.parametrize("n", range(2, 26))
def test_each_printed_factor_is_the_exact_one_to_its_last_digit(n: int) -> None:
    d2, d3 = _range_moments(n)
    f = RANGE_FACTORS[n]
    assert f.d2 == pytest.approx(d2, abs=0.001)
    assert pytest.approx(3 / (d2 * math.sqrt(n)), abs=0.001) == f.A2
    assert pytest.approx(1 + 3 * d3 / d2, abs=0.001) == f.D4
    assert pytest.approx(max(0.0, 1 - 3 * d3 / d2), abs=0.001) == f.D3


def test_the_integration_reproduces_the_best_known_values() -> None:
    # n = 2: R = |X1 - X2| with X1 - X2 ~ N(0, 2), so E[R] = sqrt(2) * sqrt(2 / pi) = 2 / sqrt(pi)
    # and E[R^2] = 2, so sd[R] = sqrt(2 - 4 / pi)
    d2, d3 = _range_moments(2)
    # The grid is good to about 2e-5, far inside the 0.001 the table is checked to.
    assert d2 == pytest.approx(2 / math.sqrt(math.pi), abs=1e-4)  # 1.128379
    assert d3 == pytest.approx(math.sqrt(2 - 4 / math.pi), abs=1e-4)  # 0.852502
