"""Rendering the chart with the real `helm template`, for the chart tests next to this module."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "charts" / "grayrelease"
HELM = Path(os.environ.get("GRAYRELEASE_CACHE", Path.home() / ".cache" / "grayrelease")) / "bin" / "helm"
# helm built from source without release ldflags assumes Kubernetes v1.20; say which one we target.
KUBE_VERSION = "1.36.0"
NAMESPACE = "grayrelease-system"


def helm_template(*args: str, release: str = "gr") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HELM), "template", release, str(CHART), "--namespace", NAMESPACE,
                           "--kube-version", KUBE_VERSION, *args], capture_output=True, text=True, timeout=60)


def render(*args: str) -> list[dict[str, Any]]:
    """The chart's objects for these `--set`/`-f` arguments; fails with helm's message."""
    result = helm_template(*args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def one(objects: list[dict[str, Any]], kind: str, name_suffix: str = "") -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].endswith(name_suffix)]
    assert len(found) == 1, f"{len(found)} {kind} objects named *{name_suffix}"
    return found[0]


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {o["kind"] for o in objects}
