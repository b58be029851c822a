"""The service-mesh corpus (bench.mesh): valid, reproducible, per-scenario seeded, labelled as documented."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from bench import mesh
from bench.corpus import build_all, family_of, main
from grayrelease.analysis.scenario import Scenario

FAMILY_NAMES = {name for name, _ in mesh.FAMILIES}
NOTE_HEADS = re.compile(
    r"^(error ratio x\d+(\.\d+)? from interval \d+"
    r"|error ratio \+[0-9.e-]+ from interval \d+ \(base [0-9.e-]+\)"
    r"|(p\d\d|latency) \+\d+% from interval \d+"
    r"|leak|intermittent|crash loop|timeout|ramp)"
)


def _dumps(scenarios: list[dict]) -> list[str]:
    return [json.dumps(s, sort_keys=True, allow_nan=False) for s in scenarios]


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return mesh.generate(mesh.DEFAULT_COUNT, mesh.DEFAULT_SEED)


def test_defaults() -> None:
    assert mesh.DEFAULT_COUNT == 600
    assert mesh.DEFAULT_SEED == 41


def test_every_scenario_validates(corpus: list[dict]) -> None:
    assert len(corpus) == mesh.DEFAULT_COUNT
    for raw in corpus:
        scenario = Scenario.model_validate(raw)
        assert scenario.truth is not None
        assert 10 <= scenario.intervals <= 50
        assert 30 <= scenario.interval_seconds <= 60
        assert 1 <= scenario.canary_weight <= 50
        for metric in raw["metrics"]:
            assert "query_window_seconds" not in metric
            assert metric["kind"] in {"error-ratio", "latency", "throughput", "gauge"}
            assert metric["better"] in {"lower", "higher"}
            for side in ("stable", "canary"):
                for value in metric[side]:
                    assert value is None or value >= 0
                    if value is not None and metric["kind"] == "error-ratio":
                        assert value <= 1


def test_names_match_truth_and_families(corpus: list[dict]) -> None:
    names = [s["name"] for s in corpus]
    assert len(set(names)) == len(names)
    for s in corpus:
        bad = s["truth"]["bad"]
        assert s["name"].startswith("bad-" if bad else "good-")
        assert family_of(s["name"]) in FAMILY_NAMES
        assert family_of(s["name"]).startswith("bad-") == bad
    assert {family_of(n) for n in names} == FAMILY_NAMES


def test_about_45_percent_bad(corpus: list[dict]) -> None:
    share = sum(s["truth"]["bad"] for s in corpus) / len(corpus)
    assert share == pytest.approx(0.45, abs=0.02)
    small = mesh.generate(40, 3)
    assert sum(s["truth"]["bad"] for s in small) / 40 == pytest.approx(0.45, abs=0.05)


def test_family_shares_follow_the_table(corpus: list[dict]) -> None:
    counts = Counter(family_of(s["name"]) for s in corpus)
    for name, share in mesh.FAMILIES:
        assert counts[name] == pytest.approx(share * len(corpus), abs=1)


def test_truth_fields_and_notes(corpus: list[dict]) -> None:
    for s in corpus:
        truth = s["truth"]
        n = len(s["metrics"][0]["stable"])
        assert truth["note"]
        if truth["bad"]:
            assert 0 <= truth["onset_index"] < n
            assert NOTE_HEADS.match(truth["note"]), truth["note"]
            step = re.match(r"^(error ratio|p\d\d|latency) [x+]([0-9.e-]+)(%)? from interval (\d+)", truth["note"])
            if step:
                assert int(step.group(4)) == truth["onset_index"]
        else:
            assert "onset_index" not in truth


def test_request_counts_in_some_releases_only(corpus: list[dict]) -> None:
    with_counts = sum("canary_requests" in s["metrics"][0] for s in corpus)
    assert 0 < with_counts < len(corpus)
    for s in corpus:
        for metric in s["metrics"]:
            if "canary_requests" in metric:
                assert len(metric["canary_requests"]) == len(metric["canary"])
                assert len(metric["stable_requests"]) == len(metric["stable"])


def test_reproducible() -> None:
    assert _dumps(mesh.generate(30, 5)) == _dumps(mesh.generate(30, 5))
    assert _dumps(mesh.generate(30, 5)) != _dumps(mesh.generate(30, 6))


def test_a_scenario_depends_only_on_seed_index_and_family() -> None:
    seed = 11
    plan = mesh._plan(40, seed)
    built = mesh.generate(40, seed)
    # built in another process, in another order, or alone: the same scenario
    for (index, family), scenario in zip(plan, built):
        assert scenario["name"] == f"{family}-{index:03d}"
    for index, family in reversed(plan[::7]):
        assert _dumps([mesh._make(seed, index, family)]) == _dumps([built[index]])
    # in any other plan (another corpus size allots families differently) a pair gives the same scenario
    custom = [plan[5], (3, "bad-leak"), plan[17], (1234, "good-noise"), plan[2]]
    rebuilt = build_all(mesh._make, custom, seed)
    assert _dumps([rebuilt[0], rebuilt[2], rebuilt[4]]) == _dumps([built[5], built[17], built[2]])
    assert _dumps([rebuilt[1]]) == _dumps([mesh._make(seed, 3, "bad-leak")])
    assert rebuilt[3]["name"] == "good-noise-1234"
    assert _dumps([mesh._make(seed + 1, *plan[5])]) != _dumps([built[5]])


def test_command_line_writes_the_corpus(tmp_path, capsys) -> None:
    main(mesh.generate, "mesh corpus", tmp_path / "unused", mesh.DEFAULT_COUNT, mesh.DEFAULT_SEED,
         argv=["--out", str(tmp_path), "--count", "12", "--seed", "2"])
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 12
    for file in files:
        Scenario.model_validate_json(file.read_text(encoding="utf-8"))
    assert "wrote 12 scenarios" in capsys.readouterr().out
