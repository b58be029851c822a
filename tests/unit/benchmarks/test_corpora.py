"""The benchmark's corpora are valid scenarios, reproducible, and the oracle says what it should."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bench import detection, fleet, generator, heldout, mesh, oracle, production, rangequeries, windowed
from grayrelease.analysis import backtest
from grayrelease.analysis.scenario import Scenario


@pytest.mark.parametrize("make", [lambda: [g.scenario for g in generator.generate(40, 3)], lambda: heldout.generate(40, 3),
                                  lambda: windowed.generate(40, 3), lambda: rangequeries.generate(30, 3),
                                  lambda: production.generate(30, 3)],
                         ids=["generator", "heldout", "windowed", "rangequeries", "production"])
def test_corpus_is_valid_and_reproducible(make) -> None:
    first, second = make(), make()
    assert json.dumps(first) == json.dumps(second)
    for scenario in first:
        parsed = Scenario.model_validate(scenario)
        assert parsed.truth is not None
        assert parsed.truth.bad == parsed.name.startswith("bad-")


def test_heldout_scenario_depends_only_on_seed_and_index() -> None:
    assert heldout.generate(5, 11) == heldout.generate(12, 11)[:5]


def test_heldout_has_every_family() -> None:
    names = {s["name"].rsplit("-", 1)[0] for s in heldout.generate(100, 4242)}
    assert names == set(heldout.FAMILIES)


def test_windowed_scenario_depends_only_on_seed_index_and_family() -> None:
    # Families are allotted over the whole corpus, so the count decides which family index i gets; given it,
    # the scenario is the same whatever the count.
    corpus = windowed.generate(12, 11)
    for i in (0, 5, 11):
        family = windowed.family_of(corpus[i]["name"])
        assert windowed.Release(11, i, family).scenario() == corpus[i]


def test_windowed_has_good_and_bad_families_and_45_percent_bad() -> None:
    corpus = windowed.generate(40, windowed.DEFAULT_SEED)
    families = {windowed.family_of(s["name"]) for s in corpus}
    assert families <= set(windowed.GOOD_FAMILIES) | set(windowed.BAD_FAMILIES)
    assert families & set(windowed.GOOD_FAMILIES) and families & set(windowed.BAD_FAMILIES)
    assert sum(s["truth"]["bad"] for s in corpus) == 18  # round(0.45 x 40)
    assert sum(f.startswith("bad-") for f in windowed.families_for(1, 400)) == 180


@pytest.mark.parametrize("module", [rangequeries, production], ids=["rangequeries", "production"])
def test_recorded_windows_change_nothing_else(module) -> None:
    """Recording the query windows adds the field to the range queries and leaves every value alone."""
    plain, recorded = module.generate(30, 5), module.generate(30, 5, record_windows=True)
    windows = [m.get("query_window_seconds") for s in recorded for m in s["metrics"]]
    assert any(windows) and all(w is None or w > s["interval_seconds"] for s in recorded for w in
                                (m.get("query_window_seconds") for m in s["metrics"]))
    stripped = [{**s, "metrics": [{k: v for k, v in m.items() if k != "query_window_seconds"} for m in s["metrics"]]}
                for s in recorded]
    assert stripped == plain


@pytest.mark.parametrize("module", [fleet, mesh], ids=["fleet", "mesh"])
def test_simulated_corpora_record_the_windows_the_operator_reads(module) -> None:
    """fleet and mesh record each range query's window on request, at least an interval long, and no
    instant query's (memory); every value stays as it was."""
    plain, recorded = module.generate(24, 5), module.generate(24, 5, record_windows=True)
    windows = [(s["interval_seconds"], m) for s in recorded for m in s["metrics"]]
    assert sum("query_window_seconds" in m for _, m in windows) > len(windows) // 2
    for interval, metric in windows:
        if "query_window_seconds" in metric:
            assert metric["query_window_seconds"] >= interval
        if "memory" in metric["name"]:
            assert "query_window_seconds" not in metric, metric["name"]
    assert detection._without_windows(recorded) == plain


def test_fleet_records_the_pods_and_weights_the_operator_records() -> None:
    """Without a mesh the operator's weight is the canary's share of ready pods (10% of four pods is one
    canary pod, a quarter); the weight the release asked for stays in canary_weight."""
    recorded = fleet.generate(40, 5, record_windows=True)
    for scenario in recorded:
        canary, stable = scenario["canary_pods"][0], scenario["stable_pods"][0]
        assert canary >= 1 and stable >= 1
        split = re.search(r"(\w+) split", scenario["truth"]["note"]).group(1)
        if split == "mesh":
            assert "canary_weights" not in scenario
        else:
            assert set(scenario["canary_weights"]) == {round(100 * canary / (canary + stable), 3)}
    assert any(s["canary_weights"][0] != s["canary_weight"] for s in recorded if "canary_weights" in s)
    assert all(Scenario.model_validate(s) for s in recorded)


class TestOracle:
    def test_a_fivefold_error_step_with_plenty_of_errors_is_visible(self) -> None:
        n = np.full(10, 300.0)
        assert oracle.errors_visible(np.full(10, 57.0), np.full(10, 5700.0), np.full(10, 15.0), n, 0.1)

    def test_a_canary_with_a_few_requests_is_invisible(self) -> None:
        # 2x the error ratio, but 0.06 canary errors expected per interval: nothing to see.
        n = np.full(10, 30.0)
        assert not oracle.errors_visible(np.full(10, 1.0), np.full(10, 5700.0), np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0.0]), n, 0.1)

    def test_shift_against_known_noise(self) -> None:
        sigma = np.full(10, 0.1)
        assert oracle.shift_visible(np.full(10, 0.2), sigma)
        assert not oracle.shift_visible(np.full(10, 0.02), sigma)

    @staticmethod
    def _release(canary_errors: list[float], window: float | None = None, bad: bool = True) -> Scenario:
        length = len(canary_errors)
        metric = {
            "name": "http_error_ratio", "kind": "error-ratio",
            "stable": [0.001] * length, "canary": [e / 300 for e in canary_errors],
            "stable_requests": [6000.0] * length, "canary_requests": [300.0] * length,
        }
        if window is not None:
            metric["query_window_seconds"] = window
        truth = {"bad": True, "onset_index": 4} if bad else {"bad": False}
        return Scenario.model_validate({"format": "grayrelease.scenario/v1", "name": "r", "interval_seconds": 30,
                                        "canary_weight": 5, "metrics": [metric], "truth": truth})

    def test_counts_show_an_error_step_after_the_onset(self) -> None:
        # 0.3 canary errors expected per interval, 3 from the onset on: plain to see in the counts.
        assert oracle.counts_visible(self._release([0, 1, 0, 0] + [3] * 10)) is True
        # The same excess before the onset only: the regression itself left no trace.
        assert oracle.counts_visible(self._release([3, 3, 3, 3] + [0, 0, 1] + [0] * 7)) is False

    def test_counts_of_overlapping_windows_are_read_once(self) -> None:
        # Two errors seen by four overlapping 2-minute windows read every 30 s are two errors, not eight.
        burst = [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0]
        assert oracle.counts_visible(self._release(burst)) is True
        assert oracle.counts_visible(self._release(burst, window=120)) is False

    def test_counts_show_a_step_as_soon_as_its_errors_add_up(self) -> None:
        # 3 canary errors at the onset against 0.3 expected: seen at once.
        assert oracle.counts_visible_after(self._release([0, 1, 0, 0] + [3] * 10)) == 0
        # One error per interval against 0.3: 3 errors by the third interval are not yet beyond
        # 1% (z = 2.0), 4 by the fourth are (z = 2.4).
        assert oracle.counts_visible_after(self._release([0] * 4 + [1] * 10)) == 3
        # Errors before the onset only, a good release, no counts: nothing to time.
        assert oracle.counts_visible_after(self._release([3, 3, 3, 3] + [0] * 10)) is None
        assert oracle.counts_visible_after(self._release([3] * 14, bad=False)) is None
        assert oracle.counts_visible_after(self._release([3] * 14).model_copy(update={"metrics": []})) is None

    def test_counts_say_nothing_of_good_releases_or_releases_without_counts(self) -> None:
        assert oracle.counts_visible(self._release([3] * 14, bad=False)) is None
        latency_only = self._release([3] * 14).model_copy(update={"metrics": []})
        assert oracle.counts_visible(latency_only) is None

    @staticmethod
    def _good(name: str, kind: str, stable: list[float], canary: list[float], better: str | None = None) -> Scenario:
        metric = {"name": name, "kind": kind, "stable": stable, "canary": canary}
        if better:
            metric["better"] = better
        return Scenario.model_validate({"format": "grayrelease.scenario/v1", "name": "g", "interval_seconds": 30,
                                        "canary_weight": 5, "metrics": [metric], "truth": {"bad": False}})

    def test_a_canary_slower_in_most_intervals_is_persistently_worse(self) -> None:
        # 10% slower in 5 of 8 intervals: beyond latency's 5% tolerance in 62% of them.
        slow = self._good("p99", "latency", [0.2] * 8, [0.22] * 5 + [0.2] * 3)
        assert oracle.persistently_worse(slow) is True
        # In 4 of 8 only, or 4% slower throughout (within the tolerance): not so.
        assert oracle.persistently_worse(self._good("p99", "latency", [0.2] * 8, [0.22] * 4 + [0.2] * 4)) is False
        assert oracle.persistently_worse(self._good("p99", "latency", [0.2] * 8, [0.208] * 8)) is False
        # Too few intervals to say, and nothing to say of a bad release.
        assert oracle.persistently_worse(self._good("p99", "latency", [0.2] * 5, [0.3] * 5)) is False
        bad = Scenario.model_validate({**slow.model_dump(exclude_none=True), "truth": {"bad": True, "onset_index": 0}})
        assert oracle.persistently_worse(bad) is None

    def test_persistently_worse_reads_metrics_as_the_judge_does(self) -> None:
        # A per-side request rate at the canary's 5% share is not 95% lower than stable's.
        assert oracle.persistently_worse(self._good("rps", "throughput", [95.0] * 8, [5.0] * 8)) is False
        assert oracle.persistently_worse(self._good("rps", "throughput", [95.0] * 8, [3.0] * 8)) is True
        # A success ratio by its complement: 99.0% against 99.9% is ten times the failures.
        assert oracle.persistently_worse(self._good("ok", "gauge", [0.999] * 8, [0.99] * 8, better="higher")) is True
        assert oracle.persistently_worse(self._good("ok", "gauge", [0.999] * 8, [0.9988] * 8, better="higher")) is False

    def test_generator_marks_good_releases_visible_and_some_bad_ones_not(self) -> None:
        corpus = generator.generate(300, generator.DEFAULT_SEED)
        assert all(g.visible for g in corpus if not g.family.startswith("bad-"))
        bad = [g for g in corpus if g.family.startswith("bad-")]
        assert 0 < sum(not g.visible for g in bad) < 0.2 * len(bad)


def test_benchmark_runs_on_a_small_corpus(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "detection.png"
    assert detection.main(["--count", "40", "--heldout-count", "30", "--windowed-count", "20", "--rangequeries-count", "20",
                           "--production-count", "20", "--fleet-count", "20", "--mesh-count", "20", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "held-out corpus: 30 scenarios" in out
    assert "windowed corpus: 20 scenarios from bench.windowed (seed 1); 9 bad" in out
    assert "visible regressions" in out
    assert "error regressions in the request counts" in out
    assert "one look that knows the onset sees them after" in out
    assert "(bench.oracle.persistently_worse)" in out
    assert "rangequeries corpus: 20 scenarios" in out and "production releases with their query windows recorded" in out
    assert "fleet corpus: 20 scenarios" in out and "mesh corpus: 20 scenarios" in out
    assert "the same fleet releases with their query windows recorded" in out
    assert "the same mesh releases with their query windows recorded" in out
    assert "bad releases rolled back before their regression began (detections above): judge " in out
    assert "the judge by query window (5 intervals or more: LongQueryWindow): five or more " in out
    assert plot.stat().st_size > 10_000
    assert "judge cost per compare metric and look, at each release's last interval (one core, 40 releases)" in out


def test_rollbacks_before_the_onset_are_counted_apart() -> None:
    def release(name: str, bad: bool, onset: int | None = None) -> Scenario:
        truth = {"bad": bad, "onset_index": onset} if bad else {"bad": False}
        return Scenario.model_validate({"name": name, "metrics": [{"name": "m", "stable": [1.0] * 9, "canary": [1.0] * 9}],
                                        "truth": truth})
    scenarios = [release("early", True, 5), release("caught", True, 5), release("good", False), release("from-start", True)]
    judge = [backtest.Outcome("early", "rollback", 3), backtest.Outcome("caught", "rollback", 6),
             backtest.Outcome("good", "rollback", 2), backtest.Outcome("from-start", "rollback", 1)]
    line = detection._early_line(scenarios, {"judge": judge, "threshold": [backtest.Outcome(s.name, "promote", 8) for s in scenarios]}, [0])
    assert line.endswith("judge 1 (1 at 5%), threshold 0 (0 at 5%)")


def test_releases_read_over_long_windows_are_scored_apart() -> None:
    def release(name: str, bad: bool, window: float | None) -> Scenario:
        metric = {"name": "m", "stable": [1.0] * 9, "canary": [1.0] * 9, "query_window_seconds": window}
        return Scenario.model_validate({"name": name, "interval_seconds": 30, "metrics": [metric],
                                        "truth": {"bad": bad, "onset_index": 0} if bad else {"bad": False}})
    scenarios = [release("long-caught", True, 150), release("long-missed", True, 300), release("long-good", False, 600),
                 release("short-caught", True, 60), release("short-alarm", False, 30), release("short-paused", True, 120)]
    outcomes = [backtest.Outcome("long-caught", "rollback", 3), backtest.Outcome("long-missed", "promote", 8),
                backtest.Outcome("long-good", "promote", 8), backtest.Outcome("short-caught", "rollback", 2),
                backtest.Outcome("short-alarm", "rollback", 4), backtest.Outcome("short-paused", "pause", 8)]
    assert detection._long_window_line(scenarios, outcomes) == (
        "the judge by query window (5 intervals or more: LongQueryWindow): five or more 3 releases: precision"
        " 1.000, recall 0.500, 0 false alarms, 0 bad paused; shorter 3 releases: precision 0.500, recall 1.000,"
        " 1 false alarms, 1 bad paused")
    unknown = [Scenario.model_validate({**s.model_dump(), "metrics": [{**m.model_dump(), "query_window_seconds": None}
                                                                      for m in s.metrics]}) for s in scenarios]
    assert detection._long_window_line(unknown, outcomes) is None
    some = [*scenarios[:3], *unknown[3:]]  # a recording rule hides the range of the last three
    assert detection._long_window_line(some, outcomes).endswith(
        "; not recorded 3 releases: precision 0.500, recall 1.000, 1 false alarms, 1 bad paused")


def test_judge_cost_times_one_look_per_release() -> None:
    """Figures only, never a time asserted: percentiles over as many looks as releases asked for."""
    scenarios = [Scenario.model_validate(g.scenario) for g in generator.generate(12, seed=5)]
    cost = detection.judge_cost(scenarios, count=10)
    assert cost["looks"] == 10 and 0 < cost["p50_ms"] <= cost["p90_ms"] <= cost["p99_ms"]


class TestLargeSteps:
    @staticmethod
    def _bad(name: str, note: str) -> Scenario:
        return Scenario.model_validate({"name": name, "metrics": [{"name": "m", "stable": [1.0], "canary": [1.0]}],
                                        "truth": {"bad": True, "onset_index": 0, "note": note}})

    @pytest.mark.parametrize("note, large", [
        ("error ratio x5.0 (0.0776% -> 0.392%) from interval 21; shared dependency incident at 27-30", True),
        ("error ratio x1.7 (0.2958% -> 0.507%) from interval 13", False),
        ("canary error rate x2.40 from interval 3. [weight 5%, 84 req/s total]", True),
        ("canary error ratio +0.500% absolute (x3.1) from interval 4: new failing code path. [weight 5%]", True),
        ("error ratio +0.004 from interval 6 (base 0.001)", True),
        ("error ratio +0.0005 from interval 6 (base 0.001)", False),
        ("p99 +39% (whole distribution) from interval 5", True),
        ("p99 +14% (tail only) from interval 9; traffic x2.0 at 3-4", False),
        ("latency step on all latencies: +45% at full effect", True),
        ("canary timeouts from interval 10: p99 +51% and errors x5.7. [weight 5%]", True),
        ("slow leak: error ratio growing to x8.0 (2%) by the end, from 4", False),
        ("intermittent errors ~3.2% in 3 of 18 intervals from interval 20", False),
        ("crash loop from interval 0 (canary series vanish)", False),
        ("latency ramp on all latencies: +80% at full effect", False),
        ("memory leak 4 MB/min per pod (x1.6 of stable at end); errors x9.0 in a later clause", False),
    ])
    def test_steps_of_twice_the_errors_or_a_third_more_latency(self, note: str, large: bool) -> None:
        assert detection.large_steps([self._bad("r", note)]) == ({"r"} if large else set())

    def test_good_releases_and_releases_without_a_note_are_not_counted(self) -> None:
        good = Scenario.model_validate({"name": "g", "metrics": [{"name": "m", "stable": [1.0], "canary": [1.0]}],
                                        "truth": {"bad": False, "note": "error ratio x5.0 from interval 2"}})
        assert detection.large_steps([good, self._bad("n", "")]) == set()

    def test_every_extra_corpus_has_large_steps_and_other_regressions(self) -> None:
        for docs in (heldout.generate(60, 3), rangequeries.generate(60, 3), production.generate(60, 3), fleet.generate(60, 3),
                     mesh.generate(60, 3)):
            scenarios = [Scenario.model_validate(d) for d in docs]
            large = detection.large_steps(scenarios)
            assert large and {s.name for s in scenarios if s.truth and s.truth.bad} > large


def test_a_corpus_built_on_every_core_is_the_one_built_in_order() -> None:
    # 60 scenarios: enough for bench.corpus.build_all to fork its workers.
    in_order = [production._checked(3, i, family, False) for i, family in enumerate(production.allocate(60, 3))]
    assert json.dumps(production.generate(60, 3)) == json.dumps(in_order)


def test_benchmark_sizes_a_folder_of_scenarios_by_their_truth_notes(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for scenario in heldout.generate(60, heldout.DEFAULT_SEED):
        (folder / f"{scenario['name']}.json").write_text(json.dumps(scenario))
    assert detection.main(["--corpus", str(folder), "--plot", str(tmp_path / "detection.png")]) == 0
    out = capsys.readouterr().out
    judge_row = next(line for line in out.splitlines() if line.startswith("judge "))
    # The large-regression columns are filled from the notes, as for the generated corpora.
    assert judge_row.split()[-2:] != ["-", "-"]
    assert "large error steps whose recorded counts show them (bench.oracle.counts_visible_after)" in out
