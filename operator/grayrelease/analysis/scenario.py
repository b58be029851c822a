"""Release scenarios (format ``grayrelease.scenario/v1``): one recorded or generated release.

A scenario holds, per analysis interval and per metric, the value the stable side and the
canary side reported (``None`` when there was no data). It is what ``grayrelease replay``
judges offline and what the detection benchmark scores. ``truth`` exists only for scoring:
the judge never reads it. The format is described in docs/judge.md.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grayrelease.api.compare import Better, CompareConfig, MetricKind

FORMAT = "grayrelease.scenario/v1"


class ScenarioMetric(BaseModel):
    """One metric's per-interval series for both sides."""

    model_config = ConfigDict(extra="ignore")

    name: str
    kind: MetricKind = "gauge"
    better: Better | None = None
    stable: list[float | None]
    canary: list[float | None]
    stable_requests: list[float | None] | None = None
    canary_requests: list[float | None] | None = None
    query_window_seconds: float | None = Field(default=None, gt=0)
    """The query's rate window (``[5m]``: 300), where it may span more than one interval; optional,
    a grayrelease addition to v1 that other readers ignore. Consecutive values then share data, and
    a fresh canary's latency and throughput read skewed until its series fill the window: replay
    handles both as the operator does, which knows the window from the query."""
    compare: CompareConfig | None = None
    """The metric's own ``compare:`` settings, where the scenario was recorded from a GrayRelease
    (``replay --from-release``): replay then judges the metric with them, as the operator did.
    Optional, a grayrelease addition to v1."""

    @field_validator("stable", "canary", "stable_requests", "canary_requests")
    @classmethod
    def _finite_or_none(cls, series: list[float | None] | None) -> list[float | None] | None:
        """NaN and infinities (a recorded 0/0, a quantile in the +Inf bucket) are no data, as in the operator."""
        if series is None:
            return None
        return [v if v is None or math.isfinite(v) else None for v in series]


class Truth(BaseModel):
    """What really happened; read by scoring only."""

    model_config = ConfigDict(extra="allow")

    bad: bool
    onset_index: int | None = None
    note: str | None = None


class Scenario(BaseModel):
    """One release as the analysis saw it, one value per interval."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["grayrelease.scenario/v1"] = FORMAT
    name: str
    interval_seconds: float = Field(default=30, gt=0)
    canary_weight: float | None = None
    canary_weights: list[float | None] | None = None
    """The canary's share of the traffic at each interval, where it changed during the release (the
    operator records it step by step); intervals without one take ``canary_weight``. Optional, a
    grayrelease addition to v1."""
    canary_pods: list[float | None] | None = None
    """Ready pods serving the canary at each interval, and ``stable_pods`` stable's: what a rate
    per pod is due where a router sets the split (see ``pairedtest.per_share_throughput``).
    Optional, a grayrelease addition to v1."""
    stable_pods: list[float | None] | None = None
    first_age_seconds: float = Field(default=0, ge=0)
    """How long the release had run when the first interval began: 0 for a release recorded from
    its start, more for one whose first intervals are gone (a GrayRelease's status keeps the last
    60). A canary older than a minute is not starting up, and one older than its query window has
    filled it. Optional, a grayrelease addition to v1."""
    start_time: datetime | None = None
    """When the first interval's values were measured, for a scenario recorded from a release or
    Prometheus: places a regression's onset given as a time (``grayrelease replay --onset``) at
    its interval. Optional, a grayrelease addition to v1."""
    metrics: list[ScenarioMetric]
    truth: Truth | None = None

    @model_validator(mode="after")
    def _same_length(self) -> Scenario:
        lengths = set()
        for metric in self.metrics:
            for series in (metric.stable, metric.canary, metric.stable_requests, metric.canary_requests):
                if series is not None:
                    lengths.add(len(series))
        for series in (self.canary_weights, self.canary_pods, self.stable_pods):
            if series is not None:
                lengths.add(len(series))
        if len(lengths) > 1:
            raise ValueError(f"scenario {self.name!r}: all series must have the same length, got {sorted(lengths)}")
        if not self.metrics:
            raise ValueError(f"scenario {self.name!r}: no metrics")
        return self

    @property
    def intervals(self) -> int:
        return len(self.metrics[0].stable)

    def labelled(self, bad: bool, onset: datetime | None = None, note: str | None = None) -> Scenario:
        """The scenario with what really happened, for scoring: a bad release's regression from the
        first interval measured at or after ``onset`` (from the first interval if None or earlier).
        ValueError for an onset after the last interval, or one the scenario cannot place."""
        index = 0 if bad else None
        if bad and onset is not None:
            if self.start_time is None:
                raise ValueError(f"scenario {self.name!r} records no start_time: the onset cannot be placed")
            step = timedelta(seconds=self.interval_seconds)
            last = self.start_time + (self.intervals - 1) * step
            if onset > last:
                raise ValueError(f"scenario {self.name!r}: the onset {onset.isoformat()} is after its last interval, "
                                 f"measured at {last.isoformat()}")
            index = max(0, math.ceil((onset - self.start_time) / step - 1e-9))
        return self.model_copy(update={"truth": Truth(bad=bad, onset_index=index, note=note)})


def load_scenario(path: Path | str) -> Scenario:
    """Read one scenario file."""
    text = Path(path).read_text(encoding="utf-8")
    return Scenario.model_validate(json.loads(text))


def load_scenarios(path: Path | str) -> list[Scenario]:
    """Read a scenario file, or every ``*.json`` in a folder (sorted by file name, not recursive)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise FileNotFoundError(f"no *.json scenario in {path}")
        return [load_scenario(file) for file in files]
    return [load_scenario(path)]


def load_scenarios_tolerant(path: Path | str) -> tuple[list[Scenario], list[str]]:
    """Like ``load_scenarios``, but a file that cannot be read or is not a valid scenario is left out
    and named in the second list (with why) instead of failing the whole folder."""
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no *.json scenario in {path}")
    scenarios, errors = [], []
    for file in files:
        try:
            scenarios.append(load_scenario(file))
        except (OSError, ValueError) as error:  # pydantic's ValidationError and JSON errors are ValueErrors
            errors.append(f"{file}: {' '.join(str(error).split())}")
    return scenarios, errors


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as JSON text, ``None`` fields left out."""
    return json.dumps(scenario.model_dump(mode="json", exclude_none=True), separators=(",", ":"))
