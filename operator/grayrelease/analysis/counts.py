"""Request counts read back from error ratios that are exact fractions.

An error ratio is errors / requests over one window. Where both counters come from one series
(one pod, or counts recorded per interval), Prometheus divides two increases with the same
extrapolation, and the value is exactly k / n: 1/157, 2/445. A scenario exported without its
request counts then still holds them, written in the values themselves. The judge reads them back
(``recovered_trials``) and runs the exact count test instead of estimating counts from how the
ratios wander, which must be cautious and so gives up most of the evidence a 5% canary has.

A fraction is taken only where it is too simple to be chance at the value's precision: a value
written with six significant digits is within half a unit of its last digit of many fractions,
but of one with a small denominator only if it is one. A sum over pods with different
extrapolations is no exact fraction, and nothing is read from it.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

CHANCE = 0.02
"""Most expected number of fractions of denominator up to the accepted bound within a value's
precision, for a value that is no fraction at all: a denominator is accepted only below it."""
MAX_DENOMINATOR = 10_000_000
"""Largest request count per value read back, whatever the precision."""
MIN_FRACTIONS = 3
"""Fewest non-zero values of a side, all exact fractions, before its counts are read back."""
FLOAT_TOLERANCE = 1e-12
"""Relative slack for values computed in floating point (a ratio of two rates)."""


def significant_digits(value: float) -> int:
    """Significant digits of the value as written (its shortest decimal form)."""
    mantissa = repr(float(value)).partition("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1


def _simplest(lo: Fraction, hi: Fraction) -> Fraction:
    """The fraction of smallest denominator in [lo, hi], 0 <= lo <= hi (continued fractions)."""
    whole = math.floor(lo)
    if lo == whole:
        return Fraction(whole)
    if whole + 1 <= hi:
        return Fraction(whole + 1)
    return whole + 1 / _simplest(1 / (hi - whole), 1 / (lo - whole))


@functools.lru_cache(maxsize=65536)
def denominator(value: float, digits: int) -> int | None:
    """The denominator of the simplest fraction a ratio in (0, 1] is, or None where it is not one.

    The fraction must lie within the value's precision (half a unit of its ``digits``-th
    significant digit: a series written with six has 0.0125 for 0.0125000) and have a
    denominator small enough that a value that is no fraction would come that close to one with
    chance below ``CHANCE``: fractions of denominator at most q are about 0.6 q^2 per unit, so q
    must stay below sqrt(CHANCE / (1.2 x tolerance)).
    """
    if not (0.0 < value <= 1.0) or not math.isfinite(value):
        return None
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    tolerance = max(half_unit, FLOAT_TOLERANCE * value)
    bound = min(MAX_DENOMINATOR, math.sqrt(CHANCE / (1.2 * tolerance)))
    exact = Fraction(value)
    slack = Fraction(tolerance)
    fraction = _simplest(max(exact - slack, Fraction(0)), exact + slack)
    return fraction.denominator if 0 < fraction.denominator <= bound and fraction > 0 else None


def recovered_trials(values: np.ndarray) -> np.ndarray | None:
    """Requests behind each value of a side's error ratios, read back from exact fractions; None if they are not.

    Every non-zero value must be an exact fraction (at least ``MIN_FRACTIONS`` of them). A reduced
    fraction's denominator divides the true count (2 errors in 314 requests reads 1/157), so
    each is lifted to its multiple nearest the side's typical count, the upper quartile of the
    denominators. Intervals without errors (0 says nothing of n) take the count interpolated
    between their neighbours, in log terms; NaN stays NaN.
    """
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    nonzero = np.flatnonzero(present & (values > 0))
    if nonzero.size < MIN_FRACTIONS:
        return None
    # The series' precision is that of its most precise value: 0.0125 beside 0.00636943 is 0.0125000.
    digits = max(significant_digits(float(values[i])) for i in nonzero)
    found = [denominator(float(values[i]), digits) for i in nonzero]
    if any(q is None for q in found):
        return None
    denominators = np.array(found, dtype=float)
    level = float(np.percentile(denominators, 75))
    lifted = denominators * np.maximum(1.0, np.round(level / denominators))
    trials = np.exp(np.interp(np.arange(values.size), nonzero, np.log(lifted)))
    trials[nonzero] = lifted  # whole numbers, not their exp(log(n))
    return np.where(present, trials, np.nan)
