"""Held-out canary-release scenarios (``grayrelease.scenario/v1``), written from an SRE's point of view.

Each scenario is one release simulated interval by interval from a model of real traffic:

* Traffic: total rate = base rps (10-5000) x a shape (time-of-day drift, dips/bursts, log-AR(1) noise).
  Each interval draws a Poisson request count, split binomially by ``canary_weight`` (mesh routing).
* Errors: each side fails requests binomially at base_error x load^alpha x shared wander x own wander.
  Both wanders are log-AR(1): the shared one moves both sides (dependencies, traffic mix), the own
  one is the extra-binomial wobble that keeps two identical builds from matching exactly.
* Latency: per-request latency is a body + slow-path log-normal mixture. Each side's requests fall
  multinomially into Prometheus histogram buckets and percentiles come out of ``histogram_quantile``
  (linear interpolation inside a bucket), so a side with few requests has noisy percentiles and a
  side with none reports null.
* Throughput is requests per second per side (canary ~ weight/(100-weight) of stable) or, when both
  sides run >= 4 pods sized to their share, per pod (canary ~ 0.8-1.0 x stable).
* Gauges are per-pod averages: memory working set (fresh canary pods start lower and fill up) and CPU.

Good releases carry nuisances (drift, dips/bursts, shared incidents, tiny traffic, scrape gaps,
few-percent differences, warm-up); bad ones carry a material regression from ``truth.onset_index``.
Scenario i uses child i of ``SeedSequence(seed)``, so it depends only on (seed, i).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus

FORMAT = "grayrelease.scenario/v1"
WEIGHTS = np.array([1, 2, 5, 10, 20, 50])
WEIGHT_P = np.array([0.06, 0.08, 0.52, 0.16, 0.10, 0.08])
INTERVALS = np.array([15, 30, 60])
INTERVAL_P = np.array([0.25, 0.5, 0.25])
PROM_DEFAULT_BUCKETS = np.array([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
QUANTILES = {"latency_p50": 0.5, "latency_p95": 0.95, "latency_p99": 0.99}
# Relative odds of each metric when filling a scenario's metric set beyond what its family needs.
METRIC_POOL = {
    "error_ratio": 3.0, "success_ratio": 0.6, "latency_p50": 0.9, "latency_p95": 1.2,
    "latency_p99": 2.0, "apdex": 0.5, "throughput": 1.2, "memory": 1.0, "cpu": 0.7,
}
REQUEST_METRICS = ("error_ratio", "success_ratio", "latency_p50", "latency_p95", "latency_p99", "apdex",
                   "throughput")
_ERF = np.vectorize(math.erf, otypes=[float])


# ---------------------------------------------------------------------------------------- model


@dataclass
class Latency:
    """Per-request latency: log-normal body plus a slower log-normal slow path, seen through buckets."""

    median: float
    sigma: float
    tail_p: float
    tail_ratio: float
    tail_sigma: float
    buckets: np.ndarray

    def cdf(self, x: np.ndarray, scale: float = 1.0, tail_scale: float = 1.0) -> np.ndarray:
        body = normal_cdf((np.log(x) - math.log(self.median * scale)) / self.sigma)
        slow = math.log(self.median * self.tail_ratio * scale * tail_scale)
        tail = normal_cdf((np.log(x) - slow) / self.tail_sigma)
        return (1 - self.tail_p) * body + self.tail_p * tail

    def bucket_probs(self, scale: float = 1.0, tail_scale: float = 1.0) -> np.ndarray:
        cdf = np.concatenate([[0.0], self.cdf(self.buckets, scale, tail_scale), [1.0]])
        probs = np.clip(np.diff(cdf), 0, None)
        return probs / probs.sum()

    def observed_quantile(self, q: float, scale: float = 1.0, tail_scale: float = 1.0) -> float:
        """The percentile histogram_quantile reports given infinitely many requests."""
        value = histogram_quantile(q, self.buckets, self.bucket_probs(scale, tail_scale))
        assert value is not None
        return value


@dataclass
class Effects:
    """Per-interval multipliers and switches applied to one side."""

    err_mult: np.ndarray
    err_add: np.ndarray
    lat_scale: np.ndarray
    tail_scale: np.ndarray
    mem_scale: np.ndarray
    cpu_scale: np.ndarray
    served: np.ndarray  # fraction of routed requests the side actually serves
    up: np.ndarray  # pods ready and serving
    reporting: np.ndarray  # series present in Prometheus

    @classmethod
    def neutral(cls, n: int) -> Effects:
        ones = lambda: np.ones(n)  # noqa: E731
        return cls(ones(), np.zeros(n), ones(), ones(), ones(), ones(), ones(),
                   np.ones(n, dtype=bool), np.ones(n, dtype=bool))


@dataclass
class World:
    """Everything that defines one release before sampling."""

    rng: np.random.Generator
    family: str
    length: int
    interval: int
    weight: int
    base_rps: float
    base_err: float
    alpha: float  # error ratio ~ load^alpha
    gamma: float  # latency ~ load^gamma
    latency: Latency
    mem_bytes: float
    cpu_cores: float
    stable_pods: int
    canary_pods: int
    per_pod_throughput: bool
    proto: str
    error_counts: bool
    traffic: np.ndarray
    shared_err: np.ndarray
    shared_err_add: np.ndarray
    shared_lat: np.ndarray
    scrape_ok: np.ndarray
    stable: Effects
    canary: Effects
    mem_warm_depth: float
    mem_warm_tau: float
    query_gap_rate: float = 0.0
    signal: list[str] = field(default_factory=list)
    bad: bool = False
    onset: int | None = None
    what: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class SideData:
    """What one side produced: counts per interval, histograms and per-pod gauges."""

    requests: np.ndarray
    errors: np.ndarray
    hist: np.ndarray
    memory: np.ndarray
    cpu: np.ndarray
    reporting: np.ndarray
    pods: int


# -------------------------------------------------------------------------------------- helpers


def normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + _ERF(np.asarray(z, dtype=float) / math.sqrt(2)))


def loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def ar1(rng: np.random.Generator, n: int, sigma: float, phi: float) -> np.ndarray:
    """Stationary AR(1) series with marginal standard deviation ``sigma``."""
    out = np.empty(n)
    out[0] = rng.normal(0, sigma)
    innovation = sigma * math.sqrt(1 - phi * phi)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + rng.normal(0, innovation)
    return out


def histogram_quantile(q: float, bounds: np.ndarray, counts: np.ndarray) -> float | None:
    """Prometheus ``histogram_quantile`` over non-cumulative counts (last entry = +Inf bucket)."""
    total = float(counts.sum())
    if total <= 0:
        return None
    rank = q * total
    cumulative = np.cumsum(counts)
    idx = int(np.searchsorted(cumulative, rank, side="left"))
    if idx >= len(bounds):
        return float(bounds[-1])
    lower = 0.0 if idx == 0 else float(bounds[idx - 1])
    before = float(cumulative[idx] - counts[idx])
    return lower + (float(bounds[idx]) - lower) * (rank - before) / float(counts[idx])


def rounded(x: float) -> float:
    return float(f"{x:.6g}")


def onset_for(rng: np.random.Generator, length: int, min_bad: int) -> int:
    """Regression start: interval 0 a third of the time, otherwise early-to-middle of the window."""
    if rng.random() < 0.35:
        return 0
    return int(rng.integers(1, max(1, min(int(0.6 * length), length - min_bad)) + 1))


def canary_requests_per_interval(world: World) -> float:
    return world.base_rps * world.weight / 100 * world.interval


def ensure_canary_requests(world: World, per_interval: float) -> None:
    """Raise base traffic (capped at 5000 rps) so the canary expects ``per_interval`` requests."""
    needed = per_interval / (world.weight / 100 * world.interval)
    world.base_rps = min(5000.0, max(world.base_rps, needed))


def ensure_percentile_volume(world: World, key: str) -> None:
    """Enough canary requests that ~5 of them lie beyond the percentile (else p99 is just the max)."""
    ensure_canary_requests(world, max(40.0, 5 / (1 - QUANTILES[key])))


def span(first: int, last: int) -> str:
    return f"interval {first}" if first == last else f"intervals {first}-{last}"


# -------------------------------------------------------------------------------------- drawing


def draw_buckets(rng: np.random.Generator) -> np.ndarray:
    style = rng.choice(["default", "double", "fine"], p=[0.35, 0.3, 0.35])
    if style == "default":
        return PROM_DEFAULT_BUCKETS
    factor = 2.0 if style == "double" else 1.25
    return 0.001 * factor ** np.arange(int(math.log(60 / 0.001, factor)) + 1)


def draw_latency(rng: np.random.Generator) -> Latency:
    median = loguniform(rng, 0.004, 0.3)
    tail_ratio = max(2.0, min(rng.uniform(3, 10), 1.0 / median))
    return Latency(median, rng.uniform(0.25, 0.6), rng.uniform(0.005, 0.04), tail_ratio,
                   rng.uniform(0.3, 0.7), draw_buckets(rng))


def draw_pods(rng: np.random.Generator, base_rps: float, weight: int) -> tuple[int, int, bool]:
    """Replica counts (canary = ceil(stable x share)); per-pod throughput only when sides are balanced."""
    share = weight / (100 - weight)
    need = math.ceil(4 / share)  # stable pods needed for >= 4 canary pods, i.e. per-pod load within 20%
    if rng.random() < 0.35 and need <= 60 and base_rps * (1 - weight / 100) / need >= 1.0:
        stable = int(rng.integers(need, int(need * 1.5) + 1))
        return stable, math.ceil(stable * share), True
    stable = int(rng.integers(2, 31))
    return stable, max(1, math.ceil(stable * share)), False


def draw_world(rng: np.random.Generator, family: str) -> World:
    length = int(rng.integers(10, 61))
    weight = int(rng.choice(WEIGHTS, p=WEIGHT_P))
    base_rps = loguniform(rng, 10, 5000)
    stable_pods, canary_pods, per_pod = draw_pods(rng, base_rps, weight)
    shared_err = np.exp(ar1(rng, length, rng.uniform(0.08, 0.35), rng.uniform(0.5, 0.9)))
    return World(
        rng=rng, family=family, length=length, interval=int(rng.choice(INTERVALS, p=INTERVAL_P)),
        weight=weight, base_rps=base_rps, base_err=loguniform(rng, 1e-4, 3e-2),
        alpha=rng.uniform(0.0, 0.4), gamma=rng.uniform(0.0, 0.15), latency=draw_latency(rng),
        mem_bytes=loguniform(rng, 120 * 2**20, 2 * 2**30), cpu_cores=loguniform(rng, 0.05, 2.0),
        stable_pods=stable_pods, canary_pods=canary_pods, per_pod_throughput=per_pod,
        proto=str(rng.choice(["http", "grpc"], p=[0.75, 0.25])), error_counts=bool(rng.random() < 0.6),
        traffic=np.exp(ar1(rng, length, rng.uniform(0.02, 0.08), 0.6)), shared_err=shared_err,
        shared_err_add=np.zeros(length),
        shared_lat=np.exp(ar1(rng, length, rng.uniform(0.02, 0.07), rng.uniform(0.5, 0.9))),
        scrape_ok=np.ones(length, dtype=bool), stable=Effects.neutral(length), canary=Effects.neutral(length),
        mem_warm_depth=rng.uniform(0.05, 0.3), mem_warm_tau=rng.uniform(60, 600),
    )


# --------------------------------------------------------------- nuisances (good on their own)


def add_diurnal_drift(world: World) -> None:
    rng, n = world.rng, world.length
    ratio = loguniform(rng, 1.3, 2.2) ** rng.choice([-1, 1])
    progress = np.arange(n) / max(1, n - 1)
    shape = (1 - np.cos(np.pi * progress)) / 2 if rng.random() < 0.5 else progress
    world.traffic *= ratio**shape
    err_drift, lat_drift = rng.uniform(-0.5, 0.5), rng.uniform(-0.12, 0.12)
    world.shared_err *= np.exp(err_drift * shape)
    world.shared_lat *= np.exp(lat_drift * shape)
    world.notes.append(f"time-of-day drift: traffic x{ratio:.2f} over the window, error ratio "
                       f"x{math.exp(err_drift):.2f} and latency x{math.exp(lat_drift):.2f} on both sides")


def add_traffic_swings(world: World) -> None:
    rng, n = world.rng, world.length
    world.alpha, world.gamma = max(world.alpha, rng.uniform(0.2, 0.6)), max(world.gamma, rng.uniform(0.1, 0.3))
    for _ in range(int(rng.integers(1, 4))):
        start, duration = int(rng.integers(0, n)), int(rng.integers(1, 5))
        burst = rng.random() < 0.5
        factor = rng.uniform(1.8, 4.0) if burst else rng.uniform(0.15, 0.6)
        world.traffic[start:start + duration] *= factor
        last = min(n, start + duration) - 1
        world.notes.append(f"traffic {'burst' if burst else 'dip'} x{factor:.1f} at {span(start, last)}")


def add_shared_incident(world: World) -> None:
    rng, n = world.rng, world.length
    for _ in range(int(rng.integers(1, 3))):
        start, duration = int(rng.integers(0, n)), int(rng.integers(1, 7))
        end, parts = min(n, start + duration), []
        if rng.random() < 0.75:
            extra = loguniform(rng, 0.005, 0.2)
            world.shared_err_add[start:end] += extra
            parts.append(f"+{extra:.1%} errors")
        if not parts or rng.random() < 0.6:
            slow = rng.uniform(1.3, 3.0)
            world.shared_lat[start:end] *= slow
            parts.append(f"latency x{slow:.1f}")
        world.notes.append(f"dependency incident at {span(start, end - 1)} hits both sides ({', '.join(parts)})")
    if not {"error_ratio", "success_ratio"} & set(world.signal):
        world.signal.append(str(rng.choice(["error_ratio", "latency_p99"])))


def add_scrape_gaps(world: World) -> None:
    rng, n = world.rng, world.length
    for _ in range(int(rng.integers(1, 4))):
        start = int(rng.integers(0, n))
        end = min(n, start + int(rng.integers(1, 5)))
        if (~world.scrape_ok).sum() + end - start > 0.25 * n:
            break
        world.scrape_ok[start:end] = False
        world.notes.append(f"Prometheus down at {span(start, end - 1)} (both sides null)")


def add_small_difference(world: World) -> None:
    rng = world.rng
    err, lat = rng.uniform(0.92, 1.10), rng.uniform(0.97, 1.05)
    mem, cpu = rng.uniform(0.97, 1.06), rng.uniform(0.96, 1.06)
    world.canary.err_mult *= err
    world.canary.lat_scale *= lat
    world.canary.mem_scale *= mem
    world.canary.cpu_scale *= cpu
    world.notes.append(f"harmless canary difference: errors x{err:.2f}, latency x{lat:.2f}, "
                       f"memory x{mem:.2f}, CPU x{cpu:.2f}")


def add_warmup(world: World) -> None:
    rng, fx = world.rng, world.canary
    first = rng.uniform(1.1, 1.6)
    fx.lat_scale[0] *= first
    fx.cpu_scale[0] *= rng.uniform(1.1, 1.5)
    text = f"canary warm-up: latency x{first:.2f} in interval 0"
    if world.length > 1 and rng.random() < 0.6:
        second = 1 + (first - 1) * rng.uniform(0.2, 0.5)
        fx.lat_scale[1] *= second
        text += f", x{second:.2f} in interval 1"
    if rng.random() < 0.3:
        blip = rng.uniform(0.0005, 0.004)
        fx.err_add[0] += blip
        text += f", +{blip:.2%} errors in interval 0"
    world.notes.append(text)
    if not any(k.startswith("latency") for k in world.signal):
        world.signal.append(str(rng.choice(["latency_p50", "latency_p95", "latency_p99"], p=[0.2, 0.3, 0.5])))


def make_plain_noise(world: World) -> None:
    world.notes.append("identical behaviour; only sampling noise and wander")


def make_low_traffic(world: World) -> None:
    rng = world.rng
    world.weight = int(rng.choice([1, 2, 5], p=[0.45, 0.35, 0.2]))
    expected = loguniform(rng, 0.3, 10)
    world.base_rps = max(0.5, expected / (world.weight / 100 * world.interval))
    world.stable_pods, world.canary_pods, world.per_pod_throughput = int(rng.integers(2, 5)), 1, False
    world.error_counts = bool(rng.random() < 0.75)
    world.signal.append("error_ratio")
    world.notes.append(f"tiny traffic: {world.base_rps:.1f} rps in all, canary expects "
                       f"{canary_requests_per_interval(world):.1f} requests per interval (often 0)")


# ------------------------------------------------------------------------------ bad releases


def make_error_step(world: World) -> None:
    rng, n = world.rng, world.length
    onset = onset_for(rng, n, 4)
    size = rng.choice(["modest", "medium", "large"], p=[0.35, 0.4, 0.25])
    mult = {"modest": rng.uniform(2, 3), "medium": rng.uniform(3, 10)}.get(size, loguniform(rng, 10, 100))
    delta = max(world.base_err * (mult - 1), 1e-3)  # under +0.1% of requests is within a 99.9% SLO
    bad_requests = canary_requests_per_interval(world) * (n - onset)
    if bad_requests * delta < 10:
        ensure_canary_requests(world, 10 / (delta * (n - onset)))
        delta = max(delta, min(0.5, 10 / (canary_requests_per_interval(world) * (n - onset))))
    if rng.random() < 0.6:
        world.canary.err_add[onset:] += delta
        how = "a broken code path"
    else:
        world.canary.err_mult[onset:] *= 1 + delta / world.base_err
        how = "amplified dependency errors"
    world.signal.append(str(rng.choice(["error_ratio", "success_ratio"], p=[0.85, 0.15])))
    set_bad(world, onset, f"canary error ratio x{1 + delta / world.base_err:.1f} (+{delta:.2%} of requests, "
                          f"{how}) from interval {onset}")


def make_latency_regression(world: World) -> None:
    rng, n, model = world.rng, world.length, world.latency
    onset = onset_for(rng, n, 4)
    key = str(rng.choice(["latency_p99", "latency_p95", "latency_p50"], p=[0.5, 0.3, 0.2]))
    ensure_percentile_volume(world, key)
    size = rng.choice(["modest", "medium", "large"], p=[0.35, 0.4, 0.25])
    target = {"modest": rng.uniform(0.1, 0.25), "medium": rng.uniform(0.25, 0.6)}.get(size, rng.uniform(0.6, 1.0))
    q, scale, tail = QUANTILES[key], 1.0, None
    if key == "latency_p99" and rng.random() < 0.4:
        tail = tail_scale_for(model, q, target)
    if tail is None:
        scale = 1 + target
        while model.observed_quantile(q, scale) / model.observed_quantile(q) - 1 < 0.1 and scale < 3:
            scale *= 1.1
    seen = model.observed_quantile(q, scale, tail or 1.0) / model.observed_quantile(q) - 1
    ramp = ramp_profile(rng, n, onset)
    world.canary.lat_scale *= 1 + (scale - 1) * ramp
    world.canary.tail_scale *= 1 + ((tail or 1.0) - 1) * ramp
    world.signal.append(key)
    cause = f"slow path x{tail:.1f} slower" if tail else f"all requests x{scale:.2f} slower"
    ramp_text = f", ramping in over {int((ramp[onset:] < 1).sum()) + 1} intervals" if ramp[onset] < 1 else ""
    set_bad(world, onset, f"{key.split('_')[1]} +{seen:.0%} ({cause}) from interval {onset}{ramp_text}")


def tail_scale_for(model: Latency, q: float, target: float) -> float | None:
    """Slow-path slowdown that moves the reported percentile by ``target``, or None if it cannot."""
    base = model.observed_quantile(q)
    gain = lambda f: model.observed_quantile(q, 1.0, f) / base - 1  # noqa: E731
    low, high = 1.0, 30.0
    if gain(high) < target:
        return None
    for _ in range(40):
        mid = math.sqrt(low * high)
        low, high = (mid, high) if gain(mid) < target else (low, mid)
    return high


def ramp_profile(rng: np.random.Generator, n: int, onset: int) -> np.ndarray:
    """0 before onset, 1 after; a quarter of the time it ramps in over 2-3 intervals."""
    profile = (np.arange(n) >= onset).astype(float)
    if rng.random() < 0.25:
        steps = int(rng.integers(2, 4))
        for k in range(steps):
            if onset + k < n:
                profile[onset + k] = (k + 1) / (steps + 1)
    return profile


def make_latency_leak(world: World) -> None:
    rng, n = world.rng, world.length
    onset = onset_for(rng, n, 8)
    key = str(rng.choice(["latency_p99", "latency_p95", "latency_p50"], p=[0.5, 0.3, 0.2]))
    ensure_percentile_volume(world, key)
    end_gain = rng.uniform(0.3, 2.0)
    growth = np.clip((np.arange(n) - onset + 1) / (n - onset), 0, None)
    world.canary.lat_scale *= 1 + end_gain * growth
    world.signal.append(key)
    per_min = end_gain / ((n - onset) * world.interval / 60)
    set_bad(world, onset, f"canary latency grows steadily from interval {onset} (~{per_min:.1%} per minute, "
                          f"+{end_gain:.0%} by the end)")


def make_memory_leak(world: World) -> None:
    rng, n = world.rng, world.length
    onset = 0 if rng.random() < 0.7 else onset_for(rng, n, 8)
    end_gain = rng.uniform(0.2, 1.5)
    growth = np.clip((np.arange(n) - onset + 1) / (n - onset), 0, None)
    world.canary.mem_scale *= 1 + end_gain * growth
    world.signal.append("memory")
    mib_per_min = world.mem_bytes * end_gain / ((n - onset) * world.interval / 60) / 2**20
    set_bad(world, onset, f"canary memory leaks ~{mib_per_min:.1f} MiB/min per pod from interval {onset} "
                          f"(+{end_gain:.0%} by the end, heading for OOM)")


def make_intermittent_errors(world: World) -> None:
    rng, n = world.rng, world.length
    start = onset_for(rng, n, 8)
    hits = np.flatnonzero(rng.random(n - start) < rng.uniform(0.15, 0.4)) + start
    if len(hits) < 3:
        hits = np.sort(rng.choice(np.arange(start, n), size=3, replace=False))
    height = loguniform(rng, max(5 * world.base_err, 0.005), 0.2)
    if canary_requests_per_interval(world) * height < 4:
        ensure_canary_requests(world, 4 / height)
        height = max(height, min(0.5, 4 / canary_requests_per_interval(world)))
    world.canary.err_add[hits] += height * rng.uniform(0.5, 1.5, len(hits))
    world.signal.append(str(rng.choice(["error_ratio", "success_ratio"], p=[0.85, 0.15])))
    set_bad(world, int(hits[0]), f"canary fails ~{height:.1%} of requests in {len(hits)} of {n - start} "
                                 f"intervals from interval {hits[0]} (intermittent)")


def make_crash_loop(world: World) -> None:
    rng, n, fx = world.rng, world.length, world.canary
    onset = 0 if rng.random() < 0.5 else onset_for(rng, n, 4)
    ensure_canary_requests(world, 20)
    down = rng.random(n - onset) >= rng.uniform(0.0, 0.3)
    down[0] = True
    idx = np.arange(onset, n)
    fx.up[idx[down]] = False
    absent = rng.random() < 0.5
    if absent:
        fx.reporting[idx[down]] = False
    alive = idx[~down]
    fx.err_add[alive] += rng.uniform(0.02, 0.3)
    fx.lat_scale[alive] *= rng.uniform(1.3, 2.5)
    world.signal.append(str(rng.choice(REQUEST_METRICS)))
    what = "no canary series" if absent else "canary serves 0 requests"
    set_bad(world, onset, f"canary crash-loops from interval {onset}: {what} in {int(down.sum())} of "
                          f"{n - onset} intervals, errors and slow requests in between")


def make_throughput_drop(world: World) -> None:
    rng, n = world.rng, world.length
    onset = onset_for(rng, n, 4)
    ensure_canary_requests(world, 20)
    drop = rng.uniform(0.35 if world.per_pod_throughput else 0.25, 0.8)
    world.canary.served *= 1 - drop * ramp_profile(rng, n, onset)
    world.signal.append("throughput")
    set_bad(world, onset, f"canary serves only {1 - drop:.0%} of its traffic share from interval {onset} "
                          f"(failing readiness, requests shed before the app)")


def set_bad(world: World, onset: int, what: str) -> None:
    world.bad, world.onset, world.what = True, onset, what


GOOD_FAMILIES: dict[str, tuple[float, Callable[[World], None]]] = {
    "good-noise": (9, make_plain_noise),
    "good-diurnal-drift": (7, add_diurnal_drift),
    "good-traffic-swings": (7, add_traffic_swings),
    "good-shared-incident": (8, add_shared_incident),
    "good-low-traffic": (7, make_low_traffic),
    "good-scrape-gaps": (6, add_scrape_gaps),
    "good-small-difference": (6, add_small_difference),
    "good-warmup": (5, add_warmup),
}
BAD_FAMILIES: dict[str, tuple[float, Callable[[World], None]]] = {
    "bad-error-step": (10, make_error_step),
    "bad-latency-regression": (10, make_latency_regression),
    "bad-memory-leak": (5, make_memory_leak),
    "bad-latency-leak": (5, make_latency_leak),
    "bad-intermittent-errors": (5, make_intermittent_errors),
    "bad-crash-loop": (5, make_crash_loop),
    "bad-throughput-drop": (5, make_throughput_drop),
}
FAMILIES = {**GOOD_FAMILIES, **BAD_FAMILIES}
# Nuisances layered on any release (except good-noise) with these probabilities.
BACKGROUND: list[tuple[Callable[[World], None], float]] = [
    (add_diurnal_drift, 0.25), (add_traffic_swings, 0.15), (add_shared_incident, 0.06),
    (add_scrape_gaps, 0.12), (add_warmup, 0.2), (add_small_difference, 0.3),
]


def family_for(seed: int, index: int) -> str:
    """Stratified: every block of 100 scenarios holds each family exactly its odds (45 bad), shuffled."""
    block = [name for name, (odds, _) in FAMILIES.items() for _ in range(int(odds))]
    order = np.random.default_rng([seed, index // len(block)]).permutation(len(block))
    return block[order[index % len(block)]]


def add_background(world: World, own: Callable[[World], None]) -> None:
    for feature, probability in BACKGROUND:
        if world.rng.random() < probability and feature is not own:
            feature(world)
    if world.rng.random() < 0.1:
        world.query_gap_rate = world.rng.uniform(0.02, 0.08)
        world.notes.append("some queries returned nothing (single-metric nulls)")


# ------------------------------------------------------------------------------------ sampling


def simulate(world: World) -> tuple[SideData, SideData]:
    rng = world.rng
    total = rng.poisson(world.base_rps * world.traffic * world.interval)
    to_canary = rng.binomial(total, world.weight / 100)
    stable = simulate_side(world, world.stable, total - to_canary, world.stable_pods, fresh=False)
    canary = simulate_side(world, world.canary, to_canary, world.canary_pods, fresh=True)
    return stable, canary


def simulate_side(world: World, fx: Effects, routed: np.ndarray, pods: int, fresh: bool) -> SideData:
    rng = world.rng
    served = np.where(fx.up, rng.binomial(routed, np.clip(fx.served, 0, 1)), 0)
    errors = rng.binomial(served, error_probability(world, fx))
    return SideData(served, errors, latency_histograms(world, fx, served), memory_gauge(world, fx, pods, fresh),
                    cpu_gauge(world, fx, pods, fresh), fx.reporting & world.scrape_ok, pods)


def error_probability(world: World, fx: Effects) -> np.ndarray:
    own = np.exp(ar1(world.rng, world.length, world.rng.uniform(0.03, 0.12), world.rng.uniform(0.3, 0.7)))
    p = world.base_err * world.traffic**world.alpha * world.shared_err * own * fx.err_mult
    return np.clip(p + world.shared_err_add + fx.err_add, 0, 1)


def latency_histograms(world: World, fx: Effects, served: np.ndarray) -> np.ndarray:
    own = np.exp(ar1(world.rng, world.length, world.rng.uniform(0.01, 0.03), 0.5))
    scale = world.traffic**world.gamma * world.shared_lat * own * fx.lat_scale
    rows = [world.rng.multinomial(int(served[t]), world.latency.bucket_probs(scale[t], fx.tail_scale[t]))
            for t in range(world.length)]
    return np.array(rows)


def memory_gauge(world: World, fx: Effects, pods: int, fresh: bool) -> np.ndarray:
    rng, n = world.rng, world.length
    elapsed = (np.arange(n) + 1) * world.interval
    warm = 1 - world.mem_warm_depth * np.exp(-elapsed / world.mem_warm_tau) if fresh else np.ones(n)
    noise = 1 + rng.normal(0, rng.uniform(0.02, 0.06) / math.sqrt(pods), n)
    memory = world.mem_bytes * world.traffic**0.05 * warm * fx.mem_scale * noise
    return np.where(fx.up, memory, world.mem_bytes * rng.uniform(0.25, 0.5, n))  # restarting pods are young


def cpu_gauge(world: World, fx: Effects, pods: int, fresh: bool) -> np.ndarray:
    rng, n = world.rng, world.length
    share = world.weight / (100 - world.weight)
    per_pod_load = world.traffic * (share * world.stable_pods / world.canary_pods if fresh else 1.0)
    noise = np.exp(rng.normal(0, rng.uniform(0.05, 0.12) / math.sqrt(pods), n))
    cpu = world.cpu_cores * (0.25 + 0.75 * per_pod_load) * fx.cpu_scale * noise
    return np.where(fx.up, cpu, world.cpu_cores * rng.uniform(0.1, 0.4, n))


# ------------------------------------------------------------------------------------- metrics


def choose_metrics(rng: np.random.Generator, signal: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(signal))
    count = max(len(chosen), int(rng.choice([1, 2, 3, 4], p=[0.15, 0.3, 0.3, 0.25])))
    while len(chosen) < count:
        options = [k for k in METRIC_POOL if k not in chosen and not conflicts(k, chosen)]
        odds = np.array([METRIC_POOL[k] for k in options])
        chosen.append(str(rng.choice(options, p=odds / odds.sum())))
    return [chosen[i] for i in rng.permutation(len(chosen))]


def conflicts(key: str, chosen: list[str]) -> bool:
    ratios = {"error_ratio", "success_ratio"}
    return key in ratios and bool(ratios & set(chosen))


def metric_name(world: World, key: str) -> str:
    p = world.proto
    if key.startswith("latency_"):
        return f"{p}_latency_{key.split('_')[1]}_seconds"
    return {
        "error_ratio": f"{p}_error_ratio", "success_ratio": f"{p}_success_ratio", "apdex": f"{p}_apdex",
        "throughput": f"{p}_requests_per_second" + ("_per_pod" if world.per_pod_throughput else ""),
        "memory": "container_memory_working_set_bytes", "cpu": "container_cpu_usage_cores",
    }[key]


def metric_kind(key: str) -> tuple[str, str]:
    if key.startswith("latency_"):
        return "latency", "lower"
    return {"error_ratio": ("error-ratio", "lower"), "success_ratio": ("gauge", "higher"),
            "apdex": ("gauge", "higher"), "throughput": ("throughput", "higher"),
            "memory": ("gauge", "lower"), "cpu": ("gauge", "lower")}[key]


def raw_values(world: World, key: str, side: SideData) -> np.ndarray:
    """Values before masking; NaN where the query itself yields nothing (e.g. 0/0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(side.requests > 0, side.errors / np.maximum(side.requests, 1), np.nan)
    if key == "error_ratio":
        return ratio
    if key == "success_ratio":
        return 1 - ratio
    if key in QUANTILES:
        return np.array([np.nan if (v := histogram_quantile(QUANTILES[key], world.latency.buckets, row)) is None
                         else v for row in side.hist])
    if key == "apdex":
        return apdex(world, side, ratio)
    if key == "throughput":
        return side.requests / world.interval / (side.pods if world.per_pod_throughput else 1)
    return side.memory if key == "memory" else side.cpu


def apdex(world: World, side: SideData, error_ratio: np.ndarray) -> np.ndarray:
    """Apdex with T at the bucket bound nearest the normal p85; failed requests count as frustrated."""
    bounds = world.latency.buckets
    t_idx = int(np.argmin(np.abs(bounds - world.latency.observed_quantile(0.85))))
    f_idx = max(t_idx, int(np.searchsorted(bounds, 4 * bounds[t_idx], side="right")) - 1)
    cumulative = np.cumsum(side.hist, axis=1)
    total = np.maximum(side.requests, 1)
    score = (cumulative[:, t_idx] + (cumulative[:, f_idx] - cumulative[:, t_idx]) / 2) / total
    return np.where(side.requests > 0, score * (1 - error_ratio), np.nan)


def as_series(values: np.ndarray, present: np.ndarray) -> list[float | None]:
    return [rounded(float(v)) if ok and not math.isnan(v) else None for v, ok in zip(values, present)]


def build_metric(world: World, key: str, stable: SideData, canary: SideData) -> dict[str, Any]:
    gaps = world.rng.random(world.length) < world.query_gap_rate
    kind, better = metric_kind(key)
    metric: dict[str, Any] = {"name": metric_name(world, key), "kind": kind, "better": better}
    for label, side in (("stable", stable), ("canary", canary)):
        metric[label] = as_series(raw_values(world, key, side), side.reporting & ~gaps)
    if key == "error_ratio" and world.error_counts:
        for label, side in (("stable", stable), ("canary", canary)):
            present = side.reporting & ~gaps
            metric[f"{label}_requests"] = [int(r) if ok else None for r, ok in zip(side.requests, present)]
    return metric


# ----------------------------------------------------------------------------------- scenarios


def build_scenario(index: int, family: str, stream: np.random.SeedSequence) -> dict[str, Any]:
    rng = np.random.default_rng(stream)
    world = draw_world(rng, family)
    make = FAMILIES[family][1]
    make(world)
    if family != "good-noise":
        add_background(world, make)
    keys = choose_metrics(rng, world.signal)
    stable, canary = simulate(world)
    truth: dict[str, Any] = {"bad": world.bad}
    if world.bad:
        truth["onset_index"] = world.onset
    truth["note"] = "; ".join([world.what] * bool(world.what) + world.notes)
    return {
        "format": FORMAT, "name": f"{family}-{index:04d}", "interval_seconds": world.interval,
        "canary_weight": world.weight, "metrics": [build_metric(world, k, stable, canary) for k in keys],
        "truth": truth,
    }


DEFAULT_COUNT = 500
DEFAULT_SEED = 4242


def generate(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``count`` scenarios; scenario i depends only on (seed, i)."""
    children = np.random.SeedSequence(seed).spawn(count)
    return [build_scenario(i, family_for(seed, i), child) for i, child in enumerate(children)]


family_of = corpus.family_of
write_scenarios = corpus.write_scenarios


def main(argv: list[str] | None = None) -> None:
    corpus.main(generate, __doc__.splitlines()[0], Path("out/bench/heldout"), DEFAULT_COUNT, DEFAULT_SEED, argv)


if __name__ == "__main__":
    main()
