"""``bench.holds`` counts the looks at which a marginal verdict would hold a release."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bench import holds
from grayrelease.analysis import judge
from grayrelease.analysis.scenario import Scenario


def scenario(intervals: int, bad: bool = False) -> Scenario:
    return Scenario.model_validate({
        "format": "grayrelease.scenario/v1", "name": "s", "interval_seconds": 30, "canary_weight": 5,
        "metrics": [{"name": "latency", "kind": "latency", "stable": [0.2] * intervals, "canary": [0.2] * intervals}],
        "truth": {"bad": bad, **({"onset_index": 0} if bad else {})},
    })


def scripted(answers: str):
    """A judge answering look i with answers[i]: c continue, m marginal (a pause), p pause for data, r rollback."""
    def verdict_of(histories: Sequence[judge.MetricHistory]) -> judge.Verdict:
        answer = answers[len(histories[0].stable) - 1]
        metric = judge.MetricVerdict(name="latency", classification="NoData" if answer == "p" else "Pass",
                                     failed=answer == "r", marginal=answer == "m")
        decision = {"c": "continue", "m": "pause", "p": "pause", "r": "rollback"}[answer]
        return judge.Verdict(decision, (metric,))
    return verdict_of


@pytest.mark.parametrize(("answers", "looks", "runs"), [
    ("pccccc", 6, ()),
    ("pcmmcm", 6, (2, 1)),
    ("ppmmmm", 6, (4,)),
    ("pmmrcc", 4, (2,)),  # nothing counts after the rollback
    ("pmpmcc", 6, (1, 1)),  # a pause for data breaks a marginal run
])
def test_runs_of_marginal_looks_until_the_release_ends(answers: str, looks: int, runs: tuple[int, ...]) -> None:
    found = holds.marginal_looks(scenario(len(answers), bad=True), scripted(answers))
    assert (found.bad, found.looks, found.runs, found.marginal) == (True, looks, runs, sum(runs))


def test_summary_line() -> None:
    line = holds.summary("main, good", [holds.Looks(False, 10, (2, 1)), holds.Looks(False, 10, ())])
    assert line.split() == ["main,", "good", "2", "1", "50%", "15.0%", "1.5", "1.9", "2"]


def test_runs_on_small_corpora(capsys: pytest.CaptureFixture[str]) -> None:
    assert holds.main(["--count", "12"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 17 and "production, bad" in out and "mesh, good" in out
