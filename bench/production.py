"""Production-like scenarios (``grayrelease.scenario/v1``): the quirks of real services' metrics.

A fifth corpus, written apart from the judge and from the other generators, from the scenario
format and the list of release kinds alone; its author never read the judge. One JSON file per
scenario, named ``<family>-<index>.json``; families start with ``good-`` or ``bad-``.
``python -m bench.production --seed 23 --count 600 --out DIR``.  Only numpy and the standard
library; every scenario draws from its own generator ``default_rng([seed, index])``, so a file
depends on the seed, its index and the family list only.

Model of one release
====================
Shape.  20-60 analysis intervals of 15 s (25%), 30 s (45%) or 60 s (30%).  Canary weight 5% in
70% of releases, otherwise one of 1, 2, 3, 10, 15, 20, 25, 30, 40, 50%.

Query window.  Each value is what a PromQL query over a range window returns, and the window
is often longer than the analysis interval (rate[1m] evaluated every 15 s): the window spans
k = 1, 2 or 4 intervals (15 s: k in {2,4}; 30 s: {1,2,4}; 60 s: {1,2}).  Consecutive values share
data, so they are autocorrelated and a step onset appears as a ramp over k intervals.  Stable's
first windows are full (it served before the release); the canary's are partial, so its first
request counts are low.  Request counts are the counts behind each value, i.e. window sums.

Traffic.  Total rate R log-uniform 15-3000 req/s (good-low-traffic: 0.3-8 expected canary
requests per interval).  R(t) = R * diurnal(t) * events(t) * exp(AR1), diurnal amplitude
0.15-0.5 with a random phase of the day, AR(1) sigma 0.02-0.08.  The canary's realised share is
weight * exp(AR1) with sigma 0.01-0.08, or 0.10-0.30 for 20% of releases (HTTP/2 / gRPC
connection-level balancing).  Requests per interval ~ Poisson.  Stable runs 2-200 pods, the canary
max(1, round(stable_pods * w / (100 - w))).

Errors.  Baseline error ratio e0 log-uniform 3e-4..2e-2 (10%: 1e-5..3e-4).  Shared log-AR(1)
(phi 0.4-0.9, sigma 0.1-0.35) plus load coupling (elasticity 0-0.8), per-side log-AR(1)
(sigma 0.03-0.15), a persistent canary offset exp(N(0, 0.08)) clipped to +-20% relative.
Over-dispersion: the per-interval ratio is Beta-distributed around its mean with relative sd
0.1-0.6, then Binomial; plus client error batches in 60% of releases (Poisson, 0-0.3 per
interval, lognormal size with median 0.05-0.5% of the interval's traffic), split request by
request between the sides, but landing whole on one side under gRPC balancing; plus pod
hiccups (hazard 0.0005-0.004 per pod-minute; the hit pod fails 2-30% of its requests for 5-30%
of an interval, and adds a slow component to latency) which average out over many stable pods but
not over 1-3 canary pods.

Latency.  Per-request lognormal, sigma 0.3-0.9, baseline p99 0.02-1.5 s, plus a 0-0.8% slow
mode (x2.5-6).  Shared log-AR(1) (phi 0.6-0.95, sigma 0.02-0.08), load elasticity 0.05-0.3,
per-side AR(1) with Student-t(3) innovations (sigma 0.01-0.04), persistent canary offset
N(0, 2%) clipped to +-5%.  Request latencies are binned into a Prometheus histogram (default
buckets, exponential buckets, or a custom layout), summed over the window, and read back with
histogram_quantile's linear interpolation (+Inf bucket -> largest finite bound).  So p99 at low
counts is close to the max, and values are distorted by bucket edges.  Mean latency comes from
_sum/_count (Gamma approximation of the sample sum).

Other metrics, some of the time: p50 (25%), mean latency (15%), success rate in percent, higher
is better (15%; in 5% it replaces the error ratio), successful req/s per pod (throughput, higher,
12%, only where replica counts match the weight within 6% and balancing is even), and per-pod
memory working set (gauge, 12% plus the memory families).  New canary pods start at 40-80% of
stable memory and warm up over 1-5 minutes.

Missing data and quirks.  A value is null when its window has no requests (requests 0).  Request
counts are absent from 20% of releases, and are float (increase() extrapolation) in 30% of the
ones that have them.  Prometheus gaps (both sides, every metric, requests null) in 20% of
releases, 1-4 intervals.  One canary-only missed scrape in 5%, one stable-only in 3%, one
metric's recording-rule gap in 6%.  The first canary interval is null in 25% (the canary has just
started and the rate needs two samples).  In 20% the canary's error series does not exist until
its first error, so its error ratio is null (not 0) while requests are non-zero.  A mild
latency warm-up (<= 10%, first minute) in 30%.

Nuisance overlays in every family (each event hits both sides alike): traffic dip (10%), burst
(10%), shared incident (10%), scrape gaps (20%).

Families (share of the corpus; bad ~45%)
========================================
good-steady 9.5%: only the noise above.
good-diurnal 7.5%: steep diurnal slope (amplitude 0.3-0.6) and a shared drift of p99 by
  -25..+35% and of the error ratio by x0.5-2 over the release.
good-traffic-dip 6%: 1-2 dips to 5-40% of traffic for 2-8 intervals.
good-burst 6%: 1-3 bursts of x2-5 traffic for 1-4 intervals; latency x burst^0.1-0.4, errors
  x burst^0.3-1 on both sides.
good-shared-incident 7.5%: a dependency fails for 2-10 intervals (error ratio 1-30% and p99
  x1.2-3 on both sides), or only slows down (p99 x1.3-3), or a permanent shared shift (p99
  x1.15-1.6, errors x1.5-4) from some interval on.
good-low-traffic 6%: 0.3-8 expected canary requests per interval; zero-request intervals.
good-scrape-gaps 5%: 1-3 Prometheus gaps, canary-only misses, metric gaps.
good-harmless-diff 3.5%: canary p99 -5..+5%, errors x0.85-1.15, memory +-5%.
good-improvement 2.5%: canary p99 -5..-40% and/or errors x0.2-0.8.
good-warmup 1.5%: canary p99 +15..+50% decaying with a 20-90 s time constant; memory warm-up.
bad-error-step 12.5%: from onset, error ratio x1.5-2 (20%), x2-10 (50%), x10-60 (30%), at least
  +0.2 points; or (30%) an absolute 0.5-20% of failing requests.
bad-latency 12.5%: p99 (or the primary quantile) +10-20% (20%), +20-50% (35%), +50-100%
  (35%), +100-200% (10%); whole distribution shifted (60%) or only the tail widened (40%).
bad-slow-leak 6.5%: from onset a growing regression: p99 up to +60..+250% at the end, or errors
  up to x5-50 (at least 1%), or memory growing linearly by 60-200% of baseline with GC-pressure
  latency (+40..+150%), and, where it reaches the 1.5-2.3x limit, an OOM kill (error blip, lost
  traffic, memory reset).
bad-intermittent-errors 6%: after onset the canary flips between normal and failing (Markov,
  enter 0.15-0.4, stay 0.3-0.7); failing intervals carry 2-30% errors.
bad-crash-loop 5%: from onset the canary crash-loops with CrashLoopBackOff (10 s doubling to
  300 s, 5-45 s of readiness between crashes): its series vanish (55%, null), or it reports zero
  requests (20%, null values with 0 requests), or the mesh answers 503 "no healthy upstream" for
  it (25%: error ratio ~99%, latency very low).
bad-mixed 2.5%: errors x2-6 and p99 +20..+80% together.
Onset: 30% at interval 0, else uniform over [1, 0.6 n] (leaks: [0, 0.4 n]), always >= 8 intervals
before the end.  truth.note states the true (pre-histogram) magnitude.
"""

import json
import math

from pathlib import Path

import numpy as np

from bench import corpus

FORMAT = "grayrelease.scenario/v1"

FAMILIES = [
    ("good-steady", 0.095),
    ("good-diurnal", 0.075),
    ("good-traffic-dip", 0.06),
    ("good-burst", 0.06),
    ("good-shared-incident", 0.075),
    ("good-low-traffic", 0.06),
    ("good-scrape-gaps", 0.05),
    ("good-harmless-diff", 0.035),
    ("good-improvement", 0.025),
    ("good-warmup", 0.015),
    ("bad-error-step", 0.125),
    ("bad-latency", 0.125),
    ("bad-slow-leak", 0.065),
    ("bad-intermittent-errors", 0.06),
    ("bad-crash-loop", 0.05),
    ("bad-mixed", 0.025),
]

BUCKETS_DEFAULT = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
BUCKETS_CUSTOM = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0,
                  3.0, 5.0, 10.0]
Z = {0.5: 0.0, 0.9: 1.2816, 0.95: 1.6449, 0.99: 2.3263}


# ----------------------------------------------------------------------------- small helpers

def erf(x):
    """Abramowitz-Stegun 7.1.26, vectorised (|error| < 1.5e-7); numpy has no erf."""
    x = np.asarray(x, dtype=float)
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-a * a)
    return s * y


def ln_cdf(x, mu, sigma):
    return 0.5 * (1.0 + erf((np.log(x) - mu) / (sigma * math.sqrt(2.0))))


def ar1(rng, n, phi, sigma, df=None):
    """Stationary AR(1) with marginal sd ~sigma; Student-t innovations when df is given."""
    if df is None:
        e = rng.normal(size=n)
    else:
        e = rng.standard_t(df, size=n) / math.sqrt(df / (df - 2.0))
    x = np.empty(n)
    x[0] = sigma * e[0]
    k = sigma * math.sqrt(1.0 - phi * phi)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + k * e[t]
    return x


def logu(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def pick(rng, items, p=None):
    return items[int(rng.choice(len(items), p=p))]


def sig(x, digits=6):
    if x is None:
        return None
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return 0.0 if x == 0.0 else None
    return float(f"{x:.{digits}g}")


def window_sum(a, k):
    """Sum over the last k intervals (fewer at the start), axis 0."""
    c = np.cumsum(a, axis=0)
    out = c.copy()
    out[k:] = c[k:] - c[:-k]
    return out


def mixture_quantile(q, comps):
    """Quantile of a mixture of lognormals [(w, mu, sigma)], by bisection on log x."""
    lo, hi = -15.0, 8.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        f = sum(w * float(ln_cdf(math.exp(mid), m, s)) for w, m, s in comps)
        if f < q:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def hist_quantile(q, bounds, counts):
    """Prometheus histogram_quantile on per-interval bucket counts (last column = +Inf)."""
    out = []
    nb = len(bounds)
    for row in counts:
        total = row.sum()
        if total <= 0:
            out.append(None)
            continue
        cum = np.cumsum(row)
        rank = q * total
        i = int(np.searchsorted(cum, rank, side="left"))
        if i >= nb:
            out.append(bounds[-1])
            continue
        lower = 0.0 if i == 0 else bounds[i - 1]
        prev = 0.0 if i == 0 else cum[i - 1]
        out.append(lower + (bounds[i] - lower) * (rank - prev) / row[i])
    return out


def segment(rng, n, lo, hi):
    length = int(rng.integers(lo, hi + 1))
    length = min(length, n - 2)
    start = int(rng.integers(1, n - length + 1))
    return start, length


# ----------------------------------------------------------------------------- one release

class Release:
    """Parameters and per-interval latent state of one release, filled in by build()."""

    def __init__(self, rng, family, index):
        self.rng = rng
        self.family = family
        self.index = index
        self.bad = family.startswith("bad-")
        self.notes = []
        self.onset = None


def setup(r):
    rng = r.rng
    fam = r.family
    r.n = n = int(rng.integers(20, 61))
    r.interval = pick(rng, [15, 30, 60], [0.25, 0.45, 0.30])
    r.weight = 5 if rng.random() < 0.7 else pick(rng, [1, 2, 3, 10, 15, 20, 25, 30, 40, 50])
    w = r.weight / 100.0
    ks = {15: ([2, 4], [0.4, 0.6]), 30: ([1, 2, 4], [0.45, 0.4, 0.15]), 60: ([1, 2], [0.7, 0.3])}
    r.k = pick(rng, *ks[r.interval])
    if fam == "good-low-traffic":
        mu_c = logu(rng, 0.3, 8.0)
        r.R = mu_c / (w * r.interval)
    else:
        r.R = logu(rng, 15.0, 3000.0)
    cap = logu(rng, 5.0, 100.0)
    r.stable_pods = int(np.clip(round(r.R * (1 - w) / cap), 2, 200))
    r.canary_pods = max(1, int(round(r.stable_pods * w / (1 - w))))
    r.grpc = rng.random() < 0.2

    # error baseline
    r.e0 = logu(rng, 1e-5, 3e-4) if rng.random() < 0.1 else logu(rng, 3e-4, 2e-2)
    r.err_rho = {"stable": rng.uniform(0.1, 0.6), "canary": rng.uniform(0.1, 0.6)}
    r.batch_rate = rng.uniform(0.0, 0.3) if rng.random() < 0.6 else 0.0
    r.batch_frac = logu(rng, 0.0005, 0.005)
    r.hazard = logu(rng, 0.0005, 0.004) * r.interval / 60.0

    # latency baseline
    r.sigma = rng.uniform(0.3, 0.9)
    r.q = pick(rng, [0.99, 0.95, 0.9], [0.75, 0.2, 0.05])
    r.p99_0 = logu(rng, 0.02, 1.5)
    r.mu0 = math.log(r.p99_0) - Z[0.99] * r.sigma
    r.tail_w = rng.uniform(0.0, 0.008)
    r.tail_mult = rng.uniform(2.5, 6.0)
    r.pause_med = r.p99_0 * rng.uniform(1.5, 5.0)
    b = rng.random()
    if b < 0.4:
        r.bounds = list(BUCKETS_DEFAULT)
    elif b < 0.7:
        start = pick(rng, [0.001, 0.002, 0.005])
        factor = pick(rng, [1.5, 2.0])
        r.bounds = []
        x = start
        while x < 20:
            r.bounds.append(round(x, 6))
            x *= factor
    else:
        r.bounds = list(BUCKETS_CUSTOM)
    r.bounds = np.array(r.bounds)

    # which metrics
    r.has_error = rng.random() > 0.05
    r.has_success = (not r.has_error) or rng.random() < 0.10
    r.has_p50 = rng.random() < 0.25
    r.has_mean = rng.random() < 0.15
    ideal = r.stable_pods * w / (1 - w)
    r.has_tput = (rng.random() < 0.12 and abs(ideal / r.canary_pods - 1) < 0.06 and not r.grpc)
    r.has_mem = rng.random() < 0.12
    r.has_requests = rng.random() > 0.2
    r.float_requests = rng.random() < 0.3
    r.zero_series = rng.random() < 0.2
    r.proto = pick(rng, ["http", "grpc"]) if r.grpc else "http"
    r.shuffle_metrics = rng.random() < 0.3

    # latent arrays, filled by nuisance and family code
    r.tr_mult = np.ones(n)
    r.lat_common = np.zeros(n)          # log-scale, both sides
    r.err_common = np.zeros(n)          # log-scale multiplier, both sides
    r.incident = np.zeros(n)            # absolute failing fraction, both sides
    r.c_err_mult = np.ones(n)
    r.c_err_add = np.zeros(n)
    r.c_lat_mu = np.zeros(n)
    r.c_lat_sig = np.zeros(n)
    r.c_up = np.ones(n)                 # fraction of the interval the canary serves
    r.c_down_mode = None                # None | "vanish" | "zero" | "mesh503"
    r.c_mem_add = np.zeros(n)           # fraction of M0 added to canary memory
    r.c_mem_reset = []                  # intervals at which canary memory restarts fresh
    r.gaps = np.zeros(n, bool)          # Prometheus gap: both sides, all metrics
    r.c_miss = np.zeros(n, bool)
    r.s_miss = np.zeros(n, bool)
    r.metric_gap = None
    r.warm_amp = 0.0
    r.warm_tau = 30.0


def choose_onset(r, late=0.6):
    rng = r.rng
    hi = max(1, min(int(late * r.n), r.n - 8))
    if rng.random() < 0.3:
        return 0
    return int(rng.integers(1, hi + 1))


# ----------------------------------------------------------------------------- shared events

def add_dip(r):
    rng = r.rng
    s, L = segment(rng, r.n, 2, 8)
    d = rng.uniform(0.05, 0.4)
    r.tr_mult[s:s + L] *= d
    return f"traffic dip to {d:.0%} at {s}-{s + L - 1}"


def add_burst(r):
    rng = r.rng
    s, L = segment(rng, r.n, 1, 4)
    B = rng.uniform(2.0, 5.0)
    r.tr_mult[s:s + L] *= B
    r.lat_common[s:s + L] += rng.uniform(0.1, 0.4) * math.log(B)
    r.err_common[s:s + L] += rng.uniform(0.3, 1.0) * math.log(B)
    return f"traffic burst x{B:.1f} at {s}-{s + L - 1}"


def add_incident(r, kind=None):
    rng = r.rng
    kind = kind or pick(rng, ["errors", "slow", "shift"], [0.55, 0.25, 0.20])
    if kind == "errors":
        s, L = segment(rng, r.n, 2, 10)
        lvl = logu(rng, 0.01, 0.3)
        ramp = np.ones(L)
        if L >= 4 and rng.random() < 0.5:
            ramp[0] = 0.4
            ramp[-1] = 0.5
        r.incident[s:s + L] = np.maximum(r.incident[s:s + L], lvl * ramp)
        lf = rng.uniform(1.2, 3.0)
        r.lat_common[s:s + L] += math.log(lf) * ramp
        return f"shared dependency incident at {s}-{s + L - 1}: errors {lvl:.1%}, p99 x{lf:.1f}"
    if kind == "slow":
        s, L = segment(rng, r.n, 2, 10)
        lf = rng.uniform(1.3, 3.0)
        r.lat_common[s:s + L] += math.log(lf)
        return f"shared dependency slowdown at {s}-{s + L - 1}: p99 x{lf:.1f}"
    s = int(rng.integers(2, r.n - 3))
    lf = rng.uniform(1.15, 1.6)
    ef = rng.uniform(1.5, 4.0) if rng.random() < 0.6 else 1.0
    r.lat_common[s:] += math.log(lf)
    r.err_common[s:] += math.log(ef)
    return f"shared shift from {s}: p99 x{lf:.2f}, errors x{ef:.1f}"


def add_gaps(r, count):
    rng = r.rng
    for _ in range(count):
        L = min(int(rng.geometric(0.55)), 4)
        s = int(rng.integers(0, r.n - L + 1))
        r.gaps[s:s + L] = True
    return f"{count} Prometheus gap(s)"


def nuisance(r):
    rng = r.rng
    fam = r.family
    if fam != "good-traffic-dip" and rng.random() < 0.10:
        r.notes.append(add_dip(r))
    if fam != "good-burst" and rng.random() < 0.10:
        r.notes.append(add_burst(r))
    if fam != "good-shared-incident" and rng.random() < 0.10:
        r.notes.append(add_incident(r))
    if fam != "good-scrape-gaps" and rng.random() < 0.20:
        add_gaps(r, 1)
    if rng.random() < 0.05:
        r.c_miss[int(rng.integers(1, r.n))] = True
    if rng.random() < 0.03:
        r.s_miss[int(rng.integers(0, r.n))] = True
    if rng.random() < 0.06:
        s, L = segment(rng, r.n, 1, 3)
        r.metric_gap = (s, L)
    if rng.random() < 0.25:
        r.c_miss[0] = True
    if rng.random() < 0.3:
        r.warm_amp = rng.uniform(0.0, 0.10)
        r.warm_tau = rng.uniform(10, 30)


# ----------------------------------------------------------------------------- families

def calibrate_tail(r, d):
    """Extra sigma for the main mode so that the primary quantile grows by d (tail mode)."""
    base = [(1 - r.tail_w, r.mu0, r.sigma),
            (r.tail_w, r.mu0 + math.log(r.tail_mult), 0.5)]
    q0 = mixture_quantile(r.q, base)
    target = q0 * (1 + d)
    lo, hi = 0.0, 4.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        comps = [(1 - r.tail_w, r.mu0, r.sigma + mid), base[1]]
        if mixture_quantile(r.q, comps) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def qname(r):
    return {0.99: "p99", 0.95: "p95", 0.9: "p90"}[r.q]


def error_multiplier_note(r, m, add):
    new = min(r.e0 * m + add, 0.95)
    return new, f"error ratio x{new / r.e0:.1f} ({r.e0:.4%} -> {new:.3%})"


def family(r):
    rng = r.rng
    fam = r.family
    n = r.n
    if fam == "good-steady":
        r.notes.append("noise only")
    elif fam == "good-diurnal":
        r.diurnal_amp = rng.uniform(0.3, 0.6)
        r.diurnal_phase = pick(rng, [0.0, 0.5]) + rng.uniform(-0.05, 0.05)
        ld = rng.uniform(-0.25, 0.35)
        ed = logu(rng, 0.5, 2.0)
        r.lat_common += np.linspace(0, math.log(1 + ld), n)
        r.err_common += np.linspace(0, math.log(ed), n)
        r.notes.append(f"diurnal slope, shared drift p99 {ld:+.0%}, errors x{ed:.2f}")
    elif fam == "good-traffic-dip":
        for _ in range(int(rng.integers(1, 3))):
            r.notes.append(add_dip(r))
    elif fam == "good-burst":
        for _ in range(int(rng.integers(1, 4))):
            r.notes.append(add_burst(r))
    elif fam == "good-shared-incident":
        r.notes.append(add_incident(r))
    elif fam == "good-low-traffic":
        r.notes.append(f"very low canary traffic ({r.R * r.weight / 100 * r.interval:.1f} "
                       f"req/interval expected)")
    elif fam == "good-scrape-gaps":
        r.notes.append(add_gaps(r, int(rng.integers(1, 4))))
        if rng.random() < 0.5:
            r.c_miss[int(rng.integers(1, n))] = True
            r.notes.append("one canary-only missed scrape")
        if rng.random() < 0.3:
            s, L = segment(rng, n, 1, 3)
            r.metric_gap = (s, L)
    elif fam == "good-harmless-diff":
        ld = rng.uniform(-0.05, 0.05)
        ef = rng.uniform(0.85, 1.15)
        r.c_lat_mu += math.log(1 + ld)
        r.c_err_mult *= ef
        r.c_mem_add += rng.uniform(-0.05, 0.05)
        r.notes.append(f"harmless canary difference: p99 {ld:+.1%}, errors x{ef:.2f}")
    elif fam == "good-improvement":
        what = pick(rng, ["lat", "err", "both"])
        parts = []
        if what in ("lat", "both"):
            ld = rng.uniform(0.05, 0.40)
            r.c_lat_mu -= math.log(1 / (1 - ld))
            parts.append(f"p99 -{ld:.0%}")
        if what in ("err", "both"):
            ef = rng.uniform(0.2, 0.8)
            r.c_err_mult *= ef
            parts.append(f"errors x{ef:.2f}")
        r.notes.append("canary better: " + ", ".join(parts))
    elif fam == "good-warmup":
        r.warm_amp = rng.uniform(0.15, 0.50)
        r.warm_tau = rng.uniform(20, 90)
        if rng.random() < 0.5:
            r.has_mem = True
        r.notes.append(f"canary warm-up: p99 +{r.warm_amp:.0%} decaying, tau {r.warm_tau:.0f}s")
    elif fam == "bad-error-step":
        r.onset = o = choose_onset(r)
        if rng.random() < 0.3:
            add = logu(rng, 0.005, 0.2)
            m = 1.0
        else:
            c = rng.random()
            m = rng.uniform(1.5, 2.0) if c < 0.2 else (
                logu(rng, 2.0, 10.0) if c < 0.7 else logu(rng, 10.0, 60.0))
            add = max(0.0, 0.002 - r.e0 * (m - 1))
        r.c_err_mult[o:] *= m
        r.c_err_add[o:] += add
        _, txt = error_multiplier_note(r, m, add)
        r.notes.append(f"{txt} from interval {o}")
    elif fam in ("bad-latency", "bad-mixed"):
        r.onset = o = choose_onset(r)
        if fam == "bad-latency":
            c = rng.random()
            d = (rng.uniform(0.10, 0.20) if c < 0.2 else rng.uniform(0.20, 0.50) if c < 0.55
                 else rng.uniform(0.50, 1.00) if c < 0.9 else rng.uniform(1.0, 2.0))
        else:
            d = rng.uniform(0.2, 0.8)
        mode = "shift" if rng.random() < 0.6 else "tail"
        if mode == "shift":
            r.c_lat_mu[o:] += math.log(1 + d)
        else:
            r.c_lat_sig[o:] += calibrate_tail(r, d)
        txt = f"{qname(r)} +{d:.0%} ({'whole distribution' if mode == 'shift' else 'tail only'})"
        if fam == "bad-mixed":
            m = rng.uniform(2.0, 6.0)
            add = max(0.0, 0.002 - r.e0 * (m - 1))
            r.c_err_mult[o:] *= m
            r.c_err_add[o:] += add
            txt += ", " + error_multiplier_note(r, m, add)[1]
        r.notes.append(f"{txt} from interval {o}")
    elif fam == "bad-slow-leak":
        leak(r)
    elif fam == "bad-intermittent-errors":
        r.onset = o = choose_onset(r)
        p_in = rng.uniform(0.15, 0.4)
        p_stay = rng.uniform(0.3, 0.7)
        lvl = logu(rng, 0.02, 0.3)
        state = True
        bad_idx = []
        for t in range(o, n):
            if state:
                bad_idx.append(t)
            state = rng.random() < (p_stay if state else p_in)
        while len(bad_idx) < 3:
            extra = int(rng.integers(o + 1, n))
            if extra not in bad_idx:
                bad_idx.append(extra)
        bad_idx.sort()
        for t in bad_idx:
            r.c_err_add[t] += lvl * rng.uniform(0.5, 1.5)
        r.notes.append(f"intermittent errors ~{lvl:.1%} in {len(bad_idx)} of {n - o} intervals "
                       f"from interval {o}")
    elif fam == "bad-crash-loop":
        crash_loop(r)
    else:
        raise ValueError(fam)


def leak(r):
    rng = r.rng
    n = r.n
    r.onset = o = choose_onset(r, late=0.4)
    span = max(1, n - 1 - o)
    frac = np.clip((np.arange(n) - o) / span, 0, None)
    kind = pick(rng, ["latency", "errors", "memory"], [0.4, 0.3, 0.3])
    if kind == "latency":
        end = rng.uniform(0.6, 2.5)
        pw = rng.uniform(1.0, 1.8)
        r.c_lat_mu += np.log1p(end * frac ** pw)
        r.notes.append(f"slow leak: {qname(r)} growing to +{end:.0%} by the end, from {o}")
    elif kind == "errors":
        end = logu(rng, 5.0, 50.0)
        pw = rng.uniform(1.0, 1.8)
        r.c_err_mult *= 1 + (end - 1) * frac ** pw
        floor = max(0.0, 0.01 - r.e0 * (end - 1))
        r.c_err_add += floor * frac ** pw
        new = r.e0 * end + floor
        r.notes.append(f"slow leak: error ratio growing to x{new / r.e0:.0f} ({new:.2%}) by the "
                       f"end, from {o}")
    else:
        r.has_mem = True
        growth = rng.uniform(0.6, 2.0)          # fraction of M0 added by the end
        limit = rng.uniform(1.5, 2.3)           # OOM limit as a multiple of M0
        end_lat = rng.uniform(0.4, 1.5)
        mem = growth * frac
        lat = np.zeros(n)
        base = 0.0
        ooms = []
        for t in range(o, n):
            m = mem[t] - base
            if 1.0 + m >= limit:
                ooms.append(t)
                base = mem[t]
                m = 0.0
            r.c_mem_add[t] = m
            lat[t] = end_lat * min(1.0, m / max(1e-9, min(growth, limit - 1.0))) ** 2
        r.c_lat_mu += np.log1p(lat)
        for t in ooms:
            r.c_up[t] = rng.uniform(0.5, 0.9)
            r.c_err_add[t] += rng.uniform(0.01, 0.05)
            r.c_mem_reset.append(t)
            r.c_lat_mu[t] += math.log(1.3)
        r.notes.append(f"memory leak from {o} (+{growth:.0%} of baseline by the end, "
                       f"{len(ooms)} OOM kill(s)), GC-pressure {qname(r)} up to +{end_lat:.0%}")


def crash_loop(r):
    rng = r.rng
    n = r.n
    iv = r.interval
    r.onset = o = choose_onset(r)
    r.c_down_mode = pick(rng, ["vanish", "zero", "mesh503"], [0.55, 0.20, 0.25])
    up = np.zeros(n * iv + 1, bool)
    up[: o * iv] = True
    tcur = o * iv + rng.uniform(0.0, 0.3) * iv
    up[o * iv: int(tcur)] = True
    backoff = 10.0
    while tcur < n * iv:
        tcur += backoff + rng.uniform(3, 20)
        backoff = min(backoff * 2, 300.0)
        run = rng.uniform(5, 45)
        a, b = int(tcur), int(min(tcur + run, n * iv))
        up[a:b] = True
        tcur += run
    frac = up[: n * iv].reshape(n, iv).mean(axis=1)
    r.c_up[o:] = frac[o:]
    elev = rng.uniform(0.02, 0.3)
    for t in range(o, n):
        if 0 < r.c_up[t]:
            r.c_err_add[t] += elev
            r.c_lat_mu[t] += math.log(rng.uniform(1.2, 2.0))
            r.c_mem_reset.append(t)
    mode = {"vanish": "canary series vanish", "zero": "canary reports zero requests",
            "mesh503": "mesh returns 503 for the canary"}[r.c_down_mode]
    r.notes.append(f"crash loop from interval {o} ({mode}); up {np.mean(r.c_up[o:]):.0%} of the "
                   f"time after onset")


# ----------------------------------------------------------------------------- simulation

def simulate(r):
    rng = r.rng
    n = r.n
    iv = r.interval
    w = r.weight / 100.0
    t_idx = np.arange(n)

    # traffic
    amp = getattr(r, "diurnal_amp", rng.uniform(0.15, 0.5))
    phase = getattr(r, "diurnal_phase", rng.uniform(0, 1))
    day = (phase * 86400 + t_idx * iv) / 86400.0
    diurnal = 1 + amp * np.sin(2 * math.pi * day)
    load = diurnal * r.tr_mult * np.exp(ar1(rng, n, 0.7, rng.uniform(0.02, 0.08)))
    share_sigma = rng.uniform(0.10, 0.30) if r.grpc else rng.uniform(0.01, 0.08)
    share_c = np.clip(w * np.exp(ar1(rng, n, rng.uniform(0.6, 0.95), share_sigma)), 0, 0.9)
    lam_c = r.R * load * iv * share_c
    lam_s = r.R * load * iv * (1 - share_c)
    if r.c_down_mode in ("vanish", "zero"):
        lam_s = lam_s + lam_c * (1 - r.c_up)      # replica-based split: stable takes the rest
        lam_c = lam_c * r.c_up
    N = {"stable": rng.poisson(lam_s).astype(float), "canary": rng.poisson(lam_c).astype(float)}

    # shared latent processes
    log_load = np.log(load / np.mean(diurnal))
    err_common = (r.err_common + ar1(rng, n, rng.uniform(0.4, 0.9), rng.uniform(0.1, 0.35))
                  + rng.uniform(0.0, 0.8) * log_load)
    lat_common = (r.lat_common + ar1(rng, n, rng.uniform(0.6, 0.95), rng.uniform(0.02, 0.08))
                  + rng.uniform(0.05, 0.3) * log_load)
    off_err = math.exp(float(np.clip(rng.normal(0, 0.08), -0.2, 0.2)))
    off_lat = float(np.clip(rng.normal(0, 0.02), -0.05, 0.05))
    secs = (t_idx + 0.5) * iv
    warm = np.log1p(r.warm_amp * np.exp(-secs / r.warm_tau))

    # client error batches: split request by request across the sides, except with
    # connection-level balancing (gRPC), where a whole batch lands on one side
    batch_err = {"stable": np.zeros(n), "canary": np.zeros(n)}
    for t in np.nonzero(rng.poisson(r.batch_rate, size=n))[0]:
        size = max(1, int(round(r.batch_frac * r.R * load[t] * iv * rng.lognormal(0.0, 1.0))))
        if r.grpc:
            to_canary = size if rng.random() < share_c[t] else 0
        else:
            to_canary = int(rng.binomial(size, share_c[t]))
        batch_err["canary"][t] += to_canary
        batch_err["stable"][t] += size - to_canary
    E = {}
    counts = {}
    lat_sum = {}
    for side in ("stable", "canary"):
        can = side == "canary"
        pods = r.canary_pods if can else r.stable_pods
        # error probability
        p = r.e0 * np.exp(err_common + ar1(rng, n, rng.uniform(0.3, 0.8), rng.uniform(0.03, 0.15)))
        if can:
            p = p * off_err * r.c_err_mult + r.c_err_add
        p = 1 - (1 - np.clip(p, 0, 0.95)) * (1 - r.incident)
        hits = rng.binomial(pods, min(r.hazard, 0.5), size=n)
        a = np.zeros(n)
        for t in np.nonzero(hits)[0]:
            a[t] = min(1.0, sum(rng.uniform(0.05, 0.3) for _ in range(hits[t])) / pods)
        qh = logu(rng, 0.02, 0.3)
        p = p * (1 - a) + qh * a
        if can and r.c_down_mode == "mesh503":
            p = r.c_up * p + (1 - r.c_up) * rng.uniform(0.97, 1.0, size=n)
        p = np.clip(p, 1e-9, 0.999)
        rho = r.err_rho[side]
        kappa = np.maximum((1 - p) / (p * rho * rho) - 1, 0.5)
        pd = rng.beta(p * kappa, (1 - p) * kappa)
        e = rng.binomial(N[side].astype(np.int64), pd).astype(float)
        b = np.where(N[side] > 0, batch_err[side], 0.0)
        N[side] += b
        e += b
        E[side] = e

        # latency mixture per interval
        mu = (r.mu0 + lat_common
              + ar1(rng, n, rng.uniform(0.3, 0.8), rng.uniform(0.01, 0.04), df=3))
        sg = np.full(n, r.sigma)
        if can:
            mu = mu + off_lat + r.c_lat_mu + warm
            sg = sg + r.c_lat_sig
        comps = [((1 - r.tail_w - a), mu, sg),
                 (np.full(n, r.tail_w), mu + math.log(r.tail_mult), np.full(n, 0.5)),
                 (a, np.full(n, math.log(r.pause_med)), np.full(n, 0.6))]
        if can and r.c_down_mode == "mesh503":
            down = 1 - r.c_up
            comps = [(cw * r.c_up, cm, cs) for cw, cm, cs in comps]
            comps.append((down, np.full(n, math.log(0.002)), np.full(n, 0.5)))
        B = r.bounds
        cdf = np.zeros((n, len(B)))
        mean = np.zeros(n)
        m2 = np.zeros(n)
        for cw, cm, cs in comps:
            cw = np.clip(cw, 0, 1)
            cdf += cw[:, None] * ln_cdf(B[None, :], cm[:, None], cs[:, None])
            mean += cw * np.exp(cm + cs ** 2 / 2)
            m2 += cw * np.exp(2 * cm + 2 * cs ** 2)
        tot = np.array([np.clip(c[0], 0, 1) for c in comps]).sum(axis=0)
        cdf = np.clip(cdf / tot[:, None], 0, 1)
        cdf = np.maximum.accumulate(cdf, axis=1)
        probs = np.diff(np.concatenate([np.zeros((n, 1)), cdf, np.ones((n, 1))], axis=1), axis=1)
        probs = np.clip(probs, 0, None)
        probs /= probs.sum(axis=1, keepdims=True)
        counts[side] = rng.multinomial(N[side].astype(np.int64), probs).astype(float)
        mean /= tot
        var = np.maximum(m2 / tot - mean ** 2, 1e-12)
        nn = np.maximum(N[side], 1)
        lat_sum[side] = np.where(N[side] > 0,
                                 rng.gamma(nn * mean ** 2 / var, var / mean), 0.0)
    r.N, r.E, r.counts, r.lat_sum, r.share_c = N, E, counts, lat_sum, share_c


# ----------------------------------------------------------------------------- observation

def observe(r):
    """Turn latent counts into what the PromQL queries would have returned."""
    rng = r.rng
    n = r.n
    k = r.k
    iv = r.interval
    kk = np.minimum(np.arange(n) + 1, k)
    obs = {}
    null = {}
    for side in ("stable", "canary"):
        can = side == "canary"
        # stable was serving before the canary started: its first windows are full, padded
        # with copies of its first interval; the canary's first windows are partial
        pad = 0 if can else k - 1

        def wsum(a):
            if pad:
                a = np.concatenate([np.repeat(a[:1], pad, axis=0), a], axis=0)
            return window_sum(a, k)[pad:]

        Nw = wsum(r.N[side])
        Ew = wsum(r.E[side])
        Cw = wsum(r.counts[side])
        Sw = wsum(r.lat_sum[side])
        extrap = np.exp(rng.normal(0, 0.01, n)) if r.float_requests else np.ones(n)
        nothing = Nw <= 0
        missing = r.gaps | (r.c_miss if can else r.s_miss)
        vanished = np.zeros(n, bool)
        if can and r.c_down_mode in ("vanish", "mesh503") and r.onset is not None:
            upw = window_sum(r.c_up, k)
            vanished = (upw <= 0) & (np.arange(n) >= r.onset)
        if can and r.c_down_mode == "vanish":
            missing = missing | vanished
        ratio = [None if (nothing[t] or missing[t]) else Ew[t] / Nw[t] for t in range(n)]
        if can and r.zero_series:
            # the canary's error counter series only exists after its first error (again after
            # a restart), so the ratio query returns nothing rather than 0 until then
            since = 0
            for t in range(n):
                if r.c_down_mode is not None and t in r.c_mem_reset:
                    since = t
                if r.E[side][since:t + 1].sum() <= 0:
                    ratio[t] = None
        reqs = [None if missing[t] else (round(float(Nw[t] * extrap[t]), 3) if r.float_requests
                                         else int(Nw[t])) for t in range(n)]
        quant = hist_quantile(r.q, r.bounds, Cw)
        p50 = hist_quantile(0.5, r.bounds, Cw)
        meanl = [None if nothing[t] else Sw[t] / Nw[t] for t in range(n)]
        success = [None if (nothing[t] or missing[t]) else 100.0 * (1 - Ew[t] / Nw[t])
                   for t in range(n)]
        pods = r.canary_pods if can else r.stable_pods
        tput = (Nw - Ew) / ((kk if can else k) * iv) / pods
        for arr in (quant, p50, meanl):
            for t in range(n):
                if missing[t]:
                    arr[t] = None
        tput_l = [None if missing[t] else float(tput[t]) for t in range(n)]
        obs[side] = {"ratio": ratio, "reqs": reqs, "quant": quant, "p50": p50, "mean": meanl,
                     "success": success, "tput": tput_l}
        null[side] = missing
    obs["canary"]["mem"], obs["stable"]["mem"] = memory(r, null)
    r.obs = obs


def memory(r, null):
    rng = r.rng
    n = r.n
    iv = r.interval
    M0 = logu(rng, 150e6, 3e9)
    stable = M0 * (1 + ar1(rng, n, 0.9, 0.01))
    start = rng.uniform(0.4, 0.8)
    tau = rng.uniform(60, 300)
    off = math.exp(float(np.clip(rng.normal(0, 0.02), -0.05, 0.05)))
    saw_amp = rng.uniform(0.02, 0.08) / math.sqrt(r.canary_pods)
    saw_per = rng.uniform(2, 8)
    last = 0
    can = np.zeros(n)
    for t in range(n):
        if t in r.c_mem_reset:
            last = t
        age = (t - last + 0.5) * iv
        warm = 1 - (1 - start) * math.exp(-age / tau)
        saw = saw_amp * ((t / saw_per) % 1.0 - 0.5)
        can[t] = M0 * off * (warm + saw + r.c_mem_add[t])
    can *= 1 + ar1(rng, n, 0.7, 0.01)
    out_c, out_s = [], []
    for t in range(n):
        down = r.c_down_mode is not None and r.onset is not None and t >= r.onset and r.c_up[t] <= 0
        out_c.append(None if (null["canary"][t] or down) else float(can[t]))
        out_s.append(None if null["stable"][t] else float(stable[t]))
    return out_c, out_s


def assemble(r, record_windows=False):
    o = r.obs
    proto = r.proto
    metrics = []

    def arr(side, key, digits=6):
        return [sig(x, digits) for x in o[side][key]]

    if r.has_error:
        m = {"name": f"{proto}_error_ratio", "kind": "error-ratio", "better": "lower",
             "stable": arr("stable", "ratio"), "canary": arr("canary", "ratio")}
        if r.has_requests:
            m["stable_requests"] = o["stable"]["reqs"]
            m["canary_requests"] = o["canary"]["reqs"]
        metrics.append(m)
    qn = qname(r)
    metrics.append({"name": f"{proto}_request_duration_{qn}_seconds", "kind": "latency",
                    "better": "lower", "stable": arr("stable", "quant", 5),
                    "canary": arr("canary", "quant", 5)})
    if r.has_success:
        metrics.append({"name": "request_success_rate_percent", "kind": "gauge",
                        "better": "higher", "stable": arr("stable", "success", 7),
                        "canary": arr("canary", "success", 7)})
    if r.has_p50:
        metrics.append({"name": f"{proto}_request_duration_p50_seconds", "kind": "latency",
                        "better": "lower", "stable": arr("stable", "p50", 5),
                        "canary": arr("canary", "p50", 5)})
    if r.has_mean:
        metrics.append({"name": f"{proto}_request_duration_mean_seconds", "kind": "latency",
                        "better": "lower", "stable": arr("stable", "mean", 5),
                        "canary": arr("canary", "mean", 5)})
    if r.has_tput:
        metrics.append({"name": "successful_requests_per_second_per_pod", "kind": "throughput",
                        "better": "higher", "stable": arr("stable", "tput", 5),
                        "canary": arr("canary", "tput", 5)})
    if r.has_mem:
        metrics.append({"name": "container_memory_working_set_bytes", "kind": "gauge",
                        "better": "lower", "stable": arr("stable", "mem", 6),
                        "canary": arr("canary", "mem", 6)})
    if record_windows:
        # rate/ratio/quantile/throughput queries read a range window of k intervals; the
        # memory working set is an instant gauge read (no range window), recorded as 0
        for m in metrics:
            if m["name"] != "container_memory_working_set_bytes" and r.k > 1:
                m["query_window_seconds"] = int(r.k * r.interval)
    if r.metric_gap is not None:
        s, L = r.metric_gap
        m = metrics[int(r.rng.integers(0, len(metrics)))]
        for t in range(s, min(s + L, r.n)):
            m["stable"][t] = None
            m["canary"][t] = None
    if r.shuffle_metrics:
        order = r.rng.permutation(len(metrics))
        metrics = [metrics[i] for i in order]
    truth = {"bad": r.bad}
    if r.bad:
        truth["onset_index"] = int(r.onset)
    extra = [x for x in r.notes]
    truth["note"] = ("; ".join(extra) if extra else "noise only")
    return {"format": FORMAT, "name": f"{r.family}-{r.index:04d}", "interval_seconds": r.interval,
            "canary_weight": r.weight, "metrics": metrics, "truth": truth}


def make(seed, index, fam, record_windows=False):
    rng = np.random.default_rng([seed, index])
    r = Release(rng, fam, index)
    setup(r)
    family(r)
    nuisance(r)
    simulate(r)
    observe(r)
    return assemble(r, record_windows)


# ----------------------------------------------------------------------------- corpus

def allocate(count, seed):
    total = sum(f for _, f in FAMILIES)
    raw = [count * f / total for _, f in FAMILIES]
    base = [int(x) for x in raw]
    rem = sorted(range(len(raw)), key=lambda i: -(raw[i] - base[i]))
    for i in rem[: count - sum(base)]:
        base[i] += 1
    fams = [name for (name, _), c in zip(FAMILIES, base) for _ in range(c)]
    order = np.random.default_rng([seed, 10 ** 9]).permutation(len(fams))
    return [fams[i] for i in order]


def validate(doc):
    errs = []
    keys = ["format", "name", "interval_seconds", "canary_weight", "metrics", "truth"]
    if list(doc.keys()) != keys:
        errs.append(f"keys {list(doc.keys())}")
    lens = set()
    for m in doc["metrics"]:
        allowed = {"name", "kind", "better", "stable", "canary", "stable_requests",
                   "canary_requests", "query_window_seconds"}
        if set(m) - allowed:
            errs.append(f"metric keys {set(m) - allowed}")
        if m["kind"] not in ("error-ratio", "latency", "throughput", "gauge"):
            errs.append("kind")
        if m["better"] not in ("lower", "higher"):
            errs.append("better")
        for key in ("stable", "canary", "stable_requests", "canary_requests"):
            if key in m:
                lens.add(len(m[key]))
                for v in m[key]:
                    if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)
                                          or not math.isfinite(v) or v < 0):
                        errs.append(f"value {v!r} in {m['name']}.{key}")
        if m["kind"] == "error-ratio":
            for v in m["stable"] + m["canary"]:
                if v is not None and v > 1:
                    errs.append("ratio > 1")
    if len(lens) != 1 or not (20 <= lens.pop() <= 60):
        errs.append("lengths")
    t = doc["truth"]
    if t["bad"]:
        if set(t) != {"bad", "onset_index", "note"}:
            errs.append("truth keys")
        elif not 0 <= t["onset_index"] < len(doc["metrics"][0]["stable"]):
            errs.append("onset")
    elif set(t) != {"bad", "note"}:
        errs.append("truth keys")
    if doc["name"].split("-")[0] not in ("good", "bad"):
        errs.append("name")
    return errs


DEFAULT_SEED = 23
DEFAULT_COUNT = 600


def generate(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED, record_windows: bool = False) -> list[dict]:
    """``count`` scenarios, about 45% bad; with ``record_windows`` each range query records its window."""
    plan = [(index, fam, record_windows) for index, fam in enumerate(allocate(count, seed))]
    return corpus.build_all(_checked, plan, seed)


def _checked(seed: int, index: int, fam: str, record_windows: bool) -> dict:
    doc = make(seed, index, fam, record_windows)
    errors = validate(json.loads(json.dumps(doc, allow_nan=False)))
    if errors:
        raise ValueError(f"{doc['name']}: {errors[:5]}")
    return doc


def main(argv: list[str] | None = None) -> None:
    corpus.main(generate, __doc__.splitlines()[0], Path("out/bench/production"), DEFAULT_COUNT, DEFAULT_SEED, argv)


if __name__ == "__main__":
    main()
