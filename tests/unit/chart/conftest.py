"""Chart tests render the chart with the helm binary that hack/cluster/build.sh builds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import rendering  # noqa: E402


@pytest.fixture(scope="session")
def helm() -> Path:
    if not rendering.HELM.exists():
        pytest.skip(f"{rendering.HELM} is not built yet (make build)")
    return rendering.HELM


@pytest.fixture(scope="session")
def default_objects(helm: Path) -> list[dict]:
    return rendering.render()
