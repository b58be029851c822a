"""Online replay, scoring, the scenario loader, and the ``grayrelease replay`` command."""

from __future__ import annotations

import argparse
import json
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grayrelease.analysis import backtest, judge
from grayrelease.analysis.scenario import Scenario, dump_scenario, load_scenarios
from grayrelease.cli import main as cli_main
from grayrelease.cli import replay as cli_replay

EXAMPLES = Path(__file__).resolve().parents[3] / "bench" / "scenarios" / "examples"


def _scenario(name: str, canary: list, bad: bool | None, onset: int | None = None) -> Scenario:
    # Stable wobbles by a few per mille: the pair never repeats exactly, as a fresh reading does not.
    wobble = [1.0 + 0.002 * ((7 * j) % 5 - 2) for j in range(len(canary))]
    data: dict[str, Any] = {
        "name": name,
        "interval_seconds": 30,
        "metrics": [{"name": "m", "kind": "gauge", "stable": wobble,
                     "canary": canary}],
    }
    if bad is not None:
        data["truth"] = {"bad": bad, "onset_index": onset}
    return Scenario.model_validate(data)


def _scripted(answers: list[str]) -> backtest.Rule:
    """A rule that answers by interval, to test the replay loop without the judge."""
    return lambda histories, _settings: answers[len(histories[0].stable) - 1]


class TestReplayLoop:
    @pytest.mark.parametrize(
        "answers, verdict, index",
        [
            pytest.param(["pause", "continue", "rollback", "continue"], "rollback", 2, id="first rollback ends the release"),
            pytest.param(["pause", "continue", "continue", "continue"], "promote", 3, id="reaches the end -> promote"),
            pytest.param(["continue", "continue", "continue", "pause"], "pause", 3, id="inconclusive at the end -> pause"),
        ],
    )
    def test_outcome(self, answers: list[str], verdict: str, index: int) -> None:
        outcome = backtest.replay(_scenario("s", [1.0] * 4, None), _scripted(answers))
        assert (outcome.verdict, outcome.decided_index) == (verdict, index)

    def test_rule_sees_only_the_past(self) -> None:
        seen = []
        backtest.replay(_scenario("s", [1.0, 2.0, 3.0], None), lambda h, _settings: seen.append(list(h[0].canary)) or "continue")
        assert seen == [[1.0], [1.0, 2.0], [1.0, 2.0, 3.0]]

    def test_a_configured_judge_keeps_the_cross_metric_rules(self) -> None:
        errors = {"name": "errors", "kind": "error-ratio", "stable": [0.001] * 6, "canary": [0.001, 0.001] + [None] * 4}
        latency = {"name": "p99", "kind": "latency", "stable": [0.2] * 6, "canary": [0.2] * 6}
        scenario = Scenario.model_validate({"name": "s", "interval_seconds": 30, "metrics": [errors, latency]})
        configured = backtest.judge_rule({"confidence": 0.995})
        assert backtest.replay(scenario).verdict == backtest.replay(scenario, configured).verdict == "pause"

    def test_history_is_bounded_like_the_status(self) -> None:
        histories = backtest.histories_at(_scenario("s", [float(i) for i in range(100)], None), 99, limit=60)
        assert histories[0].canary[0] == 40.0 and len(histories[0].canary) == 60


class TestParallelReplay:
    """Releases are replayed on their own, so worker processes change nothing but the time."""

    @staticmethod
    def _releases(count: int) -> list[Scenario]:
        return [_scenario(f"s{i}", [1.0 + (i % 7) * 0.1 * (j >= 3) for j in range(12)], i % 7 > 0, onset=3)
                for i in range(count)]

    def test_two_processes_answer_as_one(self) -> None:
        releases = self._releases(backtest.PARALLEL_MIN + 10)
        configured = backtest.judge_rule({"confidence": 0.995})
        for rule in (backtest.default_rule, configured):
            assert backtest.replay_all(releases, rule, jobs=2) == backtest.replay_all(releases, rule, jobs=1)

    def test_a_configured_rule_can_be_sent_to_a_worker(self) -> None:
        rule = pickle.loads(pickle.dumps(backtest.judge_rule({"confidence": 0.995})))
        release = self._releases(2)[1]
        assert backtest.replay(release, rule) == backtest.replay(release, backtest.judge_rule({"confidence": 0.995}))


class TestExplain:
    def test_a_pause_names_the_metric_without_data(self) -> None:
        release = _scenario("quiet", [None, None, 1.0, None], bad=None)
        outcome = backtest.replay(release)
        assert outcome.verdict == "pause"
        assert backtest.explain(release, outcome).startswith("m: ")

    def test_the_reason_is_that_of_the_configured_judge(self) -> None:
        # A gauge 30% higher: beyond the default 10% tolerance, within a 50% one.
        release = _scenario("higher", [1.3] * 12, bad=True, onset=0)
        outcome = backtest.replay(release)
        assert outcome.verdict == "rollback"
        assert backtest.explain(release, outcome).startswith("m: canary 30% higher than stable over the last")
        lenient = {"max_degradation": 0.5}
        outcome = backtest.replay(release, backtest.judge_rule(lenient))
        assert outcome.verdict == "promote"
        assert backtest.explain(release, outcome, lenient) == "all metrics pass"


def test_score() -> None:
    scenarios = [
        _scenario("tp", [1.0] * 5, True, onset=1),
        _scenario("fn", [1.0] * 5, True, onset=0),
        _scenario("fp", [1.0] * 5, False),
        _scenario("tn", [1.0] * 5, False),
        _scenario("paused", [1.0] * 5, True, onset=0),
        _scenario("untruthful", [1.0] * 5, None),
    ]
    outcomes = [
        backtest.Outcome("tp", "rollback", 3),
        backtest.Outcome("fn", "promote", 4),
        backtest.Outcome("fp", "rollback", 2),
        backtest.Outcome("tn", "promote", 4),
        backtest.Outcome("paused", "pause", 4),
        backtest.Outcome("untruthful", "rollback", 1),
    ]
    summary = backtest.score(scenarios, outcomes)
    assert summary.as_dict() == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "false_alarms": 1,
        "paused": 1,
        "median_detect_seconds": 60.0,
        "p90_detect_seconds": 60.0,
    }


class TestScenarioFormat:
    def test_unequal_lengths_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="same length"):
            Scenario.model_validate({"name": "x", "metrics": [{"name": "m", "stable": [1.0, 2.0], "canary": [1.0]}]})

    def test_folder_loads_every_json_sorted(self) -> None:
        names = [s.name for s in load_scenarios(EXAMPLES)]
        assert names == sorted(names) and len(names) == len(list(EXAMPLES.glob("*.json")))


class TestCommand:
    def test_folder_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli_main.main(["replay", str(EXAMPLES), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        verdicts = {s["name"]: s["verdict"] for s in report["scenarios"]}
        assert verdicts == {
            "checkout-crashloop": "rollback",
            "checkout-latency-regression": "rollback",
            "checkout-shared-incident": "promote",
        }
        assert set(report["summary"]) == {
            "precision", "recall", "f1", "false_alarms", "paused", "median_detect_seconds", "p90_detect_seconds"
        }
        assert report["summary"]["false_alarms"] == 0

    def test_explain_says_why_each_release_ended_as_it_did(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli_main.main(["replay", str(EXAMPLES), "--json", "--explain"]) == 0
        reasons = {s["name"]: s["reason"] for s in json.loads(capsys.readouterr().out)["scenarios"]}
        assert "canary reported nothing" in reasons["checkout-crashloop"]
        latency = reasons["checkout-latency-regression"]
        assert latency.startswith("http_latency_p99_seconds: canary") and "higher than stable" in latency and "p=" in latency
        assert reasons["checkout-shared-incident"] == "all metrics pass"

    def test_without_explain_the_report_keeps_its_shape(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli_main.main(["replay", str(EXAMPLES), "--json"]) == 0
        assert {key for s in json.loads(capsys.readouterr().out)["scenarios"] for key in s} == {"name", "verdict", "decided_index"}

    def test_the_table_explains_too(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli_main.main(["replay", str(EXAMPLES / "checkout-shared-incident.json"), "--explain"]) == 0
        header, row = capsys.readouterr().out.splitlines()[:2]
        assert header.split() == ["scenario", "verdict", "interval", "why"]
        assert row.split() == ["checkout-shared-incident", "promote", "9", "all", "metrics", "pass"]

    def test_jobs_change_nothing_but_the_time(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        for release in TestParallelReplay._releases(backtest.PARALLEL_MIN + 5):
            (tmp_path / f"{release.name}.json").write_text(dump_scenario(release), encoding="utf-8")
        reports = []
        for jobs in ("1", "2"):
            assert cli_main.main(["replay", str(tmp_path), "--json", "--jobs", jobs]) == 0
            reports.append(json.loads(capsys.readouterr().out))
        assert reports[0] == reports[1]
        assert {s["verdict"] for s in reports[0]["scenarios"]} == {"rollback", "promote"}

    def test_query_window_is_given_to_the_metrics_that_record_none(self, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
        rng = np.random.default_rng(5)
        releases = []
        for i in range(8):
            stable = 0.2 * np.exp(rng.normal(0, 0.05, 20))
            canary = 0.2 * np.exp(rng.normal(0, 0.1, 20)) * np.where(np.arange(20) >= 4, 1.0 + 0.15 * (i % 4), 1.0)
            releases.append(Scenario.model_validate({
                "name": f"r{i}", "interval_seconds": 30, "truth": {"bad": i % 4 > 0, "onset_index": 4 if i % 4 else None},
                "metrics": [{"name": "p99", "kind": "latency", "stable": stable.tolist(), "canary": canary.tolist()},
                            {"name": "memory", "kind": "gauge", "stable": [5e8 + 1e5 * j for j in range(20)],
                             "canary": [5.1e8 + 1e5 * j for j in range(20)]}]}))
        recorded = releases[0]
        told = [cli_replay.with_query_window(r, 120.0) for r in releases]
        assert [m.query_window_seconds for m in told[0].metrics] == [120.0] * (len(recorded.metrics) - 1) + [None]
        assert cli_replay.with_query_window(told[0], 300.0) == told[0]  # a recorded window is kept
        reports = []
        for folder, scenarios, flags in (("plain", releases, ["--query-window", "2m"]), ("recorded", told, [])):
            (tmp_path / folder).mkdir()
            for release in scenarios:
                (tmp_path / folder / f"{release.name}.json").write_text(dump_scenario(release), encoding="utf-8")
            assert cli_main.main(["replay", str(tmp_path / folder), "--json", "--jobs", "1", *flags]) == 0
            reports.append(json.loads(capsys.readouterr().out))
        assert reports[0] == reports[1]
        # Values taken for windows of four intervals weigh a quarter as much: fewer, later rollbacks.
        assert cli_main.main(["replay", str(tmp_path / "plain"), "--json", "--jobs", "1"]) == 0
        untold = json.loads(capsys.readouterr().out)
        assert untold["summary"]["recall"] > reports[0]["summary"]["recall"]
        assert cli_main.main(["replay", str(tmp_path / "plain"), "--query-window", "0s"]) == 2
        assert "--query-window must be positive" in capsys.readouterr().err

    def test_a_known_query_window_is_handled_as_the_operator_does(self) -> None:
        # rate(...[2m]) read every 30s: values overlap by 4; latency waits until the window is full
        # of canary data (index 3), the error ratio does not wait; a metric without a window is
        # left to the judge to estimate (None).
        n = 6
        latency = {"name": "p99", "kind": "latency", "stable": [0.2] * n, "canary": [0.3, 0.2, 0.21, 0.2, 0.2, 0.2],
                   "query_window_seconds": 120}
        errors = {"name": "errors", "kind": "error-ratio", "stable": [0.01] * n, "canary": [0.01] * n,
                  "query_window_seconds": 120}
        plain = {"name": "cpu", "kind": "gauge", "stable": [1.0] * n, "canary": [1.0] * n}
        scenario = Scenario.model_validate({"name": "s", "interval_seconds": 30, "metrics": [latency, errors, plain]})
        p99, ratio, cpu = backtest.histories_at(scenario, 4)
        assert (p99.overlap, ratio.overlap, cpu.overlap) == (4.0, 4.0, None)
        assert list(p99.canary) == [0.2, 0.2] and len(ratio.canary) == len(cpu.canary) == 5
        assert backtest.histories_at(scenario, 1)[0].canary == []

    def test_single_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli_main.main(["replay", str(EXAMPLES / "checkout-shared-incident.json"), "--json"]) == 0
        assert [s["verdict"] for s in json.loads(capsys.readouterr().out)["scenarios"]] == ["promote"]

    def test_missing_path_is_an_error(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli_main.main(["replay", str(tmp_path)]) == 2
        assert "no *.json" in capsys.readouterr().err


    def test_invalid_files_are_named_and_the_rest_judged(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "a.json").write_text((EXAMPLES / "checkout-shared-incident.json").read_text())
        (tmp_path / "b.json").write_text('{"format": "grayrelease.scenario/v1", "name": "b", "metrics": [{"name": "x", "kind": "ratio"}]}')
        (tmp_path / "c.json").write_text("{not json")
        assert cli_main.main(["replay", str(tmp_path), "--json"]) == 1
        captured = capsys.readouterr()
        assert [s["name"] for s in json.loads(captured.out)["scenarios"]] == ["checkout-shared-incident"]
        assert "skipped" in captured.err and "b.json" in captured.err and "c.json" in captured.err

    @staticmethod
    def _split_unknown(counts: bool) -> dict[str, Any]:
        """A good 5% canary whose request rate is summed per side, its weight not recorded."""
        rng = np.random.default_rng(4)
        n = 20
        stable_n, canary_n = (950 * (1 + 0.03 * rng.standard_normal(n))).round(), (50 * (1 + 0.05 * rng.standard_normal(n))).round()
        metrics: list[dict[str, Any]] = [{"name": "rps", "kind": "throughput", "stable": list(stable_n / 30), "canary": list(canary_n / 30)}]
        if counts:
            metrics.append({"name": "errors", "kind": "error-ratio", "stable": [0.001] * n, "canary": [0.001] * n,
                            "stable_requests": list(stable_n), "canary_requests": list(canary_n)})
        return {"format": "grayrelease.scenario/v1", "name": "split", "interval_seconds": 30, "metrics": metrics}

    def test_a_missing_weight_is_read_off_the_request_counts(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        scenario = Scenario.model_validate(self._split_unknown(counts=True))
        assert backtest.weight_from_requests(scenario, 20) == pytest.approx(5.0, abs=0.5)
        # Online: at interval i, from intervals 0..i only.
        assert backtest.histories_at(scenario, 0)[0].canary_weight == pytest.approx(
            100 * scenario.metrics[1].canary_requests[0] / (scenario.metrics[1].canary_requests[0] + scenario.metrics[1].stable_requests[0]))
        (tmp_path / "split.json").write_text(json.dumps(self._split_unknown(counts=True)))
        assert cli_main.main(["replay", str(tmp_path), "--json"]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["scenarios"][0]["verdict"] == "promote" and captured.err == ""

    def test_a_split_nothing_tells_is_named(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "split.json").write_text(json.dumps(self._split_unknown(counts=False)))
        assert cli_main.main(["replay", str(tmp_path), "--json"]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["scenarios"][0]["verdict"] == "rollback"
        assert "split: no canary_weight and no request counts" in captured.err
        # Said per side, a rate nothing tells the share of is no measurement: the release pauses.
        assert cli_main.main(["replay", str(tmp_path), "--json", "--per", "side"]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["scenarios"][0]["verdict"] == "pause"
        assert "cannot be read by share: no measurement" in captured.err

    def test_per_says_how_throughput_is_taken(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        # A 5% canary's pod serving a sixth of a stable pod's rate: read off the data it is a rate
        # per side three times its share; said per pod, a drop.
        rng = np.random.default_rng(3)
        stable = list(50 * (1 + 0.03 * rng.standard_normal(20)))
        canary = list(50 / 6 * (1 + 0.03 * rng.standard_normal(20)))
        (tmp_path / "pods.json").write_text(json.dumps({
            "format": "grayrelease.scenario/v1", "name": "pods", "interval_seconds": 30, "canary_weight": 5,
            "metrics": [{"name": "rps_per_pod", "kind": "throughput", "stable": stable, "canary": canary}]}))
        verdicts = {}
        for per in ("auto", "pod", "side"):
            assert cli_main.main(["replay", str(tmp_path), "--json", "--per", per]) == 0
            verdicts[per] = json.loads(capsys.readouterr().out)["scenarios"][0]["verdict"]
        assert verdicts == {"auto": "promote", "pod": "rollback", "side": "promote"}

    def test_non_finite_values_are_no_data(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A recorded 0/0 or +Inf (a quantile beyond the last bucket) is no data, as in the operator."""
        text = (
            '{"format": "grayrelease.scenario/v1", "name": "inf", "canary_weight": 5, "metrics": ['
            '{"name": "p99", "kind": "latency", "stable": [0.2, Infinity, 0.2, 0.21], "canary": [0.2, 0.2, NaN, -Infinity]},'
            '{"name": "errors", "kind": "error-ratio", "stable": [0.001, 0.001, 0.001, 0.001], "canary": [0, 0.01, 0.02, 0.02],'
            ' "stable_requests": [100, Infinity, 100, 100], "canary_requests": [5, 5, NaN, 5]}]}'
        )
        (tmp_path / "inf.json").write_text(text)
        scenario = load_scenarios(tmp_path)[0]
        assert scenario.metrics[0].stable == [0.2, None, 0.2, 0.21] and scenario.metrics[0].canary[2:] == [None, None]
        assert scenario.metrics[1].stable_requests == [100, None, 100, 100]
        assert cli_main.main(["replay", str(tmp_path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["scenarios"][0]["verdict"] == "pause"


class _Client:
    """Answers range queries from a dict, the way prometheus-api-client shapes them."""

    def __init__(self, answers: dict[str, list]):
        self.answers = answers

    def custom_query_range(self, query: str, start_time, end_time, step: str) -> list:
        return self.answers[query]


class TestFromPrometheus:
    def _args(self, **extra: Any) -> argparse.Namespace:
        parser = argparse.ArgumentParser()
        cli_replay.add_arguments(parser)
        argv = ["--from-prometheus", "http://unused", "--start", "1000", "--end", "1090", "--interval", "30s",
                "--metric", "lat=latency", "--stable", "lat=S", "--canary", "lat=C"]
        return parser.parse_args(argv + [x for k, v in extra.items() for x in (f"--{k}", v)])

    def test_values_land_on_the_interval_grid(self) -> None:
        client = _Client({
            "S": [{"metric": {}, "values": [[1000, "0.2"], [1030, "0.21"], [1060, "NaN"], [1090, "0.2"]]}],
            "C": [{"metric": {}, "values": [[1000.4, "0.3"], [1090, "0.31"]]}],
        })
        scenario = cli_replay.scenario_from_prometheus(self._args(), client)
        metric = scenario.metrics[0]
        assert (metric.stable, metric.canary) == ([0.2, 0.21, None, 0.2], [0.3, None, None, 0.31])
        assert scenario.interval_seconds == 30
        assert scenario.start_time is not None and scenario.start_time.timestamp() == 1000
        # An onset given as a time lands on the first grid point at or after it: 1045 -> the one at 1060.
        truth = scenario.labelled(True, datetime.fromtimestamp(1045, tz=UTC)).truth
        assert truth is not None and truth.onset_index == 2

    def test_the_query_window_is_recorded_where_values_overlap(self) -> None:
        values = [{"metric": {}, "values": [[1000, "0.2"]]}]
        client = _Client({"S": values, "C": values, "rate(x[2m])": values, "rate(y[30s])": values})
        wide = cli_replay.scenario_from_prometheus(self._args(stable="lat=rate(x[2m])"), client)
        assert wide.metrics[0].query_window_seconds == 120
        narrow = cli_replay.scenario_from_prometheus(self._args(stable="lat=rate(y[30s])", canary="lat=rate(y[30s])"), client)
        assert narrow.metrics[0].query_window_seconds == 30  # one interval: independent values, as the operator knows
        # A recording rule hides its window: left to the judge, unless --query-window says.
        hidden = cli_replay.scenario_from_prometheus(self._args(), client)
        assert hidden.metrics[0].query_window_seconds is None
        assert "query_window_seconds" in dump_scenario(wide) and "query_window_seconds" not in dump_scenario(hidden)
        told = cli_replay.scenario_from_prometheus(self._args(**{"query-window": "5m"}), client)
        assert told.metrics[0].query_window_seconds == 300
        shown = cli_replay.scenario_from_prometheus(self._args(stable="lat=rate(x[2m])", **{"query-window": "5m"}), client)
        assert shown.metrics[0].query_window_seconds == 120  # the query's own range wins

    def test_query_window_leaves_a_gauge_read_at_an_instant_alone(self) -> None:
        values = [{"metric": {}, "values": [[1000, "5e8"]]}]
        args = self._args(metric="mem=gauge", stable="mem=S", canary="mem=C", **{"query-window": "2m"})
        scenario = cli_replay.scenario_from_prometheus(args, _Client({"S": values, "C": values}))
        assert [m.query_window_seconds for m in scenario.metrics] == [120, None]  # lat: a recording rule; mem: an instant

    def test_the_canary_weight_is_recorded_when_given(self) -> None:
        values = [{"metric": {}, "values": [[1000, "0.2"]]}]
        client = _Client({"S": values, "C": values})
        assert cli_replay.scenario_from_prometheus(self._args(), client).canary_weight is None
        assert cli_replay.scenario_from_prometheus(self._args(**{"canary-weight": "5"}), client).canary_weight == 5

    def test_several_series_are_refused(self) -> None:
        client = _Client({"S": [{"metric": {"pod": "a"}, "values": []}, {"metric": {"pod": "b"}, "values": []}], "C": []})
        with pytest.raises(ValueError, match="aggregate"):
            cli_replay.scenario_from_prometheus(self._args(), client)

    @pytest.mark.parametrize("text, seconds", [("30s", 30), ("1m", 60), ("500ms", 0.5), ("1.5h", 5400)])
    def test_durations(self, text: str, seconds: float) -> None:
        assert cli_replay.parse_duration(text) == seconds


def test_a_success_ratio_at_ninety_percent_after_a_clean_first_interval_is_rolled_back() -> None:
    """Three intervals of a canary at 90% success beside a stable at 99.8% must not pass. Without
    counts, ``counttest.effective_counts`` reads each side's requests off how its ratio wanders:
    the canary's failures 0, 0.1, 0.1, 0.1 differ by 0 twice, and the mean square of the one jump
    stood for binomial noise, so the canary passed for a service of a few requests and the replay
    promoted it (the paired test is not asked where a failure ratio is 0). A ratio steadier than
    any count now says nothing of its requests, and the canary takes stable's, by the split. The
    first value, 1.0, is what a rate over a new revision's error series gives before that series
    has two samples; found replaying an e2e release from Prometheus."""
    scenario = Scenario.model_validate({
        "format": "grayrelease.scenario/v1", "name": "ninety", "interval_seconds": 4.0,
        "canary_weights": [9.090909, 20, 20, 20], "canary_pods": [1, 2, 2, 2], "stable_pods": [10, 8, 8, 8],
        "metrics": [
            {"name": "served", "kind": "throughput", "better": "higher", "query_window_seconds": 4,
             "compare": {"against": "stable", "kind": "throughput", "per": "side"},
             "stable": [360, 320, 320, 320], "canary": [36, 80, 80, 80]},
            {"name": "availability", "kind": "gauge", "better": "higher", "query_window_seconds": 4,
             "compare": {"against": "stable", "kind": "gauge", "better": "higher"},
             "stable": [0.998, 0.9979, 0.9981, 0.998], "canary": [1.0, 0.9, 0.9, 0.9]},
        ],
        "truth": {"bad": True, "onset_index": 0},
    })
    assert backtest.replay(scenario).verdict == "rollback"
