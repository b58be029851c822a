"""Fixtures of the ``kubectl gray`` view tests: status dicts as the operator writes them."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

# Test folders are not packages; make the captured objects importable by the tests next to them.
sys.path.insert(0, str(Path(__file__).parent))

from captured import PAUSED_STATUS  # noqa: E402

@pytest.fixture
def paused_status() -> dict[str, Any]:
    return copy.deepcopy(PAUSED_STATUS)
