"""The step engine: pure rules that turn spec + status + observations into a new status and actions.

No I/O, no clock, no Kubernetes, kopf or Prometheus: the controller gathers ``observations``,
calls ``decide`` (and ``plan.due_measurements`` to know which metrics to query), then applies
the returned ``actions`` idempotently and writes the returned status in one patch.

Modules: ``observations`` (inputs), ``actions`` (outputs), ``stages`` (where a release stands),
``situation`` (the facts of one decision), ``measurements`` (analysis counters and verdicts),
``transitions`` (the rule table), ``targets`` (the world each stage keeps), ``report``
(conditions and message), ``decision`` (``decide``), ``plan`` (which metrics are due).
"""

from grayrelease.engine.decision import Decision, decide
from grayrelease.engine.plan import MeasurementRequest, due_measurements

__all__ = ["Decision", "MeasurementRequest", "decide", "due_measurements"]
