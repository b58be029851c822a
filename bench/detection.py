"""Detection-quality benchmark: the statistical judge against a plain threshold rule.

Generates the seeded corpus (``bench.generator``), replays every scenario online with both
rules exactly as ``grayrelease replay`` does, prints precision, recall, F1, false alarms,
pauses and time-to-detect percentiles, and writes ``out/bench/detection.png`` (time-to-detect
distribution; recall against regression size).

Seven corpora are scored. The main one comes from ``bench.generator``, whose oracle
(``bench.oracle``) also marks the bad releases that no judge could tell from good ones, so recall
is printed on all bad releases and on the visible ones. The held-out one comes from
``bench.heldout``, a generator written separately from the judge with its own model of traffic
(Prometheus histogram quantiles, per-side and per-pod throughput, success ratios, warm-up):
figures on it say how the defaults fare on releases they were not designed around. The windowed
one comes from ``bench.windowed``, written separately from the judge and from both generators:
it simulates pods and evaluates every metric over overlapping rate windows (a fresh canary's
series filling the window, JVM warm-up, GC pauses on a few canary pods), and records each query's
window in the scenarios (``query_window_seconds``) as the operator knows it from the query; it is
scored once more with the windows left out. ``bench.rangequeries`` and ``bench.production`` were
written by authors who never read the judge, from the scenario format and the list of release
kinds alone (histogram quantiles over rate windows, cold starts, routing bias; autocorrelated
noise, persistent offsets, error batches and pod hiccups, percent success rates). Their
scenarios do not record query windows, so the judge reads them off the data as ``grayrelease
replay`` does; each is scored once more with the windows their generator used recorded.
``bench.fleet`` (a platform team's fleet of services, each with the metrics its team set up) and
``bench.mesh`` (service-mesh telemetry, Istio and Linkerd) came later, by two more such authors;
both simulate requests, scrapes and counters and evaluate each query as Prometheus does; each is
scored as exported, without query windows, and once more with the windows the operator reads
off the queries (fleet: not for a recording rule named without its range). On
every corpus but the main one, the judge's recall is also printed on the bad releases whose
recorded error counts show their regression (``bench.oracle.counts_visible``) and on the others.
Every corpus also counts its good releases whose canary is worse than stable beyond the default
tolerance in most intervals (``bench.oracle.persistently_worse``), and how many of the judge's
false alarms they are: in its data, such a release is a small regression. Last, what one look of
the judge costs the operator per compare metric (``judge_cost``).

    python -m bench.detection [--count 600] [--seed N] [--noise 1.0] [--heldout-seed N] [--windowed-seed N]
                              [--rangequeries-seed N] [--production-seed N] [--fleet-seed N] [--mesh-seed N]
                              [--corpus DIR]

With ``--corpus DIR`` the scenarios are read from a folder instead (truth required for scores;
the per-family breakdown then comes from the scenario names) and no other corpus is added. Replays run
on every core.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import fleet, generator, heldout, mesh, oracle, production, rangequeries, windowed
from grayrelease.analysis import backtest, judge
from grayrelease.analysis.scenario import Scenario, load_scenarios
from grayrelease.analysis.threshold import Limit, ThresholdRule
from grayrelease.engine.querywindows import LONG_WINDOW_INTERVALS

OUT = Path("out/bench")


def threshold_rule_for(scenario: Scenario) -> ThresholdRule:
    """The threshold rule a team would write after looking at its dashboards.

    Error ratio: ``result < 0.01`` (or twice the normal level, for services whose normal error
    ratio is already near 1%); latency and gauges: 1.5x the normal level. The normal level is the
    stable side's median over the release, which is generous: a real team has to guess it.
    """
    limits = {}
    for metric in scenario.metrics:
        normal = float(np.median([v for v in metric.stable if v is not None] or [0.0]))
        better = metric.better or ("higher" if metric.kind == "throughput" else "lower")
        if metric.kind == "error-ratio":
            limits[metric.name] = Limit(max(0.01, 2 * normal), "lower")
        elif better == "lower":
            limits[metric.name] = Limit(1.5 * normal, "lower")
        else:
            limits[metric.name] = Limit(normal / 1.5, "higher")
    return ThresholdRule(limits=limits, failure_limit=1)


_NOT_A_STEP = re.compile(r"leak|intermittent|crash|creeps|grow|ramp|serves only|endpoint|bursts")
_ERROR_MULTIPLIERS = (re.compile(r"error (?:ratio|rate) x([\d.]+)"), re.compile(r"errors x([\d.]+)"),
                      re.compile(r"absolute \(x([\d.]+)\)"))
_ERROR_ADDED = re.compile(r"error ratio \+([\d.]+) from interval \d+ \(base ([\d.]+)\)")
_LATENCY_STEPS = (re.compile(r"(?:p\d+|latency) \+([\d.]+)%"), re.compile(r"\+([\d.]+)% at full effect"))


def large_steps(scenarios: Sequence[Scenario]) -> set[str]:
    """Bad releases whose regression is a step of at least 2x the error ratio or +30% latency, read
    from the regression's description that the extra corpora's generators write first in the truth
    note ("error ratio x5.0 from interval 8", "p99 +39% ..."): the releases the time-to-detect
    target is about. Leaks, ramps, intermittent failures and crash loops are no steps."""
    large = set()
    for s in scenarios:
        if s.truth is None or not s.truth.bad or not s.truth.note:
            continue
        what = re.split(r"; |\. \[", s.truth.note)[0]
        if _NOT_A_STEP.search(what):
            continue
        errors = [float(m) for pattern in _ERROR_MULTIPLIERS for m in pattern.findall(what)]
        errors += [(float(base) + float(add)) / float(base) for add, base in _ERROR_ADDED.findall(what) if float(base) > 0]
        latency = [float(m) for pattern in _LATENCY_STEPS for m in pattern.findall(what)]
        if any(e >= 2.0 for e in errors) or any(lat >= 30.0 for lat in latency):
            large.add(s.name)
    return large


def _family(name: str) -> str:
    return name.rsplit("-", 1)[0] if name[-1:].isdigit() else name


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def _intervals(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return float(np.percentile(values, 50)), float(np.percentile(values, 90))


def _row(label: str, scenarios: Sequence[Scenario], outcomes: Sequence[backtest.Outcome], large: set[str]) -> str:
    summary = backtest.score(scenarios, outcomes)
    detect_intervals = []
    large_intervals = []
    for s, o in zip(scenarios, outcomes):
        seconds = backtest.detect_seconds(s, o)
        if seconds is None:
            continue
        detect_intervals.append(seconds / s.interval_seconds)
        if s.name in large:
            large_intervals.append(seconds / s.interval_seconds)
    p50, p90 = _intervals(detect_intervals)
    l50, l90 = _intervals(large_intervals)
    return (
        f"{label:<22} {len(scenarios):>5} {_fmt(summary.precision):>9} {_fmt(summary.recall):>7} {_fmt(summary.f1):>6}"
        f" {summary.false_alarms:>6} {summary.paused:>6}"
        f" {_fmt(summary.median_detect_seconds, '{:.0f}'):>8} {_fmt(summary.p90_detect_seconds, '{:.0f}'):>8}"
        f" {_fmt(p50, '{:.1f}'):>6} {_fmt(p90, '{:.1f}'):>6} {_fmt(l50, '{:.1f}'):>8} {_fmt(l90, '{:.1f}'):>8}"
    )


HEADER = (
    f"{'rule':<22} {'n':>5} {'precision':>9} {'recall':>7} {'F1':>6} {'false':>6} {'paused':>6}"
    f" {'p50 s':>8} {'p90 s':>8} {'p50 iv':>6} {'p90 iv':>6} {'large p50':>8} {'large p90':>8}"
)


def _family_table(scenarios: Sequence[Scenario], results: dict[str, list[backtest.Outcome]]) -> list[str]:
    lines = [f"{'family':<20} {'n':>4} " + " ".join(f"{name + ' rb/pause':>22}" for name in results)]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(scenarios):
        groups[_family(s.name)].append(i)
    for family in sorted(groups):
        idx = groups[family]
        cells = []
        for outcomes in results.values():
            rollbacks = sum(outcomes[i].verdict == "rollback" for i in idx)
            pauses = sum(outcomes[i].verdict == "pause" for i in idx)
            cells.append(f"{rollbacks:>4}/{len(idx):<4} {pauses:>3} paused".rjust(22))
        lines.append(f"{family:<20} {len(idx):>4} " + " ".join(cells))
    return lines


def _plot(
    path: Path,
    scenarios: Sequence[Scenario],
    meta: dict[str, generator.Generated],
    results: dict[str, list[backtest.Outcome]],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    bins = np.arange(-0.5, 21.5, 1.0)
    for label, outcomes in results.items():
        detect = [
            backtest.detect_seconds(s, o) / s.interval_seconds
            for s, o in zip(scenarios, outcomes)
            if backtest.detect_seconds(s, o) is not None
        ]
        summary = backtest.score(scenarios, outcomes)
        axes[0].hist(
            np.clip(detect, 0, 20),
            bins=bins,
            alpha=0.55,
            label=f"{label} (precision {_fmt(summary.precision, '{:.3f}')}, recall {_fmt(summary.recall, '{:.3f}')})",
        )
    axes[0].set_xlabel("time to detect (intervals after onset; 20 = 20 or more)")
    axes[0].set_ylabel("detected bad releases")
    axes[0].set_title("Time to detect")
    axes[0].legend(fontsize=8)

    panels = (
        (axes[1], "bad-error-step", "error ratio multiplier (canary / stable)", [1.5, 2, 3, 5, 10, 20.01], True),
        (axes[2], "bad-latency", "latency regression (fraction)", [0.1, 0.2, 0.3, 0.5, 0.75, 1.0001], False),
    )
    for axis, family, xlabel, edges, log in panels:
        items = [(i, meta[s.name].size) for i, s in enumerate(scenarios) if s.name in meta and meta[s.name].family == family]
        if not items:
            axis.set_axis_off()
            continue
        centres = [(a * b) ** 0.5 if log else (a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
        for label, outcomes in results.items():
            recall = []
            for lo, hi in zip(edges[:-1], edges[1:]):
                chosen = [i for i, size in items if size is not None and lo <= size < hi]
                recall.append(np.mean([outcomes[i].verdict == "rollback" for i in chosen]) if chosen else np.nan)
            axis.plot(centres, recall, marker="o", label=f"{label} recall")
            precision = backtest.score(scenarios, outcomes).precision
            if precision is not None:
                axis.axhline(precision, linestyle=":", linewidth=1, color=axis.lines[-1].get_color(), label=f"{label} precision (all)")
        if log:
            axis.set_xscale("log")
        axis.set_ylim(0, 1.05)
        axis.set_xlabel(xlabel)
        axis.set_title(f"Recall against regression size ({family})")
        axis.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _print_corpus(title: str, scenarios: Sequence[Scenario], results: dict[str, list[backtest.Outcome]], large: set[str],
                  weights: Sequence[float | None] | None = None) -> None:
    """The rules' rows on ``scenarios``, and on those of a 5% canary (by ``weights`` where the
    scenarios record another weight, as a comparison against a baseline does)."""
    weights = weights if weights is not None else [s.canary_weight for s in scenarios]
    five = [i for i, w in enumerate(weights) if w == 5]
    print(title)
    print("time to detect: seconds (s) and intervals (iv) after onset; large = steps of >= 2x error ratio or >= +30% latency")
    print(HEADER)
    for label, outcomes in results.items():
        print(_row(label, scenarios, outcomes, large))
    for label, outcomes in results.items():
        print(_row(f"{label} @5% canary", [scenarios[i] for i in five], [outcomes[i] for i in five], large))
    print(_early_line(scenarios, results, five))


def _early_line(scenarios: Sequence[Scenario], results: dict[str, list[backtest.Outcome]], five: list[int]) -> str:
    """Bad releases each rule rolled back before their regression began: detections in the rows
    above, as ``grayrelease replay`` scores them, though what they caught was noise."""
    def early(picked: Sequence[int], outcomes: list[backtest.Outcome]) -> int:
        return sum(1 for i in picked if (truth := scenarios[i].truth) is not None and truth.bad and outcomes[i].verdict == "rollback"
                   and outcomes[i].decided_index is not None and outcomes[i].decided_index < (truth.onset_index or 0))
    every = range(len(scenarios))
    cells = [f"{label} {early(every, outcomes)} ({early(five, outcomes)} at 5%)" for label, outcomes in results.items()]
    return "bad releases rolled back before their regression began (detections above): " + ", ".join(cells)


def _judge_one(scenario: Scenario) -> backtest.Outcome:
    return backtest.replay(scenario)


def _threshold_one(scenario: Scenario) -> backtest.Outcome:
    return backtest.replay(scenario, threshold_rule_for(scenario))


def _replay(scenarios: Sequence[Scenario]) -> dict[str, list[backtest.Outcome]]:
    return {
        "judge": backtest.map_releases(_judge_one, scenarios),
        "threshold": backtest.map_releases(_threshold_one, scenarios),
    }


def _count_visibility(corpus: list[dict[str, Any]]) -> dict[str, bool | None]:
    """``oracle.counts_visible`` of every release, by name: scenarios that record their query windows."""
    return {d["name"]: oracle.counts_visible(Scenario.model_validate(d)) for d in corpus}


def _counts_recall(scenarios: Sequence[Scenario], outcomes: Sequence[backtest.Outcome], visibility: dict[str, bool | None]) -> str:
    """Recall on the bad releases whose error counts show the regression, and on those whose counts do not."""
    cells = []
    for label, wanted in (("the regression visible", True), ("the others (a regression of another metric, or errors the counts do not show)", False)):
        picked = [o for s, o in zip(scenarios, outcomes) if visibility.get(s.name) is wanted]
        caught = sum(o.verdict == "rollback" for o in picked)
        promoted = sum(o.verdict == "promote" for o in picked)
        cells.append(f"{label}: {len(picked)}, judge recall {_fmt(caught / (caught + promoted) if caught + promoted else None)}"
                     f" ({len(picked) - caught - promoted} paused)")
    sized = sum(v is not None for v in visibility.values())
    return (f"error regressions in the request counts (bench.oracle.counts_visible, one look since the onset):"
            f" {sized} bad releases with error counts; " + "; ".join(cells))


def _worse_line(scenarios: Sequence[Scenario], outcomes: Sequence[backtest.Outcome], other: str = "stable") -> str:
    """How many good releases look like small regressions in their data, and how many of the judge's false alarms they are."""
    worse = {s.name for s in scenarios if oracle.persistently_worse(s)}
    alarms = [o for s, o in zip(scenarios, outcomes) if s.truth is not None and not s.truth.bad and o.verdict == "rollback"]
    among = sum(o.name in worse for o in alarms)
    good = sum(s.truth is not None and not s.truth.bad for s in scenarios)
    return (f"good releases whose canary is worse than {other} beyond the default tolerance in most intervals"
            f" (bench.oracle.persistently_worse): {len(worse)} of {good}; {among} of the judge's {len(alarms)} false alarms")


def _oracle_delay_line(scenarios: Sequence[Scenario], outcomes: Sequence[backtest.Outcome], large: set[str]) -> str:
    """The judge's time to detect large error steps beside the earliest their recorded counts show them.

    The bound is ``oracle.counts_visible_after``: a look that knows the onset and spends nothing
    on earlier looks or other starts. What the judge takes beyond it is the price of not knowing
    either; what the bound itself takes is the data's (a canary's handful of errors)."""
    bound, behind, judged = [], [], []
    paused = promoted = 0
    for s, o in zip(scenarios, outcomes):
        if s.name not in large or (first := oracle.counts_visible_after(s)) is None:
            continue
        bound.append(first)
        seconds = backtest.detect_seconds(s, o)
        if seconds is None:
            paused += o.verdict == "pause"
            promoted += o.verdict == "promote"
            continue
        judged.append(seconds / s.interval_seconds)
        behind.append(judged[-1] - first)
    if not bound:
        return "large error steps whose recorded counts show them (bench.oracle.counts_visible_after): none"
    b50, b90 = _intervals(bound)
    j50, j90 = _intervals(judged)
    g50, _ = _intervals(behind)
    return (f"large error steps whose recorded counts show them (bench.oracle.counts_visible_after): {len(bound)};"
            f" one look that knows the onset sees them after p50 {_fmt(b50, '{:.1f}')} / p90 {_fmt(b90, '{:.1f}')} intervals;"
            f" the judge rolls back {len(judged)} after p50 {_fmt(j50, '{:.1f}')} / p90 {_fmt(j90, '{:.1f}')},"
            f" {_fmt(g50, '{:.1f}')} behind that look at the median; {paused} paused, {promoted} promoted")


def _print_extra_corpus(source: str, corpus: list[dict[str, Any]], visibility: dict[str, bool | None] | None = None) -> None:
    """Score a corpus its generator keeps no oracle for: the rules' table, the count oracle's line, the per-family table."""
    scenarios = [Scenario.model_validate(d) for d in corpus]
    results = _replay(scenarios)
    bad = sum(bool(s.truth and s.truth.bad) for s in scenarios)
    print()
    _print_corpus(f"{source}; {bad} bad", scenarios, results, large_steps(scenarios))
    print(_counts_recall(scenarios, results["judge"], visibility if visibility is not None else _count_visibility(corpus)))
    print(_oracle_delay_line(scenarios, results["judge"], large_steps(scenarios)))
    print(_worse_line(scenarios, results["judge"]))
    print()
    for line in _family_table(scenarios, results):
        print(line)


def _print_windows_unknown(corpus: list[dict[str, Any]], visibility: dict[str, bool | None]) -> None:
    """The judge on the same windowed releases without their query windows, as in a scenario that lost them.

    The operator always knows the window (it reads the query); an export without it makes the
    judge take overlapping values for independent ones and judge a fresh canary before its
    window fills."""
    _print_judge_variant("the same windowed releases with their query windows left out of the scenarios:",
                         _without_windows(corpus), visibility)


RECORDED_BY_THE_OPERATOR = ("canary_weights", "canary_pods", "stable_pods")
"""What the operator records beside each measurement and an export from Prometheus lacks."""


def _without_windows(corpus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenarios with their query windows (and the pods and weights the operator records) left
    out, as an export that lost them."""
    return [{**{k: v for k, v in d.items() if k not in RECORDED_BY_THE_OPERATOR},
             "metrics": [{k: v for k, v in m.items() if k != "query_window_seconds"} for m in d["metrics"]]}
            for d in corpus]


def _print_against_baseline(title: str, plain: Sequence[Scenario], corpus: list[dict[str, Any]]) -> None:
    """The judge on the same releases judged against a baseline: each canary's values are those
    of ``plain``, whose weights pick the 5% canaries and whose regressions the large ones."""
    scenarios = [Scenario.model_validate(d) for d in corpus]
    outcomes = backtest.map_releases(_judge_one, scenarios)
    print()
    _print_corpus(title, scenarios, {"judge": outcomes}, large_steps(plain), [s.canary_weight for s in plain])
    print(_worse_line(scenarios, outcomes, "the baseline"))


def _print_judge_variant(title: str, corpus: list[dict[str, Any]], visibility: dict[str, bool | None]) -> None:
    """The judge alone on a variant of a corpus already scored (its windows recorded or left out), with the count oracle's line."""
    scenarios = [Scenario.model_validate(d) for d in corpus]
    outcomes = backtest.map_releases(_judge_one, scenarios)
    print()
    _print_corpus(title, scenarios, {"judge": outcomes}, large_steps(scenarios))
    print(_counts_recall(scenarios, outcomes, visibility))
    print(_oracle_delay_line(scenarios, outcomes, large_steps(scenarios)))
    print(_worse_line(scenarios, outcomes))
    if (line := _long_window_line(scenarios, outcomes)) is not None:
        print(line)


def _long_window_line(scenarios: Sequence[Scenario], outcomes: Sequence[backtest.Outcome]) -> str | None:
    """The judge on releases whose recorded windows span ``LONG_WINDOW_INTERVALS`` intervals or more
    (those the operator starts with a LongQueryWindow warning), on those with shorter ones, and on
    those that record none (a recording rule named without its range); None where no release records one."""
    def span(scenario: Scenario) -> float | None:
        windows = [m.query_window_seconds for m in scenario.metrics if m.query_window_seconds is not None]
        return max(windows) / scenario.interval_seconds if windows else None

    spans = [span(s) for s in scenarios]
    if all(v is None for v in spans):
        return None
    cells = []
    for label, keep in (("five or more", lambda v: v is not None and v >= LONG_WINDOW_INTERVALS),
                        ("shorter", lambda v: v is not None and v < LONG_WINDOW_INTERVALS),
                        ("not recorded", lambda v: v is None)):
        picked = [i for i, v in enumerate(spans) if keep(v)]
        if not picked:
            continue
        summary = backtest.score([scenarios[i] for i in picked], [outcomes[i] for i in picked])
        bad_paused = sum(1 for i in picked if (t := scenarios[i].truth) is not None and t.bad and outcomes[i].verdict == "pause")
        cells.append(f"{label} {len(picked)} releases: precision {_fmt(summary.precision)}, recall {_fmt(summary.recall)},"
                     f" {summary.false_alarms} false alarms, {bad_paused} bad paused")
    return f"the judge by query window ({LONG_WINDOW_INTERVALS} intervals or more: LongQueryWindow): " + "; ".join(cells)


COST_RELEASES = 300
"""Releases whose last look ``judge_cost`` times: enough for a p99, a couple of seconds on one core."""


def judge_cost(scenarios: Sequence[Scenario], count: int = COST_RELEASES) -> dict[str, float]:
    """What one look of the judge costs the operator, per compare metric: wall milliseconds of
    ``judge.judge`` on each release's whole history at its last interval (the status keeps up to
    60 values per side), on one core; percentiles over the metrics of the first ``count`` releases.
    The operator runs this once per compare metric per analysis interval of every active release."""
    per_metric = []
    for scenario in scenarios[:count]:
        histories = backtest.histories_at(scenario, scenario.intervals - 1)
        if not histories:
            continue
        start = time.perf_counter()
        judge.judge(histories, backtest.settings_of(scenario))
        per_metric.append((time.perf_counter() - start) * 1000 / len(histories))
    p50, p90, p99 = np.percentile(per_metric, [50, 90, 99]) if per_metric else (0.0, 0.0, 0.0)
    return {"looks": len(per_metric), "p50_ms": float(p50), "p90_ms": float(p90), "p99_ms": float(p99)}


def _visible_recall(scenarios: Sequence[Scenario], outcomes: Sequence[backtest.Outcome], meta: dict[str, generator.Generated]) -> str:
    """Recall on the bad releases the oracle could tell from good ones, overall and at 5% canary.

    Scored like the rest: a pause is neither a detection nor a miss, and is counted apart."""
    cells = []
    for label, keep in (("all", lambda s: True), ("5% canary", lambda s: s.canary_weight == 5)):
        bad = [(s, o) for s, o in zip(scenarios, outcomes) if s.name in meta and meta[s.name].scenario["truth"]["bad"] and keep(s)]
        visible = [(s, o) for s, o in bad if meta[s.name].visible]
        caught = sum(o.verdict == "rollback" for _, o in visible)
        promoted = sum(o.verdict == "promote" for _, o in visible)
        cells.append(
            f"{label}: {len(visible)} of {len(bad)} bad releases visible (oracle recall {len(visible) / max(len(bad), 1):.3f}),"
            f" judge recall on them {caught / max(caught + promoted, 1):.3f} ({len(visible) - caught - promoted} paused)"
        )
    return "; ".join(cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=generator.DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED)
    parser.add_argument("--noise", type=float, default=1.0, help="scale the generator's noise (robustness check)")
    parser.add_argument("--heldout-seed", type=int, default=heldout.DEFAULT_SEED, help="seed of the held-out corpus")
    parser.add_argument("--heldout-count", type=int, default=heldout.DEFAULT_COUNT, help="0 skips the held-out corpus")
    parser.add_argument("--windowed-seed", type=int, default=windowed.DEFAULT_SEED, help="seed of the windowed corpus")
    parser.add_argument("--windowed-count", type=int, default=windowed.DEFAULT_COUNT,
                        help="0 skips the windowed corpus")
    parser.add_argument("--rangequeries-seed", type=int, default=rangequeries.DEFAULT_SEED)
    parser.add_argument("--rangequeries-count", type=int, default=rangequeries.DEFAULT_COUNT, help="0 skips it")
    parser.add_argument("--production-seed", type=int, default=production.DEFAULT_SEED)
    parser.add_argument("--production-count", type=int, default=production.DEFAULT_COUNT, help="0 skips it")
    parser.add_argument("--fleet-seed", type=int, default=fleet.DEFAULT_SEED)
    parser.add_argument("--fleet-count", type=int, default=fleet.DEFAULT_COUNT, help="0 skips it")
    parser.add_argument("--mesh-seed", type=int, default=mesh.DEFAULT_SEED)
    parser.add_argument("--mesh-count", type=int, default=mesh.DEFAULT_COUNT, help="0 skips it")
    parser.add_argument("--corpus", type=Path, help="judge the scenarios of this folder instead of generating")
    parser.add_argument("--plot", type=Path, default=OUT / "detection.png")
    args = parser.parse_args(argv)

    started = time.monotonic()
    meta: dict[str, generator.Generated] = {}
    if args.corpus:
        scenarios = load_scenarios(args.corpus)
        source = f"{len(scenarios)} scenarios from {args.corpus}"
    else:
        generated = generator.generate(args.count, args.seed, args.noise)
        scenarios = [Scenario.model_validate(g.scenario) for g in generated]
        meta = {g.scenario["name"]: g for g in generated}
        source = f"{len(scenarios)} generated scenarios (seed {args.seed}, noise x{args.noise})"

    results = _replay(scenarios)
    # A folder's releases are sized by their truth notes, as the other corpora are.
    large = {name for name, g in meta.items() if g.large} if meta else large_steps(scenarios)
    bad = sum(bool(s.truth and s.truth.bad) for s in scenarios)
    _print_corpus(f"detection benchmark: {source}; {bad} bad", scenarios, results, large)
    if meta:
        print(f"visible regressions (bench.oracle): {_visible_recall(scenarios, results['judge'], meta)}")
    print(_oracle_delay_line(scenarios, results["judge"], large))
    print(_worse_line(scenarios, results["judge"]))
    print()
    for line in _family_table(scenarios, results):
        print(line)
    _plot(args.plot, scenarios, meta, results)
    cost = judge_cost(scenarios)
    print(f"\njudge cost per compare metric and look, at each release's last interval (one core, {cost['looks']:.0f}"
          f" releases): p50 {cost['p50_ms']:.1f} ms, p90 {cost['p90_ms']:.1f} ms, p99 {cost['p99_ms']:.1f} ms;"
          f" one core judges about {1000 / max(cost['p50_ms'], 1e-3):.0f} metric-looks a second")

    if not args.corpus and args.heldout_count > 0:
        held = heldout.generate(args.heldout_count, args.heldout_seed)
        _print_extra_corpus(f"held-out corpus: {len(held)} scenarios from bench.heldout (seed {args.heldout_seed})",
                            held)
    if not args.corpus and args.windowed_count > 0:
        corpus = windowed.generate(args.windowed_count, args.windowed_seed)
        visibility = _count_visibility(corpus)
        _print_extra_corpus(f"windowed corpus: {len(corpus)} scenarios from bench.windowed (seed {args.windowed_seed})",
                            corpus, visibility)
        _print_windows_unknown(corpus, visibility)
    # Two corpora written apart from the judge: their scenarios do not record query windows (the
    # judge reads them off the data); scored once more with the windows their generators used.
    for module, seed, count in ((rangequeries, args.rangequeries_seed, args.rangequeries_count),
                                (production, args.production_seed, args.production_count)):
        if args.corpus or count <= 0:
            continue
        name = module.__name__.split(".")[-1]
        recorded = module.generate(count, seed, record_windows=True)
        # The count oracle reads non-overlapping windows: those the recorded scenarios give.
        visibility = _count_visibility(recorded)
        _print_extra_corpus(f"{name} corpus: {count} scenarios from {module.__name__} (seed {seed}), query windows not recorded",
                            module.generate(count, seed), visibility)
        _print_judge_variant(f"the same {name} releases with their query windows recorded:", recorded, visibility)
    # Two more by authors who never read the judge, simulated from requests and scrapes up to the
    # query: scored as exported (no windows), then with the windows the operator reads off the queries.
    for module, seed, count in ((fleet, args.fleet_seed, args.fleet_count), (mesh, args.mesh_seed, args.mesh_count)):
        if args.corpus or count <= 0:
            continue
        name = module.__name__.split(".")[-1]
        recorded = module.generate(count, seed, record_windows=True)
        plain = _without_windows(recorded)
        visibility = _count_visibility(recorded)
        _print_extra_corpus(f"{name} corpus: {count} scenarios from {module.__name__} (seed {seed}), query windows not recorded",
                            plain, visibility)
        _print_judge_variant(f"the same {name} releases with their query windows recorded, as the operator reads them off"
                             " the queries" + (" (none where a recording rule is named without its range), and each"
                                               " side's ready pods and the canary's weight as it records them:"
                                               if module is fleet else ":"),
                             recorded, visibility)
        if module is fleet:
            _print_against_baseline(f"the same {name} releases, each canary judged against a baseline (compare.against: "
                                    "baseline) instead of the stable:", [Scenario.model_validate(d) for d in plain],
                                    fleet.generate_against_baseline(count, seed))
    print(f"\nplot: {args.plot}   elapsed: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
