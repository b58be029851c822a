"""Test-session wide hooks: measured figures are collected and repeated at the end of the run.

Tests print figures as lines starting with ``[figure]`` (they never assert on time); pytest
captures test output, so this hook gathers those lines and prints them in the terminal
summary, where CI logs keep them.
"""

from __future__ import annotations

import pytest

_FIGURES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for line in report.capstdout.splitlines():
        if line.startswith("[figure]"):
            _FIGURES.append(f"{line}  ({report.nodeid.split('::')[-1]})")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
