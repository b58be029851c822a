"""``compare:`` of a metric: judge the canary against the stable (or a baseline) with a statistical test.

The model belongs to the API (it is part of the CRD schema); the statistical judge in
``grayrelease.analysis.judge`` reads it. The metric's ``query`` is run once per side with
``{{ side.revision }}`` / ``{{ side.role }}`` set to that side; ``requestsQuery``, when given,
counts each side's requests per interval so error ratios get an exact test of two rates that
knows how little traffic a small canary gets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Literal

from pydantic import Field

from grayrelease.api.base import Model
from grayrelease.api.durations import PositiveDuration, longest_promql_range, parse_duration, recording_rule_range

MetricKind = Literal["error-ratio", "latency", "throughput", "gauge"]
Better = Literal["lower", "higher"]
Against = Literal["stable", "baseline"]
TestName = Literal["auto", "two-proportion", "paired", "mann-whitney"]
RatePer = Literal["auto", "side", "pod"]
WINDOW_FILLING_KINDS: tuple[MetricKind, ...] = ("latency", "throughput")
"""Kinds whose value over a rate window reads skewed while a fresh canary's series are younger than
the window (a rate reads low, a quantile comes from a fraction of the requests). Error ratios are
ratios of two rates that fill alike; gauges are per pod."""


def query_window(queries: Iterable[str | None], kind: MetricKind | None, declared: str | None = None) -> timedelta | None:
    """The range one value of a compare metric spans: ``declared`` (``queryWindow``), else the
    longest range its queries show, in a range selector or in the name of a recording rule
    (``job:http_errors:ratio_rate5m`` spans five minutes); zero for a gauge read at an instant,
    None where nothing says.

    A request metric without a range reads a recording rule named otherwise or a client-side
    summary, whose window the query hides: taken for an instant, values read every 30 s over five
    minutes would count each request ten times over. The operator and ``grayrelease replay
    --from-prometheus`` both ask here, so a replay judges as the operator did.
    """
    if declared is not None:
        return parse_duration(declared)
    window = max((max(longest_promql_range(q), recording_rule_range(q)) for q in queries if q), default=timedelta(0))
    if window > timedelta(0) or kind in (None, "gauge"):
        return window
    return None


class CompareConfig(Model):
    """How a metric's canary is compared with stable (the ``compare:`` field of a GrayRelease metric).

    Every field has a default that works for the metric's kind; unset fields follow the kind.
    """

    against: Against = Field(
        default="stable",
        description=(
            "What the canary is compared with. stable: the stable pods serving the rest of the traffic. baseline: "
            "pods of the stable revision the operator starts beside the canary, as many and as fresh as the "
            "canary's and given the same share of traffic, so a fresh pod's warm-up, a pod's share of the load or "
            "a node's speed weigh alike on both sides. The query then selects a side by {{ side.role }} "
            "(baseline and stable run the same revision)."
        ),
    )
    kind: MetricKind | None = Field(
        default=None,
        description="error-ratio, latency, throughput or gauge; picks the defaults. Unset: taken from the metric.",
    )
    better: Better | None = Field(
        default=None, description="Which direction is good; default lower, higher for throughput."
    )
    test: TestName = Field(
        default="auto",
        description="auto: two-proportion for error ratios with request counts, paired otherwise.",
    )
    confidence: float = Field(
        default=0.99,
        gt=0.5,
        lt=1.0,
        description="1 - confidence bounds the chance that this metric fails a good release, over the whole release.",
    )
    marginal_confidence: float = Field(
        default=0.95,
        ge=0.0,
        lt=1.0,
        description=(
            "A canary worse than stable beyond maxDegradation at this confidence, tested at that one look "
            "rather than over the whole release, holds the release when its step completes (paused, no more "
            "traffic, no promotion) until it clears or a person decides; so do a fresh canary's latency "
            "excess while it fades (warm-up) and a latency worse on average but not in most intervals. "
            "0 turns these holds off: the latter two then fail."
        ),
    )
    max_degradation: float | None = Field(
        default=None,
        ge=0.0,
        description=(
            "Tolerated relative degradation (0.1 = 10%); a significant difference smaller than this passes. "
            "Default: 0.25 for error-ratio, 0.05 for latency, 0.2 for throughput, 0.1 for gauge."
        ),
    )
    min_samples: int = Field(
        default=3, ge=1, description="Intervals with data on both sides needed before the metric can pass."
    )
    missing_limit: int = Field(
        default=3,
        ge=1,
        description="Consecutive intervals in which the canary alone reports nothing before the metric fails "
                    "(and at least a minute, after the canary's first minute). Without request counts, a canary "
                    "that never reported fails so only where it was due requests; otherwise the metric holds.",
    )
    per: RatePer = Field(
        default="auto",
        description=(
            "For a throughput: side when the query sums a side's pods (the canary's value is scaled by the traffic "
            "split before the comparison), pod when it is per pod (scaled by what a canary pod is due: the split "
            "over each side's ready pods, recorded at every measurement). auto reads it off the data: the "
            "canary/stable ratio nearer the one or the other; a canary far off its share can fool that, so set it "
            "when known."
        ),
    )
    requests_query: str | None = Field(
        default=None, max_length=8192,
        description="Requests per interval of each side (templated like query); enables the two-proportion test.",
    )
    query_window: PositiveDuration | None = Field(
        default=None,
        description=(
            "The range the query's rates or quantiles span where the query does not show it, e.g. 5m for a "
            "recording rule such as job:http_errors:ratio_rate5m. Default: the longest range selector in query "
            "and requestsQuery; where neither has one, the judge reads the window off the data."
        ),
    )
