"""``test: mann-whitney``: Kayenta's unpaired rank test over recent windows, with the two-sample
Hodges–Lehmann shift. It spends the release's alpha over looks (``stats.spent_alpha``) and needs
dozens of intervals to fail anything; the paired test is the default.
"""

from __future__ import annotations

import math

import numpy as np

from grayrelease.analysis import evidence, settings, stats


SAMPLE_WINDOWS = (3, 6, 12, 24, 48)
"""Recent windows (in intervals) the rank test checks besides the whole history; three is also the
fewest intervals a per-interval metric is judged on, the least a Hodges–Lehmann estimate shrugs
one bad interval off with."""


def windows(length: int, sizes: tuple[int, ...]) -> list[int]:
    """Suffix lengths to test at a look over ``length`` intervals: recent windows and the whole history."""
    return sorted({w for w in sizes if w < length} | {length})


def mann_whitney_windows(
    stable: np.ndarray,
    canary: np.ndarray,
    stable_ok: np.ndarray,
    canary_ok: np.ndarray,
    windows: list[int],
    cfg: settings.Resolved,
) -> list[evidence.WindowResult]:
    positive = bool(np.all(stable[stable_ok] > 0) and np.all(canary[canary_ok] > 0))
    transform = np.log if positive else (lambda x: x)
    level = float(np.median(np.abs(stable[stable_ok]))) if stable_ok.any() else 1.0
    results = []
    for w in windows:
        sl = slice(len(stable) - w, None)
        s = transform(stable[sl][stable_ok[sl]])
        c = transform(canary[sl][canary_ok[sl]])
        if s.size == 0 or c.size == 0:
            continue
        shift = stats.hodges_lehmann_shift(s, c)
        effect = math.expm1(shift) if positive else shift / (level or 1.0)
        greater = stats.mann_whitney_greater(s, c)
        less = stats.mann_whitney_greater(c, s)
        bad_is_greater = cfg.better == "lower"
        results.append(
            evidence.WindowResult(
                effect=effect,
                p_bad=greater if bad_is_greater else less,
                p_good=less if bad_is_greater else greater,
                samples=int(min(s.size, c.size)),
            )
        )
    return results
