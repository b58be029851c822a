"""The scale benchmark's releases are valid GrayReleases, as the API server and the operator read them."""

from __future__ import annotations

import pytest

from bench import operator_scale
from grayrelease.api.resource import GrayRelease


@pytest.mark.parametrize("compare", ["none", "stable", "baseline"])
def test_the_releases_are_valid(compare: str) -> None:
    release = GrayRelease.model_validate(operator_scale._manifest("r0001", "example.com/app:1", compare))
    assert release.spec.uses_baseline is (compare == "baseline")
    metrics = release.spec.analysis.metrics if release.spec.analysis else []
    assert [m.dry_run for m in metrics] == ([] if compare == "none" else [True])
