"""``grayrelease replay``: run the canary judge offline over recorded releases and score it.

Scenarios (format ``grayrelease.scenario/v1``) come from a file, a folder of ``*.json``, a
GrayRelease's own status (``--from-release``: the compare histories the operator judged), or a
finished release's time window in Prometheus (``--from-prometheus``: one range query per side
and metric), so a team can backtest the judge, or a change of its settings, on its own history.
The judge runs online exactly as the operator runs it: at interval i it sees intervals 0..i.

    grayrelease replay scenarios/ --json
    grayrelease replay scenarios/ --explain        # and why each release ended as it did
    kubectl get grayrelease checkout -o yaml | grayrelease replay --from-release - --confidence 0.995
    kubectl get grayrelease checkout -o yaml | grayrelease replay --from-release - --from-prometheus http://prometheus:9090
    grayrelease replay --from-prometheus http://prometheus:9090 --start 2025-05-01T10:00:00Z \\
        --end 2025-05-01T10:20:00Z --interval 30s \\
        --metric errors=error-ratio \\
        --stable 'errors=sum(rate(http_requests_total{rev="a",code=~"5.."}[1m])) / sum(rate(http_requests_total{rev="a"}[1m]))' \\
        --canary 'errors=sum(rate(http_requests_total{rev="b",code=~"5.."}[1m])) / sum(rate(http_requests_total{rev="b"}[1m]))' \\
        --save release.json
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import yaml

from grayrelease.analysis import backtest
from grayrelease.analysis.scenario import FORMAT, Scenario, dump_scenario, load_scenarios_tolerant
from grayrelease.api.compare import MetricKind, query_window
from grayrelease.cli import replay_release

_KINDS: tuple[str, ...] = get_args(MetricKind)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Judge recorded or generated release scenarios offline, as the operator would have."
    parser.add_argument("path", nargs="?", type=Path, help="a scenario file or a folder of *.json scenarios")
    parser.add_argument("--json", action="store_true", help="print one JSON object: per-scenario verdicts and a summary")
    replay_release.add_judge_flags(parser)
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="replay on N processes (default: every core, up to 8; 1 for none); the answers do not depend on it")
    parser.add_argument("--explain", action="store_true",
                        help="say why each release ended as it did: the deciding metrics and the judge's reasons")
    parser.add_argument(
        "--query-window", metavar="DURATION",
        help="the range (e.g. 5m) the queries' rates span, for request metrics whose scenario records none "
             "(or, with --from-prometheus, whose queries show none: a recording rule); default: read off the data",
    )
    parser.add_argument(
        "--from-release", metavar="FILE",
        help="judge the compare histories a GrayRelease's status holds (kubectl get grayrelease NAME -o yaml; "
             "a List of them; - for stdin), with its own compare settings unless overridden; with --from-prometheus, "
             "run its compare queries over its whole analysis window instead",
    )
    parser.add_argument("--save", type=Path, metavar="PATH",
                        help="also write the scenarios built with --from-release or --from-prometheus: "
                             "to the file PATH if there is one, else into the folder PATH")
    replay_release.add_truth_flags(parser, "with --from-release or --from-prometheus")
    prom = parser.add_argument_group("from Prometheus (a finished release's window)")
    prom.add_argument("--from-prometheus", metavar="URL", help="build the scenario from range queries against this Prometheus")
    prom.add_argument("--start", help="window start: RFC 3339 time or Unix seconds (with --from-release: default its analysis start)")
    prom.add_argument("--end", help="window end: RFC 3339 time or Unix seconds (with --from-release: default its last measurement)")
    prom.add_argument("--stable-revision", help="with --from-release: the stable revision its queries compared against "
                                                "(a promoted release's status no longer names it)")
    prom.add_argument("--canary-revision", help="with --from-release: the canary revision (default: the status's)")
    prom.add_argument("--interval", default="30s", help="analysis interval, the range-query step (default 30s)")
    prom.add_argument("--metric", action="append", default=[], metavar="NAME=KIND", help=f"a metric to compare; KIND: {', '.join(_KINDS)}")
    prom.add_argument("--stable", action="append", default=[], metavar="NAME=QUERY", help="PromQL of the metric on the stable side")
    prom.add_argument("--canary", action="append", default=[], metavar="NAME=QUERY", help="PromQL of the metric on the canary side")
    prom.add_argument("--stable-requests", action="append", default=[], metavar="NAME=QUERY", help="requests per interval behind a stable error ratio")
    prom.add_argument("--canary-requests", action="append", default=[], metavar="NAME=QUERY", help="requests per interval behind a canary error ratio")
    prom.add_argument("--canary-weight", type=float, metavar="PERCENT",
                      help="the canary's share of the traffic: lets error ratios without request counts use the count test, and reads request rates summed per side by share")
    prom.add_argument("--name", help="scenario name (default: prometheus-<start>)")


def run(args: argparse.Namespace) -> int:
    """Judge the scenarios and print the report. A folder's unreadable or invalid files are named on
    stderr and left out, the rest judged; the exit code is then 1, as ``kubectl apply -f DIR`` does."""
    skipped: list[str] = []
    try:
        overrides = replay_release.judge_overrides(args)
        if args.query_window and not parse_duration(args.query_window) > 0:
            raise ValueError(f"--query-window must be positive: {args.query_window}")
        if (args.path is not None) + bool(args.from_prometheus or args.from_release) != 1:
            print("grayrelease replay: give a scenario PATH, --from-release FILE or --from-prometheus URL",
                  file=sys.stderr)
            return 2
        _refuse_ignored(args)
        releases: list[str] = []  # the releases the scenarios were built from (none for scenario files)
        if args.from_release:
            series = prometheus_series(args.from_prometheus) if args.from_prometheus else None
            by_release, skipped = replay_release.scenarios(args.from_release, series, release_window(args))
            releases = list(by_release)
            scenarios = [s for found in by_release.values() for s in found]
            if args.canary_weight is not None:
                scenarios = [s.model_copy(update={"canary_weight": args.canary_weight}) for s in scenarios]
        elif args.from_prometheus:
            scenarios = [scenario_from_prometheus(args)]
            releases = [scenarios[0].name]
        else:
            scenarios, skipped = load_scenarios_tolerant(args.path)
        if args.truth:
            scenarios = _labelled(scenarios, releases, args)
        if args.save and args.path is None:
            save(scenarios, args.save)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"grayrelease replay: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    for error in skipped:
        print(f"grayrelease replay: skipped {error}", file=sys.stderr)
    if not scenarios:
        return 2
    for scenario in scenarios:
        if args.per != "pod" and _rates_without_split(scenario):
            fate = ("cannot be read by share: no measurement" if args.per == "side"
                    else "compared as if the canary served as much as stable")
            print(f"grayrelease replay: {scenario.name}: no canary_weight and no request counts; its throughput is"
                  f" {fate} (give the weight, e.g. --canary-weight)", file=sys.stderr)
    if args.query_window:
        window = parse_duration(args.query_window)
        scenarios = [with_query_window(s, window) for s in scenarios]

    report(scenarios, overrides, explain=args.explain, as_json=args.json, jobs=args.jobs)
    return 1 if skipped else 0


def _refuse_ignored(args: argparse.Namespace) -> None:
    """A flag the chosen source would not use is an error, not silently nothing."""
    ignored = []
    if args.save and args.path is not None:
        ignored.append("--save (scenario files are saved already)")
    if not args.from_prometheus:
        ignored += [flag for flag, value in (("--start", args.start), ("--end", args.end)) if value]
    if not args.from_release:
        ignored += [flag for flag, value in (("--stable-revision", args.stable_revision),
                                             ("--canary-revision", args.canary_revision)) if value]
    if args.from_release or not args.from_prometheus:
        ignored += [flag for flag, value in (("--metric", args.metric), ("--stable", args.stable), ("--canary", args.canary),
                                             ("--stable-requests", args.stable_requests),
                                             ("--canary-requests", args.canary_requests), ("--name", args.name)) if value]
    if args.path is not None and args.truth:
        ignored.append("--truth (a scenario file holds its own)")
    if ignored:
        raise ValueError(f"not used with this source: {', '.join(ignored)}")
    replay_release.check_truth_flags(args)


def release_window(args: argparse.Namespace) -> replay_release.Window:
    """What ``--start``, ``--end`` and the revision flags say about a release's window and sides."""
    return replay_release.Window(
        start=parse_time(args.start) if args.start else None, end=parse_time(args.end) if args.end else None,
        stable_revision=args.stable_revision, canary_revision=args.canary_revision)


def _labelled(scenarios: list[Scenario], releases: list[str], args: argparse.Namespace) -> list[Scenario]:
    """The scenarios with ``--truth``: those of one release only (all of its scenarios, one per
    interval or group of metrics; a List of several is labelled one release at a time)."""
    if len(releases) > 1:
        raise ValueError(f"--truth labels one release, and these are {len(releases)}: {', '.join(releases)}; "
                         "replay and label them one at a time")
    return labelled(scenarios, args)


def labelled(scenarios: list[Scenario], args: argparse.Namespace) -> list[Scenario]:
    """The scenarios of one release with ``--truth``, ``--onset`` and ``--truth-note`` on them."""
    onset = parse_time(args.onset) if args.onset else None
    return [s.labelled(args.truth == "bad", onset, args.truth_note) for s in scenarios]


def report(scenarios: list[Scenario], overrides: dict[str, Any], *, explain: bool = False, as_json: bool = False,
           jobs: int | None = None) -> None:
    """Judge ``scenarios`` online with ``overrides`` on every metric's settings, and print the
    verdicts (with why, if ``explain``) and the summary: a table, or one JSON object."""
    rule = backtest.judge_rule(overrides) if overrides else backtest.default_rule
    outcomes = backtest.replay_all(scenarios, rule, jobs=jobs)
    summary = backtest.score(scenarios, outcomes)
    rows: list[dict[str, Any]] = [{"name": o.name, "verdict": o.verdict, "decided_index": o.decided_index} for o in outcomes]
    if explain:
        for row, scenario, outcome in zip(rows, scenarios, outcomes):
            row["reason"] = backtest.explain(scenario, outcome, overrides)
    printed = {"scenarios": rows, "summary": summary.as_dict()}
    if as_json:
        print(json.dumps(printed, indent=2))
    else:
        _print_table(printed)


def save(scenarios: list[Scenario], path: Path) -> None:
    """The scenarios to the file ``path`` if it is named ``*.json`` (one scenario), else into the
    folder ``path``, one file each."""
    if path.suffix == ".json" and not path.is_dir():
        if len(scenarios) != 1:
            raise ValueError(f"--save {path}: {len(scenarios)} scenarios do not fit one file; give a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_scenario(scenarios[0]) + "\n", encoding="utf-8")
        return
    path.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        file = re.sub(r"[^A-Za-z0-9._-]+", "_", scenario.name.replace("/", ".")) + ".json"
        (path / file).write_text(dump_scenario(scenario) + "\n", encoding="utf-8")


def _rates_without_split(scenario: Scenario) -> bool:
    """A throughput metric, not said to be per pod, in a scenario whose traffic split neither its
    weights nor any request counts tell."""
    return (
        scenario.canary_weight is None
        and not any(w is not None for w in scenario.canary_weights or [])
        and any(m.kind == "throughput" and (m.compare is None or m.compare.per != "pod") for m in scenario.metrics)
        and backtest.weight_from_requests(scenario, scenario.intervals) is None
    )


def _print_table(report: dict[str, Any]) -> None:
    width = max([len(s["name"]) for s in report["scenarios"]] + [8])
    explained = any("reason" in s for s in report["scenarios"])
    print(f"{'scenario':<{width}}  {'verdict':<8}  {'interval':>8}" + ("  why" if explained else ""))
    for s in report["scenarios"]:
        why = f"  {s['reason']}" if explained else ""
        print(f"{s['name']:<{width}}  {s['verdict']:<8}  {s['decided_index']!s:>8}{why}")
    summary = report["summary"]
    if summary["precision"] is not None or summary["recall"] is not None:
        print()
        print(", ".join(f"{k}={_fmt(v)}" for k, v in summary.items()))


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus-style duration such as ``30s``, ``1m`` or ``500ms``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 30s, 1m)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_time(text: str) -> datetime:
    """An RFC 3339 time or Unix seconds, as an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _named(pairs: list[str], flag: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"{flag} expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def scenario_from_prometheus(args: argparse.Namespace, client: Any = None) -> Scenario:
    """Build a scenario from range queries, one value per interval and side (None where Prometheus had none)."""
    if not args.start or not args.end:
        raise ValueError("--from-prometheus needs --start and --end")
    start, end = parse_time(args.start), parse_time(args.end)
    step = parse_duration(args.interval)
    if end <= start:
        raise ValueError("--end must be after --start")
    kinds = _named(args.metric, "--metric")
    if not kinds:
        raise ValueError("--from-prometheus needs at least one --metric NAME=KIND")
    for name, kind in kinds.items():
        if kind not in _KINDS:
            raise ValueError(f"--metric {name}: unknown kind {kind!r} (one of {', '.join(_KINDS)})")
    stable_q, canary_q = _named(args.stable, "--stable"), _named(args.canary, "--canary")
    stable_n_q, canary_n_q = _named(args.stable_requests, "--stable-requests"), _named(args.canary_requests, "--canary-requests")
    client = client or _client(args.from_prometheus)
    length = int(math.floor((end - start).total_seconds() / step + 1e-9)) + 1

    def series(query: str) -> list[float | None]:
        return _range_series(client, query, start, end, step, length)

    metrics = []
    for name, kind in kinds.items():
        if name not in stable_q or name not in canary_q:
            raise ValueError(f"metric {name}: needs both --stable {name}=QUERY and --canary {name}=QUERY")
        metric: dict[str, Any] = {"name": name, "kind": kind, "stable": series(stable_q[name]), "canary": series(canary_q[name])}
        queries = [stable_q[name], canary_q[name]]
        if name in stable_n_q and name in canary_n_q:
            metric["stable_requests"] = series(stable_n_q[name])
            metric["canary_requests"] = series(canary_n_q[name])
            queries += [stable_n_q[name], canary_n_q[name]]
        # Values over a window longer than the step share data: the judge must know, as the operator
        # does. A window no query shows is left to the judge to read off the data: an instant gauge's
        # (Prometheus repeats a sample until the next scrape), and a recording rule's unless
        # --query-window gives it.
        window = query_window(queries, kind)
        if window:
            metric["query_window_seconds"] = window.total_seconds()
        elif window is None and args.query_window:
            metric["query_window_seconds"] = parse_duration(args.query_window)
        metrics.append(metric)
    return Scenario.model_validate(
        {
            "format": FORMAT,
            "name": args.name or f"prometheus-{start.strftime('%Y%m%dT%H%M%SZ')}",
            "interval_seconds": step,
            "canary_weight": args.canary_weight,
            "start_time": start,
            "metrics": metrics,
        }
    )


def with_query_window(scenario: Scenario, seconds: float) -> Scenario:
    """The scenario with ``seconds`` as the query window of every request metric that records none.

    Gauges (memory read at an instant) are left alone; a window a metric records is kept."""
    metrics = [
        m.model_copy(update={"query_window_seconds": seconds})
        if m.query_window_seconds is None and m.kind != "gauge" else m
        for m in scenario.metrics
    ]
    return scenario.model_copy(update={"metrics": metrics})


def _client(url: str) -> Any:
    from prometheus_api_client import PrometheusConnect  # noqa: PLC0415 - only replays from Prometheus need it

    return PrometheusConnect(url=url, disable_ssl=True)


def prometheus_series(url: str) -> replay_release.RangeSeries:
    """Range queries against the Prometheus at ``url``, one value per grid point."""
    client = _client(url)
    return lambda query, start, end, step, length: _range_series(client, query, start, end, step, length)


def _range_series(client: Any, query: str, start: datetime, end: datetime, step: float, length: int) -> list[float | None]:
    """One value per grid point start + k*step; the query must return a single series."""
    try:
        result = client.custom_query_range(query=query, start_time=start, end_time=end, step=f"{step:g}s")
    except Exception as error:  # noqa: BLE001 - the client raises its own types; say which query failed
        raise ValueError(f"range query failed: {query}: {type(error).__name__}: {str(error)[:300]}") from error
    if len(result) > 1:
        labels = [r.get("metric", {}) for r in result[:3]]
        raise ValueError(f"query returns {len(result)} series, aggregate it to one (e.g. sum(...)): {query} -> {labels}")
    values: list[float | None] = [None] * length
    for timestamp, text in result[0]["values"] if result else []:
        index = round((float(timestamp) - start.timestamp()) / step)
        if 0 <= index < length:
            value = float(text)
            values[index] = None if math.isnan(value) or math.isinf(value) else value
    return values
