"""The judge's classification of one metric, the overall verdict, and its configuration."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from pydantic import ValidationError

from grayrelease.analysis import counttest, evidence, judge, pairedtest, series, settings
from grayrelease.analysis.judge import CompareConfig, MetricHistory, MetricVerdict


def _noisy(level: float, n: int, sigma: float, seed: int) -> list[float | None]:
    rng = np.random.default_rng(seed)
    return list(level * np.exp(rng.normal(0, sigma, n)))


def _binomial_ratios(level: float, requests: float, n: int, seed: int = 3) -> list[float | None]:
    """Error ratios of ``requests`` requests an interval at ``level``, with their binomial noise."""
    rng = np.random.default_rng(seed)
    return list(rng.binomial(int(requests), level, n) / requests)


def _latency(canary_factor: float, n: int = 12, sigma: float = 0.03, **kwargs) -> MetricHistory:
    stable = _noisy(0.2, n, sigma, 1)
    canary = [v * canary_factor for v in _noisy(0.2, n, sigma, 2)]
    return MetricHistory(name="p99", kind="latency", stable=stable, canary=canary, **kwargs)


def _errors(canary_ratio: float, stable_ratio: float = 0.01, n: int = 10, canary_requests: float = 1000) -> MetricHistory:
    return MetricHistory(
        name="errors",
        kind="error-ratio",
        stable=[stable_ratio] * n,
        canary=[canary_ratio] * n,
        stable_requests=[19000.0 + 7 * i for i in range(n)],  # counts that move: each interval is a new window
        canary_requests=[canary_requests + i for i in range(n)],
    )


class TestClassification:
    @pytest.mark.parametrize(
        "history, classification, failed",
        [
            pytest.param(_latency(1.0), "Pass", False, id="latency unchanged -> Pass"),
            pytest.param(_latency(1.5), "High", True, id="latency +50% -> High, failed"),
            pytest.param(_latency(0.6), "Low", False, id="latency -40% -> Low, not failed"),
            pytest.param(_latency(1.03, sigma=0.002), "Pass", False, id="+3% significant but within tolerance -> Pass"),
            pytest.param(
                MetricHistory("rps", _noisy(100, 12, 0.03, 1), [v * 0.6 for v in _noisy(100, 12, 0.03, 2)], kind="throughput"),
                "Low",
                True,
                id="throughput -40% (better higher) -> Low, failed",
            ),
            pytest.param(_errors(0.05), "High", True, id="error ratio x5 with counts -> High"),
            pytest.param(_errors(0.01), "Pass", False, id="error ratio unchanged with counts -> Pass"),
            pytest.param(
                MetricHistory("errors", _noisy(0.01, 10, 0.05, 1), [5 * v for v in _noisy(0.01, 10, 0.05, 2)], kind="error-ratio"),
                "High",
                True,
                id="error ratio x5 without counts -> High",
            ),
        ],
    )
    def test_table(self, history: MetricHistory, classification: str, failed: bool) -> None:
        verdict = judge.judge_metric(history, CompareConfig())
        assert (verdict.classification, verdict.failed) == (classification, failed)

    def test_effect_is_relative(self) -> None:
        verdict = judge.judge_metric(_latency(1.5), CompareConfig())
        assert verdict.effect == pytest.approx(0.5, abs=0.05)

    def test_tolerance_is_configurable(self) -> None:
        assert judge.judge_metric(_latency(1.5), CompareConfig(max_degradation=0.8)).classification == "Pass"

    def test_mann_whitney_needs_more_intervals(self) -> None:
        """Kayenta's rank test cannot reach a spent alpha with a few intervals; the paired default can."""
        short = _latency(1.5, n=4)
        assert judge.judge_metric(short, CompareConfig(test="mann-whitney")).failed is False
        assert judge.judge_metric(short, CompareConfig()).failed is True
        assert judge.judge_metric(_latency(1.5, n=30), CompareConfig(test="mann-whitney")).failed is True


class TestMissingData:
    @pytest.mark.parametrize(
        "stable, canary, classification, failed",
        [
            pytest.param([], [], "NoData", False, id="no interval yet"),
            pytest.param([0.2, 0.21], [0.2, 0.2], "NoData", False, id="fewer than minSamples"),
            pytest.param([0.2, 0.21, 0.2, 0.2], [0.2, 0.2, 0.2, None], "NoData", False, id="latest canary value missing"),
            pytest.param([0.2, 0.2, 0.2, None, None, None], [0.2, 0.2, 0.2, None, None, None], "NoData", False, id="Prometheus down: both missing"),
            pytest.param([0.2, 0.2, 0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, None, None, None], "NoData", True, id="canary silent 3 intervals -> failed"),
            pytest.param([0.2, 0.2, 0.2, 0.2, None, 0.2], [0.2, 0.2, 0.2, None, None, None], "NoData", False, id="silent 2 (+1 both missing) -> not yet"),
        ],
    )
    def test_missing(self, stable: list, canary: list, classification: str, failed: bool) -> None:
        verdict = judge.judge_metric(MetricHistory("p99", stable, canary, kind="latency"), CompareConfig())
        assert (verdict.classification, verdict.failed) == (classification, failed)

    def test_zero_canary_requests_count_as_missing(self) -> None:
        history = MetricHistory(
            "errors", [0.01] * 5, [0.0, 0.0, 0.0, 0.0, 0.0], kind="error-ratio",
            stable_requests=[5000.0] * 5, canary_requests=[300.0, 300.0, 0.0, 0.0, 0.0],
        )
        assert judge.judge_metric(history, CompareConfig()).failed is True

    def test_a_tiny_canary_without_requests_is_not_silent(self) -> None:
        # 1% of 200 requests is 2 per interval: none at all happens every few intervals.
        history = MetricHistory(
            "errors", [0.01] * 6, [0.0, 0.0, None, None, None, None], kind="error-ratio",
            stable_requests=[200.0] * 6, canary_requests=[2.0, 3.0, 0.0, 0.0, 0.0, 0.0], canary_weight=1.0,
        )
        verdict = judge.judge_metric(history, CompareConfig())
        assert (verdict.classification, verdict.failed) == ("NoData", False)

    def test_a_canary_that_should_have_traffic_is_silent(self) -> None:
        history = MetricHistory(
            "errors", [0.01] * 6, [0.0, 0.0, None, None, None, None], kind="error-ratio",
            stable_requests=[20000.0] * 6, canary_requests=[200.0, 203.0, 0.0, 0.0, 0.0, 0.0], canary_weight=1.0,
        )
        assert judge.judge_metric(history, CompareConfig()).failed is True

    def test_one_interval_never_decides(self) -> None:
        history = MetricHistory("p99", [0.2], [2.0], kind="latency")
        assert judge.judge_metric(history, CompareConfig()).failed is False


class TestFalseAlarmControl:
    """Good canaries judged at every interval: the release-wide false-alarm rate stays below 1 - confidence."""

    @pytest.mark.parametrize("sigma", [0.03, 0.15], ids=["quiet latency", "noisy latency"])
    def test_latency(self, sigma: float) -> None:
        rng = np.random.default_rng(11)
        releases, looks, alarms = 150, 30, 0
        for _ in range(releases):
            stable = list(0.2 * np.exp(rng.normal(0, sigma, looks)))
            canary = list(0.2 * np.exp(rng.normal(0, sigma, looks)))
            alarms += any(
                judge.judge_metric(MetricHistory("p99", stable[: i + 1], canary[: i + 1], kind="latency")).failed
                for i in range(looks)
            )
        assert alarms / releases <= 0.02

    def test_error_counts(self) -> None:
        rng = np.random.default_rng(12)
        releases, looks, alarms = 150, 30, 0
        for _ in range(releases):
            cn, sn = rng.poisson(300, looks).astype(float), rng.poisson(5700, looks).astype(float)
            c, s = rng.binomial(cn.astype(int), 0.005) / cn, rng.binomial(sn.astype(int), 0.005) / sn
            alarms += any(
                judge.judge_metric(
                    MetricHistory("e", list(s[: i + 1]), list(c[: i + 1]), kind="error-ratio",
                                  stable_requests=list(sn[: i + 1]), canary_requests=list(cn[: i + 1]))
                ).failed
                for i in range(looks)
            )
        assert alarms / releases <= 0.02


def _v(name: str, classification: str, failed: bool = False, marginal: bool = False) -> MetricVerdict:
    return MetricVerdict(name=name, classification=classification, failed=failed, marginal=marginal)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "verdicts, decision",
    [
        pytest.param([_v("a", "Pass"), _v("b", "Pass")], "continue", id="all pass -> continue"),
        pytest.param([_v("a", "Pass"), _v("b", "Low")], "continue", id="canary better -> continue"),
        pytest.param([_v("a", "Pass"), _v("b", "NoData")], "pause", id="missing data -> pause, never pass"),
        pytest.param([_v("a", "High", True), _v("b", "NoData")], "rollback", id="failure wins over missing data"),
        pytest.param([_v("a", "NoData", True)], "rollback", id="canary silent -> rollback"),
        pytest.param([], "pause", id="no metrics -> pause"),
        pytest.param([_v("a", "Pass"), _v("b", "Pass", marginal=True)], "pause", id="marginal -> pause, not promote"),
        pytest.param([_v("a", "High", True), _v("b", "Pass", marginal=True)], "rollback", id="failure wins over marginal"),
    ],
)
def test_overall(verdicts: list[MetricVerdict], decision: str) -> None:
    assert judge.overall(verdicts).decision == decision


class TestCompareConfig:
    def test_camel_case_aliases(self) -> None:
        config = CompareConfig.model_validate({"maxDegradation": 0.2, "minSamples": 5, "missingLimit": 4, "better": "higher"})
        assert (config.max_degradation, config.min_samples, config.missing_limit, config.better) == (0.2, 5, 4, "higher")
        assert config.model_dump(by_alias=True, exclude_none=True)["maxDegradation"] == 0.2

    def test_json_schema(self) -> None:
        schema = CompareConfig.model_json_schema(by_alias=True)
        assert {"maxDegradation", "confidence", "test", "kind", "better", "minSamples", "missingLimit", "against"} <= set(
            schema["properties"]
        )

    @pytest.mark.parametrize(
        "data",
        [{"confidence": 1.0}, {"confidence": 0.4}, {"maxDegradation": -0.1}, {"test": "t-test"}, {"unknown": 1}],
        ids=["confidence 1", "confidence below 0.5", "negative tolerance", "unknown test", "unknown field"],
    )
    def test_rejects(self, data: dict) -> None:
        with pytest.raises(ValidationError):
            CompareConfig.model_validate(data)


class TestRatiosWithoutCounts:
    """Error ratios without request counts, but with the canary weight: counts are estimated from stable's variation."""

    @staticmethod
    def _ratios(canary_rate: float, n: int = 12, seed: int = 5) -> MetricHistory:
        rng = np.random.default_rng(seed)
        sn, cn = 9500, 500
        # A relative jitter of 1e-9 makes the ratios no exact fractions, as a sum of rates over pods
        # with different extrapolations is not: the counts are not read back from the values.
        stable = list(rng.binomial(sn, 0.01, n) / sn * (1 + 1e-9 * rng.uniform(0.1, 1, n)))
        canary = list(rng.binomial(cn, canary_rate, n) / cn * (1 + 1e-9 * rng.uniform(0.1, 1, n)))
        return MetricHistory("errors", stable, canary, kind="error-ratio", canary_weight=5.0)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        history = self._ratios(0.01, n=40)
        stable, canary = np.array(history.stable, dtype=float), np.array(history.canary, dtype=float)
        return stable, canary, np.ones(stable.size, dtype=bool)

    def test_effective_counts_do_not_exceed_binomial(self) -> None:
        stable, canary, present = self._arrays()
        estimated = counttest.effective_counts(stable, present, canary, present, np.full(stable.size, 5.0))
        assert estimated is not None
        # Binomial noise gives about the true 9500 and 500 requests (within sampling error), never wildly more.
        assert 4000 < estimated[0] < 16000
        assert np.all((200 < estimated[1]) & (estimated[1] <= estimated[0] * 5 / 95 + 1e-9))

    def test_an_incident_on_stable_does_not_shrink_the_estimate(self) -> None:
        stable, canary, present = self._arrays()
        calm = counttest.effective_counts(stable, present, canary, present, np.full(stable.size, 5.0))
        stable[10:14] = 0.2  # both sides fail for four intervals
        canary[10:14] = 0.2
        hit = counttest.effective_counts(stable, present, canary, present, np.full(stable.size, 5.0))
        assert calm is not None and hit is not None
        assert hit[0] > 0.3 * calm[0]

    def test_one_failed_request_on_a_tiny_canary_stays_one(self) -> None:
        # A very steady stable side says ~50,000 requests per interval, so a 1% canary would get ~500;
        # but a canary at 0, 0, 1/33 cannot have had more than a few dozen requests.
        stable = np.array([0.00187441, 0.00218818, 0.00193377])
        canary = np.array([0.0, 0.0, 0.030303])
        present = np.ones(3, dtype=bool)
        estimated = counttest.effective_counts(stable, present, canary, present, np.full(stable.size, 1.0))
        assert estimated is not None
        assert np.all(estimated[1] < 100)
        verdict = judge.judge_metric(MetricHistory("e", list(stable), list(canary), kind="error-ratio", canary_weight=1.0))
        assert verdict.failed is False

    def test_step_is_caught(self) -> None:
        assert judge.judge_metric(self._ratios(0.05)).classification == "High"

    def test_same_rate_passes(self) -> None:
        assert judge.judge_metric(self._ratios(0.01)).classification == "Pass"

    def test_without_weight_falls_back_to_the_paired_test(self) -> None:
        history = self._ratios(0.01)
        quiet = np.array([0.0, 0.0, 0.0])
        stable_only = counttest.effective_counts(quiet, np.ones(3, dtype=bool), quiet, np.ones(3, dtype=bool), np.full(3, 5.0))
        assert stable_only is None
        assert judge.judge_metric(MetricHistory("e", history.stable, history.canary, kind="error-ratio")).failed is False


    # A mesh canary (15% weight, ``rate[5m]`` read every 30 s) whose error ratio climbs from 0.2% to
    # 10% as the window fills with a regression that began at interval 7; stable drifts 0.3-0.7%.
    CLIMB = [0.0, 0.0, 0.0003006, 0.0006426, 0.000855, 0.001119, 0.001567, 0.002379, 0.01195, 0.02245, 0.03188,
             0.04611, 0.05747, 0.07133, 0.08447, 0.09512, 0.1059]
    FLAT = [0.004186, 0.003485, 0.003136, 0.002913, 0.002941, 0.002501, 0.00225, 0.002445, 0.00267, 0.004973,
            0.005304, 0.005761, 0.00607, 0.00623, 0.006443, 0.006856, 0.007176]

    def test_a_ratio_steadier_than_any_count_tells_nothing_of_its_requests(self) -> None:
        """Equal non-zero values (a rounded or repeated ratio) are no handful of errors: their one
        jump, an onset, must not stand for the noise of a service of a few requests."""
        assert counttest.binomial_trials(np.array([0.0, 0.1, 0.1, 0.1])) is None
        assert counttest.binomial_trials(np.array([0.0, 0.0, 0.003, 0.0, 0.0])) is not None  # a handful of errors

    def test_a_climb_through_a_known_window_is_not_read_as_few_requests(self) -> None:
        canary = np.array(self.CLIMB)
        # Its wander and spread read the climb as binomial noise: a service of a few dozen requests.
        assert counttest.binomial_trials(canary, 10.0) < 30
        # Around its trend the climb is steadier: several times that.
        assert counttest.binomial_trials(canary, 10.0, trend=True) > 60
        present = np.ones(canary.size, dtype=bool)
        weights = np.full(canary.size, 15.0)
        unknown = counttest.effective_counts(np.array(self.FLAT), present, canary, present, weights, 10.0)
        known = counttest.effective_counts(np.array(self.FLAT), present, canary, present, weights, 10.0, overlap_known=True)
        assert unknown is not None and known is not None
        assert np.all(known[1] > 3 * unknown[1])
        assert np.all(known[1] <= known[0] * 15 / 85 + 1e-9)  # never more than the split gives

    def test_an_error_ratio_climbing_through_a_known_window_is_never_promoted(self) -> None:
        history = MetricHistory("errors", self.FLAT, self.CLIMB, kind="error-ratio", canary_weight=15.0, overlap=10.0,
                                interval_seconds=30.0)
        verdict = judge.judge_metric(history)
        assert verdict.classification == "High" or verdict.marginal, verdict


class TestErrorSeriesNotCreatedYet:
    """``errors / requests`` is empty in PromQL until the first error creates the error series."""

    def test_a_canary_that_served_requests_without_a_ratio_is_held_and_told_why(self) -> None:
        history = MetricHistory("errors", [0.002] * 8, [None] * 8, kind="error-ratio", canary_weight=5.0,
                                stable_requests=[4000.0] * 8, canary_requests=[200.0] * 8)
        verdict = judge.judge_metric(history)
        assert (verdict.classification, verdict.failed) == ("NoData", False)
        assert "no value yet, though it served about 1600 requests" in verdict.reason
        assert "or vector(0)" in verdict.reason and verdict.reason.endswith("held, not promoted")

    def test_a_query_that_matches_nothing_on_either_side_says_only_no_data(self) -> None:
        history = MetricHistory("errors", [None] * 8, [None] * 8, kind="error-ratio", canary_weight=5.0,
                                stable_requests=[4000.0] * 8, canary_requests=[200.0] * 8)
        verdict = judge.judge_metric(history)
        assert verdict.classification == "NoData" and "error series" not in verdict.reason


class TestSharedWanderWithoutCounts:
    """Error ratios without counts whose level wanders on both sides at once (a dependency's errors):
    counts estimated from the wander are too few, so the paired log ratio is asked beside the count test."""

    @staticmethod
    def _ratios(factor: float, seed: int, burst: bool = False, n: int = 20) -> tuple[list[float], list[float]]:
        rng = np.random.default_rng(seed)
        shared = np.exp(np.cumsum(rng.normal(0, 0.25, n)))  # a random walk both sides follow
        if burst:
            shared[8:11] *= 7  # an incident multiplies both sides' errors for three intervals
        sn, cn = 19000, 1000
        stable = rng.binomial(sn, np.minimum(0.01 * shared, 1)) / sn * (1 + 1e-9 * rng.uniform(0.1, 1, n))
        canary = rng.binomial(cn, np.minimum(0.01 * factor * shared, 1)) / cn * (1 + 1e-9 * rng.uniform(0.1, 1, n))
        return list(stable), list(canary)

    @staticmethod
    def _first_failed_look(stable: list[float], canary: list[float]) -> int | None:
        # The query's window unknown, as in a replayed export without it: the canary's own requests
        # are then also bounded by how far its values spread.
        for k in range(1, len(stable) + 1):
            history = MetricHistory("errors", stable[:k], canary[:k], kind="error-ratio", canary_weight=5.0, overlap=None)
            if judge.judge_metric(history).failed:
                return k
        return None

    @pytest.mark.parametrize("seed", range(4))
    def test_a_threefold_error_ratio_is_caught_sooner_than_by_the_estimated_counts_alone(
        self, seed: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stable, canary = self._ratios(3.0, seed)
        both = self._first_failed_look(stable, canary)
        monkeypatch.setattr(pairedtest, "shift_evidence", lambda *args, **kwargs: ([], []))
        counts_alone = self._first_failed_look(stable, canary)
        assert both is not None and counts_alone is not None
        assert both <= counts_alone - 2

    @pytest.mark.parametrize("seed", range(6))
    def test_a_good_canary_through_a_shared_incident_never_fails(self, seed: int) -> None:
        assert self._first_failed_look(*self._ratios(1.0, seed, burst=True)) is None


class TestCountsReadBack:
    """Error ratios without request counts that are exact fractions (k / n): the counts are read back from them."""

    @staticmethod
    def _release(seed: int, canary_rate: float, onset: int = 0, n: int = 30) -> tuple[MetricHistory, MetricHistory]:
        """The same release with its request counts, and as a scenario without them (ratios to six digits)."""
        rng = np.random.default_rng(seed)
        stable_n = rng.integers(1500, 2500, n)
        canary_n = rng.integers(80, 130, n)
        rates = np.where(np.arange(n) >= onset, canary_rate, 0.004)
        stable = rng.binomial(stable_n, 0.004) / stable_n
        canary = rng.binomial(canary_n, rates) / canary_n
        counted = MetricHistory("errors", list(stable), list(canary), kind="error-ratio",
                                stable_requests=list(stable_n.astype(float)), canary_requests=list(canary_n.astype(float)))
        written = MetricHistory("errors", [float(f"{v:.6g}") for v in stable], [float(f"{v:.6g}") for v in canary],
                                kind="error-ratio", canary_weight=5.0)
        return counted, written

    @staticmethod
    def _first_rollback(history: MetricHistory) -> int | None:
        def first(i: int) -> MetricHistory:
            cut = {f: getattr(history, f)[:i] for f in ("stable", "canary", "stable_requests", "canary_requests")
                   if getattr(history, f) is not None}
            return dataclasses.replace(history, **cut)

        return next((i for i in range(3, len(history.stable) + 1) if judge.judge_metric(first(i)).failed), None)

    @pytest.mark.parametrize("seed", range(6))
    def test_a_fivefold_error_ratio_on_a_small_canary_is_caught_as_with_counts(self, seed: int) -> None:
        counted, written = self._release(seed, canary_rate=0.02, onset=8)
        with_counts = self._first_rollback(counted)
        assert with_counts is not None
        # Read back, the counts give the same evidence; the cautious estimate from the ratios' wander
        # (what the judge falls back to for ratios that are no fractions) catches them up to 11 intervals later.
        found = self._first_rollback(written)
        assert found is not None and abs(found - with_counts) <= 2

    @pytest.mark.parametrize("seed", range(12))
    def test_a_good_canary_read_back_is_not_rolled_back(self, seed: int) -> None:
        _, written = self._release(100 + seed, canary_rate=0.004)
        assert self._first_rollback(written) is None

    def test_an_apdex_is_not_read_as_counts(self) -> None:
        # 1 - Apdex counts tolerated requests as halves: no request count behind it.
        stable = [0.971831, 0.952703, 0.965714, 0.961039, 0.933121]
        canary = [0.9, 0.8125, 0.954545, 1.0, 0.923077]
        verdict = judge.judge_metric(MetricHistory("apdex", stable, canary, kind="gauge", better="higher", canary_weight=5.0))
        assert verdict.failed is False


class TestThroughput:
    """Request rates summed per side are proportional to the traffic split; per pod they are not."""

    @staticmethod
    def _rates(canary_factor: float, per_side: bool, n: int = 12) -> MetricHistory:
        stable = _noisy(950.0 if per_side else 50.0, n, 0.03, 1)
        canary = [v * canary_factor for v in _noisy(50.0, n, 0.03, 2)]
        return MetricHistory("rps", stable, canary, kind="throughput", canary_weight=5.0)

    @pytest.mark.parametrize("per_side", [True, False], ids=["per side", "per pod"])
    def test_a_healthy_canary_passes(self, per_side: bool) -> None:
        assert judge.judge_metric(self._rates(1.0, per_side)).failed is False

    @pytest.mark.parametrize("per_side", [True, False], ids=["per side", "per pod"])
    def test_a_drop_fails(self, per_side: bool) -> None:
        verdict = judge.judge_metric(self._rates(0.6, per_side))
        assert (verdict.classification, verdict.failed) == ("Low", True)

    def test_a_pod_serving_a_sixth_of_its_share_fails_when_the_rate_is_known_per_pod(self) -> None:
        # Per pod, 1/6 of stable's rate sits nearer the 5/95 split than parity: read off the data,
        # it is a per-side rate three times its share. Said per pod, it is the drop it is.
        history = self._rates(1 / 6, per_side=False)
        assert judge.judge_metric(history).failed is False
        verdict = judge.judge_metric(history, CompareConfig(per="pod"))
        assert (verdict.classification, verdict.failed) == ("Low", True)

    @pytest.mark.parametrize("per", ["side", "pod"])
    def test_the_setting_changes_nothing_where_the_data_agree(self, per: str) -> None:
        for factor in (1.0, 0.6):
            history = self._rates(factor, per_side=per == "side")
            assert judge.judge_metric(history, CompareConfig(per=per)) == judge.judge_metric(history)

    def test_a_rate_per_side_without_a_weight_is_no_measurement(self) -> None:
        history = dataclasses.replace(self._rates(1.0, per_side=True), canary_weight=None)
        verdict = judge.judge_metric(history, CompareConfig(per="side"))
        assert (verdict.classification, verdict.failed) == ("NoData", False)


class TestRatesPerPodBehindARouter:
    """A router gives one canary pod 5% beside ten stable pods: that pod is due about half of a
    stable pod's rate (5/1 against 95/10). With the pods known, a rate per pod is read so."""

    @staticmethod
    def _rates(canary_factor: float, pods: bool, n: int = 12) -> MetricHistory:
        stable = _noisy(9.5, n, 0.03, 1)  # 95% of 100 requests/s over ten pods
        canary = [v * canary_factor for v in _noisy(5.0, n, 0.03, 2)]  # 5% on one pod
        counts = dict(canary_pods=[1] * n, stable_pods=[10] * n) if pods else {}
        return MetricHistory("rps_per_pod", stable, canary, kind="throughput", canary_weight=5.0, **counts)

    @pytest.mark.parametrize("per", ["auto", "pod"])
    def test_a_healthy_canary_pod_passes_once_its_pods_are_known(self, per: str) -> None:
        assert judge.judge_metric(self._rates(1.0, pods=False), CompareConfig(per=per)).failed is True  # half a pod's rate
        verdict = judge.judge_metric(self._rates(1.0, pods=True), CompareConfig(per=per))
        assert verdict.failed is False, verdict.reason

    @pytest.mark.parametrize("per", ["auto", "pod"])
    def test_a_drop_still_fails(self, per: str) -> None:
        verdict = judge.judge_metric(self._rates(0.6, pods=True), CompareConfig(per=per))
        assert (verdict.classification, verdict.failed) == ("Low", True)

    def test_where_the_pods_carry_the_split_nothing_changes(self) -> None:
        # No router: two canary pods of ten serve 20%, and a canary pod is due a stable pod's rate.
        stable, canary = _noisy(10.0, 12, 0.03, 1), _noisy(10.0, 12, 0.03, 2)
        plain = MetricHistory("rps", stable, canary, kind="throughput", canary_weight=20.0)
        counted = dataclasses.replace(plain, canary_pods=[2] * 12, stable_pods=[8] * 12)
        assert judge.judge_metric(counted) == judge.judge_metric(plain)
        assert judge.judge_metric(counted).failed is False

    @pytest.mark.parametrize(("stable_pods", "drop", "fails"), [(64, 1.0, False), (150, 1.0, False), (39, 0.75, True)])
    def test_many_pods_without_a_router(self, stable_pods: int, drop: float, fails: bool) -> None:
        """Without a router one canary pod among many gets the pods' share, 1/65 = 1.5%: the weight
        the operator records (exact, not the status's whole percent) and the pods then agree."""
        weight = 100.0 / (stable_pods + 1)
        stable, canary = _noisy(10.0, 12, 0.03, 1), [v * drop for v in _noisy(10.0, 12, 0.03, 2)]
        history = MetricHistory("rps", stable, canary, kind="throughput", canary_weight=weight,
                                canary_pods=[1] * 12, stable_pods=[stable_pods] * 12)
        assert judge.judge_metric(history, CompareConfig(per="pod")).failed is fails

    def test_a_sum_per_side_is_not_read_per_pod(self) -> None:
        stable, canary = _noisy(95.0, 12, 0.03, 1), _noisy(5.0, 12, 0.03, 2)
        history = MetricHistory("rps", stable, canary, kind="throughput", canary_weight=5.0, canary_pods=[1] * 12,
                                stable_pods=[10] * 12)
        assert judge.judge_metric(history).failed is False
        assert judge.judge_metric(dataclasses.replace(history, canary=[v * 0.6 for v in canary])).failed is True


class TestFewEvents:
    """A rate of a handful of requests per interval wanders as a Poisson count, whatever the prior says."""

    @staticmethod
    def _release(rng: np.random.Generator, canary_rps: float, factor: float = 1.0, n: int = 20,
                 interval: float | None = 30.0) -> MetricHistory:
        """Per-side request rates of a 5% canary, each value a Poisson count over the interval."""
        seconds = interval or 30.0
        stable = list(rng.poisson(19 * canary_rps * seconds, n) / seconds)
        canary = list(np.maximum(rng.poisson(canary_rps * factor * seconds, n), 1) / seconds)
        return MetricHistory("rps", stable, canary, kind="throughput", canary_weight=5.0, interval_seconds=interval)

    @staticmethod
    def _looks(history: MetricHistory) -> list[bool]:
        """Failed or not at every look, as the operator asks."""
        return [judge.judge_metric(dataclasses.replace(history, stable=history.stable[:k], canary=history.canary[:k])).failed
                for k in range(2, len(history.stable) + 1)]

    def _failed(self, releases: int, **kwargs) -> float:
        """Share of releases failed at some look."""
        rng = np.random.default_rng(7)
        return sum(any(self._looks(self._release(rng, **kwargs))) for _ in range(releases)) / releases

    @pytest.mark.parametrize(
        "values, interval, events",
        [
            pytest.param([0.1, 0.2, 0.3], 30.0, 6.0, id="median 0.2/s over 30 s"),
            pytest.param([None, 0.0, 0.4, 0.2], 60.0, 18.0, id="nulls and zeros left out"),
            pytest.param([0.2, 0.2], None, None, id="interval unknown"),
            pytest.param([0.0, None], 30.0, None, id="no positive value"),
        ],
    )
    def test_events_per_interval(self, values: list, interval: float | None, events: float | None) -> None:
        history = MetricHistory("rps", [1.0] * len(values), values, kind="throughput", interval_seconds=interval)
        assert settings.events_per_interval(history) == (pytest.approx(events) if events else None)

    @pytest.mark.parametrize(
        "events, overlap, prior",
        [
            pytest.param(None, 1.0, 0.08, id="unknown: the kind's prior"),
            pytest.param(4.0, 1.0, 0.5, id="4 events: 1/2"),
            pytest.param(4.0, 4.0, 0.25, id="a window of 4 intervals holds 16"),
            pytest.param(10_000.0, 1.0, 0.08, id="busy: the prior stands"),
        ],
    )
    def test_counting_prior(self, events: float | None, overlap: float, prior: float) -> None:
        cfg = dataclasses.replace(settings.resolve(MetricHistory("rps", [1.0], [1.0], kind="throughput"), CompareConfig()),
                                  canary_events=events, overlap=overlap)
        assert pairedtest.counting_prior(cfg) == pytest.approx(prior)

    def test_a_quiet_good_canary_is_not_failed_for_its_poisson_noise(self) -> None:
        """0.1 requests/s: three per interval. Without the interval the prior alone fails one in ten."""
        assert self._failed(200, canary_rps=0.1, n=10) <= 0.01
        assert self._failed(200, canary_rps=0.1, n=10, interval=None) >= 0.05

    def test_a_busy_canary_that_halves_is_caught_as_before(self) -> None:
        history = self._release(np.random.default_rng(3), canary_rps=100.0, factor=0.5, n=8)
        looks = self._looks(history)
        assert looks == self._looks(dataclasses.replace(history, interval_seconds=None)) and looks.index(True) == 1

    def test_a_quiet_canary_that_serves_a_third_of_its_share_still_fails(self) -> None:
        assert self._failed(40, canary_rps=0.5, factor=0.3, n=20) >= 0.9


class TestSuccessRatio:
    """A ratio near 1 where higher is better is judged by its complement, the failure ratio."""

    @staticmethod
    def _success(canary_failures: float, n: int = 10) -> MetricHistory:
        rng = np.random.default_rng(4)
        stable = list(1 - rng.binomial(19000, 0.001, n) / 19000)
        canary = list(1 - rng.binomial(1000, canary_failures, n) / 1000)
        return MetricHistory("availability", stable, canary, kind="gauge", better="higher", canary_weight=5.0)

    def test_tenfold_failures_fail_although_success_drops_one_percent(self) -> None:
        verdict = judge.judge_metric(self._success(0.01))
        assert (verdict.classification, verdict.failed) == ("Low", True)
        assert verdict.reason.startswith("failures (1 - value)")

    def test_same_failures_pass(self) -> None:
        assert judge.judge_metric(self._success(0.001)).failed is False

    def test_values_beyond_a_hundred_are_not_a_ratio(self) -> None:
        history = MetricHistory("score", [180.0] * 6, [179.5] * 6, kind="gauge", better="higher")
        assert settings.is_success_ratio(history, CompareConfig()) is False
        low = MetricHistory("score", [30.0] * 6, [29.5] * 6, kind="gauge", better="higher")
        assert settings.is_success_ratio(low, CompareConfig()) is False  # not near 100%

    def test_a_success_rate_in_percent_is_judged_by_its_failures(self) -> None:
        """99.6% -> 97.5% success is six times the failures, far beyond a 10% gauge tolerance."""
        ratio = self._success(0.01)
        percent = dataclasses.replace(ratio, stable=[100 * v for v in ratio.stable], canary=[100 * v for v in ratio.canary])
        verdict = judge.judge_metric(percent)
        assert (verdict.classification, verdict.failed) == ("Low", True)
        assert verdict.reason.startswith("failures (100% - value)")
        same = self._success(0.001)
        assert judge.judge_metric(dataclasses.replace(same, stable=[100 * v for v in same.stable],
                                                      canary=[100 * v for v in same.canary])).failed is False


class TestSuccessRatioCounts:
    """A success ratio of exact fractions carries its requests, as its error ratio does (``counts``)."""

    @staticmethod
    def _release(seed: int, canary_failures: float, n: int = 16) -> tuple[MetricHistory, MetricHistory]:
        """The same release as a 6-digit success ratio without counts and as an error ratio with them."""
        rng = np.random.default_rng(seed)
        canary_n, stable_n = rng.integers(35, 50, n), rng.integers(700, 900, n)  # a 5% canary of 40 requests
        canary_e, stable_e = rng.binomial(canary_n, canary_failures), rng.binomial(stable_n, 0.002)
        success = MetricHistory(
            "http_success_ratio",
            [round(1 - e / t, 6) for e, t in zip(stable_e, stable_n)],
            [round(1 - e / t, 6) for e, t in zip(canary_e, canary_n)],
            kind="gauge", better="higher", canary_weight=5.0,
        )
        errors = MetricHistory(
            "errors", list(stable_e / stable_n), list(canary_e / canary_n), kind="error-ratio", canary_weight=5.0,
            stable_requests=[float(t) for t in stable_n], canary_requests=[float(t) for t in canary_n],
        )
        return success, errors

    @staticmethod
    def _first_failed(history: MetricHistory) -> int | None:
        for n in range(3, len(history.stable) + 1):
            cut = dataclasses.replace(
                history, stable=history.stable[:n], canary=history.canary[:n],
                stable_requests=None if history.stable_requests is None else history.stable_requests[:n],
                canary_requests=None if history.canary_requests is None else history.canary_requests[:n],
            )
            if judge.judge_metric(cut).failed:
                return n
        return None

    def test_the_complement_is_taken_in_decimal(self) -> None:
        assert series.complement([0.95122, 1.0, None]) == [0.04878, 0.0, None]
        assert series.complement([99.5, 97.561], 100.0) == [0.005, 0.02439]
        assert 1 - 0.95122 != 0.04878  # what floating point gives instead

    def test_failures_twelve_times_stable_are_caught_as_with_request_counts(self) -> None:
        looks = []
        for seed in range(8):
            success, errors = self._release(seed, 0.024)
            apdex = dataclasses.replace(success, name="checkout_apdex")  # halves: not read back
            looks.append((self._first_failed(success), self._first_failed(errors), self._first_failed(apdex)))
        assert all(s is not None for s, _, _ in looks)
        assert sum(abs(s - e) <= 1 for s, e, _ in looks) >= 7  # within an interval of the counted test
        # Without the counts, the estimate from the ratios' wander is cautious: later, or never.
        assert all(a is None or s <= a for s, _, a in looks)
        assert sum(a is None or s < a for s, _, a in looks) >= 6

    def test_good_canaries_pass(self) -> None:
        assert not any(self._first_failed(self._release(seed, 0.002)[0]) for seed in range(8))


class TestSilence:
    def test_a_canary_that_often_had_no_data_must_be_silent_longer(self) -> None:
        stable = [0.2] * 14
        trickle = [0.2, None, 0.2, None, None, 0.2, None, 0.2, None, 0.2, None, None, None, None]
        steady = [0.2] * 10 + [None] * 4
        assert judge.judge_metric(MetricHistory("p99", stable, trickle, kind="latency")).failed is False
        assert judge.judge_metric(MetricHistory("p99", stable, steady, kind="latency")).failed is True

    def test_a_canary_that_never_reported_fails_after_missing_limit(self) -> None:
        # Due 50 requests an interval (another metric's counts say so): a quantile over none of them is a dead canary.
        stable, due = [0.2] * 3, [50.0] * 3
        assert judge.judge_metric(MetricHistory("p99", stable[:2], [None] * 2, kind="latency", expected_canary_requests=due[:2])).failed is False
        assert judge.judge_metric(MetricHistory("p99", stable, [None] * 3, kind="latency", expected_canary_requests=due)).failed is True

    def test_a_fresh_canary_not_scraped_yet_is_starting_up_not_dead(self) -> None:
        # 15 s intervals: no value for the canary's first 45 s (a rate needs two of its samples),
        # then it reports like stable. Without the interval the same gap would be a crash.
        stable = [0.2] * 8
        canary = [None, None, None, 0.2, 0.2, 0.2, 0.2, 0.2]
        failed = [n for n in range(1, 9)
                  if judge.judge_metric(MetricHistory("p99", stable[:n], canary[:n], kind="latency", interval_seconds=15)).failed]
        assert failed == []
        due = [50.0] * 3
        assert judge.judge_metric(MetricHistory("p99", stable[:3], canary[:3], kind="latency", expected_canary_requests=due)).failed is True

    @pytest.mark.parametrize("interval, first_failed", [(15, 8), (30, 5), (60, 4)])
    def test_a_canary_that_never_reports_fails_once_its_start_up_is_over(self, interval: float, first_failed: int) -> None:
        # 60 s of start-up, then missingLimit (3) silent intervals spanning at least a minute.
        stable = [0.2] * 10
        failed = [n for n in range(1, 11)
                  if judge.judge_metric(MetricHistory("p99", stable[:n], [None] * n, kind="latency", interval_seconds=interval,
                                                      expected_canary_requests=[50.0] * n)).failed]
        assert failed[:1] == [first_failed]

    def test_a_canary_that_reported_and_went_silent_gets_no_start_up(self) -> None:
        history = MetricHistory("p99", [0.2] * 5, [0.2, None, None, None, None], kind="latency", interval_seconds=15)
        assert judge.judge_metric(history).failed is True

    def test_at_short_intervals_a_canary_must_be_silent_for_a_minute(self) -> None:
        # 10 s intervals: three silent ones are a failed scrape or two, six are a minute.
        stable, canary = [0.2] * 12, [0.2] * 6 + [None] * 6
        failed = [n for n in range(7, 13)
                  if judge.judge_metric(MetricHistory("p99", stable[:n], canary[:n], kind="latency", interval_seconds=10)).failed]
        assert failed[:1] == [12]

    def test_pods_that_still_report_a_gauge_get_no_traffic_rather_than_crash(self) -> None:
        latency = MetricHistory("p99", [0.2] * 6, [0.2, 0.2, 0.2, None, None, None], kind="latency")
        memory = MetricHistory("memory", [5e8] * 6, [5e8] * 6, kind="gauge")
        assert judge.judge([latency, memory]).decision == "pause"
        gone = MetricHistory("memory", [5e8] * 6, [5e8, 5e8, 5e8, None, None, None], kind="gauge")
        assert judge.judge([latency, gone]).decision == "rollback"

    def test_a_null_error_ratio_of_a_canary_that_served_requests_is_not_silence(self) -> None:
        """PromQL returns nothing for an error ratio until the canary's first error creates the error series."""
        def errors(canary_requests: float) -> MetricHistory:
            return MetricHistory("errors", [0.001] * 6, [None] * 6, kind="error-ratio",
                                 stable_requests=[20000.0] * 6, canary_requests=[canary_requests] * 6)
        assert not judge.judge_metric(errors(1000.0)).failed
        assert judge.judge_metric(errors(0.0)).failed

    def test_a_silent_error_ratio_of_a_canary_whose_latency_still_comes_in_is_not_a_crash(self) -> None:
        errors = MetricHistory("errors", [0.001] * 6, [0.001, 0.001, None, None, None, None], kind="error-ratio")
        latency = MetricHistory("p99", [0.2] * 6, [0.2] * 6, kind="latency")
        verdict = judge.judge([errors, latency])
        assert verdict.decision == "pause" and "still serves requests (p99)" in verdict.reason
        gone = MetricHistory("p99", [0.2] * 6, [0.2, 0.2, None, None, None, None], kind="latency")
        assert judge.judge([errors, gone]).decision == "rollback"

    def test_a_null_count_less_error_ratio_where_stable_had_no_errors_is_not_silence(self) -> None:
        """Without counts, a canary without errors has no error series either: where stable had no errors, expect none."""
        def errors(level: float) -> MetricHistory:
            return MetricHistory("errors", _binomial_ratios(level, 20000, 8), [None] * 8, kind="error-ratio", canary_weight=5.0)
        assert judge.judge_metric(errors(0.0)).failed is False
        assert judge.judge_metric(errors(0.01)).failed is True

    def test_a_count_less_error_ratio_never_reported_is_silent_only_where_the_canary_was_due_errors(self) -> None:
        """Stable's ratio wanders as a binomial of 20000 requests an interval: a 5% canary is due ten
        errors at 1%, and a null for three intervals is a dead canary; at 400 requests it is due a
        fifth of an error, and a live one has no error series yet."""
        def errors(requests: float) -> MetricHistory:
            return MetricHistory("errors", _binomial_ratios(0.01, requests, 8), [None] * 8, kind="error-ratio", canary_weight=5.0)
        assert judge.judge_metric(errors(20000)).failed is True
        quiet = judge.judge_metric(errors(400))
        assert (quiet.classification, quiet.failed) == ("NoData", False)
        assert judge.overall([quiet]).decision == "pause"  # never a promotion on no data

    def test_a_latency_never_reported_is_silent_only_where_the_canary_was_due_requests(self) -> None:
        """A quantile has no value until a request lands in its window: without anything that says
        the canary was due requests, a canary that never reported may only get none, and is held."""
        latency = MetricHistory("p99", [0.2] * 6, [None] * 6, kind="latency", canary_weight=1.0)
        verdict = judge.judge_metric(latency)
        assert (verdict.classification, verdict.failed) == ("NoData", False)
        # A count-less error ratio of the same release says how many requests stable serves.
        busy = MetricHistory("errors", _binomial_ratios(0.01, 20000, 6), [None] * 6, kind="error-ratio", canary_weight=1.0)
        trickle = dataclasses.replace(busy, stable=_binomial_ratios(0.01, 300, 6))
        assert judge.judge([busy, latency]).decision == "rollback"
        assert judge.judge([trickle, latency]).decision == "pause"
        # Once it has reported, a canary's silence is proven as before.
        went = MetricHistory("p99", [0.2] * 6, [0.2, 0.2, None, None, None, None], kind="latency", canary_weight=1.0)
        assert judge.judge_metric(went).failed is True

    def test_a_scrape_gap_does_not_hide_that_the_canary_still_serves(self) -> None:
        errors = MetricHistory("errors", _binomial_ratios(0.01, 20000, 8), [None] * 8, kind="error-ratio", canary_weight=5.0)
        latency = MetricHistory("p99", [0.2] * 5 + [None] * 3, [0.2] * 5 + [None] * 3, kind="latency")
        assert judge.judge([errors, latency]).decision == "pause"
        died = MetricHistory("p99", [0.2] * 5 + [None] * 3, [0.2] * 4 + [None] * 4, kind="latency")
        assert judge.judge([errors, died]).decision == "rollback"

    def test_over_overlapping_windows_a_silent_run_must_be_longer(self) -> None:
        # rate(x[2m]) every 30s: a fresh canary whose window held no request for 3 values has been
        # without requests for 6 intervals, less telling than 3 separate empty windows.
        history = MetricHistory("p99", [0.2] * 4, [None] * 4, kind="latency", expected_canary_requests=[50.0] * 4)
        assert judge.judge_metric(history).failed is True
        assert judge.judge_metric(dataclasses.replace(history, overlap=4.0)).failed is False
        longer = MetricHistory("p99", [0.2] * 9, [None] * 9, kind="latency", overlap=4.0, expected_canary_requests=[50.0] * 9)
        assert judge.judge_metric(longer).failed is True

    def test_request_counts_of_one_metric_tell_the_others_the_canary_is_quiet(self) -> None:
        # 1% of 100 requests: the canary's latency has no data because it had no requests, not because it died.
        errors = MetricHistory(
            "errors", [0.01] * 8, [0.0, 0.0, None, None, None, None, None, None], kind="error-ratio",
            stable_requests=[100.0] * 8, canary_requests=[1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], canary_weight=1.0,
        )
        latency = MetricHistory("p99", [0.2] * 8, [0.2, 0.2] + [None] * 6, kind="latency", canary_weight=1.0)
        assert judge.judge_metric(latency).failed is True
        assert judge.judge([errors, latency]).decision == "pause"

    def test_request_counts_reach_a_latency_that_waited_for_its_window_by_their_latest_values(self) -> None:
        # rate(x[1m]) every 30 s: the latency is judged from the second interval on, one value
        # shorter than the error ratio, as the operator and replay hold it; the canary was due the
        # same trickle of requests, and a quantile over none is quiet, not dead.
        errors = MetricHistory(
            "errors", [0.0] * 8, [None] * 8, kind="error-ratio", stable_requests=[12.0] * 8,
            canary_requests=[0.0, 1.0] + [0.0] * 6, canary_weight=5.0, overlap=2.0,
        )
        latency = MetricHistory("p99", [0.2] * 7, [0.1] + [None] * 6, kind="latency", canary_weight=5.0, overlap=2.0)
        assert judge.judge_metric(latency).failed is True
        verdict = judge.judge([errors, latency])
        assert verdict.decision == "pause"
        # Due hundreds of requests, the same silence is a dead canary.
        busy = dataclasses.replace(errors, stable_requests=[12000.0] * 8)
        assert judge.judge([busy, latency]).decision == "rollback"


class TestRepeatedValues:
    """A query asked more often than Prometheus has new samples returns the same answer again."""

    @staticmethod
    def _thrice(values: list[float | None]) -> list[float | None]:
        return [v for v in values for _ in range(3)]

    def test_a_value_repeated_on_both_sides_is_one_measurement(self) -> None:
        stable, canary = _noisy(0.2, 8, 0.05, 1), [v * 1.12 for v in _noisy(0.2, 8, 0.05, 2)]
        once = judge.judge_metric(MetricHistory("p99", stable, canary, kind="latency"))
        thrice = judge.judge_metric(MetricHistory("p99", self._thrice(stable), self._thrice(canary), kind="latency"))
        assert (thrice.p_value, thrice.failed, thrice.effect) == (once.p_value, once.failed, once.effect)

    def test_a_canary_that_repeats_while_stable_moves_is_measured_each_time(self) -> None:
        # Canary 30% slower, stable's value new at every interval: nine witnesses, not three.
        stable = _noisy(0.2, 9, 0.05, 1)
        canary = self._thrice([0.26, 0.27, 0.25])
        assert judge.judge_metric(MetricHistory("p99", stable, canary, kind="latency")).failed is True
        assert judge.judge_metric(MetricHistory("p99", self._thrice(stable[::3]), canary, kind="latency")).failed is False

    def test_a_metric_that_never_moves_still_passes(self) -> None:
        verdict = judge.judge_metric(MetricHistory("limit", [5e8] * 6, [5e8] * 6, kind="gauge"))
        assert (verdict.classification, verdict.failed, verdict.marginal) == ("Pass", False, False)

    def test_a_level_that_holds_still_for_minutes_is_measured_again(self) -> None:
        # Both sides flat for 20 minutes at 30 s, the canary at twice stable's level: no scrape is
        # that slow, so the run counts once per two minutes, ten witnesses, and the canary fails.
        flat = MetricHistory("fds", [100.0] * 40, [200.0] * 40, kind="gauge", interval_seconds=30)
        assert judge.judge_metric(flat).failed is True
        assert judge.judge_metric(dataclasses.replace(flat, canary=[100.0] * 40)).failed is False
        # Without the interval, a run is one measurement, as before.
        assert judge.judge_metric(dataclasses.replace(flat, interval_seconds=None)).failed is False

    def test_extreme_values_do_not_underflow(self) -> None:
        # 1e-300 / 1e300 is 0 in floating point; the log ratio must stay finite and the canary fail.
        stable, canary = [v * 1e300 for v in _noisy(1.0, 8, 0.05, 1)], [v * 1e-300 for v in _noisy(1.0, 8, 0.05, 2)]
        history = MetricHistory("x", stable, canary, kind="gauge", better="higher", interval_seconds=30)
        with np.errstate(all="raise"):
            verdict = judge.judge_metric(history)
        assert (verdict.classification, verdict.failed) == ("Low", True)

    def test_repeats_count_a_run_once_per_two_minutes(self) -> None:
        flat = np.full(9, 1.0)
        assert series.repeats(flat, flat * 2, interval_seconds=30).tolist() == [False, True, True, True, False,
                                                                                True, True, True, False]
        assert series.repeats(flat, flat * 2).tolist() == [False] + [True] * 8


class TestWeightChanges:
    """The operator's history spans steps: a canary at 5%, then 20%, then 50% of the traffic."""

    def test_per_side_rates_follow_each_interval_weight(self) -> None:
        weights = [5.0] * 6 + [20.0] * 6 + [50.0] * 6
        stable = [1000.0 * (100 - w) / 100 for w in weights]
        canary = [1000.0 * w / 100 * f for w, f in zip(weights, _noisy(1.0, 18, 0.03, 3))]
        history = MetricHistory("rps", stable, canary, kind="throughput", canary_weight=50.0, canary_weights=weights)
        assert judge.judge_metric(history).failed is False
        dropped = [v * (0.5 if i >= 12 else 1.0) for i, v in enumerate(canary)]
        verdict = judge.judge_metric(dataclasses.replace(history, canary=dropped))
        assert (verdict.classification, verdict.failed) == ("Low", True)

    def test_intervals_without_a_recorded_weight_take_the_current_one(self) -> None:
        history = MetricHistory("e", [0.1] * 3, [0.1] * 3, canary_weight=10.0, canary_weights=[None, 5.0, None])
        assert series.weights(history, 3).tolist() == [10.0, 5.0, 10.0]


@pytest.mark.parametrize("canary_ratio", [0.5, 0.0005], ids=["ten times worse", "a hundred times better"])
def test_overwhelming_evidence_on_busy_services_does_not_overflow(canary_ratio: float) -> None:
    n = 10
    history = MetricHistory("e", [0.05] * n, [canary_ratio] * n, kind="error-ratio",
                            stable_requests=[200000.0 + i for i in range(n)], canary_requests=[10000.0 + i for i in range(n)])
    verdict = judge.judge_metric(history)
    assert verdict.failed is (canary_ratio > 0.05)


class TestMarginal:
    """A canary that looks worse at one look, but not over the release, is not promoted unseen."""

    @staticmethod
    def _errors(canary_ratio: float, n: int = 8, seed: int = 3) -> MetricHistory:
        rng = np.random.default_rng(seed)
        stable = [rng.binomial(19000, 0.01) / 19000 for _ in range(n)]
        canary = [rng.binomial(100, canary_ratio) / 100 for _ in range(n)]
        return MetricHistory("errors", stable, canary, kind="error-ratio", stable_requests=[19000.0] * n, canary_requests=[100.0] * n)

    @staticmethod
    def _latency(factor: float, n: int = 10, seed: int = 1) -> MetricHistory:
        rng = np.random.default_rng(seed)
        stable = list(0.2 * np.exp(rng.normal(0, 0.1, n)))
        canary = list(0.2 * factor * np.exp(rng.normal(0, 0.1, n)))
        return MetricHistory("p99", stable, canary, kind="latency")

    @pytest.mark.parametrize(
        "history, marginal, failed",
        [
            pytest.param(_errors(0.01), False, False, id="same error ratio -> plain pass"),
            pytest.param(_errors(0.02), True, False, id="errors x2 on 800 canary requests -> marginal"),
            pytest.param(_errors(0.05), False, True, id="errors x5 -> fails outright"),
            pytest.param(_latency(1.0), False, False, id="same latency -> plain pass"),
            pytest.param(_latency(1.2), True, False, id="latency +20% over 10 noisy intervals -> marginal"),
            pytest.param(_latency(1.3), False, True, id="latency +30% -> fails outright"),
        ],
    )
    def test_table(self, history: MetricHistory, marginal: bool, failed: bool) -> None:
        verdict = judge.judge_metric(history)
        assert (verdict.marginal, verdict.failed) == (marginal, failed)
        if marginal:
            assert verdict.classification == "Pass" and verdict.reason.startswith("marginal:")
            assert judge.judge([history]).decision == "pause"

    def test_marginal_confidence_zero_turns_it_off(self) -> None:
        verdict = judge.judge_metric(self._errors(0.02), CompareConfig(marginal_confidence=0))
        assert (verdict.classification, verdict.marginal) == ("Pass", False)

    def test_a_canary_better_than_stable_is_never_marginal(self) -> None:
        assert not judge.judge_metric(self._latency(1 / 1.2)).marginal

    @pytest.mark.parametrize("kind", ["latency", "error-ratio"])
    def test_good_canaries_are_rarely_marginal(self, kind: str) -> None:
        """At most 1 - marginalConfidence of good releases end marginal (one look, three windows)."""
        rng = np.random.default_rng(11)
        releases, marginal = 300, 0
        for _ in range(releases):
            n = int(rng.integers(6, 30))
            if kind == "latency":
                stable, canary = list(0.2 * np.exp(rng.normal(0, 0.1, n))), list(0.2 * np.exp(rng.normal(0, 0.1, n)))
                history = MetricHistory("p99", stable, canary, kind="latency")
            else:
                stable = [rng.binomial(19000, 0.01) / 19000 for _ in range(n)]
                canary = [rng.binomial(1000, 0.01) / 1000 for _ in range(n)]
                history = MetricHistory(
                    "errors", stable, canary, kind="error-ratio", stable_requests=[19000.0] * n, canary_requests=[1000.0] * n
                )
            marginal += judge.judge_metric(history).marginal
        assert marginal / releases <= 0.05


class TestSimesSuspect:
    """The marginal check folds its nested windows with Simes' test rather than one-by-one Bonferroni."""

    @staticmethod
    def _windows(*ps: float, effect: float = 0.5) -> list[evidence.WindowResult]:
        return [evidence.WindowResult(effect=effect, p_bad=p, p_good=1.0, samples=10 + i) for i, p in enumerate(ps)]

    @pytest.mark.parametrize(
        "ps, flagged",
        [
            pytest.param((0.0192, 0.0193, 0.198), True, id="two windows just above alpha/3 agree -> suspect"),
            pytest.param((0.012, 0.4, 0.9), True, id="one window below alpha/3 -> suspect, as Bonferroni"),
            pytest.param((0.0327, 0.285, 1.0), False, id="one window above alpha/3 alone -> no suspect"),
            pytest.param((0.04, 0.045, 0.049), True, id="all three below alpha -> suspect"),
            pytest.param((0.2, 0.3, 0.5), False, id="nothing significant"),
        ],
    )
    def test_table(self, ps: tuple[float, ...], flagged: bool) -> None:
        suspect, bar = evidence.simes_suspect(self._windows(*ps), 3, 0.05, lambda r: True)
        assert (suspect is not None) is flagged
        if suspect is not None:
            assert suspect.p_bad == min(ps) and suspect.p_bad <= bar

    @pytest.mark.parametrize("seed", range(20))
    def test_rejects_exactly_where_the_smallest_bh_adjusted_p_value_is_below_alpha(self, seed: int) -> None:
        """Simes' global p-value is the smallest Benjamini-Hochberg adjusted p-value (scipy as reference)."""
        ps = np.random.default_rng(seed).uniform(0, 0.08, 3)
        suspect, _ = evidence.simes_suspect(self._windows(*ps), 3, 0.05, lambda r: True)
        assert (suspect is not None) is bool(scipy_stats.false_discovery_control(ps, method="bh").min() <= 0.05)

    def test_a_window_within_the_tolerance_is_not_the_suspect(self) -> None:
        windows = [evidence.WindowResult(0.01, 0.001, 1.0, 20), evidence.WindowResult(0.4, 0.02, 1.0, 10)]
        suspect, _ = evidence.simes_suspect(windows, 3, 0.05, lambda r: r.effect > 0.05)
        assert suspect is windows[1]
        suspect, _ = evidence.simes_suspect(windows[:1], 3, 0.05, lambda r: r.effect > 0.05)
        assert suspect is None

    def test_alpha_zero_never_flags(self) -> None:
        assert evidence.simes_suspect(self._windows(1e-9), 3, 0.0, lambda r: True)[0] is None

    def test_nested_windows_of_good_canaries_stay_within_alpha(self) -> None:
        """Nested windows of a null series (positively dependent p-values): Simes keeps its level."""
        rng = np.random.default_rng(5)
        releases, flagged = 4000, 0
        for _ in range(releases):
            x = rng.normal(0, 1, 24)
            ps = [float(scipy_stats.norm.sf(x[-k:].sum() / math.sqrt(k))) for k in (24, 12, 6)]
            flagged += evidence.simes_suspect(self._windows(*ps), 3, 0.05, lambda r: True)[0] is not None
        assert flagged / releases <= 0.055


class TestMajority:
    """A latency rollback needs most intervals worse, not only a mean carried by a few far-off ones."""

    # Per-interval log(canary / stable) of a 5% canary's p95 read from a Prometheus histogram: a
    # harmless +2% most of the time, and +7% to +25% whenever the canary's percentile crosses into
    # the next bucket. The mean (+6.5%) is beyond the 5% tolerance; the median (+2.3%) is not.
    BUCKET_JUMPS = [
        0.029, 0.014, 0.013, 0.015, 0.023, 0.023, 0.022, 0.019, 0.014, 0.003, -0.002, 0.094, 0.067,
        0.156, 0.227, 0.209, 0.132, 0.091, 0.09, 0.218, 0.029, 0.07, 0.219, 0.01, 0.013, 0.008,
        0.02, 0.006, 0.003, 0.02, 0.016, 0.014, 0.013, 0.017, 0.143, 0.071, 0.016, 0.147, 0.123,
        0.066, 0.002, 0.123, -0.003, 0.09, 0.204, 0.144, 0.191, 0.022, 0.215, 0.01, 0.025, 0.013,
    ]

    @staticmethod
    def _release(log_ratios: list[float], shift: float = 0.0, kind: str = "latency") -> MetricHistory:
        stable = _noisy(0.2, len(log_ratios), 0.05, 3)
        return MetricHistory("p95", stable, [s * math.exp(x + shift) for s, x in zip(stable, log_ratios)], kind=kind)

    def _looks(self, shift: float = 0.0, kind: str = "latency") -> str:
        """The verdict at every look, as the operator asks: F failed, m marginal, . pass."""
        verdicts = [judge.judge_metric(self._release(self.BUCKET_JUMPS[:n], shift, kind)) for n in range(2, len(self.BUCKET_JUMPS) + 1)]
        return "".join("F" if v.failed else "m" if v.marginal else "." for v in verdicts)

    @pytest.mark.parametrize(
        "worse_by, worse, confirmed",
        [
            pytest.param([0.3, 0.3, 0.3], 3, True, id="three intervals rest on the mixture test alone"),
            pytest.param([0.3, 0.3, -0.2], 2, True, id="so do three with one better"),
            pytest.param([0.3, 0.3, 0.3, 0.3], 4, True, id="four of four: p = 1/16"),
            pytest.param([0.3, 0.3, 0.3, 0.0], 3, False, id="three of four: p = 5/16"),
            pytest.param([0.9, 0.0, 0.0, 0.0, 0.0, 0.0], 1, False, id="one far-off interval"),
            pytest.param([0.02] * 5, 0, False, id="all at the null: no interval beyond it"),
            pytest.param([0.1] * 7 + [0.0] * 2, 7, True, id="seven of nine: p = 0.09"),
            pytest.param([0.1] * 6 + [0.0] * 3, 6, False, id="six of nine: p = 0.25"),
        ],
    )
    def test_table(self, worse_by: list[float], worse: int, confirmed: bool) -> None:
        assert pairedtest.majority_confirms(np.array(worse_by), 0.02) == (worse, confirmed)

    @pytest.mark.parametrize("seed", range(5))
    def test_is_a_one_sided_sign_test(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(40):
            values = np.round(rng.normal(0.05, 0.1, int(rng.integers(pairedtest.MAJORITY_MIN, 40))), 2)
            above, below = int(np.sum(values > 0.02)), int(np.sum(values < 0.02))
            expected = scipy_stats.binomtest(above, above + below, alternative="greater").pvalue <= pairedtest.MAJORITY_ALPHA
            assert pairedtest.majority_confirms(values, 0.02) == (above, bool(expected))

    def test_bucket_jumps_hold_the_release_instead_of_rolling_it_back(self, monkeypatch: pytest.MonkeyPatch) -> None:
        held = self._looks()
        assert "F" not in held and held.endswith("m")
        verdict = judge.judge_metric(self._release(self.BUCKET_JUMPS))
        assert verdict.classification == "Pass" and "more than 2.5% higher in only 25 of them" in verdict.reason
        assert judge.judge([self._release(self.BUCKET_JUMPS)]).decision == "pause"
        monkeypatch.setattr(pairedtest, "MAJORITY_KINDS", frozenset())
        assert "F" in self._looks()  # the mean alone rolls it back

    def test_with_marginal_confidence_zero_it_fails_as_before(self) -> None:
        verdict = judge.judge_metric(self._release(self.BUCKET_JUMPS), CompareConfig(marginal_confidence=0))
        assert (verdict.classification, verdict.failed) == ("High", True)

    @pytest.mark.parametrize("shift", [0.1, 0.2])
    def test_a_regression_on_the_same_noise_fails_at_the_same_look(self, shift: float, monkeypatch: pytest.MonkeyPatch) -> None:
        with_rule = self._looks(shift)
        monkeypatch.setattr(pairedtest, "MAJORITY_KINDS", frozenset())
        assert with_rule.index("F") == self._looks(shift).index("F")

    def test_a_gauge_is_judged_by_its_mean(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A gauge's mean beyond its 10% tolerance fails at every look, as it would if the rule held for gauges."""
        judged = self._looks(0.03, kind="gauge")
        monkeypatch.setattr(pairedtest, "MAJORITY_KINDS", frozenset({"latency", "gauge"}))
        assert judged.endswith("F" * 14) and self._looks(0.03, kind="gauge") != judged


class TestOverlappingWindows:
    """``rate(x[3m])`` read every minute: each value shares two thirds of its data with the last."""

    @staticmethod
    def _window(values: np.ndarray, span: int, n: int) -> np.ndarray:
        return np.convolve(values, np.ones(span), "valid")[:n]

    def _release(self, rng: np.random.Generator, kind: str, span: int, n: int = 14) -> MetricHistory:
        if kind == "latency":
            noise = self._window(rng.normal(0, 0.15, n + span), span, n) / math.sqrt(span)
            return MetricHistory("p99", [0.2] * n, list(0.2 * np.exp(noise)), kind="latency")
        stable_n, canary_n = rng.poisson(2000, n + span), rng.poisson(500, n + span)
        stable_e, canary_e = rng.binomial(stable_n, 0.005), rng.binomial(canary_n, 0.005)
        s_n, c_n = self._window(stable_n, span, n), self._window(canary_n, span, n)
        stable = list(self._window(stable_e, span, n) / s_n)
        canary = list(self._window(canary_e, span, n) / c_n)
        if kind == "counted":
            return MetricHistory("e", stable, canary, kind="error-ratio", stable_requests=list(s_n), canary_requests=list(c_n))
        return MetricHistory("e", stable, canary, kind="error-ratio", canary_weight=20.0)

    def _false_alarms(self, kind: str, span: int, overlap: float, releases: int = 120) -> float:
        rng = np.random.default_rng(7)
        alarms = 0
        for _ in range(releases):
            h = self._release(rng, kind, span)
            for i in range(3, len(h.stable) + 1):
                look = dataclasses.replace(
                    h, stable=h.stable[:i], canary=h.canary[:i], overlap=overlap,
                    stable_requests=h.stable_requests[:i] if h.stable_requests else None,
                    canary_requests=h.canary_requests[:i] if h.canary_requests else None,
                )
                if judge.judge_metric(look).failed:
                    alarms += 1
                    break
        return alarms / releases

    @pytest.mark.parametrize("kind", ["counted", "countless", "latency"])
    def test_values_that_share_data_are_not_counted_as_independent(self, kind: str) -> None:
        told = self._false_alarms(kind, span=3, overlap=3)
        assert told <= 0.02
        assert self._false_alarms(kind, span=3, overlap=1) > told  # what the overlap corrects


class TestBursts:
    """One interval is one witness, however many errors it holds (``COUNT_CAP``)."""

    @staticmethod
    def _counts(canary_errors: list[int]) -> MetricHistory:
        n = len(canary_errors)
        return MetricHistory(name="errors", kind="error-ratio", stable=[0.002] * n,
                             canary=[e / 300 for e in canary_errors], stable_requests=[5700.0] * n,
                             canary_requests=[300.0] * n, canary_weight=5.0)

    def test_a_single_burst_on_a_canary_pod_does_not_fail(self) -> None:
        # 40 errors in one interval (a client's failed batch that landed on the canary), none before or after.
        assert judge.judge_metric(self._counts([0, 1, 40, 1, 0, 0, 1, 0])).failed is False

    def test_a_canary_failing_outright_is_caught_at_its_second_interval(self) -> None:
        assert judge.judge_metric(self._counts([30])).failed is False
        verdict = judge.judge_metric(self._counts([30, 28]))
        assert (verdict.classification, verdict.failed) == ("High", True)


class TestErrorShareWander:
    """A good canary's few errors can run at two or three times stable's for a couple of intervals."""

    # A production release (5% canary, 30 s intervals): 16 and 17 canary errors where stable's ratio
    # predicts about 6, then the canary runs like stable.
    STABLE = [0.007267, 0.005706, 0.0054, 0.007536, 0.008072, 0.009368, 0.008079, 0.008491, 0.009798, 0.008743, 0.009841, 0.01142]
    CANARY = [None, 0.01534, 0.01592, 0.006591, 0.006428, 0.008787, 0.007156, 0.007373, 0.01044, 0.00818, 0.002976, 0.007442]
    STABLE_N = [18710.0, 19280, 20370, 20700, 21310, 21460, 20550, 20730, 20210, 19440, 19920, 20500]
    CANARY_N = [None, 1043.0, 1068, 1062, 1089, 1138, 1118, 1085, 1054, 978, 1008, 1075]

    @pytest.mark.parametrize("prior", [counttest.RATE_NOISE_PRIOR, 0.04])
    def test_early_excess_on_few_errors_is_not_a_regression(self, prior: float, monkeypatch: pytest.MonkeyPatch) -> None:
        """Judged at every interval; with the earlier prior (tau^2 = 0.04) it fails at its third."""
        monkeypatch.setattr(counttest, "RATE_NOISE_PRIOR", prior)
        failed = [
            n for n in range(1, len(self.STABLE) + 1)
            if judge.judge_metric(MetricHistory(
                "errors", self.STABLE[:n], self.CANARY[:n], kind="error-ratio",
                stable_requests=self.STABLE_N[:n], canary_requests=self.CANARY_N[:n], canary_weight=5.0,
            )).failed
        ]
        assert failed[:1] == [3] if prior == 0.04 else failed == []


class TestGaugeWarmUp:
    """A fresh canary's CPU runs high for its first intervals and falls back: that is no regression."""

    @staticmethod
    def _cpu(canary_excess: list[float], seed: int = 3) -> MetricHistory:
        n = len(canary_excess)
        stable = _noisy(0.2, n, 0.02, seed)
        canary = [v * (1 + e) for v, e in zip(_noisy(0.2, n, 0.02, seed + 1), canary_excess)]
        return MetricHistory("cpu", stable, canary, kind="gauge", better="lower")

    # A fresh canary pod's CPU (cores) at 15 s intervals: 70% above stable for 45 s, then within 6%.
    STABLE = [0.1751, 0.1733, 0.1758, 0.1725, 0.1719, 0.1709, 0.1728, 0.1761]
    CANARY = [0.2963, 0.2893, 0.2932, 0.1809, 0.1863, 0.1783, 0.1850, 0.1845]

    @pytest.mark.parametrize("warm_up", [pairedtest.GAUGE_WARM_UP, 0])
    def test_a_warm_up_that_falls_back_does_not_fail(self, warm_up: int, monkeypatch: pytest.MonkeyPatch) -> None:
        """Judged at every interval, as the operator does; without the rule (``GAUGE_WARM_UP = 0``)
        the same release fails at its sixth interval."""
        monkeypatch.setattr(pairedtest, "GAUGE_WARM_UP", warm_up)
        failed = [
            n for n in range(1, len(self.STABLE) + 1)
            if judge.judge_metric(MetricHistory("cpu", self.STABLE[:n], self.CANARY[:n], kind="gauge", better="lower")).failed
        ]
        assert failed == [] if warm_up else failed[:1] == [6]

    @pytest.mark.parametrize("seed", range(6))
    def test_a_step_from_the_start_is_still_caught_at_the_sixth_interval(self, seed: int) -> None:
        verdict = judge.judge_metric(self._cpu([0.5] * 6, seed=seed))
        assert (verdict.classification, verdict.failed) == ("High", True)

    def test_a_leak_loses_no_interval(self) -> None:
        leak = [0.03 * i for i in range(12)]
        first = next(n for n in range(6, 13) if judge.judge_metric(self._cpu(leak[:n])).failed)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pairedtest, "GAUGE_WARM_UP", 0)
            unguarded = next(n for n in range(6, 13) if judge.judge_metric(self._cpu(leak[:n])).failed)
        assert first == unguarded

    def test_a_warm_up_followed_by_a_regression_still_fails(self) -> None:
        assert judge.judge_metric(self._cpu([0.7, 0.68, 0.68] + [0.4] * 9)).failed is True

    def test_a_cache_warming_up_on_a_higher_is_better_gauge(self) -> None:
        """The hit ratio of a fresh cache starts low: the bad direction of a higher-is-better gauge."""
        n = 10
        stable = _noisy(60.0, n, 0.01, 5)
        canary = [v * (1 + e) for v, e in zip(_noisy(60.0, n, 0.01, 6), [-0.5, -0.4, -0.3] + [0.0] * (n - 3))]
        assert judge.judge_metric(MetricHistory("cache_hits", stable, canary, kind="gauge", better="higher")).failed is False


class TestLatencyWarmUp:
    """A fresh canary's latency excess that falls at every interval is its warm-up: judged once it settles."""

    @staticmethod
    def _p95(log_excess: list[float], better: str = "lower") -> MetricHistory:
        n = len(log_excess)
        stable = _noisy(0.1, n, 0.002, 5)  # never twice the same value: each interval a new measurement
        sign = 1.0 if better == "lower" else -1.0
        return MetricHistory("p95", stable, [s * math.exp(sign * e) for s, e in zip(stable, log_excess)],
                             kind="latency", better=better)

    # A JVM's p95 over its first three 15 s intervals: 65%, 40%, 20% above stable, then within noise.
    FADING = [0.5, 0.34, 0.18, 0.03, -0.02, 0.01, 0.0, 0.02, -0.01, 0.01]

    def test_a_fading_excess_waits_and_then_passes(self) -> None:
        verdicts = [judge.judge_metric(self._p95(self.FADING[:n])) for n in range(3, len(self.FADING) + 1)]
        assert not any(v.failed for v in verdicts)
        first = verdicts[0]
        assert (first.classification, first.marginal) == ("Pass", True)  # not promoted on: a replay ending here pauses
        assert "warming up" in first.reason
        assert judge.overall([first]).decision == "pause"

    def test_without_the_rule_the_same_canary_fails_at_its_third_interval(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(pairedtest, "SETTLING_SHARE", 0.0)
        verdict = judge.judge_metric(self._p95(self.FADING[:3]))
        assert (verdict.classification, verdict.failed) == ("High", True)

    @pytest.mark.parametrize(
        "excess",
        [
            pytest.param([0.5, 0.5, 0.5], id="a step"),
            pytest.param([0.5, 0.45, 0.42], id="falling, but by less than 40%"),
            pytest.param([0.5, 0.3, 0.35], id="falling, then not"),
            pytest.param([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3], id="still falling, and high, after six intervals"),
        ],
    )
    def test_what_does_not_fade_fails(self, excess: list[float]) -> None:
        verdict = judge.judge_metric(self._p95(excess))
        assert (verdict.classification, verdict.failed) == ("High", True)

    def test_a_fade_once_stopped_is_judged(self) -> None:
        """Falling for three intervals, then stuck 30% high: the fourth look fails."""
        assert judge.judge_metric(self._p95([0.6, 0.45, 0.3, 0.3])).failed is True

    def test_with_marginal_verdicts_off_it_fails(self) -> None:
        verdict = judge.judge_metric(self._p95(self.FADING[:3]), CompareConfig(marginal_confidence=0))
        assert (verdict.classification, verdict.failed) == ("High", True)

    # A JVM's p99 over rate[5m] read every minute (a service-mesh release): the slow requests of its
    # first minute stay in the window for five, so the excess fades slowly, not at once.
    SLIDING = [0.94, 0.65, 0.51, 0.48, 0.45, 0.08, 0.0, 0.03, -0.02, 0.01, 0.02, -0.01]

    def test_a_warm_up_that_slid_out_of_the_window_is_left_out(self, monkeypatch: pytest.MonkeyPatch) -> None:
        looks = range(3, len(self.SLIDING) + 1)
        assert [n for n in looks if judge.judge_metric(self._p95(self.SLIDING[:n])).failed] == []
        monkeypatch.setattr(pairedtest, "LATENCY_WARM_UP", 0)
        assert [n for n in looks if judge.judge_metric(self._p95(self.SLIDING[:n])).failed][:1] == [7]

    @pytest.mark.parametrize("seed", range(6))
    def test_a_step_from_the_start_loses_no_interval(self, seed: int) -> None:
        # +40%, noisy: caught at its third interval whichever of its first ones is the highest.
        excess = list(np.log(1.4) + np.random.default_rng(seed).normal(0, 0.05, 8))
        assert judge.judge_metric(self._p95(excess[:3])).failed is True

    def test_a_regression_after_the_warm_up_fails(self) -> None:
        excess = self.SLIDING[:7] + [0.4, 0.42, 0.38, 0.41]
        assert judge.judge_metric(self._p95(excess)).failed is True

    def test_a_higher_is_better_latency_score(self) -> None:
        verdict = judge.judge_metric(self._p95(self.FADING[:3], better="higher"))
        assert (verdict.classification, verdict.failed, verdict.marginal) == ("Pass", False, True)

    def test_error_ratios_are_not_read_so(self) -> None:
        history = MetricHistory("errors", [0.01] * 3, [0.08, 0.05, 0.03], kind="error-ratio",
                                stable_requests=[19000.0] * 3, canary_requests=[1000.0] * 3)
        assert judge.judge_metric(history).failed is True


class TestUnknownWindow:
    """A replayed scenario that does not record its query window: the judge reads it off the data."""

    @staticmethod
    def _release(climb: bool, n: int = 3, overlap: float | None = None) -> list[MetricHistory]:
        # The canary's p99 reads 60% high for its first three intervals. Over a 4-interval window a
        # fresh canary's quantile comes from few requests while the window fills, and its request
        # counts climb (250, 500, 750 of 1000) meanwhile; without the climb it is a regression.
        share = [min(1.0, (i + 1) / 4) if climb else 1.0 for i in range(n)]
        latency = MetricHistory(name="p99", kind="latency", stable=_noisy(0.2, n, 0.01, 3),
                                canary=[1.6 * v for v in _noisy(0.2, n, 0.01, 4)], canary_weight=5.0, overlap=overlap)
        errors = MetricHistory(name="errors", kind="error-ratio", stable=[0.001] * n, canary=[0.001] * n,
                               stable_requests=[19000.0] * n, canary_requests=[1000.0 * s for s in share],
                               canary_weight=5.0, overlap=overlap)
        return [latency, errors]

    def test_a_window_seen_filling_is_waited_for(self) -> None:
        verdict = judge.judge(self._release(climb=True))
        assert verdict.decision == "pause"
        assert verdict.metrics[0].reason == "no intervals yet"  # its first full window is still to come

    def test_without_the_climb_the_same_latency_is_a_regression(self) -> None:
        assert judge.judge(self._release(climb=False)).decision == "rollback"

    def test_a_known_window_is_not_estimated(self) -> None:
        assert judge.judge(self._release(climb=True, overlap=1.0)).decision == "rollback"

    @staticmethod
    def _rates(climb: bool, kind: str = "throughput", n: int = 3) -> list[MetricHistory]:
        # No request counts: the canary's request rate (per side, 5%) climbs 1/4, 2/4, 3/4 of its
        # share as its rate window fills, and its p99 reads 60% high meanwhile.
        share = [min(1.0, (i + 1) / 4) if climb else 1.0 for i in range(n)]
        rate = MetricHistory(name="rps", kind=kind, stable=[190.0] * n, canary=[10.0 * s for s in share],
                             canary_weight=5.0, overlap=None)
        latency = MetricHistory(name="p99", kind="latency", stable=_noisy(0.2, n, 0.01, 3),
                                canary=[1.6 * v for v in _noisy(0.2, n, 0.01, 4)], canary_weight=5.0, overlap=None)
        return [rate, latency]

    @pytest.mark.parametrize("kind", ["throughput", "gauge"])
    def test_a_rate_seen_climbing_is_waited_for(self, kind: str) -> None:
        verdict = judge.judge(self._rates(climb=True, kind=kind))
        assert verdict.decision == "pause"
        assert {m.reason for m in verdict.metrics if m.name == "p99"} == {"no intervals yet"}

    def test_a_canary_rate_low_from_the_start_is_no_window(self) -> None:
        # The same p99 beside a rate that is full from the first interval: a regression.
        assert judge.judge(self._rates(climb=False)).decision == "rollback"

    @pytest.mark.parametrize("seed", range(8))
    def test_a_sharp_regression_mid_release_is_not_read_as_a_long_window(self, seed: int) -> None:
        # 14 good intervals, then the canary 60% slower: caught within three intervals, not held
        # back as if the step were the slow wander of a long query window.
        stable = _noisy(0.2, 27, 0.03, seed=31 + 2 * seed)
        canary = [v * (1.6 if i >= 14 else 1.0) for i, v in enumerate(_noisy(0.2, 27, 0.03, seed=32 + 2 * seed))]
        decided = next(
            look for look in range(3, 28)
            if judge.judge([MetricHistory(name="p99", kind="latency", stable=stable[:look], canary=canary[:look],
                                          overlap=None)]).decision == "rollback"
        )  # fmt: skip
        assert decided <= 14 + 3


class TestValuesNoMetricProduces:
    """Absurd values (a misconfigured query, a counter read as a gauge) never crash the judge."""

    def test_latency_values_beyond_float_range_with_an_unknown_window(self) -> None:
        # Their wander reads as an infinite window; the window estimate stays finite and bounded.
        stable = [5e12, 0.0, 1e300, 1e300, 5e12, 0.0, 0.0, 5e12, 1e300, 1e300]
        canary = [0.0, 0.0, 0.0099, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        history = MetricHistory(name="p99", kind="latency", stable=stable, canary=canary, canary_weight=5.0, overlap=None)
        verdict = judge.judge_metric(history)
        assert verdict.failed is False
        assert "cannot compute" not in verdict.reason

    def test_an_error_ratio_of_1e300_without_counts(self) -> None:
        history = MetricHistory(name="errors", kind="error-ratio", stable=[1e300, 0.0, 1e300, 0.0, 5e299, 0.001],
                                canary=[0.01] * 6, canary_weight=5.0)
        verdict = judge.judge_metric(history)
        assert verdict.failed is False
        assert "cannot compute" not in verdict.reason

    def test_an_arithmetic_failure_is_no_data_never_a_pass(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def overflow(history: MetricHistory, config: CompareConfig) -> MetricVerdict:
            raise OverflowError("Numerical result out of range")

        monkeypatch.setattr(judge, "_judge", overflow)
        verdict = judge.judge_metric(_latency(1.0))
        assert (verdict.classification, verdict.failed) == ("NoData", False)
        assert "OverflowError" in verdict.reason
        assert judge.overall([verdict]).decision == "pause"

    def test_histories_of_different_lengths_are_still_a_caller_error(self) -> None:
        with pytest.raises(ValueError, match="differ in length"):
            judge.judge_metric(MetricHistory(name="p99", kind="latency", stable=[0.2, 0.2], canary=[0.2]))


class TestAgainstABaseline:
    """A baseline is as few pods as the canary and its errors cluster as much: the canary's share of
    the two wanders about twice as much as beside a stable of many pods, and the count test allows
    for it (``counttest.BASELINE_RATE_NOISE``)."""

    @staticmethod
    def _release(seed: int, factor: float, n: int = 1000, intervals: int = 12) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        # each side's error rate clusters per interval (gamma, shape 2: a pod's hiccup, a client's bad batch)
        canary = rng.binomial(n, 0.005 * factor * rng.gamma(2.0, 0.5, intervals))
        baseline = rng.binomial(n, 0.005 * rng.gamma(2.0, 0.5, intervals))
        return canary / n, baseline / n

    @staticmethod
    def _fails(canary: np.ndarray, baseline: np.ndarray, against: str, n: int = 1000) -> bool:
        """Judged at every interval, as the operator does, with equal weights on the two sides."""
        config = {"errors": CompareConfig(against=against)}
        for k in range(1, len(canary) + 1):
            history = MetricHistory("errors", list(baseline[:k]), list(canary[:k]), kind="error-ratio",
                                    stable_requests=[n + i for i in range(k)], canary_requests=[n + 2 * i for i in range(k)],
                                    canary_weight=50.0)
            if judge.judge_together([history], config)[0].failed:
                return True
        return False

    def test_fewer_good_canaries_fail_and_a_tripled_error_ratio_is_still_caught(self) -> None:
        seeds = range(80)
        good = {against: sum(self._fails(*self._release(s, 1.0), against) for s in seeds) for against in ("stable", "baseline")}
        bad = sum(self._fails(*self._release(s, 3.0), "baseline") for s in seeds)
        assert good["baseline"] < good["stable"]
        assert bad >= 0.75 * len(seeds)


class TestErrorsAgainstAnErrorlessSide:
    """A count-less error ratio whose stable side has no errors: the canary's excess is then of any
    size, and only the number of its errors can say whether it is chance (``pairedtest.too_few_errors``)."""

    @staticmethod
    def _history(canary: list[float], weight: float) -> MetricHistory:
        # rates over pods with their own extrapolations: never exact fractions, so no counts are read back
        jitter = np.random.default_rng(3).uniform(0.1, 1.0, len(canary))
        return MetricHistory("errors", [0.0] * len(canary), list(np.array(canary) * (1 + 1e-9 * jitter)),
                             kind="error-ratio", canary_weight=weight)

    @staticmethod
    def _one_error_each(intervals: int) -> list[float]:
        return [1.0 / (200 + 7 * i) for i in range(intervals)]  # one failed request in each window

    def _fails_at(self, canary: list[float], weight: float) -> int | None:
        """The first look that rolls back, judged at every interval as the operator does."""
        for k in range(1, len(canary) + 1):
            if judge.judge_metric(self._history(canary[:k], weight)).failed:
                return k
        return None

    def test_a_few_errors_against_a_baseline_hold_rather_than_roll_back(self) -> None:
        verdict = judge.judge_metric(self._history(self._one_error_each(5), 50.0))
        assert verdict.failed is False and verdict.marginal is True
        assert "as few as 5 canary errors against 0" in verdict.reason

    def test_against_a_baseline_eight_errors_are_needed(self) -> None:
        # at 50/50 the canary's share of eight errors against none is 0.53^8 < 1%, of seven it is not
        first = self._fails_at(self._one_error_each(12), 50.0)
        assert first is not None and 8 <= first <= 10

    def test_a_small_canary_needs_two(self) -> None:
        # a 5% canary takes 5.6% of the errors at most under the null: two of two are p = 0.003
        assert self._fails_at(self._one_error_each(12), 5.0) == 3  # one interval never decides alone

    def test_errors_beyond_one_per_window_count_as_more(self) -> None:
        # a canary whose ratio is five times its smallest one has had five errors at least
        canary = [1 / 200, 5 / 200, 5 / 200, 5 / 200, 5 / 200]
        assert judge.judge_metric(self._history(canary, 50.0)).failed is True

    def test_a_stable_side_with_errors_is_left_to_the_paired_test(self) -> None:
        both = np.ones(4, dtype=bool)
        cfg = settings.resolve(MetricHistory("e", [0.01] * 4, [0.02] * 4, kind="error-ratio"), CompareConfig())
        assert pairedtest.too_few_errors(np.full(4, 0.01), np.full(4, 0.02), both, 0, np.full(4, 50.0), cfg, 0.125) is None
        assert pairedtest.too_few_errors(np.zeros(4), np.full(4, 0.02), both, 0, np.full(4, np.nan), cfg, 0.125) is None

    def test_the_reason_names_the_baseline(self) -> None:
        verdict = judge.judge_metric(self._history(self._one_error_each(5), 50.0), CompareConfig(against="baseline"))
        assert verdict.reason.startswith("marginal: canary ") and " than the baseline over the last " in verdict.reason
        assert "against 0 on the baseline's side" in verdict.reason
        silent = MetricHistory("errors", [0.01] * 8, [0.01, 0.01, 0.01, 0.01, None, None, None, None], kind="error-ratio",
                               interval_seconds=30.0)
        assert judge.judge_metric(silent, CompareConfig(against="baseline")).reason.endswith("while the baseline did")
