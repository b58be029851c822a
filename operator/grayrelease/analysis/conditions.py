"""``successCondition`` / ``failureCondition``: CEL expressions over a measurement, never ``eval``.

The measured value is ``result`` (a double). Expressions are compiled once and cached. A
condition that does not evaluate to a boolean, or fails to evaluate, is an error the caller
turns into an Inconclusive measurement: a broken condition never passes a release.
"""

from __future__ import annotations

import functools
import math

import celpy
from celpy import celtypes


class ConditionError(ValueError):
    """The expression does not compile, or does not give a boolean."""


@functools.lru_cache(maxsize=1024)
def _program(expression: str) -> celpy.Runner:
    env = celpy.Environment()
    try:
        return env.program(env.compile(expression))
    except celpy.CELParseError as error:
        raise ConditionError(f"cannot parse {expression!r}: {error}") from error


def compile_check(expression: str) -> None:
    """Raises ConditionError when ``expression`` is not valid CEL."""
    _program(expression)


def evaluate(expression: str, result: float) -> bool:
    """Evaluates ``expression`` with ``result`` bound; NaN is refused before evaluation."""
    if math.isnan(result):
        raise ConditionError("the measurement is NaN")
    try:
        value = _program(expression).evaluate({"result": celtypes.DoubleType(result)})
    except celpy.CELEvalError as error:
        raise ConditionError(f"{expression!r} failed: {error}") from error
    if isinstance(value, celpy.CELEvalError):
        raise ConditionError(f"{expression!r} failed: {value}")
    if not isinstance(value, celtypes.BoolType | bool):
        raise ConditionError(f"{expression!r} gave {value!r}, not a boolean")
    return bool(value)
