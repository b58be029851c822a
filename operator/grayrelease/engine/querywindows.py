"""Compare metrics whose query window spans many analysis intervals, said when a release starts.

Each value of ``rate(x[5m])`` read every 30s shares nine tenths of its data with the one before:
the judge takes about one window of such values as one witness, so a regression shows after about
two windows (docs/judge.md, *The same releases as the operator sees them*). A release that must stop
a bad canary within minutes is better told at its start than after its first rollback came late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from grayrelease.api.durations import format_duration, parse_duration
from grayrelease.api.spec import GrayReleaseSpec, Metric, StepKind

LONG_WINDOW_INTERVALS = 5
"""A query window this many analysis intervals long or more is said: at the release's start (Event
LongQueryWindow) and in every measurement's message."""


@dataclass(frozen=True)
class LongWindow:
    metric: str
    window: timedelta
    interval: timedelta

    @property
    def overlap(self) -> float:
        return self.window / self.interval

    def note(self) -> str:
        """The measurement's aside: what one value holds, and when a regression shows."""
        return (f"a {format_duration(self.window)} window read every {format_duration(self.interval)}: each value shares"
                f" {1 - 1 / self.overlap:.0%} of its data with the last, so a regression shows after about two windows")


def long_window(metric: Metric, interval: timedelta) -> LongWindow | None:
    """The metric's window where it spans ``LONG_WINDOW_INTERVALS`` intervals or more; None otherwise or unknown."""
    overlap = metric.overlap(interval) if metric.compare is not None else None
    if overlap is None or overlap < LONG_WINDOW_INTERVALS:
        return None
    return LongWindow(metric.name, interval * overlap, interval)


def long_windows(spec: GrayReleaseSpec) -> list[LongWindow]:
    """Each compare metric read over a long window, at the shortest interval it is measured at
    (in the background, or by an analysis step with an interval of its own)."""
    out = []
    for metric in spec.analysis.metrics:
        intervals = [parse_duration(metric.interval or spec.analysis.interval)]
        for step in spec.strategy.steps:
            if step.kind is StepKind.ANALYSIS and step.analysis.interval and metric.name in step.analysis.metrics:
                intervals.append(parse_duration(step.analysis.interval))
        found = [w for interval in intervals if (w := long_window(metric, interval)) is not None]
        if found:
            out.append(max(found, key=lambda w: w.overlap))
    return out


UNKNOWN_NOTE = "the query shows no range: its window is read off the data; compare.queryWindow gives it"
"""What a measurement of a compare metric whose window is unknown says beside its verdict."""


def unknown_windows(spec: GrayReleaseSpec) -> list[str]:
    """Compare metrics whose queries show no range: a recording rule named without it, a client-side summary."""
    return [m.name for m in spec.analysis.metrics if m.compare is not None and m.query_window() is None]


def warnings(spec: GrayReleaseSpec) -> list[tuple[str, str]]:
    """The (reason, message) of each Warning Event a release starts with: LongQueryWindow where a
    compare metric's window spans many intervals, QueryWindowUnknown where one's window is read off
    the data (less surely: the judge is more cautious, and slower, with such a metric)."""
    out = []
    if found := long_windows(spec):
        said = "; ".join(f"{w.metric} reads a {format_duration(w.window)} window every {format_duration(w.interval)},"
                         f" so a regression shows after about {format_duration(2 * w.window)}" for w in found)
        out.append(("LongQueryWindow", f"{said}. Each value shares most of its data with the last, and the judge takes"
                    " about one window of them as one witness; a query window about as long as the analysis interval"
                    " lets it judge each interval on its own"))
    if unknown := unknown_windows(spec):
        out.append(("QueryWindowUnknown", f"{', '.join(unknown)}: the query shows no range (a recording rule not named"
                    " level:metric:operations with its range, such as job:http_errors:ratio_rate5m), so the judge reads"
                    " the window off the data, less surely; compare.queryWindow gives it"))
    return out
