"""The operator judges a compare metric with the release's other compare metrics as context, as replay does.

``observe._judge_compares`` gets this look's answers (already queried) and the status; no
Prometheus is involved, so the rules are checked here and end to end in tests/e2e.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from grayrelease.analysis import recorded
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import CompareHistory, GrayReleaseStatus, MetricStatus
from grayrelease.controller import observe

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=30)


def _metric(name: str, kind: str, **compare: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "rate(q[30s])",
            "compare": {"against": "stable", "kind": kind, **compare}}


def _spec(*metrics: dict[str, Any]) -> GrayReleaseSpec:
    return GrayReleaseSpec.model_validate({
        "replicas": 4, "selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "a"}}, "spec": {}},
        "strategy": {"steps": [{"setWeight": 5}, {"pause": {}}]},
        "analysis": {"interval": "30s", "metrics": list(metrics)},
    })


def _record(stable: list[float | None], canary: list[float | None], measured: datetime = NOW - INTERVAL,
            **requests: list[float | None]) -> MetricStatus:
    return MetricStatus(last_measured_at=measured, history=CompareHistory(
        stable=stable, canary=canary, canary_weights=[5.0] * len(stable), **requests))


def _queried(spec: GrayReleaseSpec, name: str, stable: float | None, canary: float | None,
             requests: dict[str, float | None] | None = None) -> observe._Queried:
    metric = spec.analysis.metric(name)
    assert metric is not None
    return observe._Queried(metric, {"stable": stable, "canary": canary}, requests, INTERVAL)


LATENCY = [0.2, 0.21, 0.2, 0.19, 0.2, 0.2]
SILENT = [0.2, 0.2, 0.21, None, None, None]  # the canary's latency went silent three looks ago


def test_a_canary_whose_pods_still_report_a_gauge_is_not_taken_for_dead() -> None:
    spec = _spec(_metric("latency", "latency"), _metric("memory", "gauge"))
    status = GrayReleaseStatus(canary_weight=5, analysis={
        "latency": _record(LATENCY, SILENT),
        "memory": _record([5e8] * 6, [5e8] * 6),
    })
    both = [_queried(spec, "latency", 0.2, None), _queried(spec, "memory", 5e8, 5.1e8)]
    results = observe._judge_compares(spec, status, both, NOW)
    assert results["latency"].phase == "Inconclusive"
    assert "still report memory" in results["latency"].message

    alone = observe._judge_compares(spec, GrayReleaseStatus(canary_weight=5, analysis={"latency": status.analysis["latency"]}),
                                    both[:1], NOW)
    assert alone["latency"].phase == "Failed"  # nothing says the canary is alive


def test_a_dry_run_gauge_says_nothing_about_a_live_metrics_canary() -> None:
    spec = _spec(_metric("latency", "latency"), {**_metric("memory", "gauge"), "dryRun": True})
    status = GrayReleaseStatus(canary_weight=5, analysis={
        "latency": _record(LATENCY, SILENT),
        "memory": _record([5e8] * 6, [5e8] * 6),
    })
    both = [_queried(spec, "latency", 0.2, None), _queried(spec, "memory", 5e8, 5.1e8)]
    assert observe._judge_compares(spec, status, both, NOW)["latency"].phase == "Failed"


def test_a_gauge_measured_within_the_last_interval_counts_as_context() -> None:
    """Metrics that started at different times are measured at different looks; the latest values line up."""
    spec = _spec(_metric("latency", "latency"), _metric("memory", "gauge"))
    status = GrayReleaseStatus(canary_weight=5, analysis={
        "latency": _record(LATENCY, SILENT),
        "memory": _record([5e8] * 9, [5e8] * 9, measured=NOW - timedelta(seconds=10)),
    })
    results = observe._judge_compares(spec, status, [_queried(spec, "latency", 0.2, None)], NOW)
    assert results["latency"].phase == "Inconclusive"

    stale = status.model_copy(deep=True)
    stale.analysis["memory"].last_measured_at = NOW - 3 * INTERVAL  # the gauge is not known to be alive now
    assert observe._judge_compares(spec, stale, [_queried(spec, "latency", 0.2, None)], NOW)["latency"].phase == "Failed"


def test_request_counts_of_one_metric_make_a_trickle_quiet_for_another() -> None:
    """A 5% canary of a service at 40 requests per interval is due two: no latency then is not a crash."""
    spec = _spec(_metric("errors", "error-ratio", requestsQuery="r"), _metric("latency", "latency"))
    stable_n = [38.0, 40.0, 41.0, 39.0, 40.0, 40.0]
    status = GrayReleaseStatus(canary_weight=5, analysis={
        "errors": _record([0.0] * 6, [0.0, 0.0, 0.0, None, None, None],
                          stable_requests=stable_n, canary_requests=[2.0, 3.0, 1.0, 0.0, 0.0, 0.0]),
        "latency": _record(LATENCY, SILENT),
    })
    queried = [_queried(spec, "errors", 0.0, None, {"stable": 40.0, "canary": 0.0}), _queried(spec, "latency", 0.2, None)]
    results = observe._judge_compares(spec, status, queried, NOW)
    assert results["latency"].phase == "Inconclusive" and results["errors"].phase == "Inconclusive"

    busy = status.model_copy(deep=True)
    busy.analysis["errors"].history.stable_requests = [4000.0] * 6  # due 200 requests a look: silence is death
    queried[0] = _queried(spec, "errors", 0.0, None, {"stable": 4000.0, "canary": 0.0})
    results = observe._judge_compares(spec, busy, queried, NOW)
    assert results["latency"].phase == "Failed" and results["errors"].phase == "Failed"


def test_a_query_that_hides_its_window_leaves_it_to_the_judge_unless_queryWindow_says() -> None:
    """A recording rule over five minutes, read every 30 s, shares nine tenths of its data with the last value;
    named as Prometheus advises (level:metric:operations), it says so itself."""
    hidden = _metric("errors", "error-ratio")
    hidden["query"] = 'job:http_errors:ratio{role="{{ side.role }}"}'
    told = _metric("told", "error-ratio", queryWindow="5m")
    told["query"] = hidden["query"]
    named = _metric("named", "error-ratio")
    named["query"] = 'job:http_errors:ratio_rate5m{role="{{ side.role }}"}'
    ranged = _metric("ranged", "error-ratio")
    ranged["query"] = 'sum(rate(errors{role="{{ side.role }}"}[2m])) / sum(rate(requests{role="{{ side.role }}"}[2m]))'
    memory = _metric("memory", "gauge")
    spec = _spec(hidden, told, named, ranged, memory)
    status = GrayReleaseStatus(canary_weight=5)
    overlaps = {m.name: observe._history(m, status, INTERVAL, NOW).overlap for m in spec.analysis.metrics}
    assert overlaps == {"errors": None, "told": 10.0, "named": 10.0, "ranged": 4.0, "memory": 1.0}


def test_a_measurement_says_when_its_window_is_read_off_the_data() -> None:
    hidden = _metric("errors", "error-ratio")
    hidden["query"] = 'job:http_errors:ratio{role="{{ side.role }}"}'
    told = _metric("told", "error-ratio", queryWindow="5m")
    told["query"] = hidden["query"]
    spec = _spec(hidden, told)
    status = GrayReleaseStatus(canary_weight=5, analysis={
        name: _record([0.01] * 6, [0.01] * 6) for name in ("errors", "told")})
    results = observe._judge_compares(spec, status, [_queried(spec, n, 0.01, 0.01) for n in ("errors", "told")], NOW)
    assert "compare.queryWindow gives it" in results["errors"].message
    assert "queryWindow" not in results["told"].message


def test_a_measurement_says_when_its_window_spans_many_intervals() -> None:
    """rate(x[5m]) read every 30 s: one window of values is about one witness, and the user is told so."""
    long = _metric("long", "error-ratio", queryWindow="5m")
    short = _metric("short", "error-ratio", queryWindow="1m")
    spec = _spec(long, short)
    status = GrayReleaseStatus(canary_weight=5, analysis={name: _record([0.01] * 6, [0.01] * 6) for name in ("long", "short")})
    results = observe._judge_compares(spec, status, [_queried(spec, n, 0.01, 0.01) for n in ("long", "short")], NOW)
    assert results["long"].message.endswith(
        "(a 5m window read every 30s: each value shares 90% of its data with the last, so a regression shows after"
        " about two windows)")
    assert "window" not in results["short"].message


def _never_reported(started: datetime) -> GrayReleaseStatus:
    """A canary whose latency never came in, nor a request, six looks of 30 s so far, in a release started at ``started``."""
    return GrayReleaseStatus(canary_weight=5, release_started_at=started,
                             analysis={"latency": _record(LATENCY, [None] * 6, stable_requests=[4000.0] * 6,
                                                          canary_requests=[0.0] * 6)})


def test_a_canary_that_never_reported_is_starting_up_for_its_first_minute_of_the_release() -> None:
    spec = _spec(_metric("latency", "latency", requestsQuery="r"))
    look = [_queried(spec, "latency", 0.2, None, {"stable": 4000.0, "canary": 0.0})]
    # Seven looks into the release: its first two intervals are start-up, five silent since.
    fresh = observe._judge_compares(spec, _never_reported(NOW - 7 * INTERVAL), look, NOW)
    assert fresh["latency"].phase == "Failed"
    # Three looks into the release: two of them start-up, one silent interval is no crash yet.
    short = _never_reported(NOW - 3 * INTERVAL)
    short.analysis["latency"] = _record(LATENCY[:2], [None] * 2, stable_requests=[4000.0] * 2, canary_requests=[0.0] * 2)
    assert observe._judge_compares(spec, short, look, NOW)["latency"].phase == "Inconclusive"
    # The same three values of a release an hour old: what the status kept is long past start-up.
    short.release_started_at = NOW - timedelta(hours=1)
    assert observe._judge_compares(spec, short, look, NOW)["latency"].phase == "Failed"


def test_a_latency_that_never_came_in_without_anything_counting_requests_holds_the_release() -> None:
    """No metric counts requests: a canary of an admin tool may get none for the whole release, and
    its quantile stays null alive. Held (Inconclusive, never promoted), not rolled back."""
    spec = _spec(_metric("latency", "latency"))
    status = GrayReleaseStatus(canary_weight=5, release_started_at=NOW - 7 * INTERVAL,
                               analysis={"latency": _record(LATENCY, [None] * 6)})
    result = observe._judge_compares(spec, status, [_queried(spec, "latency", 0.2, None)], NOW)["latency"]
    assert result.phase == "Inconclusive"
    assert "nothing says it was due requests" in result.message


def test_first_age_counts_what_the_status_cut() -> None:
    assert recorded.first_age(NOW - 40 * INTERVAL, 30, INTERVAL, NOW) == 10 * INTERVAL.total_seconds()
    assert recorded.first_age(NOW - 3 * INTERVAL, 3, INTERVAL, NOW) == 0.0
    assert recorded.first_age(None, 30, INTERVAL, NOW) == 0.0


def test_a_rate_per_pod_is_read_by_the_pods_recorded_with_it() -> None:
    """A router gives the one canary pod 5% beside ten stable pods: it serves about half of a stable
    pod's rate, which is its due. The pods recorded at each look, and those of this look, say so."""
    spec = _spec(_metric("rps", "throughput", per="pod"))
    rng = np.random.default_rng(3)
    stable = [9.5 * float(np.exp(rng.normal(0, 0.03))) for _ in range(8)]
    canary = [5.0 * float(np.exp(rng.normal(0, 0.03))) for _ in range(8)]

    def status(pods: bool) -> GrayReleaseStatus:
        record = _record(stable, canary)
        if pods:
            record.history.canary_pods, record.history.stable_pods = [1] * 8, [10] * 8  # type: ignore[union-attr]
        return GrayReleaseStatus(canary_weight=5, analysis={"rps": record})

    look = _queried(spec, "rps", 9.4, 5.1)
    counted = observe._judge_compares(spec, status(True), [dataclasses.replace(look, pods=(1, 10))], NOW)
    assert counted["rps"].phase == "Successful", counted["rps"].message
    unknown = observe._judge_compares(spec, status(False), [look], NOW)
    assert unknown["rps"].phase == "Failed"  # taken as due a stable pod's rate: 47% low


def test_without_a_router_the_weight_measured_is_the_exact_share_of_the_pods() -> None:
    spec = _spec(_metric("rps", "throughput"))
    status = GrayReleaseStatus(canary_weight=2)  # 1 pod of 65, rounded
    assert observe._measured_weight(spec, status, (1, 64)) == 100 / 65
    assert observe._measured_weight(spec, status, (None, 64)) == 2.0
    assert observe._measured_weight(spec, GrayReleaseStatus(canary_weight=0), (1, 64)) is None
    routed = spec.model_copy(update={"traffic_routing": GrayReleaseSpec.model_validate({
        **spec.to_dict(), "service": {"name": "a", "port": 80}, "trafficRouting": {"gatewayAPI": {"httpRoute": "r"}},
    }).traffic_routing})
    assert observe._measured_weight(routed, status, (1, 64)) == 2.0  # the router's weight is the split


def test_a_release_without_compare_metrics_never_loads_the_judge() -> None:
    """scipy costs the operator about 70 MiB: only releases that compare pay it. Checked in a fresh
    interpreter, since this one has loaded the judge for the other tests."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from grayrelease.api.spec import GrayReleaseSpec\n"
        "from grayrelease.api.status import GrayReleaseStatus\n"
        "from grayrelease.controller import observe\n"
        "spec = GrayReleaseSpec.model_validate({'replicas': 2, 'selector': {'matchLabels': {'app': 'a'}},"
        " 'template': {'metadata': {'labels': {'app': 'a'}}, 'spec': {}}, 'strategy': {'steps': [{'setWeight': 50}]}})\n"
        "body = {'metadata': {'namespace': 'n', 'name': 'a'}}\n"
        "assert observe.measurements(body, spec, GrayReleaseStatus(canary_weight=50), [], datetime.now(UTC)) == ()\n"
        "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
