"""What the scenario generators share: writing a corpus to a folder and the command line that does it.

The generators themselves (``bench.generator``, ``bench.heldout``, ``bench.windowed``) share no
model code on purpose, so that each corpus tests the judge against its own assumptions.
"""

from __future__ import annotations

import argparse
import functools
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from grayrelease.analysis.backtest import map_releases

Generate = Callable[[int, int], list[dict[str, Any]]]


def build_all(make: Callable[..., dict[str, Any]], plan: Sequence[tuple[Any, ...]], *fixed: Any) -> list[dict[str, Any]]:
    """``make(*fixed, *item)`` for every item of ``plan``, in order, on every core.

    Each scenario depends only on its own arguments (its seed and index), so the corpus is the
    same however many processes build it; ``make`` must be a module-level function."""
    return map_releases(functools.partial(_call, make, fixed), list(plan))


def _call(make: Callable[..., dict[str, Any]], fixed: tuple[Any, ...], item: tuple[Any, ...]) -> dict[str, Any]:
    return make(*fixed, *item)


def family_of(name: str) -> str:
    """The family of a scenario named ``<family>-<index>``."""
    return name.rsplit("-", 1)[0]


def write_scenarios(scenarios: list[dict[str, Any]], out: Path) -> None:
    """One JSON file per scenario; files of an earlier run in ``out`` are removed first."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("good-*.json"), *out.glob("bad-*.json")]:
        stale.unlink()
    for scenario in scenarios:
        text = json.dumps(scenario, separators=(",", ":"), allow_nan=False)
        (out / f"{scenario['name']}.json").write_text(text + "\n", encoding="utf-8")


def main(generate: Generate, description: str, out: Path, count: int, seed: int, argv: list[str] | None = None) -> None:
    """``python -m bench.<generator> [--out DIR] [--count N] [--seed S]``: write a corpus and say what it holds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--count", type=int, default=count)
    parser.add_argument("--seed", type=int, default=seed)
    args = parser.parse_args(argv)
    scenarios = generate(args.count, args.seed)
    write_scenarios(scenarios, args.out)
    bad = sum(s["truth"]["bad"] for s in scenarios)
    families = Counter(family_of(s["name"]) for s in scenarios)
    print(f"wrote {len(scenarios)} scenarios to {args.out}: {bad} bad, {len(scenarios) - bad} good, "
          f"{len(families)} families (seed {args.seed})")
