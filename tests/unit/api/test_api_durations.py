"""Duration strings: what parses, to what, and what is rejected."""

from __future__ import annotations

from datetime import timedelta

import pytest

from grayrelease.api.durations import format_duration, longest_promql_range, parse_duration, recording_rule_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("2m", timedelta(minutes=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("1.5s", timedelta(milliseconds=1500)),
        ("1m30s250ms", timedelta(seconds=90.25)),
        ("0s", timedelta(0)),
    ],
    ids=lambda v: str(v),
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "5 minutes", "1d", "-5s", "s", "1.s", " 30s"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(timedelta(seconds=90), "1m30s"), (timedelta(milliseconds=500), "500ms"), (timedelta(hours=2), "2h"),
     (timedelta(seconds=1.5), "1.5s"), (timedelta(0), "0s")],
    ids=["90s", "500ms", "2h", "1.5s", "zero"],
)
def test_format_round_trips(value: timedelta, expected: str) -> None:
    assert format_duration(value) == expected
    assert parse_duration(expected) == value


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rate(http_requests_total[5m])", timedelta(minutes=5)),
        ('histogram_quantile(0.99, sum by (le) (rate(b_bucket{le="0.5"}[1m30s])))', timedelta(seconds=90)),
        ("max_over_time(rate(x[1m])[10m:30s])", timedelta(minutes=10)),
        ("sum(increase(x[1d])) / sum(increase(y[2h]))", timedelta(days=1)),
        ("up", timedelta(0)),
    ],
    ids=["rate", "compound duration in a quantile", "subquery", "days", "no range"],
)
def test_longest_promql_range(query: str, expected: timedelta) -> None:
    assert longest_promql_range(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("job:http_errors:ratio_rate5m", timedelta(minutes=5)),
        ('slo:sli_error:ratio_rate30m{service="a:b", role="{{ side.role }}"}', timedelta(minutes=30)),
        ("apiserver_request:burnrate1h", timedelta(hours=1)),
        ("path:requests:rate_5m", timedelta(minutes=5)),
        ("instance:node_cpu:rate1h30m", timedelta(minutes=90)),
        ("a:b:rate5m / c:d:rate10m", timedelta(minutes=10)),
        ("avg_over_time(job:errors:ratio_rate5m[10m])", timedelta(minutes=5)),
        ("job:http_5xx:sum", timedelta(0)),
        ("job:latency_p99_1m:histogram_quantile", timedelta(0)),
        ('sum(rate(http_requests_total{route="job:x:rate5m"}[1m]))', timedelta(0)),
        ("http_5xx_total", timedelta(0)),
        ("rate(x[5m:30s])", timedelta(0)),
        ('sum(x{a="q\\"j:x:rate5m"}) + j:y:rate1m', timedelta(minutes=1)),
        ("j:x:rate5m{a='}'} or k:y:rate10m", timedelta(minutes=10)),
        ("j:x:rate" + "1" * 8000 + "x", timedelta(0)),
    ],
    ids=["ratio_rate", "label values with colons", "burn rate", "range after an underscore", "compound range",
         "the longest of two rules", "a rule under a range selector", "no range in the operations",
         "a range in the metric part", "a rule's name in a label value", "no rule", "a subquery",
         "an escaped quote in a label value", "a brace in a label value", "8000 digits without a unit"],
)
def test_recording_rule_range(query: str, expected: timedelta) -> None:
    """Only the operations of a level:metric:operations name say a range; nothing else with a colon does."""
    assert recording_rule_range(query) == expected
