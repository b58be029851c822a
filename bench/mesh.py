"""Canary releases seen through a service mesh: a corpus simulated from requests up to the query.

What is simulated
-----------------
Each scenario is one canary release of one service behind Istio (about 68 % of releases; its metrics
reported by the destination sidecar in 65 % of them, by the caller's in 35 %) or Linkerd (32 %,
inbound metrics). The mesh splits mesh traffic between the stable and the canary workload by a fixed
VirtualService / TrafficSplit weight (1 % to 50 %; 5 %, 10 % and 20 % most often, recorded as
``canary_weight``); a minority of releases also have callers outside the mesh (5-30 % of the
traffic), which the Kubernetes Service spreads by pod count instead of by weight and which no
source-side proxy reports. The stable side runs 2-100 long-lived pods, the canary 1-5 fresh pods,
sized so that a canary pod carries 0.5-2 times the load of a stable pod; about 20 % of the services
speak gRPC.

Time advances in steps of one Prometheus scrape interval (15 s or 30 s; each scrape target has its
own phase). For every pod and step the model draws Poisson request counts from the service's rate
(0.3-60 requests/s per stable pod; 0.004-0.3 requests/s reach the canary in the low-traffic family)
times a slow trend, AR(1) noise and the family's events. Latency is a lognormal body (median 3-300
ms, 1-80 ms for gRPC; log-sd 0.25-0.7) with a slow-path tail (0.4-4 % of the requests, 3-12 times
slower), scaled by a per-node factor, a shared AR(1) drift, the pod's load (queueing term in its
utilisation) and a fresh pod's warm-up (latency times 1.02-2.5 decaying with a 5-60 s time constant
after a pod's first request; x2-5 with a 10-30 s constant in the warm-up family). Every request
falls into the mesh's real histogram buckets: Envoy's defaults for
``istio_request_duration_milliseconds`` (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
10000, 30000, 60000, 300000, 600000, 1800000, 3600000 ms) or the Linkerd proxy's for
``response_latency_ms`` (1, 2, 3, 4, 5, 10, ... 50000 ms). Errors come in two kinds: deterministic
application errors (HTTP 500, or a non-OK gRPC status carried with HTTP 200) and transient 503-like
failures (resets, refused connections, overflow). The base error ratio is 3e-5 to 8e-3 with an AR(1)
wobble on its log shared by both sides and a small per-side part.

Mesh behaviour: Istio's default retry policy (2 retries of connect-failure, refused-stream,
unavailable, cancelled and 503, on a different host) is on in 85 % of Istio releases, sometimes
widened to 3 retries on any 5xx; retries hide transient failures from the caller-side
(``reporter="source"``) metric but the destination side counts every attempt, and retries of
deterministic errors multiply them there. Linkerd has no retries and reports inbound only. Outlier
detection (40 % of Istio releases; 3, 5 or 10 consecutive 5xx, 30 s base ejection growing with each
ejection, at most 10 % but at least one host per subset) ejects failing pods; locality-aware routing
adds a cross-zone hop to caller-side latency of a canary whose pods cover few zones. HPA adds pods
(cold, optionally under Envoy slow start) when load climbs; overload above 90 % utilisation sheds
503s. Counters are cumulative per series and per pod sidecar (pre-existing stable series start from
their uptime's count), series appear only at their first increment (an error series at the first
error), a sidecar restart resets its counters, a crashing application container leaves its sidecar's
counters flat while the pod is not ready, and an evicted pod's series end and its replacement's
begin.

The query
---------
Each analysis interval (30, 45 or 60 s; 10-50 intervals) the analysis evaluates the mesh's standard
queries the way Prometheus does: ``rate()`` over a 1m, 2m or 5m window (windows overlap from one
interval to the next) on the raw samples of every series, with counter-reset correction, the
extrapolation to the window's edges (1.1 times the mean sample gap, the zero-point limit), no result
for a series with fewer than two samples, ``sum`` per side, and ``histogram_quantile`` (p99, p95 or
p90, sometimes also p50) with Prometheus's bucket interpolation, monotonicity fix and the top finite
bound for the +Inf bucket. The error metric is Flagger's success-rate form (50 %: non-5xx / all;
exported as an error ratio, or as the success percentage, a gauge, in 30 % of those), the 5xx / all
form (30 %: no data while a side has no 5xx series), or that form with ``or vector(0)`` (20 %); gRPC
services are queried on ``grpc_response_status`` except in some Istio releases that keep the HTTP
5xx template and are blind to gRPC status errors (Linkerd classifies gRPC status itself). Some
releases also export the request rate per side (throughput, 25 %) and the request counts behind the
error metric (35 %: ``increase`` over the same window, rounded). No data (null) comes from too few
samples, a side with no requests, a missing error series, scrape gaps and failed queries.

Families (share of the corpus; 55 % good, 45 % bad)
---------------------------------------------------
Good: noise only (9 %); a diurnal ramp multiplying traffic by 1.3-2.6 or its inverse (5 %); traffic
bursts (x1.5-3), dips (x0.05-0.5) and steps, with HPA and overload on both sides (5 %); incidents
that hit both versions: a dependency outage, a mesh config push, a zone losing its network, a slow
dependency (8 %); very low canary traffic (5 %); a canary 1-3 % slower (5 %); scrape gaps, flaky
scrape targets, a Prometheus restart and failed queries (4 %); a pronounced fresh-pod warm-up that
settles within one to two minutes, sometimes with a few start-up errors (5 %); a noisy client
sending a batch of failing requests through the mesh, from outside it (split by pod count) or stuck
to one pod (4 %); mesh churn: HPA scale-out, a sidecar restart, a pod on a bad node ejected by
outlier detection, a slower zone, callers rolling, stable pods replaced (5 %). Bad (the canary
version at fault; onset at the first interval in 45 % of them, otherwise within the first 60 % of
the release): error ratio steps x1.5-20, adding at least 0.0005 (9 %); small absolute additions of
0.0008-0.02 (5 %); latency +10-100 % of the whole distribution (6 %); tail-only regressions moving
the true p99 by 15-100 % (4 %); a leak whose latency and/or errors climb, sometimes to an OOM kill
and restart (5 %); intermittent errors from a flapping dependency or a race (5 %); a crash loop: app
containers restarting with growing back-off, pods evicted and replaced, or pods never ready again (4
%); requests hanging until an application or route timeout of 1-30 s (4 %); gRPC status errors (3
%). Every family except "good-noise" also draws background confounders: a traffic event (12 %), a
shared incident (6 %), a sidecar restart (4 %), a scrape gap (4 %), a noisy client (4 %), a degraded
node under one pod (3 %). ``truth.note`` begins with the regression ("error ratio x5.0 from interval
8", "latency +45% from interval 3", "p99 +39% from interval 5", "leak ...", "intermittent ...",
"crash loop ...", "timeout ...") or with what happened in a good release.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.signal import lfilter
from scipy.special import ndtr

from bench.corpus import build_all, main

DEFAULT_COUNT = 600
DEFAULT_SEED = 41

FAMILIES: tuple[tuple[str, float], ...] = (
    ("good-noise", 0.09),
    ("good-diurnal", 0.05),
    ("good-traffic", 0.05),
    ("good-shared-incident", 0.08),
    ("good-low-traffic", 0.05),
    ("good-small-diff", 0.05),
    ("good-scrape-gap", 0.04),
    ("good-warmup", 0.05),
    ("good-noisy-client", 0.04),
    ("good-mesh-churn", 0.05),
    ("bad-error-step", 0.09),
    ("bad-error-add", 0.05),
    ("bad-latency", 0.06),
    ("bad-latency-tail", 0.04),
    ("bad-leak", 0.05),
    ("bad-intermittent", 0.05),
    ("bad-crashloop", 0.04),
    ("bad-timeout", 0.04),
    ("bad-grpc-status", 0.03),
)

ISTIO_LE_MS = np.array([0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
                        300000, 600000, 1800000, 3600000], dtype=float)
LINKERD_LE_MS = np.array([1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000,
                          4000, 5000, 10000, 20000, 30000, 40000, 50000], dtype=float)

WEIGHTS = (1, 2, 5, 10, 15, 20, 25, 30, 40, 50)
WEIGHT_P = (0.04, 0.03, 0.25, 0.25, 0.05, 0.20, 0.05, 0.05, 0.03, 0.05)
ZONES = 3
INF = 1e18


# --------------------------------------------------------------------------------------------
# corpus plan


def generate(count: int, seed: int, record_windows: bool = False) -> list[dict[str, Any]]:
    """``count`` scenarios of seed ``seed``, in index order; with ``record_windows`` every metric
    records its query's rate window, as the operator reads it off the query."""
    return build_all(_make_windowed if record_windows else _make, _plan(count, seed), seed)


def _plan(count: int, seed: int) -> list[tuple[int, str]]:
    """(index, family) for every scenario: family counts by largest remainder, order shuffled by seed."""
    shares = np.array([share for _, share in FAMILIES])
    exact = shares / shares.sum() * count
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: count - counts.sum()]:
        counts[i] += 1
    families = [name for (name, _), n in zip(FAMILIES, counts) for _ in range(n)]
    order = np.random.default_rng(np.random.SeedSequence([seed, 7])).permutation(len(families))
    return [(i, families[j]) for i, j in enumerate(order)]


def _make(seed: int, index: int, family: str, record_windows: bool = False) -> dict[str, Any]:
    """One scenario: depends only on its seed, index and family."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, zlib.crc32(family.encode())]))
    cfg = _draw_config(rng, family)
    world = _World(cfg, rng)
    onset, note = _FAMILY_FUNCS[family](world, rng)
    series = world.observe()
    doc = _export(f"{family}-{index:03d}", cfg, world, series, family.startswith("bad-"), onset, note)
    if record_windows:
        for metric in doc["metrics"]:
            metric["query_window_seconds"] = cfg.window
    return doc


def _make_windowed(seed: int, index: int, family: str) -> dict[str, Any]:
    return _make(seed, index, family, record_windows=True)


# --------------------------------------------------------------------------------------------
# helpers


def _lu(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Log-uniform draw."""
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _ar1(rng: np.random.Generator, n: int, step: float, tau: float, sigma: float) -> np.ndarray:
    """Stationary AR(1) with time constant ``tau`` seconds and marginal sd ``sigma``."""
    phi = math.exp(-step / max(tau, 1e-6))
    e = rng.standard_normal(n)
    e[0] /= math.sqrt(max(1 - phi * phi, 1e-9))
    return lfilter([sigma * math.sqrt(1 - phi * phi)], [1.0, -phi], e)


def _bucket_probs(le: np.ndarray, med: np.ndarray, sb: float, frac: np.ndarray, ratio: np.ndarray,
                  st: float, shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Per-bucket probability (last entry +Inf) of a lognormal body + lognormal tail shifted by ``shift`` ms."""
    x = le - np.asarray(shift, dtype=float)[..., None]
    lx = np.log(np.maximum(x, 1e-9))
    lm = np.log(med)[..., None]
    tail = ndtr((lx - lm - np.log(ratio)[..., None]) / st)
    cdf = (1 - frac)[..., None] * ndtr((lx - lm) / sb) + frac[..., None] * tail
    cdf = np.where(x > 0, cdf, 0.0)
    cdf = np.concatenate([cdf, np.ones(cdf.shape[:-1] + (1,))], axis=-1)
    return np.diff(cdf, axis=-1, prepend=0.0).clip(0, None)


def _mixture_quantile(q: float, med: float, sb: float, frac: float, ratio: float, st: float) -> float:
    """True quantile of the latency mixture (bisection)."""
    lo, hi = math.log(med) - 8 * sb, math.log(med * ratio) + 8 * st + 8 * sb
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        c = (1 - frac) * ndtr((mid - math.log(med)) / sb) + frac * ndtr((mid - math.log(med * ratio)) / st)
        lo, hi = (mid, hi) if c < q else (lo, mid)
    return math.exp(0.5 * (lo + hi))


# --------------------------------------------------------------------------------------------
# release configuration


def _draw_config(rng: np.random.Generator, family: str) -> SimpleNamespace:
    c = SimpleNamespace(family=family)
    c.mesh = "istio" if rng.random() < 0.68 else "linkerd"
    c.reporter = "destination" if c.mesh == "linkerd" or rng.random() < 0.65 else "source"
    c.grpc = family == "bad-grpc-status" or rng.random() < 0.2
    c.grpc_blind = c.mesh == "istio" and c.grpc and rng.random() < (0.3 if family == "bad-grpc-status" else 0.2)
    c.retries, c.retry_5xx = 0, False
    if c.mesh == "istio" and rng.random() < 0.85:
        c.retries = 2
        if rng.random() < 0.12:
            c.retries, c.retry_5xx = 3, True
    c.outlier = c.mesh == "istio" and rng.random() < 0.4
    c.consecutive = int(rng.choice([5, 3, 10], p=[0.7, 0.15, 0.15]))
    c.locality = c.outlier and rng.random() < 0.8
    c.slow_start = c.mesh == "istio" and rng.random() < 0.2
    c.slow_start_s = float(rng.uniform(30, 120))
    c.interval = int(rng.choice([30, 60, 45], p=[0.42, 0.5, 0.08]))
    c.n = int(rng.integers(10, 51))
    c.window = int(rng.choice([60, 120, 300], p=[0.4, 0.25, 0.35]))
    c.scrape = int(rng.choice([15, 30], p=[0.6, 0.4]))
    c.weight = int(rng.choice(WEIGHTS, p=WEIGHT_P))
    if family == "good-low-traffic":
        c.weight = int(rng.choice([1, 2, 5, 10], p=[0.25, 0.2, 0.35, 0.2]))
    w = c.weight / 100
    c.n_canary = int(rng.choice([1, 2, 3, 4, 5], p=[0.32, 0.3, 0.2, 0.1, 0.08]))
    load_ratio = float(np.clip(math.exp(rng.normal(0, 0.35)), 0.5, 2.0))
    c.n_stable = int(np.clip(round(load_ratio * c.n_canary * (1 - w) / w), 2, 100))
    c.non_mesh = 0.0 if rng.random() < 0.88 else float(rng.uniform(0.05, 0.3))
    if family == "good-low-traffic":
        c.n_canary = int(rng.choice([1, 2], p=[0.7, 0.3]))
        c.n_stable = int(np.clip(round(load_ratio * c.n_canary * (1 - w) / w), 2, 30))
        c.R0 = _lu(rng, 0.004, 0.3) / w
        c.non_mesh = 0.0
    else:
        c.R0 = _lu(rng, 0.3, 60) * c.n_stable / (1 - w)
    rho = (w / c.n_canary) / ((1 - w) / c.n_stable)  # a canary pod's load relative to a stable pod's
    c.u_s = float(rng.uniform(0.15, 0.55)) * min(1.0, 0.7 / max(rho, 1e-9))
    c.cap = c.R0 * (1 - w) / c.n_stable / c.u_s
    c.kappa = float(rng.uniform(0.01, 0.06))
    c.med = _lu(rng, 1, 80) if c.grpc else _lu(rng, 3, 300)
    c.sb = float(rng.uniform(0.25, 0.7))
    c.tf = _lu(rng, 0.004, 0.04)
    c.tr = float(rng.uniform(3, 12))
    c.st = float(rng.uniform(0.35, 0.8))
    c.node_sigma = float(rng.uniform(0.01, 0.06))
    c.lat_sigma = float(rng.uniform(0.02, 0.08))
    c.lat_tau = float(rng.uniform(60, 600))
    c.p_base = _lu(rng, 3e-5, 8e-3)
    c.tr_frac = float(rng.uniform(0.1, 0.7))
    c.err_sigma = float(rng.uniform(0.1, 0.6))
    c.err_tau = float(rng.uniform(30, 600))
    c.rps_sigma = float(rng.uniform(0.02, 0.1))
    c.rps_tau = float(rng.uniform(30, 300))
    c.trend = float(rng.normal(0, 0.12))
    if rng.random() < 0.25:
        c.warm_a, c.warm_tau = float(rng.uniform(0.4, 1.5)), float(rng.uniform(15, 60))
    else:
        c.warm_a, c.warm_tau = _lu(rng, 0.02, 0.4), float(rng.uniform(5, 30))
    c.warm_err, c.warm_err_tau = 0.0, 10.0
    c.p_scrape_fail = _lu(rng, 1e-4, 4e-3)
    c.p_query_fail = 0.0 if rng.random() < 0.6 else _lu(rng, 1e-3, 1.5e-2)
    c.n_callers = int(round(_lu(rng, 2, 24)))
    c.hop = float(rng.uniform(0.2, 1.0))
    c.xz = float(rng.uniform(0.3, 2.0))
    c.q = float(rng.choice([0.99, 0.95, 0.9], p=[0.6, 0.3, 0.1]))
    c.second_q = 0.5 if rng.random() < 0.15 else None
    c.err_style = str(rng.choice(["success", "errors", "errors0"], p=[0.5, 0.3, 0.2]))
    c.success_gauge = c.err_style == "success" and rng.random() < 0.3
    c.throughput = rng.random() < 0.25
    c.counts = rng.random() < 0.35
    c.eval_offset = float(rng.uniform(0, 5))
    c.timeout_ms = None
    c.timeout_counted_dest = True
    c.nc_p = 0.0
    return c


# --------------------------------------------------------------------------------------------
# the simulated world


class _World:
    """Pods, traffic and per-step effect arrays of one release, then the telemetry they produce."""

    def __init__(self, cfg: SimpleNamespace, rng: np.random.Generator) -> None:
        self.c, self.rng = cfg, rng
        c = cfg
        s = float(c.scrape)
        self.evals = (np.arange(c.n) + 1.0) * c.interval + c.eval_offset + rng.uniform(0, 1.0, c.n)
        self.t_base = -(c.window + 4 * s + 60.0)
        self.K = int(math.ceil((self.evals[-1] + 2 * s - self.t_base) / s))
        self.tm = self.t_base + (np.arange(self.K) + 0.5) * s
        self.te = self.t_base + (np.arange(self.K) + 1.0) * s
        trend = np.clip(1 + c.trend * self.tm / 3600.0, 0.3, None)
        self.R = c.R0 * trend * np.exp(_ar1(rng, self.K, s, c.rps_tau, c.rps_sigma))
        self.pods: list[dict[str, Any]] = []
        z0, z1 = int(rng.integers(ZONES)), int(rng.integers(ZONES))
        for i in range(c.n_stable):
            self.add_pod(0, (z0 + i) % ZONES, -INF, -INF, warm=-INF)
        for i in range(c.n_canary):
            self.add_pod(1, (z1 + i) % ZONES, -float(rng.uniform(20, 120)), 0.0, warm=0.0)
        self.zone_factor = np.exp(rng.normal(0, 0.015, ZONES))
        self.gaps: list[tuple[float, float]] = []
        self.flaky: list[tuple[int, float, float, float]] = []  # side, start, end, failure probability
        self.query_fail: list[tuple[float, float]] = []
        self.caller_roll: tuple[float, float] | None = None
        self.nc_R_mesh = np.zeros(self.K)
        self.nc_R_nm = np.zeros(self.K)
        self.nc_pod: dict[int, np.ndarray] = {}
        self.events: list[str] = []
        self.bg: dict[str, bool] | None = None
        self.built = False

    # ---- planning (before build)

    def add_pod(self, side: int, zone: int, start: float, ready: float, warm: float | None = None,
                end: float = INF) -> int:
        self.pods.append(dict(side=side, zone=zone, start=start, ready=ready, end=end,
                              warm=[ready if warm is None else warm], down=[], crashes=[], resets=[],
                              node=float(math.exp(self.rng.normal(0, self.c.node_sigma))), fresh=start > -INF))
        return len(self.pods) - 1

    def side_pods(self, side: int) -> list[int]:
        return [i for i, p in enumerate(self.pods) if p["side"] == side]

    def crash(self, p: int, t: float, down: float, lag: float | None = None) -> None:
        """The app container dies at ``t``: in-flight requests fail, not ready for ``down`` s, then cold."""
        pod = self.pods[p]
        pod["down"].append((t, t + down))
        pod["crashes"].append((t, float(self.rng.uniform(1, 5)) if lag is None else lag))
        pod["warm"].append(t + down)

    def window_idx(self, a: float, b: float) -> np.ndarray:
        return (self.tm >= a) & (self.tm < b)

    def onset(self, p_first: float = 0.45, inside: bool = False) -> tuple[int, float]:
        """A regression's first bad interval and the time it starts within it (from the first
        request when it is interval 0, unless ``inside``: an event somewhere in interval 0)."""
        n = self.c.n
        if self.rng.random() < p_first:
            return 0, float(self.rng.uniform(0.05, 0.95) * self.evals[0]) if inside else 0.0
        k = int(self.rng.integers(1, max(2, int(0.6 * n)) + 1))
        a, b = self.evals[k - 1], self.evals[k]
        return k, float(a + self.rng.uniform(0.05, 0.95) * (b - a))

    def hpa_from_load(self, sides: tuple[int, ...] | None = None) -> None:
        """Pods the HPA adds once the load per pod passes its target (no scale-down within a release)."""
        rng, c = self.rng, self.c
        if sides is None:
            sides = tuple(side for side, p in ((0, 0.7), (1, 0.5)) if rng.random() < p)
        target = float(rng.uniform(max(c.u_s * 1.15, 0.5), 0.8))
        load = self.R / c.R0 * c.u_s
        for side in sides:
            n0 = c.n_stable if side == 0 else c.n_canary
            cap = 100 if side == 0 else 5
            have = n0
            for k in range(self.K):
                want = min(int(math.ceil(n0 * load[k] / target - 1e-9)), cap, n0 + 40)
                if want > have and self.tm[k] > -60:
                    t_start = self.tm[k] + float(rng.uniform(30, 75))
                    for _ in range(want - have):
                        st = t_start + float(rng.uniform(0, 20))
                        self.add_pod(side, int(rng.integers(ZONES)), st, st + float(rng.uniform(5, 20)))
                    have = want
            if have > n0:
                self.events.append(f"HPA added {have - n0} {'canary' if side else 'stable'} pods")

    def sidecar_restart(self, p: int, t: float) -> None:
        """The istio-proxy / linkerd-proxy container restarts: counters reset, a few requests fail."""
        self.pods[p]["resets"].append(t)
        self.crash(p, t, float(self.rng.uniform(3, 10)), lag=float(self.rng.uniform(1, 3)))
        self.pods[p]["warm"].pop()  # the application stays warm

    # ---- background confounders

    def background(self, stage: str) -> None:
        rng = self.rng
        if self.bg is None:
            self.bg = dict(traffic=rng.random() < 0.12, incident=rng.random() < 0.06,
                           restart=rng.random() < 0.04, gap=rng.random() < 0.04,
                           noisy=rng.random() < 0.04, node=rng.random() < 0.03)
        if stage == "pre":
            if self.bg["traffic"]:
                _ev_traffic(self, rng)
                self.hpa_from_load()
            if self.bg["restart"]:
                _ev_sidecar_restart(self, rng)
            if self.bg["gap"]:
                _ev_scrape_gap(self, rng)
        else:
            if self.bg["incident"]:
                _ev_incident(self, rng)
            if self.bg["noisy"]:
                _ev_noisy_client(self, rng)
            if self.bg["node"]:
                _ev_bad_node(self, rng)

    # ---- arrays

    def build(self) -> None:
        K, tm, te = self.K, self.tm, self.te
        P = len(self.pods)
        self.P = P
        self.side = np.array([p["side"] for p in self.pods])
        self.can = self.side == 1
        self.zone = np.array([p["zone"] for p in self.pods])
        self.alive = np.zeros((P, K), bool)
        self.ready = np.zeros((P, K), bool)
        self.age = np.full((P, K), 1e9)
        for i, p in enumerate(self.pods):
            self.alive[i] = (te >= p["start"]) & (te < p["end"])
            r = (tm >= p["ready"]) & (tm < p["end"])
            for a, b in p["down"]:
                r &= ~((tm >= a) & (tm < b))
            self.ready[i] = r
            warm = np.sort(np.array(p["warm"], dtype=float))
            j = np.searchsorted(warm, tm, side="right") - 1
            self.age[i] = np.where(j >= 0, tm - warm[np.clip(j, 0, None)], 1e9)
        self.Lm = np.ones((P, K))
        self.tfm = np.ones((P, K))
        self.trm = np.ones((P, K))
        self.add_det = np.zeros((P, K))
        self.add_tr = np.zeros((P, K))
        self.p_to = np.zeros((P, K))
        self.err_mult = np.ones((P, K))
        self.built = True

    def canary_from(self, t: float) -> np.ndarray:
        return self.can[:, None] & (self.tm >= t)[None, :]

    # ---- telemetry

    def observe(self) -> dict[str, Any]:
        if not self.built:
            self.build()
        c, rng, K, P = self.c, self.rng, self.K, self.P
        s = float(c.scrape)
        w = c.weight / 100
        side = self.side
        side_w = np.where(self.can, w, 1 - w)

        # error probabilities per attempt
        e_sh = _ar1(rng, K, s, c.err_tau, c.err_sigma)
        e_side = np.stack([_ar1(rng, K, s, c.err_tau / 2, 0.12) for _ in range(2)])
        noise = np.exp(e_sh[None, :] + e_side[side] - 0.5 * c.err_sigma ** 2)
        warm_err = c.warm_err * np.exp(-np.clip(self.age, 0, None) / c.warm_err_tau) * (self.age < 1e8)
        p_det = np.clip(c.p_base * (1 - c.tr_frac) * noise * self.err_mult + self.add_det + warm_err, 0, 1)
        p_tr = np.clip(c.p_base * c.tr_frac * noise * self.err_mult + self.add_tr, 0, 1)
        for i, pod in enumerate(self.pods):
            for t, lag in pod["crashes"]:
                k = int((t - self.t_base) // s)
                if 0 <= k < K:
                    p_tr[i, k] = 1 - (1 - p_tr[i, k]) * (1 - min(1.0, lag / s))
        p_to = np.clip(self.p_to, 0, 1)

        # mesh shares, slow start and outlier ejection
        wt = self.ready.astype(float)
        if c.slow_start:
            fresh = np.array([p["fresh"] and p["side"] == 0 for p in self.pods])
            ramp = np.clip(0.1 + 0.9 * self.age / c.slow_start_s, 0.1, 1.0)
            wt = np.where(fresh[:, None], wt * ramp, wt)
        # HTTP 5xx as outlier detection sees it (gRPC status errors ride on HTTP 200)
        e_od = np.clip(p_tr + (0 if c.grpc else p_det) + p_to, 0, 1)
        ejected = self._eject(wt, e_od, side_w) if c.outlier else np.zeros((P, K), bool)
        wt_mesh = wt * ~ejected
        tot = np.stack([wt_mesh[side == k].sum(0) for k in (0, 1)])
        shr = np.where(tot[side] > 0, wt_mesh / np.where(tot[side] > 0, tot[side], 1), 0.0)
        lam_mesh = self.R[None, :] * (1 - c.non_mesh) * side_w[:, None] * shr  # requests/s
        n_ready = self.ready.sum(0)
        lam_nm = np.where(n_ready > 0, self.ready / np.maximum(n_ready, 1), 0.0) * (self.R * c.non_mesh)[None, :]
        nc = self.nc_R_mesh[None, :] * side_w[:, None] * shr
        nc = nc + np.where(n_ready > 0, self.ready / np.maximum(n_ready, 1), 0.0) * self.nc_R_nm[None, :]
        for i, arr in self.nc_pod.items():
            nc[i] += arr * self.ready[i]

        # load, overload shedding
        u = (lam_mesh + lam_nm + nc) / c.cap
        p_tr = np.clip(p_tr + np.clip((u - 0.9) * 1.5, 0, 0.6) * self.ready, 0, 1)

        # retries (caller sidecar, mesh traffic only)
        pbar = np.stack([(shr * p_tr)[side == k].sum(0) for k in (0, 1)])  # (2, K)
        if c.retries:
            a_tr = sum(pbar ** j for j in range(c.retries + 1))
            vis_tr = pbar ** (c.retries + 1)
        else:
            a_tr, vis_tr = np.ones_like(pbar), pbar
        a_det = 1 + c.retries if c.retry_5xx else 1
        att = (1 - p_det) * a_tr[side] + p_det * a_det
        fail_att = ((1 - p_det) * p_tr * a_tr[side] + p_det * a_det) / att
        det_att = p_det * a_det / att

        # latency
        l_sh = _ar1(rng, K, s, c.lat_tau, c.lat_sigma)
        l_side = np.stack([_ar1(rng, K, s, c.lat_tau, c.lat_sigma / 3) for _ in range(2)])
        node = np.array([p["node"] for p in self.pods])
        ut = np.clip(u, 0, 0.95)
        warm = np.where(self.age < 1e8, np.exp(-np.clip(self.age, 0, None) / c.warm_tau), 0.0)
        L = (node[:, None] * self.zone_factor[self.zone][:, None] * np.exp(l_sh[None, :] + l_side[side])
             * (1 + c.kappa * ut / (1 - ut)) * (1 + c.warm_a * warm) * self.Lm)
        frac = np.clip(c.tf * self.tfm * (1 + c.warm_a * warm), 0, 0.5)
        ratio = c.tr * self.trm
        le = ISTIO_LE_MS if c.mesh == "istio" else LINKERD_LE_MS
        B1 = len(le) + 1
        b_to = int(np.searchsorted(le, (c.timeout_ms or 1.0) + float(rng.uniform(0.5, 3.0)), side="left"))
        app_vis = not c.grpc_blind
        nc_vis = c.nc_p if (app_vis or not c.grpc) else 0.0

        ent: dict[str, Any] = {}
        if c.reporter == "destination":
            lam_att = (lam_mesh * att + lam_nm) * s
            q = _bucket_probs(le, c.med * L, c.sb, frac, ratio, c.st)
            H = rng.poisson((lam_att * (1 - p_to))[..., None] * q)
            n_to = rng.poisson(lam_att * p_to)
            H[..., b_to] += n_to
            n_main = H.sum(-1)
            Hn = rng.poisson((nc * s)[..., None] * q)
            n_nc = Hn.sum(-1)
            H += Hn
            e_vis = np.clip(fail_att - (0 if app_vis else det_att), 0, 1)
            err = rng.binomial(n_main - n_to, e_vis) + rng.binomial(n_nc, nc_vis)
            if c.timeout_counted_dest:
                err = err + n_to
            ent["side"] = side.copy()
            ent["target"] = np.arange(P)
            ent["alive"] = self.alive.copy()
            ent["resets"] = [p["resets"] for p in self.pods]
            ent["pre"] = np.array([p["start"] <= -INF for p in self.pods])
            ent["H"], ent["err"] = H, err
            ent["rate_hint"] = (lam_att + nc * s).mean(1) / s
        else:
            hop = np.full(P, c.hop)
            if c.locality:
                cz = len(set(self.zone[self.can].tolist())) if self.can.any() else ZONES
                cross = np.where(self.can, 1 - cz / ZONES, 0.05)
            else:
                cross = np.full(P, 1 - 1 / ZONES)
            hop = hop + c.xz * cross
            qp = _bucket_probs(le, c.med * L, c.sb, frac, ratio, c.st, shift=hop[:, None])
            lam_side = np.stack([lam_mesh[side == k].sum(0) for k in (0, 1)]) * s  # (2, K)
            wgt = np.where(lam_side[side] > 0, lam_mesh * s / np.maximum(lam_side[side], 1e-12), 0.0)
            q_side = np.stack([(wgt[side == k][..., None] * qp[side == k]).sum(0) for k in (0, 1)])  # (2,K,B1)
            p_det_s = np.stack([(wgt * p_det)[side == k].sum(0) for k in (0, 1)])
            p_to_s = np.stack([(wgt * p_to)[side == k].sum(0) for k in (0, 1)])
            Lbar = np.stack([(wgt * L)[side == k].sum(0) for k in (0, 1)])
            Lbar = np.where(Lbar > 0, Lbar, 1.0)
            fbar = np.full_like(Lbar, c.tf)
            q_rt = _bucket_probs(le, c.med * Lbar, c.sb, fbar, np.full_like(Lbar, c.tr), c.st,
                                 shift=c.hop + 20.0 + 5.0 * rng.random())
            rt = np.clip((1 - p_det_s) * (pbar - vis_tr), 0, 1)
            q_side = (1 - rt)[..., None] * q_side + rt[..., None] * q_rt
            s_vis = np.clip((p_det_s if app_vis else 0.0) + (1 - p_det_s) * vis_tr, 0, 1)
            C = c.n_callers
            cs = rng.dirichlet(np.full(C, 6.0))
            n_old = C
            callers_alive = [np.ones(K, bool) for _ in range(C)]
            caller_pre = [True] * C
            if self.caller_roll is not None:
                a, b = self.caller_roll
                for j in range(n_old):
                    t_r = a + (b - a) * j / max(n_old - 1, 1)
                    callers_alive[j] = self.te < t_r
                    callers_alive.append(self.te >= t_r + float(rng.uniform(5, 20)))
                    caller_pre.append(False)
                cs = np.concatenate([cs, cs])
            nC = len(callers_alive)
            calive = np.stack(callers_alive)  # (nC, K)
            # a caller's share of the side's traffic while alive (old and new split the load during a roll)
            cw = cs[:, None] * calive
            cw = cw / np.maximum(cw.sum(0, keepdims=True), 1e-12)
            lam_e = np.concatenate([cw * lam_side[0][None, :], cw * lam_side[1][None, :]])  # (2nC, K)
            sides_e = np.repeat([0, 1], nC)
            qe = q_side[sides_e]
            pto_e = p_to_s[sides_e]
            H = rng.poisson((lam_e * (1 - pto_e))[..., None] * qe)
            n_to = rng.poisson(lam_e * pto_e)
            H[..., b_to] += n_to
            err = rng.binomial(H.sum(-1) - n_to, s_vis[sides_e]) + n_to
            # the noisy client, when it is a mesh caller, reports under its own series (caller 0)
            for k_side in (0, 1):
                lam_nc = self.nc_R_mesh * (w if k_side else 1 - w) * s * (lam_side[k_side] > 0)
                if lam_nc.any():
                    Hn = rng.poisson(lam_nc[:, None] * q_side[k_side])
                    e = k_side * nC
                    H[e] += Hn
                    err[e] += rng.binomial(Hn.sum(-1), nc_vis)
            ent["side"] = sides_e
            ent["target"] = np.tile(np.arange(nC), 2)
            ent["alive"] = np.concatenate([calive, calive])
            ent["resets"] = [[] for _ in range(2 * nC)]
            ent["pre"] = np.array([caller_pre[j] and sd == 0 for sd, j in zip(sides_e, np.tile(np.arange(nC), 2))])
            ent["H"], ent["err"] = H, err
            ent["rate_hint"] = lam_e.mean(1) / s
        return self._query(ent, le)

    def _eject(self, wt: np.ndarray, e_od: np.ndarray, side_w: np.ndarray) -> np.ndarray:
        """Envoy outlier detection per subset: consecutive 5xx eject a host for 30 s x its ejection count."""
        c, rng, K, P = self.c, self.rng, self.K, self.P
        s = float(c.scrape)
        ej = np.zeros((P, K), bool)
        until = np.full(P, -INF)
        count = np.zeros(P)
        n_side = [max(1, int(0.1 * (self.side == k).sum())) for k in (0, 1)]
        viewers = min(c.n_callers, 4)
        for k in range(K):
            active = until > self.tm[k]
            live = wt[:, k] * ~active
            tot = np.array([live[self.side == j].sum() for j in (0, 1)])
            share = np.where(tot[self.side] > 0, live / np.maximum(tot[self.side], 1e-12), 0.0)
            r = self.R[k] * (1 - c.non_mesh) * side_w * share * s / viewers
            e = e_od[:, k]
            hazard = r * (1 - e) * e ** c.consecutive + (e ** c.consecutive) * (r > 1)
            new = (~active) & (wt[:, k] > 0) & (rng.random(P) < 1 - np.exp(-hazard))
            for j in (0, 1):
                room = n_side[j] - int((active & (self.side == j)).sum())
                idx = np.flatnonzero(new & (self.side == j))
                if len(idx) > room:
                    new[idx[max(room, 0):]] = False
            count[new] += 1
            until[new] = self.tm[k] + 30.0 * count[new]
            ej[:, k] = active | new
        n_ej = int(count.sum())
        if n_ej:
            self.events.append(f"outlier detection ejected hosts {n_ej} times")
        return ej

    # ---- Prometheus

    def _query(self, ent: dict[str, Any], le: np.ndarray) -> dict[str, Any]:
        c, rng, K = self.c, self.rng, self.K
        s = float(c.scrape)
        H, err = ent["H"].astype(float), ent["err"].astype(float)
        S = H.shape[0]
        n = H.sum(-1)
        ok = n - err
        Hc = np.cumsum(H, axis=-1)  # cumulative le buckets, last = +Inf

        # segments between counter resets; counters of pre-existing series start from their uptime
        seg_start = np.zeros((S, K), int)
        for e, resets in enumerate(ent["resets"]):
            for t in resets:
                k = int(np.clip((t - self.t_base) // s, 0, K - 1))
                seg_start[e, k:] = k

        def cumulate(x: np.ndarray, offset: np.ndarray) -> np.ndarray:
            cs = np.cumsum(x, axis=1)
            extra = (1,) * (x.ndim - 2)
            prev = np.concatenate([np.zeros_like(cs[:, :1]), cs[:, :-1]], axis=1)
            base = np.take_along_axis(prev, seg_start.reshape(seg_start.shape + extra), axis=1)
            first = (seg_start == 0).reshape(seg_start.shape + extra)
            return cs - base + np.where(first, offset, 0.0)

        uptime = np.array([_lu(rng, 3600, 864000) for _ in range(S)]) * ent["pre"]
        tot0 = ent["rate_hint"] * uptime
        mean_share = Hc.sum(1) / np.maximum(Hc[:, :, -1:].sum(1), 1)
        hist0 = np.round(tot0[:, None] * mean_share)
        err0 = rng.poisson(tot0 * c.p_base).astype(float)
        ok0 = np.round(tot0) - err0
        V_h = cumulate(Hc, hist0[:, None, :])
        V_ok = cumulate(ok, ok0[:, None])
        V_err = cumulate(err, err0[:, None])

        def created(v: np.ndarray) -> np.ndarray:
            # a series exists from its first increment within its segment (or from the start if pre-existing)
            return v > 0

        targets = ent["target"]
        n_t = int(targets.max()) + 1
        scr = rng.random((n_t, K)) >= c.p_scrape_fail
        for a, b in self.gaps:
            scr &= ~((self.te >= a) & (self.te < b))[None, :]
        scr_e = scr[targets]
        for sd, a, b, pf in self.flaky:
            m = (ent["side"] == sd)[:, None] & ((self.te >= a) & (self.te < b))[None, :]
            scr_e &= ~(m & (rng.random((S, K)) < pf))
        for e, resets in enumerate(ent["resets"]):
            for t in resets:  # the proxy's metrics endpoint is down while it restarts
                k = int((t - self.t_base) // s)
                if 0 <= k < K:
                    scr_e[e, k] = False
        base_p = ent["alive"] & scr_e
        P_h = base_p & created(V_h[:, :, -1])
        P_ok = base_p & created(V_ok)
        P_err = base_p & created(V_err)

        phase = rng.uniform(0, s, n_t)[targets]
        T, W = self.evals, float(c.window)
        inc_h, val_h = _increase(V_h, P_h, phase, self.t_base, s, T, W)
        inc_ok, val_ok = _increase(V_ok[..., None], P_ok, phase, self.t_base, s, T, W)
        inc_err, val_err = _increase(V_err[..., None], P_err, phase, self.t_base, s, T, W)

        out: dict[str, Any] = {}
        for sd, key in ((0, "stable"), (1, "canary")):
            m = ent["side"] == sd
            hv = val_h[m]
            hist = np.where(hv[..., None], inc_h[m], 0.0).sum(0) / W  # (E, B1)
            has_h = hv.any(0)
            okr = np.where(val_ok[m], inc_ok[m][..., 0], 0.0).sum(0) / W
            has_ok = val_ok[m].any(0)
            er = np.where(val_err[m], inc_err[m][..., 0], 0.0).sum(0) / W
            has_err = val_err[m].any(0)
            total = okr + er
            has_tot = has_ok | has_err
            with np.errstate(invalid="ignore", divide="ignore"):
                if c.err_style == "success":
                    okv = np.where(has_ok & has_tot & (total > 0), okr / np.where(total > 0, total, 1), np.nan)
                    ratio = 1 - okv
                elif c.err_style == "errors":
                    ratio = np.where(has_err & (total > 0), er / np.where(total > 0, total, 1), np.nan)
                else:
                    ratio = np.where(has_tot & (total > 0), er / np.where(total > 0, total, 1), np.nan)
            quant = {}
            for qq in (c.q, c.second_q):
                if qq is not None:
                    quant[qq] = np.where(has_h, _histogram_quantile(qq, le, hist), np.nan)
            out[key] = dict(ratio=ratio, quant=quant, rate=np.where(has_tot, total, np.nan),
                            count=np.where(has_tot, total * W, np.nan))

        fail = rng.random(c.n) < c.p_query_fail
        for a, b in self.query_fail:
            fail |= (T >= a) & (T < b)
        out["fail"] = fail
        return out


def _increase(V: np.ndarray, present: np.ndarray, phase: np.ndarray, t_base: float, s: float,
              T: np.ndarray, W: float) -> tuple[np.ndarray, np.ndarray]:
    """Prometheus ``increase(x[W])`` at every evaluation time for every series (extrapolated).

    ``V``: (series, steps, channels) raw counter samples, the sample of step k taken at
    ``t_base + (k+1)s + phase``; ``present``: whether that sample exists. Returns (series, evals,
    channels) and whether each series had the two samples a result needs."""
    S, K, X = V.shape
    kk = np.arange(K)
    prev_incl = np.maximum.accumulate(np.where(present, kk, -1), axis=1)
    prev_strict = np.concatenate([np.full((S, 1), -1), prev_incl[:, :-1]], axis=1)
    next_incl = np.minimum.accumulate(np.where(present, kk, K)[:, ::-1], axis=1)[:, ::-1]
    cnt = np.concatenate([np.zeros((S, 1), int), np.cumsum(present, axis=1)], axis=1)
    pv = np.take_along_axis(V, np.clip(prev_strict, 0, None)[:, :, None], axis=1)
    drop = (present & (prev_strict >= 0))[:, :, None] & (V < pv)
    Vc = V + np.cumsum(np.where(drop, pv, 0.0), axis=1)

    rel = (T[None, :] - t_base - phase[:, None]) / s
    kl = np.clip(np.floor(rel).astype(int) - 1, -1, K - 1)  # last sample at or before T
    kf = np.clip(np.floor(rel - W / s).astype(int), 0, K)  # first sample after T - W (left-open range)
    rows = np.arange(S)[:, None]
    nsamp = np.where(kl + 1 >= kf, cnt[rows, kl + 1] - cnt[rows, np.minimum(kf, K)], 0)
    valid = nsamp >= 2
    f = next_incl[rows, np.clip(kf, 0, K - 1)]
    l_ = prev_incl[rows, np.clip(kl, 0, K - 1)]
    f = np.where(valid, f, 0)
    l_ = np.where(valid, l_, 1)
    Vf, Vl, raw_f = Vc[rows, f], Vc[rows, l_], V[rows, f]
    tf = t_base + (f + 1) * s + phase[:, None]
    tl = t_base + (l_ + 1) * s + phase[:, None]
    inc = Vl - Vf
    sampled = np.where(valid, tl - tf, 1.0)
    avg = sampled / np.maximum(nsamp - 1, 1)
    dts = (tf - (T[None, :] - W))[..., None]
    dte = (T[None, :] - tl)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        dtz = np.where((inc > 0) & (raw_f >= 0), sampled[..., None] * raw_f / np.where(inc > 0, inc, 1), np.inf)
    dts = np.minimum(dts, dtz)
    thr = (1.1 * avg)[..., None]
    half = (avg / 2)[..., None]
    ext = sampled[..., None] + np.where(dts < thr, dts, half) + np.where(dte < thr, dte, half)
    res = inc * ext / sampled[..., None]
    return np.where(valid[..., None], res, np.nan), valid


def _histogram_quantile(q: float, le: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """PromQL ``histogram_quantile`` over summed cumulative bucket rates (E, B+1; last = +Inf)."""
    cum = np.maximum.accumulate(cum, axis=1)
    total = cum[:, -1]
    B = len(le)
    rank = q * total
    reach = cum[:, :B] >= rank[:, None]
    b = np.where(reach.any(1), reach.argmax(1), B)
    rows = np.arange(len(cum))
    bb = np.clip(b, 0, B - 1)
    start = np.where(bb > 0, le[np.clip(bb - 1, 0, None)], 0.0)
    below = np.where(bb > 0, cum[rows, np.clip(bb - 1, 0, None)], 0.0)
    inb = cum[rows, bb] - below
    with np.errstate(divide="ignore", invalid="ignore"):
        v = start + (le[bb] - start) * (rank - below) / inb
    v = np.where(b >= B, le[B - 1], v)
    return np.where(total > 0, v, np.nan)


# --------------------------------------------------------------------------------------------
# events shared by families (confounders: none is the canary version's fault)


def _ev_traffic(w: _World, rng: np.random.Generator, kind: str | None = None) -> str:
    kind = kind or str(rng.choice(["burst", "dip", "step"], p=[0.5, 0.35, 0.15]))
    t_end = w.evals[-1]
    a = float(rng.uniform(-60, 0.85 * t_end))
    ramp = float(rng.uniform(10, 60))
    if kind == "burst":
        f, dur = float(rng.uniform(1.5, 3.0)), float(rng.uniform(60, 360))
    elif kind == "dip":
        f, dur = float(rng.uniform(0.05, 0.5)), float(rng.uniform(60, 480))
    else:
        f, dur = float(np.exp(rng.uniform(math.log(0.5), math.log(2.0)))), INF
    prof = np.clip((w.tm - a) / ramp, 0, 1) * np.clip((a + dur + ramp - w.tm) / ramp, 0, 1)
    w.R = w.R * (1 + (f - 1) * prof)
    k = int(np.searchsorted(w.evals, a))
    desc = f"traffic {kind} x{f:.2f} from interval {min(k, w.c.n - 1)}"
    w.events.append(desc)
    return desc


def _ev_sidecar_restart(w: _World, rng: np.random.Generator, side: int | None = None) -> str:
    side = int(rng.random() < 0.5) if side is None else side
    pods = w.side_pods(side)
    p = int(rng.choice(pods))
    t = float(rng.uniform(0, w.evals[-1]))
    w.sidecar_restart(p, t)
    desc = f"{'canary' if side else 'stable'} pod sidecar restarted (counter reset)"
    w.events.append(desc)
    return desc


def _ev_scrape_gap(w: _World, rng: np.random.Generator, kind: str | None = None) -> str:
    kind = kind or str(rng.choice(["gap", "flaky", "restart", "queries"], p=[0.35, 0.25, 0.25, 0.15]))
    t_end = w.evals[-1]
    a = float(rng.uniform(0, 0.85 * t_end))
    if kind == "gap":
        dur = float(rng.uniform(45, 300))
        w.gaps.append((a, a + dur))
        desc = f"Prometheus missed all scrapes for {dur:.0f} s"
    elif kind == "flaky":
        sd = int(rng.random() < 0.5)
        dur = float(rng.uniform(120, 600))
        w.flaky.append((sd, a, a + dur, float(rng.uniform(0.2, 0.6))))
        desc = f"{'canary' if sd else 'stable'} scrape targets flaky for {dur:.0f} s"
    elif kind == "restart":
        dur = float(rng.uniform(60, 240))
        w.gaps.append((a, a + dur))
        w.query_fail.append((a, a + dur * float(rng.uniform(0.5, 1.0))))
        desc = f"Prometheus restarted ({dur:.0f} s without scrapes, queries failing)"
    else:
        w.c.p_query_fail = max(w.c.p_query_fail, float(rng.uniform(0.03, 0.1)))
        desc = "metrics queries failing now and then"
    w.events.append(desc)
    return desc


def _ev_incident(w: _World, rng: np.random.Generator, kind: str | None = None) -> str:
    kind = kind or str(rng.choice(["dependency", "mesh-push", "zone", "slow-dependency"], p=[0.35, 0.2, 0.3, 0.15]))
    t_end = w.evals[-1]
    a = float(rng.uniform(0, 0.85 * t_end))
    k = min(int(np.searchsorted(w.evals, a)), w.c.n - 1)
    if kind == "dependency":
        dur = float(rng.uniform(60, 360))
        m = w.window_idx(a, a + dur)[None, :]
        p = _lu(rng, 0.01, 0.4)
        w.add_det += p * m
        w.Lm *= np.where(m, float(rng.uniform(1.1, 2.5)), 1.0)
        w.tfm *= np.where(m, float(rng.uniform(1, 4)), 1.0)
        desc = (f"upstream dependency outage ({p:.1%} of requests failing, {dur:.0f} s) from interval {k} "
                "hit both versions")
    elif kind == "mesh-push":
        dur = float(rng.uniform(5, 25))
        m = w.window_idx(a, a + dur)[None, :]
        w.add_tr += float(rng.uniform(0.01, 0.2)) * m
        w.Lm *= np.where(m, float(rng.uniform(1.0, 1.3)), 1.0)
        desc = f"mesh config push (brief 503s on all pods) at interval {k}"
    elif kind == "zone":
        dur = float(rng.uniform(60, 480))
        z = int(rng.integers(ZONES))
        m = (w.zone == z)[:, None] & w.window_idx(a, a + dur)[None, :]
        w.add_tr += float(rng.uniform(0.05, 0.6)) * m
        w.Lm *= np.where(m, float(rng.uniform(1.2, 3.0)), 1.0)
        nc = int((w.can & (w.zone == z)).sum())
        desc = (f"network partition in zone {'abc'[z]} for {dur:.0f} s from interval {k} "
                f"({nc} of {int(w.can.sum())} canary pods there)")
    else:
        dur = float(rng.uniform(120, 600))
        m = w.window_idx(a, a + dur)[None, :]
        w.Lm *= np.where(m, float(rng.uniform(1.2, 2.5)), 1.0)
        desc = f"slow dependency for {dur:.0f} s from interval {k} hit both versions"
    w.events.append(desc)
    return desc


def _ev_noisy_client(w: _World, rng: np.random.Generator) -> str:
    t_end = w.evals[-1]
    a = float(rng.uniform(-30, 0.85 * t_end))
    dur = float(rng.uniform(60, 300))
    rate = w.c.R0 * _lu(rng, 0.02, 0.5)
    w.c.nc_p = max(w.c.nc_p, float(rng.uniform(0.3, 1.0)))
    prof = rate * w.window_idx(a, a + dur)
    mode = str(rng.choice(["mesh", "non-mesh", "sticky"], p=[0.55, 0.3, 0.15]))
    if mode == "mesh":
        w.nc_R_mesh = w.nc_R_mesh + prof
    elif mode == "non-mesh":
        w.nc_R_nm = w.nc_R_nm + prof
    else:
        cands = [i for i, p in enumerate(w.pods) if p["start"] < a and p["end"] > a + dur]
        p = int(rng.choice(cands))
        w.nc_pod[p] = w.nc_pod.get(p, np.zeros(w.K)) + prof
        mode = f"sticky to one {'canary' if w.pods[p]['side'] else 'stable'} pod"
    k = min(int(np.searchsorted(w.evals, a)), w.c.n - 1)
    desc = f"noisy client ({mode}) sent failing requests for {dur:.0f} s from interval {max(k, 0)}"
    w.events.append(desc)
    return desc


def _ev_bad_node(w: _World, rng: np.random.Generator, side: int | None = None) -> str:
    side = int(rng.random() < 0.4) if side is None else side
    p = int(rng.choice([i for i in range(w.P) if w.side[i] == side]))
    a = float(rng.uniform(0, 0.8 * w.evals[-1]))
    dur = float(rng.uniform(120, 600))
    m = w.window_idx(a, a + dur)
    w.add_tr[p] += float(rng.uniform(0.05, 0.6)) * m
    w.Lm[p] *= np.where(m, float(rng.uniform(1.3, 4.0)), 1.0)
    desc = f"a {'canary' if side else 'stable'} pod's node degraded for {dur:.0f} s"
    w.events.append(desc)
    return desc


# --------------------------------------------------------------------------------------------
# good families


def _good_noise(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    w.build()
    return None, "noise only"


def _good_diurnal(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    f = float(rng.uniform(1.3, 2.6))
    if rng.random() < 0.4:
        f = 1 / f
    span = w.evals[-1]
    center, width = float(rng.uniform(0.3, 0.7) * span), float(rng.uniform(0.12, 0.35) * span)
    sig = 1 / (1 + np.exp(-(w.tm - center) / width))
    sig = (sig - sig[0]) / max(sig[-1] - sig[0], 1e-9)
    ramp = np.exp(math.log(f) * sig)
    w.R = w.R * ramp
    w.background("pre")
    w.hpa_from_load()
    w.build()
    w.Lm *= (ramp ** float(rng.uniform(0, 0.15)))[None, :]
    w.err_mult *= (ramp ** float(rng.uniform(0, 0.5)))[None, :]
    w.background("post")
    return None, f"diurnal {'ramp-up' if f > 1 else 'decline'}: traffic x{f:.2f} over the release"


def _good_traffic(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    descs = [_ev_traffic(w, rng) for _ in range(int(rng.integers(1, 4)))]
    w.hpa_from_load()
    w.background("pre")
    w.build()
    w.background("post")
    return None, "; ".join(descs)


def _good_shared_incident(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    w.background("pre")
    w.build()
    desc = _ev_incident(w, rng)
    w.background("post")
    return None, desc


def _good_low_traffic(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    w.background("pre")
    w.build()
    w.background("post")
    cr = w.c.R0 * w.c.weight / 100
    return None, f"very low canary traffic ({cr * 60:.2f} requests/min)"


def _good_small_diff(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    d = float(rng.uniform(0.01, 0.03))
    w.background("pre")
    w.build()
    w.Lm *= np.where(w.can[:, None], 1 + d, 1.0)
    w.background("post")
    return None, f"harmless difference: canary {d:.1%} slower"


def _good_scrape_gap(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    descs = [_ev_scrape_gap(w, rng) for _ in range(int(rng.integers(1, 3)))]
    w.background("pre")
    w.build()
    w.background("post")
    return None, "; ".join(descs)


def _good_warmup(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    c = w.c
    c.warm_a, c.warm_tau = float(rng.uniform(1.0, 4.0)), float(rng.uniform(10, 30))
    extra = ""
    if rng.random() < 0.35:
        c.warm_err, c.warm_err_tau = float(rng.uniform(0.002, 0.03)), float(rng.uniform(5, 20))
        extra = f", {c.warm_err:.1%} errors on the first requests"
    w.background("pre")
    w.build()
    w.background("post")
    return None, f"fresh-pod warm-up: latency x{1 + c.warm_a:.1f} at first, time constant {c.warm_tau:.0f} s{extra}"


def _good_noisy_client(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    w.background("pre")
    w.build()
    descs = [_ev_noisy_client(w, rng) for _ in range(int(rng.integers(1, 3)))]
    w.background("post")
    return None, "; ".join(descs)


def _good_mesh_churn(w: _World, rng: np.random.Generator) -> tuple[None, str]:
    kinds = ["hpa", "sidecar", "bad-node", "zone", "replace"] + (["callers"] if w.c.reporter == "source" else [])
    chosen = list(rng.choice(kinds, size=int(rng.integers(1, 3)), replace=False))
    descs: list[str] = []
    if "hpa" in chosen:
        a = float(rng.uniform(0, 0.6 * w.evals[-1]))
        f = float(rng.uniform(1.6, 3.0))
        w.R = w.R * (1 + (f - 1) * np.clip((w.tm - a) / 60, 0, 1))
        n0 = len(w.pods)
        w.hpa_from_load(sides=(0, 1))
        descs.append(f"traffic step x{f:.1f} and HPA scale-out ({len(w.pods) - n0} pods)")
    if "sidecar" in chosen:
        descs.append(_ev_sidecar_restart(w, rng))
    if "replace" in chosen:
        stable = w.side_pods(0)
        k = int(rng.integers(1, min(4, len(stable)) + 1))
        t = float(rng.uniform(0, 0.8 * w.evals[-1]))
        for p in rng.choice(stable, size=k, replace=False):
            w.pods[int(p)]["end"] = t
            st = t + float(rng.uniform(15, 60))
            w.add_pod(0, w.pods[int(p)]["zone"], st, st + float(rng.uniform(5, 20)))
        descs.append(f"{k} stable pods replaced (node drain)")
    if "callers" in chosen:
        a = float(rng.uniform(0, 0.7 * w.evals[-1]))
        w.caller_roll = (a, a + float(rng.uniform(60, 240)))
        descs.append("calling workload rolled (new source series)")
    w.background("pre")
    w.build()
    if "bad-node" in chosen:
        descs.append(_ev_bad_node(w, rng))
    if "zone" in chosen:
        z = int(w.zone[w.can][0]) if w.can.any() else 0
        f = float(rng.uniform(1.04, 1.15))
        w.zone_factor[z] *= f
        descs.append(f"zone {'abc'[z]} {f - 1:.0%} slower (noisy neighbours)")
    w.background("post")
    return None, "mesh churn: " + "; ".join(descs)


# --------------------------------------------------------------------------------------------
# bad families (the canary version at fault)


def _bad_error_step(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    u = rng.random()
    k_mult = float(rng.uniform(1.5, 3) if u < 0.4 else rng.uniform(3, 8) if u < 0.75 else rng.uniform(8, 20))
    # a step a team would care about adds at least 0.05 % of failing requests
    w.c.p_base = max(w.c.p_base, 5e-4 / (k_mult - 1) * float(rng.uniform(1, 2.5)))
    onset, t_on = w.onset()
    transient = rng.random() < 0.3
    w.background("pre")
    w.build()
    m = w.canary_from(t_on)
    add = (k_mult - 1) * w.c.p_base
    (w.add_tr if transient else w.add_det)[:] += add * m
    w.background("post")
    kind = "503s (retriable)" if transient else ("gRPC status errors" if w.c.grpc else "500s")
    return onset, f"error ratio x{k_mult:.1f} from interval {onset}; {kind}"


def _bad_error_add(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    a = _lu(rng, 0.0008, 0.02)
    onset, t_on = w.onset()
    w.background("pre")
    w.build()
    w.add_det += a * w.canary_from(t_on)
    w.background("post")
    return onset, f"error ratio +{a:.2g} from interval {onset} (base {w.c.p_base:.2g}); one endpoint broken"


def _bad_latency(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    u = rng.random()
    d = float(rng.uniform(0.10, 0.25) if u < 0.4 else rng.uniform(0.25, 0.5) if u < 0.75 else rng.uniform(0.5, 1.0))
    onset, t_on = w.onset()
    w.background("pre")
    w.build()
    w.Lm *= np.where(w.canary_from(t_on), 1 + d, 1.0)
    w.background("post")
    return onset, f"latency +{d * 100:.0f}% from interval {onset}; whole distribution"


def _bad_latency_tail(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    c = w.c
    x = float(rng.uniform(0.15, 1.0))
    p99 = _mixture_quantile(0.99, c.med, c.sb, c.tf, c.tr, c.st)
    goal = p99 * (1 + x)

    def p99_with(fm: float, rm: float) -> float:
        return _mixture_quantile(0.99, c.med, c.sb, min(c.tf * fm, 0.5), c.tr * rm, c.st)

    fm, rm, how = 1.0, 1.0, ""
    if c.tf >= 0.012 and rng.random() < 0.6 and p99_with(1.0, 30.0) > goal:
        lo, hi = 1.0, 30.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if p99_with(1.0, mid) < goal else (lo, mid)
        rm, how = 0.5 * (lo + hi), "the slow path got slower"
    else:
        lo, hi = 1.0, 0.5 / c.tf
        if p99_with(hi, 1.0) < goal:
            rm = 2.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if p99_with(mid, rm) < goal else (lo, mid)
        fm, how = 0.5 * (lo + hi), "more requests take the slow path"
    real = p99_with(fm, rm) / p99 - 1
    onset, t_on = w.onset()
    w.background("pre")
    w.build()
    m = w.canary_from(t_on)
    w.tfm *= np.where(m, fm, 1.0)
    w.trm *= np.where(m, rm, 1.0)
    w.background("post")
    return onset, f"p99 +{real * 100:.0f}% from interval {onset}; tail only ({how})"


def _bad_leak(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    c = w.c
    n = c.n
    k_c = int(rng.integers(2, max(3, int(0.6 * n)) + 1))
    T_c = float(w.evals[k_c])
    gamma = float(rng.uniform(1.0, 2.5))
    kind = str(rng.choice(["latency", "errors", "both"], p=[0.5, 0.2, 0.3]))
    thr = 0.10 if kind != "errors" else max(0.5 * c.p_base, 0.0005)
    cap = float(rng.uniform(0.6, 3.0)) if kind != "errors" else _lu(rng, 0.01, 0.15)
    cap = max(cap, 3 * thr)
    cap_e = _lu(rng, 0.01, 0.15)
    oom = rng.random() < 0.45
    # per pod: leak speed, and OOM kills when memory is full (the leak restarts with the container)
    speeds = {}
    end = w.evals[-1] + 60
    for p in w.side_pods(1):
        sp = float(rng.uniform(0.85, 1.15))
        speeds[p] = sp
        if oom:
            t_ref = 0.0
            while True:
                t_full = t_ref + (T_c / sp) * (cap / thr) ** (1 / gamma)
                if t_full >= end:
                    break
                down = float(rng.uniform(10, 40))
                w.crash(p, t_full, down)
                t_ref = t_full + down
    w.background("pre")
    w.build()
    eff = np.zeros((w.P, w.K))
    for p, sp in speeds.items():
        warm = np.sort(np.array(w.pods[p]["warm"]))
        j = np.searchsorted(warm, w.tm, side="right") - 1
        ref = np.where(j >= 0, warm[np.clip(j, 0, None)], w.tm)
        eff[p] = np.minimum(thr * np.clip((w.tm - ref) * sp / T_c, 0, None) ** gamma, cap) * w.ready[p]
        if kind in ("latency", "both"):
            w.Lm[p] *= 1 + eff[p]
        if kind == "errors":
            w.add_det[p] += eff[p]
        if kind == "both":
            w.add_det[p] += cap_e * (eff[p] / cap) ** 2
    w.background("post")
    # first interval whose end finds the canary pods' mean excess past the threshold
    k_eval = np.clip(((w.evals - w.t_base) // c.scrape).astype(int), 0, w.K - 1)
    live = w.ready[w.can][:, k_eval]
    mean_eff = np.where(live.any(0), (eff[w.can][:, k_eval] * live).sum(0) / np.maximum(live.sum(0), 1), 0.0)
    crossed = np.flatnonzero(mean_eff >= thr * 0.999)
    onset = int(crossed[0]) if len(crossed) else k_c
    what = {"latency": "latency", "errors": "error ratio", "both": "latency and errors"}[kind]
    top = float(mean_eff.max())
    size = f"+{top * 100:.0f}%" if kind != "errors" else f"+{top:.2g}"
    past = "+10%" if kind != "errors" else f"+{thr:.2g}"
    restarts = "; OOM-killed and restarted when memory is full" if oom else ""
    return onset, (f"leak: {what} climbing from the first request, past {past} at interval {onset}, "
                   f"up to {size}{restarts}")


def _bad_intermittent(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    c = w.c
    onset, t_on = w.onset()
    w.background("pre")
    w.build()
    if rng.random() < 0.65:
        gap = float(rng.uniform(90, 600))
        pb = _lu(rng, 0.02, 0.5)
        t = t_on
        durs = []
        while t < w.evals[-1]:
            d = float(rng.uniform(10, 90))
            m = w.canary_from(t) & w.window_idx(t, t + d)[None, :]
            w.add_det += pb * m
            w.tfm *= np.where(m, float(rng.uniform(1, 3)), 1.0)
            durs.append(d)
            t += d + float(rng.exponential(gap))
        desc = (f"intermittent errors from interval {onset}: flapping dependency of the new version, "
                f"{len(durs)} bursts of ~{np.mean(durs):.0f} s, {pb:.0%} of requests failing in a burst")
    else:
        mean_e = _lu(rng, max(c.p_base, 5e-4), 0.02)
        qr = float(rng.uniform(0.1, 0.4))
        spikes = (rng.random((w.P, w.K)) < qr) * rng.exponential(mean_e / qr, (w.P, w.K))
        w.add_det += np.clip(spikes, 0, 0.5) * w.canary_from(t_on)
        desc = f"intermittent errors from interval {onset}: race condition, +{mean_e:.2g} on average in spikes"
    w.background("post")
    return onset, desc


def _bad_crashloop(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    onset, t_on = w.onset(0.4, inside=True)
    end = w.evals[-1] + 60
    variant = str(rng.choice(["restart", "evict", "dead"], p=[0.5, 0.25, 0.25]))
    canary = w.side_pods(1)
    first = {p: (t_on if i == 0 else t_on + float(rng.uniform(0, 1.5 * w.c.interval))) for i, p in enumerate(canary)}
    if variant == "restart":
        mttc = float(rng.uniform(20, 240))
        for p in canary:
            t, j = first[p], 0
            while t < end:
                down = min(10 * 2 ** j, 300) + float(rng.uniform(3, 15))
                w.crash(p, t, down)
                t += down + float(rng.exponential(mttc))
                j += 1
        desc = (f"crash loop from interval {onset}: canary containers crash every ~{mttc:.0f} s of uptime "
                f"(CrashLoopBackOff; sidecar counters persist)")
    elif variant == "evict":
        life = float(rng.uniform(60, 300))
        for p in canary:
            t, cur = first[p], p
            while t < end and len(w.pods) < 400:
                w.pods[cur]["end"] = t
                w.pods[cur]["crashes"].append((t, float(rng.uniform(0.5, 2))))
                st = t + float(rng.uniform(15, 60))
                cur = w.add_pod(1, int(rng.integers(ZONES)), st, st + float(rng.uniform(5, 20)))
                t = st + float(rng.uniform(0.5, 1.5)) * life
        desc = (f"crash loop from interval {onset}: canary pods evicted (ephemeral storage) and recreated "
                f"every ~{life:.0f} s (new series each time)")
    else:
        vanish = rng.random() < 0.5
        for p in canary:
            t = first[p]
            if vanish:
                w.pods[p]["end"] = t + float(rng.uniform(20, 40))
                w.pods[p]["down"].append((t, INF))
                w.pods[p]["crashes"].append((t, float(rng.uniform(1, 5))))
            else:
                w.crash(p, t, INF)
        desc = (f"crash loop from interval {onset}: canary pods never ready again "
                f"({'pods gone, replacements pending: series vanish' if vanish else 'not ready: no canary traffic'})")
    w.background("pre")
    w.build()
    w.background("post")
    return onset, desc


def _bad_timeout(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    c = w.c
    p99 = _mixture_quantile(0.99, c.med, c.sb, c.tf, c.tr, c.st)
    opts = [t for t in (1000, 2000, 3000, 5000, 10000, 15000, 30000) if t >= max(3 * p99, 500)] or [30000]
    c.timeout_ms = float(rng.choice(opts))
    frac = _lu(rng, 0.003, 0.25)
    route = c.mesh == "istio" and rng.random() < 0.5
    c.timeout_counted_dest = not route
    onset, t_on = w.onset()
    w.background("pre")
    w.build()
    wob = np.exp(rng.normal(0, 0.3, (w.P, w.K)))
    w.p_to += np.clip(frac * wob, 0, 0.9) * w.canary_from(t_on)
    w.background("post")
    where = "VirtualService timeout (504 at the caller, response code 0 at the destination)" if route \
        else "application timeout to a new dependency (504)"
    return onset, f"timeout: {frac:.1%} of requests cut at {c.timeout_ms / 1000:g} s from interval {onset}; {where}"


def _bad_grpc_status(w: _World, rng: np.random.Generator) -> tuple[int, str]:
    c = w.c
    code = str(rng.choice(["INTERNAL", "UNKNOWN", "UNAVAILABLE", "FAILED_PRECONDITION"], p=[0.4, 0.2, 0.25, 0.15]))
    onset, t_on = w.onset()
    multiplicative = rng.random() < 0.6
    k_mult = float(rng.uniform(1.5, 15))
    a = _lu(rng, 0.001, 0.03)
    if multiplicative:
        c.p_base = max(c.p_base, 5e-4 / (k_mult - 1) * float(rng.uniform(1, 2.5)))
    w.background("pre")
    w.build()
    m = w.canary_from(t_on)
    add = (k_mult - 1) * c.p_base if multiplicative else a
    if code == "UNAVAILABLE" and c.retries:
        w.add_tr += add * m  # Istio's default retryOn includes "unavailable"
    else:
        w.add_det += add * m
    w.background("post")
    blind = "; the query counts HTTP 5xx only (blind to gRPC status)" if c.grpc_blind else ""
    head = f"error ratio x{k_mult:.1f}" if multiplicative else f"error ratio +{a:.2g}"
    base = "" if multiplicative else f" (base {c.p_base:.2g})"
    return onset, f"{head} from interval {onset}{base}; gRPC status {code}{blind}"


_FAMILY_FUNCS = {
    "good-noise": _good_noise,
    "good-diurnal": _good_diurnal,
    "good-traffic": _good_traffic,
    "good-shared-incident": _good_shared_incident,
    "good-low-traffic": _good_low_traffic,
    "good-small-diff": _good_small_diff,
    "good-scrape-gap": _good_scrape_gap,
    "good-warmup": _good_warmup,
    "good-noisy-client": _good_noisy_client,
    "good-mesh-churn": _good_mesh_churn,
    "bad-error-step": _bad_error_step,
    "bad-error-add": _bad_error_add,
    "bad-latency": _bad_latency,
    "bad-latency-tail": _bad_latency_tail,
    "bad-leak": _bad_leak,
    "bad-intermittent": _bad_intermittent,
    "bad-crashloop": _bad_crashloop,
    "bad-timeout": _bad_timeout,
    "bad-grpc-status": _bad_grpc_status,
}
assert set(_FAMILY_FUNCS) == {name for name, _ in FAMILIES}


# --------------------------------------------------------------------------------------------
# export


def _num(x: float) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.6g}")


def _export(name: str, c: SimpleNamespace, w: _World, out: dict[str, Any], bad: bool, onset: int | None,
            note: str) -> dict[str, Any]:
    fail = out["fail"]

    def series(key: str, f) -> tuple[list, list]:
        pair = []
        for side in ("stable", "canary"):
            vals = f(out[side])
            pair.append([None if fail[i] else _num(float(v)) for i, v in enumerate(vals)])
        return pair[0], pair[1]

    metrics = []
    if c.grpc and not c.grpc_blind:
        err_name = "grpc_error_ratio"
    elif c.mesh == "linkerd":
        err_name = "linkerd_failure_ratio" if c.err_style == "success" else "response_failure_ratio"
    else:
        err_name = "istio_error_ratio" if c.err_style == "success" else "istio_5xx_ratio"
    if c.success_gauge:
        st, ca = series("ratio", lambda o: 100 * (1 - o["ratio"]))
        m = dict(name="request_success_rate", kind="gauge", better="higher", stable=st, canary=ca)
    else:
        st, ca = series("ratio", lambda o: o["ratio"])
        m = dict(name=err_name, kind="error-ratio", better="lower", stable=st, canary=ca)
    if c.counts:
        st_n, ca_n = series("count", lambda o: np.round(o["count"]))
        m["stable_requests"], m["canary_requests"] = st_n, ca_n
    metrics.append(m)
    prefix = "client_" if c.reporter == "source" else ""
    for qq in (c.q, c.second_q):
        if qq is None:
            continue
        st, ca = series("quant", lambda o, qq=qq: o["quant"][qq] / 1000.0)
        metrics.append(dict(name=f"{prefix}request_duration_p{round(qq * 100)}_seconds", kind="latency",
                            better="lower", stable=st, canary=ca))
    if c.throughput:
        st, ca = series("rate", lambda o: o["rate"])
        metrics.append(dict(name="request_rate", kind="throughput", better="higher", stable=st, canary=ca))

    context = (f"{c.mesh} {'inbound' if c.mesh == 'linkerd' else 'reporter=' + c.reporter}"
               f"{', gRPC' if c.grpc else ''}, weight {c.weight}%, {c.n_canary} canary / {c.n_stable} stable pods, "
               f"rate[{c.window // 60}m], scrape {c.scrape}s")
    extras = [e for e in w.events if e not in note]
    full = f"{note}; {context}" + (f"; also: {'; '.join(extras)}" if extras else "")
    truth: dict[str, Any] = {"bad": bad, "note": full}
    if bad:
        truth["onset_index"] = int(onset or 0)
    return {
        "format": "grayrelease.scenario/v1",
        "name": name,
        "interval_seconds": c.interval,
        "canary_weight": c.weight,
        "metrics": metrics,
        "truth": truth,
    }


if __name__ == "__main__":
    main(generate, "Canary releases seen through Istio/Linkerd telemetry and Prometheus queries (simulated).",
         Path("out/bench/mesh"), DEFAULT_COUNT, DEFAULT_SEED)
