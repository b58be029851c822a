"""What a perfect observer could tell from a generated release: the ceiling any judge is held to.

The oracle knows what no judge can: when the regression started, the true request counts (also
where the scenario reports ratios only), and the generator's noise model. It looks once, at the
end of the release, at the intervals from the onset on, with a one-sided test at the judge's
default level (alpha = 0.01). A bad release it cannot tell apart from a good one is *invisible*:
no judge, however clever, catches it without also rolling back good releases at a comparable
rate. The benchmark reports recall on all bad releases and on the visible ones.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

ALPHA = 0.01


def errors_visible(
    stable_x: np.ndarray, stable_n: np.ndarray, canary_x: np.ndarray, canary_n: np.ndarray, relative_noise: float
) -> bool:
    """Are the canary's errors since the onset more than stable's, given the true counts?

    Conditional on the total, the canary's share of errors is binomial; the per-interval error
    rates of both sides wander by ``relative_noise`` (a standard deviation, relative), which
    widens the share's variance by 1 + 2 noise^2 x errors per interval (quasi-binomial).
    """
    keep = (stable_n > 0) & (canary_n > 0)
    cx, sx = float(canary_x[keep].sum()), float(stable_x[keep].sum())
    cn, sn = float(canary_n[keep].sum()), float(stable_n[keep].sum())
    total = cx + sx
    if total <= 0 or cn <= 0 or sn <= 0:
        return False
    share = cn / (cn + sn)
    per_interval = total / max(int(keep.sum()), 1)
    dispersion = 1.0 + 2.0 * relative_noise**2 * per_interval * share * (1.0 - share)
    z = (cx - total * share) / math.sqrt(total * share * (1.0 - share) * dispersion)
    return bool(sps.norm.sf(z) < ALPHA) and cx >= 3


def shift_visible(log_ratios: np.ndarray, sigmas: np.ndarray) -> bool:
    """Is the mean of per-interval canary/stable log ratios above zero, given each interval's true noise?"""
    keep = ~np.isnan(log_ratios)
    if keep.sum() < 2:
        return False
    values, weights = log_ratios[keep], 1.0 / sigmas[keep] ** 2
    z = float((values * weights).sum() / math.sqrt(weights.sum()))
    return bool(sps.norm.sf(z) < ALPHA)
