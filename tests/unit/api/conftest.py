"""Shared manifests for the API tests."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

# Test folders are not packages; make the schema checker importable by the tests next to it.
sys.path.insert(0, str(Path(__file__).parent))

VALID_SPEC: dict[str, Any] = {
    "replicas": 4,
    "selector": {"matchLabels": {"app": "checkout"}},
    "template": {
        "metadata": {"labels": {"app": "checkout"}},
        "spec": {"containers": [{"name": "app", "image": "shop/checkout:2"}]},
    },
    "service": {"name": "checkout", "port": 80},
    "strategy": {
        "steps": [
            {"setWeight": 10},
            {"pause": {"duration": "2m"}},
            {"analysis": {"metrics": ["error-rate"], "count": 3}},
            {"inspect": {"webhook": {"url": "http://smoke.test/run"}}},
            {"pause": {}},
            {"setWeight": 100},
        ],
    },
    "analysis": {
        "metrics": [
            {
                "name": "error-rate",
                "provider": {"prometheus": {"address": "http://prometheus:9090"}},
                "query": "sum(rate(errors[1m]))",
                "successCondition": "result < 0.01",
            },
            {
                "name": "latency",
                "provider": {"prometheus": {"address": "http://prometheus:9090"}},
                "query": "histogram_quantile(0.99, rate(latency_bucket[1m]))",
                "compare": {"against": "stable", "test": "mann-whitney", "maxDegradation": 0.1},
            },
        ],
    },
}


@pytest.fixture
def spec() -> dict[str, Any]:
    """A valid spec using every step kind; tests break one thing in it."""
    return copy.deepcopy(VALID_SPEC)
