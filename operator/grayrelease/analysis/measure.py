"""One measurement of one metric: query Prometheus, then judge the answer.

A plain metric is one templated query whose value the CEL conditions judge: failureCondition
true -> Failed; successCondition true -> Successful; neither -> Inconclusive (when only a
successCondition is given, false means Failed). A compare metric queries the same template once
per side (``{{ side.revision }}``) and hands both histories to the statistical judge.
No data, NaN, a query error or a broken condition never make a Successful measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grayrelease.analysis import conditions, prometheus, templating


@dataclass(frozen=True)
class Result:
    """What the controller turns into an engine Measurement."""

    phase: str  # Successful | Failed | Inconclusive | Error
    value: float | None
    message: str
    stable_value: float | None = None
    stable_requests: float | None = None
    canary_requests: float | None = None
    marginal: bool = False  # compare metrics: passes, but too suspect to promote unseen


def judge_value(metric: Any, value: float) -> tuple[str, str]:
    """(phase, message) for a plain metric's value under its CEL conditions."""
    try:
        if metric.failure_condition and conditions.evaluate(metric.failure_condition, value):
            return "Failed", f"{value:.6g} meets failureCondition `{metric.failure_condition}`"
        if metric.success_condition:
            if conditions.evaluate(metric.success_condition, value):
                return "Successful", f"{value:.6g} meets successCondition `{metric.success_condition}`"
            if not metric.failure_condition:
                return "Failed", f"{value:.6g} does not meet successCondition `{metric.success_condition}`"
            return "Inconclusive", f"{value:.6g} meets neither condition"
        return "Successful", f"{value:.6g} does not meet failureCondition `{metric.failure_condition}`"
    except conditions.ConditionError as error:
        return "Inconclusive", f"condition error: {error}"


def measure_plain(metric: Any, values: dict[str, str]) -> Result:
    try:
        promql = templating.render(metric.query, values)
        sample = prometheus.query(metric.provider.prometheus.address, promql)
    except templating.TemplateError as error:
        return Result("Error", None, str(error))
    except prometheus.ProviderError as error:
        return Result("Error", None, str(error))
    if sample.value is None:
        return Result("Inconclusive", None, sample.message)
    phase, message = judge_value(metric, sample.value)
    return Result(phase, sample.value, message)


def query_sides(metric: Any, side_values: dict[str, dict[str, str]], query: str | None = None
                ) -> tuple[dict[str, float | None], str | None]:
    """Both sides' values of ``query`` (default: the metric's query); the error message when a query failed."""
    out: dict[str, float | None] = {}
    for side, values in side_values.items():
        try:
            sample = prometheus.query(metric.provider.prometheus.address,
                                      templating.render(query or metric.query, values))
        except (templating.TemplateError, prometheus.ProviderError) as error:
            return out, f"{side}: {error}"
        out[side] = sample.value
    return out, None
