"""Engine tests: tables of rules, plan and a simulated world. Helpers live in ``builders``."""

from __future__ import annotations

import sys
from pathlib import Path

# Test folders are not packages; make the helpers here importable by the tests next to them.
sys.path.insert(0, str(Path(__file__).parent))
