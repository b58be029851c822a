"""What an untuned metric assumes, and the settings one metric is judged with at one look.

``resolve`` merges a metric's ``compare:`` block (``api.compare.CompareConfig``) with the defaults
of its kind and with what its history says (the canary's weight widens the priors of a small
canary). A success ratio is recognised here too: its complement is judged as an error ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grayrelease.analysis import series
from grayrelease.api.compare import Better, CompareConfig, RatePer, TestName


@dataclass(frozen=True)
class KindDefaults:
    """What an untuned metric of one kind assumes."""

    better: Better
    max_degradation: float
    prior_noise: float
    """Typical standard deviation of the per-interval canary-vs-stable difference (log ratio or
    relative difference) before the data say otherwise."""


KIND_DEFAULTS: dict[str, KindDefaults] = {
    "error-ratio": KindDefaults(better="lower", max_degradation=0.25, prior_noise=0.5),
    "latency": KindDefaults(better="lower", max_degradation=0.05, prior_noise=0.12),
    "throughput": KindDefaults(better="higher", max_degradation=0.2, prior_noise=0.08),
    "gauge": KindDefaults(better="lower", max_degradation=0.1, prior_noise=0.1),
}


REFERENCE_WEIGHT = 5.0
"""Canary weight (percent) the latency and throughput priors are meant for."""


@dataclass(frozen=True)
class Resolved:
    """One metric's settings at one look: its ``compare:`` fields, else its kind's defaults."""

    kind: str
    better: Better
    test: TestName
    alpha: float
    tolerance: float
    prior_noise: float
    min_samples: int
    missing_limit: int
    marginal_alpha: float
    overlap: float
    overlap_known: bool
    per: RatePer = "auto"
    """A throughput's values per side, per pod, or ``auto`` (read off the data): ``compare.per``."""
    canary_events: float | None = None
    """Events behind one canary value of a throughput over one interval, at its median rate
    (``events_per_interval``); None for other kinds or where the interval is unknown."""
    against_baseline: bool = False
    """The other side is a baseline as small as the canary (``compare.against: baseline``), not a stable of many pods."""

    @property
    def other(self) -> str:
        """The side the canary is compared with, as the verdict's reason names it."""
        return "the baseline" if self.against_baseline else "stable"


def resolve(history: series.MetricHistory, config: CompareConfig) -> Resolved:
    """The settings ``history`` is judged with: the config's fields, the kind's defaults for the
    rest, the prior widened for a small canary, the query window as far as it is known."""
    kind = config.kind or history.kind or "gauge"
    defaults = KIND_DEFAULTS[kind]
    return Resolved(
        kind=kind,
        better=config.better or history.better or defaults.better,
        test=config.test,
        alpha=1.0 - config.confidence,
        tolerance=config.max_degradation if config.max_degradation is not None else defaults.max_degradation,
        prior_noise=defaults.prior_noise * traffic_factor(kind, series.latest_weight(history)),
        min_samples=config.min_samples,
        missing_limit=config.missing_limit,
        marginal_alpha=1.0 - config.marginal_confidence if config.marginal_confidence > 0 else 0.0,
        overlap=max(1.0, float(history.overlap or 1.0)),
        overlap_known=history.overlap is not None and history.overlap_known,
        per=config.per,
        canary_events=events_per_interval(history) if kind == "throughput" else None,
        against_baseline=config.against == "baseline",
    )


def events_per_interval(history: series.MetricHistory) -> float | None:
    """How many events (requests, messages) a canary's rate stands for over one interval: its median
    value (per second, as ``rate()`` gives) times the interval.

    A rate of n events wanders at least as a Poisson count, 1 / sqrt(n) in log terms, whatever
    the priors assume: the canary of a service at 3 requests/s gets a handful per interval. In
    other units the figure only overstates n (per minute: 60 times), which leaves the priors as
    they are. None where the interval is unknown or the canary has no positive value.
    """
    if not history.interval_seconds or history.interval_seconds <= 0:
        return None
    values = np.array([v for v in history.canary if v is not None and v > 0], dtype=float)
    return float(np.median(values)) * history.interval_seconds if values.size else None


def traffic_factor(kind: str, canary_weight: float | None) -> float:
    """How much noisier than usual a traffic-derived statistic of a small canary is.

    A latency quantile or a request rate computed from n requests wanders about 1 / sqrt(n), and a
    canary below ``REFERENCE_WEIGHT`` percent sees proportionally fewer requests than the priors
    assume, so its prior noise grows as sqrt(REFERENCE_WEIGHT / weight). Gauges (memory, CPU) are
    per pod and do not depend on traffic; error ratios have their own count test.
    """
    if kind not in ("latency", "throughput") or canary_weight is None or canary_weight <= 0:
        return 1.0
    return max(1.0, math.sqrt(REFERENCE_WEIGHT / canary_weight))


def is_success_ratio(history: series.MetricHistory, config: CompareConfig) -> bool:
    """A ratio near 1 (or 100%) where higher is better (success ratio, availability, Apdex)."""
    return success_scale(history, config) is not None


def success_scale(history: series.MetricHistory, config: CompareConfig) -> float | None:
    """1 for a success ratio, 100 for one in percent; None for any other metric.

    Its complement is a failure ratio: a regression from 99.9% to 99% success is tenfold more
    failures, which a relative comparison of the success ratios themselves (-0.9%) would shrug off
    as noise. Recognised from the values: every one within [0, 1] and stable's median above 0.5,
    or every one within [0, 100], some above 1, and stable's median above 50.
    """
    kind = config.kind or history.kind
    better = config.better or history.better
    if better != "higher" or kind not in ("gauge", "error-ratio") or config.test == "mann-whitney":
        return None
    values = np.array([v for v in (*history.stable, *history.canary) if v is not None], dtype=float)
    stable = np.array([v for v in history.stable if v is not None], dtype=float)
    if not stable.size or np.any(values < 0):
        return None
    for scale in (1.0, 100.0):
        if np.all(values <= scale) and np.median(stable) > scale / 2:
            return scale
    return None


def config_for(history: series.MetricHistory, configs: dict[str, CompareConfig]) -> CompareConfig:
    """The metric's ``compare:`` block among ``configs`` (by name), or the defaults."""
    return configs.get(history.name) or CompareConfig()
