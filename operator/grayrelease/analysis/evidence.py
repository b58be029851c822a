"""What the judge's tests share: results per window, start intervals, always-valid p-values.

The count test (``counttest``) and the paired test (``pairedtest``) each give, per start
interval, an e-value of "the canary is worse since this interval"; this module turns it into a
p-value against the release-wide alpha, lists the starts a test reports on and the trailing
windows the one-look marginal check tests, and discounts evidence over overlapping query windows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from grayrelease.analysis import stats


MIN_SEGMENT = 2
"""Fewest intervals with counts the count test decides on: a single burst of errors never does."""

MARGINAL_FRACTIONS = (1.0, 0.5, 0.25)
"""Trailing windows (shares of the intervals with data) the marginal check tests at one look: the
whole release, and its second half and last quarter for a regression that started mid-release."""


@dataclass(frozen=True)
class WindowResult:
    effect: float
    p_bad: float
    p_good: float
    samples: int
    worse: int | None = None
    """Intervals of the window in which the canary is worse than the test's null, where the test
    also asks how many are (``pairedtest.majority_confirms``); None where it does not."""
    confirmed: bool = True
    """Whether a significant p_bad may roll back: False where most of the window's intervals do
    not share the excess its mean shows (a few far-off values carry it)."""
    doubt: str | None = None
    """Why the window is not confirmed, where it is not for another reason than ``worse``."""


def halved(r: WindowResult) -> WindowResult:
    """One of two tests asked at once: Bonferroni, each at half the alpha."""
    return dataclasses.replace(r, p_bad=min(1.0, 2 * r.p_bad), p_good=min(1.0, 2 * r.p_good))


def starts(usable: np.ndarray) -> Iterator[tuple[int, int, float]]:
    """Start intervals a sequential test reports on: (start, usable intervals since it, alpha share).

    Only starts at a usable interval with at least ``MIN_SEGMENT`` usable intervals since.
    """
    since = np.cumsum(usable[::-1])[::-1]
    for start in range(len(usable)):
        if since[start] < MIN_SEGMENT:
            return
        if usable[start]:
            yield start, int(since[start]), stats.start_weight(start)


def always_valid_p(log_evidence: float, weight: float) -> float:
    """p-value of a sequential test: 1 / (start weight x e-value), at most 1.

    Evidence against the hypothesis can be overwhelming (a canary far better than stable on
    millions of requests), so the e-value is clamped before exponentiating.
    """
    return min(1.0, math.exp(min(-float(log_evidence), 700.0)) / weight)


def inflation(n: int, overlap: float) -> float:
    return float(stats.overlap_inflation(n, overlap))


def marginal_starts(usable: np.ndarray) -> list[tuple[int, int]]:
    """Trailing windows the marginal check tests: (start, usable intervals since it), per ``MARGINAL_FRACTIONS``."""
    where = np.flatnonzero(usable)
    out = {}
    for fraction in MARGINAL_FRACTIONS:
        k = max(MIN_SEGMENT, math.ceil(fraction * where.size))
        if k <= where.size:
            out[int(where[where.size - k])] = k
    return sorted(out.items())


def simes_suspect(
    results: list[WindowResult], tested: int, alpha: float, beyond: Callable[[WindowResult], bool]
) -> tuple[WindowResult | None, float]:
    """The marginal check's verdict over its windows: the most significant window beyond the
    tolerance that Simes' procedure rejects at ``alpha`` over ``tested`` windows, and the bar it
    met (meaningful only with a suspect).

    The windows are trailing windows of one history (the whole release holds its second half,
    which holds its last quarter; a count-less error ratio adds the paired test's windows of the
    same data), so their p-values rise and fall together; Simes' test is valid under such positive
    dependence and, where two windows agree, asks less of each than one-by-one Bonferroni.
    """
    if tested <= 0 or alpha <= 0:
        return None, 0.0
    ranked = sorted(results, key=lambda r: r.p_bad)
    reach = max((rank for rank, r in enumerate(ranked, start=1) if r.p_bad <= rank * alpha / tested), default=0)
    return next((r for r in ranked[:reach] if beyond(r)), None), reach * alpha / tested
