"""Run a judging rule online over recorded releases and score its decisions against the truth.

Shared by ``grayrelease replay`` and the detection benchmark. A rule sees, at interval ``i``,
the values of intervals ``0..i`` only (at most the last ``HISTORY_LIMIT``, as the operator keeps
in the GrayRelease status) and answers continue, rollback or pause. The first rollback ends the
release; a release that reaches its end is promoted, or paused if the last answer was pause.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from grayrelease.analysis import judge
from grayrelease.analysis.scenario import Scenario
from grayrelease.api.compare import WINDOW_FILLING_KINDS
from grayrelease.api.status import MAX_COMPARE_HISTORY

HISTORY_LIMIT = MAX_COMPARE_HISTORY
"""Values per side and metric the operator keeps in the status; the judge never sees more."""

Settings = Mapping[str, judge.CompareConfig]
"""Metric name -> the ``compare:`` settings a scenario records for it (a release's own; most record none)."""

Rule = Callable[[Sequence[judge.MetricHistory], Settings], str]
"""Histories of every metric at one look, and the scenario's settings -> "continue", "rollback" or "pause"."""


def default_rule(histories: Sequence[judge.MetricHistory], settings: Settings | None = None) -> str:
    """The statistical judge with the scenario's settings, defaults for the metrics without."""
    return _verdict(None, histories, settings).decision


def judge_rule(overrides: Mapping[str, object]) -> Rule:
    """The statistical judge with ``overrides`` (``{"confidence": 0.995}``) set on every metric's
    settings: the scenario's own where it records them, the defaults of its kind otherwise.

    A partial of a module function rather than a closure, so worker processes can receive it."""
    return functools.partial(_judge_with, dict(overrides))


def _judge_with(overrides: dict[str, object] | None, histories: Sequence[judge.MetricHistory],
                settings: Settings | None = None) -> str:
    return _verdict(overrides, histories, settings).decision


def _verdict(overrides: Mapping[str, object] | None, histories: Sequence[judge.MetricHistory],
             settings: Settings | None = None) -> judge.Verdict:
    """The judge's answer with each metric's settings (``settings``, else its kind's defaults) and
    ``overrides`` on top."""
    settings = settings or {}
    configs: dict[str, judge.CompareConfig] = {}
    for h in histories:
        base = settings.get(h.name)
        if overrides:
            configs[h.name] = judge.CompareConfig.model_validate({**(base.model_dump() if base is not None else {}), **overrides})
        elif base is not None:
            configs[h.name] = base
    return judge.judge(histories, configs or None)


@dataclass(frozen=True)
class Outcome:
    """What a rule did with one release."""

    name: str
    verdict: str
    """rollback, promote or pause."""
    decided_index: int | None
    """Interval of the rollback, or of the last look for promote and pause."""


@dataclass(frozen=True)
class Summary:
    """Detection quality over many releases with known truth."""

    precision: float | None
    recall: float | None
    f1: float | None
    false_alarms: int
    paused: int
    median_detect_seconds: float | None
    p90_detect_seconds: float | None
    true_positives: int = 0
    false_negatives: int = 0
    scored: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "false_alarms": self.false_alarms,
            "paused": self.paused,
            "median_detect_seconds": self.median_detect_seconds,
            "p90_detect_seconds": self.p90_detect_seconds,
        }


def histories_at(scenario: Scenario, index: int, limit: int = HISTORY_LIMIT) -> list[judge.MetricHistory]:
    """Every metric's history as the operator would hold it at interval ``index``.

    Where a metric's query window is known and spans several intervals, its values overlap by as
    many, and a latency or throughput metric is measured only from the first interval whose window
    lies wholly within the canary's life (the operator's wait for the window to fill).
    """
    end = index + 1
    weight = _weight_at(scenario, end)
    aged = int(math.floor(scenario.first_age_seconds / scenario.interval_seconds + 1e-9))
    out = []
    for m in scenario.metrics:
        # Unknown without the query's window: the judge estimates it from the data.
        overlap = None if m.query_window_seconds is None else max(1.0, m.query_window_seconds / scenario.interval_seconds)
        filling = math.ceil(overlap - 1e-9) - 1 - aged if overlap is not None and m.kind in WINDOW_FILLING_KINDS else 0
        start = max(0, index + 1 - limit, filling)
        out.append(
            judge.MetricHistory(
                name=m.name,
                kind=m.kind,
                better=m.better,
                stable=m.stable[start:end],
                canary=m.canary[start:end],
                stable_requests=m.stable_requests[start:end] if m.stable_requests is not None else None,
                canary_requests=m.canary_requests[start:end] if m.canary_requests is not None else None,
                canary_weight=weight,
                canary_weights=scenario.canary_weights[start:end] if scenario.canary_weights is not None else None,
                canary_pods=scenario.canary_pods[start:end] if scenario.canary_pods is not None else None,
                stable_pods=scenario.stable_pods[start:end] if scenario.stable_pods is not None else None,
                overlap=overlap,
                interval_seconds=scenario.interval_seconds,
                first_age_seconds=scenario.first_age_seconds + start * scenario.interval_seconds,
            )
        )
    return out


def settings_of(scenario: Scenario) -> dict[str, judge.CompareConfig]:
    """The ``compare:`` settings the scenario records, by metric name."""
    return {m.name: m.compare for m in scenario.metrics if m.compare is not None}


def _weight_at(scenario: Scenario, end: int) -> float | None:
    """The canary's weight at the latest of intervals ``0..end-1``: the last one recorded per
    interval, else the scenario's, else what request counts show."""
    recorded = [w for w in (scenario.canary_weights or [])[:end] if w is not None]
    if recorded:
        return recorded[-1]
    return scenario.canary_weight if scenario.canary_weight is not None else weight_from_requests(scenario, end)


def weight_from_requests(scenario: Scenario, end: int) -> float | None:
    """The canary's share of the traffic (percent) as its metrics' request counts show it in intervals ``0..end-1``.

    For a scenario that does not record ``canary_weight``: without a weight, a request rate summed
    per side cannot be read per share, and a healthy 5% canary would look 95% slower than stable.
    The median share over the intervals with requests on both sides so far (the operator always
    knows the weight; replay must not look ahead); None where no metric has counts.
    """
    shares = [
        100.0 * c / (s + c)
        for m in scenario.metrics
        if m.stable_requests is not None and m.canary_requests is not None
        for s, c in zip(m.stable_requests[:end], m.canary_requests[:end])
        if s is not None and c is not None and s > 0 and c > 0
    ]
    return float(np.median(shares)) if shares else None


def replay(scenario: Scenario, rule: Rule = default_rule) -> Outcome:
    """Ask ``rule`` at every interval, as the operator would, and report how the release ended."""
    last = "continue"
    settings = settings_of(scenario)
    for index in range(scenario.intervals):
        last = rule(histories_at(scenario, index), settings)
        if last == "rollback":
            return Outcome(scenario.name, "rollback", index)
    return Outcome(scenario.name, "pause" if last == "pause" else "promote", scenario.intervals - 1)


def explain(scenario: Scenario, outcome: Outcome, overrides: Mapping[str, object] | None = None) -> str:
    """Why the statistical judge ended the release as it did: the failing metrics' reasons for a
    rollback, the missing or marginal ones' for a pause, "all metrics pass" for a promotion.

    Judges the decided interval once more (with ``overrides`` on every metric, as ``judge_rule``
    does): the judge is pure, so the answer is the one the replay got."""
    histories = histories_at(scenario, outcome.decided_index if outcome.decided_index is not None else scenario.intervals - 1)
    verdict = _verdict(overrides, histories, settings_of(scenario))
    if verdict.decision == "rollback":
        return "; ".join(
            f"{m.name}: {m.reason}" + (f" (p={m.p_value:.2g}, below {m.threshold:.2g})" if m.p_value is not None and m.threshold else "")
            for m in verdict.metrics if m.failed
        )
    return verdict.reason


def detect_seconds(scenario: Scenario, outcome: Outcome) -> float | None:
    """Time from the onset of a bad release to its rollback; None unless a true positive."""
    if scenario.truth is None or not scenario.truth.bad or outcome.verdict != "rollback":
        return None
    onset = scenario.truth.onset_index or 0
    return max(0, (outcome.decided_index or 0) - onset) * scenario.interval_seconds


def score(scenarios: Sequence[Scenario], outcomes: Sequence[Outcome]) -> Summary:
    """Precision, recall and time to detect over the scenarios that carry a truth.

    A pause is neither a detection nor a miss (it is counted apart); a rollback of a good release
    is a false alarm.
    """
    tp = fp = fn = paused = scored = 0
    detect: list[float] = []
    for scenario, outcome in zip(scenarios, outcomes, strict=True):
        if scenario.truth is None:
            continue
        scored += 1
        if outcome.verdict == "pause":
            paused += 1
        elif scenario.truth.bad and outcome.verdict == "rollback":
            tp += 1
            detect.append(detect_seconds(scenario, outcome) or 0.0)
        elif scenario.truth.bad:
            fn += 1
        elif outcome.verdict == "rollback":
            fp += 1
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    return Summary(
        precision=precision,
        recall=recall,
        f1=f1,
        false_alarms=fp,
        paused=paused,
        median_detect_seconds=_percentile(detect, 50),
        p90_detect_seconds=_percentile(detect, 90),
        true_positives=tp,
        false_negatives=fn,
        scored=scored,
    )


def replay_all(scenarios: Iterable[Scenario], rule: Rule = default_rule, jobs: int | None = 1) -> list[Outcome]:
    """``replay`` of every scenario, in order, on ``jobs`` processes (None: every core, up to 8)."""
    return map_releases(functools.partial(replay, rule=rule), list(scenarios), jobs)


_T = TypeVar("_T")
_R = TypeVar("_R")
PARALLEL_MIN = 50
"""Fewest releases worth starting worker processes for."""


def map_releases(function: Callable[[_T], _R], items: Sequence[_T], jobs: int | None = None) -> list[_R]:
    """``function`` over ``items``, in order, on ``jobs`` worker processes (None: every core, up to 8).

    Each release is replayed on its own, so the answers are the same however many processes run
    them. Workers are forked (no re-import per worker); where fork does not exist, or for a
    handful of releases, everything runs in this process. ``function`` must be picklable: a
    module-level function or a ``functools.partial`` of one.
    """
    workers = min(os.cpu_count() or 1, 8) if jobs is None else jobs
    if workers < 2 or len(items) < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(function, items, chunksize=8)


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
