"""A release judged against a baseline: the stable's revision run beside the canary, as a table.

R = 4; step 0 is setWeight 25 (one canary pod, baseline weight 25: one pod), step 5 setWeight 50
(two canary pods, baseline weight 25: one pod, so the stable keeps a quarter).
"""

from __future__ import annotations

import pytest
import test_engine_rules as rules
from builders import R, T0, at_step, command, dep, metric, obs, spec
from test_engine_rules import READY_25, Case

from grayrelease.api.status import Phase
from grayrelease.engine import decide
from grayrelease.engine.actions import EnsureBaseline, EnsureCanary, EnsureStable, PromoteStable, SetWeight
from grayrelease.engine.situation import Situation

LATENCY = {"name": "latency", "provider": {"prometheus": {"address": "http://p:9090"}},
           "query": 'histogram_quantile(0.99, sum by (le) (rate(b{role="{{ side.role }}"}[1m])))',
           "compare": {"against": "baseline", "kind": "latency"}}


def baseline_spec(router: bool = False):
    return spec(router=router, metrics=[metric(), LATENCY])


CASES = [
    Case("replicas: the baseline starts beside the canary, with the canary's pods",
         baseline_spec(), at_step(0), obs(stable=dep("A", R)), rule=None,
         actions=(EnsureCanary("B", 1), EnsureStable("A", R), EnsureBaseline("A", 1, "B"))),
    Case("replicas: the step waits for the baseline's pods",
         baseline_spec(), at_step(0), obs(**READY_25, baseline=dep("A", 1, ready=0)), rule=None,
         expect={"phase": Phase.PROGRESSING, "current_step_index": 0}),
    Case("replicas: the step completes once the baseline is ready too",
         baseline_spec(), at_step(0), obs(**READY_25, baseline=dep("A", 1)), rule="step complete"),
    Case("router: no weight while the baseline is not ready",
         baseline_spec(router=True), at_step(0),
         obs(router=True, stable=dep("A", R), canary=dep("B", 1), baseline=dep("A", 1, ready=0), weight=0),
         rule=None, actions=(EnsureStable("A", R), SetWeight(0, 0), EnsureCanary("B", 1), EnsureBaseline("A", 1, "B"))),
    Case("router: canary and baseline get their weights together",
         baseline_spec(router=True), at_step(0),
         obs(router=True, stable=dep("A", R), canary=dep("B", 1), baseline=dep("A", 1), weight=0, baseline_weight=0),
         rule=None, actions=(EnsureStable("A", R), SetWeight(25, 25), EnsureCanary("B", 1), EnsureBaseline("A", 1, "B"))),
    Case("router: the step waits until the baseline's weight reads back",
         baseline_spec(router=True), at_step(0),
         obs(router=True, stable=dep("A", R), canary=dep("B", 1), baseline=dep("A", 1), weight=25, baseline_weight=0),
         rule=None),
    Case("router: the step completes when both weights read back",
         baseline_spec(router=True), at_step(0),
         obs(router=True, stable=dep("A", R), canary=dep("B", 1), baseline=dep("A", 1), weight=25, baseline_weight=25),
         rule="step complete"),
    Case("router at 50%: the baseline gets half of what the canary leaves, the stable the rest",
         baseline_spec(router=True), at_step(5),
         obs(router=True, stable=dep("A", R), canary=dep("B", 2), baseline=dep("A", 1), weight=25, baseline_weight=25),
         rule=None, actions=(SetWeight(50, 25), EnsureCanary("B", 2), EnsureBaseline("A", 1, "B"))),
    Case("abort: the baseline is scaled down with the canary",
         baseline_spec(router=True), at_step(5, command=command("abort")),
         obs(router=True, stable=dep("A", R), canary=dep("B", 2), baseline=dep("A", 1), weight=50, baseline_weight=25),
         rule="abort", expect={"phase": Phase.ABORTED},
         actions=(SetWeight(0), EnsureStable("A", R), EnsureCanary("B", 0), EnsureBaseline("A", 0))),
    Case("promotion: the baseline's weight and pods go at once, the canary keeps serving",
         baseline_spec(router=True), at_step(6, started=T0),
         obs(router=True, stable=dep("A", R), canary=dep("B", 2), baseline=dep("A", 1), weight=50, baseline_weight=25),
         rule=None, actions=(PromoteStable("B"), EnsureStable("B", R), SetWeight(50, 0), EnsureCanary("B", 2),
                             EnsureBaseline("A", 0))),
    Case("after success: a baseline still weighted keeps its pods until its weight reads 0",
         baseline_spec(router=True), at_step(6, phase=Phase.SUCCEEDED, stable_revision="B"),
         obs(router=True, stable=dep("B", R), canary=dep("B", 2), baseline=dep("A", 1), weight=0, baseline_weight=25),
         rule=None, actions=(SetWeight(0),), absent=(EnsureBaseline,)),
    Case("after success: the baseline is scaled down once its weight reads 0",
         baseline_spec(router=True), at_step(6, phase=Phase.SUCCEEDED, stable_revision="B"),
         obs(router=True, stable=dep("B", R), canary=dep("B", 2), baseline=dep("A", 1), weight=0, baseline_weight=0),
         rule=None, actions=(SetWeight(0), EnsureCanary("B", 0), EnsureBaseline("B", 0))),
    Case("a new template mid-release starts the baseline's pods anew beside the new canary",
         baseline_spec(), at_step(1), obs(template="C", **READY_25, baseline=dep("A", 1)), rule="new template",
         expect={"canary_revision": "C", "current_step_index": 0}, actions=(EnsureBaseline("A", 1, "C"),)),
    Case("without a baseline metric no baseline is started and none gets weight",
         spec(router=True), at_step(0), obs(router=True, stable=dep("A", R), canary=dep("B", 1), weight=0),
         rule=None, actions=(SetWeight(25, 0),), absent=(EnsureBaseline,)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_baseline_rule(case: Case) -> None:
    rules.test_rule(case)


@pytest.mark.parametrize(("weight", "expected"), [(0, 0), (1, 1), (5, 5), (25, 25), (33, 33), (34, 33), (50, 25),
                                                  (80, 10), (99, 0), (100, 0)])
def test_baseline_weight_never_leaves_the_stable_less_than_the_baseline(weight: int, expected: int) -> None:
    s = Situation(baseline_spec(), at_step(0), obs(), T0)
    assert s.baseline_weight(weight) == expected
    assert s.baseline_weight(weight) <= 100 - weight - s.baseline_weight(weight)
    assert Situation(spec(), at_step(0), obs(), T0).baseline_weight(weight) == 0


def test_observed_weight_counts_the_baselines_pods_beside_the_stables() -> None:
    s = Situation(baseline_spec(), at_step(0), obs(**READY_25, baseline=dep("A", 1)), T0)
    assert s.observed_weight() == 20  # one canary pod of five ready


def test_a_baseline_is_not_started_before_the_stable_is_known() -> None:
    decision = decide(baseline_spec(), at_step(0, stable_revision=None), obs(stable=dep("A", R)), T0)
    assert not any(isinstance(a, EnsureBaseline) for a in decision.actions)
