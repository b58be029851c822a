"""The fleet corpus (bench.fleet): valid scenarios, reproducible, each depending only on seed and index."""

from __future__ import annotations

import json
import re

import pytest

from bench import fleet
from bench.corpus import family_of
from grayrelease.analysis.scenario import Scenario

STEP_NOTE = re.compile(
    r"^(error ratio x\d+(\.\d+)? from interval \d+"
    r"|error ratio \+\d+(\.\d+)? from interval \d+ \(base \d+(\.\d+)?\)"
    r"|(p50|p90|p95|p99|latency) \+\d+% from interval \d+)(;|$)"
)
NON_STEP_WORDS = ("leak", "intermittent", "crash loop", "ramp")


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return fleet.generate(fleet.DEFAULT_COUNT, fleet.DEFAULT_SEED)


def test_defaults() -> None:
    assert fleet.DEFAULT_COUNT == 600
    assert fleet.DEFAULT_SEED == 31


def test_every_scenario_validates(corpus: list[dict]) -> None:
    assert len(corpus) == fleet.DEFAULT_COUNT
    for scenario in corpus:
        model = Scenario.model_validate(scenario)
        assert 1 <= len(model.metrics) <= 4
        assert 10 <= model.intervals <= 60
        assert 10 <= model.interval_seconds <= 60
        assert 1 <= model.canary_weight <= 50
        names = [metric.name for metric in model.metrics]
        assert len(names) == len(set(names))
        json.dumps(scenario, allow_nan=False)  # no NaN or infinity reaches the file


def test_values_are_plausible(corpus: list[dict]) -> None:
    for scenario in corpus:
        for metric in scenario["metrics"]:
            assert metric["kind"] in ("error-ratio", "latency", "throughput", "gauge")
            assert metric["better"] in ("lower", "higher")
            assert "query_window_seconds" not in metric
            for side in ("stable", "canary", "stable_requests", "canary_requests"):
                for value in metric.get(side) or []:
                    assert value is None or value >= 0, (scenario["name"], metric["name"], side, value)
            if metric["kind"] == "error-ratio":
                for value in metric["stable"] + metric["canary"]:
                    assert value is None or value <= 1.0 + 1e-6, (scenario["name"], value)
            # the stable side always reports something
            assert any(v is not None for v in metric["stable"]), (scenario["name"], metric["name"])


def test_names_and_truth(corpus: list[dict]) -> None:
    for index, scenario in enumerate(corpus):
        truth = scenario["truth"]
        prefix = "bad-" if truth["bad"] else "good-"
        assert scenario["name"].startswith(prefix)
        assert scenario["name"] == f"{fleet.family_for(fleet.DEFAULT_SEED, index)}-{index:03d}"
        assert truth["note"]
        if truth["bad"]:
            n = len(scenario["metrics"][0]["stable"])
            assert 0 <= truth["onset_index"] < n
            note = truth["note"]
            assert STEP_NOTE.match(note) or note.startswith(NON_STEP_WORDS), note
        else:
            assert truth.get("onset_index") is None


def test_about_45_percent_bad_and_every_family_present(corpus: list[dict]) -> None:
    bad = sum(s["truth"]["bad"] for s in corpus)
    assert 0.42 <= bad / len(corpus) <= 0.48
    families = {family_of(s["name"]) for s in corpus}
    assert families == {name for name, _ in fleet.FAMILIES}


def test_reproducible() -> None:
    first = json.dumps(fleet.generate(30, 7), sort_keys=True)
    again = json.dumps(fleet.generate(30, 7), sort_keys=True)
    assert first == again
    assert first != json.dumps(fleet.generate(30, 8), sort_keys=True)


def test_scenario_depends_only_on_seed_and_index() -> None:
    assert fleet.generate(5, 31) == fleet.generate(12, 31)[:5]
    whole = fleet.generate(45, 31)
    for index in (0, 17, 44):
        alone = fleet.make_release(31, index, fleet.family_for(31, index))
        assert alone == whole[index]


def test_families_fill_each_block_exactly() -> None:
    block = [fleet.family_for(31, i) for i in range(fleet.BLOCK, 2 * fleet.BLOCK)]
    assert sorted(block) == sorted(fleet.SLOTS)
    assert sum(name.startswith("bad-") for name in fleet.SLOTS) == 18  # 45 % of 40


def test_against_a_baseline_the_canary_is_the_same_and_the_baseline_as_fresh_as_it() -> None:
    """The baseline variant changes the other side only: same releases, same canary values, and a
    baseline of the stable's version whose fresh pods warm up with the canary's."""
    plain, baseline = fleet.generate(40, 31), fleet.generate_against_baseline(40, 31)
    assert [s["name"] for s in plain] == [s["name"] for s in baseline]
    warm_ups = 0
    for a, b in zip(plain, baseline):
        assert a["truth"] == b["truth"]
        assert [m["canary"] for m in a["metrics"]] == [m["canary"] for m in b["metrics"]]
        assert [m["stable"] for m in a["metrics"]] != [m["stable"] for m in b["metrics"]]
        assert 0 < b["canary_weight"] < 100
        Scenario.model_validate(b)
        if a["name"].startswith("good-warmup"):
            for m in (m for m in b["metrics"] if m["kind"] == "latency"):
                first = [(c, s) for c, s in zip(m["canary"], m["stable"]) if c is not None and s is not None][:2]
                old = [s for c, s in zip(m["canary"], next(x for x in a["metrics"] if x["name"] == m["name"])["stable"])
                       if c is not None and s is not None][:2]
                # the canary's warm-up shows on the baseline too, not on the long-running stable
                warm_ups += sum(bs > st for (c, bs), st in zip(first, old))
    assert warm_ups > 0
