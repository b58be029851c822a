"""Text building blocks shared by the ``kubectl gray`` views: phase symbols, colours, ages, tables.

Views are pure functions of what was read and of ``now``, so tests render them from captured
status dicts. Colour is plain ANSI, only on a terminal and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta

from grayrelease.api.status import Phase

TERMINAL_PHASES = frozenset({Phase.SUCCEEDED, Phase.ROLLED_BACK, Phase.ABORTED, Phase.DEGRADED})
FAILED_PHASES = frozenset({Phase.ROLLED_BACK, Phase.ABORTED, Phase.DEGRADED})

_RESET = "\x1b[0m"
_COLOURS = {"green": "\x1b[32m", "red": "\x1b[31m", "yellow": "\x1b[33m", "blue": "\x1b[34m",
            "grey": "\x1b[90m", "bold": "\x1b[1m"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

PHASE_STYLE: dict[str, tuple[str, str]] = {
    Phase.PENDING: ("◌", "grey"),
    Phase.PROGRESSING: ("⟳", "blue"),
    Phase.PAUSED: ("॥", "yellow"),
    Phase.SUCCEEDED: ("✔", "green"),
    Phase.DEGRADED: ("✖", "red"),
    Phase.ROLLED_BACK: ("↶", "red"),
    Phase.ABORTED: ("✖", "red"),
}
METRIC_STYLE: dict[str, tuple[str, str]] = {
    "Pending": ("◌", "grey"),
    "Successful": ("✔", "green"),
    "Failed": ("✖", "red"),
    "Inconclusive": ("?", "yellow"),
    "Error": ("⚠", "red"),
    "Running": ("⟳", "blue"),
    "Succeeded": ("✔", "green"),
    "Missing": ("?", "yellow"),
}


def use_colour(stream: object = sys.stdout) -> bool:
    return not os.environ.get("NO_COLOR") and bool(getattr(stream, "isatty", lambda: False)())


class Painter:
    """Colours text when enabled, and is the identity otherwise (tests and pipes)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, colour: str) -> str:
        if not self.enabled or colour not in _COLOURS:
            return text
        return f"{_COLOURS[colour]}{text}{_RESET}"

    def phase(self, phase: str) -> str:
        symbol, colour = PHASE_STYLE.get(phase, ("•", ""))
        return self(f"{symbol} {phase}", colour)

    def metric(self, phase: str) -> str:
        symbol, colour = METRIC_STYLE.get(phase, ("•", ""))
        return self(f"{symbol} {phase}", colour)


def visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Left-aligned columns, two spaces apart, measured without colour codes."""
    if not rows:
        return []
    widths = [max(visible_len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    out = []
    for row in rows:
        cells = [cell + " " * (widths[i] - visible_len(cell)) for i, cell in enumerate(row)]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def age(since: datetime | None, now: datetime) -> str:
    """kubectl-style age: ``45s``, ``12m``, ``3h``, ``2d``; ``-`` when unknown."""
    if since is None:
        return "-"
    seconds = max(0, int((now - since) / timedelta(seconds=1)))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 2 * 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def number(value: float | None) -> str:
    """A measured value, short: ``0.0123``, ``245.3``, ``1.2e+06``; ``-`` for no data."""
    if value is None:
        return "-"
    return f"{value:.4g}"


def short_revision(revision: str | None) -> str:
    return revision or "-"


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
