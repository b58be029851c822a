"""A compare metric whose query window spans many analysis intervals, or that shows none, is said once, when the
release starts."""

from __future__ import annotations

from typing import Any

import pytest
from builders import STEPS, T0, dep, metric, obs, spec

from grayrelease.api.durations import format_duration
from grayrelease.api.status import GrayReleaseStatus, Phase
from grayrelease.engine import decide, querywindows
from grayrelease.engine.actions import Emit

STEADY_A = GrayReleaseStatus(phase=Phase.SUCCEEDED, stable_revision="A", observed_generation=1)


def compared(name: str, query: str, **compare: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"address": "http://p:9090"}}, "query": query,
            "compare": {"kind": "error-ratio", **compare}}


RATE_5M = 'sum(rate(errors{role="{{ side.role }}"}[5m])) / sum(rate(requests{role="{{ side.role }}"}[5m]))'
RATE_1M = RATE_5M.replace("[5m]", "[1m]")
RULE = 'job:errors:ratio{role="{{ side.role }}"}'  # a recording rule whose name does not say its range

WINDOWS = [
    # (id, metrics, analysis settings, steps, expected {metric: (window, interval)})
    ("a 5m rate read every 30s", [compared("errors", RATE_5M)], {}, None, {"errors": ("5m", "30s")}),
    ("a 1m rate read every 30s: two intervals", [compared("errors", RATE_1M)], {}, None, {}),
    ("a window of exactly five intervals", [compared("errors", RATE_1M)], {"interval": "12s"}, None,
     {"errors": ("1m", "12s")}),
    ("a recording rule: the window is unknown", [compared("errors", RULE)], {}, None, {}),
    ("a recording rule with compare.queryWindow", [compared("errors", RULE, queryWindow="10m")], {}, None,
     {"errors": ("10m", "30s")}),
    ("a recording rule named with its range", [compared("errors", RULE.replace(":ratio", ":ratio_rate5m"))], {}, None,
     {"errors": ("5m", "30s")}),
    ("a metric judged by a condition, not compared", [metric("errors", query='sum(rate(errors[5m]))')], {}, None, {}),
    ("a metric's own interval", [{**compared("errors", RATE_5M), "interval": "2m"}], {}, None, {}),
    ("an analysis step reading more often than the background",
     [compared("errors", RATE_1M)], {"interval": "1m"},
     [{"setWeight": 25}, {"analysis": {"metrics": ["errors"], "count": 3, "interval": "10s"}}],
     {"errors": ("1m", "10s")}),
]


@pytest.mark.parametrize(("metrics", "analysis", "steps", "expected"), [w[1:] for w in WINDOWS], ids=[w[0] for w in WINDOWS])
def test_long_windows(metrics: list[dict], analysis: dict, steps: list[dict] | None,
                      expected: dict[str, tuple[str, str]]) -> None:
    found = querywindows.long_windows(spec(metrics=metrics, steps=steps or STEPS[:2], **analysis))
    assert {w.metric: (format_duration(w.window), format_duration(w.interval)) for w in found} == expected


def test_a_release_reading_a_long_window_starts_with_a_warning_once() -> None:
    release = spec(metrics=[compared("errors", RATE_5M), compared("quick", RATE_1M)], steps=STEPS[:2])
    started = decide(release, STEADY_A, obs(stable=dep("A", 4)), T0)
    events = [a for a in started.actions if isinstance(a, Emit)]
    assert [(e.type, e.reason) for e in events] == [("Warning", "LongQueryWindow"), ("Normal", "ReleaseStarted")]
    assert events[0].message.startswith("errors reads a 5m window every 30s, so a regression shows after about 10m.")
    assert "quick" not in events[0].message
    # The next reconcile (or a restarted operator) finds the release started: it is not said again.
    going = decide(release, started.status, obs(stable=dep("A", 4), canary=dep("B", 1, ready=0)), T0)
    assert not any(isinstance(a, Emit) and a.reason == "LongQueryWindow" for a in going.actions)


def test_a_release_reading_short_windows_starts_without_one() -> None:
    started = decide(spec(metrics=[compared("errors", RATE_1M)], steps=STEPS[:2]), STEADY_A, obs(stable=dep("A", 4)), T0)
    assert [a.reason for a in started.actions if isinstance(a, Emit)] == ["ReleaseStarted"]


def test_a_release_whose_query_shows_no_window_starts_saying_so() -> None:
    """A recording rule named without its range: the judge reads the window off the data, and the user is told how
    to give it. One told (queryWindow), one named with its range, and a metric judged by a condition say nothing."""
    release = spec(metrics=[compared("hidden", RULE), compared("told", RULE, queryWindow="1m"),
                            compared("named", RULE.replace(":ratio", ":ratio_rate1m")), metric("plain", query=RULE)],
                   steps=STEPS[:2])
    started = decide(release, STEADY_A, obs(stable=dep("A", 4)), T0)
    events = [a for a in started.actions if isinstance(a, Emit)]
    assert [(e.type, e.reason) for e in events] == [("Warning", "QueryWindowUnknown"), ("Normal", "ReleaseStarted")]
    assert events[0].message.startswith("hidden: the query shows no range")
    assert events[0].message.endswith("compare.queryWindow gives it")
