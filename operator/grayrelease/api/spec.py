"""``GrayRelease.spec``: what a team declares about a release, exactly as it sits in Git.

Every rule the API server enforces (CEL ``x-kubernetes-validations``, generated into the CRD by
``crdgen``) is written next to the field it guards, and mirrored by a pydantic validator so the
operator and the unit tests reject the same manifests the API server rejects. Size bounds
(``max_length`` on lists and strings) are part of the contract: they keep the CEL cost estimate
within the API server's budget and the status bounded.

Additions beyond the first sketch of the resource:

- ``Metric.background`` (default true): false measures a metric only in analysis steps naming it.
- ``Metric.count``: successful measurements an analysis step needs for this metric (default 1),
  unless the step sets its own ``count``.
- ``Service.targetPort`` defaults to ``port``.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, model_validator

from grayrelease.api.base import Model, OpenModel
from grayrelease.api.compare import WINDOW_FILLING_KINDS, CompareConfig, query_window
from grayrelease.api.durations import Duration, PositiveDuration

# Bounds. They are what lets the API server prove the CEL rules cheap enough.
MAX_STEPS = 32
MAX_METRICS = 16
MAX_STEP_METRICS = 8
MAX_LABELS = 64
MAX_HEADERS = 16

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

MetricName = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS_LABEL)]
LabelKey = Annotated[str, Field(min_length=1, max_length=317)]
LabelValue = Annotated[str, Field(max_length=63)]
Weight = Annotated[int, Field(ge=0, le=100)]


def _rule(rule: str, message: str, reason: str | None = None) -> dict[str, str]:
    out = {"rule": rule, "message": message}
    if reason:
        out["reason"] = reason
    return out


def _validations(*rules: dict[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": list(rules)}


def _count_set(*values: object) -> int:
    return sum(value is not None for value in values)


# --- workload ---------------------------------------------------------------------------------


class LabelSelector(Model):
    """Which pods belong to the release; immutable, like a Deployment's selector."""

    match_labels: dict[LabelKey, LabelValue] = Field(min_length=1, max_length=MAX_LABELS)


POD_TEMPLATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Pod template (a core/v1 PodTemplateSpec) of the version to release. "
        "A change of it starts a new release."
    ),
    "x-kubernetes-preserve-unknown-fields": True,
    "x-kubernetes-embedded-resource": False,
    "required": ["spec"],
    "properties": {
        "metadata": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {
                "labels": {
                    "type": "object",
                    "maxProperties": MAX_LABELS,
                    "additionalProperties": {"type": "string", "maxLength": 63},
                },
            },
        },
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}

JOB_SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A batch/v1 JobSpec; the Job runs against the canary and must succeed.",
    "x-kubernetes-preserve-unknown-fields": True,
}


class PodTemplateMetadata(OpenModel):
    """Pod metadata; the operator adds its role and revision labels."""

    labels: dict[str, str] = Field(default_factory=dict)


class PodTemplate(OpenModel):
    """Pod template; only the labels are read, the rest goes to the Deployments as written."""

    metadata: PodTemplateMetadata = Field(default_factory=PodTemplateMetadata)
    spec: dict[str, Any]


class WorkloadRef(Model):
    """An existing workload to adopt: its pod template becomes the first stable revision."""

    kind: Literal["Deployment"] = Field("Deployment", description="Only Deployment so far.")
    name: str = Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)


IntOrString = Annotated[int | str, WithJsonSchema({"x-kubernetes-int-or-string": True})]


class Service(Model):
    """The Service users call; the operator adds `<name>-stable` and `<name>-canary` Services next to it."""

    name: str = Field(min_length=1, max_length=63, pattern=DNS_LABEL)
    port: int = Field(ge=1, le=65535)
    target_port: IntOrString | None = Field(None, description="Container port; defaults to port.")


class GatewayAPIRouting(Model):
    http_route: str = Field(
        min_length=1, max_length=253, pattern=DNS_SUBDOMAIN,
        description="HTTPRoute (same namespace) whose backendRefs weights the operator sets.",
    )


class TrafficRouting(Model):
    """How traffic is split; absent means traffic follows the ratio of ready replicas."""

    model_config = {"json_schema_extra": _validations(
        _rule("has(self.gatewayAPI)", "trafficRouting needs a router: gatewayAPI"),
    )}

    gateway_api: GatewayAPIRouting | None = Field(None, alias="gatewayAPI")

    @model_validator(mode="after")
    def _one_router(self) -> TrafficRouting:
        if self.gateway_api is None:
            raise ValueError("trafficRouting needs a router: gatewayAPI")
        return self


# --- steps ------------------------------------------------------------------------------------


class PauseStep(Model):
    duration: PositiveDuration | None = Field(
        None, description="How long to wait; absent waits for `kubectl gray promote`.",
    )


class AnalysisStep(Model):
    """An inline gate: the step completes once every metric has `count` successful measurements."""

    metrics: list[MetricName] = Field(
        min_length=1, max_length=MAX_STEP_METRICS,
        description="Names of metrics defined in spec.analysis.metrics.",
        json_schema_extra=_validations(
            _rule("self.all(m, self.exists_one(x, x == m))", "metric names in an analysis step must be unique"),
        ),
    )
    count: int | None = Field(None, ge=1, le=1000, description="Successful measurements needed per metric.")
    interval: PositiveDuration | None = Field(None, description="Time between measurements during the step.")

    @model_validator(mode="after")
    def _unique(self) -> AnalysisStep:
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError("metric names in an analysis step must be unique")
        return self


class JobInspection(Model):
    spec: Annotated[dict[str, Any], WithJsonSchema(JOB_SPEC_SCHEMA)]
    timeout: PositiveDuration | None = Field(None, description="Fail the inspection after this long.")


class WebhookInspection(Model):
    model_config = {"json_schema_extra": _validations(
        _rule("self.url.startsWith('http://') || self.url.startsWith('https://')",
              "webhook url must start with http:// or https://"),
    )}

    url: str = Field(min_length=1, max_length=2048, description="Called with POST; a 2xx answer passes.")
    timeout_seconds: int = Field(10, ge=1, le=300)
    headers: dict[Annotated[str, Field(max_length=256)], Annotated[str, Field(max_length=4096)]] | None = Field(
        None, max_length=MAX_HEADERS,
    )

    @model_validator(mode="after")
    def _scheme(self) -> WebhookInspection:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("webhook url must start with http:// or https://")
        return self


class InspectStep(Model):
    """A quality inspection against the canary: a Job that must succeed or a webhook that must answer 2xx."""

    model_config = {"json_schema_extra": _validations(
        _rule("has(self.job) != has(self.webhook)", "inspect needs exactly one of job or webhook"),
    )}

    job: JobInspection | None = None
    webhook: WebhookInspection | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> InspectStep:
        if _count_set(self.job, self.webhook) != 1:
            raise ValueError("inspect needs exactly one of job or webhook")
        return self


class StepKind(StrEnum):
    SET_WEIGHT = "setWeight"
    PAUSE = "pause"
    ANALYSIS = "analysis"
    INSPECT = "inspect"


class Step(Model):
    """One step of the strategy; exactly one of its fields is set."""

    model_config = {"json_schema_extra": _validations(
        _rule(
            "(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0)"
            " + (has(self.inspect) ? 1 : 0) == 1",
            "each step needs exactly one of setWeight, pause, analysis or inspect",
        ),
    )}

    set_weight: Weight | None = Field(None, description="Percentage of traffic (or replicas) for the canary.")
    pause: PauseStep | None = None
    analysis: AnalysisStep | None = None
    inspect: InspectStep | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        if _count_set(self.set_weight, self.pause, self.analysis, self.inspect) != 1:
            raise ValueError("each step needs exactly one of setWeight, pause, analysis or inspect")
        return self

    @property
    def kind(self) -> StepKind:
        if self.set_weight is not None:
            return StepKind.SET_WEIGHT
        if self.pause is not None:
            return StepKind.PAUSE
        if self.analysis is not None:
            return StepKind.ANALYSIS
        return StepKind.INSPECT


class OnFailure(StrEnum):
    ROLLBACK = "rollback"
    PAUSE = "pause"


class Strategy(Model):
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS, json_schema_extra={"default": []})
    on_failure: OnFailure = Field(
        OnFailure.ROLLBACK,
        description="What a failed analysis, inspection or progress deadline does: rollback, or pause for a person.",
    )


# --- notifications ----------------------------------------------------------------------------


class NotificationEvent(StrEnum):
    """What a release can notify about; each is one or more Event reasons (see grayrelease.notify)."""

    STARTED = "started"
    STEP_COMPLETED = "stepCompleted"
    PAUSED = "paused"
    HELD = "held"
    RESUMED = "resumed"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolledBack"
    ABORTED = "aborted"
    DEGRADED = "degraded"
    CANCELLED = "cancelled"
    INSTALLED = "installed"
    COMMAND_IGNORED = "commandIgnored"
    DRY_RUN_FAILED = "dryRunFailed"


DEFAULT_NOTIFICATION_EVENTS = [NotificationEvent.PROMOTED, NotificationEvent.ROLLED_BACK, NotificationEvent.ABORTED,
                               NotificationEvent.PAUSED]


class WebhookNotification(Model):
    """A Slack-compatible incoming webhook: POSTed once per matching Event, never retried."""

    model_config = {"json_schema_extra": _validations(
        _rule("self.url.startsWith('http://') || self.url.startsWith('https://')",
              "webhook url must start with http:// or https://"),
    )}

    url: str = Field(min_length=1, max_length=2048,
                     description="Receives a JSON POST; the URL is readable by anyone who can read the GrayRelease.")
    events: list[NotificationEvent] = Field(
        default_factory=lambda: list(DEFAULT_NOTIFICATION_EVENTS), min_length=1, max_length=len(NotificationEvent),
        description="Which events to send (default: promoted, rolledBack, aborted, paused).",
        json_schema_extra={"default": [e.value for e in DEFAULT_NOTIFICATION_EVENTS], "x-kubernetes-list-type": "set"},
    )
    timeout_seconds: int = Field(5, ge=1, le=30, description="Per request; a slow receiver never delays a release.")

    @model_validator(mode="after")
    def _scheme(self) -> WebhookNotification:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("webhook url must start with http:// or https://")
        return self


class Notifications(Model):
    webhook: WebhookNotification | None = None


# --- analysis ---------------------------------------------------------------------------------


class PrometheusProvider(Model):
    address: str = Field(min_length=1, max_length=2048, description="Base URL, e.g. http://prometheus.monitoring:9090")


class MetricProvider(Model):
    prometheus: PrometheusProvider


BASELINE_ROLE_MESSAGE = (
    "a compare metric against baseline must select its side by {{ side.role }} in query and requestsQuery: "
    "the baseline runs the stable's revision"
)


class Metric(Model):
    model_config = {"json_schema_extra": _validations(
        _rule(
            "has(self.successCondition) || has(self.failureCondition) || has(self.compare)",
            "a metric needs successCondition, failureCondition or compare",
        ),
        _rule(
            "!has(self.compare) || !has(self.compare.against) || self.compare.against != 'baseline'"
            " || (self.query.contains('side.role')"
            " && (!has(self.compare.requestsQuery) || self.compare.requestsQuery.contains('side.role')))",
            BASELINE_ROLE_MESSAGE,
        ),
    )}

    name: MetricName
    background: bool = Field(True, description="Measure during the whole release; false: only in analysis steps.")
    provider: MetricProvider
    query: str = Field(min_length=1, max_length=8192)
    success_condition: str | None = Field(None, max_length=1024, description="CEL, e.g. `result < 0.01`.")
    failure_condition: str | None = Field(None, max_length=1024)
    interval: PositiveDuration | None = Field(None, description="Defaults to spec.analysis.interval.")
    count: int | None = Field(None, ge=1, le=1000, description="Successful measurements an analysis step needs (default 1).")
    failure_limit: int | None = Field(None, ge=0, le=1000)
    inconclusive_limit: int | None = Field(None, ge=0, le=1000)
    consecutive_error_limit: int | None = Field(None, ge=0, le=1000)
    compare: CompareConfig | None = None
    dry_run: bool = Field(
        False,
        description=(
            "Measure, judge and record this metric, and announce when it fails (Event AnalysisDryRunFailed), but never "
            "fail, pause or hold the release on it: to try a metric, or the statistical judge, on live releases first."
        ),
    )

    def fill_window(self) -> timedelta:
        """How long a fresh canary's series take to fill this metric's query window, if that skews it.

        ``rate(...[5m])`` of a series younger than five minutes reads low, and a latency quantile
        over it comes from a fraction of the requests: a compare metric of kind latency or
        throughput is judged only once the canary is as old as its query window. Error ratios are
        ratios of two rates that fill alike, and are judged from the start.
        """
        if self.compare is None or self.compare.kind not in WINDOW_FILLING_KINDS:
            return timedelta(0)
        return self.query_window() or timedelta(0)

    def query_window(self) -> timedelta | None:
        """The range one value of this metric spans (``compare.query_window``); zero for a plain metric."""
        if self.compare is None:
            return timedelta(0)
        return query_window((self.query, self.compare.requests_query), self.compare.kind, self.compare.query_window)

    def overlap(self, interval: timedelta) -> float | None:
        """How many consecutive intervals one value's query window spans (at least 1); None when the
        window is unknown, and the judge estimates it from the data."""
        window = self.query_window()
        if window is None:
            return None
        return max(1.0, window / interval) if interval > timedelta(0) else 1.0

    @property
    def against_baseline(self) -> bool:
        return self.compare is not None and self.compare.against == "baseline"

    @model_validator(mode="after")
    def _has_verdict(self) -> Metric:
        if _count_set(self.success_condition, self.failure_condition, self.compare) == 0:
            raise ValueError("a metric needs successCondition, failureCondition or compare")
        if self.against_baseline and self.compare is not None and (
            "side.role" not in self.query
            or (self.compare.requests_query is not None and "side.role" not in self.compare.requests_query)
        ):
            raise ValueError(BASELINE_ROLE_MESSAGE)
        return self


class Analysis(Model):
    """Background analysis: measured all along the release, from the moment the canary has weight."""

    interval: PositiveDuration = "30s"
    initial_delay: Duration | None = Field(None, description="Wait this long after the canary first gets weight.")
    failure_limit: int = Field(0, ge=0, le=1000, description="Failed measurements tolerated; one more fails the release.")
    inconclusive_limit: int = Field(
        2, ge=0, le=1000,
        description="Inconclusive measurements tolerated before pausing (a compare metric needs a few intervals of data first).",
    )
    consecutive_error_limit: int = Field(4, ge=0, le=1000, description="Consecutive query errors tolerated before pausing.")
    metrics: list[Metric] = Field(
        default_factory=list, max_length=MAX_METRICS,
        json_schema_extra={"default": [], **_validations(
            _rule("self.all(m, self.exists_one(x, x.name == m.name))", "metric names must be unique"),
        )},
    )

    @model_validator(mode="after")
    def _unique(self) -> Analysis:
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError("metric names must be unique")
        return self

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)


# --- the spec ---------------------------------------------------------------------------------

SPEC_RULES = (
    _rule("has(self.template) != has(self.workloadRef)", "exactly one of template or workloadRef must be set"),
    _rule(
        "!has(self.template) || self.selector.matchLabels.all(k, has(self.template.metadata)"
        " && has(self.template.metadata.labels) && k in self.template.metadata.labels"
        " && self.template.metadata.labels[k] == self.selector.matchLabels[k])",
        "selector.matchLabels must match template.metadata.labels",
    ),
    _rule(
        "!has(self.trafficRouting) || has(self.service)",
        "trafficRouting needs spec.service: the router splits traffic between its stable and canary Services",
    ),
    _rule(
        "!has(self.strategy) || !has(self.strategy.steps) || self.strategy.steps.all(s, !has(s.analysis)"
        " || s.analysis.metrics.all(m, has(self.analysis) && has(self.analysis.metrics)"
        " && self.analysis.metrics.exists(x, x.name == m)))",
        "every metric named by an analysis step must be defined in spec.analysis.metrics",
    ),
    _rule(
        "!has(self.strategy) || !has(self.strategy.steps) || self.strategy.steps.all(s, !has(s.analysis)"
        " || s.analysis.metrics.exists(m, has(self.analysis) && has(self.analysis.metrics)"
        " && self.analysis.metrics.exists(x, x.name == m && !(has(x.dryRun) && x.dryRun))))",
        "an analysis step needs a metric that is not dryRun: a dry-run metric never passes or fails a step",
    ),
)


class GrayReleaseSpec(Model):
    model_config = {"json_schema_extra": _validations(*SPEC_RULES)}

    replicas: int = Field(1, ge=1, le=10000, description="Pods serving the release in total.")
    selector: LabelSelector = Field(json_schema_extra=_validations(
        _rule("self == oldSelf", "selector is immutable"),
    ))
    template: Annotated[PodTemplate, WithJsonSchema(POD_TEMPLATE_SCHEMA)] | None = None
    workload_ref: WorkloadRef | None = None
    service: Service | None = None
    traffic_routing: TrafficRouting | None = None
    strategy: Strategy = Field(default_factory=Strategy, json_schema_extra={"default": {}})
    analysis: Analysis = Field(default_factory=Analysis, json_schema_extra={"default": {}})
    progress_deadline_seconds: int = Field(
        600, ge=1, le=86400,
        description="A step whose workloads make no progress for this long fails with ProgressDeadlineExceeded.",
    )
    canary_restart_limit: int = Field(
        3, ge=0, le=10000,
        description="Restarts a container of the canary's pods may make in a release, and canary pods that may be"
                    " evicted: one more fails it with CanaryRestarting (rolled back, or paused with onFailure: pause),"
                    " whatever the metrics say.",
    )
    notifications: Notifications | None = Field(
        None, description="Where to send notifications of this release's Events, besides the cluster-wide webhook.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> GrayReleaseSpec:
        if _count_set(self.template, self.workload_ref) != 1:
            raise ValueError("exactly one of template or workloadRef must be set")
        if self.template is not None:
            labels = self.template.metadata.labels
            if any(labels.get(k) != v for k, v in self.selector.match_labels.items()):
                raise ValueError("selector.matchLabels must match template.metadata.labels")
        if self.traffic_routing is not None and self.service is None:
            raise ValueError(
                "trafficRouting needs spec.service: the router splits traffic between its stable and canary Services"
            )
        defined = {m.name for m in self.analysis.metrics}
        for step in self.strategy.steps:
            if step.analysis is not None and not set(step.analysis.metrics) <= defined:
                raise ValueError("every metric named by an analysis step must be defined in spec.analysis.metrics")
            if step.analysis is not None and all(self.analysis.metric(name).dry_run for name in step.analysis.metrics):  # type: ignore[union-attr]
                raise ValueError("an analysis step needs a metric that is not dryRun: a dry-run metric never passes or fails a step")
        return self

    @property
    def uses_baseline(self) -> bool:
        """A compare metric is judged against a baseline, so the release runs one beside its canary."""
        return any(m.against_baseline for m in self.analysis.metrics)

    @property
    def router_mode(self) -> Literal["replicas", "gatewayAPI"]:
        return "gatewayAPI" if self.traffic_routing is not None else "replicas"
