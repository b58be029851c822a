"""The Prometheus metric provider: one instant query to one number, through prometheus-api-client.

One ``PrometheusConnect`` (and so one pooled HTTP session) per Prometheus address for the whole
process. A query must give exactly one sample: no series is NoData (``None``), several series
is an error asking the author to aggregate, NaN/Inf is reported as such. Errors never pass.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import prometheus_client
from prometheus_api_client import PrometheusConnect

_lock = threading.Lock()
_connections: dict[str, PrometheusConnect] = {}
QUERY_SECONDS: list[float] = []  # bounded sample of query latencies, read by benchmarks
QUERY_DURATION = prometheus_client.Histogram(
    "grayrelease_prometheus_query_duration_seconds", "Latency of analysis queries to Prometheus, failures included.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class ProviderError(Exception):
    """Prometheus could not be reached or answered with an error."""


@dataclass(frozen=True)
class Sample:
    """One query's answer: ``value`` is None when the query returned no series."""

    value: float | None
    message: str


def _connection(address: str) -> PrometheusConnect:
    with _lock:
        if address not in _connections:
            _connections[address] = PrometheusConnect(url=address.rstrip("/"), disable_ssl=False, retry=None)
        return _connections[address]


def query(address: str, promql: str, timeout: float = 10.0) -> Sample:
    started = time.monotonic()
    try:
        result = _connection(address).custom_query(promql, params={"timeout": f"{max(int(timeout), 1)}s"}, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - any failure to get an answer is a provider error
        raise ProviderError(f"query failed: {type(error).__name__}: {str(error)[:300]}") from error
    finally:
        elapsed = time.monotonic() - started
        QUERY_SECONDS.append(elapsed)
        QUERY_DURATION.observe(elapsed)
        del QUERY_SECONDS[:-1000]
    if isinstance(result, list):
        if not result:
            return Sample(None, "no data: the query returned no series")
        if len(result) > 1:
            raise ProviderError(f"the query returned {len(result)} series; aggregate it to one (sum, avg, max)")
        raw = result[0].get("value", [None, None])[1]
    else:  # a scalar result: [time, "value"]
        raw = result[1] if isinstance(result, list | tuple) and len(result) == 2 else None
    try:
        value = float(raw)
    except (TypeError, ValueError) as error:
        raise ProviderError(f"unexpected answer {result!r}") from error
    if math.isnan(value):
        return Sample(None, "no data: the query returned NaN (e.g. 0/0 without traffic)")
    if math.isinf(value):
        return Sample(None, "no data: the query returned an infinite value")
    return Sample(value, f"{value:.6g}")
