"""Request counts read back from error ratios that are exact fractions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grayrelease.analysis import counts


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        pytest.param(0.00636943, 6, 157, id="1/157 to six digits"),
        pytest.param(0.00449438, 6, 445, id="2/445 to six digits"),
        pytest.param(0.000713776, 6, 1401, id="1/1401 to six digits"),
        pytest.param(0.0125, 6, 80, id="1/80 written short in a six-digit series"),
        pytest.param(1 / 157, 17, 157, id="1/157 in full precision"),
        pytest.param((3 / 60) / (7000 / 60), 17, 7000, id="a ratio of two rates over one window"),
        pytest.param(0.00290381, 6, None, id="20/6888: too fine for six digits"),
        pytest.param(0.0125, 3, None, id="0.0125 to three digits could be anything near it"),
        pytest.param(0.0, 6, None, id="zero says nothing of n"),
        pytest.param(1.5, 6, None, id="not a ratio"),
        pytest.param(math.nan, 6, None, id="no value"),
    ],
)
def test_denominator(value: float, digits: int, expected: int | None) -> None:
    assert counts.denominator(value, digits) == expected


@pytest.mark.parametrize("digits", [6, 17])
def test_values_that_are_no_fractions_are_rarely_taken_for_one(digits: int) -> None:
    rng = np.random.default_rng(7)
    values = [float(f"{v:.{digits}g}") for v in rng.uniform(0.0005, 0.05, 5000)]
    taken = np.mean([counts.denominator(v, digits) is not None for v in values])
    # CHANCE bounds the expected number of simple fractions near a value at 2%.
    assert taken < 0.03


def test_significant_digits() -> None:
    assert counts.significant_digits(0.00636943) == 6
    assert counts.significant_digits(0.0125) == 3
    assert counts.significant_digits(1.0) == 1
    assert counts.significant_digits(1 / 3) == 16


class TestRecoveredTrials:
    def test_counts_come_back_where_the_fraction_is_reduced_and_between_errors(self) -> None:
        rng = np.random.default_rng(3)
        n = rng.integers(300, 500, 40)
        k = rng.binomial(n, 0.01)
        values = np.array([float(f"{v:.6g}") for v in k / n])
        values[5] = np.nan
        trials = counts.recovered_trials(values)
        assert trials is not None
        assert np.isnan(trials[5]) and not np.isnan(np.delete(trials, 5)).any()
        exact = (k > 0) & (np.gcd(k, n) == 1)
        exact[5] = False
        assert np.array_equal(trials[exact], n[exact].astype(float))
        # Between errors (0 says nothing of n), and for 2/314 read as 1/157, near the truth.
        assert np.median(np.abs(np.delete(trials, 5) / np.delete(n, 5) - 1)) < 0.1

    def test_a_value_that_is_no_fraction_reads_nothing(self) -> None:
        assert counts.recovered_trials(np.array([0.00636943, 0.00449438, 0.00290381, 0.0, 0.0043573])) is None

    def test_fewer_than_three_non_zero_values_read_nothing(self) -> None:
        assert counts.recovered_trials(np.array([0.0, 0.00636943, 0.0, 0.00449438, np.nan])) is None
