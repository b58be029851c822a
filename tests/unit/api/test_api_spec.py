"""Spec defaults and validation: pydantic and the generated CRD (CEL included) must agree."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from schema_check import apply_defaults, errors

from grayrelease.api import crdgen
from grayrelease.api.spec import GrayReleaseSpec, OnFailure, StepKind

SPEC_SCHEMA = crdgen.openapi_schema()["properties"]["spec"]


def crd_errors(spec: dict[str, Any]) -> list[str]:
    return errors(SPEC_SCHEMA, apply_defaults(SPEC_SCHEMA, copy.deepcopy(spec)))


def test_valid_spec_passes_both(spec: dict[str, Any]) -> None:
    model = GrayReleaseSpec.model_validate(spec)
    assert [s.kind for s in model.strategy.steps] == [
        StepKind.SET_WEIGHT, StepKind.PAUSE, StepKind.ANALYSIS, StepKind.INSPECT, StepKind.PAUSE, StepKind.SET_WEIGHT,
    ]
    assert crd_errors(spec) == []


def test_defaults_match_between_models_and_crd() -> None:
    minimal = {"selector": {"matchLabels": {"app": "a"}}, "workloadRef": {"name": "a"}}
    model = GrayReleaseSpec.model_validate(minimal)
    assert (model.replicas, model.progress_deadline_seconds) == (1, 600)
    assert model.strategy.on_failure is OnFailure.ROLLBACK and model.strategy.steps == []
    assert (model.analysis.interval, model.analysis.failure_limit, model.analysis.consecutive_error_limit) == ("30s", 0, 4)
    assert model.workload_ref.kind == "Deployment"
    assert model.router_mode == "replicas"
    # The API server's defaulting produces the same object the model serialises.
    defaulted = apply_defaults(SPEC_SCHEMA, copy.deepcopy(minimal))
    assert defaulted == model.to_dict()


def test_compare_rejects_unknown_fields(spec: dict[str, Any]) -> None:
    spec["analysis"]["metrics"][1]["compare"]["window"] = "5m"
    with pytest.raises(ValidationError, match="window"):
        GrayReleaseSpec.model_validate(spec)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


DELETE = object()

# (id, mutation, message expected from both pydantic and the CRD)
INVALID = [
    ("template and workloadRef", _set("workloadRef", {"name": "checkout"}), "exactly one of template or workloadRef"),
    ("neither template nor workloadRef", _set("template", DELETE), "exactly one of template or workloadRef"),
    ("selector does not match template labels", _set("selector.matchLabels", {"app": "cart"}),
     "selector.matchLabels must match template.metadata.labels"),
    ("step with two kinds", _set("strategy.steps.0", {"setWeight": 5, "pause": {}}), "exactly one of setWeight"),
    ("empty step", _set("strategy.steps.0", {}), "exactly one of setWeight"),
    ("inspect with job and webhook", _set("strategy.steps.3.inspect.job", {"spec": {"template": {}}}),
     "exactly one of job or webhook"),
    ("inspect with nothing", _set("strategy.steps.3.inspect", {}), "exactly one of job or webhook"),
    ("webhook without http scheme", _set("strategy.steps.3.inspect.webhook.url", "ftp://x"), "http:// or https://"),
    ("duplicate metric names", _set("analysis.metrics.1.name", "error-rate"), "metric names must be unique"),
    ("analysis step names an undefined metric", _set("strategy.steps.2.analysis.metrics", ["error-rat"]),
     "must be defined in spec.analysis.metrics"),
    ("analysis step names a metric twice", _set("strategy.steps.2.analysis.metrics", ["error-rate", "error-rate"]),
     "metric names in an analysis step must be unique"),
    ("zero pause duration", _set("strategy.steps.1.pause.duration", "0s"), "positive duration"),
    ("zero analysis interval", _set("analysis.interval", "0m0s"), "positive duration"),
    ("zero query window", _set("analysis.metrics.1.compare.queryWindow", "0s"), "positive duration"),
    ("metric without verdict", _set("analysis.metrics.0.successCondition", DELETE),
     "successCondition, failureCondition or compare"),
    ("trafficRouting without service", lambda s: (s.pop("service"), s.update(trafficRouting={"gatewayAPI": {"httpRoute": "r"}})),
     "trafficRouting needs spec.service"),
    ("trafficRouting without router", _set("trafficRouting", {}), "trafficRouting needs a router"),
    ("analysis step of dry-run metrics only", _set("analysis.metrics.0.dryRun", True),
     "an analysis step needs a metric that is not dryRun"),
    ("baseline compare that cannot tell the baseline from the stable",
     _set("analysis.metrics.1.compare.against", "baseline"), "must select its side by {{ side.role }}"),
    ("baseline compare whose requests query cannot tell them apart",
     lambda s: s["analysis"]["metrics"][1].update(
         query='p99{role="{{ side.role }}"}',
         compare={"against": "baseline", "requestsQuery": 'requests{revision="{{ side.revision }}"}'}),
     "must select its side by {{ side.role }}"),
]

# Shape errors the OpenAPI schema catches before any CEL rule runs.
INVALID_SHAPE = [
    ("weight above 100", _set("strategy.steps.0.setWeight", 101), "strategy.steps[0].setWeight"),
    ("negative weight", _set("strategy.steps.0.setWeight", -1), "strategy.steps[0].setWeight"),
    ("duration in words", _set("strategy.steps.1.pause.duration", "5 minutes"), "strategy.steps[1].pause.duration"),
    ("duration in days", _set("analysis.interval", "1d"), "analysis.interval"),
    ("query window in words", _set("analysis.metrics.1.compare.queryWindow", "five minutes"), "compare.queryWindow"),
    ("zero replicas", _set("replicas", 0), "spec.replicas"),
    ("onFailure unknown", _set("strategy.onFailure", "ignore"), "strategy.onFailure"),
    ("compare against canary", _set("analysis.metrics.1.compare.against", "canary"), "compare.against"),
    ("metric name not a DNS label", _set("analysis.metrics.0.name", "Error_Rate"), "analysis.metrics[0].name"),
    ("too many steps", _set("strategy.steps", [{"setWeight": 1}] * 33), "strategy.steps"),
]


@pytest.mark.parametrize(("mutate", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_rule_rejected_by_pydantic_and_cel(spec: dict[str, Any], mutate: Callable, message: str) -> None:
    mutate(spec)
    with pytest.raises(ValidationError, match=message):
        GrayReleaseSpec.model_validate(spec)
    found = crd_errors(spec)
    assert any(message in e for e in found), found


@pytest.mark.parametrize(("mutate", "path"), [c[1:] for c in INVALID_SHAPE], ids=[c[0] for c in INVALID_SHAPE])
def test_shape_rejected_by_pydantic_and_schema(spec: dict[str, Any], mutate: Callable, path: str) -> None:
    mutate(spec)
    with pytest.raises(ValidationError):
        GrayReleaseSpec.model_validate(spec)
    found = crd_errors(spec)
    assert any(path in e for e in found), found


def test_selector_is_immutable(spec: dict[str, Any]) -> None:
    selector_schema = SPEC_SCHEMA["properties"]["selector"]
    old = {"matchLabels": {"app": "checkout"}}
    assert errors(selector_schema, old, old=old) == []
    assert errors(selector_schema, {"matchLabels": {"app": "cart"}}, old=old) == ["spec: selector is immutable"]


@pytest.mark.parametrize(
    ("query", "requests_query", "window", "interval", "overlap", "fill"),
    [
        ("rate(x[4m])", None, None, "1m", 4.0, 0),
        ("rate(x[1m])", None, None, "5m", 1.0, 0),
        ("rate(x[1m])", "sum(increase(n[2m]))", None, "1m", 2.0, 0),
        ("histogram_quantile(0.99, sum by (le) (rate(b[2m])))", None, None, "30s", 4.0, 120),
        ("job:http_errors:ratio", None, None, "30s", None, 0),
        ("job:http_errors:ratio", None, "5m", "30s", 10.0, 0),
        ("job:http_latency_p99:histogram_quantile", None, "2m", "1m", 2.0, 120),
        ("job:http_errors:ratio_rate5m", None, None, "30s", 10.0, 0),
        ("job:http_errors:ratio_rate5m", None, "1m", "30s", 2.0, 0),
        ("job:http_latency_seconds:p99_rate2m", None, None, "1m", 2.0, 120),
        ("rate(x[1m])", None, "3m", "1m", 3.0, 0),
        ("avg(container_memory_working_set_bytes)", None, None, "30s", 1.0, 0),
    ],
    ids=["window of four intervals", "window shorter than the interval", "requests over a longer window", "latency",
         "recording rule: unknown", "recording rule with queryWindow", "latency recording rule with queryWindow",
         "recording rule named with its range", "queryWindow wins over the rule's name", "latency rule named with its range",
         "queryWindow wins over the query's range", "gauge read at an instant"],
)
def test_metric_overlap_and_fill_window(query: str, requests_query: str | None, window: str | None, interval: str,
                                        overlap: float | None, fill: int) -> None:
    from datetime import timedelta

    from grayrelease.api.durations import parse_duration
    from grayrelease.api.spec import Metric

    kind = "latency" if "quantile" in query or "latency" in query else "gauge" if "memory" in query else "error-ratio"
    compare = {"kind": kind, **({"requestsQuery": requests_query} if requests_query else {}),
               **({"queryWindow": window} if window else {})}
    metric = Metric.model_validate({"name": "m", "provider": {"prometheus": {"address": "http://p"}}, "query": query,
                                    "compare": compare})
    assert metric.overlap(parse_duration(interval)) == overlap
    assert metric.fill_window() == timedelta(seconds=fill)


def test_a_baseline_compare_selecting_by_role_is_valid_and_runs_a_baseline(spec: dict[str, Any]) -> None:
    assert not GrayReleaseSpec.model_validate(spec).uses_baseline
    spec["analysis"]["metrics"][1].update(query='p99{role="{{side.role}}"}', compare={
        "against": "baseline", "requestsQuery": 'sum(rate(requests{role="{{ side.role }}"}[1m]))'})
    parsed = GrayReleaseSpec.model_validate(spec)
    assert parsed.uses_baseline and parsed.analysis.metrics[1].against_baseline
    assert crd_errors(spec) == []
