"""Wiring of a baseline: which side a compare metric queries, the weight and pods it records, and
the HTTPRoute weights the Gateway API router writes and reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from grayrelease.analysis import measure
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus
from grayrelease.controller import observe
from grayrelease.engine.observations import DeploymentObservation, TrafficObservation
from grayrelease.traffic.gatewayapi import RouteError, shares, weighted_rules
from grayrelease.traffic.replicas import ReplicasRouter
from grayrelease.traffic.router import Backends

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
BACKENDS = Backends("ns", "a-stable", "a-canary", 80, baseline_service="a-baseline")


def _metric(name: str, against: str) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"address": "http://p:9090"}},
            "query": 'p99{role="{{ side.role }}", revision="{{ side.revision }}"}',
            "compare": {"against": against, "kind": "latency"}}


def _spec(router: bool) -> GrayReleaseSpec:
    data: dict[str, Any] = {
        "replicas": 19, "selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "a"}}, "spec": {}}, "service": {"name": "a", "port": 80},
        "strategy": {"steps": [{"setWeight": 5}, {"pause": {}}]},
        "analysis": {"interval": "30s", "metrics": [_metric("vs-stable", "stable"), _metric("vs-baseline", "baseline")]},
    }
    if router:
        data["trafficRouting"] = {"gatewayAPI": {"httpRoute": "a"}}
    return GrayReleaseSpec.model_validate(data)


def _pods(ready: int) -> DeploymentObservation:
    return DeploymentObservation(revision="x", replicas=ready, ready_replicas=ready, available_replicas=ready,
                                 updated_replicas=ready, rolled_out=True)


@pytest.mark.parametrize(("router", "weights"), [
    # router: canary 5, baseline 5, stable 90 -> 5/95 of the pair with the stable, 1/2 of the pair with the baseline
    (True, {"vs-stable": 100 * 5 / 95, "vs-baseline": 50.0}),
    # replicas: 1 canary pod, 1 baseline pod, 18 stable pods
    (False, {"vs-stable": 100 * 1 / 19, "vs-baseline": 50.0}),
])
def test_a_baseline_metric_queries_the_baseline_and_records_the_pairs_weight_and_pods(
        monkeypatch: pytest.MonkeyPatch, router: bool, weights: dict[str, float]) -> None:
    asked: dict[str, tuple[str, str]] = {}

    def query_sides(metric: Any, sides: dict[str, dict[str, str]], query: str | None = None) -> Any:
        asked[metric.name] = (sides["stable"]["side.role"], sides["stable"]["side.revision"])
        assert sides["canary"]["side.role"] == "canary"
        return {"stable": 0.1, "canary": 0.1}, None

    monkeypatch.setattr(measure, "query_sides", query_sides)
    status = GrayReleaseStatus(stable_revision="A", canary_revision="B", canary_weight=5, release_started_at=NOW)
    due = [type("Due", (), {"metric": name})() for name in ("vs-stable", "vs-baseline")]
    workloads = observe.Workloads(stable=_pods(18), canary=_pods(1), baseline=_pods(1))
    out = {m.metric: m for m in observe.measurements({"metadata": {"namespace": "ns", "name": "a"}}, _spec(router),
                                                     status, due, NOW, workloads, TrafficObservation(5, 5))}
    assert asked == {"vs-stable": ("stable", "A"), "vs-baseline": ("baseline", "A")}
    for name, weight in weights.items():
        assert out[name].canary_weight == pytest.approx(weight)
    assert (out["vs-baseline"].canary_pods, out["vs-baseline"].stable_pods) == (1, 1)
    assert (out["vs-stable"].canary_pods, out["vs-stable"].stable_pods) == (1, 18)


RULES = [{"backendRefs": [{"name": "a-stable", "port": 8080}]}, {"backendRefs": [{"name": "other", "port": 80}]}]


def test_the_baseline_backend_is_added_only_when_it_gets_weight_and_then_kept() -> None:
    plain = weighted_rules(RULES, BACKENDS, 5)
    assert plain[0]["backendRefs"] == [{"name": "a-stable", "port": 8080, "weight": 95},
                                       {"name": "a-canary", "port": 8080, "weight": 5}]
    assert plain[1] == RULES[1]
    with_baseline = weighted_rules(plain, BACKENDS, 5, 5)
    assert with_baseline[0]["backendRefs"] == [{"name": "a-stable", "port": 8080, "weight": 90},
                                               {"name": "a-canary", "port": 8080, "weight": 5},
                                               {"name": "a-baseline", "port": 8080, "weight": 5}]
    assert shares(with_baseline, BACKENDS) == (5, 5)
    back = weighted_rules(with_baseline, BACKENDS, 0, 0)
    assert [r["weight"] for r in back[0]["backendRefs"]] == [100, 0, 0]
    assert shares(back, BACKENDS) == (0, 0)
    assert shares(plain, Backends("ns", "a-stable", "a-canary", 80)) == (5, 0)


def test_rules_that_disagree_read_as_unknown_and_a_route_without_the_stable_is_refused() -> None:
    first = weighted_rules(RULES[:1], BACKENDS, 5, 5)
    second = weighted_rules(RULES[:1], BACKENDS, 10, 10)
    assert shares([*first, *second], BACKENDS) == (None, None)
    with pytest.raises(RouteError):
        weighted_rules(RULES[1:], BACKENDS, 5, 5)


def test_replicas_router_reads_each_share_of_all_ready_pods() -> None:
    router = ReplicasRouter()
    assert router.read_weights({}, BACKENDS, 18, 1, 1) == (5, 5)
    assert router.read_weights({}, BACKENDS, 3, 1) == (25, 0)
    assert router.read_weights({}, BACKENDS, 0, 0, 0) == (None, None)
