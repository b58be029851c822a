"""Seeded generator of release scenarios (format v1) for the detection benchmark.

Each scenario simulates one canary release interval by interval: request counts drawn from the
traffic split, error counts drawn from per-side error rates, latency quantiles whose noise grows
as the side's request count shrinks (a 5% canary's p99 rests on a few tail requests), and a
memory gauge. Good releases carry the nuisances that make real canaries look bad: noise,
diurnal drift, traffic dips and bursts, incidents that hit both sides, scrape gaps, very low
canary traffic, single slow intervals, and canaries that differ from stable by a few percent for
harmless reasons. Bad releases add one regression on top: error-ratio steps (multiplicative or
additive), latency steps of 10-100%, slow leaks, intermittent errors, or a canary that stops
reporting.

Everything is drawn from ``numpy.random.Generator`` streams spawned from one seed, so a corpus
is reproducible and each scenario depends only on (seed, index).

    python -m bench.generator --out out/bench/corpus --count 600 --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import oracle

GOOD_FAMILIES = (
    "good-steady",
    "good-diurnal",
    "good-dips",
    "good-bursts",
    "good-incident",
    "good-low-traffic",
    "good-gaps",
    "good-different",
)
BAD_FAMILIES = (
    "bad-error-step",
    "bad-error-add",
    "bad-latency",
    "bad-leak",
    "bad-intermittent",
    "bad-crashloop",
)
BAD_SHARE = 0.45
DEFAULT_SEED = 20250501
DEFAULT_COUNT = 600

# Relative noise of a latency statistic computed from n requests is about c / sqrt(n).
_QUANTILE_NOISE = {"p99": 1.8, "p95": 1.0, "mean": 0.5}


@dataclass(frozen=True)
class Generated:
    """A scenario plus what the benchmark needs to break results down (never shown to a judge)."""

    scenario: dict[str, Any]
    family: str
    size: float | None
    """Regression size: error multiplier, latency fraction (0.3 = +30%), leak slope per interval."""
    large: bool
    """A step of at least 2x the error ratio or +30% latency: the time-to-detect target applies."""
    weight: float
    visible: bool = True
    """Whether a perfect observer that knows the onset could tell this bad release from a good one
    at the judge's default level (``bench.oracle``); True for good releases."""


def generate(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED, noise: float = 1.0) -> list[Generated]:
    """``count`` scenarios, about 45% bad; ``noise`` scales every noise source (1.0 = default corpus)."""
    children = np.random.SeedSequence(seed).spawn(count)
    out = []
    for index, child in enumerate(children):
        rng = np.random.default_rng(child)
        if rng.random() < BAD_SHARE:
            family = BAD_FAMILIES[int(rng.integers(len(BAD_FAMILIES)))]
        else:
            family = GOOD_FAMILIES[int(rng.integers(len(GOOD_FAMILIES)))]
        out.append(_scenario(rng, index, family, noise))
    return out


def _loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _scenario(rng: np.random.Generator, index: int, family: str, noise: float) -> Generated:
    length = int(rng.integers(20, 41))
    interval = 30 if rng.random() < 0.8 else 60
    if family == "good-low-traffic":
        weight = float(rng.choice([1.0, 2.0]))
    else:
        roll = rng.random()
        weight = 5.0 if roll < 0.7 else float(rng.choice([1.0, 2.0])) if roll < 0.85 else float(rng.choice([10.0, 20.0]))
    share = weight / 100.0
    rps = _loguniform(rng, 50, 2000)
    steps = np.arange(length)

    def nuisance(name: str, probability: float = 0.25) -> bool:
        return family == name or rng.random() < probability

    # Load shared by both sides: drift, dips, bursts.
    amplitude = rng.uniform(0.3, 0.6) if nuisance("good-diurnal") else rng.uniform(0.0, 0.15)
    period = rng.uniform(length, 4 * length)
    load = 1.0 + amplitude * np.sin(2 * np.pi * steps / period + rng.uniform(0, 2 * np.pi))
    if nuisance("good-dips"):
        for i in rng.choice(length, size=int(rng.integers(1, 4)), replace=False):
            load[i] *= rng.uniform(0.05, 0.3)
    if nuisance("good-bursts"):
        for i in rng.choice(length, size=int(rng.integers(1, 4)), replace=False):
            load[i] *= rng.uniform(2.0, 4.0)
    incident_err = np.ones(length)
    incident_lat = np.ones(length)
    if nuisance("good-incident", 0.15):
        start = int(rng.integers(0, length - 2))
        span = slice(start, start + int(rng.integers(2, 7)))
        incident_err[span] = rng.uniform(5, 50)
        incident_lat[span] = rng.uniform(1.3, 3.0)
    gaps = np.zeros(length, dtype=bool)
    if nuisance("good-gaps"):
        gaps = rng.random(length) < 0.08

    # Harmless differences of a good canary (other nodes, other build flags).
    canary_err = np.full(length, rng.uniform(0.85, 1.15) if family == "good-different" else 1.0)
    canary_err_add = np.zeros(length)
    canary_lat = np.full(length, 1.0 + rng.uniform(-0.03, 0.03) if family == "good-different" else 1.0)
    canary_mem = np.full(length, 1.0 + rng.uniform(-0.05, 0.05) if family == "good-different" else 1.0)
    silent = np.zeros(length, dtype=bool)

    bad = family.startswith("bad-")
    onset = 0 if (not bad or rng.random() < 0.6) else int(rng.integers(2, length // 2))
    after = steps >= onset
    size: float | None = None
    large = False
    has_memory = rng.random() < 0.3
    base_err = _loguniform(rng, 2e-4, 2e-2)
    note = "no regression"
    if family == "bad-error-step":
        size = _loguniform(rng, 1.5, 20.0)
        canary_err[after] *= size
        large = size >= 2.0
        note = f"error ratio x{size:.2f} from interval {onset}"
    elif family == "bad-error-add":
        add = _loguniform(rng, 0.002, 0.05)
        canary_err_add[after] = add
        size = (base_err + add) / base_err
        large = size >= 2.0
        note = f"error ratio +{add:.4f} from interval {onset}"
    elif family == "bad-latency":
        size = float(rng.uniform(0.10, 1.0))
        canary_lat[after] *= 1.0 + size
        large = size >= 0.3
        note = f"latency +{size:.0%} from interval {onset}"
    elif family == "bad-leak":
        size = float(rng.uniform(0.01, 0.05))
        growth = 1.0 + size * (steps - onset + 1)
        if rng.random() < 0.5:
            has_memory = True
            canary_mem[after] *= growth[after]
            note = f"memory grows {size:.1%} per interval from interval {onset}"
        else:
            canary_lat[after] *= growth[after]
            note = f"latency grows {size:.1%} per interval from interval {onset}"
    elif family == "bad-intermittent":
        size = _loguniform(rng, 5.0, 30.0)
        hit = after & (rng.random(length) < rng.uniform(0.25, 0.5))
        hit[onset] = True
        canary_err[hit] *= size
        note = f"error ratio x{size:.1f} in {int(hit.sum())} intervals from interval {onset}"
    elif family == "bad-crashloop":
        silent[after] = True
        note = f"canary stops reporting from interval {onset}"

    # Traffic and errors.
    total = rps * interval * load
    canary_n = rng.poisson(total * share).astype(float)
    stable_n = rng.poisson(total * (1 - share)).astype(float)
    canary_n[silent] = 0
    shared_err = np.clip(base_err * (1 + 0.3 * (load - 1)) * incident_err, 0, 0.9)
    dispersion = 30.0 / max(noise, 1e-6) ** 2
    stable_p = np.clip(shared_err * rng.gamma(dispersion, 1 / dispersion, length), 0, 1)
    canary_p = np.clip(shared_err * rng.gamma(dispersion, 1 / dispersion, length) * canary_err + canary_err_add, 0, 1)
    stable_x = rng.binomial(stable_n.astype(int), stable_p)
    canary_x = rng.binomial(canary_n.astype(int), canary_p)

    # Latency: a quantile (or the mean) whose noise depends on the side's requests, plus rare slow intervals.
    quantile = str(rng.choice(["p99", "p95", "mean"], p=[0.6, 0.25, 0.15]))
    base_lat = _loguniform(rng, 0.02, 1.0)
    shared_lat = base_lat * (1 + 0.25 * (load - 1)) * incident_lat

    def latency_noise(requests: np.ndarray) -> np.ndarray:
        return noise * (0.02 + _QUANTILE_NOISE[quantile] / np.sqrt(requests + 1))

    def measured_latency(requests: np.ndarray, factor: np.ndarray) -> np.ndarray:
        sigma = latency_noise(requests)
        value = shared_lat * factor * np.exp(rng.normal(0, sigma))
        slow = rng.random(length) < 0.03 * noise
        return value * np.where(slow, np.exp(np.abs(rng.normal(0, 0.3, length))), 1.0)

    stable_lat = measured_latency(stable_n, np.ones(length))
    canary_lat_v = measured_latency(canary_n, canary_lat)

    base_mem = _loguniform(rng, 100e6, 2e9)
    mem_noise = noise * 0.02
    stable_mem = base_mem * np.exp(rng.normal(0, mem_noise, length))
    canary_mem_v = base_mem * canary_mem * np.exp(rng.normal(0, mem_noise, length))

    def series(values: np.ndarray, missing: np.ndarray, digits: int) -> list[float | None]:
        return [None if m else float(f"{v:.{digits}g}") for v, m in zip(values, missing)]

    stable_missing = gaps | (stable_n == 0)
    canary_missing = gaps | (canary_n == 0) | silent
    with np.errstate(invalid="ignore", divide="ignore"):
        stable_ratio = stable_x / stable_n
        canary_ratio = canary_x / canary_n
    error_metric: dict[str, Any] = {
        "name": "http_error_ratio",
        "kind": "error-ratio",
        "better": "lower",
        "stable": series(stable_ratio, stable_missing, 6),
        "canary": series(canary_ratio, canary_missing, 6),
    }
    if rng.random() < 0.85:
        error_metric["stable_requests"] = [None if g else float(n) for n, g in zip(stable_n, gaps)]
        error_metric["canary_requests"] = [None if g else float(n) for n, g in zip(canary_n, gaps)]
    metrics = [
        error_metric,
        {
            "name": f"http_latency_{quantile}_seconds",
            "kind": "latency",
            "better": "lower",
            "stable": series(stable_lat, stable_missing, 5),
            "canary": series(canary_lat_v, canary_missing, 5),
        },
    ]
    if has_memory:
        pod_gone = gaps | silent
        metrics.append(
            {
                "name": "memory_working_set_bytes",
                "kind": "gauge",
                "better": "lower",
                "stable": series(stable_mem, gaps, 6),
                "canary": series(canary_mem_v, pod_gone, 6),
            }
        )
    visible = True
    seen = after & ~canary_missing & ~stable_missing
    if family in ("bad-error-step", "bad-error-add", "bad-intermittent"):
        visible = oracle.errors_visible(stable_x[after], stable_n[after], canary_x[after], canary_n[after], 1 / math.sqrt(dispersion))
    elif family == "bad-latency" or (family == "bad-leak" and "latency" in note):
        sigma = np.sqrt(latency_noise(stable_n) ** 2 + latency_noise(canary_n) ** 2)
        visible = oracle.shift_visible(np.log(canary_lat_v[seen] / stable_lat[seen]), sigma[seen])
    elif family == "bad-leak":
        visible = oracle.shift_visible(np.log(canary_mem_v[seen] / stable_mem[seen]), np.full(int(seen.sum()), math.sqrt(2) * mem_noise))
    truth: dict[str, Any] = {"bad": bad, "note": note}
    if bad:
        truth["onset_index"] = onset
    scenario = {
        "format": "grayrelease.scenario/v1",
        "name": f"{family}-{index:04d}",
        "interval_seconds": interval,
        "canary_weight": weight,
        "metrics": metrics,
        "truth": truth,
    }
    return Generated(scenario=scenario, family=family, size=size, large=large, weight=weight, visible=visible)


def write(folder: Path, generated: list[Generated]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for item in generated:
        (folder / f"{item.scenario['name']}.json").write_text(json.dumps(item.scenario), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/bench/corpus"))
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--noise", type=float, default=1.0, help="scale every noise source")
    args = parser.parse_args(argv)
    generated = generate(args.count, args.seed, args.noise)
    write(args.out, generated)
    print(f"wrote {len(generated)} scenarios to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
