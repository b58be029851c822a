"""Scenarios of GrayReleases for ``grayrelease replay``: from their status, or from Prometheus.

``--from-release FILE`` alone replays what the status recorded (the last 60 values per side of
each compare metric, ``analysis.recorded``). With ``--from-prometheus URL`` too, the release's
own queries are run again as range queries over its whole analysis window, so a release longer
than the status keeps is replayed from its start. The canary's weight at each interval comes
from the operator's own metric, ``grayrelease_release_canary_weight_ratio``, and each side's
ready pods from ``grayrelease_release_ready_pods``, where Prometheus scrapes the operator;
otherwise from the status for the intervals it kept.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import yaml

from grayrelease.analysis import recorded, templating
from grayrelease.analysis.scenario import FORMAT, Scenario
from grayrelease.api.compare import CompareConfig, RatePer
from grayrelease.api.resource import KIND, GrayRelease
from grayrelease.api.spec import Metric
from grayrelease.api.status import CompareHistory, Phase
from grayrelease.cli.gray_resource import parse_release
from grayrelease.engine.situation import pod_share

RangeSeries = Callable[[str, datetime, datetime, float, int], list[float | None]]
"""(query, start, end, step seconds, length) -> one value per grid point start + k*step."""

_REVISION_VARIABLES = ("stable.revision", "side.revision")


def add_judge_flags(parser: argparse.ArgumentParser) -> None:
    """``--confidence``, ``--max-degradation`` and ``--per``: settings to judge every metric with
    (``grayrelease replay`` and ``kubectl gray replay``; this module spares the plugin scipy)."""
    parser.add_argument("--confidence", type=float, help="judge with this confidence for every metric (default 0.99)")
    parser.add_argument(
        "--max-degradation", type=float, help="judge with this tolerated relative degradation (0.1 = 10%%) for every metric"
    )
    parser.add_argument(
        "--per", choices=get_args(RatePer),
        help="how every throughput's values are taken: side (summed over a side's pods, read by the canary's share), "
             "pod (per pod, read by what a canary pod is due); default auto: read off the data",
    )


def add_truth_flags(parser: argparse.ArgumentParser, sources: str) -> None:
    """``--truth``, ``--onset`` and ``--truth-note``: what really happened to a release, so a judge
    can be scored on a team's own history (``grayrelease replay`` and ``kubectl gray replay``)."""
    truth = parser.add_argument_group(
        f"what really happened, to score a judge on your own releases ({sources}; saved with --save)")
    truth.add_argument("--truth", choices=("good", "bad"),
                       help="label the release: bad if it caused harm (an incident, a revert), good if not; "
                            "the summary then gives precision, recall and time to detect")
    truth.add_argument("--onset", metavar="TIME",
                       help="with --truth bad: when the harm began, RFC 3339 or Unix seconds (default: the first interval)")
    truth.add_argument("--truth-note", metavar="TEXT", help="with --truth: what happened, kept in the saved scenario")


def check_truth_flags(args: argparse.Namespace) -> None:
    """``--onset`` and ``--truth-note`` only say something with ``--truth``; ValueError otherwise."""
    if (args.onset and args.truth != "bad") or (args.truth_note and not args.truth):
        raise ValueError("--onset needs --truth bad, and --truth-note needs --truth")


def judge_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the judge flags put on every metric; ValueError for one out of range, said
    before any release is judged."""
    names = {"confidence": args.confidence, "max_degradation": args.max_degradation, "per": args.per}
    overrides = {name: value for name, value in names.items() if value is not None}
    CompareConfig(**overrides)
    return overrides


@dataclass(frozen=True)
class Window:
    """What the command line says about the window and the sides; None: taken from the release."""

    start: datetime | None = None
    end: datetime | None = None
    stable_revision: str | None = None
    canary_revision: str | None = None


def read_releases(path: str) -> list[dict[str, Any]]:
    """Every object of a YAML or JSON file (``-``: stdin), a List's items in its place, as
    ``kubectl get -o yaml`` prints one object or a List of them."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    objects: list[dict[str, Any]] = []
    for document in yaml.safe_load_all(text):
        if isinstance(document, dict) and str(document.get("kind", "")).endswith("List"):  # List, GrayReleaseList
            objects.extend(item for item in document.get("items") or [] if isinstance(item, dict))
        elif isinstance(document, dict):
            objects.append(document)
    return objects


def label(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"


def scenarios(path: str, series: RangeSeries | None = None,
              window: Window = Window()) -> tuple[dict[str, list[Scenario]], list[str]]:
    """Scenarios of every GrayRelease in the file, by release (``NS/NAME``): from their status, or,
    given ``series`` (range queries against Prometheus), from their queries over their analysis
    window. A release without anything to replay, or an object that is no GrayRelease, is named in
    the second list."""
    made: dict[str, list[Scenario]] = {}
    skipped: list[str] = []
    for obj in read_releases(path):
        try:
            if obj.get("kind") != KIND:
                raise ValueError(f"not a {KIND}: kind {obj.get('kind')!r}")
            release = parse_release(obj)  # status fields of a newer operator are left out, not fatal
            found = recorded.scenarios_from_release(release) if series is None else from_prometheus(release, series, window)
        except ValueError as error:
            skipped.append(f"{label(obj)}: {' '.join(str(error).split())}")
            continue
        if not found:
            skipped.append(f"{label(obj)}: no compare metric has a history in its status (none measured yet)")
            continue
        made.setdefault(label(obj), []).extend(found)
    if not made and skipped:
        raise ValueError(f"nothing to replay in {path}: {'; '.join(skipped)}")
    return made, skipped


def from_prometheus(release: GrayRelease, series: RangeSeries, window: Window = Window(),
                    metric_series: Callable[[Metric], RangeSeries] | None = None) -> list[Scenario]:
    """The release's compare metrics queried over its analysis window, one scenario per interval.

    ``series`` answers the operator's own gauges (the canary's weight, each side's ready pods) and,
    unless ``metric_series`` says which Prometheus each metric's queries go to, the metrics too."""
    status, meta = release.status, release.metadata
    compares = [m for m in release.spec.analysis.metrics if m.compare is not None]
    if not compares:
        raise ValueError("no metric with compare: nothing the judge compares")
    start = window.start or status.analysis_started_at or status.release_started_at
    measured = [r.last_measured_at for m in compares if (r := status.analysis.get(m.name)) and r.last_measured_at]
    end = window.end or (max(measured) if measured else None)
    if start is None or end is None or end <= start:
        raise ValueError("the release's status has no analysis window (not started, or nothing measured): give --start and --end")
    stable, canary = _revisions(release, compares, window)
    groups: dict[recorded.GroupKey, list[Metric]] = {}
    for metric in compares:
        groups.setdefault(recorded.group_key(release, metric), []).append(metric)
    name = f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"
    release_labels = (f'namespace="{templating.escape_promql_string(meta.get("namespace", ""))}",'
                      f'name="{templating.escape_promql_string(meta.get("name", ""))}"')
    weight_query = f"100 * max(grayrelease_release_canary_weight_ratio{{{release_labels}}})"
    out = []
    for (interval, baseline), metrics in sorted(groups.items()):
        step = interval.total_seconds()
        length = int(math.floor((end - start).total_seconds() / step + 1e-9)) + 1
        variables = {side: templating.variables(meta.get("namespace", ""), meta.get("name", ""), stable, canary,
                                                side="baseline" if baseline and side == "stable" else side)
                     for side in ("stable", "canary")}
        if baseline:  # the operator's gauges give the canary's share of all traffic: the status has the pair's
            weights, pods = [None] * length, [[None] * length, [None] * length]
        else:
            weights = [None if w is None else round(w, 6) for w in series(weight_query, start, end, step, length)]
            pods = [series(f'max(grayrelease_release_ready_pods{{{release_labels},role="{role}"}})', start, end, step, length)
                    for role in ("canary", "stable")]
            if release.spec.router_mode == "replicas":
                weights = _share_of_ready_pods(weights, pods[0], pods[1])
        lead = _untrafficked(weights)
        if lead == length:
            raise ValueError(f"the operator's gauges show the canary at weight 0 from {start} to {end}: "
                             "nothing of it to judge; give --start and --end")
        stop = length - _untrafficked(weights[::-1])
        first = start + lead * interval

        def trimmed(values: list[Any] | None) -> list[Any] | None:
            return None if values is None else values[lead:stop]

        entries = []
        for metric in metrics:
            counted = metric.compare.requests_query if metric.compare else None
            ask = metric_series(metric) if metric_series else series
            values: dict[str, list[float | None] | None] = {}
            for side in ("stable", "canary"):
                values[side] = trimmed(ask(templating.render(metric.query, variables[side]), start, end, step, length))
                if counted:
                    values[f"{side}_requests"] = trimmed(ask(templating.render(counted, variables[side]), start, end, step, length))
            entries.append(recorded.metric_entry(metric, step, values))
        kept = stop - lead
        out.append(Scenario.model_validate({
            "format": FORMAT,
            "name": recorded.group_label(name, (interval, baseline), groups),
            "interval_seconds": step,
            "canary_weights": recorded.known(trimmed(weights)) or _status_tail(release, metrics, kept, CompareHistory.weights),
            "canary_pods": recorded.known(trimmed(pods[0])) or _status_tail(release, metrics, kept, lambda h: h.pods()[0]),
            "stable_pods": recorded.known(trimmed(pods[1])) or _status_tail(release, metrics, kept, lambda h: h.pods()[1]),
            "first_age_seconds": max(0.0, (first - status.release_started_at).total_seconds()) if status.release_started_at else 0.0,
            "start_time": first,
            "metrics": entries,
        }))
    return out


def _untrafficked(weights: list[float | None]) -> int:
    """How many points open ``weights`` with the canary recorded at weight 0 (given reversed: close
    them). The operator judges only while the canary takes traffic. Before, a canary query can still
    answer from the previous canary's series (a rate over a window reaching back, a gauge not yet
    gone stale); after a rollback, from pods draining. Those points would dilute the evidence of
    the intervals the operator judged."""
    for index, weight in enumerate(weights):
        if weight != 0:
            return index
    return len(weights)


def _share_of_ready_pods(weights: list[float | None], canary: list[float | None],
                         stable: list[float | None]) -> list[float | None]:
    """Without a router the operator judges with the canary's exact share of the ready pods
    (``observe._measured_weight``); its weight gauge rounds that to a whole percent, which for one
    canary pod beside 21 (4.5%, read 5%) would put a tenth of a rate per side on the canary's account."""
    return [round(pod_share(c, s), 6) if w and c and s is not None else w
            for w, c, s in zip(weights, canary, stable, strict=True)]


def _revisions(release: GrayRelease, metrics: list[Metric], window: Window) -> tuple[str | None, str | None]:
    """The two sides' revisions the queries name. A promoted release's status names the canary as
    stable and the old stable nowhere: a query that names revisions then needs them given."""
    status = release.status
    stable = window.stable_revision or status.stable_revision
    canary = window.canary_revision or status.aborted_revision or status.canary_revision
    uses = any(templating.names(q) & set(_REVISION_VARIABLES) for m in metrics
               for q in (m.query, m.compare.requests_query if m.compare else None) if q)
    if uses and window.stable_revision is None and status.phase is Phase.SUCCEEDED and stable == canary:
        raise ValueError(
            f"the release promoted {canary}: its status no longer names the stable revision it was compared "
            "against, which the queries use; give --stable-revision (and --canary-revision if not the promoted one)"
        )
    return stable, canary


def _status_tail(release: GrayRelease, metrics: list[Metric], length: int,
                 pick: Callable[[CompareHistory], list[Any]]) -> list[Any] | None:
    """What the status recorded per interval (``pick`` of a compare history: its weights, or one
    side's ready pods) for its last intervals, lined up with the end of the window."""
    for metric in metrics:
        record = release.status.analysis.get(metric.name)
        if record is not None and record.history is not None:
            kept = pick(record.history)[-length:]
            if recorded.known(kept):
                return [None] * (length - len(kept)) + kept
    return None
