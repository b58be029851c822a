"""Durations as users write them in manifests: Go-like strings such as ``30s``, ``2m``, ``1h30m``, ``500ms``.

The same pattern is used by pydantic (``Duration`` / ``PositiveDuration`` types) and by the CRD
schema, so the API server and the operator accept exactly the same strings. ``parse_duration``
turns them into ``timedelta`` for the engine.
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

# One or more <number><unit> groups; units from milliseconds to hours (days are ambiguous
# across DST and Go does not accept them either).
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
DURATION_MAX_LENGTH = 32
# CEL rule attached to positive durations: the pattern already guarantees the shape, and a
# duration of that shape is positive exactly when one of its digits is not zero.
POSITIVE_DURATION_RULE = {
    "rule": "self.matches('[1-9]')",
    "message": "must be a positive duration such as 500ms, 30s, 2m or 1h30m",
}

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_WHOLE = re.compile(DURATION_PATTERN)


def parse_duration(text: str) -> timedelta:
    """``"1h30m"`` -> ``timedelta(hours=1, minutes=30)``; ValueError on anything else."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise ValueError(f"invalid duration {text!r}: expected e.g. 500ms, 30s, 2m or 1h30m")
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(text))
    return timedelta(seconds=seconds)


# A PromQL range or subquery selector: [5m], [1h30m], [30m:1m]; PromQL units go up to years.
_PROMQL_RANGE = re.compile(r"\[\s*((?:[0-9]+(?:ms|s|m|h|d|w|y))+)\s*(?::[^\]]*)?\]")
_PROMQL_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_PROMQL_SECONDS = {**_UNIT_SECONDS, "d": 86400.0, "w": 604800.0, "y": 31536000.0}


@functools.lru_cache(maxsize=1024)
def longest_promql_range(query: str) -> timedelta:
    """The longest range selector in a PromQL query (``rate(x[5m])`` -> 5 minutes); zero without one.

    Cached: the engine asks for every compare metric at every reconcile."""
    longest = 0.0
    for text in _PROMQL_RANGE.findall(query):
        longest = max(longest, sum(float(n) * _PROMQL_SECONDS[unit] for n, unit in _PROMQL_PART.findall(text)))
    return timedelta(seconds=longest)


# Recording rules named as Prometheus advises, level:metric:operations, say their range in the
# operations, newest first: job:http_errors:ratio_rate5m, slo:sli_error:ratio_rate30m,
# apiserver_request:burnrate1h, path:requests:rate_5m.
_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_RULE_RANGE = re.compile(r"(?:^|(?<=[a-z_]))((?:[0-9]+(?:ms|s|m|h|d|w|y))+)(?=_|$)")
_OPENS = {"{": "}", "[": "]"}
_QUOTES = "\"'`"


def _outside_strings_and_brackets(query: str) -> str:
    """``query`` with string literals, label matchers and range selectors blanked out, in one pass
    (a user's query may be 8 KiB of anything: no pattern that backtracks)."""
    out = []
    closing: list[str] = []
    quote = ""
    escaped = False
    for char in query:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote != "`":
                escaped = True
            elif char == quote:
                quote = ""
            out.append(" ")
        elif char in _QUOTES:
            quote = char
            out.append(" ")
        elif char in _OPENS:
            closing.append(_OPENS[char])
            out.append(" ")
        elif closing and char == closing[-1]:
            closing.pop()
            out.append(" ")
        else:
            out.append(" " if closing else char)
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def recording_rule_range(query: str) -> timedelta:
    """The longest range the recording rules a query reads give in their names
    (``job:http_errors:ratio_rate5m`` -> 5 minutes); zero where none names one.

    Only the operations, after the name's last colon, are read: a metric such as ``http_5xx``
    says nothing of a range. Strings, label matchers and range selectors are left out first, so a
    label value with a colon is not taken for a rule."""
    longest = 0.0
    for name in _IDENTIFIER.findall(_outside_strings_and_brackets(query)):
        if ":" not in name:
            continue
        for text in _RULE_RANGE.findall(name.rsplit(":", 1)[1]):
            longest = max(longest, sum(float(n) * _PROMQL_SECONDS[unit] for n, unit in _PROMQL_PART.findall(text)))
    return timedelta(seconds=longest)


def format_duration(value: timedelta) -> str:
    """The shortest Go-like form of a timedelta, for messages (``timedelta(seconds=90)`` -> ``1m30s``)."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms < 0:
        return "-" + format_duration(-value)
    if total_ms == 0:
        return "0s"
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    if millis and not (hours or minutes or seconds):
        parts.append(f"{millis}ms")
    elif seconds or millis:
        parts.append(f"{seconds}.{millis:03d}".rstrip("0").rstrip(".") + "s")
    return "".join(parts)


def _check(text: str) -> str:
    parse_duration(text)
    return text


def _check_positive(text: str) -> str:
    if parse_duration(text) <= timedelta(0):
        raise ValueError(f"invalid duration {text!r}: {POSITIVE_DURATION_RULE['message']}")
    return text


Duration = Annotated[
    str,
    Field(pattern=DURATION_PATTERN, max_length=DURATION_MAX_LENGTH),
    AfterValidator(_check),
]
PositiveDuration = Annotated[
    str,
    Field(
        pattern=DURATION_PATTERN,
        max_length=DURATION_MAX_LENGTH,
        json_schema_extra={"x-kubernetes-validations": [POSITIVE_DURATION_RULE]},
    ),
    AfterValidator(_check_positive),
]
