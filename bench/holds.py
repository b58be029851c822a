"""How often a marginal verdict would hold a release: every look of every release replayed.

When a step completes while a compare metric is marginal (worse than stable at one look, not yet
conclusively, or a fresh canary's latency settling), the operator pauses the release at that
step's weight (``AnalysisMarginal``) until the canary clears. The scenarios fix the canary's
weight, so a replay cannot hold a step; this counts, per corpus, the releases with at least one
marginal look before they end (rolled back or not), the share of looks that are marginal, and
how long a marginal run lasts: the most a hold can cost a good release, and how often a bad one
is kept from the next step's traffic while the evidence gathers.

    python -m bench.holds [--count N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bench import fleet, generator, heldout, mesh, production, rangequeries, windowed
from grayrelease.analysis import backtest, judge
from grayrelease.analysis.scenario import Scenario

Judge = Callable[[Sequence[judge.MetricHistory]], judge.Verdict]


@dataclass(frozen=True)
class Looks:
    """The marginal looks of one replayed release."""

    bad: bool
    looks: int
    """Looks until the release ended: its rollback, or its last interval."""
    runs: tuple[int, ...]
    """Lengths of the runs of consecutive marginal looks, in order."""

    @property
    def marginal(self) -> int:
        return sum(self.runs)


def marginal_looks(scenario: Scenario, verdict_of: Judge | None = None) -> Looks:
    """Judge every look of ``scenario`` as ``backtest.replay`` does (with the settings the scenario
    records), until a rollback, and note the marginal ones."""
    runs: list[int] = []
    run = looks = 0
    settings = backtest.settings_of(scenario) or None
    for index in range(scenario.intervals):
        histories = backtest.histories_at(scenario, index)
        verdict = verdict_of(histories) if verdict_of is not None else judge.judge(histories, settings)
        looks += 1
        if verdict.decision == "rollback":
            break
        if any(m.marginal for m in verdict.metrics):
            run += 1
        elif run:
            runs.append(run)
            run = 0
    if run:
        runs.append(run)
    return Looks(bool(scenario.truth and scenario.truth.bad), looks, tuple(runs))


def summary(label: str, releases: Sequence[Looks]) -> str:
    held = sum(1 for r in releases if r.runs)
    looks = sum(r.looks for r in releases)
    runs = [run for r in releases for run in r.runs]
    p50, p90 = (np.percentile(runs, 50), np.percentile(runs, 90)) if runs else (0.0, 0.0)
    return (f"{label:<28} {len(releases):>5} {held:>6} {held / max(len(releases), 1):>6.0%}"
            f" {sum(r.marginal for r in releases) / max(looks, 1):>8.1%} {p50:>6.1f} {p90:>6.1f} {max(runs, default=0):>5}")


HEADER = f"{'corpus, releases':<28} {'n':>5} {'held':>6} {'share':>6} {'looks':>8} {'p50':>6} {'p90':>6} {'max':>5}"


def _corpora(count: int | None) -> list[tuple[str, list[Scenario]]]:
    def take(default: int) -> int:
        return default if count is None else count

    return [
        ("main", [Scenario.model_validate(g.scenario) for g in generator.generate(take(generator.DEFAULT_COUNT))]),
        ("held-out", [Scenario.model_validate(d) for d in heldout.generate(take(heldout.DEFAULT_COUNT))]),
        ("windowed", [Scenario.model_validate(d) for d in windowed.generate(take(windowed.DEFAULT_COUNT))]),
        ("rangequeries", [Scenario.model_validate(d) for d in rangequeries.generate(take(rangequeries.DEFAULT_COUNT))]),
        ("production", [Scenario.model_validate(d) for d in production.generate(take(production.DEFAULT_COUNT))]),
        ("fleet", [Scenario.model_validate(d) for d in fleet.generate(take(fleet.DEFAULT_COUNT), fleet.DEFAULT_SEED)]),
        ("mesh", [Scenario.model_validate(d) for d in mesh.generate(take(mesh.DEFAULT_COUNT), mesh.DEFAULT_SEED)]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, help="scenarios per corpus (default: each generator's own)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    print("releases with a marginal look (held), marginal share of their looks, and marginal runs in intervals")
    print(HEADER)
    for name, scenarios in _corpora(args.count):
        releases = backtest.map_releases(marginal_looks, scenarios)
        for label, bad in (("good", False), ("bad", True)):
            print(summary(f"{name}, {label}", [r for r in releases if r.bad is bad]))
    print(f"elapsed: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
