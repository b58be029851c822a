"""The plain threshold rule (``successCondition: result < 0.01``), as a baseline for the judge.

This is how Argo Rollouts and Flagger analyse a canary out of the box: the canary's own value
at each interval against a fixed limit, with a failure limit. It ignores stable entirely, so it
cannot tell a bad canary from a bad day; the detection benchmark scores it side by side with
the statistical judge. Same calling convention as ``backtest.Rule``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grayrelease.analysis.judge import CompareConfig, MetricHistory


@dataclass(frozen=True)
class Limit:
    """``result < value`` when better is lower, ``result > value`` when higher."""

    value: float
    better: str = "lower"

    def passes(self, result: float) -> bool:
        return result < self.value if self.better == "lower" else result > self.value


@dataclass(frozen=True)
class ThresholdRule:
    """Roll back once more than ``failure_limit`` intervals failed their limit (Argo's failureLimit);
    pause while the latest measurement of a metric is missing (inconclusive)."""

    limits: dict[str, Limit]
    failure_limit: int = 1

    def __call__(self, histories: Sequence[MetricHistory], settings: Mapping[str, CompareConfig] | None = None) -> str:
        """``settings`` (a scenario's compare settings) mean nothing to a fixed limit."""
        inconclusive = False
        for history in histories:
            limit = self.limits.get(history.name)
            if limit is None:
                continue
            failures = sum(1 for value in history.canary if value is not None and not limit.passes(value))
            if failures > self.failure_limit:
                return "rollback"
            if not history.canary or history.canary[-1] is None:
                inconclusive = True
        return "pause" if inconclusive else "continue"
