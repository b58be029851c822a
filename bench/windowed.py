"""Windowed canary-release scenarios (``grayrelease.scenario/v1``): what Prometheus queries over rate windows return.

A third corpus, written separately from the judge and from the other two generators (``bench.generator``,
``bench.heldout``), so that its figures do not share their assumptions. Each release is simulated pod by pod
and interval by interval, and each metric is evaluated the way PromQL evaluates it:

* Queries read a rate window of k intervals (``rate(...[1m|2m|5m])``), so the values of consecutive intervals
  overlap. Stable's windows are full from the first interval; a fresh canary's series fill the window as they
  age, so its rates read low at first and its ``histogram_quantile`` percentiles come from few samples.
* Traffic: total rate with diurnal drift, AR(1) wander, bursts and dips; the canary gets its share by mesh weight
  or by replica count, and pods get uneven load-balancing weights.
* Pods: noisy neighbours, JVM warm-up (slow, CPU-hungry fresh pods), GC pauses on a few canary pods, stable pod
  restarts, crash loops; memory per pod grows to its working set and saws with GC.
* Requests are Poisson per interval and split multinomially over pods; errors are binomial with gamma
  over-dispersion; latencies fall multinomially into histogram buckets from a mixture of log-normals delayed by
  pauses, slow dependencies and timeouts.

Good releases feature one nuisance; bad ones a regression from ``truth.onset_index``. Families are allotted per
corpus (exactly 45% bad, shuffled by the seed), so a scenario depends on (seed, count, index); given its family,
it depends only on (seed, index).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus

FORMAT = "grayrelease.scenario/v1"
DEFAULT_COUNT = 400
DEFAULT_SEED = 1
STREAM_SALT = 20240611  # part of every scenario's stream: changing it changes the corpus
WEIGHTS = [1, 2, 5, 10, 20, 50]
WEIGHT_P = [0.08, 0.10, 0.40, 0.20, 0.15, 0.07]
# Relative odds of each family among the good and among the bad releases.
GOOD_FAMILIES = {
    "good-plain": 8, "good-diurnal": 5, "good-wander": 5, "good-traffic-burst": 5, "good-shared-incident": 6,
    "good-scrape-gaps": 5, "good-low-traffic": 5, "good-hardware": 6, "good-warmup": 6, "good-gc-spikes": 6,
    "good-stable-restart": 5, "good-uneven-lb": 5,
}
BAD_FAMILIES = {
    "bad-error-step": 6, "bad-error-additive": 5, "bad-latency-step": 5, "bad-latency-tail": 5,
    "bad-latency-ramp": 4, "bad-latency-leak": 3, "bad-memory-leak": 4, "bad-intermittent-errors": 4,
    "bad-crashloop": 4, "bad-throughput-drop": 3, "bad-endpoint-errors": 4,
}
BAD_SHARE = 0.45
# Families whose regression needs time to show: at least 12 intervals.
SLOW_FAMILIES = ("bad-memory-leak", "bad-latency-leak", "bad-latency-ramp", "bad-intermittent-errors")

PROM_DEFAULT = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
OTEL_DEFAULT = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
ISTIO_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
            300000, 600000, 1800000, 3600000]
QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
# Metric keys: ratios, latency quantiles and mean, per-side and per-pod throughput, per-pod gauges, apdex.
METRIC_POOL = ["err", "succ", "p50", "p90", "p95", "p99", "lat_mean", "tput", "tput_pod", "cpu", "mem", "apdex"]
METRIC_ODDS = [0.22, 0.05, 0.06, 0.06, 0.08, 0.14, 0.05, 0.08, 0.05, 0.09, 0.07, 0.05]
KIND = {
    "err": ("error-ratio", "lower"), "succ": ("gauge", "higher"), "lat_mean": ("latency", "lower"),
    "apdex": ("gauge", "higher"), "tput": ("throughput", "higher"), "tput_pod": ("throughput", "higher"),
    "cpu": ("gauge", "lower"), "mem": ("gauge", "lower"), **{q: ("latency", "lower") for q in QUANTILES},
}
FOREVER = 1e18  # bound of the up-segment of a pod that outlives the simulated span


# ------------------------------------------------------------------------------------------------ helpers


def erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7): numpy has no vectorised erf."""
    x = np.asarray(x, dtype=float)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-a * a)
    return np.sign(x) * y


def normal_cdf(z: np.ndarray) -> np.ndarray:
    return np.clip(0.5 * (1.0 + erf(z / math.sqrt(2.0))), 0.0, 1.0)


def loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def ar1(rng: np.random.Generator, n: int, sigma: float, phi: float, size: int | None = None) -> np.ndarray:
    """Stationary AR(1) series with marginal standard deviation ``sigma``; shape (n,) or (size, n)."""
    shape = (n,) if size is None else (size, n)
    eps = rng.standard_normal(shape)
    out = np.empty(shape)
    innovation = math.sqrt(max(1e-12, 1.0 - phi * phi))
    out[..., 0] = eps[..., 0] * sigma
    for i in range(1, n):
        out[..., i] = phi * out[..., i - 1] + innovation * sigma * eps[..., i]
    return out


def latency_key(q: float) -> str:
    return f"p{int(round(q * 100))}"


def rounded(x: float) -> float:
    """Six significant digits, as a query result would be printed."""
    return float(f"{float(x):.6g}")


def histogram_quantile(q: float, bounds: np.ndarray, cumulative: np.ndarray) -> float | None:
    """PromQL ``histogram_quantile`` on cumulative bucket counts (last entry = +Inf bucket)."""
    total = cumulative[-1]
    if not total > 0:
        return None
    rank = q * total
    b = int(np.searchsorted(cumulative[:len(bounds)], rank, side="left"))
    if b == len(bounds):
        return float(bounds[-1])
    start = 0.0 if b == 0 else bounds[b - 1]
    before = 0.0 if b == 0 else cumulative[b - 1]
    return float(start + (bounds[b] - start) * (rank - before) / (cumulative[b] - before))


class Mixture:
    """Latency in seconds: log-normal components, each delayed by a uniform pause in [lo, hi).

    Pauses (GC, a slow dependency) add to latency rather than scale it, which is what moves p99 and not p50.
    """

    def __init__(self) -> None:
        self.weight: list[float] = []
        self.median: list[float] = []
        self.sigma: list[float] = []
        self.delay_lo: list[float] = []
        self.delay_hi: list[float] = []

    def add(self, weight: float, median: float, sigma: float, delay_lo: float = 0.0, delay_hi: float = 0.0) -> None:
        if weight > 1e-12:
            self.weight.append(weight)
            self.median.append(median)
            self.sigma.append(sigma)
            self.delay_lo.append(delay_lo)
            self.delay_hi.append(delay_hi)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        w = np.array(self.weight)
        return (w / w.sum(), np.array(self.median), np.array(self.sigma), np.array(self.delay_lo),
                np.array(self.delay_hi))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """CDF at ``x``; each uniform delay is integrated by an 8-point midpoint rule."""
        w, med, sg, d0, d1 = self._arrays()
        x = np.asarray(x, dtype=float)
        u = (np.arange(8) + 0.5) / 8
        d = d0[:, None] + (d1 - d0)[:, None] * u[None, :]
        y = x[None, None, :] - d[:, :, None]
        z = (np.log(np.maximum(y, 1e-300)) - np.log(med)[:, None, None]) / sg[:, None, None]
        c = np.where(y > 0, normal_cdf(z), 0.0).mean(axis=1)
        return (w[:, None] * c).sum(axis=0)

    def mean_var(self) -> tuple[float, float]:
        w, med, sg, d0, d1 = self._arrays()
        el = med * np.exp(sg * sg / 2)
        el2 = med * med * np.exp(2 * sg * sg)
        ed = (d0 + d1) / 2
        ed2 = (d0 * d0 + d0 * d1 + d1 * d1) / 3
        m1 = float((w * (el + ed)).sum())
        m2 = float((w * (el2 + 2 * el * ed + ed2)).sum())
        return m1, max(0.0, m2 - m1 * m1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        w, med, sg, d0, d1 = self._arrays()
        idx = rng.choice(len(w), size=n, p=w)
        x = med[idx] * np.exp(sg[idx] * rng.standard_normal(n))
        x += d0[idx] + (d1[idx] - d0[idx]) * rng.random(n)
        return x

    def quantile(self, q: float) -> float:
        grid = np.geomspace(1e-5, 1e3, 4000)
        return float(np.interp(q, self.cdf(grid), grid))


def choose_buckets(rng: np.random.Generator, median: float) -> tuple[np.ndarray, str]:
    """Histogram bounds as instrumentation libraries lay them out (the defaults only when they fit the service)."""
    r = rng.random()
    if r < 0.45 and median >= 0.004:
        return np.array(PROM_DEFAULT), "prometheus-default"
    if r < 0.60 and median >= 0.004:
        return np.array(OTEL_DEFAULT), "otel-default"
    if r < 0.72:
        return np.array([v / 1000.0 for v in ISTIO_MS]), "istio"
    if r < 0.85:
        return np.array([float(f"{v:.4g}") for v in np.geomspace(0.001, 30.0, 72)]), "micrometer-like"
    nice = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05]
    start = max([v for v in nice if v <= median / 3] or [nice[0]])
    n = int(math.ceil(math.log2(max(10.0, 50 * median) / start))) + 1
    return np.array([start * 2 ** i for i in range(n)]), "exponential-x2"


def pod_exposure(segments: list[tuple[float, float]], lo: float, hi: float,
                 taus: list[float]) -> tuple[float, list[float], float | None]:
    """A pod's up time in [lo, hi), the mean of exp(-age/tau) over it for each tau, and its age at hi (None if down).

    The exp(-age/tau) means are the warm-up still left in the interval."""
    up = 0.0
    acc = [0.0] * len(taus)
    age_end = None
    for a, b in segments:
        x0, x1 = max(a, lo), min(b, hi)
        if x1 > x0:
            up += x1 - x0
            a0, a1 = x0 - a, x1 - a
            for i, tau in enumerate(taus):
                acc[i] += tau * (math.exp(-a0 / tau) - math.exp(-a1 / tau))
        if a <= hi - 1e-6 < b:
            age_end = hi - a
    if up > 0:
        acc = [v / up for v in acc]
    return up, acc, age_end


def crash_segments(rng: np.random.Generator, t_start: float, t_crash: float, t_end: float) -> list[tuple[float, float]]:
    """Up segments of a crash-looping pod: healthy [t_start, t_crash), then brief lives between back-offs."""
    segments = []
    a, b = t_start, t_crash
    backoff = 10.0
    while a < t_end:
        segments.append((a, b))
        down = backoff * rng.uniform(0.9, 1.1) + rng.uniform(2, 12)  # back-off + container start
        backoff = min(300.0, backoff * 2)
        a = b + down
        b = a + rng.uniform(4, 45)  # serves briefly, then crashes or fails liveness
    return segments


# ----------------------------------------------------------------------------------------------- release


@dataclass
class SideSeries:
    """What one side produced per simulated interval, and per pod where Prometheus keeps per-pod series."""

    requests: np.ndarray
    errors: np.ndarray
    hist: np.ndarray  # non-cumulative bucket counts, last = +Inf
    latency_sum: np.ndarray
    pod_requests: np.ndarray
    cpu: np.ndarray  # CPU seconds per pod
    up: np.ndarray  # seconds up per pod
    memory: np.ndarray  # bytes per pod at the end of the interval; NaN while down

    @classmethod
    def empty(cls, pods: int, steps: int, buckets: int) -> SideSeries:
        return cls(np.zeros(steps, dtype=np.int64), np.zeros(steps, dtype=np.int64),
                   np.zeros((steps, buckets + 1), dtype=np.int64), np.zeros(steps), np.zeros((pods, steps)),
                   np.zeros((pods, steps)), np.zeros((pods, steps)), np.full((pods, steps), np.nan))


@dataclass
class WindowResult:
    """One side's raw query results over the rate window ending at an analysis interval."""

    requests: int
    errors: int
    hist: np.ndarray
    latency_sum: float
    present: bool  # some pod was up in the window: the side has series
    tput: float
    memory: float | None
    error_series: bool
    cpu: float | None = None
    tput_pod: float | None = None


class Release:
    """One release: parameters, shared processes, pods, the family's effect, simulation, then the queries.

    Intervals are simulated from ``lookback`` before the release so that stable's first window is full; index j
    runs over all ``steps`` simulated intervals, index i over the ``length`` analysis intervals (j = i + lookback).
    """

    def __init__(self, seed: int, index: int, family: str) -> None:
        self.rng = np.random.default_rng([int(seed), int(index), STREAM_SALT])
        self.index = index
        self.family = family
        self.bad = family.startswith("bad-")

    def scenario(self) -> dict[str, Any]:
        self.setup()
        self.processes()
        self.pods()
        self.bad_effects()
        self.simulate()
        return {
            "format": FORMAT, "name": f"{self.family}-{self.index:04d}", "interval_seconds": self.interval,
            "canary_weight": self.weight, "metrics": self.build_metrics(), "truth": self.truth,
        }

    # ------------------------------------------------------------------------------------------ parameters

    def setup(self) -> None:
        rng, family = self.rng, self.family
        self.interval = int(rng.choice([15, 30, 60], p=[0.3, 0.35, 0.35]))
        self.length = int(rng.integers(8, 61))
        if family == "good-diurnal":
            self.interval = 60
            self.length = int(rng.integers(30, 61))
        if family in SLOW_FAMILIES:
            self.length = max(self.length, int(rng.integers(12, 61)))
        self.weight = int(rng.choice(WEIGHTS, p=WEIGHT_P))
        self.base_rps = loguniform(rng, 0.5, 6.0) if family == "good-low-traffic" else loguniform(rng, 0.5, 5000.0)
        window = int(rng.choice([60, 120, 300], p=[0.6, 0.28, 0.12]))
        self.window_steps = max(1, int(round(window / self.interval)))
        self.window_seconds = self.window_steps * self.interval
        self.lookback = self.window_steps - 1
        self.steps = self.length + self.lookback
        self.jvm = bool(rng.random() < 0.45) or family in ("good-warmup", "good-gc-spikes")

        # latency of the service, seconds
        self.median = loguniform(rng, 0.004, 0.35)
        self.sigma = rng.uniform(0.25, 0.7)
        self.tail_p = rng.uniform(0.005, 0.06)
        self.tail_median = self.median * rng.uniform(3, 15)
        self.tail_sigma = rng.uniform(0.4, 0.9)
        self.bounds, self.bucket_kind = choose_buckets(rng, self.median)

        # errors, and how both sides wander together
        self.base_err = loguniform(rng, 2e-5, 2e-2)
        self.err_elasticity = rng.uniform(0.0, 0.5)
        self.lat_elasticity = rng.uniform(0.02, 0.2)
        self.err_wander_sd = rng.uniform(0.1, 0.4)
        self.shared_gamma_k = rng.uniform(3, 15)
        self.side_gamma_k = rng.uniform(15, 80)
        self.lat_wander_sd = rng.uniform(0.01, 0.05)
        self.lat_wander_phi = rng.uniform(0.7, 0.97)
        if family == "good-wander":
            self.lat_wander_sd = rng.uniform(0.06, 0.15)
            self.lat_wander_phi = rng.uniform(0.85, 0.98)
            self.err_wander_sd = rng.uniform(0.4, 0.8)
        if family == "good-diurnal":
            self.lat_elasticity = rng.uniform(0.15, 0.35)
            self.err_elasticity = rng.uniform(0.3, 1.0)

        # CPU and pods: sized so that each pod runs a target number of cores
        self.cpu_per_request = self.median * rng.uniform(0.05, 0.6)
        self.idle_cpu = rng.uniform(0.005, 0.1)
        target_cores = rng.uniform(0.3, 2.5)
        pods = int(np.clip(math.ceil(self.base_rps * self.cpu_per_request / target_cores * rng.uniform(1.0, 1.5)),
                           2, 120))
        share = self.weight / 100.0
        canary_replicas = int(round(pods * share))
        if rng.random() < 0.4 and canary_replicas >= 1 and pods - canary_replicas >= 2:
            self.mode = "replicas"  # the share follows the replica count
            self.canary_pods = canary_replicas
            self.stable_pods = pods - canary_replicas
            self.base_share = self.canary_pods / pods
            self.share_sd = rng.uniform(0.02, 0.08)
        else:
            self.mode = "mesh"
            self.stable_pods = pods
            self.canary_pods = max(1, int(math.ceil(pods * share / (1 - share) - 1e-9)))
            self.base_share = share
            self.share_sd = rng.uniform(0.005, 0.03)
        self.lb_sd = rng.uniform(0.02, 0.15)
        if family == "good-uneven-lb":
            self.lb_sd = rng.uniform(0.3, 0.6)
            self.share_sd = rng.uniform(0.08, 0.25)
        self.per_pod_ratio = (self.base_share / self.canary_pods) / ((1 - self.base_share) / self.stable_pods)

        # warm-up of fresh pods, memory, GC
        if self.jvm:
            self.warm_lat, self.warm_lat_tau = rng.uniform(0.3, 1.5), rng.uniform(8, 25)
            self.warm_cpu, self.warm_cpu_tau = rng.uniform(0.5, 2.0), rng.uniform(20, 90)
            self.mem_warm_depth, self.mem_warm_tau = rng.uniform(0.1, 0.45), rng.uniform(60, 900)
            self.mem_bytes = loguniform(rng, 2.5e8, 3e9)
            self.saw_amp, self.saw_period = rng.uniform(0.02, 0.08), rng.uniform(30, 300)
            self.gc_p = rng.uniform(0.003, 0.02)
        else:
            self.warm_lat, self.warm_lat_tau = rng.uniform(0.0, 0.25), rng.uniform(3, 20)
            self.warm_cpu, self.warm_cpu_tau = rng.uniform(0.0, 0.3), rng.uniform(5, 20)
            self.mem_warm_depth, self.mem_warm_tau = rng.uniform(0.05, 0.3), rng.uniform(60, 600)
            self.mem_bytes = loguniform(rng, 3e7, 8e8)
            self.saw_amp, self.saw_period = rng.uniform(0.003, 0.02), rng.uniform(30, 300)
            self.gc_p = 0.0
        if family == "good-warmup":
            self.warm_lat, self.warm_lat_tau = rng.uniform(1.0, 3.0), rng.uniform(10, 30)
            self.warm_cpu = rng.uniform(1.0, 3.0)
        self.gc_pause = (0.05, 0.8)
        if family == "good-gc-spikes":
            self.gc_p = rng.uniform(0.03, 0.08)
            self.gc_pause = (0.3, 1.5)
        self.neighbour_sd = rng.uniform(0.005, 0.03)
        self.cpu_sd = rng.uniform(0.02, 0.05)

        # canary pods on other hardware: a few percent slower or faster for reasons unrelated to the build
        self.hw_lat = self.hw_cpu = 1.0
        if rng.random() < 0.25 or family == "good-hardware":
            sign = 1.0 if rng.random() < 0.6 else -1.0
            self.hw_lat = 1.0 + sign * rng.uniform(0.01, 0.04)
            self.hw_cpu = 1.0 + sign * rng.uniform(0.01, 0.04)
        self.notes: list[str] = []
        if self.hw_lat != 1.0:
            self.notes.append(f"canary hardware latency x{self.hw_lat:.3f} cpu x{self.hw_cpu:.3f}")

    # ------------------------------------------------------------------------------------------- processes

    def processes(self) -> None:
        """Traffic, canary share and the wander both sides share; dependency incidents; scrape gaps."""
        rng, family, lookback, length, steps = self.rng, self.family, self.lookback, self.length, self.steps
        seconds = (np.arange(-lookback, length) + 0.5) * self.interval
        amp = rng.uniform(0.1, 0.5)
        phase = rng.uniform(0, 2 * math.pi)
        if family == "good-diurnal":
            amp = rng.uniform(0.4, 0.7)
            phase = float(rng.choice([0.0, math.pi])) + rng.uniform(-0.6, 0.6)
        self.diurnal_amp = amp
        diurnal = (1 + amp * np.sin(2 * math.pi * seconds / 86400 + phase)) / (1 + amp * math.sin(phase))
        wander = np.exp(ar1(rng, steps, rng.uniform(0.02, 0.08), rng.uniform(0.6, 0.95)))
        events = np.ones(steps)
        if rng.random() < 0.2 or family == "good-traffic-burst":
            for _ in range(int(rng.integers(1, 4))):
                start = int(rng.integers(0, length)) + lookback
                duration = int(rng.integers(1, 4))
                factor = rng.uniform(1.5, 4.0) if rng.random() < 0.55 else rng.uniform(0.15, 0.7)
                events[start:start + duration] *= factor
                last = min(length, start - lookback + duration) - 1
                self.notes.append(f"traffic x{factor:.2f} at {start - lookback}..{last}")
        self.rate = self.base_rps * diurnal * wander * events
        load = self.rate / self.base_rps
        self.share = np.clip(self.base_share * np.exp(ar1(rng, steps, self.share_sd, 0.9)), 1e-4, 0.95)
        self.lat_shared = np.exp(ar1(rng, steps, self.lat_wander_sd, self.lat_wander_phi)) * load ** self.lat_elasticity
        self.err_shared = (self.base_err * np.exp(ar1(rng, steps, self.err_wander_sd, rng.uniform(0.5, 0.95)))
                           * load ** self.err_elasticity
                           * rng.gamma(self.shared_gamma_k, 1 / self.shared_gamma_k, steps))

        # a dependency slows down (and may fail) part of both sides' requests
        self.inc_frac = np.zeros(steps)
        self.inc_delay = np.zeros(steps)
        self.inc_err = np.zeros(steps)
        self.inc_timeout = rng.uniform(0.5, 5.0)
        if rng.random() < 0.15 or family == "good-shared-incident":
            for _ in range(int(rng.integers(1, 3))):
                start = int(rng.integers(0, length)) + lookback
                duration = int(rng.integers(1, 6))
                dep_frac = rng.uniform(0.05, 0.6)
                delay = loguniform(rng, 0.03, 2.0)
                err = loguniform(rng, 0.002, 0.1) if rng.random() < 0.5 else 0.0
                for j in range(start, min(steps, start + duration)):
                    intensity = rng.uniform(0.5, 1.0)
                    self.inc_frac[j] = dep_frac * intensity
                    self.inc_delay[j] = delay
                    self.inc_err[j] = err * intensity
                self.notes.append(f"shared incident at {start - lookback} for {duration} "
                                  f"(dep {dep_frac:.2f} +{delay:.3f}s err {err:.4f})")

        # analysis intervals where Prometheus has nothing at all
        self.gaps: set[int] = set()
        if rng.random() < 0.2 or family == "good-scrape-gaps":
            n = int(rng.integers(2, 5)) if family == "good-scrape-gaps" else int(rng.integers(1, 3))
            for _ in range(n):
                start = int(rng.integers(0, length))
                self.gaps.update(range(start, min(length, start + int(rng.integers(1, 4)))))
            self.notes.append(f"scrape gaps {sorted(self.gaps)}")
        # the canary's error counter appears with its first error, so the ratio has no series until then
        self.lazy_error_series = bool(rng.random() < 0.25)

    def pods(self) -> None:
        """Up segments (canary pods start just before the release), balancing weights, neighbours, GC pauses."""
        rng, length, lookback = self.rng, self.length, self.lookback
        self.segments = {"stable": [[(-FOREVER, FOREVER)] for _ in range(self.stable_pods)],
                         "canary": [[(-rng.uniform(3, 20), FOREVER)] for _ in range(self.canary_pods)]}
        self.restart_err: dict[tuple[int, int], float] = {}
        if rng.random() < 0.1 or self.family == "good-stable-restart":
            for _ in range(int(rng.integers(1, 3))):
                p = int(rng.integers(0, self.stable_pods))
                i = int(rng.integers(0, length))
                at = (i + rng.uniform(0, 1)) * self.interval
                down = rng.uniform(5, 40)
                self.segments["stable"][p] = [(-FOREVER, at), (at + down, FOREVER)]
                self.restart_err[(p, i + lookback)] = rng.uniform(0.005, 0.05)
                self.notes.append(f"stable pod {p} restart at interval {i}")
        self.lb = {"stable": np.exp(rng.normal(0, self.lb_sd, self.stable_pods)),
                   "canary": np.exp(rng.normal(0, self.lb_sd, self.canary_pods))}
        self.neighbours = {"stable": np.exp(ar1(rng, self.steps, self.neighbour_sd, 0.9, size=self.stable_pods)),
                           "canary": np.exp(ar1(rng, self.steps, self.neighbour_sd, 0.9, size=self.canary_pods))}
        self.mem_offset = {"stable": np.exp(rng.normal(0, 0.03, self.stable_pods)),
                           "canary": np.exp(rng.normal(0, 0.03, self.canary_pods))}
        self.saw_phase = {"stable": rng.uniform(0, self.saw_period, self.stable_pods),
                          "canary": rng.uniform(0, self.saw_period, self.canary_pods)}
        gc = {"stable": rng.random((self.stable_pods, self.steps)) < self.gc_p,
              "canary": rng.random((self.canary_pods, self.steps)) < self.gc_p}
        gc["canary"][:, :lookback] = False
        if self.family == "good-gc-spikes" and not gc["canary"].any():
            gc["canary"][int(rng.integers(0, self.canary_pods)), lookback + int(rng.integers(0, length))] = True
        self.gc = gc
        pauses = int(gc["canary"].sum())
        if pauses:
            self.notes.append(f"{pauses} GC pauses on canary pods")

    # ----------------------------------------------------------------------------------------- bad effects

    def _context(self) -> str:
        return (f"{self.base_rps:.3g} rps total, canary share {self.base_share:.3f} ({self.mode}, "
                f"{self.stable_pods}+{self.canary_pods} pods), query window {self.window_seconds}s, "
                f"{self.bucket_kind} buckets, median {self.median * 1000:.3g}ms, "
                f"base errors {self.base_err:.2g}{', jvm' if self.jvm else ''}")

    def _truth_note(self, what: str, context: str) -> str:
        return what + "; " + context + ("; nuisances: " + "; ".join(self.notes) if self.notes else "")

    def _onset(self, p_zero: float = 0.4) -> int:
        """Regression start: interval 0 with probability ``p_zero``, else early-to-middle of the release."""
        if self.rng.random() < p_zero:
            return 0
        return int(self.rng.integers(2, max(3, min(int(0.6 * self.length), self.length - 4) + 1)))

    def bad_effects(self) -> None:
        """The family's effect on the canary, the metrics it needs to be seen, and the truth."""
        rng, family, length, lookback, steps = self.rng, self.family, self.length, self.lookback, self.steps
        self.bad_err_mult = np.ones(steps)
        self.bad_err_add = np.zeros(steps)
        self.bad_lat_all = np.ones(steps)
        self.bad_slow_frac = 0.0
        self.bad_slow_k = np.ones(steps)
        self.bad_cpu = np.ones(steps)
        self.bad_served = np.ones(steps)
        self.bad_spill = False
        self.bad_leak = 0.0
        self.crash_p = 0.0
        self.fail_fast = bool(rng.random() < 0.7)
        self.fail_timeout = float(rng.choice([1.0, 2.5, 5.0, 10.0, 30.0])) * rng.uniform(0.9, 1.0)
        self.required: list[str] = []
        context = self._context()  # before a bad-error-step redraws the base error ratio
        if not self.bad:
            q = float(rng.choice([0.5, 0.9, 0.95, 0.99]))
            latency = latency_key(q)
            # Every entry is built, and draws, whichever family is featured.
            feature, required = {
                "good-plain": ("no featured nuisance", []),
                "good-diurnal": (f"diurnal drift amplitude {self.diurnal_amp:.2f}, "
                                 f"latency elasticity {self.lat_elasticity:.2f}", []),
                "good-wander": (f"shared latency wander sd {self.lat_wander_sd:.3f}, "
                                f"error wander sd {self.err_wander_sd:.2f}", []),
                "good-traffic-burst": ("traffic bursts/dips", ["tput" if rng.random() < 0.5 else latency]),
                "good-shared-incident": ("shared dependency incident",
                                         [latency if rng.random() < 0.6 else "err_or_succ"]),
                "good-scrape-gaps": ("Prometheus gaps", []),
                "good-low-traffic": (f"low traffic, canary {self.base_rps * self.base_share:.3g} rps", []),
                "good-hardware": ("canary on different hardware",
                                  [[latency, "lat_mean", "cpu"][int(rng.integers(0, 3))]]),
                "good-warmup": (f"JVM warm-up: canary latency x{1 + self.warm_lat:.2f} decaying with tau "
                                f"{self.warm_lat_tau:.0f}s, cpu x{1 + self.warm_cpu:.2f}",
                                [latency if rng.random() < 0.75 else "cpu"]),
                "good-gc-spikes": (f"GC pauses {self.gc_pause[0]}-{self.gc_pause[1]}s, p={self.gc_p:.3f}/pod/interval",
                                   ["p99" if rng.random() < 0.6 else "p95"]),
                "good-stable-restart": ("stable pod restart",
                                        [["mem", "cpu", latency, "err_or_succ"][int(rng.integers(0, 4))]]),
                "good-uneven-lb": (f"uneven load balancing sd {self.lb_sd:.2f}, canary share sd {self.share_sd:.2f}",
                                   ["tput" if rng.random() < 0.5 else "cpu"]),
            }[family]
            self.required = required
            self.truth: dict[str, Any] = {"bad": False, "note": self._truth_note(f"good release: {feature}", context)}
            return

        base_err_before = self.base_err
        if family == "bad-error-step":
            onset = self._onset()
            f = loguniform(rng, 1.5, 20.0)
            if self.base_err * (f - 1) < 3e-4:  # at least +0.03% errors, else nobody could see it
                f = max(f, 1 + 3e-4 / self.base_err)
                if f > 20:
                    f = loguniform(rng, 3.0, 20.0)
                    self.base_err = 3e-4 / (f - 1) * rng.uniform(1.0, 2.0)
            self.bad_err_mult[lookback + onset:] = f
            note = f"error ratio x{f:.2f} from interval {onset} (base {self.base_err:.5f})"
            self.required = ["err_or_succ"]
        elif family == "bad-error-additive":
            onset = self._onset()
            a = max(loguniform(rng, 0.001, 0.05), 0.5 * self.base_err)
            self.bad_err_add[lookback + onset:] = a
            note = f"error ratio +{a:.4f} from interval {onset} (base {self.base_err:.5f})"
            self.required = ["err_or_succ"]
        elif family == "bad-endpoint-errors":
            onset = self._onset()
            e = loguniform(rng, 0.01, 0.1)
            fail = rng.uniform(0.1, 1.0)
            need = max(0.001, 0.5 * self.base_err)
            if e * fail < need:
                fail = min(1.0, need / e)
                e = max(e, need / fail)
            a = e * fail
            self.bad_err_add[lookback + onset:] = a
            self.fail_fast = True
            note = (f"endpoint with {e:.3f} of traffic fails {fail:.2f} of its requests from interval "
                    f"{onset} (+{a:.4f} errors, base {self.base_err:.5f})")
            self.required = ["err_or_succ"]
        elif family == "bad-intermittent-errors":
            onset = self._onset(0.3)
            later = list(range(onset + 1, length))
            count = max(1, int(round(len(later) * rng.uniform(0.15, 0.4))))
            bursts = sorted([onset] + list(rng.choice(later, size=min(count, len(later)), replace=False)))
            for b in bursts:
                self.bad_err_add[lookback + b] = max(loguniform(rng, 0.01, 0.2), self.base_err)
            note = f"intermittent canary error bursts at intervals {[int(b) for b in bursts]}"
            self.required = ["err_or_succ"]
        elif family in ("bad-latency-step", "bad-latency-tail", "bad-latency-ramp", "bad-latency-leak"):
            onset, note = self._latency_regression()
        elif family == "bad-memory-leak":
            onset, note = self._memory_leak()
        elif family == "bad-crashloop":
            onset = 0 if rng.random() < 0.5 else int(rng.integers(1, max(2, min(6, length - 4))))
            self.crash_p = rng.uniform(0.01, 0.1)
            for p in range(self.canary_pods):
                started = self.segments["canary"][p][0][0]
                crash = (onset + rng.uniform(0.05, 0.9)) * self.interval if onset > 0 else started + rng.uniform(5, 40)
                self.segments["canary"][p] = crash_segments(rng, started, crash, (length + 1) * self.interval)
            first = min(s[0][1] for s in self.segments["canary"])
            onset = max(0, int(first // self.interval))
            note = f"canary pods crash-looping from interval {onset} (backoff 10s..300s)"
            self.required = []
        else:  # bad-throughput-drop
            onset = self._onset()
            served = rng.uniform(0.2, 0.7)
            self.bad_served[lookback + onset:] = served
            self.bad_spill = bool(rng.random() < 0.5)
            note = (f"canary serves only {served:.2f} of its share from interval {onset} "
                    f"({'rest fails over to stable' if self.bad_spill else 'rest rejected before the app'})")
            self.required = ["tput"]
        self.err_shared = self.err_shared * (self.base_err / base_err_before)
        self.truth = {"bad": True, "onset_index": int(onset), "note": self._truth_note(note, context)}

    def _latency_regression(self) -> tuple[int, str]:
        """A step, ramp or leak on all latencies, or on a slow path that only a high percentile shows.

        The onset is the first interval at which the percentile is up by 10% or more."""
        rng, family, length, lookback = self.rng, self.family, self.length, self.lookback
        tail = family == "bad-latency-tail" or (family == "bad-latency-ramp" and rng.random() < 0.5)
        q = float(rng.choice([0.99, 0.95, 0.9], p=[0.6, 0.25, 0.15]))
        if family in ("bad-latency-step", "bad-latency-tail"):
            start = self._onset()
            size = loguniform(rng, 0.10, 1.0)
            ramp = np.zeros(length)
            ramp[start:] = 1.0
        elif family == "bad-latency-ramp":
            start = self._onset()
            size = rng.uniform(0.25, 1.0)
            ramp_length = int(rng.integers(3, max(4, int((length - start) / 1.5) + 1)))
            ramp = np.clip((np.arange(length) - start + 1) / ramp_length, 0, 1)
        else:  # leak: grows from the deploy on
            size = rng.uniform(0.3, 1.5)
            ramp = (np.arange(length) + 1) / length
        if tail:
            # slow path on enough requests to move this percentile (all three drawn, one kept)
            self.bad_slow_frac = {0.99: rng.uniform(0.02, 0.05), 0.95: rng.uniform(0.07, 0.12),
                                  0.9: rng.uniform(0.12, 0.2)}[q]
            kmax = self._solve_kappa(q, size)
            self.bad_slow_k[lookback:] = 1 + (kmax - 1) * ramp
            effect = np.array([self._tail_effect(q, k) for k in self.bad_slow_k[lookback:]])
            what = f"p{int(round(q * 100))} (slow path on {self.bad_slow_frac:.3f} of requests)"
            self.required = [latency_key(q)]
        else:
            self.bad_lat_all[lookback:] = 1 + size * ramp
            effect = size * ramp
            what = "all latencies"
            r = rng.random()
            self.required = [latency_key(q)] if r < 0.75 else (["lat_mean"] if r < 0.9 else ["apdex"])
            if rng.random() < 0.4:
                self.bad_cpu[lookback:] = 1 + size * ramp * rng.uniform(0.5, 1.0)
                what += " (cpu-bound, cpu up too)"
        hit = np.nonzero(effect >= 0.10 - 1e-9)[0]
        onset = int(hit[0]) if len(hit) else int(np.argmax(effect))
        kind = {"bad-latency-step": "step", "bad-latency-tail": "step", "bad-latency-ramp": "ramp",
                "bad-latency-leak": "leak"}[family]
        return onset, f"latency {kind} on {what}: +{size * 100:.0f}% at full effect; >=+10% from interval {onset}"

    def _memory_leak(self) -> tuple[int, str]:
        """A linear leak sized to end 1.25-2x above stable, growing until it is 10% up by 70% of the release."""
        self.required = ["mem"]
        length, interval = self.length, self.interval
        end_ratio = self.rng.uniform(1.25, 2.0)
        for _ in range(20):
            age_end = length * interval + 10.0
            warm_left = self.mem_warm_depth * math.exp(-age_end / self.mem_warm_tau)
            self.bad_leak = self.mem_bytes * (end_ratio - 1 + warm_left) / age_end
            ages = (np.arange(length) + 1) * interval + 10.0
            warm = 1 - self.mem_warm_depth * np.exp(-ages / self.mem_warm_tau)
            relative = warm + self.bad_leak * ages / self.mem_bytes
            hit = np.nonzero(relative >= 1.10)[0]
            onset = int(hit[0]) if len(hit) else length - 1
            if onset <= 0.7 * length:
                break
            end_ratio += 0.25
        return onset, (f"memory leak {self.bad_leak * 60 / 1e6:.2f} MB/min per pod (x{end_ratio:.2f} of stable at "
                       f"end); >=+10% from interval {onset}")

    def _base_mixture(self, kappa: float = 1.0) -> Mixture:
        """Steady-state latency, with the slow path (if any) ``kappa`` times slower."""
        mixture = Mixture()
        mixture.add((1 - self.tail_p) * (1 - self.bad_slow_frac), self.median, self.sigma)
        mixture.add((1 - self.tail_p) * self.bad_slow_frac, self.median * kappa, self.sigma)
        mixture.add(self.tail_p, self.tail_median, self.tail_sigma)
        return mixture

    def _tail_effect(self, q: float, kappa: float) -> float:
        if kappa <= 1.0:
            return 0.0
        return self._base_mixture(kappa).quantile(q) / self._base_mixture(1.0).quantile(q) - 1

    def _solve_kappa(self, q: float, size: float) -> float:
        """Slow-path factor that raises the q-quantile by ``size`` (bisection in log space)."""
        lo, hi = 1.0, 2.0
        while self._tail_effect(q, hi) < size and hi < 1e4:
            hi *= 2
        for _ in range(40):
            mid = math.sqrt(lo * hi)
            if self._tail_effect(q, mid) < size:
                lo = mid
            else:
                hi = mid
        return hi

    # ------------------------------------------------------------------------------------------ simulation

    def simulate(self) -> None:
        self.series = {"stable": SideSeries.empty(self.stable_pods, self.steps, len(self.bounds)),
                       "canary": SideSeries.empty(self.canary_pods, self.steps, len(self.bounds))}
        for j in range(self.steps):
            spill = self._step("canary", j, 0.0) if j >= self.lookback else 0.0
            self._step("stable", j, spill)

    def _pod_state(self, side: str, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seconds up per pod in interval j, warm-up left (latency, CPU), and memory at the end of the interval."""
        rng, d = self.rng, self.series[side]
        lo, hi = (j - self.lookback) * self.interval, (j - self.lookback + 1) * self.interval
        pods = len(self.segments[side])
        up, warm_lat, warm_cpu = np.zeros(pods), np.zeros(pods), np.zeros(pods)
        for p in range(pods):
            segments = self.segments[side][p]
            if segments[0][0] <= -FOREVER and len(segments) == 1:
                up[p] = self.interval
                age_end: float | None = FOREVER
            else:
                up[p], (warm_lat[p], warm_cpu[p]), age_end = pod_exposure(segments, lo, hi,
                                                                          [self.warm_lat_tau, self.warm_cpu_tau])
            if age_end is not None:
                memory = self.mem_bytes * self.mem_offset[side][p]
                if age_end < FOREVER:
                    memory *= 1 - self.mem_warm_depth * math.exp(-age_end / self.mem_warm_tau)
                    if side == "canary":
                        memory += self.bad_leak * age_end
                saw = ((hi + self.saw_phase[side][p]) / self.saw_period) % 1.0 - 0.5
                memory *= (1 + self.saw_amp * saw) * (1 + 0.004 * rng.standard_normal())
                d.memory[p, j] = memory
        d.up[:, j] = up
        return up, warm_lat, warm_cpu

    def _step(self, side: str, j: int, spill: float) -> float:
        """Simulate one side's interval j; returns the rate the canary spills over to stable."""
        rng, d, interval = self.rng, self.series[side], self.interval
        canary = side == "canary"
        up, warm_lat, warm_cpu = self._pod_state(side, j)
        pods = len(up)
        up_fraction = up / interval
        served = 1.0 - float(np.prod(1.0 - up_fraction))
        if canary:
            rate = self.rate[j] * self.share[j] * self.bad_served[j]
            spill = self.rate[j] * self.share[j] * (1 - self.bad_served[j]) if self.bad_spill else 0.0
        else:
            rate = self.rate[j] * (1 - self.share[j]) + spill
        n = int(rng.poisson(rate * interval * served)) if served > 0 else 0
        d.requests[j] = n
        weights = self.lb[side] * np.exp(rng.normal(0, self.lb_sd / 3, pods)) * up_fraction
        pod_share = weights / weights.sum() if weights.sum() > 0 else np.zeros(pods)
        pod_requests = rng.multinomial(n, pod_share) if n > 0 else np.zeros(pods, dtype=np.int64)
        d.pod_requests[:, j] = pod_requests

        p_side = self.err_shared[j] * rng.gamma(self.side_gamma_k, 1 / self.side_gamma_k)
        extra_bad = restart_p = crashing = 0.0
        if canary:
            extra_bad = p_side * (self.bad_err_mult[j] - 1) + self.bad_err_add[j]
            hi = (j - self.lookback + 1) * interval
            if self.crash_p > 0 and any(len(s) > 1 and s[0][1] < hi for s in self.segments["canary"]):
                crashing = self.crash_p
        else:
            for (p, restart_j), err in self.restart_err.items():
                if restart_j == j:
                    restart_p += pod_share[p] * err
        p_total = min(1.0, p_side + extra_bad + restart_p + self.inc_err[j] + crashing)
        d.errors[j] = int(rng.binomial(n, p_total)) if n > 0 else 0

        mixture, gc_cpu = self._latency_mixture(side, j, up, warm_lat, pod_share, min(0.95, extra_bad + crashing),
                                                crashing > 0)
        if n > 0:
            c = np.maximum.accumulate(np.clip(mixture.cdf(self.bounds), 0, 1))
            probs = np.clip(np.diff(np.concatenate([[0.0], c, [1.0]])), 0, None)
            d.hist[j] = rng.multinomial(n, probs / probs.sum())
            if n <= 400:
                d.latency_sum[j] = float(mixture.sample(rng, n).sum())
            else:  # the sum of many latencies is normal enough
                mu, var = mixture.mean_var()
                d.latency_sum[j] = n * max(1e-6, mu + math.sqrt(var / n) * rng.standard_normal())

        cpu_mult = self.bad_cpu[j] if canary else 1.0
        hw = self.hw_cpu if canary else 1.0
        busy = self.cpu_per_request * pod_requests * cpu_mult
        cpu = (self.idle_cpu * up + busy) * hw * (1 + self.warm_cpu * warm_cpu)
        cpu *= np.maximum(0.5, 1 + self.cpu_sd * rng.standard_normal(pods))
        cpu += gc_cpu
        d.cpu[:, j] = np.where(up > 0, cpu, 0.0)
        return spill

    def _latency_mixture(self, side: str, j: int, up: np.ndarray, warm_lat: np.ndarray, pod_share: np.ndarray,
                         failing: float, crashing: bool) -> tuple[Mixture, np.ndarray]:
        """The side's latency in interval j, and the CPU its GC pauses burn per pod.

        Pods within 5% of the side's average speed share one component; slower or faster pods (warm-up, other
        hardware, neighbours) and pods in a GC pause get their own. Failed requests fail fast or time out.
        """
        rng, canary = self.rng, side == "canary"
        mult = self.neighbours[side][:, j] * (1 + self.warm_lat * warm_lat)
        if canary:
            mult = mult * self.hw_lat
        pausing = self.gc[side][:, j] & (up > 0)
        groups = []
        normal = (~pausing) & (pod_share > 0)
        average = np.average(mult, weights=np.maximum(pod_share, 1e-12))
        special = normal & (np.abs(mult / max(1e-9, average) - 1) > 0.05)
        normal &= ~special
        if normal.any():
            normal_mult = float(np.average(mult[normal], weights=pod_share[normal]))
            groups.append((pod_share[normal].sum(), normal_mult, 0.0, 0.0))
        for p in np.nonzero(special)[0]:
            groups.append((pod_share[p], mult[p], 0.0, 0.0))
        gc_cpu = np.zeros(len(up))
        for p in np.nonzero(pausing)[0]:
            pause = rng.uniform(*self.gc_pause)
            paused = min(0.5, pause / self.interval * rng.uniform(1.0, 2.0))
            groups.append((pod_share[p], mult[p], pause, paused))
            gc_cpu[p] = pause * rng.uniform(1, 4)
        if not groups:
            groups.append((1.0, 1.0, 0.0, 0.0))
        lat_all = self.bad_lat_all[j] if canary else 1.0
        slow_frac = self.bad_slow_frac if canary else 0.0
        slow_k = self.bad_slow_k[j] if canary else 1.0
        fails = []
        if self.inc_err[j] > 0:
            fails.append((self.inc_err[j], self.inc_timeout, 0.1))
        if failing > 0:
            if self.fail_fast or crashing:
                fails.append((failing, self.median * 0.3, 0.5))
            else:
                fails.append((failing, self.fail_timeout, 0.08))
        failed = min(0.98, sum(f[0] for f in fails))
        mixture = Mixture()
        for group_weight, group_mult, pause, paused in groups:
            scale = group_mult * self.lat_shared[j] * lat_all
            parts = [((1 - self.tail_p) * (1 - slow_frac), self.median * scale, self.sigma),
                     ((1 - self.tail_p) * slow_frac, self.median * scale * slow_k, self.sigma),
                     (self.tail_p, self.tail_median * scale, self.tail_sigma)]
            for part_weight, median, sigma in parts:
                weight = group_weight * part_weight * (1 - failed)
                if weight <= 0:
                    continue
                pieces = [(weight, 0.0, 0.0)]
                if pause > 0:
                    pieces = [(weight * (1 - paused), 0.0, 0.0), (weight * paused, 0.0, pause)]
                hit = self.inc_frac[j]
                for piece_weight, d0, d1 in pieces:
                    if hit > 0:
                        delay = self.inc_delay[j]
                        mixture.add(piece_weight * (1 - hit), median, sigma, d0, d1)
                        mixture.add(piece_weight * hit, median, sigma, d0 + 0.5 * delay, d1 + 1.5 * delay)
                    else:
                        mixture.add(piece_weight, median, sigma, d0, d1)
        for fail_weight, median, sigma in fails:
            mixture.add(fail_weight / max(1e-12, sum(f[0] for f in fails)) * failed, median, sigma)
        return mixture, gc_cpu

    # --------------------------------------------------------------------------------------------- queries

    def query_side(self, side: str, i: int) -> WindowResult:
        """The side's raw results over the window ending at analysis interval i; a canary window starts at deploy."""
        d = self.series[side]
        j = i + self.lookback
        lo = j - self.window_steps + 1
        if side == "canary":
            lo = max(lo, self.lookback)
        hi = j + 1
        present = d.up[:, lo:hi].sum(axis=1) > 0
        requests = int(d.requests[lo:hi].sum())
        memory = d.memory[:, hi - 1]
        memory = memory[np.isfinite(memory)]
        lazy = side == "canary" and self.lazy_error_series
        result = WindowResult(
            requests=requests, errors=int(d.errors[lo:hi].sum()), hist=d.hist[lo:hi].sum(axis=0),
            latency_sum=float(d.latency_sum[lo:hi].sum()), present=bool(present.any()),
            tput=requests / self.window_seconds, memory=float(memory.mean()) if len(memory) else None,
            error_series=not lazy or bool(d.errors[self.lookback:hi].sum() > 0),
        )
        if present.any():
            result.cpu = float((d.cpu[present, lo:hi].sum(axis=1) / self.window_seconds).mean())
            result.tput_pod = float((d.pod_requests[present, lo:hi].sum(axis=1) / self.window_seconds).mean())
        return result

    def choose_metrics(self) -> list[str]:
        """One to four metrics: those the family needs, then others at their usual odds."""
        rng = self.rng
        n = int(rng.choice([1, 2, 3, 4], p=[0.15, 0.3, 0.3, 0.25]))
        chosen: list[str] = []

        def add(key: str) -> None:
            if key not in chosen:
                chosen.append(key)

        for key in self.required:
            if key == "err_or_succ":
                add("err" if rng.random() < 0.75 else "succ")
            elif key == "tput":
                add("tput_pod" if (self.mode == "replicas" and rng.random() < 0.4) else "tput")
            else:
                add(key)
        odds = np.array(METRIC_ODDS)
        if not (self.mode == "replicas" or self.per_pod_ratio > 0.85):
            odds[METRIC_POOL.index("tput_pod")] = 0.0  # per-pod throughput only when pods carry similar loads
        for _ in range(100):
            if len(chosen) >= n:
                break
            key = METRIC_POOL[int(rng.choice(len(METRIC_POOL), p=odds / odds.sum()))]
            if (key == "succ" and "err" in chosen or key == "err" and "succ" in chosen) and rng.random() < 0.8:
                continue
            add(key)
        rng.shuffle(chosen)
        return chosen

    def metric_names(self) -> dict[str, str]:
        rng = self.rng
        prefix = str(rng.choice(["http_server_requests", "http_request_duration", "istio_request_duration",
                                 "grpc_server_handling", "request_latency"]))
        return {
            "err": str(rng.choice(["http_error_ratio", "request_error_rate", "http_5xx_ratio", "grpc_error_ratio",
                                   "error_rate"])),
            "succ": str(rng.choice(["availability", "request_success_ratio", "success_rate"])),
            "lat_mean": f"{prefix}_mean_seconds",
            "tput": str(rng.choice(["requests_per_second", "http_requests_rate", "throughput_rps",
                                    "messages_processed_per_second"])),
            "tput_pod": str(rng.choice(["requests_per_second_per_pod", "rps_per_pod"])),
            "cpu": str(rng.choice(["container_cpu_usage_cores", "cpu_cores_per_pod", "process_cpu_usage_cores"])),
            "mem": str(rng.choice(["container_memory_working_set_bytes", "process_resident_memory_bytes"]
                                  + (["jvm_memory_used_bytes"] if self.jvm else []))),
            "apdex": str(rng.choice(["apdex", "apdex_score"])),
            **{q: f"{prefix}_{q}_seconds" for q in QUANTILES},
        }

    def _value(self, key: str, r: WindowResult, apdex_t: int, apdex_4t: int) -> float | None:
        """What the query for ``key`` returns for one side's window (before gaps and absent series)."""
        if key in ("err", "succ"):
            if r.requests == 0 or key == "err" and not r.error_series:
                return None
            return r.errors / r.requests if key == "err" else 1 - r.errors / r.requests
        if key in QUANTILES:
            return histogram_quantile(QUANTILES[key], self.bounds, np.cumsum(r.hist))
        if key == "lat_mean":
            return r.latency_sum / r.requests if r.requests > 0 else None
        if key == "apdex":
            cum = np.cumsum(r.hist)
            return (cum[apdex_t] + (cum[apdex_4t] - cum[apdex_t]) / 2) / cum[-1] if cum[-1] > 0 else None
        if key == "tput":
            return r.tput if r.present else None
        return {"tput_pod": r.tput_pod, "cpu": r.cpu, "mem": r.memory}[key]

    def build_metrics(self) -> list[dict[str, Any]]:
        rng = self.rng
        keys = self.choose_metrics()
        names = self.metric_names()
        results = {side: [self.query_side(side, i) for i in range(self.length)] for side in ("stable", "canary")}
        # Apdex T: the bucket bound below which most requests fall; 4T: the first bound at or above 0.8 x 4T.
        cdf = self._base_mixture(1.0).cdf(self.bounds)
        target = rng.uniform(0.85, 0.97)
        apdex_t = int(np.argmax(cdf >= target)) if (cdf >= target).any() else len(self.bounds) - 1
        apdex_4t = int(np.searchsorted(self.bounds, 4 * self.bounds[apdex_t] * 0.8))
        apdex_4t = min(max(apdex_4t, apdex_t), len(self.bounds) - 1)
        with_requests = rng.random() < 0.6
        float_requests = rng.random() < 0.25  # request counts from rate() x window: not whole numbers
        metrics = []
        for key in keys:
            values: dict[str, list[float | None]] = {"stable": [], "canary": []}
            requests: dict[str, list[float | None]] = {"stable": [], "canary": []}
            for i in range(self.length):
                for side in ("stable", "canary"):
                    r = results[side][i]
                    missing = i in self.gaps or (side == "canary" and not r.present)
                    v = None if missing else self._value(key, r, apdex_t, apdex_4t)
                    values[side].append(None if v is None else rounded(v))
                    if key == "err" and with_requests:
                        if missing:
                            requests[side].append(None)
                        elif float_requests:
                            count = rounded(r.requests * (1 + 0.01 * rng.standard_normal())) if r.requests > 0 else 0.0
                            requests[side].append(max(0.0, count))
                        else:
                            requests[side].append(r.requests)
            if rng.random() < 0.05:  # one query of this metric failed
                i = int(rng.integers(0, self.length))
                values["stable"][i] = values["canary"][i] = None
                if key == "err" and with_requests:
                    requests["stable"][i] = requests["canary"][i] = None
            kind, better = KIND[key]
            metric: dict[str, Any] = {"name": names[key], "kind": kind, "better": better, "stable": values["stable"],
                                      "canary": values["canary"]}
            if key == "err" and with_requests:
                metric["stable_requests"] = requests["stable"]
                metric["canary_requests"] = requests["canary"]
            if key != "mem":  # memory is an instant gauge, not a rate
                metric["query_window_seconds"] = self.window_seconds
            metrics.append(metric)
        return metrics


# ------------------------------------------------------------------------------------------------ corpus


def families_for(seed: int, count: int) -> list[str]:
    """Exactly ``BAD_SHARE`` of the corpus bad, each side split over its families by their odds, then shuffled."""
    rng = np.random.default_rng([int(seed), 977])
    n_bad = int(round(BAD_SHARE * count))
    out: list[str] = []
    for families, n in ((BAD_FAMILIES, n_bad), (GOOD_FAMILIES, count - n_bad)):
        odds = np.array(list(families.values()), dtype=float)
        exact = odds / odds.sum() * n
        base = np.floor(exact).astype(int)
        order = np.argsort(-(exact - base) + rng.random(len(families)) * 1e-6)  # largest remainders, ties at random
        base[order[:n - base.sum()]] += 1
        for name, c in zip(families, base):
            out += [name] * int(c)
    rng.shuffle(out)
    return out


def generate(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``count`` scenarios; scenario i depends on (seed, count, i), and only on (seed, i) given its family."""
    return corpus.build_all(_release_scenario, list(enumerate(families_for(seed, count))), seed)


def _release_scenario(seed: int, index: int, family: str) -> dict[str, Any]:
    return Release(seed, index, family).scenario()


family_of = corpus.family_of
write_scenarios = corpus.write_scenarios


def main(argv: list[str] | None = None) -> None:
    corpus.main(generate, __doc__.splitlines()[0], Path("out/bench/windowed"), DEFAULT_COUNT, DEFAULT_SEED, argv)


if __name__ == "__main__":
    main()
