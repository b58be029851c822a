"""The chart's Grafana dashboard asks only for series the operator exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import prometheus_client

from grayrelease.analysis import prometheus as _query_histogram  # noqa: F401 - registers its histogram
from grayrelease.controller import metrics as _metrics  # noqa: F401 - registers the operator's metrics

DASHBOARD = Path(__file__).resolve().parents[3] / "charts/grayrelease/dashboards/grayrelease.json"


def exported() -> set[str]:
    names: set[str] = set()
    for family in prometheus_client.REGISTRY.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "info": ("_info",)}
        names |= {family.name + s for s in suffixes.get(family.type, ("",))}
    return names


def test_every_dashboard_query_uses_exported_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    available = exported()
    for expr in exprs:
        used = set(re.findall(r"\bgrayrelease_[a-z_]+", expr))
        assert used, expr
        assert used <= available, f"{expr}: {used - available}"


def test_panels_do_not_overlap() -> None:
    cells: set[tuple[int, int]] = set()
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        g = panel["gridPos"]
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, panel["title"]
        cells |= mine
