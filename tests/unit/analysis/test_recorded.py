"""A GrayRelease's status replayed: replay must reach the operator's own decisions on it.

The operator is driven here look by look through ``observe._judge_compares`` (the judge as the
controller calls it, no Prometheus) and ``measurements._record`` (how the engine keeps each
answer in the status); the release object is then read back as ``kubectl get -o yaml`` would
give it, and replayed.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import numpy as np
import pytest
import yaml

from grayrelease.analysis import backtest, recorded
from grayrelease.analysis.scenario import Truth, load_scenarios
from grayrelease.api.resource import API_VERSION, KIND, GrayRelease
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus, MeasurementPhase, MetricStatus, Phase
from grayrelease.cli import gray as gray_cli
from grayrelease.cli import gray_cluster, replay_release
from grayrelease.cli import replay as cli_replay
from grayrelease.cli.gray_resource import Release
from grayrelease.controller import observe
from grayrelease.engine import measurements
from grayrelease.engine.observations import Measurement
from tests.unit.controller.test_observe_compare import _spec

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=30)

Sides = Callable[[int], dict[str, tuple[float | None, float | None]]]
"""Look -> metric name -> (stable, canary) value at that look."""


def _metric(name: str, kind: str, interval: str | None = None, **compare: Any) -> dict[str, Any]:
    out = {"name": name, "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "rate(q[30s])",
           "compare": {"against": "stable", "kind": kind, **compare}}
    return {**out, "interval": interval} if interval else out


def _operate(spec: GrayReleaseSpec, sides: Sides, looks: int, weight: float = 5.0,
             first_look: int = 0, pods: tuple[int, int] = (1, 3)) -> tuple[GrayReleaseStatus, int | None]:
    """Run the operator's judging for ``looks`` intervals (or until a metric fails), keeping every
    answer in the status as the engine does; returns the status and the look that failed. The
    first measurement is at ``first_look``, as where the operator waits for a query window to fill."""
    status = GrayReleaseStatus(canary_weight=int(weight), release_started_at=START)
    for look in range(first_look, looks):
        now = START + (look + 1) * INTERVAL
        queried = []
        for name, (stable, canary) in sides(look).items():
            metric = spec.analysis.metric(name)
            assert metric is not None
            queried.append(observe._Queried(metric, {"stable": stable, "canary": canary}, None, INTERVAL, pods))
        results = observe._judge_compares(spec, status, queried, now)
        for item in queried:
            result = results[item.metric.name]
            record = status.analysis.get(item.metric.name) or MetricStatus()
            measurements._record(record, item.metric, Measurement(
                metric=item.metric.name, value=result.value, phase=MeasurementPhase(result.phase),
                message=result.message, measured_at=now, stable_value=result.stable_value,
                canary_weight=weight, canary_pods=pods[0], stable_pods=pods[1], marginal=result.marginal))
            status.analysis[item.metric.name] = record
        if any(r.phase == "Failed" for r in results.values()):
            return status, look
    return status, None


def _resource(spec: GrayReleaseSpec, status: GrayReleaseStatus, name: str = "checkout") -> dict[str, Any]:
    """The release as ``kubectl get grayrelease -o yaml`` prints it (through YAML, as a user would save it)."""
    obj = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name, "namespace": "shop"},
           "spec": spec.to_dict(), "status": status.to_dict()}
    return yaml.safe_load(yaml.safe_dump(obj))


def _model(spec: GrayReleaseSpec, status: GrayReleaseStatus, name: str = "checkout") -> GrayRelease:
    return GrayRelease.model_validate(_resource(spec, status, name))


def _noisy(seed: int, onset: int | None, factor: float) -> Sides:
    rng = np.random.default_rng(seed)
    draws = rng.normal(0, 0.04, size=(200, 4))

    def sides(look: int) -> dict[str, tuple[float | None, float | None]]:
        slow = factor if onset is not None and look >= onset else 1.0
        d = draws[look]
        return {"latency": (0.2 * np.exp(d[0]), 0.2 * slow * np.exp(d[1])),
                "memory": (5e8 * np.exp(d[2] / 4), 5e8 * np.exp(d[3] / 4))}

    return sides


SPEC = _spec(_metric("latency", "latency"), _metric("memory", "gauge"))


@pytest.mark.parametrize(("seed", "onset", "factor", "looks"), [
    (1, 4, 1.5, 20),     # a regression from the fifth interval
    (2, None, 1.0, 20),  # a good release
    (3, 66, 1.6, 80),    # a regression after the status has cut the history to its last 60 values
    (4, None, 1.0, 75),  # a good release longer than the history kept
])
def test_replay_reaches_the_operators_decision(seed: int, onset: int | None, factor: float, looks: int) -> None:
    status, failed = _operate(SPEC, _noisy(seed, onset, factor), looks)
    assert (failed is not None) == (onset is not None)  # the case means what it says
    [scenario] = recorded.scenarios_from_release(_model(SPEC, status))
    outcome = backtest.replay(scenario)
    kept = len(status.analysis["latency"].history.stable)  # type: ignore[union-attr]
    if failed is None:
        assert outcome.verdict == "promote"
    else:
        assert outcome.verdict == "rollback"
        assert outcome.decided_index == kept - 1  # the look the operator failed, the last one kept
    assert scenario.first_age_seconds == pytest.approx(max(0, looks if failed is None else failed + 1) * 30 - kept * 30)


def test_the_releases_own_settings_are_used_and_can_be_overridden() -> None:
    spec = _spec(_metric("memory", "gauge", maxDegradation=0.5))
    status, failed = _operate(spec, lambda look: {"memory": (5e8, 6.5e8 * (1 + 0.01 * (look % 3)))}, 12)
    assert failed is None  # 30-32% more memory is within the release's 50%
    [scenario] = recorded.scenarios_from_release(_model(spec, status))
    assert scenario.metrics[0].compare is not None and scenario.metrics[0].compare.max_degradation == 0.5
    assert backtest.replay(scenario).verdict == "promote"
    strict = backtest.replay(scenario, backtest.judge_rule({"max_degradation": 0.1}))
    assert strict.verdict == "rollback"


def test_what_the_scenario_records() -> None:
    spec = _spec(_metric("latency", "latency"), _metric("memory", "gauge"))
    status, _ = _operate(spec, _noisy(5, None, 1.0), 6, weight=10.0)
    # The gauge's first measurement failed to come back: its history is one value shorter, and
    # the operator lines it up with the latency's by their latest values.
    memory = status.analysis["memory"]
    assert memory.history is not None
    memory.history.stable.pop(0)
    memory.history.canary.pop(0)
    memory.history.canary_weights.pop(0)  # type: ignore[union-attr]
    [scenario] = recorded.scenarios_from_release(_model(spec, status))
    assert scenario.name == "shop/checkout" and scenario.interval_seconds == 30
    assert scenario.canary_weights == [10.0] * 6
    latency, gauge = scenario.metrics
    assert latency.kind == "latency" and gauge.kind == "gauge"
    assert latency.query_window_seconds == 30  # rate(q[30s]) every 30 s: independent values, as the operator knows
    assert gauge.stable[0] is None and gauge.stable[1:] == memory.history.stable
    assert latency.stable == status.analysis["latency"].history.stable  # type: ignore[union-attr]


def test_a_metric_that_stopped_earlier_is_judged_apart() -> None:
    """A metric measured only in analysis steps stopped when its step ended; the operator judged
    the others without it since, and replay must not take its end for a canary gone silent."""
    spec = _spec(_metric("latency", "latency"), _metric("memory", "gauge"))
    status, _ = _operate(spec, _noisy(10, None, 1.0), 12)
    memory = status.analysis["memory"]
    assert memory.history is not None and memory.last_measured_at is not None
    for series in (memory.history.stable, memory.history.canary, memory.history.canary_weights):
        del series[-4:]  # type: ignore[union-attr]
    memory.last_measured_at -= 4 * INTERVAL
    scenarios = recorded.scenarios_from_release(_model(spec, status))
    assert [(s.name, [m.name for m in s.metrics]) for s in scenarios] == [
        ("shop/checkout", ["latency"]), ("shop/checkout:memory", ["memory"])]
    assert [backtest.replay(s).verdict for s in scenarios] == ["promote", "promote"]


def test_a_rate_per_pod_behind_a_router_replays_with_its_pods() -> None:
    """One canary pod at 5% beside ten stable pods serves half a stable pod's rate, as it should."""
    spec = _spec(_metric("rps", "throughput", per="pod"))
    rng = np.random.default_rng(4)
    draws = rng.normal(0, 0.03, size=(40, 2))
    status, failed = _operate(spec, lambda look: {"rps": (9.5 * math.exp(draws[look, 0]), 5.0 * math.exp(draws[look, 1]))},
                              20, pods=(1, 10))
    assert failed is None
    [scenario] = recorded.scenarios_from_release(_model(spec, status))
    assert scenario.canary_pods == [1] * 20 and scenario.stable_pods == [10] * 20
    assert backtest.replay(scenario).verdict == "promote"
    blind = scenario.model_copy(update={"canary_pods": None, "stable_pods": None})
    assert backtest.replay(blind).verdict == "rollback"  # what the judge made of it before pods were recorded


def test_a_window_the_operator_waited_for_is_not_waited_for_again() -> None:
    """A latency over rate(x[2m]) is measured once the canary is two minutes old; replay must judge
    its first values, not skip them as a fresh canary's."""
    spec = _spec({**_metric("latency", "latency"), "query": "histogram_quantile(0.99, rate(q[2m]))"})
    status, _ = _operate(spec, lambda look: {"latency": (0.2, 0.2 * (1 + 0.02 * (look % 2)))}, 10, first_look=4)
    [scenario] = recorded.scenarios_from_release(_model(spec, status))
    assert scenario.first_age_seconds == 120 and scenario.metrics[0].query_window_seconds == 120
    assert len(backtest.histories_at(scenario, 2)[0].stable) == 3
    fresh = scenario.model_copy(update={"first_age_seconds": 0.0})  # a scenario recorded from the canary's start
    assert len(backtest.histories_at(fresh, 2)[0].stable) == 0


def test_metrics_of_different_intervals_are_scenarios_of_their_own() -> None:
    spec = _spec(_metric("latency", "latency"), _metric("memory", "gauge", interval="1m"))
    status, _ = _operate(spec, _noisy(6, None, 1.0), 4)
    names = sorted(s.name for s in recorded.scenarios_from_release(_model(spec, status)))
    assert names == ["shop/checkout@30s", "shop/checkout@60s"]


def test_metrics_against_a_baseline_are_a_scenario_apart_from_those_against_the_stable() -> None:
    """Their weights and pods are the pair's (canary and baseline), not the canary's beside the stable."""
    baseline = {**_metric("memory", "gauge", against="baseline"), "query": 'mem{role="{{ side.role }}"}'}
    spec = _spec(_metric("latency", "latency"), baseline)
    status, _ = _operate(spec, _noisy(6, None, 1.0), 4)
    found = {s.name: [m.name for m in s.metrics] for s in recorded.scenarios_from_release(_model(spec, status))}
    assert found == {"shop/checkout": ["latency"], "shop/checkout~baseline": ["memory"]}


def test_a_release_without_histories() -> None:
    assert recorded.scenarios_from_release(_model(SPEC, GrayReleaseStatus())) == []


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_replay.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_replays_a_list_of_releases_and_saves_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad, _ = _operate(SPEC, _noisy(7, 3, 1.6), 15)
    good, _ = _operate(SPEC, _noisy(8, None, 1.0), 15)
    listing = {"apiVersion": "v1", "kind": "List", "items": [
        _resource(SPEC, bad, "bad"), _resource(SPEC, good, "good"), _resource(SPEC, GrayReleaseStatus(), "new")]}
    source = tmp_path / "releases.yaml"
    source.write_text(yaml.safe_dump(listing), encoding="utf-8")
    saved = tmp_path / "corpus"
    assert cli_replay.run(_args("--from-release", str(source), "--save", str(saved), "--json")) == 1
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert [(s["name"], s["verdict"]) for s in report["scenarios"]] == [("shop/bad", "rollback"), ("shop/good", "promote")]
    assert "skipped shop/new: no compare metric has a history" in err
    assert sorted(p.name for p in saved.iterdir()) == ["shop.bad.json", "shop.good.json"]
    again = [backtest.replay(s).verdict for s in load_scenarios(saved)]
    assert again == ["rollback", "promote"]  # a saved release replays as the release does


def test_cli_reads_a_release_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    status, _ = _operate(SPEC, _noisy(9, None, 1.0), 8)
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(_resource(SPEC, status))))
    assert cli_replay.run(_args("--from-release", "-", "--explain")) == 0
    assert "shop/checkout  promote" in capsys.readouterr().out


def test_cli_reads_a_status_written_by_a_newer_operator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = _operate(SPEC, _noisy(12, None, 1.0), 8)
    obj = _resource(SPEC, status)
    obj["status"]["analysis"]["latency"]["history"]["podCounts"] = [3] * 8  # a field this version does not know
    source = tmp_path / "newer.json"
    source.write_text(json.dumps(obj), encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(source))) == 0
    assert "shop/checkout  promote" in capsys.readouterr().out


def test_cli_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "deploy.yaml"
    source.write_text("kind: Deployment\nmetadata: {name: web}\n", encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(source))) == 2
    err = capsys.readouterr().err
    assert "nothing to replay" in err and "shop/web" not in err and "default/web: not a GrayRelease" in err
    assert cli_replay.run(_args("--from-release", str(source), str(tmp_path))) == 2
    assert "give a scenario PATH, --from-release FILE or" in capsys.readouterr().err


class TestFromPrometheus:
    """``--from-release`` with ``--from-prometheus``: the release's own queries over its whole window."""

    QUERY = 'histogram_quantile(0.99, sum(rate(latency_bucket{role="{{ side.role }}",rev="{{ side.revision }}"}[30s])) by (le))'

    @staticmethod
    def _release(phase: str = "RolledBack", looks: int = 90, query: str = QUERY) -> GrayRelease:
        spec = _spec({**_metric("latency", "latency"), "query": query})
        noisy = _noisy(11, None, 1.0)
        status, _ = _operate(spec, lambda look: {"latency": noisy(look)["latency"]}, looks)
        status = status.model_copy(update={
            "analysis_started_at": START, "phase": Phase(phase), "stable_revision": "v1",
            "canary_revision": "v1" if phase == "Succeeded" else "v2",
            "aborted_revision": "v2" if phase == "RolledBack" else None})
        return _model(spec, status)

    @staticmethod
    def _prometheus(weights: bool = True) -> tuple[replay_release.RangeSeries, list[str]]:
        asked: list[str] = []

        def series(query: str, start: datetime, end: datetime, step: float, length: int) -> list[float | None]:
            asked.append(query)
            if "grayrelease_release_canary_weight_ratio" in query:
                return [5.0] * (length // 2) + [20.0] * (length - length // 2) if weights else [None] * length
            if "grayrelease_release_ready_pods" in query:  # one canary pod beside 21, then beside 4: 4.5% and 20%
                stable = [21.0] * (length // 2) + [4.0] * (length - length // 2)
                return ([1.0] * length if 'role="canary"' in query else stable) if weights else [None] * length
            canary = 'role="canary"' in query
            noise = np.random.default_rng(2 if canary else 1).normal(0, 0.04, length)
            return [0.2 * (1.5 if canary and k >= length - 10 else 1.0) * math.exp(noise[k]) for k in range(length)]

        return series, asked

    def test_the_whole_window_with_the_operators_weights(self) -> None:
        series, asked = self._prometheus()
        [scenario] = replay_release.from_prometheus(self._release(), series)
        assert scenario.intervals == 90 + 1  # from the analysis start to the last measurement, both ends
        assert scenario.start_time == START
        assert scenario.first_age_seconds == 0 and scenario.metrics[0].compare is not None
        # Without a router, the exact share of the ready pods the operator judged with, not its gauge's whole percent.
        assert scenario.canary_weights is not None and {round(100 / 22, 6), 20.0} == set(scenario.canary_weights)
        stable, canary = (q for q in asked if "latency_bucket" in q)
        assert 'role="stable",rev="v1"' in stable and 'role="canary",rev="v2"' in canary
        assert all('namespace="shop",name="checkout"' in q for q in asked if "grayrelease_release_" in q)
        assert scenario.canary_pods == [1.0] * 91 and scenario.stable_pods == [21.0] * 45 + [4.0] * 46  # its own gauge
        outcome = backtest.replay(scenario)
        assert outcome.verdict == "rollback" and outcome.decided_index > 80  # the last ten intervals are slow

    def test_the_window_is_where_the_canary_took_traffic(self) -> None:
        """A canary query answers at weight 0 too (a rate over a window reaching back to the previous
        canary, pods draining after a rollback): those points are not judged, as the operator did not
        judge them."""
        series, _ = self._prometheus()

        def late(query: str, start: datetime, end: datetime, step: float, length: int) -> list[float | None]:
            values = series(query, start, end, step, length)
            return [0.0] * 3 + values[3:-2] + [0.0] * 2 if "grayrelease_release_canary_weight_ratio" in query else values

        [scenario] = replay_release.from_prometheus(self._release(), late)  # and rolled back two points before the end
        assert scenario.intervals == 91 - 3 - 2 and scenario.start_time == START + 3 * INTERVAL
        assert scenario.canary_weights is not None and 0.0 not in scenario.canary_weights
        assert scenario.canary_pods == [1.0] * 86 and len(scenario.metrics[0].canary or []) == 86

        def never(query: str, start: datetime, end: datetime, step: float, length: int) -> list[float | None]:
            return [0.0] * length if "grayrelease_release_canary_weight_ratio" in query else series(query, start, end, step, length)

        with pytest.raises(ValueError, match="weight 0"):
            replay_release.from_prometheus(self._release(), never)

    def test_behind_a_router_the_weight_is_the_routers(self) -> None:
        from grayrelease.api.spec import TrafficRouting

        release = self._release()
        routed = release.model_copy(update={"spec": release.spec.model_copy(update={
            "traffic_routing": TrafficRouting.model_validate({"gatewayAPI": {"httpRoute": "checkout"}})})})
        series, _ = self._prometheus()
        [scenario] = replay_release.from_prometheus(routed, series)
        assert scenario.canary_weights is not None and {5.0, 20.0} == set(scenario.canary_weights)

    def test_without_the_operators_metrics_the_status_fills_the_end(self) -> None:
        series, _ = self._prometheus(weights=False)
        [scenario] = replay_release.from_prometheus(self._release(), series)
        assert scenario.canary_weights is not None
        assert scenario.canary_weights[:31] == [None] * 31 and scenario.canary_weights[31:] == [5.0] * 60
        assert scenario.canary_pods is not None and scenario.canary_pods[31:] == [1] * 60  # as the status kept them

    def test_a_promoted_release_needs_the_old_stable_revision(self) -> None:
        series, asked = self._prometheus()
        with pytest.raises(ValueError, match="--stable-revision"):
            replay_release.from_prometheus(self._release("Succeeded"), series)
        replay_release.from_prometheus(self._release("Succeeded"), series, replay_release.Window(stable_revision="v0"))
        stable, canary = (q for q in asked if "latency_bucket" in q)
        assert 'rev="v0"' in stable and 'rev="v1"' in canary
        by_role = self._release("Succeeded", query='avg(latency{role="{{side.role}}"})')
        assert replay_release.from_prometheus(by_role, series)  # no revision in the query: nothing missing

    def test_kubectl_gray_replay_with_prometheus_judges_the_whole_window(
            self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        """The plugin's ``--prometheus``: the same scenario as ``--from-release --from-prometheus``,
        where the status alone keeps 60 of the 91 intervals."""
        series, asked = self._prometheus()
        release = self._release("Succeeded")
        urls: list[str] = []
        monkeypatch.setattr(gray_cluster, "connect", lambda *_: None)
        monkeypatch.setattr(gray_cluster, "read", lambda namespace, name: Release(raw=_resource(_spec(_metric(
            "latency", "latency")), release.status), model=release))
        monkeypatch.setattr(cli_replay, "prometheus_series", lambda url: urls.append(url) or series)

        def gray(*args: str) -> int:
            return gray_cli.main(["replay", "checkout", "-n", "shop", "--json", *args])

        assert gray("--prometheus", "http://prom:9090") == 1  # a promoted release: its old stable is not named
        assert "--stable-revision" in capsys.readouterr().err
        assert gray("--prometheus", "http://prom:9090", "--stable-revision", "v0", "--end", "2025-06-01T12:20:00Z") == 0
        [outcome] = json.loads(capsys.readouterr().out)["scenarios"]
        assert urls == ["http://prom:9090"] * 2 and 'rev="v0"' in next(q for q in asked if "latency_bucket" in q)
        # 20 minutes of 30 s intervals, both ends, as the flags gave; the fake's canary is slow in the last ten
        assert outcome["verdict"] == "rollback" and 41 - 10 <= outcome["decided_index"] < 41
        assert gray("--start", "2025-06-01T12:00:00Z") == 1
        assert "--start: only with --prometheus" in capsys.readouterr().err
        assert gray("--stable-revision", "v0", "--prometheus") == 0  # no URL: the one the release's metrics query
        assert urls[-1] == "http://p:9090"
        capsys.readouterr()
        assert gray("--prometheus", "prom:9090") == 1
        assert "--prometheus takes a URL such as http://prometheus:9090" in capsys.readouterr().err
        assert gray() == 0  # the status alone: its 60 kept intervals, where the canary was as fast
        assert json.loads(capsys.readouterr().out)["scenarios"][0] == {
            "name": "shop/checkout", "verdict": "promote", "decided_index": 59, "reason": ANY}

    def test_kubectl_gray_replay_asks_each_metric_of_its_own_prometheus(self) -> None:
        """``--prometheus`` without a URL: a release whose metrics query two Prometheus servers is
        replayed from both, the operator's gauges from the first compare metric's."""
        other = {**_metric("memory", "gauge"), "provider": {"prometheus": {"address": "http://q:9090"}},
                 "query": 'memory{role="{{ side.role }}"}'}
        release = self._release()
        release = release.model_copy(update={"spec": _spec(_metric("latency", "latency"), other)})
        fake, _ = self._prometheus()
        asked: dict[str, list[str]] = {}

        def connect(address: str) -> replay_release.RangeSeries:
            def series(query: str, start: datetime, end: datetime, step: float, length: int) -> list[float | None]:
                asked.setdefault(address, []).append(query)
                return fake(query, start, end, step, length)
            return series

        series, metric_series = gray_cli._prometheus_of_each_metric(release, connect)
        [scenario] = replay_release.from_prometheus(release, series, metric_series=metric_series)
        assert [m.name for m in scenario.metrics] == ["latency", "memory"]
        assert all("memory" in q for q in asked["http://q:9090"]) and len(asked["http://q:9090"]) == 2
        assert any("grayrelease_release_canary_weight_ratio" in q for q in asked["http://p:9090"])
        assert not any("memory" in q for q in asked["http://p:9090"])
        with pytest.raises(ValueError, match="no metric with compare"):
            gray_cli._prometheus_of_each_metric(_model(_spec({**_metric("x", "gauge"), "compare": None,
                                                               "successCondition": "result < 1"}), GrayReleaseStatus()), connect)

    def test_a_release_that_never_measured_needs_a_window(self) -> None:
        series, _ = self._prometheus()
        fresh = _model(SPEC, GrayReleaseStatus())
        with pytest.raises(ValueError, match="give --start and --end"):
            replay_release.from_prometheus(fresh, series)
        window = replay_release.Window(start=START, end=START + 10 * INTERVAL)
        [scenario] = replay_release.from_prometheus(fresh, series, window)
        assert scenario.intervals == 11 and [m.name for m in scenario.metrics] == ["latency", "memory"]


def test_kubectl_gray_replay_labels_and_saves_a_release_for_later_scoring(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``kubectl gray replay NAME --truth bad --onset T --save DIR``, then ``grayrelease replay DIR``:
    the backtesting workflow straight from the cluster."""
    status, failed = _operate(SPEC, _noisy(7, 3, 1.6), 15)
    assert failed is not None
    model = _model(SPEC, status)
    monkeypatch.setattr(gray_cluster, "connect", lambda *_: None)
    monkeypatch.setattr(gray_cluster, "read", lambda namespace, name: Release(raw=_resource(SPEC, status), model=model))
    onset = (START + 4 * INTERVAL).isoformat()  # the first look is measured at START + INTERVAL

    def gray(*args: str) -> int:
        return gray_cli.main(["replay", "checkout", "-n", "shop", "--json", *args])

    assert gray("--truth", "bad", "--onset", onset, "--truth-note", "a revert", "--save", str(tmp_path / "history")) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["recall"] == 1.0 and summary["false_alarms"] == 0
    [saved] = load_scenarios(str(tmp_path / "history"))
    assert saved.truth == Truth(bad=True, onset_index=3, note="a revert")
    assert cli_replay.run(_args(str(tmp_path / "history"), "--json")) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["recall"] == 1.0
    assert gray("--onset", onset) == 1
    assert "--onset needs --truth bad" in capsys.readouterr().err
    assert gray("--save", str(tmp_path / "one.json")) == 0  # one scenario fits one file; unlabelled
    assert load_scenarios(str(tmp_path / "one.json"))[0].truth is None


def test_cli_refuses_flags_its_source_does_not_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = _operate(SPEC, _noisy(13, None, 1.0), 6)
    source = tmp_path / "release.json"
    source.write_text(json.dumps(_resource(SPEC, status)), encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(source), "--start", "2025-06-01T12:00:00Z")) == 2
    assert "not used with this source: --start" in capsys.readouterr().err
    assert cli_replay.run(_args("--from-release", str(source), "--metric", "x=latency")) == 2
    assert "--metric" in capsys.readouterr().err


def test_cli_scores_releases_labelled_with_what_happened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A team's own history as a corpus: each release replayed once with ``--truth`` and saved, then the
    folder scored, as a judge change would be."""
    bad, failed = _operate(SPEC, _noisy(7, 3, 1.6), 15)
    good, _ = _operate(SPEC, _noisy(8, None, 1.0), 15)
    assert failed is not None
    sources = {}
    for name, status in (("bad", bad), ("good", good)):
        sources[name] = tmp_path / f"{name}.json"
        sources[name].write_text(json.dumps(_resource(SPEC, status, name)), encoding="utf-8")
    history = tmp_path / "history"
    onset = (START + 3.5 * INTERVAL).isoformat()  # during look 3, whose value is measured at START + 4 intervals
    assert cli_replay.run(_args("--from-release", str(sources["bad"]), "--truth", "bad", "--onset", onset,
                                "--truth-note", "checkout 5xx, incident 42", "--save", str(history), "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["recall"] == 1.0 and report["summary"]["false_alarms"] == 0
    assert report["summary"]["median_detect_seconds"] == (failed - 3) * 30
    assert cli_replay.run(_args("--from-release", str(sources["good"]), "--truth", "good", "--save", str(history))) == 0
    capsys.readouterr()

    saved = json.loads((history / "shop.bad.json").read_text())
    assert saved["start_time"] == (START + INTERVAL).isoformat().replace("+00:00", "Z")  # the first look's measurement
    assert saved["truth"] == {"bad": True, "onset_index": 3, "note": "checkout 5xx, incident 42"}
    assert cli_replay.run(_args(str(history), "--json", "--confidence", "0.999")) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["precision"], summary["recall"], summary["false_alarms"]) == (1.0, 1.0, 0)


def test_cli_labels_one_release_at_a_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = _operate(SPEC, _noisy(15, None, 1.0), 6)
    listing = {"apiVersion": "v1", "kind": "List", "items": [_resource(SPEC, status, "a"), _resource(SPEC, status, "b")]}
    source = tmp_path / "two.yaml"
    source.write_text(yaml.safe_dump(listing), encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(source), "--truth", "bad")) == 2
    assert "--truth labels one release, and these are 2: shop/a, shop/b" in capsys.readouterr().err
    one = tmp_path / "one.json"
    one.write_text(json.dumps(_resource(SPEC, status)), encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(one), "--onset", "2025-06-01T12:01:00Z")) == 2
    assert "--onset needs --truth bad" in capsys.readouterr().err
    assert cli_replay.run(_args("--from-release", str(one), "--truth", "bad", "--onset", "2025-06-01T13:00:00Z")) == 2
    assert "is after its last interval, measured at 2025-06-01T12:03:00+00:00" in capsys.readouterr().err
    assert cli_replay.run(_args(str(tmp_path), "--truth", "good")) == 2
    assert "not used with this source: --truth (a scenario file holds its own)" in capsys.readouterr().err


def test_truth_labels_every_scenario_of_one_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A release whose metrics run at two intervals is two scenarios, and still one release to label."""
    spec = _spec(_metric("latency", "latency"), _metric("memory", "gauge", interval="1m"))
    status, _ = _operate(spec, _noisy(17, None, 1.0), 8)
    source = tmp_path / "one.json"
    source.write_text(json.dumps(_resource(spec, status)), encoding="utf-8")
    by_release, _ = replay_release.scenarios(str(source))
    assert list(by_release) == ["shop/checkout"] and len(by_release["shop/checkout"]) == 2
    saved = tmp_path / "labelled"
    assert cli_replay.run(_args("--from-release", str(source), "--truth", "good", "--save", str(saved))) == 0
    capsys.readouterr()
    assert [s.truth for s in load_scenarios(saved)] == [Truth(bad=False)] * 2


@pytest.mark.parametrize(("onset_seconds", "index"), [(None, 0), (-600, 0), (0, 0), (1, 1), (30, 1), (31, 2), (150, 5)])
def test_an_onset_time_is_the_first_interval_measured_at_or_after_it(onset_seconds: int | None, index: int) -> None:
    status, _ = _operate(SPEC, _noisy(16, None, 1.0), 6)
    [scenario] = recorded.scenarios_from_release(_model(SPEC, status))
    assert scenario.start_time == START + INTERVAL
    onset = None if onset_seconds is None else scenario.start_time + timedelta(seconds=onset_seconds)
    truth = scenario.labelled(True, onset).truth
    assert truth is not None and truth.bad and truth.onset_index == index
    assert scenario.labelled(False, onset).truth == Truth(bad=False)  # a good release has no onset
    with pytest.raises(ValueError, match="records no start_time"):
        scenario.model_copy(update={"start_time": None}).labelled(True, START)


def test_cli_saves_into_a_folder_unless_given_a_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = _operate(SPEC, _noisy(14, None, 1.0), 6)
    listing = {"apiVersion": "grayrelease.io/v1alpha1", "kind": "GrayReleaseList", "items": [_resource(SPEC, status)]}
    source = tmp_path / "list.yaml"
    source.write_text(yaml.safe_dump(listing), encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(source), "--save", str(tmp_path / "corpus"))) == 0
    assert [p.name for p in (tmp_path / "corpus").iterdir()] == ["shop.checkout.json"]  # one release, still a folder
    assert cli_replay.run(_args("--from-release", str(source), "--save", str(tmp_path / "one.json"))) == 0
    assert load_scenarios(tmp_path / "one.json")[0].name == "shop/checkout"
    capsys.readouterr()


def test_recorded_weights_or_per_pod_need_no_weight_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(_metric("rps", "throughput"))
    status, _ = _operate(spec, lambda look: {"rps": (95.0 * (1 + 0.01 * (look % 3)), 5.0)}, 8)
    source = tmp_path / "rates.json"
    source.write_text(json.dumps(_resource(spec, status)), encoding="utf-8")
    assert cli_replay.run(_args("--from-release", str(source))) == 0
    assert "canary_weight" not in capsys.readouterr().err
