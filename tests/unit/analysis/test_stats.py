"""Statistics of the judge against scipy and textbook values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from grayrelease.analysis import stats

RNG = np.random.default_rng(7)


@pytest.mark.parametrize(
    "values, expected",
    [
        pytest.param([1.0], 1.0, id="single value"),
        pytest.param([1.0, 3.0], 2.0, id="two values: the mean"),
        # Walsh averages of 1,2,9: 1,1.5,5,2,5.5,9 -> median 3.5 (the mean would be 4)
        pytest.param([1.0, 2.0, 9.0], 3.5, id="three values: an outlier barely moves it"),
        pytest.param([-2.0, -1.0, 0.0, 1.0, 2.0], 0.0, id="symmetric"),
    ],
)
def test_hodges_lehmann_location(values: list[float], expected: float) -> None:
    assert stats.hodges_lehmann_location(np.array(values)) == pytest.approx(expected)


def test_hodges_lehmann_shift_is_median_of_pairwise_differences() -> None:
    baseline, candidate = RNG.normal(0, 1, 17), RNG.normal(0.5, 1, 23)
    expected = np.median([c - b for b in baseline for c in candidate])
    assert stats.hodges_lehmann_shift(baseline, candidate) == pytest.approx(expected)


@pytest.mark.parametrize("n_base, n_cand", [(5, 5), (12, 9), (40, 60)], ids=["5v5 exact", "12v9 exact", "40v60 asymptotic"])
def test_mann_whitney_matches_scipy(n_base: int, n_cand: int) -> None:
    baseline, candidate = RNG.normal(0, 1, n_base), RNG.normal(0.7, 1, n_cand)
    expected = sps.mannwhitneyu(candidate, baseline, alternative="greater").pvalue
    assert stats.mann_whitney_greater(baseline, candidate) == pytest.approx(expected)


def test_mann_whitney_smallest_p_with_three_intervals_per_side() -> None:
    # All canary values above all stable values: 1 / C(6, 3) = 0.05, far above any spent alpha,
    # which is why the default judge does not rely on ranks of per-interval values.
    assert stats.mann_whitney_greater(np.array([1.0, 2, 3]), np.array([4.0, 5, 6])) == pytest.approx(0.05)


class TestRateRatio:
    @pytest.mark.parametrize(
        "canary_events, canary_trials, stable_events, stable_trials",
        [
            pytest.param(5, 300, 6, 5700, id="5% canary, five errors"),
            pytest.param(0, 300, 10, 5700, id="no canary error"),
            pytest.param(40, 1000, 200, 9000, id="many errors"),
        ],
    )
    def test_single_interval_is_the_conditional_binomial(
        self, canary_events: int, canary_trials: int, stable_events: int, stable_trials: int
    ) -> None:
        share = canary_trials / (canary_trials + stable_trials)
        expected = sps.binomtest(canary_events, canary_events + stable_events, share, alternative="greater").pvalue
        got = stats.rate_ratio_greater(
            np.array([canary_events]), np.array([canary_trials]), np.array([stable_events]), np.array([stable_trials])
        )
        assert got == pytest.approx(expected)

    def test_ratio_moves_the_null(self) -> None:
        args = (np.array([12.0]), np.array([300.0]), np.array([60.0]), np.array([5700.0]))
        assert stats.rate_ratio_greater(*args, ratio=2.0) > stats.rate_ratio_greater(*args, ratio=1.0)

    def test_varying_split_stays_conservative(self) -> None:
        """Canary share 1% then 25%: in the tail, the pooled test must not be more confident than the
        exact sum of binomials (Hoeffding's bound)."""
        canary_events, stable_events = np.array([3.0, 45.0]), np.array([97.0, 75.0])
        canary_trials, stable_trials = np.array([100.0, 2500.0]), np.array([9900.0, 7500.0])
        shares = canary_trials / (canary_trials + stable_trials)
        totals = (canary_events + stable_events).astype(int)
        pmf = np.array([1.0])
        for total, share in zip(totals, shares):
            pmf = np.convolve(pmf, sps.binom.pmf(np.arange(total + 1), total, share))
        exact = pmf[int(canary_events.sum()) :].sum()
        got = stats.rate_ratio_greater(canary_events, canary_trials, stable_events, stable_trials)
        assert exact < 0.01
        assert got >= exact * 0.999

    def test_dispersion_weakens_the_evidence(self) -> None:
        args = (np.array([20.0]), np.array([300.0]), np.array([100.0]), np.array([5700.0]))
        assert stats.rate_ratio_greater(*args, dispersion=4.0) > 100 * stats.rate_ratio_greater(*args)

    @pytest.mark.parametrize("k, n, p", [(3, 10, 0.2), (0, 5, 0.5), (7, 7, 0.9), (50, 400, 0.1)])
    def test_binomial_tail_matches_scipy_on_integers(self, k: int, n: int, p: float) -> None:
        assert stats.binomial_tail(k, n, p) == pytest.approx(sps.binom.sf(k - 1, n, p))

    def test_estimate_with_half_event_correction(self) -> None:
        assert stats.rate_ratio_estimate(9.5, 100, 19.5, 2000) == pytest.approx((10 / 100) / (20 / 2000))


class TestNoise:
    def test_difference_scale_recovers_white_noise(self) -> None:
        values = RNG.normal(0, 0.1, 4000)
        scale, df = stats.difference_scale(values)
        assert scale == pytest.approx(0.1, rel=0.05)
        assert df == pytest.approx(2 / 3 * 3999)

    def test_difference_scale_ignores_a_level_shift(self) -> None:
        noise = RNG.normal(0, 0.1, 200)
        stepped = noise + np.where(np.arange(200) >= 100, 1.0, 0.0)
        # The step costs one difference; the series' own spread is five times the noise.
        assert stats.difference_scale(stepped)[0] < 1.3 * stats.difference_scale(noise)[0]
        assert np.std(stepped) > 4 * stats.difference_scale(noise)[0]

    def test_difference_scale_needs_two_values(self) -> None:
        assert stats.difference_scale(np.array([1.0])) == (None, 0.0)

    @pytest.mark.parametrize(
        "sample, sample_df, expected",
        [
            pytest.param(None, 0.0, (0.1, 4.0), id="no data: the prior"),
            pytest.param(0.3, 4.0, (math.sqrt((4 * 0.01 + 4 * 0.09) / 8), 8.0), id="equal weights"),
        ],
    )
    def test_moderated_scale(self, sample: float | None, sample_df: float, expected: tuple[float, float]) -> None:
        assert stats.moderated_scale(sample, sample_df, prior_scale=0.1, prior_df=4.0) == pytest.approx(expected)

    def test_mean_shift_greater_at_the_t_table_value(self) -> None:
        # t(0.95, 8 df) = 1.860: an excess of 0.093 over 4 values with scale 0.1 gives t = 1.86.
        assert stats.mean_shift_greater(0.093, 0.1, 4, 8) == pytest.approx(0.05, abs=5e-4)
        assert stats.mean_shift_greater(-0.093, 0.1, 4, 8) == pytest.approx(0.95, abs=5e-4)

    def test_hodges_lehmann_standard_error_matches_simulation(self) -> None:
        n, trials = 12, 20000
        estimates = [stats.hodges_lehmann_location(RNG.normal(0, 1, n)) for _ in range(trials)]
        assert np.std(estimates) == pytest.approx(stats.hodges_lehmann_standard_error(1.0, n), rel=0.06)

    def test_rate_noise_is_zero_for_binomial_counts(self) -> None:
        trials_c, trials_s = np.full(200, 1000.0), np.full(200, 19000.0)
        canary, stable = RNG.binomial(1000, 0.01, 200).astype(float), RNG.binomial(19000, 0.01, 200).astype(float)
        tau2, _ = stats.rate_noise(canary, trials_c, stable, trials_s)
        assert tau2 < 0.05

    def test_rate_noise_sees_wandering_rates(self) -> None:
        wander = np.exp(RNG.normal(0, 0.3, 200))
        canary = RNG.poisson(50 * wander).astype(float)
        stable = RNG.poisson(950 * np.exp(RNG.normal(0, 0.3, 200))).astype(float)
        tau2, _ = stats.rate_noise(canary, np.full(200, 5000.0), stable, np.full(200, 95000.0))
        assert 0.05 < tau2 < 0.3


class TestSpending:
    def test_budget_sums_to_alpha(self) -> None:
        assert sum(stats.spent_alpha(0.01, t) for t in range(1, 100001)) == pytest.approx(0.01, rel=1e-4)

    def test_early_looks_get_more(self) -> None:
        assert stats.spent_alpha(0.01, 2) > stats.spent_alpha(0.01, 3) > stats.spent_alpha(0.01, 30)

    def test_looks_count_from_one(self) -> None:
        with pytest.raises(ValueError):
            stats.spent_alpha(0.01, 0)


class TestRateRatioEvidence:
    def test_single_interval_matches_binomial_likelihood_ratio(self) -> None:
        # One interval, one alternative: the log e-value is log Binom(k; n, p1) / Binom(k; n, p0).
        ce, ct, se, st, r = 6, 300, 10, 5700, 3.0
        q = ct / (ct + st)
        p0, p1 = q, r * q / (r * q + 1 - q)
        expected = sps.binom.logpmf(ce, ce + se, p1) - sps.binom.logpmf(ce, ce + se, p0)
        got = stats.rate_ratio_log_evidence(np.array([ce]), np.array([ct]), np.array([se]), np.array([st]), grid=(r,))
        assert got[0] == pytest.approx(expected)

    def test_one_value_per_start_and_later_starts_see_less(self) -> None:
        ce, se = np.array([0, 0, 0, 9, 8, 10]), np.array([20, 19, 21, 20, 18, 19])
        ct, st = np.full(6, 300.0), np.full(6, 5700.0)
        log_e = stats.rate_ratio_log_evidence(ce, ct, se, st)
        assert log_e.shape == (6,)
        # Evidence since the onset (interval 3) beats evidence diluted by the three good intervals.
        assert log_e[3] > log_e[0]

    def test_dispersion_tempers_the_evidence(self) -> None:
        args = (np.array([30]), np.array([300.0]), np.array([100]), np.array([5700.0]))
        plain = stats.rate_ratio_log_evidence(*args, grid=(3.0,))[0]
        assert plain > 0
        assert stats.rate_ratio_log_evidence(*args, dispersion=3.0, grid=(3.0,))[0] == pytest.approx(plain / 3.0)

    def test_each_start_has_its_own_cap(self) -> None:
        args = (np.array([60, 60]), np.array([300.0, 300.0]), np.array([20, 20]), np.array([5700.0, 5700.0]))
        capped = stats.rate_ratio_log_evidence(*args, cap=np.array([1.0, 8.0]), grid=(10.0,))
        assert capped[0] == pytest.approx(2.0)  # two intervals, each capped at start 0's cap
        assert capped[1] == pytest.approx(8.0)  # one interval, at start 1's

    @pytest.mark.parametrize("cap", [None, 1.0], ids=["plain", "capped"])
    def test_ville_bound_under_the_null(self, cap: float | None) -> None:
        # Under equal rates, the e-value since interval 0 crosses 1/alpha in at most ~alpha of the runs, over all
        # looks; capping each interval's likelihood ratio keeps it a supermartingale, so the bound still holds.
        rng = np.random.default_rng(3 if cap is None else 5)
        runs, looks, alpha, crossed = 400, 40, 0.05, 0
        for _ in range(runs):
            ct, st = rng.poisson(300, looks).astype(float), rng.poisson(5700, looks).astype(float)
            ce, se = rng.binomial(ct.astype(int), 0.01), rng.binomial(st.astype(int), 0.01)
            crossed += any(
                stats.rate_ratio_log_evidence(ce[: t + 1], ct[: t + 1], se[: t + 1], st[: t + 1], cap=cap)[0]
                >= math.log(1 / alpha)
                for t in range(looks)
            )
        assert crossed / runs <= alpha

    def test_a_capped_interval_adds_at_most_the_cap(self) -> None:
        # A burst of 60 errors on a 5% canary is overwhelming evidence uncapped; capped, it is 3 nats at most.
        args = (np.array([60, 0]), np.array([300.0, 300.0]), np.array([20, 20]), np.array([5700.0, 5700.0]))
        plain = stats.rate_ratio_log_evidence(*args)
        capped = stats.rate_ratio_log_evidence(*args, cap=3.0)
        assert plain[0] > 50 and capped[0] <= 3.0
        assert capped[1] == pytest.approx(plain[1])  # an interval without excess is not touched

    def test_start_weights_sum_to_one(self) -> None:
        assert sum(stats.start_weight(s) for s in range(200000)) == pytest.approx(1.0, abs=1e-5)
        assert stats.start_weight(0) > stats.start_weight(1) > stats.start_weight(10)
        with pytest.raises(ValueError):
            stats.start_weight(-1)


class TestShiftEvidence:
    def test_single_value_single_alternative_is_the_gaussian_likelihood_ratio(self) -> None:
        # log N(x; theta, s) / N(x; 0, s) = (theta x - theta^2 / 2) / s^2, with theta = 1 x s.
        x, s = 0.05, 0.1
        got = stats.shift_log_evidence(np.array([x]), s, grid=(1.0,))
        assert got[0] == pytest.approx((s * x - s**2 / 2) / s**2)

    def test_one_wild_value_adds_bounded_evidence(self) -> None:
        calm = stats.shift_log_evidence(np.array([0.0, 0.0, 10.0]), 0.1, grid=(3.0,))
        capped = stats.shift_log_evidence(np.array([0.0, 0.0, 0.3]), 0.1, grid=(3.0,))
        assert calm[0] == pytest.approx(capped[0])

    def test_missing_values_add_nothing(self) -> None:
        with_gap = stats.shift_log_evidence(np.array([0.2, np.nan, 0.2]), 0.1)
        without = stats.shift_log_evidence(np.array([0.2, 0.2]), 0.1)
        assert with_gap[0] == pytest.approx(without[0])

    def test_later_starts_see_an_onset_sooner(self) -> None:
        values = np.array([0.0, 0.01, -0.01, 0.3, 0.28, 0.31])
        log_e = stats.shift_log_evidence(values, 0.05)
        assert log_e[3] > log_e[0]

    def test_ville_bound_under_the_null(self) -> None:
        # Gaussian noise of the stated scale and a mean at the null: over 60 looks, the e-value
        # since interval 0 crosses 1/alpha in at most alpha of the runs.
        rng = np.random.default_rng(11)
        runs, looks, alpha = 500, 60, 0.05
        values = rng.normal(0.02, 0.1, (runs, looks))
        crossed = 0
        for run in values:
            # The running log e-value of start 0 at every look, from the reversed cumulative sums.
            logs = [stats.shift_log_evidence(run[: t + 1], 0.1, null_shift=0.02)[0] for t in range(looks)]
            crossed += max(logs) >= math.log(1 / alpha)
        assert crossed / runs <= alpha

    def test_scale_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            stats.shift_log_evidence(np.array([1.0]), 0.0)

    def test_ville_bound_holds_over_overlapping_windows(self) -> None:
        # Values averaged over windows of 4 intervals (marginal spread 0.1), the null at 0: told the
        # overlap, the e-value since interval 0 crosses 1/alpha in at most alpha of the runs;
        # taking the values for independent ones, far more often.
        rng = np.random.default_rng(3)
        runs, looks, width, alpha = 400, 40, 4, 0.05
        raw = rng.normal(0.0, 0.1 * math.sqrt(width), (runs, looks + width - 1))
        values = np.stack([np.convolve(r, np.ones(width) / width, "valid") for r in raw])
        scale = 0.1  # what the operator's estimate comes to: differences x sqrt(overlap)

        def crossed(overlap: float) -> float:
            hits = 0
            for run in values:
                logs = [stats.shift_log_evidence(run[: t + 1], scale, overlap=overlap)[0] for t in range(looks)]
                hits += max(logs) >= math.log(1 / alpha)
            return hits / runs

        told = crossed(width)
        assert told <= alpha
        assert crossed(1.0) > 3 * max(told, 0.01)


class TestOverlapInflation:
    @pytest.mark.parametrize("n", [1, 2, 3, 5, 12, 40])
    @pytest.mark.parametrize("width", [1, 2, 4, 10])
    def test_variance_of_a_sum_of_window_averages(self, n: int, width: int) -> None:
        # Exact: the sum of n consecutive averages over `width` iid values, against n iid averages.
        weights = np.convolve(np.ones(n), np.ones(width) / width)  # each raw value's weight in the sum
        exact = float(np.sum(weights**2)) / (n / width)
        assert float(stats.overlap_inflation(n, width)) == pytest.approx(exact)

    def test_bounds(self) -> None:
        assert float(stats.overlap_inflation(1, 8)) == 1.0
        assert float(stats.overlap_inflation(10_000, 8)) == pytest.approx(8.0, rel=2e-3)
        assert np.all(stats.overlap_inflation(np.arange(1, 50), 1.0) == 1.0)


def test_chi2_quantile_at_table_values() -> None:
    # chi2(0.05, 10 df) = 3.940 and chi2(0.5, 1 df) = 0.4549 (standard tables).
    assert stats.chi2_quantile(0.05, 10) == pytest.approx(3.940, abs=1e-3)
    assert stats.chi2_quantile(0.5, 1) == pytest.approx(0.4549, abs=1e-4)


class TestLoneJump:
    """A level shift is one jump; a slow interval (up and back) or a coarse quantile's leaps are not."""

    def _noise(self) -> np.ndarray:
        return np.random.default_rng(41).normal(0.0, 1.0, 20)

    def test_a_level_shift_is_found_where_it_is(self) -> None:
        assert stats.lone_jump(self._noise() + 12.0 * (np.arange(20) >= 13)) == 12

    def test_a_slow_interval_jumps_twice(self) -> None:
        spiked = self._noise()
        spiked[9] += 12.0
        assert stats.lone_jump(spiked) is None

    def test_noise_and_constant_values_have_none(self) -> None:
        assert stats.lone_jump(self._noise()) is None
        assert stats.lone_jump(np.full(20, 0.2)) is None
        assert stats.lone_jump(np.array([0.2, 0.5])) is None


class TestWindowFromData:
    """Query windows a scenario does not record, read off the data."""

    @pytest.mark.parametrize("window", [2, 4, 8])
    def test_a_fresh_canary_filling_its_window(self, window: int) -> None:
        expected = np.full(12, 500.0)
        canary = expected * np.minimum(1.0, np.arange(1, 13) / window)
        assert stats.fill_overlap(canary, expected) == pytest.approx(window)

    @pytest.mark.parametrize(
        "canary, why",
        [
            pytest.param([480, 510, 495, 505], "full from the first interval", id="no climb"),
            pytest.param([250, 260, 240, 255], "a canary that steadily gets half its weight", id="flat and low"),
            pytest.param([2, 5, 8, 10], "too few requests to tell", id="trickle"),
            pytest.param([0, 0, 0, 0], "never served", id="silent"),
        ],
    )
    def test_nothing_shows_a_window(self, canary: list[float], why: str) -> None:
        expected = np.full(4, 500.0) if max(canary) > 10 else np.full(4, 10.0)
        assert stats.fill_overlap(np.array(canary, dtype=float), expected) == 1.0, why

    @pytest.mark.parametrize("window", [2, 3, 4, 8, 20])
    @pytest.mark.parametrize("level", [1.0, 0.4])
    def test_a_fresh_canary_rate_climbing_as_its_window_fills(self, window: int, level: float) -> None:
        # A canary that serves only 40% of its share climbs to that in as many intervals; a window
        # of two reads full from the second value and cannot tell a partial level.
        shares = level * np.minimum(1.0, np.arange(1, 31) / window)
        expected = window if level == 1.0 or window > 2 else 1.0
        assert stats.climb_overlap(shares) == pytest.approx(expected)

    def test_a_climb_read_through_a_scrape_gap(self) -> None:
        shares = np.minimum(1.0, np.arange(1, 15) / 10)
        shares[5] = np.nan
        assert stats.climb_overlap(shares) == pytest.approx(10.0)

    @pytest.mark.parametrize(
        "shares, why",
        [
            pytest.param([1.0, 0.9, 1.1, 1.0, 1.05], "full from the first interval", id="no climb"),
            pytest.param([0.5, 0.45, 0.62, 0.5, 0.55], "a canary that steadily gets half its weight", id="flat and low"),
            pytest.param([0.4, 0.5, 0.65, 0.6, 0.62], "a low start that does not climb from zero", id="offset"),
            pytest.param([0.2, 0.4], "too few values to tell", id="short"),
            pytest.param([0.0, 0.0, 0.0], "never served", id="silent"),
        ],
    )
    def test_no_climb_no_window(self, shares: list[float], why: str) -> None:
        assert stats.climb_overlap(np.array(shares, dtype=float)) == 1.0, why

    def test_the_climb_starts_where_the_canary_first_served(self) -> None:
        canary = np.array([np.nan, 0.0, 125.0, 250.0, 375.0, 500.0, 500.0])
        assert stats.fill_overlap(canary, np.full(7, 500.0)) == pytest.approx(4.0)

    def test_independent_values_rarely_read_as_overlapping(self) -> None:
        rng = np.random.default_rng(11)
        claimed = [stats.wander_overlap(rng.standard_t(3, n)) > 1.0 for n in (12, 20, 40) for _ in range(300)]
        assert np.mean(claimed) < 0.08

    @pytest.mark.parametrize("window", [3, 4, 6])
    def test_values_over_a_sliding_window_read_as_overlapping(self, window: int) -> None:
        rng = np.random.default_rng(12)
        estimates = []
        for _ in range(200):
            noise = rng.standard_normal(40 + window)
            estimates.append(stats.wander_overlap(np.convolve(noise, np.ones(window) / window, mode="valid")[:40]))
        assert np.median(estimates) >= 1.5  # read cautiously: a window of four counts as two to three

    def test_a_leak_or_a_step_is_not_taken_for_overlap(self) -> None:
        rng = np.random.default_rng(13)
        leaks = [stats.wander_overlap(rng.standard_normal(30) + 0.2 * np.arange(30)) for _ in range(300)]
        steps = [stats.wander_overlap(rng.standard_normal(30) + 2.0 * (np.arange(30) >= 15)) for _ in range(300)]
        assert np.median(leaks) == 1.0 and np.median(steps) == 1.0
        assert np.mean(np.array(leaks) > 1.0) < 0.1 and np.mean(np.array(steps) > 1.0) < 0.15

    @pytest.mark.parametrize(("length", "onset"), [(16, 12), (20, 14), (27, 14)])
    def test_a_sharp_onset_late_in_a_short_history_is_not_taken_for_overlap(self, length: int, onset: int) -> None:
        # A canary 60% slower from one interval on, against 3% noise: one neighbour difference
        # holds the step, but every lag-4 difference across it does too.
        rng = np.random.default_rng(14)
        for size in (10.0, 20.0):
            steps = [stats.wander_overlap(rng.standard_normal(length) + size * (np.arange(length) >= onset))
                     for _ in range(300)]  # fmt: skip
            assert np.median(steps) == 1.0 and np.mean(np.array(steps) > 1.0) < 0.1, size

    def test_short_histories_say_nothing(self) -> None:
        assert stats.wander_overlap(np.array([0.1, 0.3, 0.2, 0.5, 0.4])) == 1.0

    def test_independent_error_counts_share_nothing(self) -> None:
        rng = np.random.default_rng(21)
        estimates = []
        for _ in range(200):
            ct, st = np.full(30, 2000.0), np.full(30, 38000.0)
            ce, se = rng.binomial(2000, 0.01, 30).astype(float), rng.binomial(38000, 0.01, 30).astype(float)
            estimates.append(stats.count_overlap(ce, ct, se, st))
        assert np.mean(np.array(estimates) > 1.3) < 0.08 and np.mean(np.array(estimates) > 1.6) < 0.03

    def test_error_counts_over_a_sliding_window_share_their_errors(self) -> None:
        rng = np.random.default_rng(22)
        estimates = []
        for _ in range(200):
            per_interval_c = rng.binomial(500, 0.01, 33).astype(float)
            per_interval_s = rng.binomial(9500, 0.01, 33).astype(float)
            window = np.ones(4)
            ce, se = np.convolve(per_interval_c, window, "valid"), np.convolve(per_interval_s, window, "valid")
            estimates.append(stats.count_overlap(ce, np.full(30, 2000.0), se, np.full(30, 38000.0)))
        assert np.median(estimates) >= 2.0

    def test_a_burst_or_a_step_is_not_taken_for_shared_errors(self) -> None:
        rng = np.random.default_rng(23)
        ce = rng.binomial(2000, 0.01, 30).astype(float)
        se = rng.binomial(38000, 0.01, 30).astype(float)
        burst, step = ce.copy(), ce.copy()
        burst[12] += 300
        step[15:] += rng.binomial(2000, 0.02, 15)
        trials = (np.full(30, 2000.0), np.full(30, 38000.0))
        assert stats.count_overlap(burst, trials[0], se, trials[1]) < 1.3
        assert stats.count_overlap(step, trials[0], se, trials[1]) < 1.3


def test_window_estimates_stay_finite_and_bounded_on_values_no_metric_produces() -> None:
    absurd = np.array([5e12, 0.0, 1e300, 1e300, 5e12, 0.0, 0.0, 5e12, 1e300, 1e300, 0.0, 5e12] * 2)
    estimate = stats.wander_overlap(np.diff(np.log(np.where(absurd > 0, absurd, 1e-300))))
    assert 1.0 <= estimate <= stats.OVERLAP_MAX
    assert 1.0 <= stats.wander_overlap(np.array([0.0, np.inf] * 8)) <= stats.OVERLAP_MAX


class TestFastForms:
    """The judge's hot path calls scipy's special functions directly; the answers are scipy.stats'."""

    @pytest.mark.parametrize("size", range(1, 10))
    def test_median_is_numpys(self, size: int) -> None:
        values = RNG.normal(size=size)
        assert stats._median(values) == np.median(values)
        assert stats.hodges_lehmann_location(values) == pytest.approx(
            np.median([(a + b) / 2 for i, a in enumerate(values) for b in values[i:]]), abs=1e-15)

    def test_log_mean_exp_is_scipys_logsumexp_without_overflow(self) -> None:
        from scipy import special

        logs = np.vstack([RNG.normal(scale=50, size=7) for _ in range(5)] + [np.full(7, 900.0)])
        assert np.allclose(stats._log_mean_exp(logs), special.logsumexp(logs, axis=0) - math.log(6), rtol=1e-12)
        assert np.all(np.isfinite(stats._log_mean_exp(logs)))

    @pytest.mark.parametrize("df", [2.5, 8.0, 31.0])
    def test_t_tail_and_chi2_quantile_are_scipys(self, df: float) -> None:
        for excess in (-0.3, 0.0, 0.05, 0.4):
            assert stats.mean_shift_greater(excess, 0.2, 5, df) == pytest.approx(sps.t.sf(excess * math.sqrt(5) / 0.2, df), rel=1e-10)
        for probability in (0.01, 0.2, 0.5, 0.8, 0.99):
            assert stats.chi2_quantile(probability, df) == pytest.approx(sps.chi2.ppf(probability, df), rel=1e-10)
