"""A platform team's fleet: canary releases of many different services, as Prometheus reported them.

What is simulated
-----------------
Each scenario is one release of one service of a company's fleet, analysed with the queries that
service's team happened to configure. Metric values are not drawn directly: the service is
simulated in aggregate per Prometheus scrape step (scrape interval 10, 15, 30 or 60 s), the
counters its pods export are kept (requests, successes, 5xx/failed requests, the classic latency
histogram with its ``le`` buckets and ``_sum``, container CPU seconds) together with the
working-set gauge, and the team's PromQL is evaluated at each analysis time: ``rate``/``increase``
with Prometheus's extrapolation (to the window edges, by half a scrape interval where a series
starts or stops inside the window, and the zero-point rule for counters), counter-reset handling
for restarted processes, ``sum(rate(errors)) / sum(rate(requests))``, ``histogram_quantile`` over
the bucket rates (linear interpolation inside a bucket, the upper bound of the highest finite
bucket when the rank falls into ``+Inf``), mean latency as ``rate(_sum) / rate(_count)``, Apdex
from two buckets, throughput summed per side or per pod, CPU cores per pod and memory per pod.
So an error ratio over a window with 60 requests is a multiple of 1/60, a p99 of 40 requests is
the interpolated position of the largest request in its bucket, a rate window longer than the
analysis interval (``[1m]``, ``[2m]``, ``[3m]``, ``[5m]``, or the interval itself as Flagger
does; at least two scrape intervals) makes consecutive values overlap, keeps a fresh canary's
warm-up in its values for a whole window and makes its throughput read low until the series
fills the window. 15 % of teams read a recording rule evaluated every 30 or 60 s, so a value
repeats. The window is not written to the file, nor are the pods of each side; ``canary_weight``
is the weight the release asked for. With ``record_windows`` the scenarios also carry what the
operator records beside each measurement (windows, ready pods, a weight read off the pods where
pods carry the split).

Traffic is Poisson with a gamma burstiness per scrape step (shape 0.5-3 for admin tools, whose
users click in sessions, up to 50-500 for edge services), times a slow log-AR(1) wander
(3-10 %, 5 min), a within-release trend (the slope of the daily curve: +-20-60 %/h in the
diurnal family, whose releases last 20 min or more, about +-10 %/h elsewhere) and burst
(x1.5-4, 30-300 s) or dip (x0.2-0.6, 1-10 min) events. The split follows how the canary is
routed: a mesh splits per request at the configured weight with canary pods = ceil(weight x
replicas), so canary and stable pods carry different per-pod load; a replica-based canary gets
its pods' share (10 % of two replicas is really a third), jittered because kube-proxy balances
connections (log-sd 0.05, 0.2 for gRPC); a consumer's share is the load of the Kafka partitions
it was assigned (skewed partition loads). Latency per request is a log-normal body (sigma
0.4-1.1) plus a slow tail component (0.5-8 % of requests, x3-20: GC pauses, cache misses) whose
weight varies more on a side with few pods, scaled by a shared dependency-latency wander
(3-12 %), a per-side noise, the mean speed of the side's nodes (per-pod log-sd 0-6 %, so a one-pod
canary can sit on a slower node) and queueing, ``1 + q((1-u0)/(1-u) - 1)`` with q 0.05-0.3 in the
pods' utilisation (a lightly loaded canary is a little faster). Errors are binomial with a base
probability times a shared log-AR(1) wander (log-sd 0.2-0.6) and two gamma clustering factors,
one shared by both sides (retrying clients, a bad batch) and one per side that is wider on a side
with few pods; a regression's own failures are added without clustering. Failed requests are
fast failures or time out at the client's timeout, and both land in the latency histogram.
Consumers have a capacity (arrival / utilisation 0.3-0.7): a slow canary consumer falls behind
and catches up later. Buckets are the client libraries' defaults (Go/Java ``DefBuckets``,
Python's), Istio's millisecond buckets (in seconds), geometric layouts, consumer layouts up to
300 s, or a team's own; above 200,000 requests per side and release the bucket counts are
multinomial and ``_sum`` comes from the buckets' partial expectations, below it every request is
drawn. Pod memory is a plateau with a sawtooth; a fresh pod's memory fills towards it over
minutes (the JVM commits heap gradually). CPU is idle plus a cost per request plus JIT
compilation in a fresh JVM (x1.5-3, 30-90 s).

Measurement artefacts: Prometheus restarts (30-240 s without samples or answers), failed scrapes
of a canary target with three pods or fewer (1-6 %; stale markers make the instant gauge vanish,
rate loses samples), a canary target gap of 1-4 min, 5xx series that only exist after a pod's
first error in about half of the setups (the error ratio is null rather than 0 until then, and
the first errors are mostly not counted by rate), 0/0 as null when a side had no requests.

Archetypes (shares outside the low-traffic family): edge/public APIs 18 % (800-8,000 req/s,
12-60 replicas, median 15-80 ms, 5xx 0.03-0.5 %), internal HTTP APIs 32 % (10-300 req/s, 3-12
replicas, median 8-120 ms, 0.02-1 %), low-traffic admin/internal tools 15 % (0.1-2 req/s, 1-3
replicas, median 40-400 ms, 0.01-2 %), gRPC backends 18 % (50-2,000 req/s, median 1-20 ms,
0.005-0.3 %, deadlines 0.1-2 s), queue consumers 17 % (1-200 messages/s, processing time median
30 ms-2 s, failures 0.05-2 %). The runtime (JVM, Go, Node, Python, Rust) sets a fresh pod's
warm-up: JVM latency x1.3-2.5 at first, time constant 8-25 s; 20 % of services also warm a cache
(x1.2-2, 15-40 s). Each release draws an analysis interval of 10, 15, 20, 30 or 60 s, 10-60
intervals, a configured canary weight (mostly 5, 10 or 20 %; also 1, 2, 25, 30, 50 %) and 1-4
metrics from what teams configure: an error ratio (with request counts in about half of them) or a
success ratio (85 %), a latency quantile p50/p90/p95/p99 or a mean (70 %, sometimes a second
one), throughput per side or per pod (20 %), CPU (15 %), memory (13 %), Apdex (6 %). The kind of
metric a bad release harms is always among them (teams watch what hurts them), in the form they
chose: a tail regression watched through a mean is hard to see.

Families (each block of 40 consecutive indices is a seeded permutation of these slots, so every
block holds exactly these shares and 45 % are bad):
good (55 %): plain noise 7.5 %; diurnal drift 5 %; traffic bursts and dips 5 %; incidents that hit
both versions alike (dependency outage 1-10 min, degraded node pool 2-15 min, network blip
10-60 s) 7.5 %; very low canary traffic (1-5 % of an admin tool or a 3-30 req/s API) 5 %; harmless
differences (canary 1-3 % slower, CPU +2-6 %, memory +2-8 %) 7.5 %; scrape gaps and Prometheus
restarts 5 %; pronounced JVM or cold-cache warm-up (x2-5, settled within 45-120 s) 7.5 %; uneven
load balancing (the canary gets 20-60 % more or less than its share) 5 %.
bad (45 %): error-ratio step x1.5-20 7.5 %; absolute error addition +0.0005-0.02 5 %;
whole-distribution latency shift +10-100 % 5 %; tail-only regression (a new slow path for
0.5-8 % of requests, p99 +10-150 %) 5 %; slow leaks 7.5 % (memory 30-300 %/h of baseline until
the OOM kill, latency ramp 30-300 %/h, error ramp from connection-pool exhaustion
+0.02-0.3/h); intermittent error bursts (2-40 % errors for 10-90 s at a time) 5 %; crash loop
with CrashLoopBackOff (app series vanish, or the mesh's 503s) 2.5 %; errors on one endpoint that
carries 0.5-10 % of traffic 5 %; a regression switched on by a feature flag mid-release 2.5 %.
About 55 % of steps start at the first interval, the rest at 20-70 % of the release;
``onset_index`` is the interval in which the regression (or a leak's growth) begins. The
confounders of the good families also occur, less often, in every family.

A scenario depends only on the seed, its index and its family (itself a function of the seed and
the index), so ``generate(n, s)`` is a prefix of ``generate(m, s)`` for ``m > n``.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import numpy as np
from scipy.special import ndtr

from bench import corpus

DEFAULT_COUNT = 600
DEFAULT_SEED = 31
BLOCK = 40
FAMILIES: tuple[tuple[str, int], ...] = (
    ("good-noise", 3),
    ("good-diurnal", 2),
    ("good-traffic-swings", 2),
    ("good-shared-incident", 3),
    ("good-low-canary-traffic", 2),
    ("good-small-difference", 3),
    ("good-scrape-gaps", 2),
    ("good-warmup", 3),
    ("good-uneven-balance", 2),
    ("bad-error-step", 3),
    ("bad-error-add", 2),
    ("bad-latency-shift", 2),
    ("bad-latency-tail", 2),
    ("bad-leak", 3),
    ("bad-intermittent", 2),
    ("bad-crash-loop", 1),
    ("bad-endpoint-errors", 2),
    ("bad-flag-flip", 1),
)
SLOTS: tuple[str, ...] = tuple(name for name, slots in FAMILIES for _ in range(slots))
assert len(SLOTS) == BLOCK

MB = 1024.0 * 1024.0
INF = float("inf")

BUCKETS: dict[str, tuple[float, ...]] = {
    "default": (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    "python": (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0),
    "istio": tuple(v / 1000 for v in (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
                                      300000, 600000, 1800000, 3600000)),
    "grpc-fine": (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    "consumer": (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
}
TEAM_BUCKETS: tuple[tuple[float, ...], ...] = (
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
    (0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4),
    (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
    (0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56),
    (0.1, 0.3, 1.0, 3.0, 10.0),
)

ARCH_SHARES = {"edge": 0.18, "internal": 0.32, "admin": 0.15, "grpc": 0.18, "consumer": 0.17}
ARCH: dict[str, dict[str, Any]] = {
    "edge": dict(names=("storefront-api", "public-api", "checkout-edge", "search-api", "mobile-bff", "graphql-gateway"),
                 rps=(800, 8000), pods=(12, 60), median=(0.015, 0.08), sigma=(0.45, 0.75), tail_p=(0.01, 0.04),
                 tail_k=(4, 12), p0=(3e-4, 5e-3), timeout=(5.0, 15.0, 30.0, 60.0),
                 runtime={"jvm": 0.35, "go": 0.4, "node": 0.25}, burst=(50, 500), cpu_req=(2e-4, 2e-3),
                 mem_mb=(300, 1500), buckets={"istio": 0.4, "default": 0.3, "fine": 0.3}, u0=(0.2, 0.5)),
    "internal": dict(names=("billing-api", "inventory", "user-profile", "pricing", "notifications", "ledger",
                            "catalog", "entitlements"),
                     rps=(10, 300), pods=(3, 12), median=(0.008, 0.12), sigma=(0.5, 0.9), tail_p=(0.01, 0.05),
                     tail_k=(3, 10), p0=(2e-4, 1e-2), timeout=(1.0, 2.0, 5.0, 10.0, 30.0),
                     runtime={"jvm": 0.4, "go": 0.3, "node": 0.15, "python": 0.15}, burst=(5, 50),
                     cpu_req=(1e-3, 1e-2), mem_mb=(150, 1000),
                     buckets={"default": 0.45, "python": 0.15, "fine": 0.25, "team": 0.15}, u0=(0.1, 0.45)),
    "admin": dict(names=("admin-console", "feature-flags-ui", "report-builder", "support-tools", "config-editor",
                         "audit-viewer"),
                  rps=(0.1, 2.0), pods=(1, 3), median=(0.04, 0.4), sigma=(0.6, 1.0), tail_p=(0.02, 0.08),
                  tail_k=(3, 8), p0=(1e-3, 2e-2), timeout=(10.0, 30.0, 60.0),
                  runtime={"python": 0.35, "node": 0.3, "jvm": 0.25, "go": 0.1}, burst=(0.5, 3),
                  cpu_req=(5e-3, 5e-2), mem_mb=(100, 500), buckets={"default": 0.6, "python": 0.3, "team": 0.1},
                  u0=(0.02, 0.1)),
    "grpc": dict(names=("session-store", "ranking", "geo-lookup", "auth-tokens", "rate-limiter", "feature-store"),
                 rps=(50, 2000), pods=(4, 30), median=(0.001, 0.02), sigma=(0.4, 0.8), tail_p=(0.005, 0.03),
                 tail_k=(5, 20), p0=(5e-5, 3e-3), timeout=(0.1, 0.25, 0.5, 1.0, 2.0),
                 runtime={"go": 0.55, "jvm": 0.35, "rust": 0.1}, burst=(10, 100), cpu_req=(1e-4, 2e-3),
                 mem_mb=(50, 600), buckets={"default": 0.5, "grpc-fine": 0.3, "istio": 0.2}, u0=(0.15, 0.5)),
    "consumer": dict(names=("order-events-consumer", "email-sender", "thumbnailer", "search-indexer",
                            "payment-webhooks", "ledger-projector"),
                     rps=(1, 200), pods=(3, 24), median=(0.03, 2.0), sigma=(0.5, 1.1), tail_p=(0.01, 0.06),
                     tail_k=(3, 8), p0=(5e-4, 2e-2), timeout=(10.0, 30.0, 60.0, 120.0),
                     runtime={"jvm": 0.5, "go": 0.25, "python": 0.25}, burst=(2, 20), cpu_req=(0.1, 0.6),
                     mem_mb=(300, 2000), buckets={"consumer": 0.6, "default": 0.4}, u0=(0.3, 0.7)),
}
STARTUP = {"jvm": (15, 40), "go": (1, 4), "node": (2, 8), "python": (3, 10), "rust": (1, 3)}
WARMUP = {"jvm": ((0.3, 1.5), (8, 25)), "go": ((0.0, 0.1), (3, 10)), "node": ((0.05, 0.4), (5, 20)),
          "python": ((0.05, 0.3), (5, 15)), "rust": ((0.0, 0.05), (2, 5))}
MEMFILL = {"jvm": ((0.4, 0.8), (120, 600)), "go": ((0.6, 0.95), (30, 180)), "node": ((0.5, 0.9), (60, 300)),
           "python": ((0.5, 0.9), (60, 300)), "rust": ((0.8, 0.98), (20, 120))}
ENDPOINTS = ("/v1/export", "/v2/orders/bulk", "/internal/reindex", "/api/search/suggest", "/v1/avatars",
             "/api/reports/csv", "/v1/refunds", "/graphql (one mutation)")


# --------------------------------------------------------------------------------------------- helpers

def _lu(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Log-uniform in [lo, hi]."""
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _pick(rng: np.random.Generator, options: dict[Any, float]) -> Any:
    keys = list(options)
    p = np.array([options[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _ar_log(rng: np.random.Generator, n: int, step: float, sigma: float, tau: float) -> np.ndarray:
    """A stationary log-AR(1) multiplier with mean 1, log-sd ``sigma`` and correlation time ``tau``."""
    rho = math.exp(-step / tau)
    e = rng.standard_normal(n) * sigma
    c = math.sqrt(1.0 - rho * rho)
    x = np.empty(n)
    x[0] = e[0]
    for i in range(1, n):
        x[i] = rho * x[i - 1] + c * e[i]
    return np.exp(x - sigma * sigma / 2)


def _overlap(t: np.ndarray, s: float, a: float, b: float) -> np.ndarray:
    """Fraction of each scrape step ``(t - s, t]`` inside ``[a, b)``."""
    return np.clip(np.minimum(t, b) - np.maximum(t - s, a), 0.0, None) / s


def _mixture_quantile(q: float, weights: list[float], mus: list[float], sigmas: list[float]) -> float:
    """Quantile of a mixture of log-normals, by bisection on the log scale."""
    lo, hi = min(mus) - 8 * max(sigmas), max(mus) + 8 * max(sigmas)
    w = np.array(weights) / sum(weights)
    for _ in range(80):
        mid = (lo + hi) / 2
        if float(np.sum(w * ndtr((mid - np.array(mus)) / np.array(sigmas)))) < q:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def _num(value: float) -> str:
    """Two significant digits, never in exponent notation (notes are read by scripts)."""
    return np.format_float_positional(float(f"{value:.2g}"), trim="-")


def _round(value: float) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


# --------------------------------------------------------------------------------------------- corpus

def family_for(seed: int, index: int) -> str:
    """The family of scenario ``index``: a seeded permutation of the 40 slots of its block."""
    block, slot = divmod(index, BLOCK)
    order = np.random.default_rng([seed, 4001, block]).permutation(BLOCK)
    return SLOTS[int(order[slot])]


def generate(count: int, seed: int, record_windows: bool = False) -> list[dict[str, Any]]:
    """``count`` release scenarios, in index order; with ``record_windows`` each metric read over a
    range (all but memory) records its window, as the operator reads it off the query, except in
    releases that query a recording rule, whose name (as the generator has it) hides the range.
    Each release then also records what the operator records beside every measurement: each
    side's ready pods and the canary's weight, which is the pods' share where pods carry the
    split (10 % of four pods is one canary pod, a quarter); ``canary_weight`` keeps the weight
    the release asked for."""
    plan = [(index, family_for(seed, index)) for index in range(count)]
    return corpus.build_all(make_windowed_release if record_windows else make_release, plan, seed)


def generate_against_baseline(count: int, seed: int) -> list[dict[str, Any]]:
    """The same releases (same services, traffic, canaries and regressions, value for value on the
    canary's side) judged against a baseline instead of the stable: see ``_baseline_side``."""
    plan = [(index, family_for(seed, index)) for index in range(count)]
    return corpus.build_all(make_baseline_release, plan, seed)


def make_baseline_release(seed: int, index: int, family: str) -> dict[str, Any]:
    return make_release(seed, index, family, against="baseline")


def make_windowed_release(seed: int, index: int, family: str) -> dict[str, Any]:
    return make_release(seed, index, family, record_windows=True)


def make_release(seed: int, index: int, family: str, against: str = "stable", record_windows: bool = False) -> dict[str, Any]:
    """One release scenario; depends only on its arguments. ``against="baseline"`` compares the
    canary with a baseline drawn from a generator of its own, so the canary's values are the
    same as against the stable."""
    rng = np.random.default_rng([seed, index, 2031])
    bad = family.startswith("bad-")
    fam = family.split("-", 1)[1]
    svc = _draw_service(rng, fam)
    rel = _draw_release(rng, svc, fam)
    env = _draw_environment(rng, svc, rel, fam)
    reg = _draw_regression(rng, svc, rel, fam) if bad else None
    specs = _draw_metric_set(rng, svc, rel, reg)
    sim = _simulate(rng, svc, rel, env, reg, np.random.default_rng([seed, index, 5150]) if against == "baseline" else None)
    metrics = [_evaluate(spec, sim, svc, rel) for spec in specs]
    if record_windows and not rel.rule:
        for spec, metric in zip(specs, metrics):
            if spec.kind != "memory":  # an instant query
                metric["query_window_seconds"] = rel.window
    if against == "baseline":
        for metric in metrics:
            metric["compare"] = {"against": "baseline"}
    if reg is not None and getattr(reg, "ooms", None):
        ooms = [x for x in reg.ooms if x < rel.n * rel.interval]
        if ooms:
            reg.note += f", OOM-killed {len(ooms)} time(s) from interval {int(ooms[0] // rel.interval)}"
    rps = _num(svc.rps) if svc.rps < 10 else round(svc.rps)
    context = (f"{svc.arch} '{svc.name}' ({svc.runtime}), ~{rps} req/s, weight {rel.weight}%, "
               f"{rel.pods_c} canary pod(s) vs {rel.pods_s}, {rel.split} split")
    extras = "; ".join(env.notes)
    if bad:
        note = f"{reg.note}; {context}" + (f"; also {extras}" if extras else "")
        truth = {"bad": True, "onset_index": int(reg.onset), "note": note}
    else:
        what = env.headline or "plain noise"
        others = [n for n in env.notes if n != env.headline]
        note = f"{what}; {context}" + (f"; also {'; '.join(others)}" if others else "")
        truth = {"bad": False, "note": note}
    doc = {
        "format": "grayrelease.scenario/v1",
        "name": f"{family}-{index:03d}",
        "interval_seconds": rel.interval,
        # against a baseline the operator records the canary's share of the two sides compared
        "canary_weight": rel.weight if against == "stable" else round(100 * rel.share / (rel.share + sim.baseline_share), 3),
        "metrics": metrics,
        "truth": truth,
    }
    if record_windows:
        doc.update(_recorded_split(rel, len(metrics[0]["stable"])))
    return doc


def _recorded_split(rel: NS, length: int) -> dict[str, list[float]]:
    """Ready pods of each side and, where pods carry the split (no mesh), the canary's weight as
    the operator records them: its weight without a router is the canary's share of ready pods."""
    out = {"canary_pods": [float(rel.pods_c)] * length, "stable_pods": [float(rel.pods_s)] * length}
    if rel.split != "mesh":
        out["canary_weights"] = [round(100 * rel.pods_c / (rel.pods_c + rel.pods_s), 3)] * length  # exact, as observe records it
    return out


# --------------------------------------------------------------------------------------------- service

def _draw_service(rng: np.random.Generator, fam: str) -> NS:
    shares = {"admin": 0.55, "internal": 0.45} if fam == "low-canary-traffic" else ARCH_SHARES
    arch = _pick(rng, shares)
    a = ARCH[arch]
    svc = NS(arch=arch, name=str(rng.choice(a["names"])))
    svc.rps = _lu(rng, *a["rps"])
    if fam == "low-canary-traffic" and arch == "internal":
        svc.rps = _lu(rng, 3, 30)
    svc.pods = int(rng.integers(a["pods"][0], a["pods"][1] + 1))
    svc.median = _lu(rng, *a["median"])
    svc.sigma = rng.uniform(*a["sigma"])
    svc.tail_p = rng.uniform(*a["tail_p"])
    svc.tail_k = rng.uniform(*a["tail_k"])
    svc.tail_sigma = rng.uniform(0.4, 0.8)
    svc.p0 = _lu(rng, *a["p0"])
    if arch == "admin" and rng.random() < 0.3:
        svc.p0 = _lu(rng, 1e-4, 1e-3)
    svc.timeout = float(rng.choice(a["timeout"]))
    svc.timeout_share = rng.uniform(0.1, 0.5)  # of ordinary errors that are timeouts
    svc.fast_factor = rng.uniform(0.1, 0.5)  # fast failures' median relative to the median
    svc.runtime = _pick(rng, a["runtime"])
    svc.startup = rng.uniform(*STARTUP[svc.runtime])
    svc.burst_shape = _lu(rng, *a["burst"])
    svc.err_shape = _lu(rng, 0.5, 5.0)
    svc.pod_err_shape = _lu(rng, 0.5, 5.0)
    svc.err_wander = rng.uniform(0.2, 0.6)
    svc.lat_wander = rng.uniform(0.03, 0.12)
    svc.node_sigma = rng.uniform(0.0, 0.06)
    svc.u0 = rng.uniform(*a["u0"])
    svc.queue_q = rng.uniform(0.05, 0.3) if arch != "consumer" else rng.uniform(0.02, 0.1)
    svc.idle_cpu = rng.uniform(0.01, 0.1)
    if arch == "consumer":
        svc.cpu_req = svc.median * math.exp(svc.sigma ** 2 / 2) * rng.uniform(*a["cpu_req"])
    else:
        svc.cpu_req = _lu(rng, *a["cpu_req"])
    svc.mem = _lu(rng, *a["mem_mb"]) * MB * (1.5 if svc.runtime == "jvm" else 1.0)
    svc.mem_limit = svc.mem * rng.uniform(1.3, 2.5)
    svc.mem_saw = rng.uniform(0.01, 0.05)
    layout = _pick(rng, a["buckets"])
    if layout == "fine":
        start, factor = float(rng.choice([0.001, 0.002, 0.005])), float(rng.choice([1.25, 1.5, 2.0]))
        bounds = [start]
        while bounds[-1] < 30:
            bounds.append(float(f"{bounds[-1] * factor:.4g}"))
        svc.buckets = tuple(bounds)
    elif layout == "team":
        svc.buckets = TEAM_BUCKETS[int(rng.integers(len(TEAM_BUCKETS)))]
    else:
        svc.buckets = BUCKETS[layout]
    svc.layout = layout
    wa, wt = WARMUP[svc.runtime]
    svc.warm_a, svc.warm_tau = rng.uniform(*wa), rng.uniform(*wt)
    svc.jit_cpu = rng.uniform(0.5, 2.0) if svc.runtime == "jvm" else 0.0
    svc.jit_tau = rng.uniform(30, 90)
    svc.cache_a, svc.cache_tau = (rng.uniform(0.2, 1.0), rng.uniform(15, 40)) if rng.random() < 0.2 else (0.0, 1.0)
    svc.warm_err, svc.warm_err_tau = 0.0, 1.0
    f0, tm = MEMFILL[svc.runtime]
    svc.mem_f0, svc.mem_tau = rng.uniform(*f0), rng.uniform(*tm)
    return svc


def _draw_release(rng: np.random.Generator, svc: NS, fam: str) -> NS:
    rel = NS()
    rel.interval = int(_pick(rng, {10: 0.12, 15: 0.13, 20: 0.12, 30: 0.38, 60: 0.25}))
    rel.n = int(rng.integers(10, 61))
    if fam == "diurnal":  # a drift needs time to show: releases of 20 minutes or more
        rel.interval = int(_pick(rng, {20: 0.2, 30: 0.4, 60: 0.4}))
        rel.n = int(rng.integers(max(10, math.ceil(1200 / rel.interval)), 61))
    if fam == "low-canary-traffic":
        rel.weight = int(_pick(rng, {1: 0.5, 2: 0.3, 5: 0.2 if svc.arch == "admin" else 0.0}))
    else:
        rel.weight = int(_pick(rng, {1: 0.05, 2: 0.04, 5: 0.27, 10: 0.28, 20: 0.18, 25: 0.06, 30: 0.05, 50: 0.07}))
    w = rel.weight / 100
    P = svc.pods
    if svc.arch == "consumer":
        rel.split = "partition"
    else:
        rel.split = "mesh" if rng.random() < (0.35 if svc.arch == "admin" else 0.6) else "replica"
    if rel.split == "mesh":
        rel.pods_c, rel.pods_s = max(1, math.ceil(w * P - 1e-9)), P
        rel.share = w
    elif rel.split == "replica":
        rel.pods_c = max(1, math.ceil(w * P - 1e-9))
        rel.pods_s = max(1, P - math.floor(w * P + 1e-9))
        rel.share = rel.pods_c / (rel.pods_c + rel.pods_s)
        # kube-proxy balances connections, not requests: pinned gRPC / keep-alive connections skew the share
        conn_sigma = 0.2 if svc.arch == "grpc" else 0.05
        rel.share = min(0.95, rel.share * math.exp(rng.normal(0, conn_sigma)))
    else:
        rel.pods_c, rel.pods_s = max(1, round(w * P)), P
        total = rel.pods_c + rel.pods_s
        options = [p for p in (6, 12, 24, 32, 48, 64) if p >= total]
        parts = int(rng.choice(options)) if options else total
        load = np.exp(rng.normal(0, rng.uniform(0.1, 0.5), parts))
        order = rng.permutation(parts)
        owner = np.arange(parts) % total  # round-robin assignment of shuffled partitions
        canary_parts = order[owner < rel.pods_c]
        rel.share = float(load[canary_parts].sum() / load.sum())
        rel.partitions = parts
        rel.part_loads, rel.canary_parts = load, canary_parts
    rel.scrape = int(_pick(rng, {10: 0.1, 15: 0.55, 30: 0.3, 60: 0.05 if rel.interval >= 60 else 0.0}))
    window = _pick(rng, {300: 0.35, 60: 0.25, 120: 0.12, 180: 0.08, "interval": 0.2})
    rel.window = float(rel.interval if window == "interval" else window)
    if rel.window < 2 * rel.scrape:
        rel.window = float(4 * rel.scrape)
    rel.rule = float(_pick(rng, {30: 0.5, 60: 0.5})) if rng.random() < 0.15 else 0.0
    if rel.rule and rel.rule < rel.scrape:
        rel.rule = float(rel.scrape)
    rel.source = "mesh" if rel.split == "mesh" and svc.arch in ("edge", "internal") and rng.random() < 0.5 else "app"
    if rel.source == "mesh":
        svc.buckets, svc.layout = BUCKETS["istio"], "istio"
    lazy_p = {"grpc": 0.3, "consumer": 0.5}.get(svc.arch, 0.6 if rel.source == "mesh" else 0.5)
    rel.lazy_errors = bool(rng.random() < lazy_p)
    rel.req_window = rel.window if rng.random() < 0.7 or rel.interval < 2 * rel.scrape else float(rel.interval)
    rel.query_jitter = rng.uniform(0.0, 2.0)
    return rel


# --------------------------------------------------------------------------------------------- world

def _draw_environment(rng: np.random.Generator, svc: NS, rel: NS, fam: str) -> NS:
    """Everything that happens to the release that is not the canary version's fault."""
    T = rel.n * rel.interval
    I = rel.interval
    env = NS(notes=[], headline=None, events=[], incidents=[], prom_gaps=[], canary_gaps=[], scrape_fail=0.0,
             lat_diff=0.0, cpu_diff=0.0, mem_diff=0.0, lb_dev=0.0)
    env.trend = rng.normal(0, 0.1)
    env.curve = rng.normal(0, 0.05)
    env.load_sigma = rng.uniform(0.03, 0.1)

    def at(t: float) -> int:
        return max(0, int(t // I))

    if fam == "diurnal":
        env.trend = float(rng.choice([-1, 1])) * rng.uniform(0.2, 0.6)
        change = math.exp(env.trend * T / 3600 + env.curve * (T / 3600) ** 2) - 1
        env.headline = f"diurnal drift: traffic {change:+.0%} over the release, latency and CPU follow load"
        env.notes.append(env.headline)

    n_events = int(rng.integers(1, 4)) if fam == "traffic-swings" else int(rng.random() < 0.12)
    for _ in range(n_events):
        if rng.random() < 0.6:
            factor, dur = rng.uniform(1.5, 4.0), rng.uniform(30, 300)
            what = "burst"
        else:
            factor, dur = rng.uniform(0.2, 0.6), rng.uniform(60, 600)
            what = "dip"
        start = rng.uniform(0, max(1.0, T - dur / 2))
        env.events.append((start, start + dur, factor))
        note = f"traffic {what} x{factor:.1f} for {dur:.0f} s at interval {at(start)}"
        env.notes.append(note)
        if fam == "traffic-swings" and env.headline is None:
            env.headline = note

    n_inc = int(rng.integers(1, 3)) if fam == "shared-incident" else int(rng.random() < 0.05)
    for _ in range(n_inc):
        kind = _pick(rng, {"dependency": 0.45, "nodepool": 0.3, "blip": 0.25})
        if kind == "dependency":
            dur = rng.uniform(60, 600)
            need, fail = rng.uniform(0.1, 1.0), rng.uniform(0.3, 1.0)
            inc = NS(kind=kind, err=need * fail, to_share=rng.uniform(0.3, 1.0), slow=need * (1 - fail),
                     slow_factor=rng.uniform(2, 5))
            note = f"dependency outage hit both versions for {dur:.0f} s ({need * fail:.0%} of requests failed)"
        elif kind == "nodepool":
            dur = rng.uniform(120, 900)
            frac = rng.uniform(0.1, 0.4)
            inc = NS(kind=kind, err=frac * rng.uniform(0.01, 0.1), to_share=0.5, slow=frac,
                     slow_factor=rng.uniform(1.5, 4))
            note = f"degraded node pool slowed {frac:.0%} of pods of both versions for {dur:.0f} s"
        else:
            dur = rng.uniform(10, 60)
            err = rng.uniform(0.05, 0.5)
            inc = NS(kind=kind, err=err, to_share=0.5, slow=0.3, slow_factor=rng.uniform(2, 4))
            note = f"network blip: {err:.0%} of requests of both versions failed for {dur:.0f} s"
        start = rng.uniform(0, max(1.0, T - dur / 2))
        inc.start, inc.end = start, start + dur
        env.incidents.append(inc)
        note += f" at interval {at(start)}"
        env.notes.append(note)
        if fam == "shared-incident" and env.headline is None:
            env.headline = note

    scrape_issue = fam == "scrape-gaps" or rng.random() < 0.1
    if scrape_issue:
        strong = fam == "scrape-gaps"
        kinds = []
        while not kinds:
            if rng.random() < (0.6 if strong else 0.35):
                kinds.append("restart")
            if rng.random() < (0.6 if strong else 0.4):
                kinds.append("fail")
            if rng.random() < (0.5 if strong else 0.3):
                kinds.append("gap")
        parts = []
        if "restart" in kinds:
            for _ in range(int(rng.integers(1, 3)) if strong else 1):
                dur = rng.uniform(30, 240)
                start = rng.uniform(0, T)
                env.prom_gaps.append((start, start + dur))
                parts.append(f"Prometheus restart at interval {at(start)} ({dur:.0f} s without data)")
        if "fail" in kinds:
            env.scrape_fail = rng.uniform(0.01, 0.06)
            parts.append(f"{env.scrape_fail:.0%} of canary scrapes failed")
        if "gap" in kinds:
            dur = rng.uniform(60, 240)
            start = rng.uniform(0, T)
            env.canary_gaps.append((start, start + dur))
            parts.append(f"canary target not scraped for {dur:.0f} s at interval {at(start)}")
        note = ", ".join(parts)
        env.notes.append(note)
        if strong:
            env.headline = note

    if fam == "warmup":
        if svc.runtime == "jvm" or rng.random() < 0.5:
            svc.warm_a, svc.warm_tau = rng.uniform(1.0, 4.0), rng.uniform(15, 40)
            what = f"{'JVM' if svc.runtime == 'jvm' else svc.runtime} warm-up"
        else:
            svc.cache_a, svc.cache_tau = rng.uniform(1.0, 3.0), rng.uniform(15, 40)
            what = "cold cache"
        if rng.random() < 0.35:
            svc.warm_err, svc.warm_err_tau = rng.uniform(0.002, 0.03), rng.uniform(10, 30)
        peak = (1 + svc.warm_a) * (1 + svc.cache_a)
        settle = 3 * max(svc.warm_tau, svc.cache_tau if svc.cache_a else 0)
        env.headline = (f"{what} of fresh canary pods: latency x{peak:.1f} at first, settles in ~{settle:.0f} s"
                        + (f", early timeouts {svc.warm_err:.1%}" if svc.warm_err else ""))
        env.notes.append(env.headline)

    if fam == "small-difference" or rng.random() < 0.15:
        env.lat_diff = rng.uniform(0.01, 0.03)
        why = rng.choice(["new JSON library", "new TLS stack", "extra log line", "framework upgrade",
                          "new metrics client"])
        parts = [f"canary {env.lat_diff:.1%} slower ({why})"]
        if rng.random() < 0.5:
            env.cpu_diff = rng.uniform(0.02, 0.06)
            parts.append(f"CPU +{env.cpu_diff:.0%}")
        if rng.random() < 0.4:
            env.mem_diff = rng.uniform(0.02, 0.08)
            parts.append(f"memory +{env.mem_diff:.0%}")
        note = "harmless: " + ", ".join(parts)
        env.notes.append(note)
        if fam == "small-difference":
            env.headline = note

    if fam == "uneven-balance":
        env.lb_dev = float(rng.choice([-1, 1])) * rng.uniform(0.2, 0.6)
        how = "hot partitions" if rel.split == "partition" else str(rng.choice(
            ["sticky sessions", "long-lived connections", "least-request balancing", "zone-aware routing"]))
        env.headline = f"uneven load balancing ({how}): canary gets {1 + env.lb_dev:.2f}x its share"
        env.notes.append(env.headline)
    elif rel.split == "mesh":
        env.lb_dev = rng.normal(0, 0.02)

    if fam == "low-canary-traffic":
        per = svc.rps * rel.share * rel.interval
        env.headline = f"very low canary traffic: ~{_num(per)} canary requests per interval"
        env.notes.insert(0, env.headline)
    rel.share = float(min(0.95, rel.share * (1 + env.lb_dev)))
    return env


def _onset(rng: np.random.Generator, rel: NS, mid_p: float) -> tuple[int, float]:
    """First bad interval and the time the regression begins (inside that interval)."""
    if rng.random() < mid_p:
        onset = int(rng.integers(max(1, int(0.2 * rel.n)), max(2, int(0.7 * rel.n)) + 1))
        return onset, (onset + rng.uniform(0.0, 0.6)) * rel.interval
    return 0, 0.0


def _draw_regression(rng: np.random.Generator, svc: NS, rel: NS, fam: str) -> NS:
    """What the canary version does wrong."""
    T = rel.n * rel.interval
    reg = NS(kind=fam, err_mult=1.0, err_add=0.0, err_to=0.0, lat_mult=0.0, tail_q=0.0, tail_k=1.0, cpu_mult=0.0,
             ramp=None, episodes=[], crash=None, leak_mem=0.0, primary="errors", t_on=0.0, onset=0)
    mid_p = 0.45
    if fam == "flag-flip":
        fam = _pick(rng, {"error-step": 0.5, "latency-shift": 0.3, "error-add": 0.2})
        mid_p = 1.0
    if fam == "error-step":
        reg.onset, reg.t_on = _onset(rng, rel, mid_p)
        band = _pick(rng, {(1.5, 3.0): 0.4, (3.0, 8.0): 0.35, (8.0, 20.0): 0.25})
        reg.err_mult = _lu(rng, *band)
        reg.err_to = float(rng.random() < 0.3)
        reg.note = f"error ratio x{reg.err_mult:.1f} from interval {reg.onset}"
    elif fam == "error-add":
        reg.onset, reg.t_on = _onset(rng, rel, mid_p)
        reg.err_add = _lu(rng, 5e-4, 2e-2)
        reg.err_to = float(rng.random() < 0.3)
        reg.note = f"error ratio +{_num(reg.err_add)} from interval {reg.onset} (base {_num(svc.p0)})"
    elif fam == "latency-shift":
        reg.onset, reg.t_on = _onset(rng, rel, mid_p)
        reg.lat_mult = _lu(rng, 0.1, 1.0)
        cause = _pick(rng, {"more CPU work": 0.4, "an extra downstream call": 0.4, "lock contention": 0.2})
        if cause == "more CPU work":
            reg.cpu_mult = 0.8 * reg.lat_mult
        reg.primary = "latency"
        reg.note = f"latency +{reg.lat_mult:.0%} from interval {reg.onset}; whole distribution, {cause}"
    elif fam == "latency-tail":
        reg.onset, reg.t_on = _onset(rng, rel, mid_p)
        mus = [math.log(svc.median), math.log(svc.median * svc.tail_k)]
        sig = [svc.sigma, svc.tail_sigma]
        base99 = _mixture_quantile(0.99, [1 - svc.tail_p, svc.tail_p], mus, sig)
        for _ in range(40):
            q, k = _lu(rng, 0.005, 0.08), _lu(rng, 2.0, 12.0)
            new99 = _mixture_quantile(0.99, [1 - svc.tail_p - q, svc.tail_p, q], mus + [math.log(svc.median * k)],
                                      sig + [0.5])
            if 0.1 <= new99 / base99 - 1 <= 1.5:
                break
        reg.tail_q, reg.tail_k = q, k
        reg.primary = "latency-tail"
        reg.note = (f"p99 +{new99 / base99 - 1:.0%} from interval {reg.onset}; tail only, "
                    f"a new slow path for {q:.1%} of requests x{k:.1f}")
    elif fam == "leak":
        reg.onset, reg.t_on = _onset(rng, rel, 0.3)
        what = _pick(rng, {"memory": 0.45, "latency": 0.3, "errors": 0.25})
        span = max(T - reg.t_on, rel.interval)
        hours = span / 3600
        if what == "memory":
            per_hour = _lu(rng, 0.3, 3.0)  # of the baseline working set
            reg.leak_mem = per_hour * svc.mem / 3600
            reg.primary = "memory"
            reg.note = (f"leak: memory grows {reg.leak_mem * 60 / MB:.3g} MiB/min per pod ({per_hour:.0%} of baseline "
                        f"per hour) from interval {reg.onset}, +{per_hour * hours:.0%} by the end unless OOM-killed "
                        f"(limit {svc.mem_limit / svc.mem:.1f}x baseline)")
        elif what == "latency":
            per_hour, power = _lu(rng, 0.3, 3.0), rng.uniform(1.0, 1.5)
            reg.ramp = NS(what="latency", end=per_hour * hours ** power, power=power, span=span)
            reg.primary = "latency"
            reg.note = f"leak: latency ramp from interval {reg.onset}, +{reg.ramp.end:.0%} by the end"
        else:
            per_hour, power = _lu(rng, 0.02, 0.3), rng.uniform(1.0, 1.5)
            reg.ramp = NS(what="errors", end=per_hour * hours ** power, power=power, span=span)
            reg.note = (f"leak: error ramp (connection pool exhaustion) from interval {reg.onset}, "
                        f"+{_num(reg.ramp.end)} error ratio by the end (base {_num(svc.p0)})")
    elif fam == "intermittent":
        reg.onset, reg.t_on = _onset(rng, rel, 0.4)
        gap, dur, add = rng.uniform(60, 400), rng.uniform(10, 90), _lu(rng, 0.02, 0.4)
        t = reg.t_on
        while t < T:
            d = dur * rng.uniform(0.5, 1.5)
            reg.episodes.append((t, t + d, add * rng.uniform(0.5, 1.5)))
            t += d + rng.exponential(gap)
        busy = sum(min(b, T) - a for a, b, _ in reg.episodes) / max(T - reg.t_on, 1.0)
        reg.note = (f"intermittent errors from interval {reg.onset}: bursts of ~{add:.0%} errors, "
                    f"{len(reg.episodes)} episode(s) covering ~{busy:.0%} of the time")
    elif fam == "crash-loop":
        reg.onset, reg.t_on = _onset(rng, rel, 0.5)
        first = reg.t_on + rng.uniform(0.05, 0.9) * rel.interval
        reg.onset = int(first // rel.interval)
        reg.crash = NS(first=first, up=(rng.uniform(10, 40), rng.uniform(40, 150)))
        reg.note = (f"crash loop from interval {reg.onset}: canary process dies after "
                    f"{reg.crash.up[0]:.0f}-{reg.crash.up[1]:.0f} s up, CrashLoopBackOff restarts")
    elif fam == "endpoint-errors":
        reg.onset, reg.t_on = _onset(rng, rel, mid_p)
        share, fail = _lu(rng, 0.005, 0.1), rng.uniform(0.1, 1.0)
        reg.err_add = share * fail
        reg.note = (f"error ratio +{_num(reg.err_add)} from interval {reg.onset} (base {_num(svc.p0)}); only "
                    f"{rng.choice(ENDPOINTS)} fails ({fail:.0%} of its requests, {share:.1%} of traffic)")
    if reg.kind == "flag-flip":
        reg.note += "; a feature flag was switched on then"
    return reg


# --------------------------------------------------------------------------------------------- metrics

def _draw_metric_set(rng: np.random.Generator, svc: NS, rel: NS, reg: NS | None) -> list[NS]:
    need = reg.primary if reg else None
    want: list[str] = []
    if rng.random() < 0.85:
        want.append("errors")
    if rng.random() < 0.7:
        want.append("latency")
    if "latency" in want and rng.random() < 0.12:
        want.append("latency2")
    for kind, p in (("throughput", 0.2), ("cpu", 0.15), ("memory", 0.13), ("apdex", 0.06)):
        if rng.random() < p:
            want.append(kind)
    required = {"latency-tail": "latency"}.get(need, need)
    if required and required not in want:
        want.insert(0, required)
    if not want:
        want.append("errors")
    while len(want) > 4:
        choices = [k for k in want if k != required]
        want.remove(choices[int(rng.integers(len(choices)))])
    prefix = {"grpc": "grpc", "consumer": "message"}.get(svc.arch, "istio_request" if rel.source == "mesh" else "http")
    specs = []
    for kind in want:
        if kind == "errors":
            form = _pick(rng, {"ratio+requests": 0.45, "ratio": 0.4, "success": 0.15})
            if form == "success":
                name = {"grpc": "grpc_success_ratio", "consumer": "message_success_ratio"}.get(
                    svc.arch, str(rng.choice(["request_success_ratio", "http_success_rate"])))
                specs.append(NS(kind="success", name=name))
            else:
                name = {"grpc": "grpc_server_error_ratio", "consumer": "message_failure_ratio"}.get(
                    svc.arch, "istio_request_error_ratio" if rel.source == "mesh"
                    else str(rng.choice(["http_error_ratio", "http_5xx_ratio", "http_server_error_ratio"])))
                specs.append(NS(kind="errors", name=name, requests=form == "ratio+requests"))
        elif kind in ("latency", "latency2"):
            if kind == "latency2":
                first = specs[-1] if specs and specs[-1].kind in ("quantile", "mean") else None
                q = 0.5 if first is not None and getattr(first, "q", 0.5) != 0.5 else 0.99
                specs.append(NS(kind="quantile", q=q, name=_latency_name(prefix, q)))
                continue
            forms = ({0.99: 0.45, 0.95: 0.3, 0.9: 0.1, "mean": 0.15} if need == "latency-tail"
                     else {0.99: 0.35, 0.95: 0.25, 0.9: 0.1, 0.5: 0.1, "mean": 0.2})
            q = _pick(rng, forms)
            if q == "mean":
                specs.append(NS(kind="mean", name=f"{prefix}_latency_mean_seconds" if svc.arch != "consumer"
                                else "message_processing_mean_seconds"))
            else:
                specs.append(NS(kind="quantile", q=float(q), name=_latency_name(prefix, float(q))))
        elif kind == "throughput":
            per_pod = rng.random() < 0.35
            base = {"grpc": "grpc_requests_per_second", "consumer": "messages_consumed_per_second"}.get(
                svc.arch, "http_requests_per_second")
            specs.append(NS(kind="throughput", per_pod=per_pod, name=base + ("_per_pod" if per_pod else "")))
        elif kind == "cpu":
            specs.append(NS(kind="cpu", name=str(rng.choice(["cpu_usage_cores", "container_cpu_usage_cores"]))))
        elif kind == "memory":
            specs.append(NS(kind="memory", name=str(rng.choice(["memory_working_set_bytes",
                                                                 "container_memory_working_set_bytes"]))))
        elif kind == "apdex":
            specs.append(NS(kind="apdex", name="apdex_score"))
    # two metrics must not share a name
    seen: set[str] = set()
    for spec in specs:
        while spec.name in seen:
            spec.name += "_2"
        seen.add(spec.name)
    return specs


def _latency_name(prefix: str, q: float) -> str:
    pct = f"p{int(round(q * 100))}"
    if prefix == "message":
        return f"message_processing_{pct}_seconds"
    return f"{prefix}_latency_{pct}_seconds"


# --------------------------------------------------------------------------------------------- simulation

def _canary_epochs(rng: np.random.Generator, svc: NS, reg: NS | None, T: float) -> list[tuple[float, float]]:
    """Canary process lifetimes ``(start, end)``; ready to serve ``svc.startup`` seconds after start."""
    start = -rng.uniform(10, 90) - svc.startup
    if reg is not None and reg.crash is not None:
        epochs, crash, j = [], reg.crash.first, 0
        epochs.append((start, crash))
        while True:
            start = crash + min(10.0 * 2 ** j, 300.0) + rng.uniform(0, 3)
            j += 1
            if start > T + 60:
                break
            crash = start + svc.startup + rng.uniform(*reg.crash.up)
            epochs.append((start, crash))
        return epochs
    if reg is not None and reg.leak_mem > 0:
        epochs, j = [], 0
        while start < T + 60:
            ready = start + svc.startup
            tt = np.arange(ready, T + 61, 1.0)
            mem = _canary_memory(svc, tt, ready) + reg.leak_mem * np.clip(tt - max(ready, reg.t_on), 0, None)
            hit = np.flatnonzero(mem >= svc.mem_limit)
            if len(hit) == 0:
                epochs.append((start, INF))
                break
            end = float(tt[hit[0]])
            epochs.append((start, end))
            reg.ooms = getattr(reg, "ooms", []) + [end]
            start = end + (0.0 if j == 0 else min(10.0 * 2 ** (j - 1), 300.0)) + rng.uniform(1, 3)
            j += 1
        return epochs
    return [(start, INF)]


def _canary_memory(svc: NS, t: np.ndarray, ready: float) -> np.ndarray:
    age = np.clip(t - ready, 0, None)
    return svc.mem * (svc.mem_f0 + (1 - svc.mem_f0) * (1 - np.exp(-age / svc.mem_tau)))


def _simulate(rng: np.random.Generator, svc: NS, rel: NS, env: NS, reg: NS | None,
              rb: np.random.Generator | None = None) -> NS:
    """The release's sides per scrape step. Given ``rb``, a baseline side too (drawn from ``rb``
    alone, after the others, so they are the same as without it) takes the stable's place."""
    s = float(rel.scrape)
    T = rel.n * rel.interval
    hist = max(rel.window, rel.req_window, rel.rule) + 3 * s + 30
    phase = rng.uniform(0, s)
    k0, k1 = math.floor((-hist - phase) / s), math.ceil((T + 10 - phase) / s)
    t = phase + s * np.arange(k0, k1 + 1, dtype=float)
    K = len(t)
    tm = t - s / 2
    hours = tm / 3600

    # shared conditions
    load = np.exp(env.trend * hours + env.curve * hours ** 2) * _ar_log(rng, K, s, env.load_sigma, 300)
    for a, b, f in env.events:
        load = load * (1 + (f - 1) * _overlap(t, s, a, b))
    lat_shared = _ar_log(rng, K, s, svc.lat_wander, rng.uniform(60, 300))
    err_shared = _ar_log(rng, K, s, svc.err_wander, rng.uniform(60, 600))
    err_cluster = rng.gamma(svc.err_shape, 1 / svc.err_shape, K)  # retry storms, one bad client: both sides
    inc_err, inc_to, inc_slow = np.zeros(K), np.zeros(K), np.zeros(K)
    inc_factor = 1.0
    for inc in env.incidents:
        o = _overlap(t, s, inc.start, inc.end)
        inc_err += inc.err * o
        inc_to += inc.err * inc.to_share * o
        inc_slow += inc.slow * o
        inc_factor = inc.slow_factor
    inc_slow = np.clip(inc_slow, 0, 0.9)

    # who is up
    prom_ok = np.ones(K, bool)
    for a, b in env.prom_gaps:
        prom_ok &= ~((t >= a) & (t < b))
    epochs = _canary_epochs(rng, svc, reg, T)
    proc_c = np.zeros(K, bool)
    epoch_c = np.full(K, -1)
    ready_frac = np.zeros(K)
    age_c = np.full(K, 1e9)  # seconds since the canary pod began serving, at the step's middle
    for e, (start, end) in enumerate(epochs):
        inside = (t >= start + 1) & (t < end)
        proc_c |= inside
        epoch_c[inside] = e
        serve = max(start + svc.startup, 0.0)
        ready_frac += _overlap(t, s, serve, end)
        live = (tm >= serve) & (tm < end)
        age_c[live] = tm[live] - serve
    ready_frac = np.clip(ready_frac, 0, 1)
    after0 = _overlap(t, s, 0.0, INF)
    scrape_c = np.ones(K, bool)
    if env.scrape_fail and rel.pods_c <= 3:
        scrape_c &= rng.random(K) >= env.scrape_fail
    for a, b in env.canary_gaps:
        if rel.pods_c <= 3:
            scrape_c &= ~((t >= a) & (t < b))
    kube_ok = rng.random(K) >= 0.003

    # traffic and its split
    total = rng.poisson(svc.rps * load * s * rng.gamma(svc.burst_shape, 1 / svc.burst_shape, K))
    if rel.split == "mesh":
        routed_c = rng.binomial(total, np.clip(rel.share * after0, 0, 1))
        served_frac = np.divide(ready_frac, after0, out=np.zeros(K), where=after0 > 0)
        served_c = rng.binomial(routed_c, np.clip(served_frac, 0, 1))
    else:
        routed_c = rng.binomial(total, np.clip(rel.share * ready_frac, 0, 1))
        served_c = routed_c
    n_s = total - routed_c
    refused_c = routed_c - served_c  # the mesh answers 503: no healthy upstream

    # per-pod load -> utilisation -> queueing
    base_pod = svc.rps / svc.pods  # per-pod rate before the release, at utilisation u0
    exp_s = svc.rps * load * (1 - rel.share * after0) / rel.pods_s
    exp_c = svc.rps * load * rel.share / rel.pods_c

    def queue(rate_pod: np.ndarray) -> np.ndarray:
        u = np.clip(svc.u0 * rate_pod / max(base_pod, 1e-9), 0, 0.85)
        return 1 + svc.queue_q * ((1 - svc.u0) / (1 - u) - 1)

    node_s = float(np.mean(np.exp(rng.normal(0, svc.node_sigma, rel.pods_s))))
    node_c = float(np.mean(np.exp(rng.normal(0, svc.node_sigma, rel.pods_c))))

    # the canary's own behaviour
    on = _overlap(t, s, reg.t_on, INF) if reg is not None else np.zeros(K)
    c_lat = (1 + env.lat_diff) * (1 + svc.warm_a * np.exp(-age_c / svc.warm_tau)) \
        * (1 + svc.cache_a * np.exp(-age_c / svc.cache_tau))
    c_err_mult = np.ones(K)
    c_err_add = svc.warm_err * np.exp(-age_c / svc.warm_err_tau)
    c_err_to = c_err_add * 1.0
    c_cpu = (1 + env.cpu_diff) * np.ones(K)
    tail_q = np.zeros(K)
    if reg is not None:
        c_err_mult = 1 + (reg.err_mult - 1) * on
        c_err_add = c_err_add + reg.err_add * on
        c_err_to = c_err_to + reg.err_add * reg.err_to * on
        c_lat = c_lat * (1 + reg.lat_mult * on)
        c_cpu = c_cpu * (1 + reg.cpu_mult * on)
        tail_q = reg.tail_q * on
        if reg.ramp is not None:
            frac = np.clip((tm - reg.t_on) / reg.ramp.span, 0, 1) ** reg.ramp.power
            if reg.ramp.what == "latency":
                c_lat = c_lat * (1 + reg.ramp.end * frac)
            else:
                c_err_add = c_err_add + reg.ramp.end * frac
                c_err_to = c_err_to + 0.7 * reg.ramp.end * frac  # waiting for a pooled connection times out
        for a, b, add in reg.episodes:
            o = _overlap(t, s, a, b)
            c_err_add = c_err_add + add * o
            c_err_to = c_err_to + 0.3 * add * o
    mem_c_gauge = np.zeros(K)
    for e, (start, end) in enumerate(epochs):
        sel = epoch_c == e
        ready = start + svc.startup
        m = _canary_memory(svc, t[sel], ready) * (1 + env.mem_diff)
        if reg is not None and reg.leak_mem > 0:
            m = m + reg.leak_mem * np.clip(t[sel] - max(ready, reg.t_on), 0, None)
        mem_c_gauge[sel] = m
    if reg is not None and reg.leak_mem > 0:
        # GC pressure near the limit slows the canary down
        pressure = np.clip((mem_c_gauge / svc.mem_limit - 0.85) / 0.15, 0, 1)
        c_lat = c_lat * (1 + 1.5 * pressure ** 2)

    sides = {}
    for side in ("stable", "canary"):
        canary = side == "canary"
        pods = rel.pods_c if canary else rel.pods_s
        arrivals = served_c if canary else n_s
        lat = svc.median * lat_shared * _ar_log(rng, K, s, 0.04 / math.sqrt(min(pods, 16)), 60) \
            * queue(exp_c if canary else exp_s) * (node_c if canary else node_s)
        if canary:
            lat = lat * c_lat
        if svc.arch == "consumer":
            # a consumer processes at most its capacity; the rest waits in the partition
            mean_ratio = lat / svc.median
            cap = svc.rps * (rel.share if canary else 1 - rel.share) / svc.u0 / mean_ratio * s
            if canary:
                cap = cap * ready_frac
            arrivals = _processed(arrivals, cap)
        own = svc.pod_err_shape * pods
        p_base = svc.p0 * err_shared * err_cluster * rng.gamma(own, 1 / own, K)
        p_to = p_base * svc.timeout_share + inc_to
        p = p_base + inc_err
        if canary:
            extra = svc.p0 * (c_err_mult - 1)  # the version's own failures: not clustered like the background
            p = p_base + extra + inc_err + c_err_add
            p_to = (p_base + extra) * svc.timeout_share + inc_to + c_err_to
        p = np.clip(p, 0, 1)
        errors = rng.binomial(arrivals, p)
        instant = np.zeros(K, dtype=np.int64)
        if canary and rel.source == "mesh":
            instant = refused_c
        n = arrivals + instant
        e_all = errors + instant
        tail_w = np.clip(svc.tail_p * rng.gamma(3 * pods, 1 / (3 * pods), K), 0, 0.5)
        q_w = tail_q if canary else np.zeros(K)
        body_w = np.clip(1 - tail_w - inc_slow - q_w, 0.01, 1)
        ln = np.log(lat)
        succ = (
            np.stack([body_w, tail_w, inc_slow, q_w], 1),
            np.stack([ln, ln + math.log(svc.tail_k), ln + math.log(inc_factor),
                      ln + math.log(reg.tail_k if reg else 1.0)], 1),
            np.array([svc.sigma, svc.tail_sigma, svc.sigma, 0.5]),
        )
        to_share = np.clip(np.divide(p_to, p, out=np.zeros(K), where=p > 0), 0, 1)
        inst_w = np.divide(instant, e_all, out=np.zeros(K), where=e_all > 0)
        err_w = np.stack([(1 - to_share) * (1 - inst_w), to_share * (1 - inst_w), inst_w], 1)
        err_mu = np.stack([np.log(svc.median * svc.fast_factor) + 0 * ln, np.full(K, math.log(svc.timeout)),
                           np.full(K, math.log(0.0008))], 1)
        err = (err_w, err_mu, np.array([0.6, 0.05, 0.3]))
        buckets, lat_sum = _latency_histogram(rng, n - e_all, e_all, succ, err, svc.buckets)
        cpu_work = svc.cpu_req * arrivals * np.clip(lat / svc.median, 0.5, 3) ** 0.3
        if canary:
            cpu_work = cpu_work * c_cpu
            jit = svc.jit_cpu * (svc.idle_cpu + svc.cpu_req * exp_c) * np.exp(-age_c / svc.jit_tau) * pods * s
            cpu = (svc.idle_cpu * pods * s * (proc_c | (ready_frac > 0)) + cpu_work + jit * (ready_frac > 0))
        else:
            cpu = svc.idle_cpu * pods * s + cpu_work
        cpu = cpu * np.exp(rng.normal(0, 0.05 / math.sqrt(pods), K))
        saw = 1 + svc.mem_saw * rng.uniform(-1, 1, K) / math.sqrt(pods)
        if canary:
            memory = mem_c_gauge * saw
        else:
            memory = svc.mem * saw
        increments = np.column_stack([n, n - e_all, e_all, lat_sum, np.cumsum(buckets, axis=1), cpu])
        sides[side] = NS(inc=increments, n_buckets=buckets.shape[1], memory=memory, pods=pods)

    # counters as Prometheus scraped them, with presence of each group of series
    layout = NS(req=slice(0, 2), err=slice(2, 3), hist=slice(3, 4 + len(svc.buckets) + 1), cpu=-1)
    sim = NS(t=t, s=s, T=T, prom_ok=prom_ok, layout=layout, sides={}, bounds=np.array(svc.buckets))
    if rb is not None:
        world = NS(t=t, tm=tm, s=s, K=K, total=total, after0=after0, start=epochs[0][0], load=load,
                   lat_shared=lat_shared, err_shared=err_shared, err_cluster=err_cluster, inc_err=inc_err,
                   inc_to=inc_to, inc_slow=inc_slow, inc_factor=inc_factor, queue=queue, prom_ok=prom_ok, kube_ok=kube_ok)
        baseline, sim.baseline_share = _baseline_side(rb, svc, rel, env, world)
        sim.sides["stable"] = baseline
        del sides["stable"]
    for side, data in sides.items():
        canary = side == "canary"
        inc = data.inc.astype(float)
        if canary and rel.source == "app":
            # app counters live in the process: they start at 0 and are lost with it
            V = np.zeros_like(inc)
            for e in range(len(epochs)):
                sel = epoch_c == e
                V[sel] = np.cumsum(inc[sel], axis=0)
            alive = proc_c
        elif canary:
            V = np.cumsum(inc, axis=0)
            alive = t >= epochs[0][0] + 1
        else:
            uptime = rng.uniform(1, 20) * 86400 / s  # stable pods have been running for days
            offset = inc[: max(1, K // 4)].mean(axis=0) * uptime
            offset[2] = rng.poisson(offset[0] * svc.p0)
            offset[1] = offset[0] - offset[2]
            V = np.cumsum(inc, axis=0) + offset
            alive = np.ones(K, bool)
        base = prom_ok & alive & (scrape_c if canary else True)
        groups = {
            "req": base & (V[:, 0] > 0),
            "err": base & (V[:, 2] > 0) if rel.lazy_errors else base & (V[:, 0] > 0),
            "hist": base & (V[:, 0] > 0),
        }
        kube = prom_ok & kube_ok & (proc_c if canary else True)
        series = {}
        for name, present in groups.items():
            cols = getattr(layout, name)
            series[name] = _counter(t, present, V[:, cols])
        series["cpu"] = _counter(t, kube, V[:, -1:])
        pods_up = np.where(proc_c, data.pods, 0) if canary else np.full(K, data.pods)
        sim.sides[side] = NS(series=series, memory=data.memory, kube=kube, pods=data.pods, pods_up=pods_up)
    return sim


def _processed(arrivals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Messages a consumer processes per step: at most its capacity, the rest waits in the partition."""
    done = np.zeros(len(arrivals), dtype=np.int64)
    backlog = 0
    for k in range(len(arrivals)):
        avail = arrivals[k] + backlog
        done[k] = min(avail, int(capacity[k]))
        backlog = avail - done[k]
    return done


def _baseline_side(rb: np.random.Generator, svc: NS, rel: NS, env: NS, w: NS) -> tuple[NS, float]:
    """A baseline as grayrelease runs one (``compare.against: baseline``): the stable's version on
    fresh pods started with the canary's first pods, as many as the canary's, routed the way the
    canary is (a mesh's weight, never more than half of what the canary leaves; pods beside the
    stable's, balanced by connection; partitions of its own), and measured as a fresh canary
    target is. Everything the version does not decide is shared with the canary's world: load,
    dependency wander, incidents, Prometheus outages; what is the pods' own is drawn again: the
    nodes they landed on, their error clustering, tail weight and scrape failures. The version's
    own behaviour (a regression, a harmless difference) is not there."""
    t, tm, s, K = w.t, w.tm, w.s, w.K
    if rel.split == "mesh":
        share = min(rel.share, (1 - rel.share) / 2)
    elif rel.split == "replica":
        conn_sigma = 0.2 if svc.arch == "grpc" else 0.05
        share = rel.pods_c / (rel.pods_c + rel.pods_s) * math.exp(rb.normal(0, conn_sigma))
    else:  # a consumer group hands the baseline's consumers partitions of their own
        rest = np.setdiff1d(np.arange(rel.partitions), rel.canary_parts)
        mine = rb.choice(rest, size=max(1, min(len(rel.canary_parts), len(rest) // 2)), replace=False) if len(rest) else rest
        share = float(rel.part_loads[mine].sum() / rel.part_loads.sum())
    share = float(min(share, (1 - rel.share) / 2))
    pods = max(1, round(rel.pods_c * share / rel.share)) if rel.split == "mesh" else rel.pods_c
    serve = max(w.start + svc.startup, 0.0)  # it gets weight with the canary, at 0
    ready = np.clip(_overlap(t, s, serve, INF), 0, 1)
    age = np.where(tm >= serve, tm - serve, 1e9)
    if rel.split == "mesh":
        routed = rb.binomial(w.total, np.clip(share * w.after0, 0, 1))
        served = rb.binomial(routed, np.clip(np.divide(ready, w.after0, out=np.zeros(K), where=w.after0 > 0), 0, 1))
    else:
        routed = served = rb.binomial(w.total, np.clip(share * ready, 0, 1))
    refused = routed - served
    rate_pod = svc.rps * w.load * share / pods
    node = float(np.mean(np.exp(rb.normal(0, svc.node_sigma, pods))))
    warm = (1 + svc.warm_a * np.exp(-age / svc.warm_tau)) * (1 + svc.cache_a * np.exp(-age / svc.cache_tau))
    lat = svc.median * w.lat_shared * _ar_log(rb, K, s, 0.04 / math.sqrt(min(pods, 16)), 60) * w.queue(rate_pod) * node * warm
    arrivals = served
    if svc.arch == "consumer":
        arrivals = _processed(arrivals, svc.rps * share / svc.u0 / (lat / svc.median) * s * ready)
    own = svc.pod_err_shape * pods
    p_base = svc.p0 * w.err_shared * w.err_cluster * rb.gamma(own, 1 / own, K)
    warm_err = svc.warm_err * np.exp(-age / svc.warm_err_tau)
    p = np.clip(p_base + w.inc_err + warm_err, 0, 1)
    p_to = p_base * svc.timeout_share + w.inc_to + warm_err
    errors = rb.binomial(arrivals, p)
    instant = refused if rel.source == "mesh" else np.zeros(K, dtype=np.int64)
    n, e_all = arrivals + instant, errors + instant
    tail_w = np.clip(svc.tail_p * rb.gamma(3 * pods, 1 / (3 * pods), K), 0, 0.5)
    body_w = np.clip(1 - tail_w - w.inc_slow, 0.01, 1)
    ln = np.log(lat)
    succ = (np.stack([body_w, tail_w, w.inc_slow], 1),
            np.stack([ln, ln + math.log(svc.tail_k), ln + math.log(w.inc_factor)], 1),
            np.array([svc.sigma, svc.tail_sigma, svc.sigma]))
    to_share = np.clip(np.divide(p_to, p, out=np.zeros(K), where=p > 0), 0, 1)
    inst_w = np.divide(instant, e_all, out=np.zeros(K), where=e_all > 0)
    err = (np.stack([(1 - to_share) * (1 - inst_w), to_share * (1 - inst_w), inst_w], 1),
           np.stack([np.log(svc.median * svc.fast_factor) + 0 * ln, np.full(K, math.log(svc.timeout)),
                     np.full(K, math.log(0.0008))], 1),
           np.array([0.6, 0.05, 0.3]))
    buckets, lat_sum = _latency_histogram(rb, n - e_all, e_all, succ, err, svc.buckets)
    up = t >= w.start + 1
    jit = svc.jit_cpu * (svc.idle_cpu + svc.cpu_req * rate_pod) * np.exp(-age / svc.jit_tau) * pods * s
    cpu = svc.idle_cpu * pods * s * (up | (ready > 0)) + svc.cpu_req * arrivals * np.clip(lat / svc.median, 0.5, 3) ** 0.3 \
        + jit * (ready > 0)
    cpu = cpu * np.exp(rb.normal(0, 0.05 / math.sqrt(pods), K))
    memory = _canary_memory(svc, t, serve) * (1 + svc.mem_saw * rb.uniform(-1, 1, K) / math.sqrt(pods))
    inc = np.column_stack([n, n - e_all, e_all, lat_sum, np.cumsum(buckets, axis=1), cpu]).astype(float)
    V = np.cumsum(inc, axis=0)  # a fresh process: its counters start at 0, like the canary's
    scraped = np.ones(K, bool)
    if env.scrape_fail and pods <= 3:
        scraped &= rb.random(K) >= env.scrape_fail
    base = w.prom_ok & up & scraped
    groups = {"req": base & (V[:, 0] > 0),
              "err": base & (V[:, 2] > 0) if rel.lazy_errors else base & (V[:, 0] > 0),
              "hist": base & (V[:, 0] > 0)}
    layout = NS(req=slice(0, 2), err=slice(2, 3), hist=slice(3, 4 + len(svc.buckets) + 1))
    series = {name: _counter(t, present, V[:, getattr(layout, name)]) for name, present in groups.items()}
    kube = w.prom_ok & w.kube_ok & up
    series["cpu"] = _counter(t, kube, V[:, -1:])
    return NS(series=series, memory=memory, kube=kube, pods=pods, pods_up=np.where(up, pods, 0)), share


def _latency_histogram(rng: np.random.Generator, n_ok: np.ndarray, n_err: np.ndarray, succ: tuple, err: tuple,
                       bounds: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-step bucket counts (``le`` buckets, last is +Inf, not cumulative) and latency sums."""
    K = len(n_ok)
    b = np.array(bounds)
    B = len(b) + 1
    counts = np.zeros((K, B), dtype=np.int64)
    sums = np.zeros(K)
    exact = (n_ok.sum() + n_err.sum()) <= 200_000
    for n, (w, mu, sig) in ((n_ok, succ), (n_err, err)):
        w = w / np.clip(w.sum(1, keepdims=True), 1e-12, None)
        if n.sum() == 0:
            continue
        if exact:
            step = np.repeat(np.arange(K), n)
            cw = np.cumsum(w, axis=1)[step]
            comp = (rng.random(len(step))[:, None] > cw[:, :-1]).sum(1)
            x = np.exp(mu[step, comp] + sig[comp] * rng.standard_normal(len(step)))
            idx = np.searchsorted(b, x, side="left")
            counts += np.bincount(step * B + idx, minlength=K * B).reshape(K, B)
            sums += np.bincount(step, weights=x, minlength=K)
        else:
            lnb = np.log(b)
            z = (lnb[None, :, None] - mu[:, None, :]) / sig[None, None, :]  # K x (B-1) x C
            cdf = ndtr(z)
            cdf = np.concatenate([np.zeros((K, 1, len(sig))), cdf, np.ones((K, 1, len(sig)))], axis=1)
            pc = np.diff(cdf, axis=1)  # K x B x C
            pe_cdf = ndtr(z - sig[None, None, :])
            pe_cdf = np.concatenate([np.zeros((K, 1, len(sig))), pe_cdf, np.ones((K, 1, len(sig)))], axis=1)
            pe = np.diff(pe_cdf, axis=1) * np.exp(mu + sig ** 2 / 2)[:, None, :]
            prob = np.einsum("kbc,kc->kb", pc, w)
            part = np.einsum("kbc,kc->kb", pe, w)
            prob = np.clip(prob, 0, None)
            prob /= prob.sum(1, keepdims=True)
            cond = np.divide(part, prob, out=np.zeros_like(part), where=prob > 1e-300)
            c = rng.multinomial(n, prob)
            counts += c
            sums += (c * cond).sum(1)
    return counts, sums


def _counter(t: np.ndarray, present: np.ndarray, V: np.ndarray) -> NS:
    """A group of counter series as stored: raw values and the reset-corrected running increase."""
    C = np.zeros_like(V)
    idx = np.flatnonzero(present)
    if len(idx) > 1:
        vals = V[idx]
        d = np.diff(vals, axis=0)
        d = np.where(d < 0, vals[1:], d)
        C[idx[1:]] = np.cumsum(d, axis=0)
    K = len(t)
    pc = np.concatenate([[0], np.cumsum(present)])
    nxt = np.full(K + 1, K)
    prv = np.full(K, -1)
    last = -1
    for k in range(K):
        if present[k]:
            last = k
        prv[k] = last
    following = K
    for k in range(K - 1, -1, -1):
        if present[k]:
            following = k
        nxt[k] = following
    return NS(t=t, present=present, V=V, C=C, pc=pc, nxt=nxt, prv=prv)


def _rate(series: NS, Tq: np.ndarray, window: float, increase: bool = False) -> np.ndarray:
    """PromQL ``rate``/``increase`` of each series of the group at times ``Tq``; NaN where there is no result."""
    t = series.t
    lo = np.searchsorted(t, Tq - window, side="right")
    hi = np.searchsorted(t, Tq, side="right")
    n = series.pc[hi] - series.pc[lo]
    ok = n >= 2
    f = np.where(ok, series.nxt[lo], 0)
    l_ = np.where(ok, series.prv[np.clip(hi - 1, 0, None)], 1)
    D = series.V.shape[1]
    out = np.full((len(Tq), D), np.nan)
    if not ok.any():
        return out
    f, l_, n, Tq_ok = f[ok], l_[ok], n[ok], Tq[ok]
    sampled = t[l_] - t[f]
    avg = sampled / (n - 1)
    thr = 1.1 * avg
    to_start = t[f] - (Tq_ok - window)
    to_end = Tq_ok - t[l_]
    to_start = np.where(to_start >= thr, avg / 2, to_start)[:, None]
    to_end = np.where(to_end >= thr, avg / 2, to_end)[:, None]
    result = series.C[l_] - series.C[f]
    first = series.V[f]
    with np.errstate(divide="ignore", invalid="ignore"):
        to_zero = sampled[:, None] * first / result
    to_start = np.where((result > 0) & (first >= 0) & (to_zero < to_start), to_zero, to_start)
    value = result * (sampled[:, None] + to_start + to_end) / sampled[:, None]
    if not increase:
        value = value / window
    out[ok] = value
    return out


def _quantile(q: float, bounds: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """PromQL ``histogram_quantile`` over le-cumulative bucket rates (rows), last column +Inf."""
    cum = np.maximum.accumulate(np.nan_to_num(cum, nan=0.0), axis=1)
    total = cum[:, -1]
    rank = q * total
    b = np.minimum((cum[:, :-1] < rank[:, None]).sum(1), len(bounds))
    out = np.full(len(cum), np.nan)
    rows = np.arange(len(cum))
    inf = b == len(bounds)
    out[inf] = bounds[-1]
    fin = ~inf
    bb = b[fin]
    upper = bounds[bb]
    lower = np.where(bb == 0, 0.0, bounds[np.clip(bb - 1, 0, None)])
    prev = np.where(bb == 0, 0.0, cum[rows[fin], np.clip(bb - 1, 0, None)])
    count = cum[rows[fin], bb] - prev
    with np.errstate(divide="ignore", invalid="ignore"):
        out[fin] = lower + (upper - lower) * (rank[fin] - prev) / count
    out[total <= 0] = np.nan
    return out


def _evaluate(spec: NS, sim: NS, svc: NS, rel: NS) -> dict[str, Any]:
    """The team's query, evaluated at every analysis time for both sides."""
    N = rel.n
    Tq = (np.arange(N) + 1.0) * rel.interval + rel.query_jitter
    Te = Tq
    if rel.rule:
        rule_phase = (rel.query_jitter * 7.3) % rel.rule
        Te = rule_phase + np.floor((Tq - rule_phase) / rel.rule) * rel.rule
    answered = np.ones(N, bool)
    for k, T in enumerate(Tq):
        j = np.searchsorted(sim.t, T, side="right") - 1
        je = np.searchsorted(sim.t, Te[k], side="right") - 1
        answered[k] = sim.prom_ok[j] and sim.prom_ok[je]
    W = rel.window
    bounds = sim.bounds
    result: dict[str, Any] = {"name": spec.name}
    values: dict[str, np.ndarray] = {}
    requests: dict[str, np.ndarray] = {}
    for side in ("stable", "canary"):
        d = sim.sides[side]
        if spec.kind in ("errors", "success"):
            req = _rate(d.series["req"], Te, W)
            total, ok = req[:, 0], req[:, 1]
            if spec.kind == "success":
                v = np.where(total > 0, ok / np.where(total > 0, total, 1), np.nan)
            else:
                err = _rate(d.series["err"], Te, W)[:, 0]
                v = np.where(total > 0, err / np.where(total > 0, total, 1), np.nan)
                if getattr(spec, "requests", False):
                    requests[side] = _rate(d.series["req"], Te, rel.req_window, increase=True)[:, 0]
        elif spec.kind in ("quantile", "mean", "apdex"):
            h = _rate(d.series["hist"], Te, W)
            sums, cum = h[:, 0], h[:, 1:]
            count = cum[:, -1]
            if spec.kind == "quantile":
                v = _quantile(spec.q, bounds, cum)
                v[np.isnan(count)] = np.nan
            elif spec.kind == "mean":
                v = np.where(count > 0, sums / np.where(count > 0, count, 1), np.nan)
            else:
                target = 2.5 * svc.median
                i = int(np.argmin(np.abs(np.log(bounds / target))))
                j = int(np.searchsorted(bounds, 4 * bounds[i] - 1e-12))
                j = min(j, len(bounds))
                v = np.where(count > 0, (cum[:, i] + cum[:, j]) / 2 / np.where(count > 0, count, 1), np.nan)
        elif spec.kind == "throughput":
            v = _rate(d.series["req"], Te, W)[:, 0]
            if spec.per_pod:
                j = np.clip(np.searchsorted(sim.t, Te, side="right") - 1, 0, None)
                pods = d.pods_up[j].astype(float)
                v = np.where(pods > 0, v / np.where(pods > 0, pods, 1), np.nan)
        elif spec.kind == "cpu":
            v = _rate(d.series["cpu"], Te, W)[:, 0] / d.pods
        else:  # memory: an instant query of a gauge, stale after a failed scrape
            j = np.clip(np.searchsorted(sim.t, Te, side="right") - 1, 0, None)
            v = np.where(d.kube[j], d.memory[j], np.nan)
        v = np.where(answered, v, np.nan)
        values[side] = v
    kind = {"errors": "error-ratio", "success": "gauge", "quantile": "latency", "mean": "latency",
            "apdex": "gauge", "throughput": "throughput", "cpu": "gauge", "memory": "gauge"}[spec.kind]
    better = "higher" if spec.kind in ("success", "apdex", "throughput") else "lower"
    result.update(kind=kind, better=better)
    result["stable"] = [_round(x) for x in values["stable"]]
    result["canary"] = [_round(x) for x in values["canary"]]
    if requests:
        for side in ("stable", "canary"):
            r = np.where(answered, requests[side], np.nan)
            result[f"{side}_requests"] = [_round(x) for x in r]
    return result


if __name__ == "__main__":
    corpus.main(generate, "A platform team's fleet: canary releases of many different services as Prometheus "
                "reported them (seeded).", Path("out/bench/fleet"), DEFAULT_COUNT, DEFAULT_SEED)
